"""A paper analysed once for matching: every field's words, ready for set lookups.

Matching a day's papers against many subscriptions means the same paper is asked
thousands of questions; all of them are answered from this structure with hash
lookups and substring searches in C, never by re-reading the text:

* ``words``: the plural keys of a field, plus closed hyphen compounds; a word query
  is one set membership test.
* ``pairs``: each two adjacent keys (``"state space"``); a two-word phrase, the
  commonest kind, is one set membership test, and the index can file phrases under
  their rarest pair instead of their rarest word, which is far more selective.
* ``sequence``: the keys in order, space-separated and space-padded; a longer phrase
  is one substring test (``" large language model " in sequence``).
* ``raw``: the words before plural folding, likewise; a prefix query is one substring
  test (``" quantiz" in raw``), so ``transformers*`` still finds "transformers".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from paperbot import taxonomy
from paperbot.domain import Paper
from paperbot.query.latex import strip_latex
from paperbot.query.text import (
    closed_compounds,
    fold_shown,
    name_parts,
    plural_keys,
    split_words,
)


@dataclass(frozen=True, slots=True)
class FieldText:
    """One text field of a paper, as shown (``text``) and as matched (the rest)."""

    text: str
    sequence: str
    words: frozenset[str]
    pairs: frozenset[str]
    raw: str


EMPTY_FIELD = FieldText("", " ", frozenset(), frozenset(), " ")


def analyse_text(text: str | None) -> FieldText:
    """Strip LaTeX, fold, split and key one field."""
    if not text:
        return EMPTY_FIELD
    shown = strip_latex(text)
    normal = fold_shown(shown)
    raw = split_words(normal)
    keys = plural_keys(raw)
    words = set(keys)
    compounds = closed_compounds(normal)
    if compounds:
        words.update(plural_keys(compounds))
        raw.extend(compounds)
    return FieldText(
        text=shown,
        sequence=f" {' '.join(keys)} ",
        words=frozenset(words),
        pairs=frozenset(map(" ".join, zip(keys, keys[1:]))),
        raw=f" {' '.join(raw)} ",
    )


@lru_cache(maxsize=65_536)
def _author_parts(name: str) -> tuple[str, ...]:
    return name_parts(name)


@lru_cache(maxsize=4_096)
def category_keys(categories: tuple[str, ...]) -> frozenset[str]:
    """Every id a ``cat:`` term may name to hit these categories: aliases and archives too."""
    keys: set[str] = set()
    for category in categories:
        for same in taxonomy.equivalents(category):
            keys.add(same)
            keys.add(taxonomy.archive_of(same))
    return frozenset(keys)


@dataclass(frozen=True, slots=True)
class PaperDoc:
    """A paper with its fields analysed; build it with ``analyse``."""

    paper: Paper
    title: FieldText
    abstract: FieldText
    comment: FieldText
    any_words: frozenset[str]
    any_pairs: frozenset[str]
    authors: tuple[tuple[str, ...], ...]
    author_words: frozenset[str]
    categories: frozenset[str]
    has_code: bool


def analyse(paper: Paper) -> PaperDoc:
    """Analyse a paper once; match it against any number of queries afterwards."""
    title = analyse_text(paper.title)
    abstract = analyse_text(paper.abstract)
    authors = tuple(_author_parts(name) for name in paper.authors)
    return PaperDoc(
        paper=paper,
        title=title,
        abstract=abstract,
        comment=analyse_text(paper.comment),
        any_words=title.words | abstract.words,
        any_pairs=title.pairs | abstract.pairs,
        authors=authors,
        author_words=frozenset(part for parts in authors for part in parts if len(part) > 1),
        categories=category_keys(paper.categories),
        has_code=bool(paper.code_links),
    )
