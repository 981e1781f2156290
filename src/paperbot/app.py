"""Builds the long-lived parts from the settings, once, and closes them in order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.arxiv.source import ArxivSource
from paperbot.arxiv.transport import ArxivTransport, RetryPolicy
from paperbot.clock import Clock, SystemClock
from paperbot.commands.bot import CommandBot
from paperbot.commands.catalog import build_command_bot
from paperbot.commands.services import Services
from paperbot.config import Settings
from paperbot.delivery import DeliveryWorker, Messenger
from paperbot.dispatch import Dispatcher
from paperbot.metrics import Metrics
from paperbot.pacing import Pacer, Sleep
from paperbot.pipeline import Pipeline, cursor_name
from paperbot.relevance.embeddings import Embeddings
from paperbot.relevance.holdback import HoldBack
from paperbot.relevance.ranking import ChatRanking
from paperbot.relevance.ratings import InterestModels
from paperbot.relevance.topic import WORD_FREQUENCY_SAMPLE, TopicScorer
from paperbot.store.chats import ChatStore
from paperbot.store.db import create_engine, migrate, session_factory
from paperbot.store.feedback import FeedbackStore
from paperbot.store.held import HeldStore
from paperbot.store.library import LibraryStore
from paperbot.store.models import DeliveryStatus
from paperbot.store.outbox import Outbox
from paperbot.store.papers import PaperStore
from paperbot.store.summaries import SummaryStore
from paperbot.store.vectors import VectorStore
from paperbot.summary.service import Summarizer

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
    services: Services
    commands: CommandBot
    outbox: Outbox
    dispatcher: Dispatcher
    metrics: Metrics

    def delivery_worker(self, messengers: Mapping[str, Messenger], sleep: Sleep = asyncio.sleep) -> DeliveryWorker:
        """The outbox drain for the chat platforms running in this process."""

        async def feed_day() -> date | None:
            cursor = await self.store.cursor(cursor_name(self.pipeline.archives))
            return cursor.announced_on if cursor else None

        return DeliveryWorker(
            outbox=self.outbox,
            chats=self.services.chats,
            papers=self.store,
            summaries=self.services.summaries,
            messengers=messengers,
            pacer=Pacer.from_settings(self.settings, self.clock, sleep),
            clock=self.clock,
            settings=self.settings,
            feed_day=feed_day,
            metrics=self.metrics,
            ranking=ChatRanking(
                self.services.interest,
                self.services.feedback,
                self.services.library,
                self.store,
                self.services.embeddings,
                library_threshold=self.settings.library_threshold,
                library_top=self.settings.library_top,
            ),
            topics=self.services.topics,
        )


async def _depth(outbox: Outbox) -> dict[str, int]:
    """Messages not yet sent, by status (sent ones only grow and say nothing of depth)."""
    counts = await outbox.counts()
    return {status.value: count for status, count in counts.items() if status is not DeliveryStatus.SENT}


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


def build_source(settings: Settings, transport: ArxivTransport) -> ArxivSource:
    return ArxivSource(
        transport,
        feed_url=settings.arxiv_feed_url,
        api_url=settings.arxiv_api_url,
        feed_max_items=settings.arxiv_feed_max_items,
    )


@asynccontextmanager
async def open_app(settings: Settings, *, clock: Clock | None = None) -> AsyncIterator[App]:
    """Connect, migrate to the newest schema, and wire the stages together."""
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url)
    transport = build_transport(settings, clock)
    summarizer: Summarizer | None = None
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        metrics = Metrics()
        store = PaperStore(sessions, clock)
        source = build_source(settings, transport)
        embeddings = Embeddings.from_settings(
            settings.embedding_model, VectorStore(sessions, clock), clock, threads=settings.embedding_threads
        )
        pipeline = Pipeline(
            source,
            store,
            archives=settings.arxiv_archives,
            backfill_days=settings.arxiv_backfill_days,
            enrich_batch=settings.arxiv_enrich_batch,
            metrics=metrics,
            after_store=embeddings.backfill_quietly,
        )
        summarizer = Summarizer.from_settings(settings, SummaryStore(sessions, clock), clock)
        outbox = Outbox(sessions, clock, lease=settings.delivery_lease)
        feedback = FeedbackStore(sessions, clock)
        services = Services(
            settings=settings,
            clock=clock,
            papers=store,
            chats=ChatStore(sessions, clock),
            feedback=feedback,
            source=source,
            summaries=summarizer,
            embeddings=embeddings,
            interest=InterestModels(feedback, store, embeddings),
            library=LibraryStore(sessions, clock),
            held=HeldStore(sessions, clock, outbox),
            topics=TopicScorer(embeddings, store, corpus=lambda: store.recent(limit=WORD_FREQUENCY_SAMPLE)),
        )
        hold_back = HoldBack(services.held, services.interest, services.chats, threshold=settings.filter_threshold)
        dispatcher = Dispatcher(
            store, services.chats, outbox, clock, metrics, topics=services.topics, hold_back=hold_back
        )
        metrics.outbox_depth_from(lambda: _depth(outbox))
        app = App(
            settings,
            clock,
            engine,
            store,
            transport,
            source,
            pipeline,
            services,
            build_command_bot(services),
            outbox,
            dispatcher,
            metrics,
        )

        async def status_report() -> str:
            from paperbot.status import collect_status, render_status  # status reads the whole app

            return render_status(await collect_status(app))

        services.status_report = status_report
        yield app
    finally:
        if summarizer is not None:
            await summarizer.aclose()
        transport.close()
        await engine.dispose()
