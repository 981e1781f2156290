"""arXiv's category taxonomy, shipped as data so that ``cat:`` can be checked offline.

The ids and names are those of arxiv.org/category_taxonomy, kept in
``paperbot/data/arxiv_taxonomy.json``. The file is read on first use, not at import,
so that importing paperbot stays cheap for commands that never look at categories.

Vocabulary: a *group* (Physics) holds *archives* (``hep-th``, ``cs``), an archive holds
*categories* (``cs.LG``). An archive with no subdivisions (``quant-ph``) is its own single
category, so ``quant-ph`` is both in ``ARCHIVES`` and in ``CATEGORIES``.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = [
    "ARCHIVES",
    "CATEGORIES",
    "GROUPS",
    "archive_of",
    "canonical_id",
    "categories_in",
    "equivalents",
    "is_known",
    "suggest",
]


@dataclass(frozen=True, slots=True)
class _Taxonomy:
    groups: dict[str, str]
    archives: dict[str, str]
    categories: dict[str, str]
    archive_categories: dict[str, tuple[str, ...]]
    aliases: dict[str, str]
    subsumed: dict[str, str]
    by_folded_id: dict[str, str]


@cache
def _taxonomy() -> _Taxonomy:
    raw = json.loads(resources.files("paperbot").joinpath("data/arxiv_taxonomy.json").read_text("utf-8"))
    categories = {cid: entry["name"] for cid, entry in raw["categories"].items()}
    archive_categories: dict[str, list[str]] = {archive: [] for archive in raw["archives"]}
    for cid, entry in raw["categories"].items():
        archive_categories[entry["archive"]].append(cid)
    archives = {aid: entry["name"] for aid, entry in raw["archives"].items()}
    # Users type ids in any case (``cat:CS.lg``); arXiv's ids are case-exact.
    by_folded = {known.lower(): known for known in [*archives, *categories]}
    return _Taxonomy(
        groups={gid: entry["name"] for gid, entry in raw["groups"].items()},
        archives=archives,
        categories=categories,
        archive_categories={a: tuple(sorted(c)) for a, c in archive_categories.items()},
        aliases=dict(raw["aliases"]),
        subsumed=dict(raw["subsumed"]),
        by_folded_id=by_folded,
    )


class _LazyMapping(Mapping[str, str]):
    """A read-only view that loads the taxonomy the first time it is looked into."""

    def __init__(self, part: str) -> None:
        self._part = part

    def _data(self) -> dict[str, str]:
        data: dict[str, str] = getattr(_taxonomy(), self._part)
        return data

    def __getitem__(self, key: str) -> str:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())

    def __repr__(self) -> str:
        return f"<arXiv {self._part}: {len(self)} entries>"


GROUPS: Mapping[str, str] = _LazyMapping("groups")
"""Group id → name: ``"physics" → "Physics"``, ``"cs" → "Computer Science"``."""

ARCHIVES: Mapping[str, str] = _LazyMapping("archives")
"""Archive id → name: ``"cs" → "Computer Science"``, ``"hep-th" → "High Energy Physics - Theory"``."""

CATEGORIES: Mapping[str, str] = _LazyMapping("categories")
"""Category id → name: ``"cs.LG" → "Machine Learning"``; single-category archives included."""


def categories_in(archive: str) -> tuple[str, ...]:
    """The categories of an archive, sorted; empty for an unknown archive."""
    return _taxonomy().archive_categories.get(archive, ())


def archive_of(category: str) -> str:
    """``cs.LG`` → ``cs``; ``quant-ph`` → ``quant-ph``.

    Works on ids that are not in the taxonomy too (old papers carry defunct ones), since
    arXiv's ids always put the archive before the first dot.
    """
    return category.split(".", 1)[0]


def canonical_id(term: str) -> str | None:
    """The taxonomy's spelling of an archive or category id typed in any case, or None."""
    return _taxonomy().by_folded_id.get(term.strip().lower())


def is_known(term: str) -> bool:
    """True for an archive or category id of the taxonomy, in its exact spelling."""
    taxonomy = _taxonomy()
    return term in taxonomy.archives or term in taxonomy.categories


def equivalents(category: str) -> tuple[str, ...]:
    """The ids a paper listed in ``category`` also counts as listed in.

    arXiv treats alias pairs as one category (``math.IT`` is ``cs.IT``), and papers from
    before a reorganisation still carry defunct archives (``chao-dyn``, now ``nlin.CD``).
    The result always starts with ``category`` itself.
    """
    taxonomy = _taxonomy()
    out = [category]
    for alias, canonical in taxonomy.aliases.items():
        if category == alias:
            out.append(canonical)
        elif category == canonical:
            out.append(alias)
    replacement = taxonomy.subsumed.get(category)
    if replacement is not None:
        out.append(replacement)
    return tuple(out)


def _shared_start(first: str, second: str) -> int:
    size = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        size += 1
    return size


def suggest(term: str) -> str | None:
    """The known id closest to a mistyped one (``cs.LF`` → ``cs.LG``), or None.

    A defunct archive gets the category that replaced it, which is closer in meaning
    than any spelling neighbour.
    """
    taxonomy = _taxonomy()
    cleaned = term.strip()
    exact = canonical_id(cleaned)
    if exact is not None:
        return exact
    if cleaned.lower() in taxonomy.subsumed:
        return taxonomy.subsumed[cleaned.lower()]
    typed = cleaned.lower()
    best: tuple[float, int, str] | None = None
    for known in taxonomy.by_folded_id:
        ratio = difflib.SequenceMatcher(None, typed, known).ratio()
        if ratio < 0.6:
            continue
        # Ties are common between two-letter codes (cs.LF is as close to cs.PL as
        # to cs.LG); the longer shared beginning is the likelier intent.
        shared = _shared_start(typed, known)
        if best is None or (ratio, shared) > best[:2]:
            best = (ratio, shared, known)
    return taxonomy.by_folded_id[best[2]] if best else None
