"""Benchmark: how precise and complete topic subscriptions are, on a labelled set.

Run from the repository root::

    .venv/bin/python bench/relevance.py [--backend minilm,tfidf] [--cache DIR]

The labels (bench/relevance_labels.toml) say, for nine intents, which of the ~2,700
fixture papers a careful reader would want. Every intent is subscribed to in several
ways, each run through the real matcher over every paper, and scored by precision (of
what would be delivered, the share wanted) and recall (of what is wanted, the share
delivered), summed over the intents:

* any word / all words: the intent's words joined by OR / AND, the plain query language;
* ~"topic": the hybrid topic term, at the calibrated threshold (relevance/topic.py);
* + related: the topic term OR the related terms (relevance/related.py, from the 20
  papers closest to the topic) that a reader accepts: simulated as accepting a term when
  at least half of the papers it matches are wanted;
* like:ID: the paper named in the labels (left out of every row's figures);
* after 5 / 10 ratings: the reader rates the top 5 / 10 papers of the topic term's
  ranking; engineer C's ratings model (paperbot.relevance.ratings) is trained on those
  ratings and holds back the papers it gives under 0.5 interest (what /filter does).
  The rated papers are left out of those rows' figures, and of a row beside each
  ("~topic, N rated left out") that shows the topic term alone on the same papers.

It also sweeps the hybrid weight and threshold over the "tune" intents (two thirds) and
prints the most precise setting with useful recall, then how that setting does on the
held-out third, which was not looked at while tuning. Both backends: the MiniLM model
(about 3 minutes to embed the papers on one core; ``--cache`` keeps the vectors) and
TF-IDF.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
import tomllib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
try:
    import paperbot.relevance  # noqa: F401
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "query"))

from arxiv_fixtures import load_papers  # noqa: E402

from paperbot.domain import Paper  # noqa: E402
from paperbot.query import parse, search  # noqa: E402
from paperbot.query.topics import content_words  # noqa: E402
from paperbot.relevance.embedder import Embedder, Vectors, paper_text  # noqa: E402
from paperbot.relevance.lexical import LexicalScorer  # noqa: E402
from paperbot.relevance.ratings import train_interest_model  # noqa: E402
from paperbot.relevance.related import broaden, closest, related_terms  # noqa: E402
from paperbot.relevance.topic import CALIBRATIONS, Calibration, TopicScorer, hybrid  # noqa: E402

LABELS = ROOT / "bench" / "relevance_labels.toml"
CLOSE_PAPERS = 20
RATED = (5, 10)
TARGET_PRECISION = 0.8
"""A bare ~"..." should be precise: the sweep takes the most complete setting at least this precise."""


@dataclass(frozen=True)
class Intent:
    name: str
    topic: str
    split: str
    like: str
    relevant: frozenset[str]


@dataclass
class Tally:
    wanted: int = 0
    delivered: int = 0
    hits: int = 0

    def add(self, delivered: Collection[str], intent: Intent, skip: Collection[str] = ()) -> None:
        wanted = intent.relevant - set(skip) - {intent.like}
        sent = set(delivered) - set(skip) - {intent.like}
        self.wanted += len(wanted)
        self.delivered += len(sent)
        self.hits += len(sent & wanted)

    @property
    def precision(self) -> float:
        return self.hits / self.delivered if self.delivered else 1.0

    @property
    def recall(self) -> float:
        return self.hits / self.wanted if self.wanted else 0.0

    def cell(self) -> str:
        return f"P {self.precision:4.2f} R {self.recall:4.2f} ({self.delivered:4d} sent)"


class MemoryEmbeddings:
    """The embeddings facade's API over an embedder, with vectors in memory: what
    TopicScorer and the neighbours of related terms need, without a database."""

    def __init__(self, embedder: Embedder, kind: str, papers: Sequence[Paper], cache: Path | None) -> None:
        self.kind = kind
        self._embedder = embedder
        self._papers = {p.arxiv_id: p for p in papers}
        ids = list(self._papers)
        file = None if cache is None else cache / f"{embedder.name}-{len(ids)}.npy"
        started = time.perf_counter()
        if file is not None and file.exists():
            matrix = np.load(file)
        else:
            matrix = embedder.embed([paper_text(p.title, p.abstract) for p in self._papers.values()])
            if file is not None:
                file.parent.mkdir(parents=True, exist_ok=True)
                np.save(file, matrix)
        self.seconds = time.perf_counter() - started
        self.ids = ids
        self.matrix = matrix
        self.stored = {arxiv_id: matrix[row] for row, arxiv_id in enumerate(ids)}

    async def embed_texts(self, texts: Sequence[str]) -> Vectors:
        return self._embedder.embed(list(texts))

    async def ensure(self, papers: Sequence[Paper]) -> dict[str, NDArray[np.float32]]:
        missing = [p for p in papers if p.arxiv_id not in self.stored]
        if missing:
            rows = self._embedder.embed([paper_text(p.title, p.abstract) for p in missing])
            self.stored.update({p.arxiv_id: row for p, row in zip(missing, rows, strict=True)})
        return {p.arxiv_id: self.stored[p.arxiv_id] for p in papers}

    async def vectors(self, arxiv_ids: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        return {a: self.stored[a] for a in arxiv_ids if a in self.stored}

    async def get_many(self, arxiv_ids: Sequence[str]) -> list[Paper]:
        return [self._papers[a] for a in arxiv_ids if a in self._papers]

    def neighbours(self, query: NDArray[np.float32], k: int) -> list[str]:
        closeness = self.matrix @ query
        order = np.argsort(-closeness)[:k]
        return closest([(self.ids[row], float(closeness[row])) for row in order])


def load_intents() -> list[Intent]:
    data = tomllib.loads(LABELS.read_text())
    return [Intent(i["name"], i["topic"], i["split"], i["like"], frozenset(i["relevant"])) for i in data["intent"]]


def words_query(topic: str, joiner: str) -> str:
    return f" {joiner} ".join(content_words(topic))


async def topic_delivered(topics: TopicScorer, query: str, papers: Sequence[Paper]) -> set[str]:
    return {paper.arxiv_id for paper, _ in await topics.search(query, papers)}


def accepted(term: str, intent: Intent, papers: Sequence[Paper]) -> bool:
    """The simulated reader: a term is worth adding when most papers it finds are wanted."""
    found = [p.arxiv_id for p, _ in search(f'"{term}"', papers)]
    return bool(found) and sum(a in intent.relevant for a in found) >= len(found) / 2


async def evaluate(
    name: str, embeddings: MemoryEmbeddings, papers: Sequence[Paper], intents: Sequence[Intent]
) -> Calibration:
    calibration = CALIBRATIONS[name]

    async def corpus() -> Sequence[Paper]:
        return papers

    topics = TopicScorer(embeddings, embeddings, calibration=calibration, corpus=corpus)
    by_id = {p.arxiv_id: p for p in papers}
    rows: dict[str, dict[str, Tally]] = {}

    def tally(row: str, split: str) -> Tally:
        return rows.setdefault(row, {}).setdefault(split, Tally())

    def record(row: str, intent: Intent, delivered: Collection[str], skip: Collection[str] = ()) -> None:
        for split in (intent.split, "all"):
            tally(row, split).add(delivered, intent, skip)

    cosines: dict[str, NDArray[np.float32]] = {}
    lexicals: dict[str, list[float]] = {}
    suggestions: dict[str, list[str]] = {}
    kinds: dict[int, list[str]] = {count: [] for count in RATED}
    for intent in intents:
        record("any word", intent, [p.arxiv_id for p, _ in search(words_query(intent.topic, "OR"), papers)])
        record("all words", intent, [p.arxiv_id for p, _ in search(words_query(intent.topic, "AND"), papers)])
        topic_query = f'~"{intent.topic}"'
        record("~topic (hybrid)", intent, await topic_delivered(topics, topic_query, papers))

        vector = (await embeddings.embed_texts([intent.topic]))[0]
        close = [by_id[a] for a in embeddings.neighbours(vector, CLOSE_PAPERS)]
        offered = [t.text for t in related_terms(parse(topic_query), close, papers)]
        taken = [term for term in offered if accepted(term, intent, papers)]
        suggestions[intent.name] = [f"{t}{'*' if t in taken else ''}" for t in offered]
        broadened = parse(topic_query)
        for term in taken:
            broadened = broaden(broadened, term)
        record("~topic + related", intent, await topic_delivered(topics, str(broadened), papers))
        record("like:ID", intent, await topic_delivered(topics, f"like:{intent.like}", papers))

        scores = await topics.score(intent.topic, papers)
        ranking = [papers[i].arxiv_id for i in np.argsort(-np.asarray(scores), kind="stable")]
        matched = {papers[i].arxiv_id for i, s in enumerate(scores) if s >= calibration.threshold}
        for count in RATED:
            rated = [a for a in ranking if a != intent.like][:count]
            vectors = np.vstack([embeddings.stored[a] for a in rated])
            texts = [paper_text(by_id[a].title, by_id[a].abstract) for a in rated]
            model = train_interest_model(vectors, texts, [a in intent.relevant for a in rated])
            kept = matched
            kinds[count].append(model.kind if model is not None else "none")
            if model is not None and model.trained:  # as /filter: only a trained model holds back
                candidates = sorted(matched)
                interest = model.interest(
                    np.vstack([embeddings.stored[a] for a in candidates]) if candidates else np.zeros((0, 1)),
                    [paper_text(by_id[a].title, by_id[a].abstract) for a in candidates],
                )
                kept = {a for a, value in zip(candidates, interest, strict=True) if value >= 0.5}
            # The same papers without the filter: the rated ones leave both rows alike, so
            # the two differ only by what the model held back.
            record(f"~topic, {count} rated left out", intent, matched, skip=rated)
            record(f"after {count} ratings", intent, kept, skip=rated)

        matrix = np.vstack([embeddings.stored[p.arxiv_id] for p in papers])
        cosines[intent.name] = matrix @ vector
        lexicals[intent.name] = LexicalScorer(topics.frequencies).score(intent.topic, papers)

    print(f"\n== {name} ({embeddings.seconds:.0f} s to embed {len(papers)} papers) ==")
    print(
        f"calibration in use: weight {calibration.embedding_weight}, threshold {calibration.threshold}, "
        f"like threshold {calibration.like_threshold}"
    )
    print(f"{'':28s} {'tune (6 intents)':34s} {'held-out (3 intents)':34s} {'all':34s}")
    for row, splits in rows.items():
        cells = "".join(f"{splits.get(split, Tally()).cell():34s} " for split in ("tune", "held-out", "all"))
        print(f"{row:28s} {cells}")
    for count in RATED:
        print(f"models after {count} ratings: {', '.join(kinds[count])}")
    print("related terms offered (* = accepted by the simulated reader):")
    for intent in intents:
        print(f"  {intent.name}: {', '.join(suggestions[intent.name]) or '(none)'}")
    best = sweep(papers, intents, cosines, lexicals)
    like_best = sweep_like(embeddings, papers, intents)
    print(
        f"sweep on the tune intents (most recall at precision >= {TARGET_PRECISION}): "
        f"weight {best.embedding_weight}, threshold {best.threshold}, like threshold {like_best}"
    )
    for split in ("tune", "held-out"):
        chosen = Tally()
        for intent in intents:
            if intent.split == split:
                score = hybrid(cosines[intent.name], lexicals[intent.name], best.embedding_weight)
                chosen.add([p.arxiv_id for p, s in zip(papers, score, strict=True) if s >= best.threshold], intent)
        print(f"  swept setting on {split}: {chosen.cell()}")
    return Calibration(best.embedding_weight, best.threshold, like_best)


def sweep(
    papers: Sequence[Paper],
    intents: Sequence[Intent],
    cosines: dict[str, NDArray[np.float32]],
    lexicals: dict[str, list[float]],
) -> Calibration:
    best: tuple[float, Calibration] | None = None
    for weight in np.arange(0.3, 1.01, 0.1):
        mixed = {i.name: np.asarray(hybrid(cosines[i.name], lexicals[i.name], float(weight))) for i in intents}
        for threshold in np.arange(0.1, 0.8, 0.01):
            total = Tally()
            for intent in intents:
                if intent.split == "tune":
                    sent = [p.arxiv_id for p, s in zip(papers, mixed[intent.name], strict=True) if s >= threshold]
                    total.add(sent, intent)
            if total.precision >= TARGET_PRECISION and (best is None or total.recall > best[0]):
                best = (total.recall, Calibration(round(float(weight), 2), round(float(threshold), 2), 0.0))
    assert best is not None, "no setting is precise enough"
    return best[1]


def sweep_like(embeddings: MemoryEmbeddings, papers: Sequence[Paper], intents: Sequence[Intent]) -> float:
    matrix = np.vstack([embeddings.stored[p.arxiv_id] for p in papers])
    similar = {i.name: matrix @ embeddings.stored[i.like] for i in intents}
    best: tuple[float, float] | None = None
    for threshold in np.arange(0.05, 0.95, 0.01):
        total = Tally()
        for intent in intents:
            if intent.split == "tune":
                total.add(
                    [p.arxiv_id for p, s in zip(papers, similar[intent.name], strict=True) if s >= threshold], intent
                )
        if total.precision >= TARGET_PRECISION and total.hits and (best is None or total.recall > best[0]):
            best = (total.recall, round(float(threshold), 2))
    return math.nan if best is None else best[1]


def embedder_for(name: str, papers: Sequence[Paper]) -> Embedder:
    if name == "minilm":
        from paperbot.relevance.minilm import MiniLmEmbedder

        return MiniLmEmbedder(threads=1)
    from paperbot.relevance.tfidf import TfidfEmbedder

    return TfidfEmbedder.fitted([paper_text(p.title, p.abstract) for p in papers])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="minilm,tfidf", help="comma-separated: minilm, tfidf")
    parser.add_argument("--cache", type=Path, default=None, help="keep the papers' vectors here between runs")
    args = parser.parse_args()
    papers = load_papers()
    intents = load_intents()
    known = {p.arxiv_id for p in papers}
    missing = sorted(a for i in intents for a in i.relevant | {i.like} if a not in known)
    if missing:
        raise SystemExit(f"labels name papers that are not in the fixtures: {', '.join(missing)}")
    print(
        f"{len(papers)} papers, {len(intents)} intents "
        f"({sum(i.split == 'tune' for i in intents)} tune, {sum(i.split == 'held-out' for i in intents)} held out), "
        f"{sum(len(i.relevant) for i in intents)} papers labelled wanted"
    )
    for name in args.backend.split(","):
        embeddings = MemoryEmbeddings(embedder_for(name, papers), name, papers, args.cache)
        await evaluate(name, embeddings, papers, intents)


if __name__ == "__main__":
    asyncio.run(main())
