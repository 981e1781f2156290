"""A chat's queued papers → digest messages, grouped by subscription.

Like the well-known "Daily Papers" lists: a header per query, then its papers (title
link, date, short summary, comment, code link); the top N per query, then "and K more"
with a /search hint. A paper matched by several of the chat's queries appears once,
under the first, with the others named. With the chat's ratings model, each query's papers
come most wanted first, with the interest shown; with a library, a last section lists
papers of the day like it that no query caught. Messages are cut between papers, never inside
one, and each knows which deliveries it carries, so each is marked sent on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from paperbot.domain import Paper
from paperbot.latex import latex_to_text
from paperbot.render.markup import link
from paperbot.store.chats import Subscription
from paperbot.store.outbox import Delivery
from paperbot.summary.facts import facts_of


@dataclass(frozen=True, slots=True)
class DigestItem:
    delivery: Delivery
    paper: Paper
    summary: str
    score: float | None = None  # a topic term's closeness (~"...", like:), shown when known


@dataclass(slots=True)
class DigestMessage:
    text: str
    delivery_ids: list[int] = field(default_factory=list)


def _entry(item: DigestItem, also: Sequence[str], interest: float | None = None) -> str:
    paper = item.paper
    day = paper.first_announced or (paper.submitted.date() if paper.submitted else None)
    meta = [paper.primary_category] + ([day.isoformat()] if day else [])
    if interest is not None:
        meta.append(f"interest {round(interest * 100)}%")
    if item.score is not None:
        meta.append(f"match {item.score:.2f}")
    facts = facts_of(paper)
    if facts.code_links:
        meta.append(link("Code", facts.code_links[0]))
    lines = [f"• {link(latex_to_text(paper.title), paper.abs_url)} ({paper.arxiv_id}) · {' · '.join(meta)}"]
    if item.summary:
        lines.append(f"  {item.summary}")
    note = facts.venue or (latex_to_text(paper.comment) if paper.comment else None)
    if note:
        lines.append(f"  📝 {note[:200]}")
    if also:
        lines.append(f"  also matched: {'; '.join(f'`{q}`' for q in also)}")
    return "\n".join(lines)


def _library_entry(paper: Paper, closeness: float) -> str:
    day = paper.first_announced or (paper.submitted.date() if paper.submitted else None)
    meta = [paper.primary_category] + ([day.isoformat()] if day else []) + [f"similarity {closeness:.2f}"]
    return f"• {link(latex_to_text(paper.title), paper.abs_url)} ({paper.arxiv_id}) · {' · '.join(meta)}"


def build_digest(
    items: Sequence[DigestItem],
    subscriptions: Sequence[Subscription],
    *,
    day: date,
    top: int,
    limit: int,
    interest: Mapping[str, float] | None = None,
    close_to_library: Sequence[tuple[Paper, float]] = (),
) -> list[DigestMessage]:
    """Messages of at most ``limit`` characters holding every item once.

    ``interest`` (the chat's model's, per arXiv id) orders each query's papers and is shown;
    ``close_to_library`` (papers with their closeness) makes the last section.
    """
    interest = interest or {}
    order = {s.id: position for position, s in enumerate(subscriptions)}
    canonical = {s.id: s.canonical for s in subscriptions}
    sections: dict[int, list[tuple[DigestItem, list[str]]]] = {s.id: [] for s in subscriptions}
    orphans: list[DigestItem] = []
    for item in items:
        live = sorted((s for s in item.delivery.subscription_ids if s in order), key=order.__getitem__)
        if not live:
            orphans.append(item)  # its subscription was removed since: still owed, listed last
            continue
        sections[live[0]].append((item, [canonical[s] for s in live[1:]]))

    total = len(items)
    header = f"**Your arXiv digest for {day.isoformat()}**: {total} new paper{'s' if total != 1 else ''}"
    blocks: list[tuple[str, list[int]]] = [(header, [])]
    for subscription in subscriptions:
        entries = sections[subscription.id]
        if not entries:
            continue
        if interest:
            entries.sort(key=lambda entry: -interest.get(entry[0].paper.arxiv_id, 0.0))
        blocks.append((f"**{subscription.canonical}** ({len(entries)})", []))
        for item, also in entries[:top]:
            blocks.append((_entry(item, also, interest.get(item.paper.arxiv_id)), [item.delivery.id]))
        rest = entries[top:]
        if rest:
            blocks.append(
                (
                    f"and {len(rest)} more: `/search {subscription.canonical}`",
                    [item.delivery.id for item, _ in rest],
                )
            )
    if orphans:
        blocks.append(("**From subscriptions removed since**", []))
        blocks += [(_entry(item, ()), [item.delivery.id]) for item in orphans]
    if close_to_library:
        blocks.append(("**Close to your library**", []))
        blocks += [(_library_entry(paper, closeness), []) for paper, closeness in close_to_library]
    return _pack(blocks, limit)


def _pack(blocks: list[tuple[str, list[int]]], limit: int) -> list[DigestMessage]:
    messages = [DigestMessage("")]
    for text, ids in blocks:
        text = text if len(text) <= limit else text[: limit - 1] + "…"
        current = messages[-1]
        joined = f"{current.text}\n\n{text}" if current.text else text
        if len(joined) > limit:
            current = DigestMessage(text)
            messages.append(current)
        else:
            current.text = joined
        current.delivery_ids += ids
    return [m for m in messages if m.text]
