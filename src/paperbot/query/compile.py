"""A query turned into closures over an analysed paper: a yes/no test and an explainer.

The subscription index evaluates thousands of candidate queries per paper, so this
path avoids everything the reference matcher (``matcher.explain``) does per call:
keys, needles and even the ``Hit`` objects are computed once, when the query is
compiled; several plain words that must all be present become one C-level
``frozenset`` subset test. The property tests hold both to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from paperbot.query.ast import (
    And,
    Author,
    Category,
    Field,
    HasCode,
    Leaf,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Word,
)
from paperbot.query.canonical import canonical
from paperbot.query.document import FieldText, PaperDoc
from paperbot.query.names import author_matches
from paperbot.query.result import FIELD_NAMES, Hit, Match
from paperbot.query.text import plural_key, plural_keys

Predicate = Callable[[PaperDoc], bool]
Hits = tuple[Hit, ...]
Explainer = Callable[[PaperDoc], Hits | None]

TEXT_FIELDS: dict[Field, tuple[Callable[[PaperDoc], FieldText], ...]] = {
    Field.ANY: (lambda d: d.title, lambda d: d.abstract),
    Field.TI: (lambda d: d.title,),
    Field.ABS: (lambda d: d.abstract,),
    Field.CO: (lambda d: d.comment,),
}
"""The parts of a paper a text field stands for, in the order of ``FIELD_NAMES``."""

_term = lru_cache(maxsize=65_536)(canonical)


def phrase_needles(phrase: Phrase) -> tuple[str, str]:
    """The padded key sequence to find, and the closed compound that also counts."""
    keys = plural_keys(list(phrase.words))
    return f" {' '.join(keys)} ", plural_key("".join(phrase.words))


def _words_of(field: Field) -> Callable[[PaperDoc], frozenset[str]]:
    if field is Field.ANY:
        return lambda d: d.any_words
    if field is Field.TI:
        return lambda d: d.title.words
    if field is Field.ABS:
        return lambda d: d.abstract.words
    return lambda d: d.comment.words


def _in_part(leaf: Word | Phrase | Prefix) -> Callable[[FieldText], bool]:
    """Whether the leaf is found in one text field of a paper."""
    if isinstance(leaf, Word):
        key = plural_key(leaf.text)
        return lambda text: key in text.words
    if isinstance(leaf, Phrase):
        needle, compound = phrase_needles(leaf)
        if len(leaf.words) == 2:
            pair = needle.strip()
            return lambda text: pair in text.pairs or compound in text.words
        return lambda text: compound in text.words or needle in text.sequence
    start = f" {leaf.text}"
    return lambda text: start in text.raw


def _text_leaf(leaf: Word | Phrase | Prefix) -> tuple[Predicate, Explainer]:
    found = _in_part(leaf)
    term = _term(leaf)
    if leaf.field is Field.ANY:
        in_title = (Hit(term, "title", leaf),)
        in_abstract = (Hit(term, "abstract", leaf),)
        in_both = in_title + in_abstract
        if isinstance(leaf, Word):
            key = plural_key(leaf.text)

            def predicate(d: PaperDoc) -> bool:
                return key in d.any_words
        elif isinstance(leaf, Phrase) and len(leaf.words) == 2:
            needle, compound = phrase_needles(leaf)
            pair = needle.strip()

            def predicate(d: PaperDoc) -> bool:
                return pair in d.any_pairs or compound in d.any_words
        else:

            def predicate(d: PaperDoc) -> bool:
                return found(d.title) or found(d.abstract)

        def explain(d: PaperDoc) -> Hits | None:
            if found(d.title):
                return in_both if found(d.abstract) else in_title
            return in_abstract if found(d.abstract) else None

        return predicate, explain
    (part,) = TEXT_FIELDS[leaf.field]
    (name,) = FIELD_NAMES[leaf.field]
    hits = (Hit(term, name, leaf),)

    def single(d: PaperDoc) -> bool:
        return found(part(d))

    return single, lambda d: hits if found(part(d)) else None


def _fixed(leaf: Leaf, name: str, predicate: Predicate) -> tuple[Predicate, Explainer]:
    hits = (Hit(_term(leaf), name, leaf),)
    return predicate, lambda d: hits if predicate(d) else None


def _author(node: Author) -> Predicate:
    parts = node.parts
    full = frozenset(part for part in parts if len(part) > 1)
    return lambda d: not full.isdisjoint(d.author_words) and any(
        author_matches(parts, author) for author in d.authors
    )


def _and(node: And) -> tuple[Predicate, Explainer]:
    compiled = [_compile(child) for child in node.children]
    by_field: dict[Field, set[str]] = {}
    checks: list[Predicate] = []
    for child, (predicate, _) in zip(node.children, compiled, strict=True):
        if isinstance(child, Word):
            by_field.setdefault(child.field, set()).add(plural_key(child.text))
        else:
            checks.append(predicate)
    for field, keys in by_field.items():
        required = frozenset(keys)
        words = _words_of(field)
        # Plain words first: one subset test rules out most candidates at once.
        checks.insert(0, lambda d, required=required, words=words: required <= words(d))
    explainers = [explain for _, explain in compiled]
    predicate = _all(checks)

    def explain(d: PaperDoc) -> Hits | None:
        if not predicate(d):
            return None
        hits: Hits = ()
        for child in explainers:
            found = child(d)
            assert found is not None
            hits += found
        return hits

    return predicate, explain


def _or(node: Or) -> tuple[Predicate, Explainer]:
    compiled = [_compile(child) for child in node.children]
    predicate = _any([predicate for predicate, _ in compiled])
    explainers = [explain for _, explain in compiled]

    def explain(d: PaperDoc) -> Hits | None:
        hits: Hits = ()
        matched = False
        for child in explainers:
            found = child(d)
            if found is not None:
                matched = True
                hits += found
        return hits if matched else None

    return predicate, explain


def _all(checks: list[Predicate]) -> Predicate:
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda d: first(d) and second(d)
    return lambda d: all(check(d) for check in checks)


def _any(checks: list[Predicate]) -> Predicate:
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda d: first(d) or second(d)
    return lambda d: any(check(d) for check in checks)


def _compile(node: Node) -> tuple[Predicate, Explainer]:
    if isinstance(node, Word | Phrase | Prefix):
        return _text_leaf(node)
    if isinstance(node, Author):
        return _fixed(node, "authors", _author(node))
    if isinstance(node, Category):
        category = node.id
        return _fixed(node, "categories", lambda d: category in d.categories)
    if isinstance(node, HasCode):
        return _fixed(node, "code", lambda d: d.has_code)
    if isinstance(node, Not):
        inner, _ = _compile(node.child)
        return (lambda d: not inner(d)), (lambda d: None if inner(d) else ())
    if isinstance(node, And):
        return _and(node)
    return _or(node)


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """A query ready to be evaluated many times.

    ``required`` holds the title-or-abstract words the query needs in any case: the
    index tests them (one C-level subset test) before calling anything. When the query
    is nothing but those words (``pure``), passing that test is a match, and
    ``hits_if_matched`` reports it without testing again.
    """

    matches: Predicate
    explain: Explainer
    required: frozenset[str]
    hits_if_matched: Callable[[PaperDoc], Hits] | None

    def match(self, doc: PaperDoc) -> Match | None:
        """Same answer as ``matcher.match(query, doc)``."""
        hits = self.explain(doc)
        return None if hits is None else Match(hits, doc)


def _plain_words(node: Node) -> tuple[list[Word], bool]:
    """The title-or-abstract words a query requires, and whether that is all it says."""
    children = node.children if isinstance(node, And) else (node,)
    plain = [c for c in children if isinstance(c, Word) and c.field is Field.ANY]
    return plain, len(plain) == len(children)


def _word_hits(words: list[Word]) -> Callable[[PaperDoc], Hits]:
    table = []
    for word in words:
        term = _term(word)
        in_title, in_abstract = Hit(term, "title", word), Hit(term, "abstract", word)
        table.append(
            (plural_key(word.text), (in_title, in_abstract), (in_title,), (in_abstract,))
        )

    def hits(d: PaperDoc) -> Hits:
        title, abstract = d.title.words, d.abstract.words
        found: Hits = ()
        for key, both, only_title, only_abstract in table:
            if key in title:
                found += both if key in abstract else only_title
            else:
                found += only_abstract
        return found

    return hits


def compile_query(node: Node) -> CompiledQuery:
    predicate, explain = _compile(node)
    words, pure = _plain_words(node)
    required = frozenset(plural_key(word.text) for word in words)
    return CompiledQuery(predicate, explain, required, _word_hits(words) if pure else None)
