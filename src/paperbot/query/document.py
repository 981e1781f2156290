"""A paper analysed once for matching: every field's words, ready for set lookups.

Matching a day's papers against many subscriptions means the same paper is asked
thousands of questions; all of them are answered from this structure with hash
lookups and substring searches in C, never by re-reading the text:

* ``words``: the plural keys of a field, plus closed hyphen compounds; a word query
  is one set membership test.
* ``keys``: the keys in order; the index looks up each two adjacent ones (``("state",
  "space")``) to file a phrase under its rarest pair rather than its rarest word.
* ``sequence``: the keys space-separated and space-padded; a phrase is one substring
  test (``" large language model " in sequence``), or one membership test in
  ``pairs`` (each two adjacent keys) for the few callers that want a set.
* ``raw``: the words before plural folding, likewise; a prefix query is one substring
  test (``" quantiz" in raw``), so ``transformers*`` still finds "transformers";
  ``raw_words`` are the same words, for the index to look words and prefixes up by.

Analysing a whole day's papers is part of the matcher's time budget, so only what
every paper needs (words, keys) is built up front; the text as shown, the strings and
the pair sets are built when first read, which for most papers is never or once.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

from paperbot import taxonomy
from paperbot.domain import Paper
from paperbot.query.latex import strip_latex
from paperbot.query.names import AuthorName
from paperbot.query.text import (
    closed_compounds,
    fold_shown,
    name_parts,
    plural_keys,
    split_words,
)
from paperbot.query.topics import TopicScores


def _is_plain(text: str) -> bool:
    """ASCII text on which ``strip_latex`` only tidies whitespace, which splitting
    into words ignores: its words can be taken from the text as it is."""
    # What strip_latex acts on besides whitespace (see latex._NEEDS_WORK); a search
    # for one character runs at memory speed, a generator over them would not.
    return (
        text.isascii()
        and "\\" not in text
        and "$" not in text
        and "{" not in text
        and "}" not in text
        and "^" not in text
        and "_" not in text
        and "~" not in text
    )


class FieldText:
    """One text field of a paper, as matched; and as shown (``text``), built on demand.

    Read-only by convention (the index relies on a document not changing; the
    lists are not copied into tuples, which would cost a little time). Slots,
    and properties for what is built on demand, rather than ``cached_property``:
    that would give instances a ``__dict__`` some of the time, and reading any
    attribute of such objects is several times slower than reading a slot.
    """

    __slots__ = ("_pairs", "_raw", "_sequence", "_text", "keys", "raw_words", "source", "words")

    def __init__(
        self,
        source: str,
        keys: list[str],
        words: frozenset[str],
        raw_words: list[str],
        shown: str | None = None,
    ) -> None:
        self.source = source
        self.keys = keys
        self.words = words
        self.raw_words = raw_words
        self._text = shown  # when computed already, on the way to the words
        self._sequence: str | None = None
        self._pairs: frozenset[tuple[str, str]] | None = None
        self._raw: str | None = None

    @property
    def text(self) -> str:
        """The field as shown: LaTeX stripped, whitespace tidied."""
        if self._text is None:
            self._text = strip_latex(self.source)
        return self._text

    @property
    def sequence(self) -> str:
        if self._sequence is None:
            self._sequence = f" {' '.join(self.keys)} "
        return self._sequence

    @property
    def pairs(self) -> frozenset[tuple[str, str]]:
        if self._pairs is None:
            self._pairs = frozenset(itertools.pairwise(self.keys))
        return self._pairs

    @property
    def raw(self) -> str:
        if self._raw is None:
            self._raw = f" {' '.join(self.raw_words)} "
        return self._raw


EMPTY_FIELD = FieldText("", [], frozenset(), [], shown="")
EMPTY_FIELD._sequence = EMPTY_FIELD._raw = " "


def analyse_text(text: str | None) -> FieldText:
    """Strip LaTeX, fold, split and key one field."""
    if not text:
        return EMPTY_FIELD
    # Most titles and abstracts are plain ASCII; for them the shown text (a split
    # and join of the whole text) waits until a match is displayed.
    shown = None if _is_plain(text) else strip_latex(text)
    normal = fold_shown(text if shown is None else shown)
    raw = split_words(normal)
    keys = plural_keys(raw)
    compounds = closed_compounds(normal)
    if compounds:
        words = frozenset(keys + plural_keys(compounds))
        raw.extend(compounds)
    else:
        words = frozenset(keys)
    return FieldText(text, keys, words, raw, shown)


@lru_cache(maxsize=65_536)
def _author_name(name: str) -> AuthorName:
    return AuthorName.of(name_parts(name))


@lru_cache(maxsize=4_096)
def category_keys(categories: tuple[str, ...]) -> frozenset[str]:
    """Every id a ``cat:`` term may name to hit these categories: aliases and archives too."""
    keys: set[str] = set()
    for category in categories:
        for same in taxonomy.equivalents(category):
            keys.add(same)
            keys.add(taxonomy.archive_of(same))
    return frozenset(keys)


class PaperDoc:
    """A paper with its fields analysed; build it with ``analyse``. Read-only by
    convention; slots and properties as in ``FieldText``."""

    __slots__ = (
        "_any_pairs",
        "_any_raw",
        "_any_sequence",
        "abstract",
        "any_words",
        "author_names",
        "author_pairs",
        "author_words",
        "categories",
        "comment",
        "has_code",
        "paper",
        "title",
        "topics",
    )

    def __init__(
        self,
        paper: Paper,
        title: FieldText,
        abstract: FieldText,
        comment: FieldText,
        names: tuple[AuthorName, ...],
        topics: TopicScores | None = None,
    ) -> None:
        self.paper = paper
        # Scores for topic terms (~"...", like:), when the caller computed them.
        self.topics = topics
        self.title = title
        self.abstract = abstract
        self.comment = comment
        self.any_words = title.words | abstract.words
        self.author_names = names
        # Full name parts only: an author query needs one in common (see names).
        self.author_words: frozenset[str] = frozenset().union(*[name.full for name in names])
        self.author_pairs: frozenset[str] = frozenset().union(*[name.pairs for name in names])
        self.categories = category_keys(paper.categories)
        self.has_code = bool(paper.code_links)
        self._any_sequence: str | None = None
        self._any_raw: str | None = None
        self._any_pairs: frozenset[tuple[str, str]] | None = None

    @property
    def any_sequence(self) -> str:
        """Title and abstract ``sequence``s end to end; the double space between them
        keeps a phrase from running from one into the other."""
        if self._any_sequence is None:
            self._any_sequence = self.title.sequence + self.abstract.sequence
        return self._any_sequence

    @property
    def any_raw(self) -> str:
        """Title and abstract ``raw`` end to end, likewise."""
        if self._any_raw is None:
            self._any_raw = self.title.raw + self.abstract.raw
        return self._any_raw

    @property
    def any_pairs(self) -> frozenset[tuple[str, str]]:
        """Adjacent keys of the title or the abstract (not across the two)."""
        if self._any_pairs is None:
            self._any_pairs = self.title.pairs | self.abstract.pairs
        return self._any_pairs

    @property
    def authors(self) -> tuple[tuple[str, ...], ...]:
        """Each author's name parts."""
        return tuple(name.parts for name in self.author_names)


def analyse(paper: Paper, topics: TopicScores | None = None) -> PaperDoc:
    """Analyse a paper once; match it against any number of queries afterwards.

    ``topics``: its scores for the topic terms of the queries it will meet (see
    ``query.topics``); without them a query with a topic term cannot be matched.
    """
    return PaperDoc(
        paper,
        analyse_text(paper.title),
        analyse_text(paper.abstract),
        analyse_text(paper.comment),
        tuple(map(_author_name, paper.authors)),
        topics,
    )
