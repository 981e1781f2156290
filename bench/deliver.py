"""Benchmark: 10,000 digests through Telegram's real limits, then the pipeline's own ceiling.

Run from the repository root::

    .venv/bin/python bench/deliver.py [--chats 10000] [--database-url URL] [--concurrency N]
                                      [--profile] [--skip-limited]

Setup: a temporary SQLite database (or ``--database-url``, e.g. a PostgreSQL one)
built by ``open_app``; N Telegram private chats in digest mode, each with one
subscription and one queued paper, and every chat's digest due (created two days ago,
never sent a digest). Rows are bulk-inserted: the setup is not what is measured.

The fake Telegram Bot API (``tests/fakes/telegram_server.py``) runs in a process of
its own: in this one it would compete with the worker for the GIL, and the numbers
would measure the fake. Our real ``TelegramAdapter`` (python-telegram-bot over HTTP)
is the messenger, and ``DeliveryWorker.run_once()`` runs until every digest is sent.

Phase 1, limits on in the fake (30 messages/s overall, as Telegram) and our pacer at
its default 30/s: the achieved rate as a fraction of 30/s (target >= 0.95) and the
429s the fake answered (target 0). Phase 2, the same digests queued again, the fake's
limits lifted and our pacer's raised out of the way: the ceiling in messages/s (target
>= 300/s), end to end through python-telegram-bot, then, to tell where a shortfall
comes from, the same without HTTP (a messenger that only renders: the worker, the
database and rendering alone) and HTTP without the pipeline (python-telegram-bot
sending to the fake as fast as it can, and what that costs in each process).
``--profile`` runs the end-to-end ceiling under cProfile; ``--skip-limited`` runs only
phase 2.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import multiprocessing
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import time as clock_time
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parents[1]
try:
    import paperbot  # noqa: F401
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # the fakes are shared with the tests

from sqlalchemy import insert, select, update  # noqa: E402
from tests.fakes.papers import announce, make_paper  # noqa: E402
from tests.fakes.telegram_server import FakeTelegram  # noqa: E402

from paperbot.app import App, open_app  # noqa: E402
from paperbot.chat.telegram import TelegramAdapter  # noqa: E402
from paperbot.config import Settings  # noqa: E402
from paperbot.delivery import DeliveryRun, DeliveryWorker, Messenger  # noqa: E402
from paperbot.logs import configure_logging  # noqa: E402
from paperbot.messages import Reply  # noqa: E402
from paperbot.query import parse as parse_query  # noqa: E402
from paperbot.render.telegram import MESSAGE_LIMIT, render_reply  # noqa: E402
from paperbot.store.db import session_factory  # noqa: E402
from paperbot.store.models import (  # noqa: E402
    DeliveryMode,
    DeliveryRow,
    DeliveryStatus,
    Platform,
    RecipientKind,
    RecipientRow,
    SubscriptionRow,
)
from paperbot.store.outbox import PAPER, Owed  # noqa: E402

TELEGRAM_RATE = 30.0  # Telegram's overall limit for a bot, messages/s
TARGET_FRACTION = 0.95
TARGET_429 = 0
TARGET_CEILING = 300.0
FIRST_CHAT_ID = 10_000_000  # positive ids: the fake treats them as private chats
STALL_SECONDS = 30.0  # no message for this long: something is stuck, stop and say so
ROWS_PER_STATEMENT = 1000
QUERY = "sparse autoencoder"  # every chat's subscription, matched by the one paper


# -- the fake Telegram, in its own process -------------------------------------------------


def serve_fake_telegram(control: Connection) -> None:
    """Child process: run a FakeTelegram with Telegram's limits and answer control messages.

    ``("limits", bool)`` switches the limits; ``("stats", None)`` answers (messages sent,
    429s answered, fake bugs, CPU seconds used); ``("stop", None)`` stops it.
    """
    fake = FakeTelegram(max_long_poll=0.3).limits(enabled=True).start()
    control.send((fake.base_url, fake.token))
    while True:
        command, argument = control.recv()
        if command == "limits":
            fake.limits(enabled=bool(argument))
            control.send(None)
        elif command == "stats":
            stats = (len(fake.sent_messages()), fake.too_many_requests, len(fake.server_errors), time.process_time())
            control.send(stats)
        elif command == "stop":
            fake.stop()
            control.send(None)
            return


@dataclass(frozen=True, slots=True)
class FakeStats:
    sent: int
    too_many: int
    server_errors: int
    cpu: float  # seconds of CPU the fake's process used so far


class FakeTelegramProcess:
    """The parent's handle on the fake's process (commands over a pipe)."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._control, child = context.Pipe()
        self._process = context.Process(target=serve_fake_telegram, args=(child,), name="fake-telegram", daemon=True)
        self._process.start()
        self.base_url, self.token = self._control.recv()

    def _ask(self, command: str, argument: object = None) -> object:
        self._control.send((command, argument))
        return self._control.recv()

    def limits(self, enabled: bool) -> None:
        self._ask("limits", enabled)

    def stats(self) -> FakeStats:
        sent, too_many, errors, cpu = cast(tuple[int, int, int, float], self._ask("stats"))
        return FakeStats(sent, too_many, errors, cpu)

    def stop(self) -> None:
        if self._process.is_alive():
            self._ask("stop")
        self._process.join(timeout=10)


# -- the database ----------------------------------------------------------------------------


async def populate(app: App, chats: int) -> None:
    """N private digest chats, one subscription and one queued paper each, every digest due."""
    now = app.clock.now()
    created = now - timedelta(days=2)  # before the latest 08:00 UTC slot: the digest is due
    paper = make_paper(
        "2504.00001",
        title="Sparse autoencoders find interpretable features in language models",
        abstract=(
            "We train sparse autoencoders on the activations of a language model. The features they learn are "
            "interpretable and causally relevant. We release code and trained dictionaries."
        ),
        comment="12 pages, 4 figures",
    )
    await app.store.ingest([announce(paper)], source="bench")
    sessions = session_factory(app.engine)
    recipients = [
        {
            "platform": Platform.TELEGRAM,
            "external_id": str(FIRST_CHAT_ID + n),
            "kind": RecipientKind.PRIVATE,
            "title": None,
            "timezone": "UTC",
            "delivery_mode": DeliveryMode.DIGEST,
            "digest_time": clock_time(8, 0),
            "language": "en",
            "paused": False,
            "revision_notices": True,
            "digest_late": False,
            "active": True,
            "created_at": created,
        }
        for n in range(chats)
    ]
    async with sessions.begin() as session:
        for start in range(0, len(recipients), ROWS_PER_STATEMENT):
            await session.execute(insert(RecipientRow), recipients[start : start + ROWS_PER_STATEMENT])
        ids = list(await session.scalars(select(RecipientRow.id).order_by(RecipientRow.id)))
        subscriptions = [
            {
                "recipient_id": recipient_id,
                "query": QUERY,
                "canonical": str(parse_query(QUERY)),
                "created_by": "bench",
                "active": True,
                "created_at": created,
            }
            for recipient_id in ids
        ]
        for start in range(0, len(subscriptions), ROWS_PER_STATEMENT):
            await session.execute(insert(SubscriptionRow), subscriptions[start : start + ROWS_PER_STATEMENT])
        owners = (await session.execute(select(SubscriptionRow.id, SubscriptionRow.recipient_id))).all()
    owed = [
        Owed(recipient_id, paper.arxiv_id, PAPER, (subscription_id,), now) for subscription_id, recipient_id in owners
    ]
    queued = await app.outbox.enqueue(owed)
    assert queued == chats, f"queued {queued} of {chats}"


async def queue_again(app: App) -> None:
    """Phase 2 sends the same digests again: every delivery queued, no chat had a digest."""
    sessions = session_factory(app.engine)
    async with sessions.begin() as session:
        await session.execute(
            update(DeliveryRow).values(
                status=DeliveryStatus.QUEUED, claimed_at=None, sent_at=None, due_at=app.clock.now()
            )
        )
        await session.execute(update(RecipientRow).values(last_digest_at=None, digest_late=False))


# -- running ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Drained:
    messages: int
    seconds: float
    runs: int
    failed: int
    stalled: bool


async def drain(app: App, worker: DeliveryWorker, total: int) -> Drained:
    """``run_once`` until all ``total`` deliveries are marked sent (or nothing moves for a while)."""
    done = DeliveryRun()
    runs = 0
    started = time.perf_counter()
    last_progress = started
    while True:
        run = await worker.run_once()
        runs += 1
        done.messages += run.messages
        done.failed += run.failed
        if run.messages:
            last_progress = time.perf_counter()
        counts = await app.outbox.counts()
        if counts[DeliveryStatus.SENT] >= total:
            return Drained(done.messages, time.perf_counter() - started, runs, done.failed, stalled=False)
        if time.perf_counter() - last_progress > STALL_SECONDS:
            print(f"  stalled: {dict(counts)}", flush=True)
            return Drained(done.messages, time.perf_counter() - started, runs, done.failed, stalled=True)
        if not run.messages:
            await asyncio.sleep(0.2)  # released deliveries wait for their due time


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def machine() -> str:
    """Cores and load: the ceiling is CPU-bound, so other work on the machine lowers it."""
    one, five, fifteen = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {one:.2f} {five:.2f} {fifteen:.2f}"


async def phase_limited(app: App, adapter: TelegramAdapter, fake: FakeTelegramProcess, chats: int) -> bool:
    print(
        f"phase 1: {chats} digests, fake Telegram enforcing 30/s, our pacer at {app.settings.telegram_rate_global:g}/s"
    )
    fake.limits(True)
    before = fake.stats()
    worker = app.delivery_worker({Platform.TELEGRAM.value: adapter})
    drained = await drain(app, worker, chats)
    after = fake.stats()
    sent = after.sent - before.sent
    rate = sent / drained.seconds
    fraction = rate / TELEGRAM_RATE
    too_many = after.too_many - before.too_many
    print(f"  messages sent:          {sent} (worker counted {drained.messages}, {drained.failed} failed)")
    print(f"  wall time:              {drained.seconds:.1f} s ({drained.runs} run_once calls)")
    print(f"  achieved rate:          {rate:.2f} messages/s")
    print(
        f"  fraction of 30/s:       {fraction:.3f}  target >= {TARGET_FRACTION}: {verdict(fraction >= TARGET_FRACTION)}"
    )
    print(f"  429s received:          {too_many}  target {TARGET_429}: {verdict(too_many <= TARGET_429)}")
    return not drained.stalled and fraction >= TARGET_FRACTION and too_many <= TARGET_429


class RenderOnly:
    """A messenger that renders like the Telegram adapter and sends nothing: the pipeline alone."""

    text_limit = MESSAGE_LIMIT

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, chat_id: str, reply: Reply) -> None:
        self.sent += len(render_reply(reply))


async def ceiling_run(
    app: App, messenger: Messenger, chats: int, *, count: Callable[[], int], profile: bool
) -> tuple[float, float]:
    """Queue the digests again and drain them with our pacer out of the way: (messages/s, CPU ms per message)."""
    # Our own limits out of the way: the sliding windows still run, they never wait.
    unlimited = app.settings.model_copy(update={"telegram_rate_global": 1e9, "telegram_rate_chat": 1e9})
    worker = replace(app, settings=unlimited).delivery_worker({Platform.TELEGRAM.value: messenger})
    await queue_again(app)
    before = count()
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    cpu = time.process_time()
    drained = await drain(app, worker, chats)
    cpu = time.process_time() - cpu
    if profiler is not None:
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs()
        stats.sort_stats("tottime").print_stats(25)
        print(out.getvalue())
    sent = count() - before
    if drained.stalled or sent < chats:
        print(f"  only {sent} of {chats} sent")
        return 0.0, 0.0
    return sent / drained.seconds, 1000 * cpu / sent


async def http_floor(adapter: TelegramAdapter, concurrency: int, messages: int) -> tuple[float, float]:
    """python-telegram-bot sending to the fake, no pipeline at all: (messages/s, CPU ms per message)."""
    slots = asyncio.Semaphore(concurrency)
    text = "<b>Your arXiv digest for 2025-04-28</b>: 1 new paper\n\n" + "x" * 500

    async def one(n: int) -> None:
        async with slots:
            await adapter.application.bot.send_message(FIRST_CHAT_ID + n, text, parse_mode="HTML")

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(n) for n in range(messages)))
    return messages / (time.perf_counter() - started), 1000 * (time.process_time() - cpu) / messages


async def phase_ceiling(
    app: App, adapter: TelegramAdapter, fake: FakeTelegramProcess, chats: int, *, profile: bool
) -> bool:
    concurrency = app.settings.delivery_concurrency
    print(f"phase 2: the same {chats} digests again, fake limits off, our pacer at 1e9/s, concurrency {concurrency}")
    fake.limits(False)
    too_many = fake.stats().too_many
    ceiling, cpu = await ceiling_run(app, adapter, chats, count=lambda: fake.stats().sent, profile=profile)
    too_many = fake.stats().too_many - too_many
    print(
        f"  ceiling:                {ceiling:.0f} messages/s ({cpu:.2f} ms CPU per message in this process, "
        f"{too_many} 429s)  target >= {TARGET_CEILING:g}/s: {verdict(ceiling >= TARGET_CEILING)}"
    )
    render_only = RenderOnly()
    alone, alone_cpu = await ceiling_run(app, render_only, chats, count=lambda: render_only.sent, profile=False)
    print(
        f"  without HTTP:           {alone:.0f} messages/s ({alone_cpu:.2f} ms CPU per message; the worker, the "
        f"database and rendering alone)  target >= {TARGET_CEILING:g}/s: {verdict(alone >= TARGET_CEILING)}"
    )
    fake_cpu = fake.stats().cpu
    floor, floor_cpu = await http_floor(adapter, concurrency, min(chats, 2000))
    fake_cpu = 1000 * (fake.stats().cpu - fake_cpu) / min(chats, 2000)
    print(
        f"  HTTP alone:             {floor:.0f} messages/s ({floor_cpu:.2f} ms CPU per message here, "
        f"{fake_cpu:.2f} ms in the fake): python-telegram-bot to the fake, no pipeline"
    )
    return ceiling >= TARGET_CEILING


async def bench(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="paperbot-bench-") as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'deliver.db'}"
        fake = FakeTelegramProcess()
        try:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                database_url=url,
                telegram_token=fake.token,
                telegram_api_url=fake.base_url,
                # Never polled here; pointed at nothing so that nothing could leave the machine.
                arxiv_feed_url="http://127.0.0.1:9/rss/",
                arxiv_api_url="http://127.0.0.1:9/api/query",
                log_level="ERROR",
                **({"delivery_concurrency": args.concurrency} if args.concurrency else {}),
            )
            # The fake's 429 count is the measure; the adapter's warning per 429 would bury the report.
            configure_logging(settings)
            async with open_app(settings) as app:
                started = time.perf_counter()
                await populate(app, args.chats)
                backend = app.engine.url.get_backend_name()
                print(f"setup: {args.chats} chats on {backend} in {time.perf_counter() - started:.1f} s; {machine()}")
                adapter = TelegramAdapter(settings, app.commands, app.services.chats)
                await adapter.application.initialize()  # sending needs no polling
                try:
                    limited = True if args.skip_limited else await phase_limited(app, adapter, fake, args.chats)
                    ceiling = await phase_ceiling(app, adapter, fake, args.chats, profile=args.profile)
                finally:
                    await adapter.stop()
                print(f"machine at the end: {machine()}")
            errors = fake.stats().server_errors
            if errors:
                print(f"the fake answered 500 (a bug in the fake) {errors} times")
        finally:
            fake.stop()
    return 0 if limited and ceiling else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10_000, help="chats, one digest each (default 10000)")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--concurrency", type=int, help="PAPERBOT_DELIVERY_CONCURRENCY (default: the setting's)")
    parser.add_argument("--profile", action="store_true", help="cProfile phase 2 and print the top functions")
    parser.add_argument("--skip-limited", action="store_true", help="only phase 2 (the ceiling)")
    args = parser.parse_args(argv)
    return asyncio.run(bench(args))


if __name__ == "__main__":
    sys.exit(main())
