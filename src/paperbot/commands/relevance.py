"""/more, /tune, /filter, /held and /import of a library: what the chat's vectors and ratings drive."""

from __future__ import annotations

from collections.abc import Sequence

from paperbot.commands.base import Action, ActionResult, Command, Context
from paperbot.commands.cards import paper_card
from paperbot.commands.lookup import find_paper
from paperbot.commands.services import Services
from paperbot.domain import Paper
from paperbot.errors import PaperbotError, SourceUnavailableError
from paperbot.latex import latex_to_text
from paperbot.messages import Button, Card, Reply
from paperbot.query import QueryError
from paperbot.relevance.library import Library
from paperbot.relevance.ratings import MIN_PER_CLASS, InterestModel
from paperbot.relevance.similarity import diverse_sample

MORE_SHOWN = 8
INLINE_MORE = 10
INLINE_MORE_PREFIX = "more:"
TUNE_SHOWN = 8
TUNE_ANNOUNCEMENT_DAYS = 30
LIBRARY_MAX = 2000  # entries read from one import
LISTED = 10  # unrecognised entries or missing ids named in a reply
HELD_SHOWN = 10
FORMAT_NAMES = {"bibtex": "BibTeX", "zotero-csv": "a Zotero CSV export", "ris": "RIS", "ids": "a list of arXiv ids"}


def _line(paper: Paper, note: str) -> str:
    day = paper.first_announced or (paper.submitted.date() if paper.submitted else None)
    when = f", {day.isoformat()}" if day else ""
    return f"• **{latex_to_text(paper.title)}** ({paper.arxiv_id}, {paper.primary_category}{when}) · {note}"


# -- more like this -------------------------------------------------------------------------


async def closest(services: Services, text: str, k: int) -> tuple[Paper, list[tuple[Paper, float]]]:
    """The paper named by ``text`` and the ``k`` stored papers closest to it, with cosines."""
    paper = await find_paper(services, text)
    embeddings = services.embeddings
    vector = (await embeddings.ensure([paper]))[paper.arxiv_id]
    found = await embeddings.neighbours(vector, k, days=services.settings.more_like_this_days, exclude={paper.arxiv_id})
    by_id = {p.arxiv_id: p for p in await services.papers.get_many([a for a, _ in found])}
    return paper, [(by_id[a], score) for a, score in found if a in by_id]


async def more_reply(services: Services, text: str) -> Reply:
    paper, found = await closest(services, text, MORE_SHOWN)
    days = services.settings.more_like_this_days
    title = latex_to_text(paper.title)
    if not found:
        return Reply(text=f"No stored paper of the last {days} days is close to **{title}** ({paper.arxiv_id}).")
    lines = [f"Closest to **{title}** ({paper.arxiv_id}) among the papers of the last {days} days:"]
    lines += [_line(p, f"similarity {score:.2f}") for p, score in found]
    lines.append("Send `/paper ID` for a paper's card, `/more ID` to go on from one.")
    return Reply(text="\n".join(lines))


async def more(context: Context, args: str) -> Reply:
    if len(args.split()) != 1:
        return Reply(text="Usage: `/more ID`, e.g. `/more 2504.17837`: the stored papers closest to it.")
    return await more_reply(context.services, args.strip())


async def more_button(context: Context, args: list[str]) -> ActionResult:
    if not args:
        return ActionResult(toast="This button no longer works.")
    return ActionResult(send=await more_reply(context.services, ":".join(args)))


async def more_cards(services: Services, text: str, offset: int, language: str) -> tuple[list[Card], str]:
    """Inline mode's ``more:ID``: cards of the closest papers (one page; no next offset)."""
    try:
        _, found = await closest(services, text, INLINE_MORE)
    except PaperbotError:
        return [], ""
    if offset:
        return [], ""
    return [await paper_card(services, p, language) for p, _ in found], ""


# -- /tune ----------------------------------------------------------------------------------


async def _tune_candidates(context: Context, wanted: str) -> tuple[list[Paper], str] | Reply:
    """Recent papers of one subscription (or all of the chat's), not yet rated; and what they are."""
    services = context.services
    subscriptions = await services.chats.subscriptions(context.recipient.id)
    if wanted:
        number = wanted.lstrip("#")
        chosen = [s for s in subscriptions if str(s.id) == number]
        if not chosen:
            return Reply(text=f"This chat has no subscription #{number}. /list shows the ones it has.")
        subscriptions = chosen
    recent = await services.papers.announced_recently(TUNE_ANNOUNCEMENT_DAYS)
    if subscriptions:
        matched: dict[str, Paper] = {}
        for subscription in subscriptions:
            try:
                found = await services.topics.search(subscription.canonical, recent)
                matched |= {p.arxiv_id: p for p, _ in found}
            except QueryError:
                continue
        pool = list(matched.values())
        what = f"`{subscriptions[0].canonical}`" if wanted else "your subscriptions"
    else:
        pool, what = recent, "recent papers"
    rated = await services.interest.rated(context.recipient.id)
    return [p for p in pool if p.arxiv_id not in rated], what


async def tune(context: Context, args: str) -> Reply:
    services = context.services
    found = await _tune_candidates(context, args.strip())
    if isinstance(found, Reply):
        return found
    pool, what = found
    if not pool:
        return Reply(text=f"Nothing left to rate among the matches of {what} of the last few weeks.")
    model = await services.interest.model_for(context.recipient.id)
    scores: dict[str, float] = {}
    if model is None:
        picked = diverse_sample(await services.embeddings.ensure(pool), TUNE_SHOWN)
        intro = f"No ratings yet. A spread of recent matches of {what}: 👍 or 👎 each, and I learn what you want."
    else:
        scores = await services.interest.score_with(model, pool)
        picked = sorted(scores, key=lambda a: (abs(scores[a] - 0.5), a))[:TUNE_SHOWN]
        intro = f"The matches of {what} I am least sure about ({model.describe()}): 👍 or 👎 each."
    by_id = {p.arxiv_id: p for p in pool}
    language = context.recipient.language
    cards = tuple([await paper_card(services, by_id[a], language, interest=scores.get(a)) for a in picked])
    return Reply(text=intro, cards=cards)


# -- /filter and /held ----------------------------------------------------------------------


async def filter_command(context: Context, args: str) -> Reply:
    services = context.services
    recipient_id = context.recipient.id
    wanted = args.strip().lower()
    model = await services.interest.model_for(recipient_id)
    if wanted not in ("on", "off"):
        state = "on" if recipient_id in await services.held.filtering([recipient_id]) else "off"
        return Reply(text=f"Filter is {state}. Usage: `/filter on` or `/filter off`. {_model_state(model)}")
    await services.held.set_filter(recipient_id, wanted == "on")
    if wanted == "off":
        return Reply(text="Filter off: every match comes here. /held still lists what was held back before.")
    threshold = round(services.settings.filter_threshold * 100)
    text = (
        f"Filter on: matches the model gives less than {threshold}% interest are held back (never an `au:` match). "
        "/held lists them. " + _model_state(model)
    )
    return Reply(text=text)


def _model_state(model: InterestModel | None) -> str:
    if model is None:
        return f"No ratings yet: nothing is held back until you rate {MIN_PER_CLASS} papers 👍 and {MIN_PER_CLASS} 👎."
    if not model.trained:
        return f"Nothing is held back yet: {model.describe()}. /tune shows papers to rate."
    return f"Using {model.describe()}."


async def held(context: Context, args: str) -> Reply:
    words = args.split()
    if len(words) == 2 and words[0].lower() == "release":
        return Reply(text=await _release(context, words[1]))
    if words:
        return Reply(text="Usage: `/held`, or `/held release ID` to have a held paper sent after all.")
    services = context.services
    papers_held = await services.held.held(context.recipient.id, limit=HELD_SHOWN)
    if not papers_held:
        return Reply(text="Nothing is held back. `/filter on` holds back what your ratings say you do not want.")
    total = await services.held.count_held(context.recipient.id)
    by_id = {p.arxiv_id: p for p in await services.papers.get_many([h.arxiv_id for h in papers_held])}
    lines = [f"**Held back** ({total}), newest first:"]
    buttons: list[tuple[Button, ...]] = []
    for entry in papers_held:
        paper = by_id.get(entry.arxiv_id)
        if paper is None:
            continue
        lines.append(_line(paper, f"interest {round(entry.score * 100)}%"))
        buttons.append(
            (
                Button(
                    f"Send {entry.arxiv_id}",
                    action=f"release:{entry.arxiv_id}",
                    command=f"/held release {entry.arxiv_id}",
                ),
            )
        )
    if total > len(papers_held):
        lines.append(f"and {total - len(papers_held)} older ones.")
    return Reply(text="\n".join(lines), buttons=tuple(buttons))


async def _release(context: Context, text: str) -> str:
    paper = await find_paper(context.services, text)
    released = await context.services.held.release(context.recipient.id, paper.arxiv_id)
    if released is None:
        return f"{paper.arxiv_id} is not held back here."
    return f"{paper.arxiv_id} is on its way (with your next digest, or now in instant mode)."


async def release_button(context: Context, args: list[str]) -> ActionResult:
    if not args:
        return ActionResult(toast="This button no longer works.")
    return ActionResult(toast=await _release(context, ":".join(args)))


# -- /import of a library -------------------------------------------------------------------


def _listed(items: Sequence[str]) -> str:
    shown = "\n".join(f"• {item}" for item in items[:LISTED])
    return shown + (f"\n• and {len(items) - LISTED} more" if len(items) > LISTED else "")


async def import_library(context: Context, library: Library) -> Reply:
    """Store the library's papers (fetching unknown ones from arXiv, 100 a request) and embed them."""
    services = context.services
    wanted = library.arxiv_ids[:LIBRARY_MAX]
    stored = {p.arxiv_id for p in await services.papers.get_many(wanted)}
    missing = [a for a in wanted if a not in stored]
    fetched: list[Paper] = []
    unreachable = False
    if missing:
        try:
            fetched = await services.source.lookup(missing)
        except SourceUnavailableError:
            unreachable = True
        for paper in fetched:
            await services.papers.save_looked_up(paper)
    fetched_ids = {p.arxiv_id for p in fetched}
    present = await services.papers.get_many([a for a in wanted if a in stored or a in fetched_ids])
    await services.embeddings.ensure(present)
    added = await services.library.add(context.recipient.id, [p.arxiv_id for p in present], library.format)
    lines = [
        f"Imported {len(added)} paper{'s' if len(added) != 1 else ''} from {FORMAT_NAMES[library.format]} "
        f"into this chat's library ({len(fetched)} fetched from arXiv)."
    ]
    if len(present) > len(added):
        lines.append(f"{len(present) - len(added)} were in it already.")
    total = await services.library.count(context.recipient.id)
    lines.append(f"The library holds {total}; digests now show papers close to it.")
    not_found = [a for a in missing if a not in fetched_ids]
    if unreachable:
        lines.append(f"arXiv is not answering: {len(not_found)} could not be fetched. Send the import again later.")
    elif not_found:
        lines.append("Not on arXiv:\n" + _listed(not_found))
    if len(library.arxiv_ids) > LIBRARY_MAX:
        lines.append(f"Only the first {LIBRARY_MAX} entries were read.")
    if library.unrecognised:
        lines.append("Not recognised (no arXiv id):\n" + _listed(library.unrecognised))
    return Reply(text="\n".join(lines))


COMMANDS = [
    Command(
        "more",
        "the stored papers closest to a paper",
        "/more ID",
        more,
        examples=("/more 2504.17837",),
    ),
    Command(
        "tune",
        "papers to rate 👍/👎 so the bot learns what you want",
        "/tune [SUBSCRIPTION]",
        tune,
        examples=("/tune", "/tune 2"),
    ),
    Command(
        "filter",
        "hold back what your ratings say you do not want",
        "/filter on|off",
        filter_command,
        examples=("/filter on",),
        changes_chat=True,
    ),
    Command(
        "held",
        "what /filter held back, to send after all",
        "/held [release ID]",
        held,
        examples=("/held", "/held release 2504.17837"),
    ),
]

ACTIONS = [
    Action("more", more_button),
    Action("release", release_button),
]
