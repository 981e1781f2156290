"""Author lists as the announcement feeds write them, split into names."""

from __future__ import annotations

import re

from paperbot.latex import latex_to_text

_AND = re.compile(r"^(?:and|&)\s+", re.IGNORECASE)
_INNER_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def _top_level_parts(text: str) -> list[str]:
    """Split on commas outside parentheses and braces (affiliations hold commas)."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char in "({":
            depth += 1
        elif char in ")}" and depth:
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _strip_affiliations(name: str) -> str:
    """Drop ``(Department of ..., ...)`` groups, nested ones included."""
    out: list[str] = []
    depth = 0
    for char in name:
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def split_authors(creators: str) -> tuple[str, ...]:
    """``"A. One (Univ, City), B. Two and C. Three"`` → ``("A. One", "B. Two", "C. Three")``.

    Names keep their order; LaTeX accents become Unicode (``G\\"unther`` → ``Günther``).
    """
    names: list[str] = []
    for part in _top_level_parts(creators):
        part = _AND.sub("", _strip_affiliations(part).strip())
        # "A and B" without a comma is two people; a comma-separated list already split.
        for name in _INNER_AND.split(part):
            cleaned = latex_to_text(name).strip()
            if cleaned:
                names.append(cleaned)
    return tuple(names)
