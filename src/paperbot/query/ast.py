"""The parsed form of a query: small immutable nodes.

Nodes compare by meaning, not by where they were typed: ``column`` (1-based position
in the typed text, kept for messages) is excluded from equality, so that
``parse(canonical(q)) == q`` can hold. Text in the nodes is already folded (lower
case, no accents); plural folding happens at match time (``text.plural_key``) so
that the canonical form shows words as the user typed them.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass


class Field(enum.StrEnum):
    """Where a word or phrase is looked for.

    ``ANY`` (no prefix typed) is title or abstract: the comment and the authors are
    left out on purpose, since a subscription to a topic should not fire on
    "Accepted at the Workshop on X" or on an author named like the topic.
    """

    ANY = "any"
    TI = "ti"
    ABS = "abs"
    CO = "co"


@dataclass(frozen=True, slots=True)
class Word:
    """One word, whole-word and plural-folded: ``model`` also finds ``models``."""

    field: Field
    text: str
    column: int | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Phrase:
    """Consecutive words: ``"state space"``; also what ``state-space`` means."""

    field: Field
    words: tuple[str, ...]
    column: int | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Prefix:
    """Words starting with ``text`` (before plural folding): ``quantiz*``."""

    field: Field
    text: str
    column: int | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Author:
    """An author, by name parts; one-letter parts are initials."""

    parts: tuple[str, ...]
    column: int | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Category:
    """A category (``cs.LG``) or a whole archive (``cs``), primary or cross-listed."""

    id: str
    column: int | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class HasCode:
    """The paper links to code (``has:code``)."""

    column: int | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Topic:
    """Papers close in meaning to free text: ``~"speeding up language model inference"``.

    Not a word test: whether a paper matches depends on a similarity computed before
    matching (``query.topics.TopicScores``). ``text`` is lower case with its
    whitespace collapsed, as it is embedded.
    """

    text: str
    column: int | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Like:
    """Papers close to any of these papers: ``like:2411.17712,2405.01234``.

    ``ids`` are arXiv ids without version, sorted and distinct, so that the order typed
    does not make two queries differ.
    """

    ids: tuple[str, ...]
    column: int | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    child: Node
    column: int | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


Leaf = Word | Phrase | Prefix | Author | Category | HasCode | Topic | Like
Node = Leaf | Not | And | Or
TopicLeaf = Topic | Like
"""The terms matched by similarity rather than by words."""

LEAF_TYPES = (Word, Phrase, Prefix, Author, Category, HasCode, Topic, Like)


def leaves(node: Node) -> list[Leaf]:
    """Every leaf, in the order typed."""
    if isinstance(node, And | Or):
        return [leaf for child in node.children for leaf in leaves(child)]
    if isinstance(node, Not):
        return leaves(node.child)
    return [node]


def topic_leaves(node: Node) -> list[TopicLeaf]:
    """The topic terms (``~"..."``, ``like:``) of a query, in the order typed."""
    return [leaf for leaf in leaves(node) if isinstance(leaf, Topic | Like)]
