"""Fixtures for summary tests: the summary store on every backend, and a fake model endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.domain import Paper
from paperbot.store.db import session_factory
from paperbot.store.papers import PaperStore
from paperbot.store.summaries import SummaryStore
from tests.fakes.clock import FakeClock
from tests.fakes.llm_server import FakeChatCompletions
from tests.fakes.papers import announce


@pytest.fixture
def summary_store(engine: AsyncEngine, clock: FakeClock) -> SummaryStore:
    return SummaryStore(session_factory(engine), clock)


@pytest.fixture
def fake_llm() -> Iterator[FakeChatCompletions]:
    with FakeChatCompletions() as server:
        yield server


async def stored(store: PaperStore, *papers: Paper) -> None:
    """Summaries reference their paper: store the papers first, as the pipeline does."""
    await store.ingest([announce(paper) for paper in papers], source="test")
