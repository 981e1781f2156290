"""Our real source, pipeline and delivery stages, pointed at a FakeArxiv and a FakeClock."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from paperbot.arxiv.source import ArxivSource
from paperbot.arxiv.transport import ArxivTransport, RetryPolicy
from paperbot.clock import Clock
from paperbot.config import Settings
from paperbot.delivery import DeliveryWorker, FeedDay, Messenger
from paperbot.dispatch import Dispatcher
from paperbot.pacing import Pacer
from paperbot.pipeline import Pipeline
from paperbot.relevance.ranking import ChatRanking
from paperbot.relevance.topic import TopicScorer
from paperbot.store.chats import ChatStore
from paperbot.store.outbox import Outbox
from paperbot.store.papers import PaperStore
from paperbot.summary.service import Summarizer
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.clock import FakeClock


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


@dataclass
class DeliveryStages:
    """What comes after storage: matching into the outbox, and the worker that drains it."""

    outbox: Outbox
    dispatcher: Dispatcher
    worker: DeliveryWorker


def make_delivery(
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    settings: Settings,
    messengers: Mapping[str, Messenger],
    *,
    papers: PaperStore,
    chats: ChatStore,
    summaries: Summarizer,
    feed_day: FeedDay,
    ranking: ChatRanking | None = None,
    topics: TopicScorer | None = None,
) -> DeliveryStages:
    """Wired as ``open_app`` wires them (without metrics), but the pacer's waits advance ``clock``."""
    outbox = Outbox(sessions, clock, lease=settings.delivery_lease)

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    worker = DeliveryWorker(
        outbox=outbox,
        chats=chats,
        papers=papers,
        summaries=summaries,
        messengers=messengers,
        pacer=Pacer.from_settings(settings, clock, sleep),
        clock=clock,
        settings=settings,
        feed_day=feed_day,
        ranking=ranking,
        topics=topics,
    )
    return DeliveryStages(outbox, Dispatcher(papers, chats, outbox, clock, topics=topics), worker)
