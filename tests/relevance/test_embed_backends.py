"""The two embedding backends and the in-memory neighbour search, without a database."""

from __future__ import annotations

import ipaddress
import socket
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from paperbot.relevance import tfidf
from paperbot.relevance.embeddings import Embeddings, tfidf_sample_size
from paperbot.relevance.minilm import DIM, MODEL_NAME, MiniLmEmbedder, ModelUnavailable, verify_model
from paperbot.relevance.space import SCALE, VectorSpace, quantize
from paperbot.store.vectors import VectorStore
from tests.fakes.clock import FakeClock

CAT = "A cat is sleeping on the warm windowsill in the afternoon sun."
KITTEN = "The kitten naps in the sunshine by the window."
BANK = "The central bank raised interest rates to curb inflation."

PHYSICS = [
    "Entanglement of superconducting qubits measured with a quantum circuit.",
    "Quantum error correction for superconducting qubits in a surface code.",
    "Deep neural networks trained with stochastic gradient descent generalise well.",
    "Training large language models with gradient descent on text corpora.",
    "Galaxy rotation curves and the distribution of dark matter halos.",
]


def test_minilm_gives_unit_vectors_where_similar_sentences_are_closer(minilm: MiniLmEmbedder) -> None:
    vectors = minilm.embed([CAT, KITTEN, BANK])

    assert vectors.shape == (3, DIM) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cat_kitten, cat_bank, kitten_bank = vectors[0] @ vectors[1], vectors[0] @ vectors[2], vectors[1] @ vectors[2]
    assert cat_kitten > 0.5 > max(cat_bank, kitten_bank)
    assert minilm.name == MODEL_NAME


def test_minilm_vector_does_not_depend_on_the_batch_it_came_in(minilm: MiniLmEmbedder) -> None:
    alone = minilm.embed([KITTEN])[0]
    among_longer = minilm.embed([PHYSICS[1] * 3, KITTEN, BANK])[1]
    assert np.allclose(alone, among_longer, atol=1e-4)
    assert minilm.embed([]).shape == (0, DIM)


def test_loading_and_embedding_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
            attempts.append(address)
            raise OSError(f"no network in this test: {address}")
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HOME", "/nonexistent")

    model = MiniLmEmbedder(threads=1)
    assert model.embed([CAT]).shape == (1, DIM)
    assert attempts == []
    assert not any(name.startswith(("huggingface_hub", "transformers", "torch")) for name in sys.modules)


def test_a_model_file_that_is_not_the_pinned_one_is_refused(tmp_path: Path) -> None:
    forged = tmp_path / "model.onnx"
    forged.write_bytes(b"not the model")

    with pytest.raises(ModelUnavailable, match=r"sha256 .* not the pinned 8199be6f"):
        verify_model(forged)
    with pytest.raises(ModelUnavailable, match="missing"):
        verify_model(tmp_path / "absent.onnx")


def test_a_forged_model_falls_back_to_tfidf_under_auto_and_fails_under_minilm(tmp_path: Path) -> None:
    forged = tmp_path / "model.onnx"
    forged.write_bytes(b"not the model")
    store = VectorStore.__new__(VectorStore)  # never queried: choosing the backend reads no rows
    clock = FakeClock()

    auto = Embeddings.from_settings("auto", store, clock, model_path=forged)
    assert auto.kind == "tfidf"
    assert auto.fallback_reason is not None and "sha256" in auto.fallback_reason
    assert "the model is not used" in auto.describe()

    with pytest.raises(ModelUnavailable, match="sha256"):
        Embeddings.from_settings("minilm", store, clock, model_path=forged)
    assert Embeddings.from_settings("tfidf", store, clock).kind == "tfidf"
    assert Embeddings.from_settings("auto", store, clock).kind == "minilm"


def test_tfidf_vectors_compare_across_calls_and_fits_have_names() -> None:
    embedder = tfidf.TfidfEmbedder.fitted(PHYSICS)
    together = embedder.embed([PHYSICS[0], PHYSICS[1], PHYSICS[4]])
    separately = np.vstack([embedder.embed([text])[0] for text in (PHYSICS[0], PHYSICS[1], PHYSICS[4])])

    assert np.array_equal(together, separately), "a vector does not depend on its batch"
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert together[0] @ together[1] > 0.2 > together[0] @ together[2]
    assert tfidf.TfidfEmbedder.fitted(list(PHYSICS)).name == embedder.name, "the same fit, the same name"
    assert tfidf.TfidfEmbedder.fitted(PHYSICS[:3]).name != embedder.name
    assert embedder.name.startswith(tfidf.NAME_PREFIX) and len(embedder.name) <= 64
    assert not embedder.embed(["the of and"]).any(), "only stop words: the zero vector"


def test_tfidf_fit_sample_only_changes_as_the_corpus_doubles() -> None:
    assert [tfidf_sample_size(n) for n in (0, 1, 2, 3, 5, 1000, 1023, 1024, 10**6)] == [
        0,
        1,
        2,
        2,
        4,
        512,
        512,
        1024,
        16384,
    ]


def _unit_rows(count: int, dim: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((count, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.mark.parametrize("use_usearch", [True, False], ids=["usearch", "numpy"])
def test_space_search_matches_brute_force_with_window_and_exclusions(use_usearch: bool) -> None:
    vectors = _unit_rows(3000, 64, seed=1)
    ids = [f"2504.{n:05d}" for n in range(3000)]
    days = [date(2025, 1, 1) if n % 3 else date(2025, 4, 1) for n in range(3000)]
    space = VectorSpace(64, threads=1, use_usearch=use_usearch)
    space.add(ids[:1000], vectors[:1000], days[:1000])
    space.add(ids[1000:], vectors[1000:], days[1000:])
    query = vectors[7]
    # The space holds int8 rows: exact means exact over those.
    scores = quantize(vectors).astype(np.float32) @ query / SCALE

    exact = np.argsort(-scores)[:10]
    found = space.search(query, 10)
    assert [arxiv_id for arxiv_id, _ in found] == [ids[row] for row in exact]
    assert [score for _, score in found] == sorted((score for _, score in found), reverse=True)
    assert abs(found[0][1] - 1.0) < 0.02

    recent = space.search(query, 10, since=date(2025, 3, 1), exclude={ids[3]})
    allowed = [row for row in range(3000) if row % 3 == 0 and row != 3]
    expected = sorted(allowed, key=lambda row: -float(scores[row]))[:10]
    assert [arxiv_id for arxiv_id, _ in recent] == [ids[row] for row in expected]

    space.add([ids[0]], vectors[7:8], [date(2025, 4, 1)])
    assert len(space) == 3000, "a paper embedded again replaces its row"
    assert {arxiv_id for arxiv_id, _ in space.search(query, 2)} == {ids[0], ids[7]}
    assert space.search(query, 0) == [] and VectorSpace(64).search(query, 5) == []
