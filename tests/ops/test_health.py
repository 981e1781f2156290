"""``/healthz`` and ``/metrics`` answered by a real server, over real HTTP on 127.0.0.1.

The database check runs on both backends and is failed the way operators meet it: the
SQLite file deleted under the bot, the PostgreSQL database dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.health import HealthChecks, HealthServer, database_ping
from paperbot.logs import Redactor
from paperbot.metrics import Metrics
from tests.fakes.clock import FakeClock

MAX_AGE = timedelta(hours=6)


@dataclass
class Bot:
    """The parts the checks look at, set by each test as it needs them."""

    scheduler_running: bool = True
    last_poll: datetime | None = None

    async def is_running(self) -> bool:
        return self.scheduler_running

    async def last_success(self) -> datetime | None:
        return self.last_poll


async def database_ok() -> None:
    return None


@pytest.fixture
def bot(clock: FakeClock) -> Bot:
    return Bot(last_poll=clock.now())


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


def make_checks(bot: Bot, clock: FakeClock, database: Any = database_ok) -> HealthChecks:
    return HealthChecks(
        database=database,
        scheduler_running=bot.is_running,
        last_poll_success=bot.last_success,
        max_poll_age=MAX_AGE,
        clock=clock,
    )


@pytest.fixture
async def server(metrics: Metrics, bot: Bot, clock: FakeClock) -> AsyncIterator[HealthServer]:
    async with HealthServer(metrics, make_checks(bot, clock), "127.0.0.1", 0) as running:
        yield running


async def get(server: HealthServer, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=10) as client:
        return await client.get(path)


async def test_healthz_is_ok_when_everything_is(server: HealthServer) -> None:
    response = await get(server, "/healthz")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "scheduler": True,
        "last_poll": True,
    }
    assert body["checks"]["last_poll"]["age_seconds"] == 0


async def make_database_go_away(backend: str, engine: AsyncEngine, url: str, request: pytest.FixtureRequest) -> None:
    if backend == "sqlite":
        database = make_url(url).database
        assert database is not None
        # The pool keeps the deleted file open: that is the case the check must still see.
        for suffix in ("", "-wal", "-shm"):
            await asyncio.to_thread(Path(database + suffix).unlink, missing_ok=True)
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.mark.storage
async def test_healthz_names_the_database_once_it_is_gone(
    engine: AsyncEngine,
    empty_database_url: str,
    backend: str,
    request: pytest.FixtureRequest,
    metrics: Metrics,
    bot: Bot,
    clock: FakeClock,
) -> None:
    checks = make_checks(bot, clock, database=database_ping(engine))
    async with HealthServer(metrics, checks, "127.0.0.1", 0) as server:
        assert (await get(server, "/healthz")).status_code == 200

        await make_database_go_away(backend, engine, empty_database_url, request)

        response = await get(server, "/healthz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unhealthy"
        assert body["failing"] == ["database"]
        assert body["checks"]["database"]["ok"] is False
        assert body["checks"]["database"]["error"]
        # /metrics still answers: it is how the operator sees what else is wrong.
        assert (await get(server, "/metrics")).status_code == 200


@pytest.mark.storage
async def test_healthz_after_the_engine_is_disposed_and_the_database_removed(
    engine: AsyncEngine,
    empty_database_url: str,
    backend: str,
    request: pytest.FixtureRequest,
    metrics: Metrics,
    bot: Bot,
    clock: FakeClock,
) -> None:
    checks = make_checks(bot, clock, database=database_ping(engine))
    async with HealthServer(metrics, checks, "127.0.0.1", 0) as server:
        await engine.dispose()
        # A disposed engine reconnects on demand: that alone is not an outage.
        assert (await get(server, "/healthz")).status_code == 200
        await engine.dispose()
        await make_database_go_away(backend, engine, empty_database_url, request)
        response = await get(server, "/healthz")
        assert response.status_code == 503
        assert response.json()["failing"] == ["database"]
    if backend == "sqlite":
        database = make_url(empty_database_url).database
        assert database is not None
        assert not await asyncio.to_thread(Path(database).exists), "the check must not create an empty database"


async def test_healthz_names_last_poll_when_polls_stop(server: HealthServer, clock: FakeClock) -> None:
    clock.advance(MAX_AGE.total_seconds())
    assert (await get(server, "/healthz")).status_code == 200, "exactly the max age is still fine"

    clock.advance(1)
    response = await get(server, "/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["last_poll"]
    assert body["checks"]["last_poll"]["age_seconds"] == MAX_AGE.total_seconds() + 1
    assert body["checks"]["database"]["ok"] is True


async def test_a_new_poll_makes_it_healthy_again(server: HealthServer, bot: Bot, clock: FakeClock) -> None:
    clock.advance(MAX_AGE.total_seconds() + 60)
    assert (await get(server, "/healthz")).status_code == 503
    bot.last_poll = clock.now()
    assert (await get(server, "/healthz")).status_code == 200


async def test_start_up_grace_without_any_poll(metrics: Metrics, clock: FakeClock) -> None:
    bot = Bot(last_poll=None)
    async with HealthServer(metrics, make_checks(bot, clock), "127.0.0.1", 0) as server:
        body = (await get(server, "/healthz")).json()
        assert body["status"] == "ok"
        assert body["checks"]["last_poll"]["grace"] is True
        assert body["checks"]["last_poll"]["last_success"] is None

        clock.advance(MAX_AGE.total_seconds() + 1)
        response = await get(server, "/healthz")
        assert response.status_code == 503
        assert response.json()["checks"]["last_poll"]["error"] == "no successful poll since start"


async def test_a_restart_after_a_long_outage_gets_its_grace_too(metrics: Metrics, clock: FakeClock) -> None:
    # The last success was before the outage; the new process has not had its chance yet.
    bot = Bot(last_poll=clock.now() - timedelta(days=2))
    async with HealthServer(metrics, make_checks(bot, clock), "127.0.0.1", 0) as server:
        response = await get(server, "/healthz")
        assert response.status_code == 200
        assert response.json()["checks"]["last_poll"]["grace"] is True
        clock.advance(MAX_AGE.total_seconds() + 1)
        assert (await get(server, "/healthz")).json()["failing"] == ["last_poll"]


async def test_naive_datetimes_from_sqlite_count_as_utc(metrics: Metrics, clock: FakeClock) -> None:
    bot = Bot(last_poll=clock.now().replace(tzinfo=None))
    async with HealthServer(metrics, make_checks(bot, clock), "127.0.0.1", 0) as server:
        assert (await get(server, "/healthz")).status_code == 200


async def test_healthz_names_the_scheduler_when_it_stopped(server: HealthServer, bot: Bot) -> None:
    bot.scheduler_running = False
    response = await get(server, "/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["scheduler"]
    assert body["checks"]["scheduler"] == {"ok": False, "error": "the scheduler is not running"}


async def test_a_failing_check_shows_only_its_class_unless_a_redactor_is_given(
    metrics: Metrics, bot: Bot, clock: FakeClock
) -> None:
    secret = "hunter2-db-password"

    async def broken() -> None:
        raise ConnectionError(f"cannot reach postgresql://bot:{secret}@db/paperbot")

    checks = make_checks(bot, clock, database=broken)
    async with HealthServer(metrics, checks, "127.0.0.1", 0) as server:
        response = await get(server, "/healthz")
        assert response.json()["checks"]["database"]["error"] == "ConnectionError"
    async with HealthServer(metrics, checks, "127.0.0.1", 0, redact=Redactor([secret])) as server:
        error = (await get(server, "/healthz")).json()["checks"]["database"]["error"]
        assert error.startswith("ConnectionError: cannot reach postgresql://bot:")
        assert secret not in error


async def test_a_check_that_hangs_fails_instead_of_hanging_the_probe(
    metrics: Metrics, bot: Bot, clock: FakeClock
) -> None:
    async def stuck() -> bool:
        await asyncio.Event().wait()
        return True

    checks = make_checks(bot, clock)
    checks.scheduler_running = stuck
    checks.check_timeout = 0.2
    async with HealthServer(metrics, checks, "127.0.0.1", 0) as server:
        response = await get(server, "/healthz")
        assert response.status_code == 503
        assert response.json()["checks"]["scheduler"] == {"ok": False, "error": "TimeoutError"}


def sample(text: str, name: str, labels: Mapping[str, str] | None = None) -> float | None:
    """The value of one sample in a Prometheus text exposition, None if absent."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == dict(labels or {}):
                return float(found.value)
    return None


async def test_metrics_move_when_a_poll_and_a_send_happen(server: HealthServer, metrics: Metrics) -> None:
    depth = {"queued": 3, "sending": 1}

    async def outbox_depth() -> dict[str, int]:
        return dict(depth)

    metrics.outbox_depth_from(outbox_depth)
    before = await get(server, "/metrics")
    assert before.status_code == 200
    assert before.headers["content-type"].startswith("text/plain")
    text = before.text
    assert "# HELP paperbot_polls_total " in text
    assert sample(text, "paperbot_polls_total", {"result": "ok"}) == 0
    assert sample(text, "paperbot_messages_total", {"platform": "telegram", "result": "sent"}) is None
    assert sample(text, "paperbot_outbox_messages", {"status": "queued"}) == 3

    metrics.poll("ok")
    metrics.fetch_error("HTTPError")
    metrics.stored("new", 40)
    metrics.matched(7)
    metrics.message("telegram", "sent", 0.05)
    metrics.message("discord", "failed")
    depth["queued"] = 2
    del depth["sending"]

    text = (await get(server, "/metrics")).text
    assert sample(text, "paperbot_polls_total", {"result": "ok"}) == 1
    assert sample(text, "paperbot_polls_total", {"result": "failed"}) == 0
    assert sample(text, "paperbot_fetch_errors_total", {"kind": "HTTPError"}) == 1
    assert sample(text, "paperbot_papers_stored_total", {"announce_type": "new"}) == 40
    assert sample(text, "paperbot_matches_total") == 7
    assert sample(text, "paperbot_messages_total", {"platform": "telegram", "result": "sent"}) == 1
    assert sample(text, "paperbot_messages_total", {"platform": "discord", "result": "failed"}) == 1
    assert sample(text, "paperbot_send_seconds_count", {"platform": "telegram"}) == 1
    assert sample(text, "paperbot_send_seconds_bucket", {"platform": "telegram", "le": "0.05"}) == 1
    assert sample(text, "paperbot_send_seconds_bucket", {"platform": "telegram", "le": "0.025"}) == 0
    assert sample(text, "paperbot_send_seconds_count", {"platform": "discord"}) is None, "no send call, no latency"
    assert sample(text, "paperbot_outbox_messages", {"status": "queued"}) == 2
    assert sample(text, "paperbot_outbox_messages", {"status": "sending"}) == 0, "an emptied status reads 0"


async def test_outbox_depth_is_hidden_while_it_cannot_be_read(server: HealthServer, metrics: Metrics) -> None:
    healthy = True

    async def outbox_depth() -> dict[str, int]:
        if not healthy:
            raise ConnectionError("database gone")
        return {"queued": 5}

    metrics.outbox_depth_from(outbox_depth)
    assert sample((await get(server, "/metrics")).text, "paperbot_outbox_messages", {"status": "queued"}) == 5
    healthy = False
    response = await get(server, "/metrics")
    assert response.status_code == 200
    assert sample(response.text, "paperbot_outbox_messages", {"status": "queued"}) is None
    healthy = True
    assert sample((await get(server, "/metrics")).text, "paperbot_outbox_messages", {"status": "queued"}) == 5


def test_two_metrics_do_not_share_counts() -> None:
    first, second = Metrics(), Metrics()
    first.poll("ok")
    assert sample(first.render().decode(), "paperbot_polls_total", {"result": "ok"}) == 1
    assert sample(second.render().decode(), "paperbot_polls_total", {"result": "ok"}) == 0


def test_unknown_results_are_refused() -> None:
    metrics = Metrics()
    with pytest.raises(ValueError, match="poll result"):
        metrics.poll("fine")
    with pytest.raises(ValueError, match="message result"):
        metrics.message("telegram", "delivered")


async def test_unknown_paths_are_404_and_stop_frees_the_port(server: HealthServer) -> None:
    assert (await get(server, "/nope")).status_code == 404
    port = server.port
    await server.stop()
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(timeout=2) as client:
            await client.get(f"http://127.0.0.1:{port}/healthz")
    await server.stop()  # twice is fine
