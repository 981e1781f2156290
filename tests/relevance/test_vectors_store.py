"""VectorStore on SQLite and PostgreSQL, with vectors from both backends."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.relevance import tfidf
from paperbot.relevance.embedder import Embedder, paper_text
from paperbot.relevance.minilm import MiniLmEmbedder
from paperbot.store.db import session_factory
from paperbot.store.papers import PaperStore
from paperbot.store.vectors import VectorStore
from tests.fakes.clock import FakeClock
from tests.fakes.papers import announce, make_paper

PAPERS = [
    make_paper("2504.00001", title="Superconducting qubits", abstract="Entangling gates on a quantum processor."),
    make_paper("2504.00002", title="Surface codes", abstract="Quantum error correction with superconducting qubits."),
    make_paper("2504.00003", title="Dark matter halos", abstract="Rotation curves of spiral galaxies."),
]


@pytest.fixture(params=["minilm", "tfidf"])
def embedder(request: pytest.FixtureRequest) -> Embedder:
    if request.param == "minilm":
        model: MiniLmEmbedder = request.getfixturevalue("minilm")
        return model
    return tfidf.TfidfEmbedder.fitted([paper_text(p.title, p.abstract) for p in PAPERS])


async def test_vectors_round_trip_and_go_stale_with_a_new_version(
    engine: AsyncEngine, clock: FakeClock, store: PaperStore, embedder: Embedder
) -> None:
    await store.ingest([announce(paper) for paper in PAPERS], source="test")
    vectors = VectorStore(session_factory(engine), clock)
    model = embedder.name
    assert [p.arxiv_id for p in await vectors.stale(model, limit=10)] == [p.arxiv_id for p in PAPERS]

    made = embedder.embed([paper_text(p.title, p.abstract) for p in PAPERS])
    await vectors.put(model, [(p.arxiv_id, p.version, v) for p, v in zip(PAPERS, made, strict=True)])

    got = await vectors.get(model, ["2504.00002", "2504.00001", "2504.99999"])
    assert set(got) == {"2504.00001", "2504.00002"}
    assert np.array_equal(got["2504.00001"].vector, made[0]), "float32 bytes come back bit for bit"
    assert got["2504.00001"].vector.shape == (embedder.dim,)
    assert await vectors.stale(model, limit=10) == [] and await vectors.count_stale(model) == 0
    assert await vectors.counts() == {model: 3}
    assert [item.arxiv_id for item in await vectors.scan(model, after="2504.00001", limit=10)] == [
        "2504.00002",
        "2504.00003",
    ]

    revised = replace(PAPERS[0], version=2, abstract="A new abstract about trapped ions.")
    await store.ingest([announce(revised)], source="test")
    assert [p.arxiv_id for p in await vectors.stale(model, limit=10)] == ["2504.00001"]
    assert "2504.00001" not in await vectors.get(model, ["2504.00001"]), "an old version's vector is not current"

    again = embedder.embed([paper_text(revised.title, revised.abstract)])
    await vectors.put(model, [("2504.00001", 2, again[0])])
    assert (await vectors.get(model, ["2504.00001"]))["2504.00001"].version == 2
    assert await vectors.counts() == {model: 3}, "replaced, not added"
    assert await vectors.stored_versions(["2504.00001", "2504.00003", "2504.09999"]) == {
        "2504.00001": (2, date(2025, 4, 28)),
        "2504.00003": (1, date(2025, 4, 28)),
    }


async def test_an_old_tfidf_fit_is_dropped_and_other_models_are_kept(
    engine: AsyncEngine, clock: FakeClock, store: PaperStore
) -> None:
    await store.ingest([announce(paper) for paper in PAPERS], source="test")
    vectors = VectorStore(session_factory(engine), clock)
    row = np.ones(4, dtype=np.float32) / 2
    await vectors.put("tfidf-old", [("2504.00001", 1, row)])
    await vectors.put("tfidf-new", [("2504.00001", 1, row), ("2504.00002", 1, row)])
    await vectors.put("minilm-l6-int8", [("2504.00001", 1, row)])

    assert await vectors.delete_models(prefix=tfidf.NAME_PREFIX, keep="tfidf-new") == 1
    assert await vectors.counts() == {"tfidf-new": 2, "minilm-l6-int8": 1}
    assert await vectors.paper_count() == 3
    assert len(await vectors.oldest_texts(2)) == 2
