"""The summarizer: model summaries cached once, budgeted, limited, and the offline one on any failure."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr

from paperbot.domain import Paper
from paperbot.store.db import create_engine, session_factory
from paperbot.store.papers import PaperStore
from paperbot.store.summaries import DailyUsage, SummaryStore
from paperbot.summary import Summarizer, Summary, tldr
from paperbot.summary.llm import ChatCompletionsClient, LlmConfig
from tests.fakes.clock import FakeClock
from tests.fakes.llm_server import FakeChatCompletions, LlmFault, SeenRequest
from tests.fakes.papers import make_paper
from tests.summary.conftest import stored

KEY = "sk-never-log-me-31337"
TODAY = date(2025, 4, 28)  # FakeClock's day
PAPER = make_paper(
    "2504.17886",
    title="TrapSIMD: SIMD-Aware Compiler Optimization for 2D Trapped-Ion Quantum Machines",
    abstract=(
        "Modular trapped-ion architectures offer a scalable platform. We present FluxTrap, a SIMD-aware compiler "
        "framework for trapped-ion systems. On NISQ benchmarks, FluxTrap reduces execution time by up to 3.82x."
    ),
)


def _language_of(request: SeenRequest) -> str:
    found = re.search(r"characters, in (\w+)\.", request.system)
    return found.group(1) if found else "?"


def summarizer(
    summary_store: SummaryStore,
    clock: FakeClock,
    server: FakeChatCompletions,
    *,
    timeout: float = 5.0,
    concurrency: int = 4,
    daily_budget: int = 500,
    language: str = "en",
) -> Summarizer:
    config = LlmConfig(base_url=server.base_url, model="fake-model", api_key=SecretStr(KEY), timeout=timeout)
    return Summarizer(
        summary_store,
        clock,
        model=ChatCompletionsClient(config),
        language=language,
        concurrency=concurrency,
        daily_budget=daily_budget,
    )


def offline(paper: Paper) -> Summary:
    return Summary(tldr(paper.abstract, title=paper.title), "extractive", "en")


async def test_without_a_model_every_summary_is_offline(summary_store: SummaryStore, clock: FakeClock) -> None:
    service = Summarizer(summary_store, clock)
    assert not service.uses_model
    summary = await service.summary_for(PAPER, "de")
    assert summary == Summary(
        "We present FluxTrap, a SIMD-aware compiler framework for trapped-ion systems. On NISQ benchmarks, "
        "FluxTrap reduces execution time by up to 3.82x.",
        "extractive",
        "en",
    )
    assert await service.summaries_for([PAPER, PAPER]) == [summary, summary]


async def test_one_request_per_paper_and_language_however_many_chats(
    store: PaperStore, summary_store: SummaryStore, clock: FakeClock, fake_llm: FakeChatCompletions
) -> None:
    await stored(store, PAPER)
    fake_llm.answer_with(lambda request: f"FluxTrap speeds up trapped-ion programs ({_language_of(request)}).")
    fake_llm.always(LlmFault.slow(0.1))  # long enough for all eight chats to ask while the first is waiting
    service = summarizer(summary_store, clock, fake_llm)
    answers = await asyncio.gather(*(service.summary_for(PAPER, "de") for _ in range(8)))
    expected = Summary("FluxTrap speeds up trapped-ion programs (German).", "llm", "de", "fake-model")
    assert answers == [expected] * 8
    assert len(fake_llm.requests) == 1

    # Another process, or the bot after a restart: the database answers, not the model.
    restarted = summarizer(summary_store, clock, fake_llm)
    assert await restarted.summary_for(PAPER, "de") == expected
    assert restarted.counters["cache_hits"] == 1
    assert len(fake_llm.requests) == 1

    # A second language is a second summary.
    french = await restarted.summary_for(PAPER, "FR")
    assert french == Summary("FluxTrap speeds up trapped-ion programs (French).", "llm", "fr", "fake-model")
    assert [_language_of(r) for r in fake_llm.requests] == ["German", "French"]
    assert await summary_store.usage(TODAY) == DailyUsage(TODAY, requests=2, failures=0)
    await service.aclose()
    await restarted.aclose()


async def test_the_daily_budget_holds_across_restarts_and_resets_the_next_utc_day(
    store: PaperStore, summary_store: SummaryStore, clock: FakeClock, fake_llm: FakeChatCompletions
) -> None:
    papers = [make_paper(f"2504.0000{n}") for n in range(1, 5)]
    await stored(store, *papers)
    service = summarizer(summary_store, clock, fake_llm, daily_budget=2)
    kinds = [(await service.summary_for(p)).kind for p in papers[:3]]
    assert kinds == ["llm", "llm", "extractive"]
    assert service.counters["budget_exhausted"] == 1
    assert len(fake_llm.requests) == 2

    restarted = summarizer(summary_store, clock, fake_llm, daily_budget=2)
    assert await restarted.summary_for(papers[3]) == offline(papers[3])
    assert len(fake_llm.requests) == 2

    clock.advance(24 * 3600)
    assert (await restarted.summary_for(papers[3])).kind == "llm"
    assert len(fake_llm.requests) == 3
    await service.aclose()
    await restarted.aclose()


async def test_a_zero_budget_turns_the_model_off(
    summary_store: SummaryStore, clock: FakeClock, fake_llm: FakeChatCompletions
) -> None:
    service = summarizer(summary_store, clock, fake_llm, daily_budget=0)
    assert not service.uses_model
    assert await service.summary_for(PAPER) == offline(PAPER)
    assert fake_llm.requests == []
    await service.aclose()


async def test_a_slow_model_times_out_to_the_offline_summary_and_is_counted(
    store: PaperStore, summary_store: SummaryStore, clock: FakeClock, fake_llm: FakeChatCompletions
) -> None:
    await stored(store, PAPER)
    fake_llm.fail_next(LlmFault.slow(3.0))
    service = summarizer(summary_store, clock, fake_llm, timeout=0.2)
    started = time.monotonic()
    assert await service.summary_for(PAPER) == offline(PAPER)
    assert time.monotonic() - started < 2.0
    assert (service.counters["llm_failures"], service.counters["llm_failure_timeout"]) == (1, 1)
    assert await summary_store.usage(TODAY) == DailyUsage(TODAY, requests=1, failures=1)
    # Nothing was cached: the next card asks again, and gets the model's summary.
    assert (await service.summary_for(PAPER)).kind == "llm"
    await service.aclose()


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (LlmFault.status_code(500), "http"),
        (LlmFault.status_code(429, retry_after="60"), "http"),
        (LlmFault.malformed_json(), "malformed"),
        (LlmFault.empty_choices(), "empty"),
        (LlmFault.too_long(), "too_long"),
    ],
    ids=["500", "429", "malformed", "empty", "too-long"],
)
async def test_every_failure_gives_the_offline_summary(
    store: PaperStore,
    summary_store: SummaryStore,
    clock: FakeClock,
    fake_llm: FakeChatCompletions,
    fault: LlmFault,
    reason: str,
) -> None:
    await stored(store, PAPER)
    fake_llm.fail_next(fault)
    service = summarizer(summary_store, clock, fake_llm)
    assert await service.summary_for(PAPER, "de") == offline(PAPER)
    assert service.counters[f"llm_failure_{reason}"] == 1
    assert (await summary_store.usage(TODAY)).failures == 1
    assert await summary_store.get(PAPER.arxiv_id, PAPER.version, "de") is None
    await service.aclose()


async def test_the_concurrency_limit_is_never_exceeded(
    store: PaperStore, summary_store: SummaryStore, clock: FakeClock, fake_llm: FakeChatCompletions
) -> None:
    papers = [make_paper(f"2504.{n:05d}") for n in range(1, 10)]
    await stored(store, *papers)
    fake_llm.always(LlmFault.slow(0.15))
    service = summarizer(summary_store, clock, fake_llm, concurrency=3)
    summaries = await service.summaries_for(papers, "de")
    assert [s.kind for s in summaries] == ["llm"] * 9, dict(service.counters)
    assert len(fake_llm.requests) == 9
    assert fake_llm.max_in_flight == 3
    await service.aclose()


async def test_a_digest_asks_once_per_distinct_paper_and_keeps_its_order(
    store: PaperStore, summary_store: SummaryStore, clock: FakeClock, fake_llm: FakeChatCompletions
) -> None:
    first, second = make_paper("2504.00001"), make_paper("2504.00002")
    await stored(store, first, second)
    await summary_store.save(second.arxiv_id, 1, "en", kind="llm", model="older-model", text="Cached.")
    fake_llm.answer_with(lambda request: "About 2504.00001." if "2504.00001" in request.prompt else "Other.")
    service = summarizer(summary_store, clock, fake_llm)
    summaries = await service.summaries_for([first, second, first])
    assert summaries == [
        Summary("About 2504.00001.", "llm", "en", "fake-model"),
        Summary("Cached.", "llm", "en", "older-model"),
        Summary("About 2504.00001.", "llm", "en", "fake-model"),
    ]
    assert len(fake_llm.requests) == 1
    await service.aclose()


async def test_a_digest_never_waits_for_a_slow_model(
    store: PaperStore, summary_store: SummaryStore, clock: FakeClock, fake_llm: FakeChatCompletions
) -> None:
    papers = [make_paper("2504.00001"), make_paper("2504.00002")]
    await stored(store, *papers)
    fake_llm.always(LlmFault.slow(0.6))
    service = summarizer(summary_store, clock, fake_llm)
    started = time.monotonic()
    assert await service.summaries_for(papers, wait=0.05) == [offline(p) for p in papers]
    assert time.monotonic() - started < 0.5
    # The requests went on; their answers are cached for the next digest.
    await service.aclose()
    later = summarizer(summary_store, clock, fake_llm)
    assert [s.kind for s in await later.summaries_for(papers)] == ["llm", "llm"]
    assert len(fake_llm.requests) == 2
    await later.aclose()


async def test_the_key_goes_in_the_header_and_nowhere_else(
    store: PaperStore,
    summary_store: SummaryStore,
    clock: FakeClock,
    fake_llm: FakeChatCompletions,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await stored(store, PAPER)
    fake_llm.fail_next(LlmFault.status_code(500), LlmFault.malformed_json(), LlmFault.slow(2.0))
    service = summarizer(summary_store, clock, fake_llm, timeout=0.3)
    for _ in range(4):  # three failures, then a summary
        await service.summary_for(PAPER, "de")
    assert service.counters["llm"] == 1 and service.counters["llm_failures"] == 3
    assert all(r.header("Authorization") == f"Bearer {KEY}" for r in fake_llm.requests)
    assert "answered HTTP 500" in caplog.text  # failures are logged ...
    assert KEY not in caplog.text  # ... without the key
    assert all(KEY not in str(r.body) for r in fake_llm.requests)
    await service.aclose()


async def test_a_broken_model_client_still_gives_a_summary(summary_store: SummaryStore, clock: FakeClock) -> None:
    class ExplodingModel:
        name = "exploding"

        async def summarize(self, paper: Paper, language: str, *, limit: int = 280) -> str:
            raise RuntimeError("segfault in the tokenizer")

        async def aclose(self) -> None:
            pass

    service = Summarizer(summary_store, clock, model=ExplodingModel())
    assert await service.summary_for(PAPER) == offline(PAPER)
    assert service.counters["llm_failure_error"] == 1


async def test_an_unreachable_database_gives_offline_summaries(
    tmp_path: Path, clock: FakeClock, fake_llm: FakeChatCompletions
) -> None:
    # A database without the tables: every cache and budget query fails.
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        service = summarizer(SummaryStore(session_factory(engine), clock), clock, fake_llm)
        assert await service.summary_for(PAPER, "de") == offline(PAPER)
        assert await service.summaries_for([PAPER], "de") == [offline(PAPER)]
        assert service.counters["storage_errors"] >= 2
        assert fake_llm.requests == []  # without a budget record, no request
        await service.aclose()
    finally:
        await engine.dispose()


async def test_a_language_that_is_not_a_code_falls_back_to_the_default(
    store: PaperStore, summary_store: SummaryStore, clock: FakeClock, fake_llm: FakeChatCompletions
) -> None:
    await stored(store, PAPER)
    service = summarizer(summary_store, clock, fake_llm, language="es")
    summary = await service.summary_for(PAPER, "Deutsch bitte!")
    assert summary.language == "es"
    assert _language_of(fake_llm.requests[0]) == "Spanish"
    await service.aclose()
