"""Benchmark: embedding a day of arXiv, and the top-20 neighbour search over 100k and 1M vectors.

Run from the repository root::

    .venv/bin/python bench/embed.py [--papers 2500] [--threads 2] [--sizes 100000,1000000]

Each part runs in a process of its own, so each peak memory figure is that part's alone:

- embed: the MiniLM model (int8 ONNX) on the fixture papers' "title. abstract" (the real
  abstracts in ../shared/fixtures/arxiv, repeated to ``--papers``), in the batches the
  bot uses (32 papers a round, one at a time inside, which measured fastest); the naive
  way is batches of 32 (sentence-transformers' default), on a sample, extrapolated. Also: model load time, one query's
  embedding time, TF-IDF's fit and embedding of the same papers.
- search: exact top-20 over int8 vectors (paperbot.relevance.space, usearch's SIMD scan)
  against float32 numpy brute force (the naive way, in its own process), on random unit
  vectors, and recall@20 on clustered vectors (real paper vectors as cluster centres,
  noise around them) against exact float32 search.
- bot: the resident memory of a process that opens the app on SQLite with the model
  loaded, embeds a batch of stored papers and searches them.

Targets: 2,500 papers in under 180 s on 2 cores; top-20 over 1M vectors in under 100 ms
per query with under 600 MB for the vectors and recall@20 >= 0.95; the bot under 1 GB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
try:
    import paperbot  # noqa: F401
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(ROOT / "src"))
# The fixture reader is shared with the tests, so both see the same papers.
sys.path.insert(0, str(ROOT / "tests" / "query"))

from arxiv_fixtures import load_papers  # noqa: E402

from paperbot.domain import Paper  # noqa: E402
from paperbot.relevance.embedder import paper_text  # noqa: E402

TARGET_DAY_SECONDS = 180.0
TARGET_QUERY_MS = 100.0
TARGET_VECTORS_MB = 600.0
TARGET_RECALL = 0.95
TARGET_BOT_MB = 1024.0
K = 20
DIM = 384
QUERIES = 20
NAIVE_SAMPLE = 64
CHUNK = 100_000


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def current_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def day_of_papers(count: int) -> list[Paper]:
    """The fixture papers with fresh ids, repeated until there are ``count``."""
    real = load_papers()
    return [replace(real[n % len(real)], arxiv_id=f"2601.{n:05d}") for n in range(count)]


# -- parts (each in its own process) --------------------------------------------------------


def part_embed(args: argparse.Namespace) -> dict[str, Any]:
    from paperbot.relevance.embeddings import STORE_BATCH
    from paperbot.relevance.minilm import MiniLmEmbedder
    from paperbot.relevance.tfidf import TfidfEmbedder

    texts = [paper_text(p.title, p.abstract) for p in day_of_papers(args.papers)]
    started = time.perf_counter()
    model = MiniLmEmbedder(threads=args.threads)
    model.embed(["warm up"])
    load = time.perf_counter() - started

    started = time.perf_counter()
    for start in range(0, len(texts), STORE_BATCH):
        model.embed(texts[start : start + STORE_BATCH])
    day = time.perf_counter() - started
    model_peak = peak_mb()  # before the naive run's bigger batches

    batched = MiniLmEmbedder(threads=args.threads, batch_size=32)
    started = time.perf_counter()
    batched.embed(texts[:NAIVE_SAMPLE])
    naive_day = (time.perf_counter() - started) / NAIVE_SAMPLE * len(texts)
    del batched

    started = time.perf_counter()
    for _ in range(50):
        model.embed(["sparse autoencoders for interpretability of language models"])
    query_ms = (time.perf_counter() - started) / 50 * 1000

    started = time.perf_counter()
    tfidf = TfidfEmbedder.fitted(texts)
    tfidf.embed(texts)
    tfidf_day = time.perf_counter() - started
    return {
        "papers": len(texts),
        "load_s": load,
        "day_s": day,
        "naive_day_s": naive_day,
        "query_ms": query_ms,
        "tfidf_day_s": tfidf_day,
        "peak_mb": model_peak,
    }


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def random_chunk(seed: int, index: int, rows: int) -> np.ndarray:
    return _unit(np.random.default_rng([seed, index]).standard_normal((rows, DIM), dtype=np.float32))


def clustered_chunk(centres: np.ndarray, seed: int, index: int, rows: int) -> np.ndarray:
    """Papers around real papers: a centre plus noise of about the spread of one arXiv topic."""
    rng = np.random.default_rng([seed, index])
    picked = centres[rng.integers(0, len(centres), rows)]
    noise = rng.standard_normal((rows, DIM), dtype=np.float32) * (0.6 / np.sqrt(DIM))
    return _unit(picked + noise)


def vectors_of(kind: str, size: int, centres: np.ndarray | None) -> list[np.ndarray]:
    chunks = []
    for index, start in enumerate(range(0, size, CHUNK)):
        rows = min(CHUNK, size - start)
        if kind == "random":
            chunks.append(random_chunk(1, index, rows))
        else:
            assert centres is not None
            chunks.append(clustered_chunk(centres, 2, index, rows))
    return chunks


def queries_of(kind: str, centres: np.ndarray | None) -> np.ndarray:
    if kind == "random":
        return random_chunk(9, 0, QUERIES)
    assert centres is not None
    return clustered_chunk(centres, 9, 0, QUERIES)


def load_centres(path: str) -> np.ndarray | None:
    return np.load(path) if path else None


def part_search(args: argparse.Namespace) -> dict[str, Any]:
    """The index as the bot uses it: int8 scan for k + 20 candidates, then their float32 vectors scored again.

    The float32 vectors stay on disk (a memory-mapped file stands in for the database
    rows the bot reads back for the candidates), so only the index is resident.
    """
    from paperbot.relevance.embeddings import RERANK_EXTRA
    from paperbot.relevance.space import VectorSpace

    centres = load_centres(args.centres)
    with tempfile.TemporaryDirectory() as folder:
        floats = np.lib.format.open_memmap(f"{folder}/floats.npy", mode="w+", dtype=np.float32, shape=(args.size, DIM))
        tracemalloc.start()
        space = VectorSpace(DIM, threads=args.threads)
        space.reserve(args.size)
        for index, chunk in enumerate(vectors_of(args.kind, args.size, centres)):
            start = index * CHUNK
            floats[start : start + len(chunk)] = chunk
            space.add([f"p{start + row}" for row in range(len(chunk))], chunk, [None] * len(chunk))
            del chunk
        index_mb = tracemalloc.get_traced_memory()[0] / 2**20
        tracemalloc.stop()
        floats.flush()
        queries = queries_of(args.kind, centres)

        def search(query: np.ndarray) -> list[int]:
            candidates = space.search(query, K + max(RERANK_EXTRA, K))
            rows = sorted(int(arxiv_id[1:]) for arxiv_id, _ in candidates)
            scores = floats[rows] @ query
            return [row for _, row in sorted(zip(-scores, rows, strict=True))][:K]

        search(queries[0])
        started = time.perf_counter()
        found = [search(query) for query in queries]
        query_ms = (time.perf_counter() - started) / len(queries) * 1000
        started = time.perf_counter()
        for query in queries:
            space.search(query, K)
        scan_ms = (time.perf_counter() - started) / len(queries) * 1000
        result: dict[str, Any] = {
            "query_ms": query_ms,
            "scan_ms": scan_ms,
            "index_mb": index_mb,
            "int8_mb": space.nbytes / 2**20,
            "peak_mb": peak_mb(),
        }
        if args.recall:
            exact = exact_top(vectors_of(args.kind, args.size, centres), queries)
            hits = [len(set(got) & set(truth)) for got, truth in zip(found, exact, strict=True)]
            result["recall"] = sum(hits) / (K * len(queries))
            int8_only = [[int(i[1:]) for i, _ in space.search(query, K)] for query in queries]
            hits = [len(set(got) & set(truth)) for got, truth in zip(int8_only, exact, strict=True)]
            result["recall_int8"] = sum(hits) / (K * len(queries))
        return result


def exact_top(chunks: list[np.ndarray], queries: np.ndarray) -> list[list[int]]:
    """float32 exact top-K per query, one chunk at a time."""
    best_scores = np.full((len(queries), K), -np.inf, dtype=np.float32)
    best_rows = np.zeros((len(queries), K), dtype=np.int64)
    offset = 0
    for chunk in chunks:
        scores = queries @ chunk.T
        rows = np.concatenate([best_rows, np.arange(offset, offset + len(chunk))[None, :].repeat(len(queries), 0)], 1)
        both = np.concatenate([best_scores, scores], 1)
        keep = np.argsort(-both, axis=1)[:, :K]
        best_scores = np.take_along_axis(both, keep, 1)
        best_rows = np.take_along_axis(rows, keep, 1)
        offset += len(chunk)
    return [list(map(int, row)) for row in best_rows]


def part_naive(args: argparse.Namespace) -> dict[str, Any]:
    """float32 in one numpy array, brute force: matrix @ query, then argpartition."""
    tracemalloc.start()
    matrix = np.concatenate(vectors_of("random", args.size, None))
    vectors_mb = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    queries = queries_of("random", None)
    started = time.perf_counter()
    for query in queries:
        scores = matrix @ query
        top = np.argpartition(-scores, K)[:K]
        top[np.argsort(-scores[top])]
    return {"query_ms": (time.perf_counter() - started) / len(queries) * 1000, "vectors_mb": vectors_mb}


def part_centres(args: argparse.Namespace) -> dict[str, Any]:
    """Real paper vectors (the model's), saved as cluster centres for the recall run."""
    from paperbot.relevance.minilm import MiniLmEmbedder

    papers = load_papers()[:400]
    vectors = MiniLmEmbedder(threads=args.threads).embed([paper_text(p.title, p.abstract) for p in papers])
    np.save(args.centres, vectors)
    return {"centres": len(vectors)}


def part_bot(args: argparse.Namespace) -> dict[str, Any]:
    from paperbot.app import open_app
    from paperbot.config import Settings
    from paperbot.domain import Announcement, AnnounceType

    async def run() -> dict[str, Any]:
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                database_url=f"sqlite+aiosqlite:///{folder}/bench.db",
                embedding_model="minilm",
                embedding_threads=args.threads,
            )
            async with open_app(settings) as app:
                papers = day_of_papers(256)
                await app.store.ingest([Announcement(p, AnnounceType.NEW, None) for p in papers], source="bench")
                vectors = await app.services.embeddings.ensure(papers)
                await app.services.embeddings.neighbours(vectors[papers[0].arxiv_id], K, days=None)
                return {"rss_mb": current_mb(), "peak_mb": peak_mb(), "papers": len(papers)}

    return asyncio.run(run())


PARTS = {
    "embed": part_embed,
    "search": part_search,
    "naive": part_naive,
    "centres": part_centres,
    "bot": part_bot,
}


# -- the report ---------------------------------------------------------------------------


def run_part(name: str, args: argparse.Namespace, **extra: object) -> dict[str, Any]:
    command = [sys.executable, __file__, "--part", name, "--threads", str(args.threads), "--papers", str(args.papers)]
    for key, value in extra.items():
        if value is True:
            command.append(f"--{key}")
        else:
            command += [f"--{key}", str(value)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"part {name} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def line(label: str, value: str, target: str, ok: bool | None = None) -> None:
    mark = "" if ok is None else verdict(ok)
    print(f"  {label:<46} {value:>14}   {target:<22} {mark}")


def report(args: argparse.Namespace) -> None:
    print(f"paperbot embedding benchmark: {args.papers} papers, {args.threads} threads\n")
    embed = run_part("embed", args)
    print("embedding (all-MiniLM-L6-v2 int8, at most 256 tokens, one paper at a time, stored 32 a round):")
    per_second = embed["papers"] / embed["day_s"]
    day = 2500 / per_second
    label = "day of arXiv (2,500 papers)" + ("" if embed["papers"] == 2500 else f", from {embed['papers']}")
    line(label, f"{day:.1f} s", f"< {TARGET_DAY_SECONDS:.0f} s", day < TARGET_DAY_SECONDS)
    line("papers per second", f"{per_second:.1f}", "")
    naive_day = embed["naive_day_s"] * 2500 / embed["papers"]
    line("naive (batches of 32), extrapolated", f"{naive_day:.1f} s", f"ratio {naive_day / day:.2f}x")
    line("model load", f"{embed['load_s']:.2f} s", "")
    line("one query's embedding", f"{embed['query_ms']:.1f} ms", "")
    line("peak memory while embedding", f"{embed['peak_mb']:.0f} MB", "< 600 MB", embed["peak_mb"] < 600)
    line("TF-IDF fit + embed of the same day", f"{embed['tfidf_day_s']:.1f} s", "")

    with tempfile.TemporaryDirectory() as folder:
        centres = f"{folder}/centres.npy"
        run_part("centres", args, centres=centres)
        for size in args.sizes:
            print(f"\ntop-{K} over {size:,} vectors (exact int8 scan, usearch SIMD; top {K + 20} rescored in float32):")
            fast = run_part("search", args, size=size, kind="random")
            naive = run_part("naive", args, size=size)
            clustered = run_part("search", args, size=size, kind="clustered", centres=centres, recall=True)
            big = size >= 1_000_000
            line(
                "per query (random unit vectors)",
                f"{fast['query_ms']:.1f} ms",
                f"< {TARGET_QUERY_MS:.0f} ms" if big else "",
                fast["query_ms"] < TARGET_QUERY_MS if big else None,
            )
            line(
                "naive float32 numpy brute force",
                f"{naive['query_ms']:.1f} ms",
                f"ratio {naive['query_ms'] / fast['query_ms']:.2f}x",
            )
            line(
                "memory of the index (int8 rows, days, ids)",
                f"{fast['index_mb']:.0f} MB",
                f"< {TARGET_VECTORS_MB:.0f} MB" if big else "",
                fast["index_mb"] < TARGET_VECTORS_MB if big else None,
            )
            line("  of which the int8 rows and days", f"{fast['int8_mb']:.0f} MB", "")
            line(
                "naive: float32 in memory",
                f"{naive['vectors_mb']:.0f} MB",
                f"ratio {naive['vectors_mb'] / fast['index_mb']:.2f}x",
            )
            line("  the int8 scan alone, per query", f"{fast['scan_ms']:.1f} ms", "")
            line(
                f"recall@{K} vs exact float32 (clustered)",
                f"{clustered['recall']:.3f}",
                f">= {TARGET_RECALL}",
                clustered["recall"] >= TARGET_RECALL,
            )
            line(f"  recall@{K} of the int8 scores alone", f"{clustered['recall_int8']:.3f}", "")
            line("per query (clustered)", f"{clustered['query_ms']:.1f} ms", "")

    bot = run_part("bot", args)
    print(f"\nthe bot (open_app on SQLite, model loaded, {bot['papers']} papers embedded and searched):")
    line("resident memory", f"{bot['rss_mb']:.0f} MB", f"< {TARGET_BOT_MB:.0f} MB", bot["rss_mb"] < TARGET_BOT_MB)
    line("peak memory", f"{bot['peak_mb']:.0f} MB", f"< {TARGET_BOT_MB:.0f} MB", bot["peak_mb"] < TARGET_BOT_MB)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=2500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated vector counts to search")
    parser.add_argument("--part", choices=sorted(PARTS), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="random", help=argparse.SUPPRESS)
    parser.add_argument("--centres", default="", help=argparse.SUPPRESS)
    parser.add_argument("--recall", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.sizes = [int(size) for size in str(args.sizes).split(",") if size]
    if args.part:
        print(json.dumps(PARTS[args.part](args)))
    else:
        report(args)


if __name__ == "__main__":
    main()
