"""A readable fake of the embeddings facade for topic tests: words stand for concepts.

Each known word points at one concept (``josephson`` → superconductivity); a text's
vector counts its concepts, so "Josephson junction arrays" is close in meaning to
"superconductivity" without sharing a word with it, which is what topic terms are for.
Words not listed carry no meaning here (a text of only those is the zero vector).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from paperbot.domain import Paper
from paperbot.relevance.embedder import Vectors, paper_text

CONCEPTS = {
    "superconductivity": ("superconductivity", "superconducting", "superconductor", "josephson", "squid", "cooper"),
    "inference speed": ("inference", "decoding", "speculative", "latency", "faster", "speeding", "throughput"),
    "language models": ("language", "llm", "transformer", "token", "tokens"),
    "topology": ("knot", "knots", "topology", "manifold", "homology"),
    "robots": ("robot", "robots", "planning", "navigation", "manipulator"),
}
AXES = tuple(CONCEPTS)
_CONCEPT_OF = {word: axis for axis, words in CONCEPTS.items() for word in words}
_WORD = re.compile(r"[a-z]+")


def concept_vector(text: str) -> NDArray[np.float32]:
    vector = np.zeros(len(AXES), dtype=np.float32)
    for word in _WORD.findall(text.lower()):
        axis = _CONCEPT_OF.get(word)
        if axis is not None:
            vector[AXES.index(axis)] += 1.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


class ConceptEmbeddings:
    """``embed_texts``, ``ensure`` and ``vectors`` as the facade has them; counts its calls."""

    model = "fake-concepts"
    kind = "fake"
    dim = len(AXES)

    def __init__(self) -> None:
        self.stored: dict[str, NDArray[np.float32]] = {}
        self.embedded_texts: list[str] = []
        self.ensure_calls = 0

    async def embed_texts(self, texts: Sequence[str]) -> Vectors:
        self.embedded_texts += texts
        return np.vstack([concept_vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    async def ensure(self, papers: Sequence[Paper]) -> dict[str, NDArray[np.float32]]:
        self.ensure_calls += 1
        for paper in papers:
            self.stored.setdefault(paper.arxiv_id, concept_vector(paper_text(paper.title, paper.abstract)))
        return {p.arxiv_id: self.stored[p.arxiv_id] for p in papers}

    async def vectors(self, arxiv_ids: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        return {a: self.stored[a] for a in arxiv_ids if a in self.stored}
