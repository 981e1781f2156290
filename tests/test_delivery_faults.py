"""Delivery under faults: the process killed mid-send, and arXiv late at the announcement hour.

Both run our real components end to end on both storage backends: the SIGKILL test runs
``paperbot run`` as a subprocess against the fake Telegram (limits off so that 2,000
messages take seconds), the late-arXiv test drives ``open_app``'s poll, dispatch and
delivery worker by hand on a fake clock, with a messenger that records what it was given.
A third test stops the scheduler (as SIGTERM does) while a message is on its way: that
send finishes and is marked, so it does not go out twice after the restart.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import IO

import pytest

from paperbot.app import App, open_app
from paperbot.config import Settings
from paperbot.domain import Paper
from paperbot.messages import Reply
from paperbot.query import parse as parse_query
from paperbot.schedule import Scheduler, poll_if_due
from paperbot.store.models import DeliveryMode, DeliveryStatus, Platform, RecipientKind
from paperbot.store.outbox import PAPER, Owed
from tests.fakes.arxiv_server import FakeArxiv, Fault
from tests.fakes.clock import FakeClock
from tests.fakes.papers import announce, make_paper
from tests.fakes.telegram_server import FakeTelegram, SentMessage

# -- SIGKILL in the middle of a bulk send ------------------------------------------------------

CHATS = 200
PAPERS_PER_CHAT = 10
MESSAGES = CHATS * PAPERS_PER_CHAT
KILL_AT = (700, 1400)  # messages arrived when the process is killed; restarted after each
FIRST_CHAT_ID = 5_000_000
ABS_LINK = re.compile(r"arxiv\.org/abs/(\d{4}\.\d{5})")


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram(max_long_poll=0.3).limits(enabled=False) as fake:
        yield fake
        assert fake.server_errors == []


def _bulk_papers() -> list[Paper]:
    return [
        make_paper(f"2504.{n:05d}", title=f"Sparse autoencoder study number {n}", abstract=f"Sparse autoencoder {n}.")
        for n in range(1, PAPERS_PER_CHAT + 1)
    ]


async def _queue_bulk_send(app: App, papers: list[Paper]) -> None:
    """200 instant chats with 10 papers queued each: 2,000 messages due now."""
    await app.store.ingest([announce(p) for p in papers], source="test")
    chats = app.services.chats
    owed: list[Owed] = []
    now = app.clock.now()
    for n in range(CHATS):
        chat = await chats.ensure(Platform.TELEGRAM, str(FIRST_CHAT_ID + n), RecipientKind.PRIVATE)
        await chats.update_settings(chat.id, delivery_mode=DeliveryMode.INSTANT)
        subscription = await chats.add_subscription(
            chat.id, "sparse autoencoder", str(parse_query("sparse autoencoder")), "test", quota=50
        )
        assert subscription is not None
        owed += [Owed(chat.id, p.arxiv_id, PAPER, (subscription.id,), now) for p in papers]
    assert await app.outbox.enqueue(owed) == MESSAGES


def _arrived(sent: list[SentMessage]) -> Counter[tuple[int, str]]:
    """How many times each (chat, paper) card arrived."""
    found: Counter[tuple[int, str]] = Counter()
    for message in sent:
        link = ABS_LINK.search(message.text)
        assert link is not None, f"not a paper card: {message.text[:200]!r}"
        found[(message.chat_id, link.group(1))] += 1
    return found


async def _true(answer: bool | Awaitable[bool]) -> bool:
    return answer if isinstance(answer, bool) else await answer


def _tail(log: Path) -> str:
    return log.read_text()[-3000:]


async def _wait_for(condition: Callable[[], bool | Awaitable[bool]], *, within: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + within
    while not await _true(condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {within} s; paperbot said:\n{_tail(log)}")
        await asyncio.sleep(0.005)


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[App]:
    """The test's own view of the database the bot process runs on."""
    async with open_app(Settings(_env_file=None, database_url=database_url)) as opened:  # type: ignore[call-arg]
        yield opened


async def test_sigkill_mid_send_loses_nothing_and_repeats_at_most_one_per_kill(
    app: App, database_url: str, fake_telegram: FakeTelegram, fake_arxiv: FakeArxiv, tmp_path: Path
) -> None:
    papers = _bulk_papers()
    fake_arxiv.add_papers(papers)
    await _queue_bulk_send(app, papers)
    env = {
        **os.environ,
        "PAPERBOT_DATABASE_URL": database_url,
        "PAPERBOT_TELEGRAM_TOKEN": fake_telegram.token,
        "PAPERBOT_TELEGRAM_API_URL": fake_telegram.base_url,
        # Polls go to the fake arXiv (an empty feed), never off this machine.
        "PAPERBOT_ARXIV_API_URL": fake_arxiv.api_url,
        "PAPERBOT_ARXIV_FEED_URL": fake_arxiv.feed_url,
        "PAPERBOT_ARXIV_ARCHIVES": "cs",
        "PAPERBOT_ARXIV_REQUEST_INTERVAL": "0",
        "PAPERBOT_ARXIV_MAX_ATTEMPTS": "1",
        "PAPERBOT_EMBEDDING_MODEL": "tfidf",  # a poll embeds what it stored; TF-IDF keeps that quick
        # A killed process's claims are taken over after 1 s; the outbox is looked at 5 times a second.
        "PAPERBOT_DELIVERY_LEASE": "1",
        "PAPERBOT_DELIVERY_INTERVAL": "0.2",
        # One message in flight at a time: what "at most one repeat per kill" is about (with
        # N chats sent side by side, up to N messages are in flight when the process dies).
        "PAPERBOT_DELIVERY_CONCURRENCY": "1",
        "PAPERBOT_TELEGRAM_RATE_GLOBAL": "100000",
        "PAPERBOT_TELEGRAM_RATE_CHAT": "100000",
        "PAPERBOT_TELEGRAM_RATE_GROUP_PER_MINUTE": "100000",
        "PAPERBOT_LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "paperbot.log"
    logs: list[IO[str]] = []

    def start() -> subprocess.Popen[str]:
        # Output to a file, not a pipe nobody reads (a full pipe would stall the bot);
        # from an empty folder, so no developer's .env leaks in.
        stream = log.open("a")
        logs.append(stream)
        return subprocess.Popen(
            [sys.executable, "-m", "paperbot.cli", "run"],
            env=env,
            cwd=tmp_path,
            stdout=stream,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def count() -> int:
        return len(fake_telegram.sent_messages())

    def at_least(messages: int) -> Callable[[], bool]:
        return lambda: count() >= messages

    process = start()
    try:
        for threshold in KILL_AT:
            await _wait_for(at_least(threshold), within=40, what=f"{threshold} messages", log=log)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            assert count() < MESSAGES, "the process finished before it could be killed mid-send"
            process = start()

        def complete() -> bool:
            return len(_arrived(fake_telegram.sent_messages())) >= MESSAGES

        async def all_marked() -> bool:
            return (await app.outbox.counts())[DeliveryStatus.SENT] == MESSAGES

        await _wait_for(complete, within=60, what="every message", log=log)
        # Stopped only once the last one is marked sent: a SIGTERM between a send and its
        # mark leaves it to be sent again at the next start (reported separately).
        await _wait_for(all_marked, within=10, what="every message marked sent", log=log)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, _tail(log)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for stream in logs:
            stream.close()

    arrived = _arrived(fake_telegram.sent_messages())
    expected = {(FIRST_CHAT_ID + n, p.arxiv_id) for n in range(CHATS) for p in papers}
    assert set(arrived) == expected
    duplicates = {pair: times - 1 for pair, times in arrived.items() if times > 1}
    assert sum(duplicates.values()) <= len(KILL_AT), f"repeated: {duplicates}"
    counts = await app.outbox.counts()
    assert counts[DeliveryStatus.SENT] == MESSAGES, counts


# -- arXiv late at the announcement hour -------------------------------------------------------

EASTERN_ONE_AM = clock_time(1, 0)  # the chat's digest time, in America/New_York
MONDAY = date(2025, 4, 28)
TUESDAY = date(2025, 4, 29)


@dataclass
class RecordingMessenger:
    """A platform that keeps what it was asked to send, for the test to read."""

    text_limit: int = 4096
    sent: list[tuple[str, Reply]] = field(default_factory=list)

    async def send(self, chat_id: str, reply: Reply) -> None:
        self.sent.append((chat_id, reply))

    def texts(self) -> list[str]:
        return [reply.text or "" for _, reply in self.sent]


def _eastern(day: date, hour: int, minute: int = 0) -> datetime:
    """A time on US Eastern daylight time (UTC-4 in April), as UTC."""
    return datetime(day.year, day.month, day.day, hour + 4, minute, tzinfo=UTC)


def _day_papers(day: date, first: int) -> list[Paper]:
    """Two papers the chat follows and one it does not, first announced on ``day``."""
    return [
        make_paper(f"2504.{first:05d}", title=f"Sparse autoencoders for circuits ({day})", first_announced=day),
        make_paper(f"2504.{first + 1:05d}", title=f"Scaling sparse autoencoders ({day})", first_announced=day),
        make_paper(f"2504.{first + 2:05d}", title=f"Protein folding with diffusion ({day})", first_announced=day),
    ]


async def _poll(app: App, clock: FakeClock) -> None:
    """What the scheduler's poll job does: poll if the newest announcement is missing, then match."""
    await poll_if_due(app.pipeline, app.dispatcher, clock, app.settings)


async def test_arxiv_late_at_the_slot_sends_a_note_then_the_papers_within_the_hour(
    database_url: str, fake_arxiv: FakeArxiv, clock: FakeClock
) -> None:
    clock.set(datetime(2025, 4, 27, 12, 0, tzinfo=UTC))  # Sunday: the chat subscribes
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        arxiv_feed_url=fake_arxiv.feed_url,
        arxiv_api_url=fake_arxiv.api_url,
        arxiv_archives=("cs",),
        arxiv_request_interval=0,
        arxiv_max_attempts=3,
        arxiv_backoff_base=1,
        arxiv_backoff_max=5,
        embedding_model="tfidf",
    )
    messenger = RecordingMessenger()

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    async with open_app(settings, clock=clock) as app:
        worker = app.delivery_worker({Platform.TELEGRAM.value: messenger}, sleep)
        await app.dispatcher.dispatch()  # first start: the matcher's cursor is set
        chats = app.services.chats
        chat = await chats.ensure(Platform.TELEGRAM, "42", RecipientKind.PRIVATE)
        await chats.update_settings(chat.id, timezone="America/New_York", digest_time=EASTERN_ONE_AM)
        await chats.add_subscription(
            chat.id, "sparse autoencoder", str(parse_query("sparse autoencoder")), "42", quota=50
        )

        # Monday: the feed is there after midnight; the 01:00 digest carries its papers.
        monday = _day_papers(MONDAY, 1)
        fake_arxiv.announce([announce(p, day=MONDAY) for p in monday], day=MONDAY)
        clock.set(_eastern(MONDAY, 0, 30))
        await _poll(app, clock)
        clock.set(_eastern(MONDAY, 1))
        assert (await worker.run_once()).digests == 1
        assert "Your arXiv digest for 2025-04-28**: 2 new papers" in messenger.texts()[-1]

        # Tuesday 01:00: the new feed is due, and arXiv answers 503 past the retry budget.
        tuesday = _day_papers(TUESDAY, 11)
        fake_arxiv.announce([announce(p, day=TUESDAY) for p in tuesday], day=TUESDAY)
        fake_arxiv.fail_next(*[Fault.status_code(503)] * settings.arxiv_max_attempts)
        clock.set(_eastern(TUESDAY, 1))
        await _poll(app, clock)
        assert fake_arxiv.pending_faults == 0, "the poll used its whole retry budget"
        cursor = await app.store.cursor("feed:cs")
        assert cursor is not None and cursor.announced_on == MONDAY, "the failed poll stored nothing"
        run = await worker.run_once()
        assert (run.notes, run.digests) == (1, 0)
        note = messenger.texts()[-1]
        assert "arXiv's announcement of 2025-04-29 could not be fetched yet" in note
        assert "Its papers will come here as soon as they are in" in note
        recipient = await chats.get(chat.id)
        assert recipient is not None and recipient.digest_late

        # Half an hour later arXiv still fails: polls and runs send nothing more.
        fake_arxiv.fail_next(*[Fault.status_code(503)] * settings.arxiv_max_attempts)
        clock.set(_eastern(TUESDAY, 1, 30))
        await _poll(app, clock)
        assert (await worker.run_once()).messages == 0

        # An hour after the slot arXiv answers: poll, match, and the digest goes out now,
        # not at Wednesday's slot.
        clock.set(_eastern(TUESDAY, 2))
        await _poll(app, clock)
        cursor = await app.store.cursor("feed:cs")
        assert cursor is not None and cursor.announced_on == TUESDAY
        run = await worker.run_once()
        assert (run.digests, run.papers) == (1, 2)
        digest = messenger.texts()[-1]
        assert "Your arXiv digest for 2025-04-29**: 2 new papers" in digest
        for paper in tuesday[:2]:
            assert paper.title in digest and paper.arxiv_id in digest
        assert tuesday[2].title not in digest, "not a match"
        assert not any(p.arxiv_id in digest for p in monday), "Monday's papers went out on Monday"
        recipient = await chats.get(chat.id)
        assert recipient is not None and not recipient.digest_late

        # Nothing is sent twice, and the chat got exactly: Monday's digest, the note, Tuesday's digest.
        clock.advance(10 * 60)
        assert (await worker.run_once()).messages == 0
        assert [chat_id for chat_id, _ in messenger.sent] == ["42"] * 3
        counts = await app.outbox.counts()
        assert counts[DeliveryStatus.SENT] == 4 and counts[DeliveryStatus.QUEUED] == 0


# -- a clean stop while a message is on its way ---------------------------------------------------


@dataclass
class SlowMessenger:
    """A platform that has the message at once and answers a little later (a slow HTTP response)."""

    text_limit: int = 4096
    sent: list[tuple[str, Reply]] = field(default_factory=list)
    at_platform: asyncio.Event = field(default_factory=asyncio.Event)
    answer: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, chat_id: str, reply: Reply) -> None:
        self.sent.append((chat_id, reply))
        self.at_platform.set()
        await self.answer.wait()


async def test_sigterm_while_a_message_is_on_its_way_does_not_send_it_twice(
    database_url: str, fake_arxiv: FakeArxiv, clock: FakeClock
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        arxiv_feed_url=fake_arxiv.feed_url,
        arxiv_api_url=fake_arxiv.api_url,
        arxiv_archives=("cs",),
        arxiv_request_interval=0,
        arxiv_max_attempts=1,
        delivery_lease=1,
    )
    # APScheduler runs on the real clock: a fake one far in the past would have it count every missed run.
    clock.set(datetime.now(UTC))
    async with open_app(settings, clock=clock) as app:
        paper = make_paper("2504.00001", title="Sparse autoencoders on their way")
        await app.store.ingest([announce(paper)], source="test")
        chats = app.services.chats
        chat = await chats.ensure(Platform.TELEGRAM, "42", RecipientKind.PRIVATE)
        await chats.update_settings(chat.id, delivery_mode=DeliveryMode.INSTANT)
        subscription = await chats.add_subscription(chat.id, "sparse", "sparse", "42", quota=50)
        assert subscription is not None
        await app.outbox.enqueue([Owed(chat.id, paper.arxiv_id, PAPER, (subscription.id,), clock.now())])

        slow = SlowMessenger()
        scheduler = Scheduler(
            pipeline=app.pipeline,
            dispatcher=app.dispatcher,
            worker=app.delivery_worker({Platform.TELEGRAM.value: slow}),
            clock=clock,
            settings=settings,
        )
        scheduler.start()
        await asyncio.wait_for(slow.at_platform.wait(), timeout=10)
        # The platform's answer is 50 ms away when the process is told to stop (what cmd_run does on SIGTERM).
        asyncio.get_running_loop().call_later(0.05, slow.answer.set)
        await scheduler.stop()

        # The next start, a lease later.
        clock.advance(settings.delivery_lease + 1)
        again = RecordingMessenger()
        await app.delivery_worker({Platform.TELEGRAM.value: again}).run_once()
        assert len(slow.sent) == 1
        assert again.sent == [], "the message the chat already had was sent again"
