"""Subscriptions that mean what the user typed: query language, matcher, index.

Typical use::

    query = parse('"diffusion model" efficient -survey cat:cs')   # QueryError if not
    str(query)                                  # canonical form, to show back
    match(query, paper)                         # Match (hits, highlights) or None
    index = SubscriptionIndex(TermStats.from_docs(map(analyse, recent_papers)))
    index.add(sub_id, query); index.remove(sub_id)
    for sub_id, result in index.match(paper):   # same as match() for each sub
        result.explain(), result.highlight("title")

See ``parser`` for the grammar and limits, ``text`` for how words are folded, and
``presearch``/``index`` for how matching scales to many subscriptions.
"""

from __future__ import annotations

from paperbot.query.document import PaperDoc, analyse
from paperbot.query.errors import QueryError
from paperbot.query.hits import Hit
from paperbot.query.index import IndexSize, SubscriptionIndex
from paperbot.query.matcher import match
from paperbot.query.parser import MAX_DEPTH, MAX_LENGTH, MAX_TERMS, MIN_PREFIX
from paperbot.query.presearch import TermStats
from paperbot.query.query import Query, parse
from paperbot.query.result import Match
from paperbot.query.search import format_result, search

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_TERMS",
    "MIN_PREFIX",
    "Hit",
    "IndexSize",
    "Match",
    "PaperDoc",
    "Query",
    "QueryError",
    "SubscriptionIndex",
    "TermStats",
    "analyse",
    "format_result",
    "match",
    "parse",
    "search",
]
