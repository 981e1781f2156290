"""Whole polls against the fake arXiv: faults, full feeds, gaps, enrichment; on both backends."""

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime

from paperbot.domain import AnnounceType
from paperbot.store.papers import PaperStore
from tests.fakes.arxiv_server import FakeArxiv, Fault
from tests.fakes.clock import FakeClock
from tests.fakes.papers import announce, make_paper
from tests.fakes.wiring import make_pipeline, make_source, make_transport

DAY = date(2025, 4, 28)


def _day_of_papers() -> list:
    kinds = (
        [AnnounceType.NEW] * 14
        + [AnnounceType.CROSS] * 6
        + [AnnounceType.REPLACE] * 7
        + [AnnounceType.REPLACE_CROSS] * 3
    )
    items = []
    for n, kind in enumerate(kinds, start=1):
        version = 1 if kind in (AnnounceType.NEW, AnnounceType.CROSS) else 2
        primary = "cs.LG" if kind in (AnnounceType.NEW, AnnounceType.REPLACE) else "stat.ML"
        paper = make_paper(
            f"2504.{n:05d}",
            version=version,
            primary_category=primary,
            categories=(primary, "cs.AI"),
            comment=f"Accepted at ICML 2025 ({n})",
            doi=f"10.1/{n}",
        )
        items.append(announce(paper, kind, DAY))
    return items


async def test_poll_through_503_empty_page_and_429_stores_every_paper_once(
    fake_arxiv: FakeArxiv, clock: FakeClock, store: PaperStore
) -> None:
    day = _day_of_papers()
    fake_arxiv.announce(day, day=DAY).fail_next(
        Fault.status_code(503, path="/rss"),
        Fault.cut_off(path="/rss"),
        Fault.status_code(429, retry_after="30", path="/rss"),
        Fault.empty_page(path="/api"),
        Fault.status_code(503, path="/api"),
    )
    pipeline = make_pipeline(make_source(fake_arxiv, make_transport(clock)), store)
    outcome = await pipeline.poll()

    assert outcome.error is None
    assert outcome.announced_on == DAY
    assert fake_arxiv.pending_faults == 0, "every fault was met"
    assert 30.0 in clock.sleeps, "the 429's Retry-After was honoured"
    assert await store.count() == 30
    assert await store.count_announcements() == Counter(a.announce_type for a in day)
    assert await store.incomplete(limit=100, max_attempts=5) == []
    stored = await store.get("2504.00001")
    assert stored is not None and stored.comment == "Accepted at ICML 2025 (1)" and stored.doi == "10.1/1"

    again = await pipeline.poll()
    assert again.report.already_stored == 30 and again.report.stored_count == 0
    assert await store.count() == 30


async def test_outage_leaves_cursor_and_papers_untouched_then_recovers(
    fake_arxiv: FakeArxiv, clock: FakeClock, store: PaperStore
) -> None:
    fake_arxiv.announce(_day_of_papers(), day=DAY).fail_next(*[Fault.status_code(503, path="/rss")] * 6)
    pipeline = make_pipeline(make_source(fake_arxiv, make_transport(clock)), store)
    failed = await pipeline.poll()
    assert failed.error is not None and "HTTP 503" in failed.error
    assert not failed.no_announcement, "an outage is never read as 'no new papers'"
    cursor = await store.cursor("feed:cs")
    assert cursor is not None and cursor.announced_on is None and cursor.consecutive_failures == 1
    assert await store.count() == 0

    recovered = await pipeline.poll()
    assert recovered.error is None and recovered.report.stored_count == 30
    cursor = await store.cursor("feed:cs")
    assert cursor is not None and cursor.announced_on == DAY and cursor.last_error is None


async def test_full_combined_feed_is_split_until_nothing_is_cut(
    fake_arxiv: FakeArxiv, clock: FakeClock, store: PaperStore
) -> None:
    fake_arxiv.feed_cap = 5
    categories = [
        "cs.AI",
        "cs.LG",
        "cs.CV",
        "math.CO",
        "stat.ML",
        "cs.CL",
        "cs.RO",
        "math.PR",
        "cs.AI",
        "cs.LG",
        "cs.DS",
        "stat.ME",
    ]
    papers = [make_paper(f"2504.{n:05d}", primary_category=c, categories=(c,)) for n, c in enumerate(categories, 1)]
    fake_arxiv.announce([announce(p) for p in papers], day=DAY)
    source = make_source(fake_arxiv, make_transport(clock, interval=0), feed_max_items=5)
    pipeline = make_pipeline(source, store, archives=("cs", "math", "stat"))
    outcome = await pipeline.poll(enrich=False)
    assert outcome.report.count(AnnounceType.NEW) == 12
    assert await store.count() == 12
    feeds = [r.path for r in fake_arxiv.requests if r.path.startswith("/rss/")]
    assert feeds[0] == "/rss/cs+math+stat"
    assert any(path.startswith("/rss/cs.") for path in feeds), "a full single archive splits into its categories"


async def test_missed_days_are_backfilled_from_the_api(
    fake_arxiv: FakeArxiv, clock: FakeClock, store: PaperStore
) -> None:
    await store.record_poll_success("feed:cs", date(2025, 4, 24))
    missed = [
        make_paper(f"2504.1{n:04d}", updated=datetime(2025, 4, 24, 15, tzinfo=UTC), comment="missed") for n in range(3)
    ]
    revised = make_paper("2503.00077", version=2, updated=datetime(2025, 4, 25, 10, tzinfo=UTC))
    too_old = make_paper("2501.00001", updated=datetime(2025, 1, 2, tzinfo=UTC))
    today = [announce(make_paper("2504.20001"), AnnounceType.NEW, DAY)]
    fake_arxiv.announce(today, day=DAY).add_papers([*missed, revised, too_old])

    outcome = await make_pipeline(make_source(fake_arxiv, make_transport(clock, interval=0)), store).poll()

    assert outcome.backfilled_days == [date(2025, 4, 25)]
    assert outcome.report.count(AnnounceType.NEW) == 1 + 3
    assert outcome.report.count(AnnounceType.REPLACE) == 1
    assert await store.get("2501.00001") is None, "outside the window"
    assert await store.announcements_of("2504.10000") == [(1, AnnounceType.NEW, None)]
    cursor = await store.cursor("feed:cs")
    assert cursor is not None and cursor.announced_on == DAY


async def test_empty_feed_is_no_announcement_and_keeps_the_cursor(
    fake_arxiv: FakeArxiv, clock: FakeClock, store: PaperStore
) -> None:
    await store.record_poll_success("feed:test", date(2024, 11, 27))
    fake_arxiv.serve_fixture_feed("test", "rss_empty_test-archive_2024-11-28.rss.xml")
    pipeline = make_pipeline(make_source(fake_arxiv, make_transport(clock, interval=0)), store, archives=("test",))
    outcome = await pipeline.poll()
    assert outcome.no_announcement
    cursor = await store.cursor("feed:test")
    assert cursor is not None and cursor.announced_on == date(2024, 11, 27) and cursor.last_empty_at is not None


async def test_replacement_in_a_later_feed_updates_and_refetches_metadata(
    fake_arxiv: FakeArxiv, clock: FakeClock, store: PaperStore
) -> None:
    v1 = make_paper("2504.00042", comment="12 pages")
    fake_arxiv.announce([announce(v1)], day=DAY)
    pipeline = make_pipeline(make_source(fake_arxiv, make_transport(clock, interval=0)), store)
    await pipeline.poll()
    v2 = replace(v1, version=2, comment="Accepted at NeurIPS 2025")
    fake_arxiv.announce([announce(v2, AnnounceType.REPLACE, date(2025, 4, 29))], day=date(2025, 4, 29))
    outcome = await pipeline.poll()
    assert outcome.report.count(AnnounceType.REPLACE) == 1
    stored = await store.get("2504.00042")
    assert stored is not None and stored.version == 2 and stored.comment == "Accepted at NeurIPS 2025"
    assert stored.first_announced == DAY
    assert await store.count() == 1
