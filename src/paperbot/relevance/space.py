"""Nearest neighbours among the stored papers' vectors, in memory, exact.

Unit vectors are kept as int8 (x * 127, rounded): 384 bytes a paper for the model's
vectors, so a million papers fit in 384 MB where float32 would take 1.5 GB. The search
is an exact scan of all rows, run with usearch's SIMD int8 kernels when usearch is
installed (about 80 ms for a million rows on two cores) and with numpy otherwise;
the best candidates are then scored again in float32 from the same rows, so the
order among near-ties is not left to the rounding of the query.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from paperbot.relevance.embedder import Vectors

SCALE = 127.0
# Candidates asked of the scan per wanted neighbour, before the date window and exclusions.
OVERFETCH = 4
# No first announcement known: never inside a date window.
NO_DAY = np.iinfo(np.int32).min
_NUMPY_CHUNK = 65536


def quantize(vectors: Vectors) -> NDArray[np.int8]:
    quantized: NDArray[np.int8] = np.clip(np.rint(vectors * SCALE), -127, 127).astype(np.int8)
    return quantized


def _usearch() -> Any | None:
    if importlib.util.find_spec("usearch") is None:
        return None
    if importlib.util.find_spec("onnxruntime") is not None:
        # onnxruntime crashes the process when it is loaded after usearch (a clash of the
        # native libraries both bring); loaded first, both work.
        import onnxruntime  # noqa: F401
    from usearch import index

    return index


class VectorSpace:
    """Rows of one model's vectors with their papers' ids and first announcement days."""

    def __init__(self, dim: int, *, threads: int = 2, use_usearch: bool = True) -> None:
        self.dim = dim
        self._threads = threads
        self._rows = np.zeros((0, dim), dtype=np.int8)
        self._days = np.zeros(0, dtype=np.int32)
        self._ids: list[str] = []
        self._row_of: dict[str, int] = {}
        self._size = 0
        self._usearch = _usearch() if use_usearch else None

    def __len__(self) -> int:
        return self._size

    def __contains__(self, arxiv_id: object) -> bool:
        return arxiv_id in self._row_of

    @property
    def nbytes(self) -> int:
        return int(self._rows[: self._size].nbytes + self._days[: self._size].nbytes)

    def add(self, arxiv_ids: Sequence[str], vectors: Vectors, days: Sequence[date | None]) -> None:
        """Add rows, or replace the rows of ids already here (a paper embedded again)."""
        if vectors.shape != (len(arxiv_ids), self.dim):
            raise ValueError(f"expected {len(arxiv_ids)} vectors of {self.dim} dimensions, got {vectors.shape}")
        quantized = quantize(vectors)
        ordinals = np.array([NO_DAY if day is None else day.toordinal() for day in days], dtype=np.int32)
        fresh = [index for index, arxiv_id in enumerate(arxiv_ids) if arxiv_id not in self._row_of]
        for index, arxiv_id in enumerate(arxiv_ids):
            row = self._row_of.get(arxiv_id)
            if row is not None:
                self._rows[row] = quantized[index]
                self._days[row] = ordinals[index]
        self._reserve(self._size + len(fresh))
        for index in fresh:
            arxiv_id = arxiv_ids[index]
            if arxiv_id in self._row_of:  # twice in one call: the later vector wins
                row = self._row_of[arxiv_id]
            else:
                row = self._size
                self._size += 1
                self._ids.append(arxiv_id)
                self._row_of[arxiv_id] = row
            self._rows[row] = quantized[index]
            self._days[row] = ordinals[index]

    def reserve(self, rows: int) -> None:
        """Room for ``rows`` rows in one allocation (growing by doubling would briefly hold both copies)."""
        self._reserve(rows, exact=True)

    def _reserve(self, size: int, *, exact: bool = False) -> None:
        if size <= len(self._rows):
            return
        capacity = size if exact else max(size, 2 * len(self._rows), 1024)
        rows = np.zeros((capacity, self.dim), dtype=np.int8)
        rows[: self._size] = self._rows[: self._size]
        days = np.full(capacity, NO_DAY, dtype=np.int32)
        days[: self._size] = self._days[: self._size]
        self._rows, self._days = rows, days

    def vector(self, arxiv_id: str) -> Vectors | None:
        row = self._row_of.get(arxiv_id)
        return None if row is None else (self._rows[row].astype(np.float32) / SCALE)

    def search(
        self,
        query: Vectors,
        k: int,
        *,
        since: date | None = None,
        exclude: Collection[str] = (),
    ) -> list[tuple[str, float]]:
        """The ``k`` rows closest to ``query`` by cosine, best first, first announced on or after ``since``.

        Scores are those of the int8 rows (within about 0.005 of the float32 cosine); near-ties
        may come out in another order than exact float32 search would give, so callers that
        hold the float32 vectors ask for more and score those again (``Embeddings.neighbours``).
        """
        if k <= 0 or self._size == 0:
            return []
        query = np.asarray(query, dtype=np.float32).reshape(self.dim)
        excluded = {self._row_of[i] for i in exclude if i in self._row_of}
        floor = NO_DAY if since is None else since.toordinal()
        wanted = min(self._size, OVERFETCH * k + len(excluded))
        rows = self._scan(self._rows[: self._size], query, wanted)
        found = [row for row in rows if row not in excluded and self._days[row] >= floor]
        if len(found) < k and wanted < self._size:
            # The window or the exclusions removed too many: scan only the rows allowed.
            allowed = np.flatnonzero(self._days[: self._size] >= floor)
            if excluded:
                allowed = allowed[~np.isin(allowed, np.fromiter(excluded, dtype=np.int64))]
            subset = self._scan(self._rows[allowed], query, min(k, len(allowed)))
            found = [int(allowed[index]) for index in subset]
        scores = self._rows[found].astype(np.float32) @ query / SCALE
        ranked = sorted(zip(found, scores.tolist(), strict=True), key=lambda pair: -pair[1])[:k]
        return [(self._ids[row], float(score)) for row, score in ranked]

    def _scan(self, rows: NDArray[np.int8], query: Vectors, count: int) -> list[int]:
        if count <= 0 or len(rows) == 0:
            return []
        if self._usearch is not None:
            matches = self._usearch.search(
                rows, quantize(query), count, self._usearch.MetricKind.IP, exact=True, threads=self._threads
            )
            return [int(key) for key in matches.keys]
        scores = np.empty(len(rows), dtype=np.float32)
        for start in range(0, len(rows), _NUMPY_CHUNK):
            scores[start : start + _NUMPY_CHUNK] = rows[start : start + _NUMPY_CHUNK].astype(np.float32) @ query
        best = np.argpartition(-scores, count - 1)[:count] if count < len(rows) else np.arange(len(rows))
        return [int(row) for row in best[np.argsort(-scores[best])]]
