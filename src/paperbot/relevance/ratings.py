"""Per-chat interest from 👍/👎: a small model that says how much a chat wants a paper.

With enough ratings of both kinds it is a logistic regression (classes balanced) over
the paper's embedding and hashed words and word pairs of its title and abstract. With
fewer it is a prototype: closeness to the liked papers' centre against the disliked
ones'. Only the trained model is trusted to hold papers back (/filter).

Models are trained on demand and kept per chat, keyed by the chat's ratings, so a new
or changed rating retrains at the next use and nothing else does.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression

from paperbot.domain import Paper
from paperbot.relevance.embedder import Vectors, paper_text
from paperbot.relevance.similarity import PaperEmbeddings, stack
from paperbot.store.feedback import FeedbackStore
from paperbot.store.papers import PaperStore

MIN_PER_CLASS = 4  # 👍 and 👎 each, before a logistic regression is trained
PROTOTYPE_SHARPNESS = 8.0  # how fast the prototype's score leaves 0.5 as closeness differs
# Hashed word buckets. The fit's time grows with the features, not only the ratings: 2**15
# buckets took ~0.5 s for 20 ratings, 2**12 take a few ms (bench/ratings.py); collisions
# among a chat's few hundred rated papers' words cost little.
LEXICAL_FEATURES = 2**12
# The embedding block is scaled up so that it and the word block (each row of unit
# length) weigh alike once the regression's penalty shrinks both.
EMBEDDING_WEIGHT = 2.0

_WORDS = HashingVectorizer(
    n_features=LEXICAL_FEATURES,
    ngram_range=(1, 2),
    alternate_sign=False,
    norm="l2",
    stop_words="english",
    lowercase=True,
)

Probabilities = NDArray[np.float64]


def lexical_features(texts: Sequence[str]) -> sparse.csr_matrix:
    """Hashed words and word pairs, one unit-length row per text (no vocabulary to fit)."""
    return _WORDS.transform(list(texts))


def _features(vectors: Vectors, texts: Sequence[str]) -> sparse.csr_matrix:
    dense = sparse.csr_matrix(vectors.astype(np.float64) * EMBEDDING_WEIGHT)
    return sparse.hstack([dense, lexical_features(texts)], format="csr")


@dataclass(frozen=True, slots=True)
class InterestModel:
    """A chat's model: ``kind`` is "logistic" or "prototype"; ``interest`` gives 0..1 per paper."""

    kind: str
    likes: int
    dislikes: int
    classifier: LogisticRegression | None = None
    liked_centre: NDArray[np.float32] | None = None
    disliked_centre: NDArray[np.float32] | None = None

    @property
    def trained(self) -> bool:
        """Whether it learned from enough ratings to hold papers back."""
        return self.kind == "logistic"

    def interest(self, vectors: Vectors, texts: Sequence[str]) -> Probabilities:
        if len(texts) == 0:
            return np.zeros(0)
        if self.classifier is not None:
            probabilities: Probabilities = self.classifier.predict_proba(_features(vectors, texts))[:, 1]
            return probabilities
        return self._prototype(vectors)

    def _prototype(self, vectors: Vectors) -> Probabilities:
        liked = vectors @ self.liked_centre if self.liked_centre is not None else None
        disliked = vectors @ self.disliked_centre if self.disliked_centre is not None else None
        if liked is not None and disliked is not None:
            return np.asarray(1.0 / (1.0 + np.exp(-PROTOTYPE_SHARPNESS * (liked - disliked))), dtype=np.float64)
        if liked is not None:
            return np.asarray(np.clip(liked, 0.0, 1.0), dtype=np.float64)
        assert disliked is not None
        return np.asarray(1.0 - np.clip(disliked, 0.0, 1.0), dtype=np.float64)

    def describe(self) -> str:
        counted = f"{self.likes} 👍 and {self.dislikes} 👎"
        if self.trained:
            return f"a model trained on {counted}"
        return (
            f"only {counted} so far, so scores compare papers with the ones you rated; "
            f"a trained model needs at least {MIN_PER_CLASS} of each"
        )


def _centre(rows: Vectors) -> NDArray[np.float32] | None:
    if len(rows) == 0:
        return None
    centre = rows.mean(axis=0)
    norm = float(np.linalg.norm(centre))
    return (centre / norm).astype(np.float32) if norm > 0 else None


def train_interest_model(vectors: Vectors, texts: Sequence[str], liked: Sequence[bool]) -> InterestModel | None:
    """The best model these ratings allow; None without any."""
    labels = np.asarray(liked, dtype=bool)
    likes, dislikes = int(labels.sum()), int((~labels).sum())
    if likes + dislikes == 0:
        return None
    if min(likes, dislikes) < MIN_PER_CLASS:
        return InterestModel(
            "prototype",
            likes,
            dislikes,
            liked_centre=_centre(vectors[labels]),
            disliked_centre=_centre(vectors[~labels]),
        )
    # liblinear: the fastest solver for a few hundred rows (see bench/ratings.py).
    classifier = LogisticRegression(class_weight="balanced", C=1.0, solver="liblinear", max_iter=1000)
    classifier.fit(_features(vectors, texts), labels)
    return InterestModel("logistic", likes, dislikes, classifier=classifier)


@dataclass(frozen=True, slots=True)
class Scores:
    """Interest per paper for one chat, and the model that gave it."""

    model: InterestModel
    by_id: dict[str, float]


def paper_texts(papers: Sequence[Paper]) -> list[str]:
    return [paper_text(p.title, p.abstract) for p in papers]


class InterestModels:
    """Every chat's model, trained when first needed and kept until its ratings change."""

    def __init__(self, feedback: FeedbackStore, papers: PaperStore, embeddings: PaperEmbeddings) -> None:
        self._feedback = feedback
        self._papers = papers
        self.embeddings = embeddings
        self._cache: dict[int, tuple[frozenset[tuple[str, int]], InterestModel | None]] = {}

    async def rated(self, recipient_id: int) -> dict[str, int]:
        """The chat's net rating per paper, ties (one 👍, one 👎) left out."""
        return {a: v for a, v in (await self._feedback.ratings(recipient_id)).items() if v != 0}

    async def model_for(self, recipient_id: int) -> InterestModel | None:
        ratings = await self.rated(recipient_id)
        key = frozenset(ratings.items())
        cached = self._cache.get(recipient_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        model = await self._train(ratings)
        self._cache[recipient_id] = (key, model)
        return model

    async def _train(self, ratings: Mapping[str, int]) -> InterestModel | None:
        if not ratings:
            return None
        papers = await self._papers.get_many(sorted(ratings))
        vectors = await self.embeddings.ensure(papers)
        present = [p for p in papers if p.arxiv_id in vectors]
        if not present:
            return None
        matrix = stack([vectors[p.arxiv_id] for p in present])
        liked = [ratings[p.arxiv_id] > 0 for p in present]
        return await asyncio.to_thread(train_interest_model, matrix, paper_texts(present), liked)

    async def scores(self, recipient_id: int, papers: Sequence[Paper]) -> Scores | None:
        """How much the chat wants each paper (0..1); None while it has rated nothing."""
        model = await self.model_for(recipient_id)
        if model is None:
            return None
        return Scores(model, await self.score_with(model, papers))

    async def score_with(self, model: InterestModel, papers: Sequence[Paper]) -> dict[str, float]:
        vectors = await self.embeddings.ensure(papers)
        present = [p for p in papers if p.arxiv_id in vectors]
        if not present:
            return {}
        matrix = stack([vectors[p.arxiv_id] for p in present])
        found = model.interest(matrix, paper_texts(present))
        return {p.arxiv_id: float(v) for p, v in zip(present, found, strict=True) if math.isfinite(float(v))}


def percent(score: float) -> str:
    """A score as cards show it: ``73%``."""
    return f"{round(score * 100)}%"
