"""One poll: fetch the feeds → store what is new → backfill gaps → fill in metadata.

Each stage is a separate object (source, store); this module only orders them and
decides when a cursor may move.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from paperbot import taxonomy
from paperbot.arxiv.api import backfill_window
from paperbot.arxiv.calendar import missed_feed_days
from paperbot.arxiv.source import ArxivSource
from paperbot.domain import IngestReport
from paperbot.errors import SourceError
from paperbot.metrics import Metrics
from paperbot.store.papers import PaperStore

log = logging.getLogger(__name__)

ENRICH_MAX_ATTEMPTS = 5


def all_archives() -> tuple[str, ...]:
    return tuple(sorted(taxonomy.ARCHIVES))


def cursor_name(group: Sequence[str], url: str | None = None) -> str:
    return f"feed:{url}" if url else "feed:" + "+".join(group)


@dataclass(slots=True)
class PollOutcome:
    """What one poll of one group did; ``error`` set means nothing moved for it."""

    group: tuple[str, ...]
    announced_on: date | None = None
    report: IngestReport = field(default_factory=IngestReport)
    backfilled_days: list[date] = field(default_factory=list)
    error: str | None = None

    @property
    def no_announcement(self) -> bool:
        return self.error is None and self.announced_on is None


class Pipeline:
    """Polls arXiv into the store; safe to run again at any time (it only adds what is new)."""

    def __init__(
        self,
        source: ArxivSource,
        store: PaperStore,
        *,
        archives: Sequence[str] = (),
        backfill_days: int = 4,
        enrich_batch: int = 100,
        metrics: Metrics | None = None,
        after_store: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.source = source
        self.store = store
        self.archives = tuple(archives) or all_archives()
        self.backfill_days = backfill_days
        self.enrich_batch = enrich_batch
        self.metrics = metrics
        # Runs once a poll's papers are committed, before matching sees them (the embeddings'
        # backfill); it must not raise, so a failure there never fails the poll.
        self.after_store = after_store

    async def poll(
        self,
        archives: Sequence[str] = (),
        *,
        url: str | None = None,
        enrich: bool = True,
    ) -> PollOutcome:
        """Fetch one announcement for a group of archives and store it, once."""
        group = tuple(archives) or self.archives
        name = cursor_name(group, url)
        outcome = PollOutcome(group)
        try:
            pages = await self.source.fetch_feeds(group, url=url)
            cursor = await self.store.cursor(name)
            for page in pages:
                outcome.report.add(
                    await self.store.ingest(page.announcements, source=f"feed:{'+'.join(page.archives)}")
                )
            days = [p.announced_on for p in pages if p.announcements and p.announced_on]
            outcome.announced_on = max(days) if days else None
            last = cursor.announced_on if cursor else None
            if last is not None and outcome.announced_on is not None and url is None:
                outcome.backfilled_days = missed_feed_days(last, outcome.announced_on)
                if outcome.backfilled_days:
                    outcome.report.add(await self._backfill(group, last, outcome.announced_on))
        except SourceError as err:
            outcome.error = str(err)
            log.error("poll of %s failed, will retry: %s", name, err, extra={"source": name})
            await self.store.record_poll_failure(name, str(err))
            if self.metrics is not None:
                self.metrics.poll("failed")
                self.metrics.fetch_error(type(err.__cause__ or err).__name__)
            return outcome
        # Only now, with the day's papers (and any gap) committed, may the cursor move.
        await self.store.record_poll_success(name, outcome.announced_on)
        if self.metrics is not None:
            self.metrics.poll("empty" if outcome.no_announcement else "ok")
            for kind, count in outcome.report.by_type.items():
                self.metrics.stored(kind.value, count)
        if outcome.no_announcement:
            log.info("%s: no announcement in the feed (weekend or holiday)", name)
        else:
            log.info("%s: announcement of %s stored: %s", name, outcome.announced_on, outcome.report.summary())
        if self.after_store is not None:
            await self.after_store()
        if enrich:
            await self.enrich()
        return outcome

    async def _backfill(self, group: tuple[str, ...], last: date, current: date) -> IngestReport:
        first, end = backfill_window(last, current, self.backfill_days)
        log.warning(
            "missed announcements between %s and %s; backfilling %s..%s from the API", last, current, first, end
        )
        announcements = await self.source.backfill(group, first, end)
        return await self.store.ingest(announcements, source="api:backfill")

    async def enrich(self) -> int:
        """Fill comment, journal ref, DOI and times from the API; failures wait for the next poll."""
        filled = 0
        while True:
            ids = await self.store.incomplete(limit=self.enrich_batch, max_attempts=ENRICH_MAX_ATTEMPTS)
            if not ids:
                return filled
            try:
                papers = await self.source.lookup(ids)
            except SourceError as err:
                log.warning("could not fetch metadata for %d papers yet: %s", len(ids), err)
                return filled
            filled += await self.store.apply_metadata(ids, papers)
