"""👍/👎 per chat and person; a later ranking stage learns from these."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from paperbot.clock import Clock
from paperbot.store.models import FeedbackRow


class FeedbackStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def rate(self, recipient_id: int, arxiv_id: str, user_id: str, value: int) -> int:
        """Record (or change) one person's rating; returns the chat's net score for the paper."""
        if value not in (-1, 1):
            raise ValueError("a rating is +1 or -1")
        async with self._sessions.begin() as session:
            row = (
                await session.scalars(
                    select(FeedbackRow).where(
                        FeedbackRow.recipient_id == recipient_id,
                        FeedbackRow.arxiv_id == arxiv_id,
                        FeedbackRow.user_id == user_id,
                    )
                )
            ).one_or_none()
            if row is None:
                session.add(
                    FeedbackRow(
                        recipient_id=recipient_id,
                        arxiv_id=arxiv_id,
                        user_id=user_id,
                        value=value,
                        created_at=self._clock.now(),
                    )
                )
            else:
                row.value = value
                row.created_at = self._clock.now()
            await session.flush()
            total = await session.scalar(
                select(func.coalesce(func.sum(FeedbackRow.value), 0)).where(
                    FeedbackRow.recipient_id == recipient_id, FeedbackRow.arxiv_id == arxiv_id
                )
            )
            return int(total or 0)

    async def rated_recipients(self, recipient_ids: Sequence[int]) -> set[int]:
        """Which of these chats rated anything: one query for a batch of chats."""
        if not recipient_ids:
            return set()
        query = select(FeedbackRow.recipient_id).where(FeedbackRow.recipient_id.in_(list(recipient_ids))).distinct()
        async with self._sessions() as session:
            return set(await session.scalars(query))

    async def ratings(self, recipient_id: int) -> dict[str, int]:
        """Net score per paper for one chat."""
        query = (
            select(FeedbackRow.arxiv_id, func.sum(FeedbackRow.value))
            .where(FeedbackRow.recipient_id == recipient_id)
            .group_by(FeedbackRow.arxiv_id)
        )
        async with self._sessions() as session:
            return {arxiv_id: int(total) for arxiv_id, total in (await session.execute(query)).all()}
