"""One APScheduler for the whole process: polls after announcements, the outbox drain.

The schedule itself lives in the database (cursors, each chat's digest time and last
digest, the outbox's due times); the jobs only look at it often. So a restart loses
nothing, a change of /time takes effect at once, and a digest missed while the bot was
down is sent once on start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from paperbot.arxiv.calendar import EASTERN, latest_feed_date
from paperbot.clock import Clock
from paperbot.config import Settings
from paperbot.delivery import DeliveryWorker
from paperbot.dispatch import Dispatcher
from paperbot.pipeline import Pipeline, cursor_name

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 15.0  # seconds a delivery run may take to finish its send in flight


async def poll_if_due(pipeline: Pipeline, dispatcher: Dispatcher, clock: Clock, settings: Settings) -> bool:
    """Poll unless the newest expected announcement is stored; then match what is new.

    True when the source is in order: polled well, or nothing was due (a weekend).
    """
    cursor = await pipeline.store.cursor(cursor_name(pipeline.archives))
    due = latest_feed_date(clock.now(), settings.arxiv_holidays)
    healthy = True
    if cursor is None or cursor.announced_on is None or cursor.announced_on < due:
        healthy = (await pipeline.poll()).error is None
    # Always: announcements stored by an earlier run that died before matching are matched now.
    await dispatcher.dispatch()
    return healthy


class Scheduler:
    def __init__(
        self, *, pipeline: Pipeline, dispatcher: Dispatcher, worker: DeliveryWorker, clock: Clock, settings: Settings
    ) -> None:
        self._pipeline = pipeline
        self._dispatcher = dispatcher
        self._worker = worker
        self._clock = clock
        self._settings = settings
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._poll_lock = asyncio.Lock()
        self._running: dict[asyncio.Task[None], str] = {}
        self.last_poll_ok: datetime | None = None

    def _tracked(self, job: Callable[[], Awaitable[None]], name: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            task = asyncio.current_task()
            assert task is not None
            self._running[task] = name
            try:
                await job()
            except Exception:
                log.exception("%s failed; it runs again at its next time", name)
            finally:
                self._running.pop(task, None)

        return run

    async def poll(self) -> None:
        async with self._poll_lock:
            if await poll_if_due(self._pipeline, self._dispatcher, self._clock, self._settings):
                self.last_poll_ok = self._clock.now()

    @property
    def running(self) -> bool:
        """Started and not paused (a paused scheduler starts no jobs)."""
        return bool(self._scheduler.state == STATE_RUNNING)

    async def deliver(self) -> None:
        run = await self._worker.run_once()
        if run.messages:
            log.info(
                "delivered %d messages (%d papers, %d digests, %d notes; %d failed, %d dead-lettered)",
                run.messages,
                run.papers,
                run.digests,
                run.notes,
                run.failed,
                run.dead,
            )

    def start(self) -> None:
        now = self._clock.now()
        common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        self._scheduler.add_job(
            self._tracked(self.poll, "poll"),
            IntervalTrigger(seconds=self._settings.poll_interval),
            id="poll",
            next_run_time=now,
            **common,
        )
        # The feeds are rebuilt around midnight Eastern after each announcement (Sun-Thu 20:00).
        self._scheduler.add_job(
            self._tracked(self.poll, "poll"),
            CronTrigger(day_of_week="mon-fri", hour=0, minute=5, timezone=EASTERN),
            id="poll-after-announcement",
            **common,
        )
        self._scheduler.add_job(
            self._tracked(self.deliver, "delivery"),
            IntervalTrigger(seconds=self._settings.delivery_interval),
            id="deliver",
            next_run_time=now,
            **common,
        )
        self._scheduler.start()

    def jobs(self) -> list[tuple[str, str]]:
        """(job id, next run) for status displays."""
        return [(job.id, str(job.next_run_time)) for job in self._scheduler.get_jobs()]

    async def stop(self) -> None:
        """No new runs. A poll in flight is cancelled (its batch is one transaction); a
        delivery run finishes the send in flight and marks it, and puts back the rest,
        so that nothing the platform already has is sent again after the restart."""
        # Paused first, shut down last: APScheduler's shutdown cancels the jobs in flight.
        if self._scheduler.running:
            self._scheduler.pause()
        self._worker.stop()
        running = dict(self._running)
        for task, name in running.items():
            if name != "delivery":
                task.cancel()
        if running:
            _, late = await asyncio.wait(running, timeout=SHUTDOWN_GRACE)
            for task in late:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
