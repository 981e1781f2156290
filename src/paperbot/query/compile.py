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
    Like,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Topic,
    TopicLeaf,
    Word,
)
from paperbot.query.document import FieldText, PaperDoc
from paperbot.query.names import author_matches, could_match, name_keys
from paperbot.query.text import plural_key, plural_keys
from paperbot.query.topics import missing

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


# One closure per field rather than one calling ``_words_of``'s: a Python call less
# per test, and these are most of the tests the index runs.
def _word(node: Word) -> Predicate:
    key = plural_key(node.text)
    if node.field is Field.ANY:
        return lambda d: key in d.any_words
    if node.field is Field.TI:
        return lambda d: key in d.title.words
    if node.field is Field.ABS:
        return lambda d: key in d.abstract.words
    return lambda d: key in d.comment.words


def _phrase(node: Phrase) -> Predicate:
    # The padded key sequence holds the phrase exactly when its keys are adjacent in
    # the field (keys have no spaces), so one substring search answers; papers then
    # need no set of pairs, which would cost more to build than the searches. Most
    # papers lack one of the words, which a set test tells before searching.
    needle, compound = phrase_needles(node)
    needs = frozenset(needle.split())
    if node.field is Field.ANY:
        return lambda d: compound in d.any_words or (needs <= d.any_words and needle in d.any_sequence)
    (part,) = TEXT_FIELDS[node.field]

    def test(d: PaperDoc) -> bool:
        text = part(d)
        return compound in text.words or (needs <= text.words and needle in text.sequence)

    return test


def _prefix(node: Prefix) -> Predicate:
    start = f" {node.text}"
    if node.field is Field.ANY:
        return lambda d: start in d.any_raw
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

    # Only authors with one of the name's keys can match (see names.name_pair): a
    # C-level set test per author rules out nearly all of them.
    keys = name_keys(parts)

    def test(d: PaperDoc) -> bool:
        for author in d.author_names:
            if not keys.isdisjoint(author.pairs) and could_match(parts, author) and author_matches(parts, author.parts):
                return True
        return False

    return test


def _topic(node: TopicLeaf) -> Predicate:
    def test(d: PaperDoc) -> bool:
        if d.topics is None:
            raise missing(node)
        return d.topics.close(node)

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
    """Children's tests, with plain words of one field merged into one set test; in an
    OR, phrases join it too (their compound in the set, their sequence searched after)."""
    by_field: dict[Field, set[str]] = {}
    needles: dict[Field, list[str]] = {}
    checks: list[Predicate] = []
    for child in children:
        if isinstance(child, Word):
            by_field.setdefault(child.field, set()).add(plural_key(child.text))
        elif isinstance(child, Phrase) and not conjunction:
            needle, compound = phrase_needles(child)
            by_field.setdefault(child.field, set()).add(compound)
            needles.setdefault(child.field, []).append(needle)
        else:
            checks.append(compile_node(child))
    groups = [
        _word_group(frozenset(keys), field, tuple(needles.get(field, ())), conjunction)
        for field, keys in by_field.items()
    ]
    return groups + checks


def _word_group(group: frozenset[str], field: Field, needles: tuple[str, ...], conjunction: bool) -> Predicate:
    if conjunction:
        if field is Field.ANY:
            return lambda d: group <= d.any_words
        words = _words_of(field)
        return lambda d: group <= words(d)
    if field is Field.ANY and not needles:
        return lambda d: not group.isdisjoint(d.any_words)
    # Phrases, each with the words it needs, to search only when they are there.
    phrases = tuple((needle, frozenset(needle.split())) for needle in needles)
    if field is Field.ANY:

        def test(d: PaperDoc) -> bool:
            words = d.any_words
            if not group.isdisjoint(words):
                return True
            for needle, needs in phrases:  # noqa: SIM110 - any() of a generator costs more
                if needs <= words and needle in d.any_sequence:
                    return True
            return False

        return test
    (part,) = TEXT_FIELDS[field]

    def field_test(d: PaperDoc) -> bool:
        text = part(d)
        if not group.isdisjoint(text.words):
            return True
        return any(needs <= text.words and needle in text.sequence for needle, needs in phrases)

    return field_test


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
    if isinstance(node, Topic | Like):
        return _topic(node)
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
    # A topic term has no key at all: it is always verified.
    return isinstance(node, Prefix | Category | HasCode)


def _excluded_word(node: Node) -> str | None:
    """The key of ``NOT word`` (title or abstract), the commonest exclusion."""
    if isinstance(node, Not) and isinstance(node.child, Word) and node.child.field is Field.ANY:
        return plural_key(node.child.text)
    return None


@dataclass(frozen=True, slots=True)
class Stages:
    """A conjunction split into tests of increasing cost, for the index.

    ``words`` (plain title-or-abstract words) must all be in the paper, ``excluded``
    (words after NOT) none of them, ``categories`` all among the paper's; these are
    C-level set tests. ``phrase`` is a title-or-abstract phrase's (needle, compound),
    two C-level tests without a call. ``rest`` tests everything else, or is None
    when the stages before are the whole query (``efficient diffusion model``,
    ``"state space" cat:cs.LG -survey``).
    """

    words: frozenset[str]
    excluded: frozenset[str]
    categories: frozenset[str]
    phrase: tuple[str, str] | None
    rest: Predicate | None

    @property
    def empty(self) -> bool:
        return not (self.words or self.excluded or self.categories or self.phrase or self.rest)


def split_stages(children: tuple[Node, ...]) -> Stages:
    """The stages of the AND of ``children``."""
    words: set[str] = set()
    excluded: set[str] = set()
    categories: set[str] = set()
    phrase: tuple[str, str] | None = None
    others: list[Predicate] = []
    for child in children:
        if isinstance(child, Word) and child.field is Field.ANY:
            words.add(plural_key(child.text))
        elif (key := _excluded_word(child)) is not None:
            excluded.add(key)
        elif isinstance(child, Category):
            categories.add(child.id)
        elif isinstance(child, Phrase) and child.field is Field.ANY and phrase is None:
            phrase = phrase_needles(child)
        else:
            others.append(compile_node(child))
    return Stages(
        frozenset(words),
        frozenset(excluded),
        frozenset(categories),
        phrase,
        _all(others) if others else None,
    )
