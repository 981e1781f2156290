"""A hit: one term of a query found in one field of a paper."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from paperbot.query.ast import Field, Leaf

FIELD_NAMES: dict[Field, tuple[str, ...]] = {
    Field.ANY: ("title", "abstract"),
    Field.TI: ("title",),
    Field.ABS: ("abstract",),
    Field.CO: ("comment",),
}
"""The paper fields a text field covers, as hits name them, in reporting order."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One term of the query found in one field of the paper.

    ``term`` is the term in canonical form (``ti:diffusion``, ``"state space"``,
    ``au:hua``); ``field`` is where it was found: ``title``, ``abstract``, ``comment``,
    ``authors``, ``categories`` or ``code``; or ``meaning`` for a topic term
    (``~"..."``, ``like:``), whose ``score`` is then the paper's similarity to it.
    """

    term: str
    field: str
    leaf: Leaf = dataclasses.field(compare=False, repr=False)
    score: float | None = dataclasses.field(default=None, compare=False)
