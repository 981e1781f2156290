"""A query turned into a plain yes/no test over an analysed paper.

The subscription index verifies hundreds of candidate queries per paper, so this
path avoids what the reference matcher (``explain``) does per call: keys and needles
are computed once, when the query is compiled, and several plain words that must all
be present become one C-level ``frozenset`` subset test. The closures stay few and
small, since 100,000 of them live in memory. The property tests hold this and the
reference to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from paperbot.query.ast import (
    And,
    Author,
    Category,
    Field,
    HasCode,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Word,
)
from paperbot.query.document import FieldText, PaperDoc
from paperbot.query.names import author_matches, could_match
from paperbot.query.text import plural_key, plural_keys

Predicate = Callable[[PaperDoc], bool]

TEXT_FIELDS: dict[Field, tuple[Callable[[PaperDoc], FieldText], ...]] = {
    Field.ANY: (lambda d: d.title, lambda d: d.abstract),
    Field.TI: (lambda d: d.title,),
    Field.ABS: (lambda d: d.abstract,),
    Field.CO: (lambda d: d.comment,),
}
"""The parts of a paper a text field stands for, in the order of ``hits.FIELD_NAMES``."""


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


def _word(node: Word) -> Predicate:
    key = plural_key(node.text)
    words = _words_of(node.field)
    if node.field is Field.ANY:
        return lambda d: key in d.any_words
    return lambda d: key in words(d)


def _phrase(node: Phrase) -> Predicate:
    needle, compound = phrase_needles(node)
    words = _words_of(node.field)
    if len(node.words) == 2:
        # Two words: the paper's set of adjacent pairs answers without a text search.
        first, second = needle.split()
        pair = (first, second)
        if node.field is Field.ANY:
            return lambda d: pair in d.any_pairs or compound in d.any_words
        (part,) = TEXT_FIELDS[node.field]
        return lambda d: pair in part(d).pairs or compound in words(d)
    if node.field is Field.ANY:
        return lambda d: compound in d.any_words or needle in d.title.sequence or needle in d.abstract.sequence
    (part,) = TEXT_FIELDS[node.field]
    return lambda d: compound in words(d) or needle in part(d).sequence


def _prefix(node: Prefix) -> Predicate:
    start = f" {node.text}"
    if node.field is Field.ANY:
        return lambda d: start in d.title.raw or start in d.abstract.raw
    (part,) = TEXT_FIELDS[node.field]
    return lambda d: start in part(d).raw


def _author(node: Author) -> Predicate:
    parts = node.parts
    full = tuple(dict.fromkeys(part for part in parts if len(part) > 1))
    if len(parts) == 1:
        # One name part pairs only with an equal full part (an initial alone never
        # matches), so the paper's set of full parts answers.
        (only,) = full
        return lambda d: only in d.author_words

    def test(d: PaperDoc) -> bool:
        by_part = d.authors_by_part
        for part in full:
            for author in by_part.get(part, ()):
                if could_match(parts, author) and author_matches(parts, author.parts):
                    return True
        return False

    return test


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


def _grouped(children: tuple[Node, ...], conjunction: bool) -> list[Predicate]:
    """Children's tests, with plain words of one field merged into one set test."""
    by_field: dict[Field, set[str]] = {}
    checks: list[Predicate] = []
    for child in children:
        if isinstance(child, Word):
            by_field.setdefault(child.field, set()).add(plural_key(child.text))
        else:
            checks.append(compile_node(child))
    for field, keys in by_field.items():
        checks.insert(0, _word_group(frozenset(keys), _words_of(field), conjunction))
    return checks


def _word_group(group: frozenset[str], words: Callable[[PaperDoc], frozenset[str]], conjunction: bool) -> Predicate:
    if conjunction:
        return lambda d: group <= words(d)
    return lambda d: not group.isdisjoint(words(d))


def compile_node(node: Node) -> Predicate:
    """A fast test equivalent to ``explain.explain(node, doc) is not None``."""
    if isinstance(node, Word):
        return _word(node)
    if isinstance(node, Phrase):
        return _phrase(node)
    if isinstance(node, Prefix):
        return _prefix(node)
    if isinstance(node, Author):
        return _author(node)
    if isinstance(node, Category):
        category = node.id
        return lambda d: category in d.categories
    if isinstance(node, HasCode):
        return lambda d: d.has_code
    if isinstance(node, Not):
        inner = compile_node(node.child)
        return lambda d: not inner(d)
    if isinstance(node, And):
        return _all(_grouped(node.children, conjunction=True))
    return _any(_grouped(node.children, conjunction=False))


_EXACT_FIELDS = (Field.ANY, Field.TI, Field.CO)


def is_exact(node: Node) -> bool:
    """Whether finding one of the query's index keys in a paper is itself a match.

    True for a word, a two-word phrase (filed under its pair and its compound), a
    prefix, a category, ``has:code``, a one-part author, and an OR of those: the index then
    skips verification. ``abs:`` terms are filed under title-or-abstract keys, so
    they are never exact.
    """
    if isinstance(node, Or):
        return all(is_exact(child) for child in node.children)
    if isinstance(node, Word):
        return node.field in _EXACT_FIELDS
    if isinstance(node, Phrase):
        return len(node.words) == 2 and node.field in _EXACT_FIELDS
    if isinstance(node, Author):
        return len(node.parts) == 1
    # A prefix is reached only through a word that starts with it (the index checks).
    return isinstance(node, Prefix | Category | HasCode)


def _excluded_word(node: Node) -> str | None:
    """The key of ``NOT word`` (title or abstract), the commonest exclusion."""
    if isinstance(node, Not) and isinstance(node.child, Word) and node.child.field is Field.ANY:
        return plural_key(node.child.text)
    return None


@dataclass(frozen=True, slots=True)
class Stages:
    """A query split into tests of increasing cost, for the index.

    ``words`` (plain title-or-abstract words) must all be in the paper, ``excluded``
    (words after NOT) none of them, ``categories`` all among the paper's; these are
    C-level set tests. ``rest`` tests everything else, or is None when the sets are
    the whole query (``efficient diffusion model``, ``llm cat:cs.CL -survey``).
    """

    words: frozenset[str]
    excluded: frozenset[str]
    categories: frozenset[str]
    rest: Predicate | None


def split_stages(node: Node) -> Stages:
    children = node.children if isinstance(node, And) else (node,)
    words: set[str] = set()
    excluded: set[str] = set()
    categories: set[str] = set()
    others: list[Predicate] = []
    for child in children:
        if isinstance(child, Word) and child.field is Field.ANY:
            words.add(plural_key(child.text))
        elif (key := _excluded_word(child)) is not None:
            excluded.add(key)
        elif isinstance(child, Category):
            categories.add(child.id)
        else:
            others.append(compile_node(child))
    return Stages(
        frozenset(words),
        frozenset(excluded),
        frozenset(categories),
        _all(others) if others else None,
    )
