"""A running bot for chat tests: real services on SQLite, the fake arXiv, and each front end."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import date

import pytest
import simcord
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.arxiv.feeds import parse_feed
from paperbot.chat.console import Console
from paperbot.chat.discord import DiscordAdapter
from paperbot.chat.telegram import TelegramAdapter
from paperbot.commands.bot import CommandBot
from paperbot.commands.catalog import build_command_bot
from paperbot.commands.services import Services
from paperbot.config import Settings
from paperbot.delivery import Messenger
from paperbot.relevance.embeddings import Embeddings
from paperbot.relevance.ratings import InterestModels
from paperbot.relevance.topic import TopicScorer
from paperbot.store.chats import ChatStore
from paperbot.store.db import session_factory
from paperbot.store.feedback import FeedbackStore
from paperbot.store.held import HeldStore
from paperbot.store.library import LibraryStore
from paperbot.store.outbox import Outbox
from paperbot.store.papers import PaperStore
from paperbot.store.summaries import SummaryStore
from paperbot.store.vectors import VectorStore
from paperbot.summary.service import Summarizer
from tests.chat.frontends import ConsoleFrontend, DiscordFrontend, Frontend, TelegramFrontend
from tests.fakes.arxiv_server import FIXTURES, FakeArxiv
from tests.fakes.clock import FakeClock
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.wiring import DeliveryStages, make_delivery, make_source, make_transport

QUANT_PH = FIXTURES / "rss_quant-ph_2025-04-28_81items.rss.xml"


@pytest.fixture
def backend() -> str:
    """Chat tests run on SQLite; the stores they use have their own tests on both backends."""
    return "sqlite"


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def fake_telegram() -> AsyncIterator[FakeTelegram]:
    with FakeTelegram(max_long_poll=0.3).limits(enabled=False) as fake:
        yield fake
        assert fake.server_errors == []


@pytest.fixture
def settings(fake_arxiv: FakeArxiv, fake_telegram: FakeTelegram) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        arxiv_api_url=fake_arxiv.api_url,
        arxiv_feed_url=fake_arxiv.feed_url,
        arxiv_request_interval=0,
        telegram_token=fake_telegram.token,
        telegram_api_url=fake_telegram.base_url,
        embedding_model="tfidf",  # a poll embeds what it stored; TF-IDF keeps that quick
    )


@pytest.fixture
async def services(engine: AsyncEngine, clock: FakeClock, fake_arxiv: FakeArxiv, settings: Settings) -> Services:
    sessions = session_factory(engine)
    papers = PaperStore(sessions, clock)
    await papers.ingest(parse_feed(QUANT_PH.read_bytes()).announcements, source="fixture")
    feedback = FeedbackStore(sessions, clock)
    embeddings = Embeddings(VectorStore(sessions, clock), clock, kind="tfidf")
    await embeddings.backfill()  # as the pipeline does after storing papers
    return Services(
        settings=settings,
        clock=clock,
        papers=papers,
        chats=ChatStore(sessions, clock),
        feedback=feedback,
        source=make_source(fake_arxiv, make_transport(clock, interval=0, attempts=2)),
        summaries=Summarizer(SummaryStore(sessions, clock), clock),
        embeddings=embeddings,
        interest=InterestModels(feedback, papers, embeddings),
        library=LibraryStore(sessions, clock),
        held=HeldStore(sessions, clock, Outbox(sessions, clock)),
        topics=TopicScorer(embeddings, papers),
    )


@pytest.fixture
def command_bot(services: Services) -> CommandBot:
    return build_command_bot(services)


def delivery_to(services: Services, engine: AsyncEngine, messengers: Mapping[str, Messenger]) -> DeliveryStages:
    """Matching and the outbox drain on the chat tests' stores, sending through ``messengers``.

    The feed is at the fixture's announcement; the pacer's waits advance the fake clock.
    """
    clock = services.clock
    assert isinstance(clock, FakeClock)

    async def feed_day() -> date | None:
        return date(2025, 4, 28)

    return make_delivery(
        session_factory(engine),
        clock,
        services.settings,
        messengers,
        papers=services.papers,
        chats=services.chats,
        summaries=services.summaries,
        feed_day=feed_day,
    )


class RecordedSleeps(list[float]):
    """The adapter's waits (for Telegram's retry_after), recorded instead of slept."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> RecordedSleeps:
    return RecordedSleeps()


@pytest.fixture
async def telegram(
    command_bot: CommandBot, services: Services, settings: Settings, sleeps: RecordedSleeps
) -> AsyncIterator[TelegramAdapter]:
    adapter = TelegramAdapter(settings, command_bot, services.chats, sleep=sleeps)
    await adapter.start()
    yield adapter
    await adapter.stop()


def discord_settings(settings: Settings, **changes: object) -> Settings:
    """The settings with a Discord token (simcord accepts any) and any other changes."""
    return settings.model_copy(update={"discord_token": SecretStr("simcord-token"), **changes})


@asynccontextmanager
async def running_discord(
    settings: Settings, command_bot: CommandBot, services: Services, sleeps: RecordedSleeps, **changes: object
) -> AsyncIterator[tuple[simcord.Env, DiscordAdapter]]:
    """A DiscordAdapter logged in to simcord's in-process Discord (commands synced, buttons registered).

    simcord stands in for the gateway and the REST API, so it logs the client in itself
    (``setup_hook`` runs as in ``start``); ``stop`` then closes the client as in production.
    ``changes`` are settings (``discord_shard_count=2``). Errors the bot swallowed fail
    the test at the end.
    """
    adapter = DiscordAdapter(discord_settings(settings, **changes), command_bot, services.chats, sleep=sleeps)
    env = simcord.Env(adapter.client)
    await env.start()
    try:
        yield env, adapter
    finally:
        await adapter.stop()
        await env.shutdown()
    env.raise_errors()


@pytest.fixture(params=["console", "telegram", "discord"])
async def chat(
    request: pytest.FixtureRequest,
    command_bot: CommandBot,
    services: Services,
    settings: Settings,
    fake_telegram: FakeTelegram,
    sleeps: RecordedSleeps,
) -> AsyncIterator[Frontend]:
    """A private chat with the bot, on each front end in turn."""
    if request.param == "console":
        output = io.StringIO()
        yield ConsoleFrontend(Console(command_bot, stdin=io.StringIO(), stdout=output), output)
        return
    if request.param == "discord":
        async with running_discord(settings, command_bot, services, sleeps) as (env, discord_adapter):
            yield DiscordFrontend(env, discord_adapter, env.create_user("ada"))
        return
    adapter = TelegramAdapter(settings, command_bot, services.chats, sleep=sleeps)
    await adapter.start()
    try:
        yield TelegramFrontend(fake_telegram, adapter)
    finally:
        await adapter.stop()
