"""The delivery stages on a migrated database (both backends), with a recording messenger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.config import Settings
from paperbot.delivery import DeliveryWorker
from paperbot.dispatch import Dispatcher
from paperbot.errors import DeliveryError, RecipientUnavailable
from paperbot.messages import Reply
from paperbot.render.plain import render_reply
from paperbot.store.chats import ChatStore
from paperbot.store.db import session_factory
from paperbot.store.outbox import Outbox
from paperbot.store.papers import PaperStore
from paperbot.store.summaries import SummaryStore
from paperbot.summary.service import Summarizer
from tests.fakes.clock import FakeClock
from tests.fakes.wiring import make_delivery

MONDAY_MORNING = datetime(2025, 4, 28, 6, 0, tzinfo=UTC)


@dataclass
class RecordingMessenger:
    """A platform that keeps what it was sent; faults can be queued per chat."""

    text_limit: int = 4096
    sent: list[tuple[str, str]] = field(default_factory=list)
    faults: dict[str, list[Exception]] = field(default_factory=dict)

    async def send(self, chat_id: str, reply: Reply) -> None:
        pending = self.faults.get(chat_id)
        if pending:
            raise pending.pop(0)
        self.sent.append((chat_id, render_reply(reply)))

    def texts(self, chat_id: str) -> list[str]:
        return [text for chat, text in self.sent if chat == chat_id]

    def fail(self, chat_id: str, *errors: Exception) -> None:
        self.faults.setdefault(chat_id, []).extend(errors)


@dataclass
class Harness:
    clock: FakeClock
    papers: PaperStore
    chats: ChatStore
    outbox: Outbox
    dispatcher: Dispatcher
    worker: DeliveryWorker
    messenger: RecordingMessenger
    settings: Settings
    stored_day: list[date | None]


@pytest.fixture
def harness(engine: AsyncEngine) -> Harness:
    clock = FakeClock(MONDAY_MORNING)
    sessions = session_factory(engine)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, delivery_backoff=10, delivery_max_attempts=3, digest_top=3, delivery_lease=60
    )
    papers = PaperStore(sessions, clock)
    chats = ChatStore(sessions, clock)
    messenger = RecordingMessenger()
    stored_day: list[date | None] = [None]

    async def feed_day() -> date | None:
        return stored_day[0]

    stages = make_delivery(
        sessions,
        clock,
        settings,
        {"console": messenger, "telegram": messenger},
        papers=papers,
        chats=chats,
        summaries=Summarizer(SummaryStore(sessions, clock), clock),
        feed_day=feed_day,
    )
    return Harness(
        clock, papers, chats, stages.outbox, stages.dispatcher, stages.worker, messenger, settings, stored_day
    )


__all__ = ["DeliveryError", "Harness", "RecipientUnavailable", "RecordingMessenger"]
