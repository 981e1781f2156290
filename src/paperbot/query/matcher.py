"""Does a query match a paper, and why."""

from __future__ import annotations

from paperbot.domain import Paper
from paperbot.query.document import PaperDoc, analyse
from paperbot.query.explain import explain
from paperbot.query.query import Query, as_query
from paperbot.query.result import Match


def match(query: Query | str, paper: Paper | PaperDoc) -> Match | None:
    """Match one query against one paper, with the reasons.

    Pass a ``PaperDoc`` (``analyse(paper)``) when matching a paper against several
    queries, so that it is analysed once.
    """
    doc = paper if isinstance(paper, PaperDoc) else analyse(paper)
    root = as_query(query).root
    hits = explain(root, doc)
    return None if hits is None else Match((root, doc, tuple(hits)))
