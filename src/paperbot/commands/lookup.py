"""/paper, /search, /author and inline lookups: stored papers first, then arXiv's API."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from paperbot.arxiv.ids import parse_arxiv_id
from paperbot.commands.base import Action, ActionResult, Command, Context
from paperbot.commands.cards import chat_interest, paper_card
from paperbot.commands.services import Services
from paperbot.domain import Paper
from paperbot.errors import InvalidArxivIdError, UnknownPaperError
from paperbot.latex import latex_to_text
from paperbot.messages import MAX_ACTION_BYTES, Button, Card, Reply
from paperbot.query import Query, QueryError, search
from paperbot.query import parse as parse_query
from paperbot.query.ast import (
    And,
    Author,
    Category,
    Field,
    HasCode,
    Like,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Topic,
    Word,
)
from paperbot.relevance.topic import closest_first

SEARCH_SHOWN = 8
INLINE_PAGE = 10
INLINE_MAX = 50
STORED_SCAN = 20_000
_API_FIELD = {Field.ANY: "all", Field.TI: "ti", Field.ABS: "abs", Field.CO: "co"}


async def find_paper(services: Services, text: str) -> Paper:
    """A paper by any id form: from the database, else from arXiv (and then kept)."""
    wanted = parse_arxiv_id(text)
    paper = await services.papers.get(wanted.id)
    if paper is not None:
        return paper
    found = await services.source.lookup([wanted.id])
    if not found:
        raise UnknownPaperError(f"No paper {wanted.id} on arXiv. Check the number, e.g. 2505.14687.")
    await services.papers.save_looked_up(found[0])
    return found[0]


def to_arxiv_search(node: Node) -> str | None:
    """Our query in arXiv's search syntax, for the API; None for what it cannot say.

    ``has:code`` has no arXiv equivalent and is dropped (results are checked again by
    our own matcher only for stored papers). So are the topic terms ``~"..."`` and
    ``like:``: arXiv searches words, not meaning, and searching a topic's words instead
    would answer another question (all of them: too few papers; any: far too many). A
    query of topic terms only is therefore answered from stored papers alone.
    """
    if isinstance(node, Word):
        return f"{_API_FIELD[node.field]}:{node.text}"
    if isinstance(node, Phrase):
        return f'{_API_FIELD[node.field]}:"{" ".join(node.words)}"'
    if isinstance(node, Prefix):
        return f"{_API_FIELD[node.field]}:{node.text}*"
    if isinstance(node, Author):
        return f'au:"{" ".join(node.parts)}"'
    if isinstance(node, Category):
        return f"cat:{node.id}" if "." in node.id or "-" in node.id else f"cat:{node.id}.*"
    if isinstance(node, HasCode | Topic | Like):
        return None
    if isinstance(node, Or):
        parts = [p for p in (to_arxiv_search(c) for c in node.children) if p]
        return f"({' OR '.join(parts)})" if parts else None
    if isinstance(node, And):
        positive = [p for c in node.children if not isinstance(c, Not) and (p := to_arxiv_search(c))]
        negative = [p for c in node.children if isinstance(c, Not) and (p := to_arxiv_search(c.child))]
        if not positive:
            return None
        text = " AND ".join(positive)
        return text + "".join(f" ANDNOT {n}" for n in negative)
    if isinstance(node, Not):
        return None  # arXiv has no standalone NOT
    raise TypeError(f"unknown query node {node!r}")


@dataclass(frozen=True, slots=True)
class Found:
    papers: list[Paper]
    from_arxiv: bool


async def find_papers(services: Services, query: Query, *, limit: int) -> Found:
    """Stored papers that match, newest first (closest first for a topic term); arXiv's own
    search when none are stored."""
    stored = await services.papers.recent(limit=STORED_SCAN)
    hits = [paper for paper, _ in closest_first(await services.topics.search(query, stored))]
    if hits:
        return Found(hits[:limit], from_arxiv=False)
    api_query = to_arxiv_search(query.root)
    if api_query is None:
        return Found([], from_arxiv=False)
    return Found(await services.source.search(api_query, max_results=limit), from_arxiv=True)


def _line(paper: Paper) -> str:
    day = paper.first_announced or (paper.submitted.date() if paper.submitted else None)
    when = f", {day.isoformat()}" if day else ""
    return f"• **{latex_to_text(paper.title)}** ({paper.arxiv_id}, {paper.primary_category}{when})"


async def paper(context: Context, args: str) -> Reply:
    words = args.split()
    with_abstract = "--abstract" in words
    words = [w for w in words if w != "--abstract"]
    if len(words) != 1:
        return Reply(text="Usage: `/paper ID_OR_URL`, e.g. `/paper 2505.14687` or an arxiv.org/abs link.")
    found = await find_paper(context.services, words[0])
    interest = await chat_interest(context.services, context.recipient.id, found)
    card = await paper_card(
        context.services, found, context.recipient.language, with_abstract=with_abstract, interest=interest
    )
    return Reply(cards=(card,))


async def search_command(context: Context, args: str) -> Reply:
    if not args.strip():
        return Reply(text='Usage: `/search QUERY`, e.g. `/search "sparse autoencoder" cat:cs.LG`.')
    stripped = args.strip()
    try:
        parse_arxiv_id(stripped)
    except InvalidArxivIdError:
        pass
    else:
        return await paper(context, stripped)
    query = parse_query(stripped)
    found = await find_papers(context.services, query, limit=SEARCH_SHOWN)
    if not found.papers:
        return Reply(text=f"Nothing found for `{query}`, neither stored nor on arXiv.")
    where = "on arXiv" if found.from_arxiv else "among stored papers"
    lines = [f"Found {where} for `{query}`:"] + [_line(p) for p in found.papers]
    lines.append("Send `/paper ID` for a paper's card.")
    return Reply(text="\n".join(lines))


async def author(context: Context, args: str) -> Reply:
    name = args.strip().strip('"')
    if not name:
        return Reply(text='Usage: `/author NAME`, e.g. `/author Yang Hua` or `/author "Y. Hua"`.')
    query = parse_query(f'au:"{name}"')
    stored = await context.services.papers.recent(limit=STORED_SCAN)
    papers = [p for p, _ in search(query, stored)]
    action = f"subau:{name}"
    buttons: tuple[tuple[Button, ...], ...] = ()
    if len(action.encode()) <= MAX_ACTION_BYTES:
        buttons = ((Button(f"Subscribe to {query}", action=action, command=f"/subscribe {query}"),),)
    if not papers:
        return Reply(text=f"No stored papers by {name} yet.", buttons=buttons)
    per_category = Counter(p.primary_category for p in papers)
    counts = ", ".join(f"{category} {n}" for category, n in per_category.most_common())
    lines = [f"**{len(papers)}** stored paper{'s' if len(papers) != 1 else ''} by {name} ({counts}):"]
    lines += [_line(p) for p in papers[:SEARCH_SHOWN]]
    if len(papers) > SEARCH_SHOWN:
        lines.append(f"and {len(papers) - SEARCH_SHOWN} more: `/search {query}`")
    return Reply(text="\n".join(lines), buttons=buttons)


async def inline_cards(services: Services, text: str, offset: str, language: str) -> tuple[list[Card], str]:
    """Inline mode's cards (``@bot 2505.14687``, ``@bot sparse autoencoder``, ``@bot more:ID``), next offset."""
    from paperbot.commands.relevance import INLINE_MORE_PREFIX, more_cards  # it looks papers up through us

    text = text.strip()
    start = int(offset) if offset.isdigit() else 0
    if not text:
        return [], ""
    if text.lower().startswith(INLINE_MORE_PREFIX):
        return await more_cards(services, text[len(INLINE_MORE_PREFIX) :].strip(), start, language)
    try:
        parse_arxiv_id(text)
    except InvalidArxivIdError:
        pass
    else:
        try:
            return [await paper_card(services, await find_paper(services, text), language)], ""
        except UnknownPaperError:
            return [], ""
    try:
        query = parse_query(text)
    except QueryError:
        return [], ""
    found = await find_papers(services, query, limit=INLINE_MAX)
    page = found.papers[start : start + INLINE_PAGE]
    cards = [await paper_card(services, p, language) for p in page]
    end = start + INLINE_PAGE
    return cards, (str(end) if end < len(found.papers) else "")


async def expand_abstract(context: Context, args: list[str]) -> ActionResult:
    return await _card_action(context, args, with_abstract=True)


async def collapse_abstract(context: Context, args: list[str]) -> ActionResult:
    return await _card_action(context, args, with_abstract=False)


async def _card_action(context: Context, args: list[str], *, with_abstract: bool) -> ActionResult:
    if not args:
        return ActionResult(toast="This button no longer works.")
    found = await find_paper(context.services, ":".join(args))
    interest = await chat_interest(context.services, context.recipient.id, found)
    card = await paper_card(
        context.services, found, context.recipient.language, with_abstract=with_abstract, interest=interest
    )
    return ActionResult(replace=Reply(cards=(card,)))


async def subscribe_author(context: Context, args: list[str]) -> ActionResult:
    from paperbot.commands.subscriptions import subscribe

    reply = await subscribe(context, f'au:"{":".join(args)}"')
    return ActionResult(toast="Subscribed.", send=reply)


COMMANDS = [
    Command(
        "paper",
        "one paper's card: title, authors, summary, links",
        "/paper ID_OR_URL",
        paper,
        examples=("/paper 2505.14687", "/paper https://arxiv.org/abs/hep-th/9901001"),
    ),
    Command(
        "search",
        "search stored papers (then arXiv) with the query language",
        "/search QUERY",
        search_command,
        examples=('/search "sparse autoencoder" cat:cs.LG', "/search quantiz* has:code"),
    ),
    Command(
        "author",
        "an author's papers we know of, with a button to follow them",
        "/author NAME",
        author,
        examples=("/author Yang Hua",),
    ),
]

ACTIONS = [
    Action("abs", expand_abstract),
    Action("card", collapse_abstract),
    Action("subau", subscribe_author, changes_chat=True),
]
