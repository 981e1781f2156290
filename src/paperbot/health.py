"""``/healthz`` and ``/metrics`` over HTTP, for Docker, systemd units and Prometheus.

The server runs on the bot's own event loop (tornado, already a dependency of
python-telegram-bot's webhooks) rather than in a thread: a loop blocked by a stuck
coroutine then also stops answering ``/healthz``, which is exactly what a health probe
should notice.

Healthy means: the database answers, the scheduler runs, and the last successful poll
is not older than it should be. Each check is an async callable, so the tests drive them
with a fake clock and a database they can take away.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from paperbot.clock import Clock
from paperbot.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)

DATABASE_TIMEOUT = 3.0
# Longest any one check may take: a probe that hangs is worse than one that says no.
CHECK_TIMEOUT = 5.0

DATABASE = "database"
SCHEDULER = "scheduler"
LAST_POLL = "last_poll"


def database_ping(engine: AsyncEngine, timeout: float = DATABASE_TIMEOUT) -> Callable[[], Awaitable[None]]:
    """A ``HealthChecks.database`` that raises unless the database answers with our schema.

    It reads ``alembic_version`` rather than ``SELECT 1``: a SQLite file deleted under the
    running bot would otherwise come back as a new, empty file and pass. For the same
    reason a SQLite file that is gone fails at once, before a connection (pooled ones
    still reach the deleted file) is even asked.
    """
    url = engine.url
    sqlite_file = None
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        sqlite_file = Path(url.database).expanduser()

    async def ping() -> None:
        async with asyncio.timeout(timeout):
            # In a thread: a stat on a hung network mount must not block the loop.
            if sqlite_file is not None and not await asyncio.to_thread(sqlite_file.exists):
                raise FileNotFoundError(f"the SQLite database file {sqlite_file} is gone")
            async with engine.connect() as connection:
                await connection.execute(text("SELECT version_num FROM alembic_version"))

    return ping


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; paperbot stores UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(slots=True)
class HealthReport:
    """The outcome of one round of checks, as ``/healthz`` shows it."""

    checks: dict[str, dict[str, Any]]

    @property
    def failing(self) -> list[str]:
        return [name for name, result in self.checks.items() if not result["ok"]]

    @property
    def healthy(self) -> bool:
        return not self.failing

    def body(self) -> dict[str, Any]:
        if self.healthy:
            return {"status": "ok", "checks": self.checks}
        return {"status": "unhealthy", "failing": self.failing, "checks": self.checks}


@dataclass(slots=True)
class HealthChecks:
    """What "alive" means for the bot, as async callables the app wires to its parts.

    ``last_poll_success`` should move whenever a poll job ends well, including the runs
    that found the newest announcement already stored: on a weekend nothing new comes
    for two days, and that is not a failure.

    Start-up grace: a process younger than ``max_poll_age`` passes the poll check even
    when its last success is older (or there is none): it has not had its chance yet, and
    failing it would have a supervisor restart a bot that is about to poll.
    """

    database: Callable[[], Awaitable[None]]
    scheduler_running: Callable[[], Awaitable[bool]]
    last_poll_success: Callable[[], Awaitable[datetime | None]]
    max_poll_age: timedelta
    clock: Clock
    started_at: datetime | None = field(default=None)
    check_timeout: float = CHECK_TIMEOUT

    def __post_init__(self) -> None:
        if self.started_at is None:
            self.started_at = self.clock.now()

    async def evaluate(self, redact: Callable[[str], str] | None = None) -> HealthReport:
        """Run every check at once; an exception or a timeout fails that check only.

        The error's message is shown only with a ``redact``: it may quote a database URL,
        and ``/healthz`` answers anyone who reaches the port.
        """
        names = (DATABASE, SCHEDULER, LAST_POLL)
        results = await asyncio.gather(
            *(self._guarded(check, redact) for check in (self._database, self._scheduler, self._last_poll))
        )
        return HealthReport(dict(zip(names, results, strict=True)))

    async def _guarded(
        self, check: Callable[[], Awaitable[dict[str, Any]]], redact: Callable[[str], str] | None
    ) -> dict[str, Any]:
        try:
            async with asyncio.timeout(self.check_timeout):
                return await check()
        except Exception as err:
            error = type(err).__name__
            if redact is not None and str(err):
                error = redact(f"{error}: {err}")[:300]
            return {"ok": False, "error": error}

    async def _database(self) -> dict[str, Any]:
        await self.database()
        return {"ok": True}

    async def _scheduler(self) -> dict[str, Any]:
        running = await self.scheduler_running()
        return {"ok": True} if running else {"ok": False, "error": "the scheduler is not running"}

    async def _last_poll(self) -> dict[str, Any]:
        now = self.clock.now()
        last = await self.last_poll_success()
        last = _aware(last) if last is not None else None
        started = self.started_at or now
        result: dict[str, Any] = {
            "last_success": last.isoformat() if last is not None else None,
            "max_age_seconds": self.max_poll_age.total_seconds(),
        }
        if last is not None:
            result["age_seconds"] = round((now - last).total_seconds(), 3)
            if now - last <= self.max_poll_age:
                return {"ok": True, **result}
        if now - started <= self.max_poll_age:
            return {"ok": True, "grace": True, **result}
        error = "no successful poll since start" if last is None else "the last successful poll is too old"
        return {"ok": False, "error": error, **result}


class _HealthHandler(RequestHandler):
    def initialize(self, server: HealthServer) -> None:
        self._server = server

    async def get(self) -> None:
        report = await self._server.report()
        self.set_status(200 if report.healthy else 503)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(report.body()))


class _MetricsHandler(RequestHandler):
    def initialize(self, server: HealthServer) -> None:
        self._server = server

    async def get(self) -> None:
        await self._server.metrics.refresh()
        self.set_header("Content-Type", CONTENT_TYPE)
        self.set_header("Cache-Control", "no-store")
        self.finish(self._server.metrics.render())


def _log_request(handler: RequestHandler) -> None:
    # Probes come every few seconds: their lines would drown the bot's own at INFO.
    status = handler.get_status()
    level = logging.ERROR if status >= 500 and status != 503 else logging.DEBUG
    log.log(
        level,
        "%d %s %s %.1fms",
        status,
        handler.request.method,
        handler.request.uri,
        1000.0 * handler.request.request_time(),
    )


class HealthServer:
    """The HTTP server for ``/healthz`` and ``/metrics``; ``port`` is the real one after ``start``."""

    def __init__(
        self,
        metrics: Metrics,
        checks: HealthChecks,
        host: str,
        port: int,
        *,
        redact: Callable[[str], str] | None = None,
    ) -> None:
        self.metrics = metrics
        self.checks = checks
        self._host = host
        self._requested_port = port
        self._port: int | None = None
        self._redact = redact
        self._server: HTTPServer | None = None
        self._failing: set[str] = set()
        self._application = Application(
            [
                (r"/healthz", _HealthHandler, {"server": self}),
                (r"/metrics", _MetricsHandler, {"server": self}),
            ],
            log_function=_log_request,
        )

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the health server is not started")
        return self._port

    async def start(self) -> None:
        """Listen on the event loop that runs the bot."""
        if self._server is not None:
            return
        sockets = bind_sockets(self._requested_port, address=self._host)
        self._server = HTTPServer(self._application)
        self._server.add_sockets(sockets)
        self._port = int(sockets[0].getsockname()[1])
        log.info("health and metrics on http://%s:%d (/healthz, /metrics)", self._host, self._port)

    async def stop(self) -> None:
        """Stop listening and close open connections (a scrape in flight is cut)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        await server.close_all_connections()

    async def __aenter__(self) -> HealthServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def report(self) -> HealthReport:
        """Evaluate the checks and log each one that turns bad or good (once, not every probe)."""
        report = await self.checks.evaluate(self._redact)
        failing = set(report.failing)
        for name in sorted(failing - self._failing):
            log.warning("health check %s failing: %s", name, report.checks[name].get("error"))
        for name in sorted(self._failing - failing):
            log.info("health check %s passing again", name)
        self._failing = failing
        return report
