"""Cached model summaries, and the language model's daily budget.

A summary is written once per (paper, version, language) however many chats receive
it. The budget lives here rather than in memory so that restarting the bot (or running
two processes on one database) does not hand out the day's requests again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from paperbot.clock import Clock
from paperbot.store.models import LlmUsageRow, SummaryRow

# (arxiv_id, version, language)
SummaryKey = tuple[str, int, str]

# Keeps OR lists short enough for either backend's statement limits.
_CHUNK = 200


@dataclass(frozen=True, slots=True)
class CachedSummary:
    arxiv_id: str
    version: int
    language: str
    kind: str
    model: str | None
    text: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DailyUsage:
    day: date
    requests: int = 0
    failures: int = 0


def _cached(row: SummaryRow) -> CachedSummary:
    return CachedSummary(row.arxiv_id, row.version, row.language, row.kind, row.model, row.text, row.created_at)


class SummaryStore:
    """Reads and writes cached summaries and the per-day request counts."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    # -- summaries -----------------------------------------------------------------

    async def get(self, arxiv_id: str, version: int, language: str) -> CachedSummary | None:
        query = select(SummaryRow).where(
            SummaryRow.arxiv_id == arxiv_id, SummaryRow.version == version, SummaryRow.language == language
        )
        async with self._sessions() as session:
            row = await session.scalar(query)
            return _cached(row) if row is not None else None

    async def get_many(self, keys: Iterable[SummaryKey]) -> dict[SummaryKey, CachedSummary]:
        """The cached summaries among ``keys``, in one query per few hundred keys."""
        wanted = list(dict.fromkeys(keys))
        found: dict[SummaryKey, CachedSummary] = {}
        async with self._sessions() as session:
            for start in range(0, len(wanted), _CHUNK):
                chunk: Sequence[SummaryKey] = wanted[start : start + _CHUNK]
                condition = or_(
                    *(
                        and_(SummaryRow.arxiv_id == a, SummaryRow.version == v, SummaryRow.language == lang)
                        for a, v, lang in chunk
                    )
                )
                for row in await session.scalars(select(SummaryRow).where(condition)):
                    found[(row.arxiv_id, row.version, row.language)] = _cached(row)
        return found

    async def save(
        self, arxiv_id: str, version: int, language: str, *, kind: str, model: str | None, text: str
    ) -> bool:
        """Store a summary; False when one was stored first (by a concurrent writer) or the paper is unknown.

        The first summary for a key wins: both are fine, and keeping the first means every
        chat that already got it saw the same text.
        """
        row = SummaryRow(
            arxiv_id=arxiv_id,
            version=version,
            language=language,
            kind=kind,
            model=model,
            text=text,
            created_at=self._clock.now(),
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            # The unique key (a concurrent writer) or the paper's foreign key (a paper
            # looked up but never stored): either way there is nothing to cache.
            return False
        return True

    async def count(self) -> int:
        async with self._sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(SummaryRow)) or 0)

    # -- daily usage ---------------------------------------------------------------

    async def usage(self, day: date) -> DailyUsage:
        async with self._sessions() as session:
            row = await session.get(LlmUsageRow, day)
            return DailyUsage(day, row.requests, row.failures) if row is not None else DailyUsage(day)

    async def try_reserve(self, day: date, budget: int) -> bool:
        """Count one more request for ``day`` if fewer than ``budget`` were made; True if counted.

        The day's row is created if missing (a no-op when a concurrent caller did it
        first), then a conditional UPDATE takes one request: the database serialises
        the updates, so two callers can never both take the last request.
        """
        if budget <= 0:
            return False
        taken = (
            update(LlmUsageRow)
            .where(LlmUsageRow.day == day, LlmUsageRow.requests < budget)
            .values(requests=LlmUsageRow.requests + 1)
        )
        async with self._sessions.begin() as session:
            await _ensure_day(session, day)
            result = cast(CursorResult[Any], await session.execute(taken))
            return bool(result.rowcount)

    async def record_failure(self, day: date) -> None:
        failed = update(LlmUsageRow).where(LlmUsageRow.day == day).values(failures=LlmUsageRow.failures + 1)
        async with self._sessions.begin() as session:
            await _ensure_day(session, day)
            await session.execute(failed)


async def _ensure_day(session: AsyncSession, day: date) -> None:
    """Create the day's usage row unless it exists, without failing when another writer races us."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(LlmUsageRow)
        .values(day=day, requests=0, failures=0)
        .on_conflict_do_nothing(index_elements=[LlmUsageRow.day])
    )
    await session.execute(statement)
