"""Closeness between papers through their vectors: what "more like this", libraries and /tune share.

``PaperEmbeddings`` is the part of the embeddings facade (``paperbot.relevance.embeddings``)
these features use, so they can be tested with a small fake.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from paperbot.domain import Paper
from paperbot.relevance.embedder import Vectors

Vector = NDArray[np.float32]


class PaperVectors(Protocol):
    """Vectors of texts and of papers: what every user of the embeddings facade needs."""

    async def embed_texts(self, texts: Sequence[str]) -> Vectors: ...

    async def ensure(self, papers: Sequence[Paper]) -> dict[str, Vector]: ...

    async def vectors(self, arxiv_ids: Sequence[str]) -> dict[str, Vector]: ...


class PaperEmbeddings(PaperVectors, Protocol):
    """With the search for a paper's neighbours ("more like this", libraries, /tune)."""

    async def neighbours(
        self, query: Vector, k: int, *, days: int | None = 90, exclude: Collection[str] = ()
    ) -> list[tuple[str, float]]: ...


def stack(vectors: Sequence[Vector]) -> Vectors:
    """Rows as one float32 matrix (an empty one has no columns to agree on)."""
    if not vectors:
        return np.zeros((0, 0), dtype=np.float32)
    return np.vstack(vectors).astype(np.float32, copy=False)


def closeness_to(library: Vectors, candidates: Mapping[str, Vector]) -> dict[str, float]:
    """Each candidate's highest cosine to any library vector (rows are unit length)."""
    if library.size == 0 or not candidates:
        return {}
    ids = list(candidates)
    similarities = stack([candidates[i] for i in ids]) @ library.T
    return {arxiv_id: float(best) for arxiv_id, best in zip(ids, similarities.max(axis=1), strict=True)}


def diverse_sample(candidates: Mapping[str, Vector], k: int) -> list[str]:
    """Up to ``k`` ids spread over the topics: each next one the farthest from those picked.

    Starts from the candidate closest to the centre (the most typical), so the sample
    shows the middle of the subscription first and its edges after.
    """
    ids = list(candidates)
    if len(ids) <= k:
        return ids
    matrix = stack([candidates[i] for i in ids])
    centre = matrix.mean(axis=0)
    picked = [int(np.argmax(matrix @ centre))]
    nearest = matrix @ matrix[picked[0]]
    while len(picked) < k:
        nearest[picked] = np.inf
        following = int(np.argmin(nearest))
        picked.append(following)
        nearest = np.maximum(nearest, matrix @ matrix[following])
    return [ids[i] for i in picked]
