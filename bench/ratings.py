"""Benchmark: retraining a chat's ratings model after one more 👍/👎, and using it.

Run from the repository root::

    .venv/bin/python bench/ratings.py [--ratings 20,100,500] [--repeat 5]

Setup, per size N: a temporary SQLite database (migrated as the bot does) with N rated
papers and 200 unrated ones, one chat whose N ratings are half 👍 and half 👎, and
paper vectors already stored (384 dimensions, unit length, as the MiniLM model gives;
random here, since the time does not depend on what they mean). Then:

- retrain: one more rating, then ``InterestModels.model_for`` (the path a rating takes:
  read the ratings, the papers and their vectors, fit the logistic regression). Target:
  well under a second at every size. Against it, a cache hit (no new rating).
- the fit alone, against the naive way: a TF-IDF vocabulary fitted again on the rated
  papers at every retrain (what a per-chat TfidfVectorizer would need) instead of our
  hashed words, which need no fitting.
- scoring the 200 papers of a digest with the trained model.

Times are medians of ``--repeat`` runs; ratios are naive / ours.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import paperbot  # noqa: F401
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # the fakes are shared with the tests

import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402
from scipy import sparse  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from tests.fakes.clock import FakeClock  # noqa: E402
from tests.fakes.papers import announce, make_paper  # noqa: E402

from paperbot.domain import Paper  # noqa: E402
from paperbot.relevance.embedder import Vectors  # noqa: E402
from paperbot.relevance.ratings import EMBEDDING_WEIGHT, InterestModels, paper_texts, train_interest_model  # noqa: E402
from paperbot.relevance.similarity import stack  # noqa: E402
from paperbot.store.chats import ChatStore  # noqa: E402
from paperbot.store.db import create_engine, migrate, session_factory  # noqa: E402
from paperbot.store.feedback import FeedbackStore  # noqa: E402
from paperbot.store.models import Platform, RecipientKind  # noqa: E402
from paperbot.store.papers import PaperStore  # noqa: E402

DIM = 384
CANDIDATES = 200
WORDS = [f"term{n}" for n in range(3000)]


class StoredVectors:
    """Vectors as if stored: random unit rows, made once per paper."""

    def __init__(self, seed: int) -> None:
        self._random = np.random.default_rng(seed)
        self._vectors: dict[str, NDArray[np.float32]] = {}

    async def ensure(self, papers: Sequence[Paper]) -> dict[str, NDArray[np.float32]]:
        for paper in papers:
            if paper.arxiv_id not in self._vectors:
                row = self._random.standard_normal(DIM).astype(np.float32)
                self._vectors[paper.arxiv_id] = row / np.linalg.norm(row)
        return {p.arxiv_id: self._vectors[p.arxiv_id] for p in papers}

    async def vectors(self, arxiv_ids: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        return {a: self._vectors[a] for a in arxiv_ids if a in self._vectors}

    async def embed_texts(self, texts: Sequence[str]) -> Vectors:
        raise NotImplementedError

    async def neighbours(
        self, query: NDArray[np.float32], k: int, *, days: int | None = 90, exclude: Collection[str] = ()
    ) -> list[tuple[str, float]]:
        raise NotImplementedError


def synthetic_papers(count: int, start: int, rng: random.Random) -> list[Paper]:
    return [
        make_paper(
            f"2504.{n:05d}",
            title=" ".join(rng.choices(WORDS, k=10)),
            abstract=" ".join(rng.choices(WORDS, k=150)),
        )
        for n in range(start, start + count)
    ]


def naive_fit(vectors: Vectors, texts: Sequence[str], liked: Sequence[bool]) -> LogisticRegression:
    """The same model, but with a TF-IDF vocabulary fitted afresh on the rated papers."""
    words = TfidfVectorizer(ngram_range=(1, 2), stop_words="english").fit_transform(texts)
    features = sparse.hstack([sparse.csr_matrix(vectors * EMBEDDING_WEIGHT), words], format="csr")
    return LogisticRegression(class_weight="balanced", solver="liblinear", max_iter=1000).fit(features, list(liked))


def median_time(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def median_time_async(action: Callable[[int], Awaitable[object]], repeat: int) -> float:
    times = []
    for attempt in range(repeat):
        started = time.perf_counter()
        await action(attempt)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def one_size(ratings: int, repeat: int, directory: Path) -> None:
    rng = random.Random(ratings)
    engine = create_engine(f"sqlite+aiosqlite:///{directory / f'ratings{ratings}.db'}")
    await migrate(engine)
    clock = FakeClock()
    sessions = session_factory(engine)
    papers = PaperStore(sessions, clock)
    feedback = FeedbackStore(sessions, clock)
    rated = synthetic_papers(ratings + repeat, 1, rng)
    candidates = synthetic_papers(CANDIDATES, 50_000, rng)
    await papers.ingest([announce(p) for p in rated + candidates], source="bench")
    chat = await ChatStore(sessions, clock).ensure(Platform.CONSOLE, "bench", RecipientKind.PRIVATE)
    for number, paper in enumerate(rated[:ratings]):
        await feedback.rate(chat.id, paper.arxiv_id, "u", +1 if number % 2 == 0 else -1)
    vectors = StoredVectors(ratings)
    await vectors.ensure(rated + candidates)
    models = InterestModels(feedback, papers, vectors)
    await models.model_for(chat.id)

    async def rate_and_retrain(attempt: int) -> None:
        await feedback.rate(chat.id, rated[ratings + attempt].arxiv_id, "u", +1 if attempt % 2 else -1)
        await models.model_for(chat.id)

    async def cached(attempt: int) -> None:
        await models.model_for(chat.id)

    retrain = await median_time_async(rate_and_retrain, repeat)
    hit = await median_time_async(cached, repeat)
    model = await models.model_for(chat.id)
    assert model is not None and model.trained

    matrix = stack(list((await vectors.ensure(rated[:ratings])).values()))
    texts = paper_texts(rated[:ratings])
    liked = [n % 2 == 0 for n in range(ratings)]
    ours = median_time(lambda: train_interest_model(matrix, texts, liked), repeat)
    naive = median_time(lambda: naive_fit(matrix, texts, liked), repeat)
    scoring = await median_time_async(lambda _: models.score_with(model, candidates), repeat)
    await engine.dispose()

    print(
        f"{ratings:>4} ratings: rate + retrain {retrain * 1000:7.1f} ms (cache hit {hit * 1000:5.1f} ms) | "
        f"fit {ours * 1000:6.1f} ms vs TF-IDF refit {naive * 1000:6.1f} ms ({naive / ours:4.1f}x) | "
        f"score {CANDIDATES} papers {scoring * 1000:5.1f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ratings", default="20,100,500", help="comma-separated numbers of ratings")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        for size in (int(s) for s in args.ratings.split(",")):
            await one_size(size, args.repeat, Path(directory))


if __name__ == "__main__":
    asyncio.run(main())
