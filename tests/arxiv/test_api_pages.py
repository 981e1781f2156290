"""Parsing of the recorded query API responses."""

from datetime import UTC, datetime

import pytest

from paperbot.arxiv.api import api_announcement, backfill_query, parse_api_page
from paperbot.arxiv.api_xml import api_error_message, check_api_page
from paperbot.domain import AnnounceType
from paperbot.errors import ArxivRequestError, TransientSourceError
from tests.fakes.arxiv_server import FIXTURES
from tests.fakes.papers import make_paper


def test_hundred_entries_with_all_fields() -> None:
    papers = parse_api_page((FIXTURES / "api_query_all-testing_100entries_2026-04-12.atom").read_bytes())
    assert len(papers) == 100
    first = papers[0]
    assert first.arxiv_id == "2202.12139"
    assert first.primary_category == "cs.SE"
    assert first.categories == ("cs.SE", "cs.LG")
    assert first.doi == "10.1109/ICSTW55395.2022.00035"
    assert first.comment is not None and "ICST 2022" in first.comment
    assert first.submitted == datetime(2022, 2, 24, 15, 5, 19, tzinfo=UTC)
    assert "https://github.com/ydecastro/super-resolution-testing" in {link for p in papers for link in p.code_links}


def test_one_found_of_two_with_34_authors() -> None:
    papers = parse_api_page((FIXTURES / "api_id_list_one_found.atom").read_bytes())
    assert len(papers) == 1
    assert len(papers[0].authors) == 34
    assert any(ord(ch) > 127 for name in papers[0].authors for ch in name)


def test_zero_results_is_an_empty_list() -> None:
    assert parse_api_page((FIXTURES / "api_zero_results.atom").read_bytes()) == []


def test_400_error_feed_becomes_a_clear_error() -> None:
    body = (FIXTURES / "api_error_400_bad_id.atom").read_bytes()
    assert api_error_message(body) == "incorrect id format for abc"
    with pytest.raises(ArxivRequestError, match="incorrect id format for abc"):
        parse_api_page(body)


def test_page_checks_catch_cut_off_and_empty_pages() -> None:
    body = (FIXTURES / "api_query_all-testing_100entries_2026-04-12.atom").read_bytes()
    check_api_page(body)
    with pytest.raises(TransientSourceError, match="malformed"):
        check_api_page(body[:5000])
    with pytest.raises(TransientSourceError, match="empty response"):
        check_api_page(b"")
    empty_inside = body.split(b"<entry>")[0] + b"</feed>"
    with pytest.raises(TransientSourceError, match="empty page at 0 of 214881"):
        check_api_page(empty_inside)


def test_api_announcement_types() -> None:
    assert api_announcement(make_paper(version=1)).announce_type is AnnounceType.NEW
    assert api_announcement(make_paper(version=3)).announce_type is AnnounceType.REPLACE
    crossed = make_paper(primary_category="stat.ML", categories=("stat.ML", "cs.LG"))
    assert api_announcement(crossed, ["cs"]).announce_type is AnnounceType.CROSS
    assert api_announcement(crossed, ["stat"]).announce_type is AnnounceType.NEW
    assert (
        api_announcement(make_paper(version=2, primary_category="math.ST"), ["cs"]).announce_type
        is AnnounceType.REPLACE_CROSS
    )


def test_backfill_query_names_categories_and_window() -> None:
    from datetime import date

    query = backfill_query(["cs.AI", "cs.LG"], date(2025, 4, 20), date(2025, 4, 28))
    assert query == "(cat:cs.AI OR cat:cs.LG) AND lastUpdatedDate:[202504200000 TO 202504282359]"
