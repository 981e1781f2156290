"""Shared fixtures: a fake clock, and storage on every backend (SQLite and PostgreSQL).

Storage tests take ``database_url`` (or ``store``) and run once per backend, as
Red-DiscordBot runs its suite per storage type. ``PAPERBOT_REQUIRE_POSTGRES=1`` (set by
``scripts/test`` and CI) turns a missing PostgreSQL into a failure instead of a skip.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.store.db import create_engine, migrate, session_factory
from paperbot.store.papers import PaperStore
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.clock import FakeClock
from tests.pg import PostgresUnavailable, throwaway_cluster

BACKENDS = ["sqlite", "postgresql"]
_database_numbers = itertools.count()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    given = os.environ.get("PAPERBOT_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    try:
        with throwaway_cluster() as url:
            yield url
    except PostgresUnavailable as err:
        if os.environ.get("PAPERBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required here: {err}")
        pytest.skip(f"PostgreSQL not available: {err}")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def empty_database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A database with no tables yet, on the backend under test."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'paperbot.db'}"
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    name = f"paperbot_test_{os.getpid()}_{next(_database_numbers)}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield admin_url.rsplit("/", 1)[0] + "/" + name
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def engine(empty_database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database whose schema was built by running the migrations."""
    engine = create_engine(empty_database_url)
    await migrate(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def database_url(engine: AsyncEngine, empty_database_url: str) -> str:
    """The URL of the migrated database (for tests that start paperbot itself)."""
    return empty_database_url


@pytest.fixture
def store(engine: AsyncEngine, clock: FakeClock) -> PaperStore:
    return PaperStore(session_factory(engine), clock)


@pytest.fixture
def fake_arxiv() -> Iterator[FakeArxiv]:
    with FakeArxiv() as server:
        yield server
