"""Pacing, one connection at a time, timeouts and retries, against the fake arXiv."""

import asyncio
import itertools
import time

import pytest

from paperbot.errors import ArxivRequestError, SourceUnavailableError
from tests.fakes.arxiv_server import FakeArxiv, Fault
from tests.fakes.clock import FakeClock
from tests.fakes.papers import make_paper
from tests.fakes.wiring import make_source, make_transport

FEED = "rss_quant-ph_2025-04-28_81items.rss.xml"


async def test_requests_are_spaced_by_the_interval_on_our_clock(fake_arxiv: FakeArxiv, clock: FakeClock) -> None:
    fake_arxiv.serve_fixture_feed("quant-ph", FEED)
    source = make_source(fake_arxiv, make_transport(clock, interval=3.0))
    for _ in range(4):
        await source.fetch_feeds(["quant-ph"])
    assert len(fake_arxiv.requests) == 4
    assert clock.sleeps == [pytest.approx(3.0)] * 3, "each request after the first waits the full interval"


async def test_real_spacing_and_one_connection_at_a_time(fake_arxiv: FakeArxiv) -> None:
    from paperbot.clock import SystemClock

    fake_arxiv.serve_fixture_feed("quant-ph", FEED).fail_next(Fault.slow(0.2))
    source = make_source(fake_arxiv, make_transport(SystemClock(), interval=0.15))
    await asyncio.gather(*(source.fetch_feeds(["quant-ph"]) for _ in range(4)))
    arrivals = sorted(r.arrived for r in fake_arxiv.requests)
    assert len(arrivals) == 4
    assert fake_arxiv.max_in_flight == 1
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) >= 0.15


async def test_503_then_success_is_retried_with_backoff(fake_arxiv: FakeArxiv, clock: FakeClock) -> None:
    fake_arxiv.serve_fixture_feed("quant-ph", FEED).fail_next(Fault.status_code(503), Fault.status_code(502))
    pages = await make_source(fake_arxiv, make_transport(clock, interval=0)).fetch_feeds(["quant-ph"])
    assert len(pages[0].announcements) == 81
    assert [r.status for r in fake_arxiv.requests] == [503, 502, 200]
    first, second = clock.sleeps
    assert 2.5 <= first <= 5.0 and 5.0 <= second <= 10.0, "exponential backoff with jitter"


async def test_429_honours_retry_after(fake_arxiv: FakeArxiv, clock: FakeClock) -> None:
    fake_arxiv.serve_fixture_feed("quant-ph", FEED).fail_next(Fault.status_code(429, retry_after="42"))
    await make_source(fake_arxiv, make_transport(clock, interval=0)).fetch_feeds(["quant-ph"])
    assert clock.sleeps == [42.0]


@pytest.mark.parametrize("fault", [Fault.empty_body(), Fault.cut_off()], ids=["empty", "cut-off"])
async def test_empty_and_cut_off_bodies_are_fetched_again(
    fake_arxiv: FakeArxiv, clock: FakeClock, fault: Fault
) -> None:
    fake_arxiv.serve_fixture_feed("quant-ph", FEED).fail_next(fault)
    pages = await make_source(fake_arxiv, make_transport(clock, interval=0)).fetch_feeds(["quant-ph"])
    assert len(pages[0].announcements) == 81
    assert len(fake_arxiv.requests) == 2


async def test_slow_answer_times_out_and_is_retried(fake_arxiv: FakeArxiv, clock: FakeClock) -> None:
    fake_arxiv.serve_fixture_feed("quant-ph", FEED).fail_next(Fault.slow(1.5))
    started = time.monotonic()
    pages = await make_source(fake_arxiv, make_transport(clock, interval=0, timeout=0.3)).fetch_feeds(["quant-ph"])
    assert len(pages[0].announcements) == 81
    assert time.monotonic() - started < 1.4, "we did not wait for the slow answer"
    assert len(clock.sleeps) == 1


async def test_outage_past_the_budget_is_an_error_not_an_empty_day(fake_arxiv: FakeArxiv, clock: FakeClock) -> None:
    fake_arxiv.serve_fixture_feed("quant-ph", FEED).fail_next(*[Fault.status_code(503)] * 3)
    source = make_source(fake_arxiv, make_transport(clock, interval=0, attempts=3))
    with pytest.raises(
        SourceUnavailableError, match=r"gave up after 3 attempts; last error: 127\.0\.0\.1:\d+ answered HTTP 503"
    ):
        await source.fetch_feeds(["quant-ph"])


async def test_api_400_is_not_retried(fake_arxiv: FakeArxiv, clock: FakeClock) -> None:
    source = make_source(fake_arxiv, make_transport(clock, interval=0))
    with pytest.raises(ArxivRequestError, match="incorrect id format for abc"):
        await source.lookup(["abc"])
    assert len(fake_arxiv.requests) == 1


async def test_api_lookup_retries_empty_page_and_resumes(fake_arxiv: FakeArxiv, clock: FakeClock) -> None:
    papers = [make_paper(f"2504.{n:05d}", comment=f"comment {n}") for n in range(1, 251)]
    fake_arxiv.add_papers(papers).fail_next(Fault.empty_page(), Fault.status_code(503, path="/api"))
    source = make_source(fake_arxiv, make_transport(clock, interval=0))
    found = await source.lookup([p.arxiv_id for p in papers])
    assert [p.arxiv_id for p in found] == [p.arxiv_id for p in papers]
    assert found[0].comment == "comment 1"
    api_calls = [r for r in fake_arxiv.requests if r.path == "/api/query"]
    assert len(api_calls) == 3 + 2, "three chunks of at most 100 ids, plus two failed tries"


async def test_unknown_id_is_simply_absent(fake_arxiv: FakeArxiv, clock: FakeClock) -> None:
    fake_arxiv.add_papers([make_paper("2504.00001")])
    found = await make_source(fake_arxiv, make_transport(clock, interval=0)).lookup(["2504.00001", "2504.99999"])
    assert [p.arxiv_id for p in found] == ["2504.00001"]
