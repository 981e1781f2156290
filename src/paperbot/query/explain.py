"""Which terms of a query hit a paper, and where: the reference matcher.

``explain`` walks the query tree and says, for every term, where it was found. It is
the definition of what a query means; ``compile`` produces the fast yes/no tests the
index uses, and the property tests hold the two to the same answers.
"""

from __future__ import annotations

from functools import lru_cache

from paperbot.query.ast import (
    And,
    Author,
    Category,
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
from paperbot.query.canonical import canonical
from paperbot.query.compile import TEXT_FIELDS, phrase_needles
from paperbot.query.document import PaperDoc
from paperbot.query.hits import FIELD_NAMES, Hit
from paperbot.query.names import author_matches
from paperbot.query.text import plural_key
from paperbot.query.topics import missing

term_of = lru_cache(maxsize=65_536)(canonical)
"""A leaf's canonical text, the ``term`` of its hits."""


def _text_hits(leaf: Word | Phrase | Prefix, doc: PaperDoc) -> list[Hit]:
    term = term_of(leaf)
    hits: list[Hit] = []
    pairs = zip(TEXT_FIELDS[leaf.field], FIELD_NAMES[leaf.field], strict=True)
    for part, name in pairs:
        text = part(doc)
        if isinstance(leaf, Word):
            found = plural_key(leaf.text) in text.words
        elif isinstance(leaf, Phrase):
            needle, compound = phrase_needles(leaf)
            found = compound in text.words or needle in text.sequence
        else:
            found = f" {leaf.text}" in text.raw
        if found:
            hits.append(Hit(term, name, leaf))
    return hits


def explain(node: Node, doc: PaperDoc) -> list[Hit] | None:
    """The hits of a matching query (possibly none, for ``NOT x``), or None if no match.

    Only satisfied branches report hits: in ``(a b) OR c`` a paper with ``a`` and ``c``
    but no ``b`` reports ``c`` only. A word found in both title and abstract gives two
    hits, title first.
    """
    if isinstance(node, Word | Phrase | Prefix):
        return _text_hits(node, doc) or None
    if isinstance(node, Author):
        if any(author_matches(node.parts, author) for author in doc.authors):
            return [Hit(term_of(node), "authors", node)]
        return None
    if isinstance(node, Category):
        return [Hit(term_of(node), "categories", node)] if node.id in doc.categories else None
    if isinstance(node, HasCode):
        return [Hit("has:code", "code", node)] if doc.has_code else None
    if isinstance(node, Topic | Like):
        if doc.topics is None:
            raise missing(node)
        if not doc.topics.close(node):
            return None
        return [Hit(term_of(node), "meaning", node, doc.topics.score(node))]
    if isinstance(node, Not):
        return None if explain(node.child, doc) is not None else []
    if isinstance(node, And):
        hits: list[Hit] = []
        for child in node.children:
            found = explain(child, doc)
            if found is None:
                return None
            hits.extend(found)
        return hits
    assert isinstance(node, Or)
    any_branch = False
    hits = []
    for child in node.children:
        found = explain(child, doc)
        if found is not None:
            any_branch = True
            hits.extend(found)
    return hits if any_branch else None
