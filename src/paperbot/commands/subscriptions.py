"""/subscribe, /unsubscribe, /list, /export, /import."""

from __future__ import annotations

from paperbot.commands.base import Action, ActionResult, Command, Context
from paperbot.commands.cards import subscription_label
from paperbot.commands.chat_settings import describe_delivery
from paperbot.commands.related_terms import offer
from paperbot.commands.relevance import import_library
from paperbot.errors import PaperbotError
from paperbot.messages import Button, Reply
from paperbot.query import QueryError
from paperbot.query import parse as parse_query
from paperbot.relevance.library import parse_library
from paperbot.relevance.topic import closest_first
from paperbot.store.chats import Subscription

SUBSCRIBE_USAGE = "/subscribe QUERY"
PREVIEW_COUNT = 2


class QuotaReached(PaperbotError):
    pass


async def _add(context: Context, text: str) -> tuple[Subscription, bool]:
    """Parse and store; (subscription, created). Raises QueryError or QuotaReached."""
    query = parse_query(text)
    services = context.services
    recipient = context.recipient
    before = await services.chats.count_subscriptions(recipient.id)
    quota = services.settings.subscription_quota
    stored = await services.chats.add_subscription(
        recipient.id, text.strip(), str(query), context.invocation.user_id, quota=quota
    )
    if stored is None:
        raise QuotaReached(
            f"This chat has {before} subscriptions, the most allowed ({quota}). Remove one with /unsubscribe first."
        )
    created = await services.chats.count_subscriptions(recipient.id) > before
    return stored, created


async def subscribe(context: Context, args: str) -> Reply:
    if not args:
        return Reply(text=f"Usage: `{SUBSCRIBE_USAGE}`. Send `/help subscribe` for the query language.")
    subscription, created = await _add(context, args)
    if not created:
        return Reply(text=f"Already subscribed (#{subscription.id}): `{subscription.canonical}`")
    days = context.services.settings.preview_days
    recent = await context.services.papers.announced_recently(days)
    caught = closest_first(await context.services.topics.search(subscription.canonical, recent))
    lines = [f"Subscribed (#{subscription.id}): `{subscription.canonical}`"]
    if not recent:
        lines.append("No papers are stored yet to try it on; matches will arrive with the next announcement.")
    elif not caught:
        lines.append(
            f"It would have caught none of the {len(recent)} papers of the last {days} announcement days. "
            "If that seems wrong, try fewer words or OR."
        )
    else:
        lines.append(
            f"In the last {days} announcement days it would have caught {len(caught)} of {len(recent)} papers, e.g.:"
        )
        for paper, match in caught[:PREVIEW_COUNT]:
            score = f" · match {match.topic_score:.2f}" if match.topic_score is not None else ""
            lines.append(f"• {match.text('title')} ({paper.arxiv_id}){score}")
    related, term_buttons = await offer(context, subscription)
    if related:
        lines.append(related)
    undo = Button("Undo", action=f"unsub:{subscription.id}", command=f"/unsubscribe {subscription.id}")
    return Reply(text="\n".join(lines), buttons=(*((button,) for button in term_buttons), (undo,)))


async def unsubscribe(context: Context, args: str) -> Reply:
    subscriptions = await context.services.chats.subscriptions(context.recipient.id)
    if not subscriptions:
        return Reply(text="This chat has no subscriptions.")
    if not args:
        return Reply(
            text="Which subscription should go?",
            buttons=tuple(
                (Button(f"✖ {subscription_label(s)}", action=f"unsub:{s.id}", command=f"/unsubscribe {s.id}"),)
                for s in subscriptions
            ),
        )
    wanted = args.lstrip("#").strip()
    if not wanted.isdigit():
        return Reply(
            text="Give the number shown by /list, e.g. `/unsubscribe 12`, or send /unsubscribe alone for buttons."
        )
    removed = await context.services.chats.remove_subscription(context.recipient.id, int(wanted))
    if removed is None:
        return Reply(text=f"This chat has no subscription #{wanted}. /list shows the ones it has.")
    return Reply(text=f"Unsubscribed from `{removed.canonical}`.")


async def list_subscriptions(context: Context, args: str) -> Reply:
    services = context.services
    recipient = context.recipient
    subscriptions = await services.chats.subscriptions(recipient.id)
    quota = services.settings.subscription_quota
    if not subscriptions:
        lines = ['This chat has no subscriptions yet. Start with e.g. `/subscribe "sparse autoencoder" cat:cs.LG`.']
    else:
        lines = [f"**Subscriptions** ({len(subscriptions)} of {quota}):"]
        lines += [f"#{s.id}  `{s.canonical}`" for s in subscriptions]
    lines.append("")
    paused = " (paused: /resume)" if recipient.paused else ""
    lines.append(f"Delivery: {describe_delivery(recipient)}{paused}.")
    return Reply(text="\n".join(lines))


async def export(context: Context, args: str) -> Reply:
    subscriptions = await context.services.chats.subscriptions(context.recipient.id)
    if not subscriptions:
        return Reply(text="Nothing to export: this chat has no subscriptions.")
    body = "\n".join(s.canonical for s in subscriptions)
    return Reply(text=f"Send this back to /import them (here or in another chat):\n\n```/import\n{body}```")


def _import_lines(text: str) -> list[str]:
    lines = []
    for raw in text.replace("```", "\n").splitlines():
        line = raw.strip().lstrip("•-* ").strip()
        if not line or line.lower() in ("/import", "import"):
            continue
        if line.lower().startswith("/subscribe "):
            line = line[len("/subscribe ") :]
        lines.append(line)
    return lines


IMPORT_USAGE = (
    "Usage: `/import` followed by one query per line (what /export prints), or a library to follow papers "
    "like it: BibTeX, a Zotero CSV or RIS export, or arXiv ids and links (pasted, or sent as a file)."
)


async def import_(context: Context, args: str) -> Reply:
    attachment = context.invocation.attachment
    library = parse_library(attachment if attachment is not None else args)
    if library is not None:
        return await import_library(context, library)
    if attachment is not None:
        return Reply(text="That file is not a library I can read. " + IMPORT_USAGE)
    lines = _import_lines(args)
    if not lines:
        return Reply(text=IMPORT_USAGE)
    added: list[str] = []
    known: list[str] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        try:
            subscription, created = await _add(context, line)
        except QueryError as err:
            problems.append(f"line {number}: {err}")
            continue
        except QuotaReached as err:
            problems.append(f"line {number} and after: {err}")
            break
        (added if created else known).append(subscription.canonical)
    text = f"Imported {len(added)} subscription{'s' if len(added) != 1 else ''}."
    if known:
        text += f" {len(known)} already here."
    if problems:
        text += "\nSkipped:\n" + "\n".join(problems)
    return Reply(text=text)


async def unsubscribe_button(context: Context, args: list[str]) -> ActionResult:
    """From the /unsubscribe list: the message is replaced by the outcome."""
    removed = await _remove(context, args)
    if removed is None:
        return ActionResult(toast="Already gone.", replace=Reply(text="That subscription was already removed."))
    return ActionResult(toast="Unsubscribed.", replace=Reply(text=f"Unsubscribed from `{removed.canonical}`."))


async def unsubscribe_from_card(context: Context, args: list[str]) -> ActionResult:
    """From a paper card: the card stays, a notice confirms."""
    removed = await _remove(context, args)
    if removed is None:
        return ActionResult(toast="That subscription was already removed.")
    return ActionResult(toast=f"Unsubscribed from {removed.canonical}")


async def _remove(context: Context, args: list[str]) -> Subscription | None:
    if not args or not args[0].isdigit():
        return None
    return await context.services.chats.remove_subscription(context.recipient.id, int(args[0]))


COMMANDS = [
    Command(
        "subscribe",
        "follow a query; matching papers come here",
        SUBSCRIBE_USAGE,
        subscribe,
        examples=('/subscribe "sparse autoencoder" cat:cs.LG', '/subscribe au:"Yang Hua" OR ti:"state-space"'),
        changes_chat=True,
    ),
    Command(
        "unsubscribe",
        "stop following a query (buttons, or its number)",
        "/unsubscribe [NUMBER]",
        unsubscribe,
        examples=("/unsubscribe", "/unsubscribe 12"),
        changes_chat=True,
    ),
    Command("list", "this chat's subscriptions and delivery settings", "/list", list_subscriptions),
    Command("export", "the subscriptions as text for /import", "/export", export),
    Command(
        "import",
        "subscribe to queries, one per line; or import a library (BibTeX, Zotero, RIS, arXiv ids)",
        "/import QUERIES",
        import_,
        examples=("/import\ncat:quant-ph qubit\nau:Hua",),
        changes_chat=True,
    ),
]

ACTIONS = [
    Action("unsub", unsubscribe_button, changes_chat=True),
    Action("unsubc", unsubscribe_from_card, changes_chat=True),
]
