"""Storing announcements once, on SQLite and PostgreSQL."""

from dataclasses import replace
from datetime import UTC, date, datetime

from paperbot.arxiv.feeds import parse_feed
from paperbot.domain import AnnounceType
from paperbot.store.papers import PaperStore
from tests.fakes.arxiv_server import FIXTURES
from tests.fakes.papers import announce, make_paper

QUANT_PH = FIXTURES / "rss_quant-ph_2025-04-28_81items.rss.xml"


async def test_quant_ph_feed_stored_once_with_types(store: PaperStore) -> None:
    page = parse_feed(QUANT_PH.read_bytes(), ["quant-ph"])
    report = await store.ingest(page.announcements, source="feed:quant-ph")
    assert report.by_type == {
        AnnounceType.NEW: 40,
        AnnounceType.CROSS: 10,
        AnnounceType.REPLACE: 22,
        AnnounceType.REPLACE_CROSS: 9,
    }
    assert report.already_stored == 0
    assert await store.count() == 81
    assert await store.count_announcements() == report.by_type

    again = await store.ingest(page.announcements, source="feed:quant-ph")
    assert again.stored_count == 0
    assert again.already_stored == 81
    assert await store.count() == 81
    assert sum((await store.count_announcements()).values()) == 81


async def test_stored_paper_round_trips(store: PaperStore) -> None:
    paper = make_paper(
        "2504.12345",
        title="Schrödinger bridges & $S^3$",
        authors=("Jakob Günther", "Y. Hua"),
        comment="Accepted at ICML 2025; code: https://github.com/a/b",
        journal_ref="J. Foo 1 (2025)",
        doi="10.1/abc",
        categories=("cs.LG", "stat.ML"),
        code_links=("https://github.com/a/b",),
        first_announced=date(2025, 4, 28),
    )
    await store.ingest([announce(paper, complete=True)], source="test")
    stored = await store.get("2504.12345")
    assert stored == paper
    assert stored is not None and stored.submitted is not None and stored.submitted.tzinfo is not None


async def test_cross_list_in_two_feeds_is_one_paper_and_one_announcement(store: PaperStore) -> None:
    paper = make_paper("2504.20000", primary_category="cs.LG", categories=("cs.LG", "stat.ML"))
    crossed = announce(replace(paper, categories=("cs.LG", "stat.ML", "math.ST")), AnnounceType.CROSS)
    first = await store.ingest([crossed], source="feed:stat")
    second = await store.ingest([announce(paper, AnnounceType.NEW)], source="feed:cs")
    assert first.count(AnnounceType.CROSS) == 1
    assert second.already_stored == 1
    assert await store.announcements_of("2504.20000") == [(1, AnnounceType.NEW, date(2025, 4, 28))]
    stored = await store.get("2504.20000")
    assert stored is not None
    assert set(stored.categories) == {"cs.LG", "stat.ML", "math.ST"}


async def test_same_batch_duplicates_are_merged(store: PaperStore) -> None:
    paper = make_paper("2504.30000")
    report = await store.ingest(
        [announce(paper, AnnounceType.CROSS), announce(paper, AnnounceType.NEW), announce(paper, AnnounceType.CROSS)],
        source="feeds",
    )
    assert report.by_type[AnnounceType.NEW] == 1
    assert report.stored_count == 1


async def test_replacement_updates_the_paper_and_records_the_version(store: PaperStore) -> None:
    v1 = make_paper("2504.40000", title="Old title", comment="10 pages")
    await store.ingest([announce(v1, complete=True)], source="feed")
    v2 = replace(v1, version=2, title="New title", abstract="Revised abstract.", comment=None)
    report = await store.ingest([announce(v2, AnnounceType.REPLACE, date(2025, 5, 5))], source="feed")
    assert report.count(AnnounceType.REPLACE) == 1
    assert await store.count() == 1
    stored = await store.get("2504.40000")
    assert stored is not None
    assert (stored.version, stored.title, stored.abstract) == (2, "New title", "Revised abstract.")
    assert stored.first_announced == date(2025, 4, 28), "a replacement is not a new paper"
    assert stored.comment == "10 pages", "a feed without comments keeps the known one until the API refreshes it"
    assert await store.incomplete(limit=10, max_attempts=5) == ["2504.40000"], "the new version's comment is fetched"
    assert [v for v, _, _ in await store.announcements_of("2504.40000")] == [1, 2]


async def test_an_older_version_arriving_late_does_not_downgrade(store: PaperStore) -> None:
    v3 = make_paper("2504.50000", version=3, title="v3 title")
    await store.ingest([announce(v3, AnnounceType.REPLACE)], source="feed")
    v1 = replace(v3, version=1, title="v1 title")
    await store.ingest([announce(v1, AnnounceType.NEW, date(2025, 4, 1))], source="backfill")
    stored = await store.get("2504.50000")
    assert stored is not None
    assert (stored.version, stored.title) == (3, "v3 title")
    assert stored.first_announced == date(2025, 4, 1)


async def test_enrichment_fills_api_fields_and_counts_misses(store: PaperStore) -> None:
    a = make_paper("2504.60001")
    b = make_paper("2504.60002")
    await store.ingest([announce(a), announce(b)], source="feed")
    assert sorted(await store.incomplete(limit=10, max_attempts=5)) == ["2504.60001", "2504.60002"]
    from_api = replace(
        a,
        comment="Accepted at NeurIPS 2025. Code: https://github.com/x/y",
        doi="10.5/z",
        submitted=datetime(2025, 4, 20, tzinfo=UTC),
    )
    filled = await store.apply_metadata(["2504.60001", "2504.60002"], [from_api])
    assert filled == 1
    stored = await store.get("2504.60001")
    assert stored is not None
    assert stored.comment is not None and stored.comment.startswith("Accepted at NeurIPS")
    assert stored.code_links == ("https://github.com/x/y",)
    assert await store.incomplete(limit=10, max_attempts=5) == ["2504.60002"]
    for _ in range(4):
        await store.apply_metadata(["2504.60002"], [])
    assert await store.incomplete(limit=10, max_attempts=5) == [], "a paper the API never returns stops being asked for"


async def test_cursor_moves_only_on_success(store: PaperStore) -> None:
    await store.record_poll_success("feed:cs", date(2025, 4, 28))
    await store.record_poll_failure("feed:cs", "arXiv answered HTTP 503")
    cursor = await store.cursor("feed:cs")
    assert cursor is not None
    assert cursor.announced_on == date(2025, 4, 28)
    assert cursor.last_error == "arXiv answered HTTP 503"
    assert cursor.consecutive_failures == 1
    await store.record_poll_success("feed:cs", None)
    cursor = await store.cursor("feed:cs")
    assert cursor is not None
    assert cursor.announced_on == date(2025, 4, 28), "an empty day does not move the cursor"
    assert cursor.last_error is None and cursor.last_empty_at is not None
    await store.record_poll_success("feed:cs", date(2025, 4, 29))
    assert (await store.cursor("feed:cs")).announced_on == date(2025, 4, 29)  # type: ignore[union-attr]


async def test_large_batch_crosses_the_chunk_size(store: PaperStore) -> None:
    from tests.fakes.papers import many_papers

    papers = many_papers(1200)
    report = await store.ingest([announce(p) for p in papers], source="bulk")
    assert report.count(AnnounceType.NEW) == 1200
    again = await store.ingest([announce(p) for p in papers], source="bulk")
    assert again.already_stored == 1200
    assert len(await store.get_many([p.arxiv_id for p in papers[::100]])) == 12
