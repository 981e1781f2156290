"""Builds the long-lived parts from the settings, once, and closes them in order."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.arxiv.source import ArxivSource
from paperbot.arxiv.transport import ArxivTransport, RetryPolicy
from paperbot.clock import Clock, SystemClock
from paperbot.config import Settings
from paperbot.pipeline import Pipeline
from paperbot.store.db import create_engine, migrate, session_factory
from paperbot.store.papers import PaperStore

log = logging.getLogger(__name__)


@dataclass(slots=True)
class App:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    store: PaperStore
    transport: ArxivTransport
    source: ArxivSource
    pipeline: Pipeline


def build_transport(settings: Settings, clock: Clock) -> ArxivTransport:
    return ArxivTransport(
        clock=clock,
        interval=settings.arxiv_request_interval,
        timeout=settings.arxiv_timeout,
        retry=RetryPolicy(
            max_attempts=settings.arxiv_max_attempts,
            base=settings.arxiv_backoff_base,
            cap=settings.arxiv_backoff_max,
        ),
    )


@asynccontextmanager
async def open_app(settings: Settings, *, clock: Clock | None = None) -> AsyncIterator[App]:
    """Connect, migrate to the newest schema, and wire the stages together."""
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url)
    transport = build_transport(settings, clock)
    try:
        await migrate(engine)
        store = PaperStore(session_factory(engine), clock)
        source = ArxivSource(
            transport,
            feed_url=settings.arxiv_feed_url,
            api_url=settings.arxiv_api_url,
            feed_max_items=settings.arxiv_feed_max_items,
        )
        pipeline = Pipeline(
            source,
            store,
            archives=settings.arxiv_archives,
            backfill_days=settings.arxiv_backfill_days,
            enrich_batch=settings.arxiv_enrich_batch,
        )
        yield App(settings, clock, engine, store, transport, source, pipeline)
    finally:
        transport.close()
        await engine.dispose()
