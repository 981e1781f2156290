"""Topic terms' scores: how close in meaning a paper is to ``~"free text"`` or ``like:ID``.

A topic score mixes two kinds of evidence, both in 0..1:

* the cosine of the paper's embedding (title and abstract) with the topic text's
  embedding: catches a paper that says "Josephson junction" to a reader who asked for
  "superconductivity", which no word test can;
* the topic's wording in the paper (``lexical``, BM25 scaled to 0..1): the embedding
  of a short text is vague, and a paper that uses its rare words is the surest hit.

``hybrid = w * max(cosine, 0) + (1 - w) * lexical``; a ``~"..."`` term matches at
``hybrid >= threshold``. ``like:ID`` uses the cosine to the closest of the papers
named, with its own threshold (two abstracts are more alike than a phrase and an
abstract). The weight and thresholds depend on the embedding backend and were
calibrated with ``bench/relevance.py`` on a labelled set (two thirds of the intents
seen, one third held out), aiming at precision: a bare ``~"..."`` should rarely send a
paper its reader would not want.

The dispatcher scores a whole batch at once (``scores_for``): papers embedded in one
call, each distinct topic text embedded once and remembered, one matrix product.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from paperbot.domain import Paper
from paperbot.query import Match, Query, analyse, match
from paperbot.query.ast import Like, Topic, TopicLeaf, topic_leaves
from paperbot.query.query import as_query
from paperbot.query.topics import TopicScores, term_key
from paperbot.relevance.embedder import Vectors
from paperbot.relevance.lexical import DocumentFrequencies, LexicalScorer
from paperbot.relevance.similarity import PaperVectors, Vector

log = logging.getLogger(__name__)


TOPIC_CACHE = 4096
"""Topic texts whose embedding is remembered (each distinct one is embedded once)."""
WORD_FREQUENCY_SAMPLE = 5000
"""Recent papers the lexical half counts word frequencies on before its first score."""


class TopicEmbeddings(PaperVectors, Protocol):
    """What the scorer needs of the embeddings facade (``relevance.embeddings.Embeddings``)."""

    @property
    def kind(self) -> str: ...


class PaperLookup(Protocol):
    """Where the papers named by ``like:`` are read from when they have no vector yet."""

    async def get_many(self, arxiv_ids: Sequence[str]) -> list[Paper]: ...


@dataclass(frozen=True, slots=True)
class Calibration:
    embedding_weight: float
    """Share of the embedding cosine in the hybrid score (the rest is lexical)."""
    threshold: float
    """A ``~"..."`` term matches at a hybrid score at least this."""
    like_threshold: float
    """A ``like:`` term matches at a cosine at least this."""


CALIBRATIONS = {
    # bench/relevance.py's sweep over the tune intents (two thirds of the labelled set):
    # the setting with the most recall among those at least 80% precise. TF-IDF's like
    # threshold is the sweep's too (its paper-to-paper cosines are low: close is ~0.15).
    "minilm": Calibration(embedding_weight=0.7, threshold=0.53, like_threshold=0.71),
    "tfidf": Calibration(embedding_weight=0.3, threshold=0.45, like_threshold=0.15),
}
FALLBACK = CALIBRATIONS["tfidf"]
"""For a backend not calibrated (a test's fake): word-based like TF-IDF."""


def calibration_for(kind: str) -> Calibration:
    return CALIBRATIONS.get(kind, FALLBACK)


def hybrid(cosines: NDArray[np.float32], lexical: Sequence[float], weight: float) -> list[float]:
    """``weight * max(cosine, 0) + (1 - weight) * lexical``, each in 0..1."""
    embedded = np.clip(np.asarray(cosines, dtype=np.float64), 0.0, 1.0)
    mixed = weight * embedded + (1.0 - weight) * np.asarray(lexical, dtype=np.float64)
    return [float(value) for value in np.clip(mixed, 0.0, 1.0)]


def closest_first(found: Sequence[tuple[Paper, Match]]) -> list[tuple[Paper, Match]]:
    """Closest first when a topic term scored the matches; otherwise as found (the sort is stable)."""
    return sorted(found, key=lambda pair: -(pair[1].topic_score or 0.0))


class TopicScorer:
    """Scores papers against topic terms; built once by the app (``services.topics``).

    ``corpus`` gives papers to count word frequencies on before the first score (the
    recently stored ones); every paper scored is counted too.
    """

    def __init__(
        self,
        embeddings: TopicEmbeddings,
        papers: PaperLookup | None = None,
        *,
        calibration: Calibration | None = None,
        corpus: Callable[[], Awaitable[Sequence[Paper]]] | None = None,
    ) -> None:
        self._embeddings = embeddings
        self._papers = papers
        self.calibration = calibration or calibration_for(embeddings.kind)
        self._corpus = corpus
        self.frequencies = DocumentFrequencies()
        self._lexical = LexicalScorer(self.frequencies)
        self._topics: OrderedDict[str, Vector] = OrderedDict()

    @property
    def threshold(self) -> float:
        return self.calibration.threshold

    @property
    def like_threshold(self) -> float:
        return self.calibration.like_threshold

    # -- the API other modules use ------------------------------------------------------

    async def score(self, text: str, papers: Sequence[Paper]) -> list[float]:
        """Hybrid score in 0..1 of each paper for a ``~"text"`` term, in order."""
        return (await self._topic_matrix([text], papers, await self._paper_matrix(papers)))[0] if papers else []

    async def score_like(self, arxiv_ids: Sequence[str], papers: Sequence[Paper]) -> list[float]:
        """Similarity in 0..1 of each paper to the closest of the papers named, in order."""
        return (
            (await self._like_matrix([tuple(arxiv_ids)], papers, await self._paper_matrix(papers)))[0] if papers else []
        )

    async def scores_for(self, terms: Sequence[TopicLeaf], papers: Sequence[Paper]) -> dict[str, TopicScores]:
        """Every paper's scores for every term, by arXiv id: what ``analyse(paper, topics=...)`` takes."""
        topics = list(dict.fromkeys(term.text for term in terms if isinstance(term, Topic)))
        likes = list(dict.fromkeys(term.ids for term in terms if isinstance(term, Like)))
        columns: dict[str, list[float]] = {}
        if not papers:
            return {}
        matrix = await self._paper_matrix(papers)  # the batch embedded once for every term
        if topics:
            for text, row in zip(topics, await self._topic_matrix(topics, papers, matrix), strict=True):
                columns[term_key(Topic(text))] = row
        if likes:
            for ids, row in zip(likes, await self._like_matrix(likes, papers, matrix), strict=True):
                columns[term_key(Like(ids))] = row
        return {
            paper.arxiv_id: TopicScores(
                {key: row[position] for key, row in columns.items()}, self.threshold, self.like_threshold
            )
            for position, paper in enumerate(papers)
        }

    async def search(self, query: Query | str, papers: Sequence[Paper]) -> list[tuple[Paper, Match]]:
        """``query.search`` for queries that may have topic terms: the papers matched, in
        the order given, each with its ``Match`` (``Match.topic_score`` set for topic hits)."""
        parsed = as_query(query)
        terms = topic_leaves(parsed.root)
        scores = await self.scores_for(terms, papers) if terms else {}
        found: list[tuple[Paper, Match]] = []
        for paper in papers:
            result = match(parsed, analyse(paper, scores.get(paper.arxiv_id)))
            if result is not None:
                found.append((paper, result))
        return found

    # -- scoring ----------------------------------------------------------------------

    async def _paper_matrix(self, papers: Sequence[Paper]) -> Vectors:
        vectors = await self._embeddings.ensure(papers)
        return np.vstack([vectors[paper.arxiv_id] for paper in papers]).astype(np.float32)

    async def _topic_vectors(self, texts: Sequence[str]) -> Vectors:
        missing = [text for text in texts if text not in self._topics]
        if missing:
            for text, vector in zip(missing, await self._embeddings.embed_texts(missing), strict=True):
                self._topics[text] = vector
        for text in texts:
            self._topics.move_to_end(text)
        rows = np.vstack([self._topics[text] for text in texts]).astype(np.float32)
        while len(self._topics) > TOPIC_CACHE:
            self._topics.popitem(last=False)
        return rows

    async def _counted(self, papers: Sequence[Paper]) -> None:
        if self._corpus is not None:
            corpus, self._corpus = self._corpus, None  # once
            self.frequencies.observe(await corpus())
        self.frequencies.observe(papers)

    async def _topic_matrix(self, texts: Sequence[str], papers: Sequence[Paper], matrix: Vectors) -> list[list[float]]:
        await self._counted(papers)
        cosines = matrix @ (await self._topic_vectors(texts)).T
        weight = self.calibration.embedding_weight
        return [
            hybrid(cosines[:, column], self._lexical.score(text, papers), weight) for column, text in enumerate(texts)
        ]

    async def _liked_vectors(self, wanted: Sequence[str]) -> dict[str, Vector]:
        found = await self._embeddings.vectors(wanted)
        missing = [arxiv_id for arxiv_id in wanted if arxiv_id not in found]
        if missing and self._papers is not None:
            found.update(await self._embeddings.ensure(await self._papers.get_many(missing)))
        unknown = [arxiv_id for arxiv_id in wanted if arxiv_id not in found]
        if unknown:
            log.warning("like: names papers not stored, which match nothing: %s", ", ".join(unknown))
        return found

    async def _like_matrix(
        self, groups: Sequence[tuple[str, ...]], papers: Sequence[Paper], matrix: Vectors
    ) -> list[list[float]]:
        liked = await self._liked_vectors(list(dict.fromkeys(i for ids in groups for i in ids)))
        rows: list[list[float]] = []
        for ids in groups:
            known = [liked[arxiv_id] for arxiv_id in ids if arxiv_id in liked]
            if not known:
                rows.append([0.0] * len(papers))
                continue
            closest = np.clip((matrix @ np.vstack(known).astype(np.float32).T).max(axis=1), 0.0, 1.0)
            # A paper is not "like" itself: naming it asks for the others.
            rows.append(
                [0.0 if paper.arxiv_id in ids else float(value) for paper, value in zip(papers, closest, strict=True)]
            )
        return rows
