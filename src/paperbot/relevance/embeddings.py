"""Paper vectors for the rest of the bot: embed, store, look up, and find neighbours.

One object per process (built in ``open_app``, ``services.embeddings``). It picks the
backend once from ``PAPERBOT_EMBEDDING_MODEL``: the MiniLM model when it is installed and
its file is the pinned one, TF-IDF otherwise (``auto``), or the one asked for. All the
CPU work (the model, TF-IDF, the neighbour scan) runs in a worker thread, so polling
and chat go on while papers are embedded.

The model is loaded at the first embedding, not at start, so commands that never embed
do not pay for it. TF-IDF fits its IDF on the papers stored first (the largest power of
two of them, at most ``TFIDF_SAMPLE``), so the fit, and with it the model name, stays
the same until the corpus doubles, also across restarts; then everything is embedded
again under the new name and the old vectors are dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from paperbot.clock import Clock
from paperbot.domain import Paper
from paperbot.errors import ConfigError
from paperbot.relevance import minilm, tfidf
from paperbot.relevance.embedder import Embedder, Vectors, paper_text
from paperbot.relevance.space import VectorSpace
from paperbot.store.vectors import VectorStore

log = logging.getLogger(__name__)

Kind = Literal["minilm", "tfidf"]
# Papers embedded and stored per round trip: about 1.5 s of the model, so a shutdown waits no longer.
STORE_BATCH = 32
# Candidates beyond k taken from the int8 index and scored again from the stored float32 vectors.
RERANK_EXTRA = 20
# Vectors read per query when the search index is loaded from the database.
LOAD_PAGE = 10_000
# Most papers the TF-IDF weights are fitted on; IDF settles long before this.
TFIDF_SAMPLE = 1 << 14


def tfidf_sample_size(papers: int) -> int:
    """The largest power of two not above ``papers`` (capped): the fit changes only as the corpus doubles."""
    if papers <= 0:
        return 0
    return min(TFIDF_SAMPLE, 1 << (papers.bit_length() - 1))


class Embeddings:
    """The stored papers' vectors under the backend in use; see the module doc."""

    def __init__(
        self,
        store: VectorStore,
        clock: Clock,
        *,
        kind: Kind,
        threads: int = 2,
        model: Embedder | None = None,
        load_model: Callable[[], Embedder] | None = None,
        fallback_reason: str | None = None,
    ) -> None:
        if kind == "minilm" and model is None and load_model is None:
            raise ValueError("the minilm backend needs a model or a way to load one")
        self.kind: Kind = kind
        # Why TF-IDF stands in for the model, when it does (for /status and the logs).
        self.fallback_reason = fallback_reason
        self._store = store
        self._clock = clock
        self._threads = threads
        self._model = model
        self._load_model = load_model
        self._tfidf: tfidf.TfidfEmbedder | None = None
        self._tfidf_sample = -1
        self._space: VectorSpace | None = None
        # Guards the backend's state (loading the model, fitting TF-IDF) and loading the index;
        # embedding itself runs outside it, so a long backfill does not hold up a chat's /more.
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(
        cls,
        choice: str,
        store: VectorStore,
        clock: Clock,
        *,
        threads: int = 2,
        model_path: Path | None = None,
    ) -> Embeddings:
        """The backend ``choice`` (auto, minilm or tfidf) names; only ``minilm`` fails when the model cannot be used."""
        if choice == "tfidf":
            return cls(store, clock, kind="tfidf", threads=threads)
        if choice not in ("auto", "minilm"):
            raise ConfigError(f"PAPERBOT_EMBEDDING_MODEL is auto, minilm or tfidf, not {choice!r}")
        try:
            path = minilm.verify_model(model_path)
        except minilm.ModelUnavailable as error:
            if choice == "minilm":
                raise
            log.warning("using TF-IDF vectors instead of the embedding model: %s", error)
            return cls(store, clock, kind="tfidf", threads=threads, fallback_reason=str(error))

        def load() -> Embedder:
            return minilm.MiniLmEmbedder(threads=threads, model_path=path)

        return cls(store, clock, kind="minilm", threads=threads, load_model=load)

    # -- what the vectors are --------------------------------------------------------

    @property
    def model(self) -> str:
        """The name stored with the vectors (a TF-IDF name changes when it is fitted again)."""
        if self.kind == "minilm":
            return minilm.MODEL_NAME
        return self._tfidf.name if self._tfidf is not None else tfidf.NAME_PREFIX + "unfitted"

    @property
    def dim(self) -> int:
        return minilm.DIM if self.kind == "minilm" else tfidf.DIM

    def describe(self, model: str | None = None) -> str:
        """One line for /status: the backend, and for TF-IDF the fit (``model``, if not this process's)."""
        if self.kind == "minilm":
            return f"{minilm.MODEL_NAME} (all-MiniLM-L6-v2, int8 ONNX, {minilm.DIM} dimensions)"
        line = f"TF-IDF ({model or self.model}, {tfidf.DIM} dimensions)"
        return f"{line}; the model is not used: {self.fallback_reason}" if self.fallback_reason else line

    async def status_line(self) -> str:
        """What /status shows: the backend and how many stored papers have a vector (without fitting anything)."""
        counts = await self._store.counts()
        papers = await self._store.paper_count()
        if self.kind == "minilm":
            return f"{self.describe()}; {counts.get(minilm.MODEL_NAME, 0)} of {papers} papers embedded"
        # Another process (the running bot) may have fitted TF-IDF; its vectors are the most numerous.
        fits = {name: n for name, n in counts.items() if name.startswith(tfidf.NAME_PREFIX)}
        latest = max(fits, key=lambda name: fits[name], default=None) if self._tfidf is None else self.model
        embedded = fits.get(latest, 0) if latest else 0
        return f"{self.describe(latest)}; {embedded} of {papers} papers embedded"

    async def _embedder(self) -> Embedder:
        """The backend, ready: the model loaded, or TF-IDF fitted on the corpus as it is now."""
        async with self._lock:
            return await self._ready_embedder()

    async def _ready_embedder(self) -> Embedder:
        if self.kind == "minilm":
            if self._model is None:
                assert self._load_model is not None
                self._model = await asyncio.to_thread(self._load_model)
            return self._model
        sample = tfidf_sample_size(await self._store.paper_count())
        if self._tfidf is None or sample != self._tfidf_sample:
            texts = [paper_text(title, abstract) for title, abstract in await self._store.oldest_texts(sample)]
            fitted = await asyncio.to_thread(tfidf.TfidfEmbedder.fitted, texts)
            if self._tfidf is None or fitted.name != self._tfidf.name:
                log.info("TF-IDF fitted on %d papers: %s", len(texts), fitted.name)
                self._space = None
            self._tfidf, self._tfidf_sample = fitted, sample
        return self._tfidf

    # -- the facade --------------------------------------------------------------------

    async def embed_texts(self, texts: Sequence[str]) -> Vectors:
        """Unit float32 rows, one per text, comparable with the stored vectors."""
        embedder = await self._embedder()
        return await asyncio.to_thread(embedder.embed, list(texts))

    async def ensure(self, papers: Sequence[Paper]) -> dict[str, NDArray[np.float32]]:
        """Vectors of these papers' current versions; the missing ones are embedded (and stored, if the paper is)."""
        embedder = await self._embedder()
        model = embedder.name
        stored = await self._store.get(model, [paper.arxiv_id for paper in papers])
        found = {arxiv_id: item.vector for arxiv_id, item in stored.items()}
        missing = list({paper.arxiv_id: paper for paper in papers if paper.arxiv_id not in found}.values())
        if missing:
            vectors = await asyncio.to_thread(embedder.embed, [paper_text(p.title, p.abstract) for p in missing])
            stored_as = await self._store.stored_versions([paper.arxiv_id for paper in missing])
            keep = [
                (paper, vector, stored_as[paper.arxiv_id][1])
                for paper, vector in zip(missing, vectors, strict=True)
                if paper.arxiv_id in stored_as and stored_as[paper.arxiv_id][0] == paper.version
            ]
            await self._store.put(model, [(paper.arxiv_id, paper.version, vector) for paper, vector, _ in keep])
            self._add_to_space(model, [(paper.arxiv_id, vector, day) for paper, vector, day in keep])
            found.update((paper.arxiv_id, vector) for paper, vector in zip(missing, vectors, strict=True))
        return {paper.arxiv_id: found[paper.arxiv_id] for paper in papers}

    async def vectors(self, arxiv_ids: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        """The stored vectors of these papers' current versions; papers without one are left out."""
        model = (await self._embedder()).name
        return {arxiv_id: item.vector for arxiv_id, item in (await self._store.get(model, arxiv_ids)).items()}

    async def neighbours(
        self,
        query: NDArray[np.float32],
        k: int,
        *,
        days: int | None = 90,
        exclude: Collection[str] = (),
    ) -> list[tuple[str, float]]:
        """The ``k`` stored papers closest to ``query`` by cosine, best first.

        Only papers first announced in the last ``days`` days count (None: all papers).
        """
        if query.shape != (self.dim,):
            raise ValueError(f"a query vector has {self.dim} dimensions here, not {query.shape}")
        space = await self._loaded_space()
        since = None if days is None else (self._clock.now() - timedelta(days=days)).date()
        wanted = k + max(RERANK_EXTRA, k)
        candidates = await asyncio.to_thread(space.search, query, wanted, since=since, exclude=exclude)
        # The index holds int8 rows; the stored float32 vectors of the few candidates give
        # exact cosines, so near-ties come out as exact search would order them.
        stored = await self._store.get(self.model, [arxiv_id for arxiv_id, _ in candidates])
        query = query.astype(np.float32)
        scored = [
            (arxiv_id, float(stored[arxiv_id].vector @ query) if arxiv_id in stored else score)
            for arxiv_id, score in candidates
        ]
        return sorted(scored, key=lambda pair: -pair[1])[:k]

    async def backfill(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Embed and store every paper without a current vector; returns how many were embedded."""
        embedder = await self._embedder()
        model = embedder.name
        if self.kind == "tfidf":
            dropped = await self._store.delete_models(prefix=tfidf.NAME_PREFIX, keep=model)
            if dropped:
                log.info("dropped %d vectors of an earlier TF-IDF fit", dropped)
        total = await self._store.count_stale(model)
        done = 0
        after = ""
        if progress is not None:
            progress(done, total)
        while papers := await self._store.stale(model, after=after, limit=STORE_BATCH):
            texts = [paper_text(paper.title, paper.abstract) for paper in papers]
            vectors = await asyncio.to_thread(embedder.embed, texts)
            await self._store.put(
                model, [(paper.arxiv_id, paper.version, vector) for paper, vector in zip(papers, vectors, strict=True)]
            )
            self._add_to_space(
                model,
                [(p.arxiv_id, vector, p.first_announced) for p, vector in zip(papers, vectors, strict=True)],
            )
            done += len(papers)
            after = papers[-1].arxiv_id
            if progress is not None:
                progress(done, max(total, done))
        return done

    async def backfill_quietly(self) -> None:
        """``backfill`` after a poll: a failure is logged and left for the next poll, never raised."""
        try:
            embedded = await self.backfill()
        except Exception:
            log.exception("embedding the new papers failed; the next poll tries again")
            return
        if embedded:
            log.info("embedded %d papers (%s)", embedded, self.model)

    # -- the search index --------------------------------------------------------------

    async def _loaded_space(self) -> VectorSpace:
        async with self._lock:
            return await self._load_space()

    async def _load_space(self) -> VectorSpace:
        model = (await self._ready_embedder()).name
        if self._space is None:
            space = VectorSpace(self.dim, threads=self._threads)
            space.reserve((await self._store.counts()).get(model, 0))
            after = ""
            while page := await self._store.scan(model, after=after, limit=LOAD_PAGE):
                space.add(
                    [item.arxiv_id for item in page],
                    np.stack([item.vector for item in page]),
                    [item.first_announced for item in page],
                )
                after = page[-1].arxiv_id
            self._space = space
        return self._space

    def _add_to_space(self, model: str, rows: Sequence[tuple[str, NDArray[np.float32], date | None]]) -> None:
        """Keep a loaded index in step with what was just stored (an unloaded one reads it when loaded)."""
        if self._space is None or model != self.model or not rows:
            return
        self._space.add(
            [arxiv_id for arxiv_id, _, _ in rows], np.stack([v for _, v, _ in rows]), [d for _, _, d in rows]
        )
