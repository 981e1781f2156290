"""Author names that match although written differently.

arXiv lists "Y. Hua", "Yang Hua" or "Hua Yang" for the same person depending on the
paper, and Chinese, Japanese and Hungarian names come in either order. A query name
matches an author when every part of the query can be paired with a different part
of the author's name, in any order, where a part pairs with an equal part or an
initial with a part it begins; and at least one pair must be two equal full parts,
so that initials alone never match.
"""

from __future__ import annotations

from typing import NamedTuple


class AuthorName(NamedTuple):
    """An author's name parts with the sets that rule most query names out quickly."""

    parts: tuple[str, ...]
    full: frozenset[str]  # parts longer than one letter
    letters: frozenset[str]  # first letters of all parts
    initials: frozenset[str]  # one-letter parts
    pairs: frozenset[str]  # name_pair of each full part with each other part

    @classmethod
    def of(cls, parts: tuple[str, ...]) -> AuthorName:
        return cls(
            parts,
            frozenset(part for part in parts if len(part) > 1),
            frozenset(part[0] for part in parts),
            frozenset(part for part in parts if len(part) == 1),
            frozenset(
                name_pair(part, other)
                for i, part in enumerate(parts)
                if len(part) > 1
                for j, other in enumerate(parts)
                if j != i
            ),
        )


def name_pair(full: str, other: str) -> str:
    """``"hua y"``: a full name part and the first letter of another part of the name.

    A query name of several parts matches an author only if one of its full parts
    equals one of the author's and each other part pairs with another of the
    author's parts, which starts with the same letter (``_pairs``). So the author
    has ``name_pair(full, other)`` for some full query part and any other query
    part: keys far rarer than the parts alone (a paper has many a "yang" or "liu",
    few a "yang l"), under which the index files names (``presearch``).
    """
    return f"{full} {other[0]}"


def name_keys(query: tuple[str, ...]) -> frozenset[str]:
    """``name_pair``s one of which every author a query name of several parts matches
    has: each full part of the query with the next part's initial."""
    return frozenset(name_pair(part, query[(i + 1) % len(query)]) for i, part in enumerate(query) if len(part) > 1)


def could_match(query: tuple[str, ...], author: AuthorName) -> bool:
    """A necessary condition for ``author_matches``: each query part has some partner.

    Cheap set lookups that settle most non-matches (an author who shares a first name
    with the query) before the pairing search.
    """
    for part in query:
        if len(part) == 1:
            if part not in author.letters:
                return False
        elif part not in author.full and part[0] not in author.initials:
            return False
    return True


def _pairs(query_part: str, author_part: str) -> bool:
    if query_part == author_part:
        return True
    if len(query_part) == 1:
        return author_part.startswith(query_part)
    return len(author_part) == 1 and query_part.startswith(author_part)


def author_matches(query: tuple[str, ...], author: tuple[str, ...]) -> bool:
    """``("yang", "hua")`` matches ``("y", "hua")`` and ``("hua", "yang")``, not ``("yang", "liu")``."""
    if len(query) > len(author):
        return False
    return _assign(query, 0, author, [False] * len(author), False)


def _assign(query: tuple[str, ...], index: int, author: tuple[str, ...], used: list[bool], exact: bool) -> bool:
    # Names have a handful of parts, so trying every pairing costs nothing.
    if index == len(query):
        return exact
    part = query[index]
    for slot, candidate in enumerate(author):
        if used[slot] or not _pairs(part, candidate):
            continue
        used[slot] = True
        full_match = part == candidate and len(part) > 1
        if _assign(query, index + 1, author, used, exact or full_match):
            return True
        used[slot] = False
    return False
