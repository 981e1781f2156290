"""Parsing of every recorded announcement feed."""

from collections import Counter
from datetime import date

import pytest

from paperbot.arxiv.authors import split_authors
from paperbot.arxiv.feeds import feed_url, parse_feed
from paperbot.domain import AnnounceType
from paperbot.errors import FeedParseError, TransientSourceError
from tests.fakes.arxiv_server import FIXTURES

QUANT_PH = FIXTURES / "rss_quant-ph_2025-04-28_81items.rss.xml"
CS_AI_ATOM = FIXTURES / "rssatom_cs.AI_2025-08-20_7entries.atom.xml"
EMPTY = FIXTURES / "rss_empty_test-archive_2024-11-28.rss.xml"


def test_quant_ph_rss_counts_by_announce_type() -> None:
    page = parse_feed(QUANT_PH.read_bytes(), ["quant-ph"])
    counts = Counter(a.announce_type for a in page.announcements)
    assert counts == {
        AnnounceType.NEW: 40,
        AnnounceType.CROSS: 10,
        AnnounceType.REPLACE: 22,
        AnnounceType.REPLACE_CROSS: 9,
    }
    assert len({a.paper.arxiv_id for a in page.announcements}) == 81
    assert page.announced_on == date(2025, 4, 28)
    assert page.archives == ("quant-ph",)
    assert all(not a.complete for a in page.announcements), "feeds lack comments and DOIs"


def test_rss_item_fields() -> None:
    page = parse_feed(QUANT_PH.read_bytes())
    first = page.announcements[0]
    assert first.paper.arxiv_id == "2504.17830"
    assert first.paper.version == 1
    assert first.paper.title == "Self-Adjoint Time Operator in a Weighted Energy Space"
    assert first.paper.authors == ("Radmir Kokoulin",)
    assert first.paper.abstract.startswith("We introduce a self-adjoint time operator")
    assert "Announce Type" not in first.paper.abstract
    assert first.paper.first_announced == date(2025, 4, 28)
    assert first.paper.license == "http://creativecommons.org/licenses/by/4.0/"
    replaced = next(a for a in page.announcements if a.paper.arxiv_id == "2112.14988")
    assert (replaced.announce_type, replaced.paper.version) == (AnnounceType.REPLACE, 4)
    assert replaced.paper.first_announced is None, "a replacement does not say when v1 was announced"
    crossed = next(a for a in page.announcements if a.paper.arxiv_id == "2504.16299")
    assert crossed.paper.primary_category == "cs.IT", "the primary category is listed first"
    assert crossed.paper.categories == ("cs.IT", "math.IT", "quant-ph")


def test_non_ascii_author_names_come_out_as_unicode() -> None:
    page = parse_feed(QUANT_PH.read_bytes())
    authors = {name for a in page.announcements for name in a.paper.authors}
    assert {
        "Jakob Günther",
        "Michal Hajdušek",
        "Søren Stobbe",
        "Stanisław Świerczewski",
        "Michał Matuszewski",
    } <= authors
    assert not any("\\" in name or "{" in name for name in authors)


def test_affiliations_are_dropped_without_splitting_names() -> None:
    page = parse_feed(QUANT_PH.read_bytes())
    nirmal = next(a.paper for a in page.announcements if "M. R. Nirmal" in a.paper.authors)
    assert nirmal.authors == ("M. R. Nirmal", "Ankit Khandelwal", "Manoj Nambiar", "Sharma S. R. K. C. Yamijala")


def test_atom_flavour() -> None:
    page = parse_feed(CS_AI_ATOM.read_bytes(), ["cs.AI"])
    counts = Counter(a.announce_type for a in page.announcements)
    assert counts == {AnnounceType.CROSS: 5, AnnounceType.NEW: 2}
    assert page.announced_on == date(2025, 8, 20)
    first = page.announcements[0].paper
    assert first.arxiv_id == "2508.13426"
    assert first.categories == ("cs.CL", "cs.AI")
    assert first.authors == ("Chunhua Liu", "Kabir Manandhar Shrestha", "Sukai Huang")


def test_empty_feed_is_no_announcement_not_an_error() -> None:
    page = parse_feed(EMPTY.read_bytes(), ["test"])
    assert page.is_empty
    assert page.announced_on == date(2024, 11, 28)


def test_cut_off_and_empty_bodies_are_transient() -> None:
    body = QUANT_PH.read_bytes()
    with pytest.raises(TransientSourceError, match="malformed XML"):
        parse_feed(body[: len(body) // 2])
    with pytest.raises(TransientSourceError, match="empty response"):
        parse_feed(b"  \n")


def test_a_document_that_is_not_a_feed_is_a_parse_error() -> None:
    with pytest.raises(FeedParseError, match="not an arXiv announcement feed"):
        parse_feed(b"<html><body>maintenance</body></html>")
    api_page = (FIXTURES / "api_zero_results.atom").read_bytes()
    with pytest.raises(FeedParseError):
        parse_feed(api_page)


def test_feed_url_joins_archives() -> None:
    assert feed_url("https://rss.arxiv.org/rss/", ["cs", "math"]) == "https://rss.arxiv.org/rss/cs+math"
    assert feed_url("https://mirror.example/feeds/{archives}.xml", ["cs"]) == "https://mirror.example/feeds/cs.xml"
    assert feed_url("file:///tmp/day.xml", ["cs"]) == "file:///tmp/day.xml"


def test_split_authors_handles_and_and_nesting() -> None:
    assert split_authors("A. One (Univ (Dept), City), B. Two and C. Three") == ("A. One", "B. Two", "C. Three")
    assert split_authors('Erwin Schr\\"odinger, and Paul Dirac') == ("Erwin Schrödinger", "Paul Dirac")
    assert split_authors("") == ()
