"""TF-IDF vectors, for when the embedding model is not installed (or not wanted).

Words and word pairs (English stop words dropped) are hashed into 2^18 buckets, so the
vocabulary is fixed without a fit; term counts are damped (1 + log tf) and weighted by
IDF fitted on a sample of the stored corpus. The sparse result is then folded into
``DIM`` dense dimensions by a fixed signed projection (a count sketch: bucket j adds
±1 to coordinate j mod DIM), which keeps cosines close to the sparse ones (the error
shrinks as 1/sqrt(DIM)) and lets TF-IDF vectors live in the same table and index as
the model's.

The only state is the IDF. The model name carries a fingerprint of it, so vectors
stored under one name were all made with the same weights and compare; a new fit is a
new name, and everything is embedded again (TF-IDF is fast).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from paperbot.relevance.embedder import Vectors

NAME_PREFIX = "tfidf-"
DIM = 768
BUCKETS = 1 << 18
# Changes whenever what a vector means changes (tokenisation, projection), so old vectors are not reused.
SCHEME = "v1"


def _vectorizer() -> Any:
    # Imported here: scikit-learn takes a second to import, and most commands never embed.
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        n_features=BUCKETS,
        ngram_range=(1, 2),
        stop_words="english",
        alternate_sign=False,
        norm=None,
        dtype=np.float32,
    )


def _projection() -> sparse.csr_matrix:
    buckets = np.arange(BUCKETS, dtype=np.int64)
    # Bucket numbers are already hash values, so their low and high parts are unrelated.
    signs = np.where((buckets // DIM) % 2 == 0, 1.0, -1.0).astype(np.float32)
    return sparse.csr_matrix((signs, (buckets, buckets % DIM)), shape=(BUCKETS, DIM), dtype=np.float32)


def _term_counts(texts: Sequence[str]) -> sparse.csr_matrix:
    counts: sparse.csr_matrix = _vectorizer().transform(list(texts)).tocsr()
    counts.data = 1.0 + np.log(counts.data)
    return counts


def fit_idf(texts: Sequence[str]) -> NDArray[np.float32]:
    """Smoothed IDF per bucket (as scikit-learn's TfidfTransformer computes it)."""
    counts = _term_counts(texts)
    documents = np.bincount(counts.indices, minlength=BUCKETS).astype(np.float64)
    return (np.log((1.0 + len(texts)) / (1.0 + documents)) + 1.0).astype(np.float32)


class TfidfEmbedder:
    """Hashed TF-IDF folded to ``DIM`` dimensions; ``idf`` None means every term weighs 1."""

    def __init__(self, idf: NDArray[np.float32] | None = None) -> None:
        self._idf = idf if idf is not None else np.ones(BUCKETS, dtype=np.float32)
        if self._idf.shape != (BUCKETS,):
            raise ValueError(f"an IDF table has {BUCKETS} weights, not {self._idf.shape}")
        fingerprint = hashlib.sha256(SCHEME.encode() + self._idf.astype("<f4").tobytes()).hexdigest()[:16]
        self._name = f"{NAME_PREFIX}{fingerprint}"
        self._projection = _projection()

    @classmethod
    def fitted(cls, texts: Sequence[str]) -> TfidfEmbedder:
        return cls(fit_idf(texts) if texts else None)

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return DIM

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Unit rows; a text with no words left after stop words gets the zero vector."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        weighted = _term_counts(texts)
        weighted.data *= self._idf[weighted.indices]
        dense = np.asarray((weighted @ self._projection).todense(), dtype=np.float32)
        norms = np.linalg.norm(dense, axis=1, keepdims=True)
        unit: Vectors = np.divide(dense, norms, out=np.zeros_like(dense), where=norms > 0)
        return unit
