"""Benchmark: the offline summary (TL;DR and card facts) of every fixture abstract, on one core.

Run from the repository root::

    .venv/bin/python bench/summarize.py [--minimum 10000] [--rounds 5]

The abstracts are all the real papers in ../shared/fixtures/arxiv/ (RSS and Atom feeds,
query API pages, and OAI-PMH pages: ~2,700 abstracts), read with the parsers the tests
use. The whole set is summarised again and again until at least ``--minimum`` abstracts
were done, in ``--rounds`` timed runs; the best run is reported, as CPU time of this
process (what one core does, whatever else the machine is running). The LaTeX cache of
the summarizer is emptied before every pass over the set, so a repeated abstract never
finds its formulas already converted. Target: at least 2,000 abstracts per second.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import paperbot.summary  # noqa: F401
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.summary.fixture_papers import all_papers  # noqa: E402

from paperbot.domain import Paper  # noqa: E402
from paperbot.summary import extractive  # noqa: E402
from paperbot.summary.extractive import tldr  # noqa: E402
from paperbot.summary.facts import facts_of  # noqa: E402

TARGET = 2000.0
# One per fixture file kind, and ones whose facts show: a venue and counts, a code link.
SAMPLES = ("2504.17886", "2004.03322", "2508.13429", "0704.1873", "1706.00679")


def one_pass(papers: tuple[Paper, ...]) -> None:
    extractive.clear_cache()
    for paper in papers:
        tldr(paper.abstract, title=paper.title)
        facts_of(paper)


def run(papers: tuple[Paper, ...], minimum: int) -> tuple[int, float]:
    """(abstracts done, CPU seconds) for enough passes to reach ``minimum``."""
    passes = max(1, -(-minimum // len(papers)))
    started = time.process_time()
    for _ in range(passes):
        one_pass(papers)
    return passes * len(papers), time.process_time() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minimum", type=int, default=10_000, help="abstracts per timed run (default 10000)")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs; the best counts (default 5)")
    args = parser.parse_args(argv)

    papers = tuple(p for p in all_papers() if p.abstract.strip())
    print(f"{len(papers)} fixture abstracts; each run summarises at least {args.minimum}")
    one_pass(papers)  # warm-up: imports, regex compilation, pylatexenc's tables

    best = 0.0
    for round_number in range(1, args.rounds + 1):
        done, seconds = run(papers, args.minimum)
        rate = done / seconds
        best = max(best, rate)
        print(f"run {round_number}: {done} abstracts in {seconds:.2f} s CPU = {rate:,.0f} abstracts/s")
    verdict = "met" if best >= TARGET else "NOT met"
    print(f"best: {best:,.0f} abstracts/s on one core; target >= {TARGET:,.0f}/s: {verdict}")

    print("\nsamples:")
    by_id = {paper.arxiv_id: paper for paper in papers}
    for arxiv_id in SAMPLES:
        paper = by_id[arxiv_id]
        facts = facts_of(paper)
        print(f"- {arxiv_id}: {tldr(paper.abstract, title=paper.title)}")
        print(
            f"  venue={facts.venue!r} pages={facts.pages} figures={facts.figures} "
            f"code={list(facts.code_links)} project={list(facts.project_pages)}"
        )
    return 0 if best >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
