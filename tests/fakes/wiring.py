"""Our real source and pipeline, pointed at a FakeArxiv and a FakeClock."""

from __future__ import annotations

import random

from paperbot.arxiv.source import ArxivSource
from paperbot.arxiv.transport import ArxivTransport, RetryPolicy
from paperbot.clock import Clock
from paperbot.pipeline import Pipeline
from paperbot.store.papers import PaperStore
from tests.fakes.arxiv_server import FakeArxiv


def make_transport(clock: Clock, *, interval: float = 3.0, timeout: float = 5.0, attempts: int = 6) -> ArxivTransport:
    return ArxivTransport(
        clock=clock,
        interval=interval,
        timeout=timeout,
        retry=RetryPolicy(max_attempts=attempts, base=5.0, cap=300.0),
        rng=random.Random(7),
    )


def make_source(fake: FakeArxiv, transport: ArxivTransport, *, feed_max_items: int = 2000) -> ArxivSource:
    return ArxivSource(transport, feed_url=fake.feed_url, api_url=fake.api_url, feed_max_items=feed_max_items)


def make_pipeline(source: ArxivSource, store: PaperStore, archives: tuple[str, ...] = ("cs",)) -> Pipeline:
    return Pipeline(source, store, archives=archives, backfill_days=4, enrich_batch=100)
