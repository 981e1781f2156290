"""Normalisation shared by the query and the paper side, so that both agree on words.

A *word* is a run of letters and digits; everything else separates words. Both sides
go through the same steps:

1. LaTeX is stripped (``paperbot.query.latex``);
2. case and accents are folded (``Schrödinger`` → ``schrodinger``, ``ß`` → ``ss``,
   ``ﬁ`` → ``fi``, superscript ``³`` → ``3``);
3. a possessive ``'s`` is dropped (``Schrödinger's equation``);
4. words are split at anything that is not a letter or digit, hyphens included;
5. each word gets a *key* by conservative plural folding (see ``plural_key``).

Hyphenated compounds (``state-space``) are split into their words, kept in sequence
so that the phrase ``"state space"`` finds them, and also indexed as the closed
compound (``statespace``), so the three spellings find each other.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator

from paperbot.query.latex import strip_latex

WORD = re.compile(r"[^\W_]+")
"""A word: letters and digits of any script; ``_`` counts as a separator."""

COMPOUND = re.compile(r"(?<![^\W_])[^\W_]++(?:[-\u2010\u2011][^\W_]++)+")
"""Hyphenated compounds, whose closed form is indexed too."""

_HYPHENS = re.compile(r"[-\u2010\u2011]")
# The apostrophe comes first so the engine can scan for it instead of trying a
# lookbehind at every position.
_POSSESSIVE = re.compile(r"['\u2019](?<=[^\W_]['\u2019])s\b")
# ASCII fast path of WORD: every ASCII character that is not a letter or digit
# becomes a space, then str.split does in C what the regex does three times slower.
# (bytes.translate, a plain table lookup, is three times faster than str.translate.)
_ASCII_SEPARATORS = bytes(code if chr(code).isalnum() else ord(" ") for code in range(256))
_COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Letters that NFKD leaves whole although readers treat them as accented Latin letters.
_LETTER_FOLDS = str.maketrans(
    {
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ı": "i",
        "ħ": "h",
    }
)


def fold(text: str) -> str:
    """Lower case without accents: ``Schrödinger`` → ``schrodinger``."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _COMBINING_MARKS.sub("", decomposed).translate(_LETTER_FOLDS)


# Words whose final -s is part of the singular, or whose plural the rules below
# would misfold (``caches`` must meet ``cache``, not ``cach``).
_PLURAL_EXCEPTIONS = {
    "bias": "bias",
    "biases": "bias",
    "alias": "alias",
    "aliases": "alias",
    "atlas": "atlas",
    "atlases": "atlas",
    "canvas": "canvas",
    "canvases": "canvas",
    "whereas": "whereas",
    "lens": "lens",
    "lenses": "lens",
    "news": "news",
    "does": "does",
    "goes": "goes",
    "always": "always",
    "perhaps": "perhaps",
    "sometimes": "sometimes",
    "towards": "towards",
    "caches": "cache",
    "niches": "niche",
    "avalanches": "avalanche",
    "movies": "movie",
    "cookies": "cookie",
    "series": "series",
    "species": "species",
    "viruses": "virus",
    "statuses": "status",
    "focuses": "focus",
    "analyses": "analysis",
    "hypotheses": "hypothesis",
    "theses": "thesis",
    "syntheses": "synthesis",
    "diagnoses": "diagnosis",
    "axes": "axis",
    "indices": "index",
    "indexes": "index",
    "matrices": "matrix",
    "vertices": "vertex",
    "criteria": "criterion",
    "phenomena": "phenomenon",
}

_KEY_CACHE_LIMIT = 500_000


class _KeyCache(dict[str, str]):
    """word → plural key; ``map(cache.__getitem__, words)`` runs in C for known words."""

    def __missing__(self, word: str) -> str:
        if len(self) >= _KEY_CACHE_LIMIT:
            self.clear()  # a bound for a long-running bot; refilling is cheap
        key = self[word] = _plural_key(word)
        return key


_KEY_CACHE = _KeyCache()


def _plural_key(word: str) -> str:
    exception = _PLURAL_EXCEPTIONS.get(word)
    if exception is not None:
        return exception
    if len(word) <= 3 or not word.endswith("s") or not word.isalpha():
        return word
    if word.endswith(("ss", "us", "is")):
        return word  # class, status, analysis: the -s belongs to the singular
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"  # studies → study, strategies → strategy
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]  # classes, boxes, approaches, meshes: -es is the plural
    return word[:-1]  # models, transformers, networks, llms


def plural_key(word: str) -> str:
    """The key a folded word is matched by: its singular for regular English plurals.

    The folding is deliberately conservative, for precision: only the plural ``-s``,
    ``-es`` and ``-ies`` go (``models`` = ``model``, ``strategies`` = ``strategy``,
    ``approaches`` = ``approach``, ``LLMs`` = ``llm``). Other suffixes stay, because they
    change the meaning a researcher subscribes to: ``modeling`` is not ``model``,
    ``inference`` is not ``infer``, ``efficiency`` is not ``efficient``. Words of three
    letters or fewer, words with digits and words ending in ``-ss``/``-us``/``-is``
    are left alone (``gas``, ``gpt4s``, ``class``, ``status``, ``analysis``); a small
    exception list covers irregular plurals common in papers (``matrices``,
    ``hypotheses``, ``vertices``) and words the rules would get wrong (``bias``,
    ``caches``, ``series``). Both sides use the same function, so an exception can only
    make two words meet or part, never make one side unreachable.
    """
    return _KEY_CACHE[word]


def plural_keys(words: list[str]) -> list[str]:
    """``plural_key`` of each word; the hot loop of paper analysis."""
    return list(map(_KEY_CACHE.__getitem__, words))


def fold_shown(shown: str) -> str:
    """Case and accents folded, possessives dropped, from text already free of LaTeX."""
    folded = fold(shown)
    if "'" in folded or "\u2019" in folded:
        return _POSSESSIVE.sub("", folded)
    return folded


def split_words(normal: str) -> list[str]:
    """The words of normalised text, in order: ``WORD.findall``, faster for ASCII."""
    if normal.isascii():
        return normal.encode("ascii").translate(_ASCII_SEPARATORS).decode("ascii").split()
    return WORD.findall(normal)


def _leading_word(segment: str) -> str:
    end, size = 0, len(segment)
    while end < size and segment[end].isalnum():
        end += 1
    return segment[:end]


def _trailing_word(segment: str) -> str:
    start = len(segment)
    while start > 0 and segment[start - 1].isalnum():
        start -= 1
    return segment[start:]


def closed_compounds(normal: str) -> list[str]:
    """Closed forms of the hyphenated compounds of normalised text (``statespace``).

    Equivalent to joining each ``COMPOUND`` match, but walks the text split at its
    hyphens: a pattern search over a whole abstract costs more than the rest of its
    analysis.
    """
    if "\u2010" in normal or "\u2011" in normal:
        normal = _HYPHENS.sub("-", normal)
    if "-" not in normal:
        return []
    segments = normal.split("-")
    compounds: list[str] = []
    parts: list[str] = []
    for left, right in itertools.pairwise(segments):
        tail, head = _trailing_word(left), _leading_word(right)
        if not (tail and head):
            if len(parts) > 1:
                compounds.append("".join(parts))
            parts = []
            continue
        if parts and tail == left:
            parts.append(head)  # a-b-c: the middle segment is a whole word
        else:
            if len(parts) > 1:
                compounds.append("".join(parts))
            parts = [tail, head]
    if len(parts) > 1:
        compounds.append("".join(parts))
    return compounds


def normalise(text: str) -> str:
    """LaTeX stripped, case and accents folded, possessives dropped: ready to split."""
    return fold_shown(strip_latex(text))


def words(text: str) -> list[str]:
    """The folded words of a text, in order, before plural folding."""
    return split_words(normalise(text))


def closed_compound(text: str) -> str:
    """``state-space`` → ``statespace``: a hyphenated compound written as one word."""
    return _HYPHENS.sub("", text)


def iter_word_spans(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """Each word of a display text with its span and the folded word(s) it stands for.

    Used for highlighting, where spans must point into the text the user sees. A
    visible word may fold into several (``ﬁne``, rare) or none (a lone accent).
    """
    for match in WORD.finditer(text):
        folded = WORD.findall(_POSSESSIVE.sub("", fold(match.group())))
        yield match.start(), match.end(), folded


AUTHOR_SEPARATORS = re.compile(r"[\s.,_\-\u2010\u2011]+")
_APOSTROPHES = re.compile(r"['\u2019`]")
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


def name_parts(name: str) -> tuple[str, ...]:
    """The folded parts of a person's name: ``"Y. Hua"`` → ``("y", "hua")``.

    One-letter parts are initials. Apostrophes join (``O'Brien`` → ``obrien``) and
    generational suffixes go, so that both ways of writing a name give the same parts.
    """
    # arXiv's au:del_maestro style: underscores separate parts (TeX would drop them).
    folded = _APOSTROPHES.sub("", fold(strip_latex(name.replace("_", " "))))
    return tuple(part for part in AUTHOR_SEPARATORS.split(folded) if part and part not in _NAME_SUFFIXES)
