"""What a match reports: the hits, and the highlights computed from them on demand."""

from __future__ import annotations

from dataclasses import dataclass, field

from paperbot.domain import Paper
from paperbot.query.ast import Field, Leaf
from paperbot.query.document import PaperDoc
from paperbot.query.highlight import field_text, leaf_spans


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
    ``authors``, ``categories`` or ``code``.
    """

    term: str
    field: str
    leaf: Leaf = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Match:
    """A positive answer with its reasons.

    Only ``hits`` take part in equality; ``doc`` is kept to compute highlights on
    demand, which costs a re-scan of the text and is only needed for papers that are
    actually sent.
    """

    hits: tuple[Hit, ...]
    doc: PaperDoc = field(compare=False, repr=False)

    @property
    def paper(self) -> Paper:
        return self.doc.paper

    @property
    def terms(self) -> tuple[str, ...]:
        """The distinct terms that hit, in query order."""
        return tuple(dict.fromkeys(hit.term for hit in self.hits))

    def explain(self) -> str:
        """``diffusion (title, abstract); cat:cs.LG (categories)``, for a notification."""
        fields: dict[str, list[str]] = {}
        for hit in self.hits:
            fields.setdefault(hit.term, []).append(hit.field)
        return "; ".join(f"{term} ({', '.join(where)})" for term, where in fields.items())

    def text(self, field_name: str) -> str:
        """The text that ``spans(field_name)`` point into: LaTeX-free title, abstract,
        comment; authors joined by ``", "``; categories and code links by spaces."""
        return field_text(self.doc, field_name)

    def spans(self, field_name: str) -> tuple[tuple[int, int], ...]:
        """Sorted, non-overlapping ``(start, end)`` offsets of hit words in ``text(field)``."""
        found: list[tuple[int, int]] = []
        for hit in self.hits:
            if hit.field == field_name:
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
        for name in dict.fromkeys(hit.field for hit in self.hits):
            text = self.text(name)
            for start, end in self.spans(name):
                seen.setdefault(text[start:end], None)
        return tuple(seen)
