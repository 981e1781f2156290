"""A paper analysed once for matching: every field's words, ready for set lookups.

Matching a day's papers against many subscriptions means the same paper is asked
thousands of questions; all of them are answered from this structure with hash
lookups and substring searches in C, never by re-reading the text:

* ``words``: the plural keys of a field, plus closed hyphen compounds; a word query
  is one set membership test.
* ``pairs``: each two adjacent keys (``("state", "space")``); a two-word phrase, the
  commonest kind, is one set membership test, and the index can file phrases under
  their rarest pair instead of their rarest word, which is far more selective.
* ``sequence``: the keys in order, space-separated and space-padded; a longer phrase
  is one substring test (``" large language model " in sequence``).
* ``raw``: the words before plural folding, likewise; a prefix query is one substring
  test (``" quantiz" in raw``), so ``transformers*`` still finds "transformers";
  ``raw_words`` are the same words, for the index to look prefixes up by.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class FieldText:
    """One text field of a paper, as shown (``text``) and as matched (the rest)."""

    text: str
    sequence: str
    words: frozenset[str]
    pairs: frozenset[tuple[str, str]]
    raw: str
    raw_words: tuple[str, ...]


EMPTY_FIELD = FieldText("", " ", frozenset(), frozenset(), " ", ())


def analyse_text(text: str | None) -> FieldText:
    """Strip LaTeX, fold, split and key one field."""
    if not text:
        return EMPTY_FIELD
    shown = strip_latex(text)
    normal = fold_shown(shown)
    raw = split_words(normal)
    keys = plural_keys(raw)
    compounds = closed_compounds(normal)
    if compounds:
        words = frozenset(keys + plural_keys(compounds))
        raw.extend(compounds)
    else:
        words = frozenset(keys)
    return FieldText(
        text=shown,
        sequence=f" {' '.join(keys)} ",
        words=words,
        pairs=frozenset(itertools.pairwise(keys)),
        raw=f" {' '.join(raw)} ",
        raw_words=tuple(raw),
    )


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


@dataclass(frozen=True, slots=True)
class PaperDoc:
    """A paper with its fields analysed; build it with ``analyse``."""

    paper: Paper
    title: FieldText
    abstract: FieldText
    comment: FieldText
    any_words: frozenset[str]
    any_pairs: frozenset[tuple[str, str]]
    authors: tuple[tuple[str, ...], ...]
    author_words: frozenset[str]
    authors_by_part: dict[str, list[AuthorName]]
    categories: frozenset[str]
    has_code: bool


def analyse(paper: Paper) -> PaperDoc:
    """Analyse a paper once; match it against any number of queries afterwards."""
    title = analyse_text(paper.title)
    abstract = analyse_text(paper.abstract)
    names = [_author_name(name) for name in paper.authors]
    # Author queries need a full part in common; a paper with 30 authors is then
    # checked against the one or two that have it.
    by_part: dict[str, list[AuthorName]] = {}
    for author in names:
        for part in author.full:
            by_part.setdefault(part, []).append(author)
    return PaperDoc(
        paper=paper,
        title=title,
        abstract=abstract,
        comment=analyse_text(paper.comment),
        any_words=title.words | abstract.words,
        any_pairs=title.pairs | abstract.pairs,
        authors=tuple(author.parts for author in names),
        author_words=frozenset(by_part),
        authors_by_part=by_part,
        categories=category_keys(paper.categories),
        has_code=bool(paper.code_links),
    )
