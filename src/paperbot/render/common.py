"""Pieces every renderer uses: the card's meta line, highlight spans."""

from __future__ import annotations

import re

from paperbot.messages import Card


def meta_line(card: Card) -> str:
    """``Ada Lovelace, Alan Turing et al. · cs.LG · 2025-04-28``."""
    parts = [card.authors_short or "unknown authors", card.primary_category]
    if card.announced:
        parts.append(card.announced.isoformat())
    if card.interest is not None:
        parts.append(f"interest {round(card.interest * 100)}%")
    return " · ".join(p for p in parts if p)


def highlight_spans(text: str, words: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where the matched words stand in ``text`` (whole words, any case), merged, in order."""
    if not words:
        return []
    pattern = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True) if w) + r")(?!\w)",
        re.IGNORECASE,
    )
    return [m.span() for m in pattern.finditer(text)]
