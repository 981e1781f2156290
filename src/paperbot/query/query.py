"""A parsed query: its tree and the canonical text it prints as."""

from __future__ import annotations

from dataclasses import dataclass, field

from paperbot.query.ast import Node
from paperbot.query.canonical import canonical
from paperbot.query.parser import parse_node


@dataclass(frozen=True, slots=True)
class Query:
    """A subscription's query, parsed once and matched many times.

    Two queries are equal when they mean the same tree; ``str(query)`` is the
    canonical form, and ``parse(str(query)) == query``.
    """

    root: Node
    text: str = field(compare=False)

    def __str__(self) -> str:
        return self.text


def parse(text: str) -> Query:
    """Parse what a user typed; raises ``QueryError`` with a one-line message otherwise."""
    root = parse_node(text)
    return Query(root, canonical(root))


def as_query(query: Query | str) -> Query:
    return query if isinstance(query, Query) else parse(query)
