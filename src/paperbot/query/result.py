"""What a match reports: the hits, and the highlights computed from them on demand."""

from __future__ import annotations

from paperbot.domain import Paper
from paperbot.query.ast import Like, Node, Topic
from paperbot.query.canonical import canonical
from paperbot.query.document import PaperDoc
from paperbot.query.explain import explain
from paperbot.query.highlight import field_text, leaf_spans
from paperbot.query.hits import Hit

_MEANING_SHOWN = ("title", "abstract")
"""Where a topic term's hit is highlighted: the words the paper shares with the topic."""


def _closeness(hit: Hit) -> str:
    leaf = hit.leaf
    if isinstance(leaf, Topic):
        return f"close in meaning to '{leaf.text}' ({hit.score:.2f})"
    assert isinstance(leaf, Like)
    return f"close to {', '.join(leaf.ids)} ({hit.score:.2f})"


class Match(tuple[Node, PaperDoc, "tuple[Hit, ...] | None"]):
    """A positive answer with its reasons: which terms hit, where, and highlights.

    Built as ``Match((query_root, doc, hits_or_None))``. The reasons are worked out
    when asked for, not when the match is found: the subscription index finds hundreds
    of matches per paper among 100,000 subscriptions, and walking every matched query
    again to collect hits would cost more than finding them (which is also why this is
    a tuple, the cheapest object Python builds). A notification reads them when it is
    rendered.

    Two matches are equal when they are for the same paper version with the same hits.
    """

    __slots__ = ()

    @property
    def root(self) -> Node:
        """The query that matched."""
        return self[0]

    @property
    def doc(self) -> PaperDoc:
        """The analysed paper."""
        return self[1]

    @property
    def hits(self) -> tuple[Hit, ...]:
        """Every term that hit, once per field it hit in, in query order."""
        known = self[2]
        if known is not None:
            return known
        found = explain(self[0], self[1])
        if found is None:
            raise AssertionError(f"not a match: {canonical(self[0])}")
        return tuple(found)

    def _identity(self) -> tuple[str, int, tuple[Hit, ...]]:
        paper = self.doc.paper
        return paper.arxiv_id, paper.version, self.hits

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Match):
            return NotImplemented
        return self is other or self._identity() == other._identity()

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        return f"Match({self.paper.versioned_id}, {canonical(self.root)!r})"

    @property
    def paper(self) -> Paper:
        return self.doc.paper

    @property
    def terms(self) -> tuple[str, ...]:
        """The distinct terms that hit, in query order."""
        return tuple(dict.fromkeys(hit.term for hit in self.hits))

    @property
    def topic_score(self) -> float | None:
        """The best similarity of a topic term that hit (``~"..."``, ``like:``), for a card
        to show; None when the query matched by words only."""
        scores = [hit.score for hit in self.hits if hit.score is not None]
        return max(scores) if scores else None

    def explain(self) -> str:
        """``diffusion (title, abstract); cat:cs.LG (categories)``, for a notification;
        a topic term says how close: ``close in meaning to 'faster inference' (0.62)``."""
        fields: dict[str, list[str]] = {}
        reasons: list[str] = []
        for hit in self.hits:
            if hit.score is not None:
                reasons.append(_closeness(hit))
            else:
                fields.setdefault(hit.term, []).append(hit.field)
        reasons[:0] = [f"{term} ({', '.join(where)})" for term, where in fields.items()]
        return "; ".join(reasons)

    def text(self, field_name: str) -> str:
        """The text that ``spans(field_name)`` point into: LaTeX-free title, abstract,
        comment; authors joined by ``", "``; categories and code links by spaces."""
        return field_text(self.doc, field_name)

    def spans(self, field_name: str) -> tuple[tuple[int, int], ...]:
        """Sorted, non-overlapping ``(start, end)`` offsets of hit words in ``text(field)``."""
        found: list[tuple[int, int]] = []
        for hit in self.hits:
            if hit.field == field_name or (hit.field == "meaning" and field_name in _MEANING_SHOWN):
                found.extend(leaf_spans(hit.leaf, self.doc, field_name))
        merged: list[tuple[int, int]] = []
        for start, end in sorted(set(found)):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return tuple(merged)

    def highlight(self, field_name: str, before: str = "<b>", after: str = "</b>") -> str:
        """``text(field)`` with every hit wrapped; escape the text yourself if the markup
        needs it (``before``/``after`` are inserted as given)."""
        text = self.text(field_name)
        out: list[str] = []
        last = 0
        for start, end in self.spans(field_name):
            out += [text[last:start], before, text[start:end], after]
            last = end
        out.append(text[last:])
        return "".join(out)

    @property
    def words(self) -> tuple[str, ...]:
        """The distinct words as they appear in the paper, to highlight by other means."""
        seen: dict[str, None] = {}
        shown = (_MEANING_SHOWN if hit.field == "meaning" else (hit.field,) for hit in self.hits)
        for name in dict.fromkeys(name for names in shown for name in names):
            text = self.text(name)
            for start, end in self.spans(name):
                seen.setdefault(text[start:end], None)
        return tuple(seen)
