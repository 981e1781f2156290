"""``paperbot search QUERY``: one query over stored papers, with what hit."""

from __future__ import annotations

from collections.abc import Iterable

from paperbot.domain import Paper
from paperbot.query.document import analyse
from paperbot.query.matcher import match
from paperbot.query.query import Query, as_query
from paperbot.query.result import Match


def search(query: Query | str, papers: Iterable[Paper]) -> list[tuple[Paper, Match]]:
    """The papers the query matches, in the order given, each with its ``Match``.

    Raises ``QueryError`` before looking at any paper if the query does not parse.
    """
    parsed = as_query(query)
    found: list[tuple[Paper, Match]] = []
    for paper in papers:
        result = match(parsed, analyse(paper))
        if result is not None:
            found.append((paper, result))
    return found


def format_result(paper: Paper, result: Match) -> str:
    """One line for the CLI: ``2505.14687  Title  [diffusion (title); cat:cs.LG (categories)]``."""
    return f"{paper.arxiv_id}  {result.text('title')}  [{result.explain()}]"
