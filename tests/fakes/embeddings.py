"""A readable stand-in for the embeddings facade: a paper's vector is its hashed word counts.

Papers that share words are close, papers that share none are orthogonal, which is all
the features built on vectors (more like this, libraries, ratings) need to be tested.
Vectors live in memory; ``neighbours`` reads the stored papers like the real facade.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Collection, Sequence
from datetime import timedelta

import numpy as np
from numpy.typing import NDArray

from paperbot.clock import Clock
from paperbot.domain import Paper
from paperbot.relevance.embedder import Vectors, paper_text
from paperbot.store.papers import PaperStore

DIM = 512
_WORD = re.compile(r"[a-z]{4,}")


def word_vector(text: str) -> NDArray[np.float32]:
    vector = np.zeros(DIM, dtype=np.float32)
    for word in _WORD.findall(text.lower()):
        vector[zlib.crc32(word.encode()) % DIM] += 1.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


class WordEmbeddings:
    model = "fake-words"
    kind = "fake"
    dim = DIM

    def __init__(self, papers: PaperStore, clock: Clock) -> None:
        self._papers = papers
        self._clock = clock
        self.stored: dict[str, NDArray[np.float32]] = {}

    async def embed_texts(self, texts: Sequence[str]) -> Vectors:
        return np.vstack([word_vector(t) for t in texts]) if texts else np.zeros((0, DIM), dtype=np.float32)

    async def ensure(self, papers: Sequence[Paper]) -> dict[str, NDArray[np.float32]]:
        for paper in papers:
            if paper.arxiv_id not in self.stored:
                self.stored[paper.arxiv_id] = word_vector(paper_text(paper.title, paper.abstract))
        return {p.arxiv_id: self.stored[p.arxiv_id] for p in papers}

    async def vectors(self, arxiv_ids: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        return {a: self.stored[a] for a in arxiv_ids if a in self.stored}

    async def neighbours(
        self, query: NDArray[np.float32], k: int, *, days: int | None = 90, exclude: Collection[str] = ()
    ) -> list[tuple[str, float]]:
        since = self._clock.now().date() - timedelta(days=days) if days is not None else None
        papers = [p for p in await self._papers.recent(since=since) if p.arxiv_id not in exclude]
        vectors = await self.ensure(papers)
        scored = sorted(((float(vectors[p.arxiv_id] @ query), p.arxiv_id) for p in papers), reverse=True)
        return [(arxiv_id, score) for score, arxiv_id in scored[:k] if score > 0]
