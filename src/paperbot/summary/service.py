"""The summary a card or digest shows: a model's when one is configured and works, else offline.

``Summarizer.summary_for(paper, language)`` never fails and never returns nothing for a
paper with an abstract: every problem with the model (not configured, budget spent,
timeout, HTTP error, an answer that is malformed, empty or too long, the database
being unreachable) ends in the extractive TL;DR and a counted failure.

Model summaries are cached in the database per (paper, version, language), so one
paper delivered to a hundred German-speaking chats costs one request; concurrent
requests for the same key share one call. Extractive summaries are not stored: they
take well under a millisecond to compute, less than a database round trip. They are kept
in memory for the papers seen lately, though: a digest run asks for the same few hundred
papers' summaries for thousands of chats, and there a dictionary look-up beats even that.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from sqlalchemy.exc import SQLAlchemyError

from paperbot.clock import Clock
from paperbot.config import Settings
from paperbot.domain import Paper
from paperbot.errors import StorageError
from paperbot.store.summaries import SummaryKey, SummaryStore
from paperbot.summary.extractive import tldr
from paperbot.summary.llm import ChatCompletionsClient, LlmConfig, SummaryModelError

log = logging.getLogger(__name__)

SummaryKind = Literal["extractive", "llm"]
LIMIT = 280
# arXiv abstracts are written in English; an extractive summary is in the abstract's language.
ABSTRACT_LANGUAGE = "en"
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")
OFFLINE_KEPT = 4096  # extractive summaries kept in memory (a day's announcement is 1,000-3,000 papers)


@dataclass(frozen=True, slots=True)
class Summary:
    """What a card shows under the title.

    ``language`` is the language ``text`` is in: the one asked for when a model wrote
    it, the abstract's (``"en"``) for an extractive summary. ``model`` names the model
    that wrote it, None for extractive ones.
    """

    text: str
    kind: SummaryKind
    language: str
    model: str | None = None


class SummaryModel(Protocol):
    """What the service needs from a model client (``ChatCompletionsClient`` is one)."""

    @property
    def name(self) -> str: ...

    async def summarize(self, paper: Paper, language: str, *, limit: int = LIMIT) -> str: ...

    async def aclose(self) -> None: ...


def normalise_language(code: str | None, default: str) -> str:
    """ "DE" -> "de", "pt_BR" -> "pt-br"; anything that is not a language code -> ``default``."""
    if not code:
        return default
    cleaned = code.strip().lower().replace("_", "-")
    return cleaned if _LANGUAGE_CODE.match(cleaned) else default


class Summarizer:
    """Summaries for cards and digests; one per process, shared by every chat platform.

    ``counters`` (in memory, since start) has ``extractive``, ``llm``, ``cache_hits``,
    ``llm_requests``, ``llm_failures``, ``llm_failure_<reason>``, ``budget_exhausted``
    and ``storage_errors``; failures per UTC day are also persisted with the budget.
    """

    def __init__(
        self,
        store: SummaryStore,
        clock: Clock,
        *,
        model: SummaryModel | None = None,
        language: str = ABSTRACT_LANGUAGE,
        concurrency: int = 4,
        daily_budget: int = 500,
        limit: int = LIMIT,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._store = store
        self._clock = clock
        self._model = model
        self._default_language = normalise_language(language, ABSTRACT_LANGUAGE)
        self._limit = limit
        # (title, abstract) -> extractive summary: all the summary depends on, so a revision
        # with a new abstract gets its own, and no stale one can be served.
        self._offline: dict[tuple[str, str], Summary] = {}
        self._daily_budget = daily_budget
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: dict[SummaryKey, asyncio.Future[Summary]] = {}
        # Producers run as tasks of their own: a caller that gives up (a digest past its
        # deadline) does not cancel a request other callers wait on, and the answer is
        # still cached for next time. The set keeps them referenced until they finish.
        self._tasks: set[asyncio.Task[Summary]] = set()
        self.counters: Counter[str] = Counter()

    @classmethod
    def from_settings(
        cls, settings: Settings, store: SummaryStore, clock: Clock, *, model: SummaryModel | None = None
    ) -> Summarizer:
        """The summarizer the settings describe; the model client is built when configured."""
        if model is None:
            config = LlmConfig.from_settings(settings)
            model = ChatCompletionsClient(config) if config is not None else None
        return cls(
            store,
            clock,
            model=model,
            language=settings.llm_language,
            concurrency=settings.llm_concurrency,
            daily_budget=settings.llm_daily_budget,
        )

    @property
    def uses_model(self) -> bool:
        """True when summaries may come from a model (configured, with a budget above zero)."""
        return self._model is not None and self._daily_budget > 0

    @property
    def default_language(self) -> str:
        return self._default_language

    def offline(self, paper: Paper) -> Summary:
        """The extractive summary: synchronous, no I/O, what every failure falls back to."""
        self.counters["extractive"] += 1
        key = (paper.title, paper.abstract)
        summary = self._offline.get(key)
        if summary is None:
            if len(self._offline) >= OFFLINE_KEPT:
                self._offline.clear()  # simpler than LRU order, and a day's papers fit anyway
            summary = self._offline[key] = offline_summary(paper, limit=self._limit)
        return summary

    async def summary_for(self, paper: Paper, language: str | None = None) -> Summary:
        """The best summary of ``paper`` for a chat reading ``language`` (default: the setting)."""
        lang = normalise_language(language, self._default_language)
        if not self.uses_model:
            return self.offline(paper)
        return await asyncio.shield(self._shared(paper, lang))

    async def summaries_for(
        self, papers: Iterable[Paper], language: str | None = None, *, wait: float | None = None
    ) -> list[Summary]:
        """Summaries of ``papers`` in their order, each distinct paper asked for once.

        Cached ones come from one database query; the rest run concurrently within the
        concurrency limit. With ``wait``, papers whose summary is not ready after that
        many seconds get the offline one, so a digest is never held up by a slow model
        (the model's answers still arrive and are cached for the next time).
        """
        papers = list(papers)
        lang = normalise_language(language, self._default_language)
        if not self.uses_model:
            return [self.offline(p) for p in papers]
        distinct = {(p.arxiv_id, p.version): p for p in papers}
        cached = await self._cached_many([(a, v, lang) for a, v in distinct])
        work = {key: self._shared(paper, lang) for key, paper in distinct.items() if (*key, lang) not in cached}
        done: dict[tuple[str, int], Summary] = {(a, v): s for (a, v, _), s in cached.items()}
        if work:
            futures = {key: asyncio.ensure_future(asyncio.shield(aw)) for key, aw in work.items()}
            finished, _pending = await asyncio.wait(futures.values(), timeout=wait)
            for key, future in futures.items():
                if future in finished:
                    done[key] = future.result()
                else:
                    future.cancel()  # only our shield: the request itself goes on
        return [done.get((p.arxiv_id, p.version)) or self.offline(p) for p in papers]

    async def aclose(self) -> None:
        """Wait for requests still running (their answers are cached), then close the client."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._model is not None:
            await self._model.aclose()

    # -- one key ---------------------------------------------------------------------

    def _shared(self, paper: Paper, language: str) -> Awaitable[Summary]:
        """The one producer for (paper, version, language), started now or already running."""
        key: SummaryKey = (paper.arxiv_id, paper.version, language)
        running = self._in_flight.get(key)
        if running is not None:
            return running
        task = asyncio.ensure_future(self._produce(paper, language))
        self._in_flight[key] = task
        self._tasks.add(task)

        def forget(finished: asyncio.Future[Summary]) -> None:
            self._tasks.discard(task)
            if self._in_flight.get(key) is finished:
                del self._in_flight[key]

        task.add_done_callback(forget)
        return task

    async def _produce(self, paper: Paper, language: str) -> Summary:
        try:
            cached = await self._cached_many([(paper.arxiv_id, paper.version, language)])
            if cached:
                return next(iter(cached.values()))
            if not await self._reserve():
                self.counters["budget_exhausted"] += 1
                return self.offline(paper)
            return await self._ask(paper, language)
        except (SQLAlchemyError, StorageError, OSError) as err:
            self.counters["storage_errors"] += 1
            log.warning("summary storage unavailable for %s (%s); using the offline summary", paper.arxiv_id, err)
            return self.offline(paper)

    async def _ask(self, paper: Paper, language: str) -> Summary:
        assert self._model is not None
        async with self._slots:
            self.counters["llm_requests"] += 1
            try:
                text = await self._model.summarize(paper, language, limit=self._limit)
            except SummaryModelError as err:
                return await self._failed(paper, language, err.reason, str(err))
            except Exception as err:  # a model client is third-party code: nothing may reach the card
                return await self._failed(paper, language, "error", err.__class__.__name__)
        self.counters["llm"] += 1
        try:
            await self._store.save(
                paper.arxiv_id, paper.version, language, kind="llm", model=self._model.name, text=text
            )
        except (SQLAlchemyError, StorageError, OSError) as err:
            # The summary is good; only the next chat will have to ask again.
            self.counters["storage_errors"] += 1
            log.warning("could not cache the summary of %s (%s)", paper.versioned_id, err)
        return Summary(text, "llm", language, self._model.name)

    async def _failed(self, paper: Paper, language: str, reason: str, message: str) -> Summary:
        self.counters["llm_failures"] += 1
        self.counters[f"llm_failure_{reason}"] += 1
        log.warning(
            "model summary of %s (%s) failed: %s; using the offline summary", paper.versioned_id, language, message
        )
        await self._store.record_failure(self._today())
        return self.offline(paper)

    # -- storage -------------------------------------------------------------------------

    async def _cached_many(self, keys: list[SummaryKey]) -> dict[SummaryKey, Summary]:
        try:
            rows = await self._store.get_many(keys)
        except (SQLAlchemyError, StorageError, OSError) as err:
            self.counters["storage_errors"] += 1
            log.warning("summary cache unavailable (%s); asking again", err)
            return {}
        self.counters["cache_hits"] += len(rows)
        return {
            key: Summary(row.text, "llm" if row.kind == "llm" else "extractive", row.language, row.model)
            for key, row in rows.items()
        }

    async def _reserve(self) -> bool:
        return await self._store.try_reserve(self._today(), self._daily_budget)

    def _today(self) -> date:
        return self._clock.now().date()


def offline_summary(paper: Paper, *, limit: int = LIMIT) -> Summary:
    """The extractive summary without a ``Summarizer`` (tools, the console); empty only without an abstract."""
    return Summary(tldr(paper.abstract, limit=limit, title=paper.title), "extractive", ABSTRACT_LANGUAGE)
