"""/preview [NUMBER]: what a subscription would deliver now, as its digest would show it.

Every stored paper of the last ``PAPERBOT_PREVIEW_DAYS`` announcement days that the
subscription matches (topic terms scored as the matcher scores them), less what /filter
would hold back, laid out by the digest's own code (``digest.build_digest``): the same
grouping, the same order (the chat's ratings model first, when it has one), with the
interest and the topic score on each paper. Nothing is queued or recorded.
"""

from __future__ import annotations

from paperbot.commands.base import Command, Context
from paperbot.digest import DigestItem, build_digest
from paperbot.domain import Paper
from paperbot.messages import Reply
from paperbot.query import QueryError
from paperbot.relevance.holdback import HoldBack, author_queries
from paperbot.relevance.topic import closest_first
from paperbot.store.chats import Subscription
from paperbot.store.outbox import PAPER, Delivery

PREVIEW_USAGE = "/preview [NUMBER]"
SHOWN = 20
"""Papers listed per subscription; the rest are counted, as a digest does."""
TEXT_LIMIT = 3800
"""One message on every platform (Telegram's limit is 4096 characters)."""


async def _held_back(
    context: Context, subscriptions: list[Subscription], by_paper: dict[str, tuple[Paper, list[int]]]
) -> set[str]:
    """What /filter would hold back: exactly what ``relevance.holdback`` decides at dispatch."""
    services = context.services
    recipient_id = context.recipient.id
    if recipient_id not in await services.held.filtering([recipient_id]):
        return set()
    hold_back = HoldBack(services.held, services.interest, services.chats, threshold=services.settings.filter_threshold)
    return set(await hold_back.unwanted(recipient_id, list(by_paper.values()), author_queries(subscriptions)))


async def preview(context: Context, args: str) -> Reply:
    services = context.services
    recipient = context.recipient
    subscriptions = await services.chats.subscriptions(recipient.id)
    if not subscriptions:
        return Reply(
            text='This chat has no subscriptions to preview. Start with e.g. `/subscribe ~"faster inference"`.'
        )
    wanted = args.strip().lstrip("#")
    if wanted:
        if not wanted.isdigit():
            return Reply(text=f"Usage: `{PREVIEW_USAGE}`, with a number from /list, e.g. `/preview 12`.")
        subscriptions = [s for s in subscriptions if s.id == int(wanted)]
        if not subscriptions:
            return Reply(text=f"This chat has no subscription #{wanted}. /list shows the ones it has.")
    days = services.settings.preview_days
    recent = await services.papers.announced_recently(days)
    scores: dict[str, float] = {}
    by_paper: dict[str, tuple[Paper, list[int]]] = {}
    for subscription in subscriptions:
        try:
            found = closest_first(await services.topics.search(subscription.canonical, recent))
        except QueryError:
            continue  # stored before a grammar change: the matcher skips it too
        for paper, result in found:
            by_paper.setdefault(paper.arxiv_id, (paper, []))[1].append(subscription.id)
            if result.topic_score is not None:
                scores[paper.arxiv_id] = max(scores.get(paper.arxiv_id, 0.0), result.topic_score)
    papers = [paper for paper, _ in by_paper.values()]
    held = await _held_back(context, subscriptions, by_paper) if papers else set()
    kept = [p for p in papers if p.arxiv_id not in held]
    where = f"the last {days} announcement days ({len(recent)} papers)"
    if not kept:
        note = f", {len(held)} held back by /filter" if held else ""
        return Reply(text=f"Nothing from {where} would be delivered now{note}.")
    kept.sort(key=lambda p: -scores.get(p.arxiv_id, 0.0))
    now = services.clock.now()
    summaries = await services.summaries.summaries_for(kept, recipient.language, wait=0)
    items = [
        DigestItem(
            Delivery(-n, recipient.id, p.arxiv_id, PAPER, tuple(by_paper[p.arxiv_id][1]), 0, now),
            p,
            summary.text,
            scores.get(p.arxiv_id),
        )
        for n, (p, summary) in enumerate(zip(kept, summaries, strict=True), start=1)
    ]
    rated = await services.interest.scores(recipient.id, kept)
    messages = build_digest(
        items,
        subscriptions,
        day=now.date(),
        top=SHOWN,
        limit=TEXT_LIMIT,
        interest=rated.by_id if rated is not None else None,
    )
    held_note = f"; {len(held)} more held back by /filter" if held else ""
    text = f"**Preview**: what would be delivered now from {where}{held_note}.\n\n{messages[0].text}"
    if len(messages) > 1:
        text += f"\n\n(and more: the whole list is {len(messages)} messages long)"
    return Reply(text=text)


COMMANDS = [
    Command(
        "preview",
        "what a subscription would deliver now from the last days, ranked, with scores",
        PREVIEW_USAGE,
        preview,
        examples=("/preview", "/preview 12"),
    ),
]
