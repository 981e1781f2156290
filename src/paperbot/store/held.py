"""Papers /filter held back from a chat, and the chat's /filter switch.

A held paper is not in the outbox. Releasing one queues it first and marks it released
after, so a crash in between leaves it both queued and held: releasing it again queues
nothing twice (the outbox keeps one row per chat, paper and kind).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from paperbot.clock import Clock
from paperbot.store.inserts import insert_new
from paperbot.store.models import HeldPaperRow, RecipientRow
from paperbot.store.outbox import PAPER, Outbox, Owed


@dataclass(frozen=True, slots=True)
class HeldPaper:
    recipient_id: int
    arxiv_id: str
    subscription_ids: tuple[int, ...]
    score: float
    held_at: datetime | None = None
    released_at: datetime | None = None


def _held(row: HeldPaperRow) -> HeldPaper:
    return HeldPaper(
        recipient_id=row.recipient_id,
        arxiv_id=row.arxiv_id,
        subscription_ids=tuple(int(s) for s in row.subscription_ids),
        score=row.score,
        held_at=row.held_at,
        released_at=row.released_at,
    )


class HeldStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock, outbox: Outbox) -> None:
        self._sessions = sessions
        self._clock = clock
        self._outbox = outbox

    # -- the /filter switch -----------------------------------------------------------

    async def set_filter(self, recipient_id: int, enabled: bool) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(RecipientRow).where(RecipientRow.id == recipient_id).values(filter_enabled=enabled)
            )

    async def filtering(self, recipient_ids: Sequence[int]) -> set[int]:
        """Which of these chats have /filter on."""
        if not recipient_ids:
            return set()
        query = select(RecipientRow.id).where(
            RecipientRow.id.in_(list(recipient_ids)), RecipientRow.filter_enabled.is_(True)
        )
        async with self._sessions() as session:
            return set(await session.scalars(query))

    # -- held papers ------------------------------------------------------------------

    async def hold(self, papers: Sequence[HeldPaper]) -> int:
        """Record papers held back; one held before stays as it was. Returns how many are new."""
        if not papers:
            return 0
        now = self._clock.now()
        values = [
            {
                "recipient_id": p.recipient_id,
                "arxiv_id": p.arxiv_id,
                "subscription_ids": [str(s) for s in p.subscription_ids],
                "score": p.score,
                "held_at": now,
            }
            for p in papers
        ]
        async with self._sessions.begin() as session:
            return await insert_new(session, HeldPaperRow, values, ["recipient_id", "arxiv_id"])

    async def held(self, recipient_id: int, *, limit: int = 50) -> list[HeldPaper]:
        """Papers still held back from the chat, newest first."""
        query = (
            select(HeldPaperRow)
            .where(HeldPaperRow.recipient_id == recipient_id, HeldPaperRow.released_at.is_(None))
            .order_by(HeldPaperRow.held_at.desc(), HeldPaperRow.id.desc())
            .limit(limit)
        )
        async with self._sessions() as session:
            return [_held(row) for row in await session.scalars(query)]

    async def count_held(self, recipient_id: int) -> int:
        query = select(func.count()).where(
            HeldPaperRow.recipient_id == recipient_id, HeldPaperRow.released_at.is_(None)
        )
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)

    async def release(self, recipient_id: int, arxiv_id: str) -> HeldPaper | None:
        """Queue a held paper for delivery now; None if it is not held (any more)."""
        query = select(HeldPaperRow).where(
            HeldPaperRow.recipient_id == recipient_id,
            HeldPaperRow.arxiv_id == arxiv_id,
            HeldPaperRow.released_at.is_(None),
        )
        async with self._sessions() as session:
            row = (await session.scalars(query)).one_or_none()
            if row is None:
                return None
            paper = _held(row)
        now = self._clock.now()
        await self._outbox.enqueue([Owed(recipient_id, arxiv_id, PAPER, paper.subscription_ids, now)])
        async with self._sessions.begin() as session:
            await session.execute(
                update(HeldPaperRow)
                .where(HeldPaperRow.recipient_id == recipient_id, HeldPaperRow.arxiv_id == arxiv_id)
                .values(released_at=now)
            )
        return HeldPaper(paper.recipient_id, arxiv_id, paper.subscription_ids, paper.score, paper.held_at, now)
