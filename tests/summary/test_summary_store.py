"""The summary cache and the daily budget, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.store.db import session_factory
from paperbot.store.models import PaperRow
from paperbot.store.papers import PaperStore
from paperbot.store.summaries import DailyUsage, SummaryStore
from tests.fakes.clock import FakeClock
from tests.fakes.papers import make_paper
from tests.summary.conftest import stored

DAY = date(2025, 4, 28)


async def test_a_summary_is_stored_once_per_paper_version_and_language(
    store: PaperStore, summary_store: SummaryStore, clock: FakeClock
) -> None:
    paper = make_paper("2504.00001", version=2)
    await stored(store, paper)
    assert await summary_store.save("2504.00001", 2, "de", kind="llm", model="m1", text="Wir schlagen X vor.")
    # A second writer for the same key (another process, a race) loses quietly; the first text stays.
    assert not await summary_store.save("2504.00001", 2, "de", kind="llm", model="m2", text="Anders.")
    cached = await summary_store.get("2504.00001", 2, "de")
    assert cached is not None
    assert (cached.text, cached.model, cached.kind, cached.created_at) == (
        "Wir schlagen X vor.",
        "m1",
        "llm",
        clock.now(),
    )
    assert await summary_store.get("2504.00001", 2, "en") is None
    assert await summary_store.get("2504.00001", 1, "de") is None
    assert await summary_store.count() == 1


async def test_many_summaries_in_one_lookup(store: PaperStore, summary_store: SummaryStore) -> None:
    papers = [make_paper(f"2504.{n:05d}") for n in range(1, 6)]
    await stored(store, *papers)
    for paper in papers[:3]:
        await summary_store.save(paper.arxiv_id, 1, "en", kind="llm", model="m", text=f"About {paper.arxiv_id}.")
    keys = [(p.arxiv_id, 1, "en") for p in papers] + [("2504.00001", 1, "fr")]
    found = await summary_store.get_many(keys)
    assert sorted(found) == [("2504.00001", 1, "en"), ("2504.00002", 1, "en"), ("2504.00003", 1, "en")]
    assert found[("2504.00002", 1, "en")].text == "About 2504.00002."
    assert await summary_store.get_many([]) == {}


async def test_a_summary_of_an_unknown_paper_is_not_cached(summary_store: SummaryStore) -> None:
    assert not await summary_store.save("9999.99999", 1, "en", kind="llm", model="m", text="Text.")
    assert await summary_store.count() == 0


async def test_summaries_go_with_their_paper(
    engine: AsyncEngine, store: PaperStore, summary_store: SummaryStore
) -> None:
    await stored(store, make_paper("2504.00001"))
    await summary_store.save("2504.00001", 1, "en", kind="llm", model="m", text="Text.")
    async with session_factory(engine).begin() as session:
        await session.execute(delete(PaperRow).where(PaperRow.arxiv_id == "2504.00001"))
    assert await summary_store.count() == 0


async def test_the_budget_is_counted_per_day_and_survives_a_restart(
    engine: AsyncEngine, summary_store: SummaryStore, clock: FakeClock
) -> None:
    assert [await summary_store.try_reserve(DAY, 2) for _ in range(3)] == [True, True, False]
    await summary_store.record_failure(DAY)
    assert await summary_store.usage(DAY) == DailyUsage(DAY, requests=2, failures=1)
    # A new store on the same database (the bot restarted) sees the spent budget.
    restarted = SummaryStore(session_factory(engine), clock)
    assert not await restarted.try_reserve(DAY, 2)
    assert await restarted.try_reserve(date(2025, 4, 29), 2)
    assert await restarted.usage(date(2025, 4, 30)) == DailyUsage(date(2025, 4, 30))


async def test_a_zero_budget_reserves_nothing(summary_store: SummaryStore) -> None:
    assert not await summary_store.try_reserve(DAY, 0)
    assert await summary_store.usage(DAY) == DailyUsage(DAY)


async def test_concurrent_reservations_never_exceed_the_budget(engine: AsyncEngine, clock: FakeClock) -> None:
    # Separate stores, as separate processes would have; the first reservations race to create the row.
    stores = [SummaryStore(session_factory(engine), clock) for _ in range(4)]
    results = await asyncio.gather(*(stores[n % 4].try_reserve(DAY, 5) for n in range(12)))
    assert results.count(True) == 5
    assert (await stores[0].usage(DAY)).requests == 5


async def test_failures_are_counted_even_before_any_request(summary_store: SummaryStore) -> None:
    await summary_store.record_failure(DAY)
    await summary_store.record_failure(DAY)
    assert await summary_store.usage(DAY) == DailyUsage(DAY, requests=0, failures=2)
