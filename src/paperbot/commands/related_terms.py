"""Related terms after /subscribe, and /broaden: add what papers like these also say.

Right after a subscription is made, the stored papers closest to it in meaning are
mined for the words and phrases many of them share and the query lacks
(``relevance.related``); each comes back as a button that adds it to the subscription
with OR. A button carries the subscription's number and the term itself (``rel:12:
gaussian splatting``), so nothing is stored server-side and a press works after a
restart; a term too long for a button's 64 bytes is not offered. Front ends without
buttons show the same as ``/broaden 12 gaussian splatting``.
"""

from __future__ import annotations

import logging

import numpy as np

from paperbot.commands.base import Action, ActionResult, Command, Context
from paperbot.errors import PaperbotError
from paperbot.messages import MAX_ACTION_BYTES, Button, Reply
from paperbot.query import Query, QueryError
from paperbot.query import parse as parse_query
from paperbot.query.ast import Like, Phrase, Topic, Word, leaves
from paperbot.relevance.related import broaden, closest, related_terms
from paperbot.store.chats import Subscription

log = logging.getLogger(__name__)

ACTION = "rel"
BROADEN_USAGE = "/broaden NUMBER TERM"
CLOSE_PAPERS = 20
OFFERED = 3


def _described(query: Query) -> str:
    """The query's own words and topics, as one text to embed."""
    parts: list[str] = []
    for leaf in leaves(query.root):
        if isinstance(leaf, Topic | Word):
            parts.append(leaf.text)
        elif isinstance(leaf, Phrase):
            parts.append(" ".join(leaf.words))
    return ", ".join(parts)


async def _close_papers(context: Context, query: Query) -> list[str]:
    services = context.services
    embeddings = services.embeddings
    text = _described(query)
    liked = [arxiv_id for leaf in leaves(query.root) if isinstance(leaf, Like) for arxiv_id in leaf.ids]
    if text:
        vector = (await embeddings.embed_texts([text]))[0]
    elif liked:
        found = list((await embeddings.ensure(await services.papers.get_many(liked))).values())
        if not found:
            return []
        centre = np.mean(np.vstack(found), axis=0)
        vector = (centre / max(float(np.linalg.norm(centre)), 1e-9)).astype(np.float32)
    else:
        return []  # only authors or categories: nothing to be close in meaning to
    days = services.settings.more_like_this_days
    return closest(await embeddings.neighbours(vector, CLOSE_PAPERS, days=days, exclude=liked))


async def offer(context: Context, subscription: Subscription) -> tuple[str, tuple[Button, ...]]:
    """A line naming the related terms, and a button per term; empty when there are none.

    Never fails the /subscribe it follows: a problem is logged and nothing is offered.
    """
    try:
        query = parse_query(subscription.canonical)
        close = await context.services.papers.get_many(await _close_papers(context, query))
        background = await context.services.papers.announced_recently(context.services.settings.preview_days)
        terms = related_terms(query, close, background, limit=OFFERED)
    except PaperbotError as err:
        log.warning("no related terms for subscription %d: %s", subscription.id, err)
        return "", ()
    buttons = []
    for term in terms:
        action = f"{ACTION}:{subscription.id}:{term.text}"
        if len(action.encode()) <= MAX_ACTION_BYTES:
            command = f"/broaden {subscription.id} {term.text}"
            buttons.append(Button(f"+ {term.text}", action=action, command=command))
    if not buttons:
        return "", ()
    shown = ", ".join(button.label.removeprefix("+ ") for button in buttons)
    return f"Papers like these also say: {shown}. Add one with OR:", tuple(buttons)


async def _broaden(context: Context, number: str, term: str) -> str:
    """Adds ``term`` to subscription ``number`` with OR; the answer to show."""
    if not number.isdigit() or not term.strip():
        return f"Usage: `{BROADEN_USAGE}`, e.g. `/broaden 12 gaussian splatting`."
    chats = context.services.chats
    recipient = context.recipient
    subscriptions = await chats.subscriptions(recipient.id)
    current = next((s for s in subscriptions if s.id == int(number)), None)
    if current is None:
        return f"This chat has no subscription #{number}. /list shows the ones it has."
    try:
        wider = broaden(parse_query(current.canonical), term.strip().strip('"'))
    except (QueryError, ValueError):
        return f"'{term.strip()}' is not a word or phrase to add; type it as you would in a query."
    if wider.text == current.canonical:
        return f"#{current.id} finds that already: `{current.canonical}`"
    if any(s.canonical == wider.text for s in subscriptions):
        return f"This chat follows `{wider.text}` already."
    changed = await chats.replace_query(recipient.id, current.id, wider.text, wider.text)
    if changed is None:
        return "That subscription was removed meanwhile."
    return f"Subscription #{changed.id} is now `{changed.canonical}`"


async def broaden_command(context: Context, args: str) -> Reply:
    number, _, term = args.strip().lstrip("#").partition(" ")
    return Reply(text=await _broaden(context, number, term))


async def broaden_button(context: Context, args: list[str]) -> ActionResult:
    if len(args) < 2:
        return ActionResult(toast="This button no longer works.")
    answer = await _broaden(context, args[0], ":".join(args[1:]))
    return ActionResult(toast="Added." if answer.startswith("Subscription #") else None, send=Reply(text=answer))


COMMANDS = [
    Command(
        "broaden",
        "add a word or phrase to a subscription with OR",
        BROADEN_USAGE,
        broaden_command,
        examples=("/broaden 12 gaussian splatting",),
        changes_chat=True,
    ),
]

ACTIONS = [Action(ACTION, broaden_button, changes_chat=True)]
