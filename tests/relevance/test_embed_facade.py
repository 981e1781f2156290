"""The Embeddings facade over a real database (SQLite and PostgreSQL): ensure, neighbours, backfill, ingest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import numpy as np
from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.domain import Paper
from paperbot.relevance import tfidf
from paperbot.relevance.embedder import Vectors
from paperbot.relevance.embeddings import Embeddings
from paperbot.relevance.minilm import MODEL_NAME, MiniLmEmbedder
from paperbot.store.db import session_factory
from paperbot.store.papers import PaperStore
from paperbot.store.vectors import VectorStore
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.clock import FakeClock
from tests.fakes.papers import announce, make_paper
from tests.fakes.wiring import make_pipeline, make_source, make_transport

RECENT = date(2025, 4, 28)
LONG_AGO = date(2024, 1, 8)

QUBITS = make_paper("2504.00001", title="Superconducting qubits", abstract="Entangling gates on a quantum processor.")
CODES = make_paper(
    "2504.00002", title="Surface codes", abstract="Quantum error correction protects superconducting qubits."
)
OLD_QUBITS = make_paper("2401.00003", title="Transmon qubits", abstract="Coherence times of superconducting qubits.")
HALOS = make_paper("2504.00004", title="Dark matter halos", abstract="Rotation curves of spiral galaxies.")
RNA = make_paper("2504.00005", title="RNA folding", abstract="Secondary structure prediction of RNA molecules.")


class CountingModel:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, model: MiniLmEmbedder) -> None:
        self._model = model
        self.texts: list[str] = []

    @property
    def name(self) -> str:
        return self._model.name

    @property
    def dim(self) -> int:
        return self._model.dim

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.texts.extend(texts)
        return self._model.embed(texts)


async def _stored(store: PaperStore, *papers: Paper, day: date = RECENT) -> None:
    await store.ingest([announce(paper, day=day) for paper in papers], source="test")


def _facade(engine: AsyncEngine, clock: FakeClock, model: CountingModel | None) -> Embeddings:
    vectors = VectorStore(session_factory(engine), clock)
    if model is None:
        return Embeddings(vectors, clock, kind="tfidf", threads=1)
    return Embeddings(vectors, clock, kind="minilm", threads=1, model=model)


async def test_ensure_embeds_once_and_stores_only_stored_papers(
    engine: AsyncEngine, clock: FakeClock, store: PaperStore, minilm: MiniLmEmbedder
) -> None:
    await _stored(store, QUBITS, CODES)
    model = CountingModel(minilm)
    embeddings = _facade(engine, clock, model)
    looked_up = make_paper("2504.09999", title="Not stored", abstract="A paper only looked up on arXiv.")

    first = await embeddings.ensure([QUBITS, looked_up, CODES])
    assert list(first) == [QUBITS.arxiv_id, looked_up.arxiv_id, CODES.arxiv_id]
    assert all(abs(float(np.linalg.norm(v)) - 1.0) < 1e-5 for v in first.values())
    assert len(model.texts) == 3

    again = await embeddings.ensure([QUBITS, CODES])
    assert len(model.texts) == 3, "stored vectors are reused"
    assert np.array_equal(again[QUBITS.arxiv_id], first[QUBITS.arxiv_id])
    assert set(await embeddings.vectors([QUBITS.arxiv_id, looked_up.arxiv_id, CODES.arxiv_id])) == {
        QUBITS.arxiv_id,
        CODES.arxiv_id,
    }, "a paper that is not stored gets a vector but keeps none"
    assert embeddings.model == MODEL_NAME and embeddings.kind == "minilm" and embeddings.dim == 384


async def test_neighbours_are_closest_first_within_the_window_and_without_the_excluded(
    engine: AsyncEngine, clock: FakeClock, store: PaperStore, minilm: MiniLmEmbedder
) -> None:
    await _stored(store, QUBITS, CODES, HALOS, RNA)
    await _stored(store, OLD_QUBITS, day=LONG_AGO)
    embeddings = _facade(engine, clock, CountingModel(minilm))
    assert await embeddings.backfill() == 5
    (query,) = await embeddings.embed_texts(["superconducting qubits for quantum computing"])

    recent = await embeddings.neighbours(query, 2)
    assert [arxiv_id for arxiv_id, _ in recent] == [QUBITS.arxiv_id, CODES.arxiv_id]
    assert recent[0][1] >= recent[1][1]
    stored = await embeddings.vectors([QUBITS.arxiv_id])
    assert recent[0][1] == float(stored[QUBITS.arxiv_id] @ query), "scores are the float32 cosines"

    everything = await embeddings.neighbours(query, 3, days=None, exclude={QUBITS.arxiv_id})
    assert {arxiv_id for arxiv_id, _ in everything[:2]} == {CODES.arxiv_id, OLD_QUBITS.arxiv_id}
    assert QUBITS.arxiv_id not in dict(everything)
    assert OLD_QUBITS.arxiv_id not in dict(await embeddings.neighbours(query, 5, days=90))

    # A paper embedded after the index was loaded is found too.
    newcomer = make_paper(
        "2504.00006", title="Fluxonium qubits", abstract="Superconducting qubits with long coherence."
    )
    await _stored(store, newcomer)
    await embeddings.ensure([newcomer])
    assert newcomer.arxiv_id in dict(await embeddings.neighbours(query, 3))


async def test_backfill_embeds_what_is_missing_or_outdated_and_reports_progress(
    engine: AsyncEngine, clock: FakeClock, store: PaperStore, minilm: MiniLmEmbedder
) -> None:
    await _stored(store, QUBITS, CODES, HALOS)
    model = CountingModel(minilm)
    embeddings = _facade(engine, clock, model)
    progress: list[tuple[int, int]] = []

    assert await embeddings.backfill(lambda done, total: progress.append((done, total))) == 3
    assert progress[0] == (0, 3) and progress[-1] == (3, 3)
    assert await embeddings.backfill() == 0

    await _stored(store, replace(HALOS, version=2, abstract="Weak lensing maps of dark matter."))
    assert await embeddings.backfill() == 1
    assert model.texts[-1] == "Dark matter halos. Weak lensing maps of dark matter."
    assert (await embeddings.status_line()).endswith("3 of 3 papers embedded")


async def test_tfidf_backend_refits_as_the_corpus_doubles_and_drops_the_old_fit(
    engine: AsyncEngine, clock: FakeClock, store: PaperStore
) -> None:
    await _stored(store, QUBITS, CODES)
    embeddings = _facade(engine, clock, None)
    assert embeddings.kind == "tfidf"
    assert await embeddings.backfill() == 2
    first_fit = embeddings.model
    assert first_fit.startswith(tfidf.NAME_PREFIX) and embeddings.dim == tfidf.DIM

    await _stored(store, HALOS)
    assert await embeddings.backfill() == 1, "three papers: the fit on the first two stays"
    assert embeddings.model == first_fit

    await _stored(store, RNA)
    assert await embeddings.backfill() == 4, "four papers: a new fit, everything again"
    assert embeddings.model != first_fit
    vectors = VectorStore(session_factory(engine), clock)
    assert await vectors.counts() == {embeddings.model: 4}

    (query,) = await embeddings.embed_texts(["superconducting qubits"])
    assert [arxiv_id for arxiv_id, _ in await embeddings.neighbours(query, 2)] in (
        [QUBITS.arxiv_id, CODES.arxiv_id],
        [CODES.arxiv_id, QUBITS.arxiv_id],
    )
    restarted = _facade(engine, clock, None)
    assert await restarted.backfill() == 0, "a restart fits the same weights from the same papers"
    assert restarted.model == embeddings.model
    assert "TF-IDF" in await restarted.status_line()


async def test_a_poll_embeds_the_papers_it_stored(
    engine: AsyncEngine, clock: FakeClock, store: PaperStore, fake_arxiv: FakeArxiv, minilm: MiniLmEmbedder
) -> None:
    day = [announce(paper, day=RECENT) for paper in (QUBITS, CODES, HALOS)]
    fake_arxiv.announce(day, day=RECENT)
    model = CountingModel(minilm)
    embeddings = _facade(engine, clock, model)
    pipeline = make_pipeline(make_source(fake_arxiv, make_transport(clock)), store)
    pipeline.after_store = embeddings.backfill_quietly

    outcome = await pipeline.poll()

    assert outcome.error is None
    assert set(await embeddings.vectors([QUBITS.arxiv_id, CODES.arxiv_id, HALOS.arxiv_id])) == {
        QUBITS.arxiv_id,
        CODES.arxiv_id,
        HALOS.arxiv_id,
    }
    assert len(model.texts) == 3
