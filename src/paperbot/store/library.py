"""Each chat's library: the papers it imported (BibTeX, Zotero, RIS, a list of ids)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from paperbot.clock import Clock
from paperbot.store.models import LibraryEntryRow


class LibraryStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def add(self, recipient_id: int, arxiv_ids: Sequence[str], source: str) -> list[str]:
        """Add stored papers to the chat's library; returns the ids that were not in it yet."""
        async with self._sessions.begin() as session:
            present = set(
                await session.scalars(
                    select(LibraryEntryRow.arxiv_id).where(LibraryEntryRow.recipient_id == recipient_id)
                )
            )
            added = [a for a in dict.fromkeys(arxiv_ids) if a not in present]
            now = self._clock.now()
            session.add_all(
                LibraryEntryRow(recipient_id=recipient_id, arxiv_id=a, source=source, added_at=now) for a in added
            )
            return added

    async def arxiv_ids(self, recipient_id: int) -> list[str]:
        """The chat's library, oldest entry first."""
        query = (
            select(LibraryEntryRow.arxiv_id)
            .where(LibraryEntryRow.recipient_id == recipient_id)
            .order_by(LibraryEntryRow.added_at, LibraryEntryRow.id)
        )
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def of_recipients(self, recipient_ids: Sequence[int]) -> dict[int, list[str]]:
        """Several chats' libraries at once (chats without one are absent)."""
        if not recipient_ids:
            return {}
        query = select(LibraryEntryRow.recipient_id, LibraryEntryRow.arxiv_id).where(
            LibraryEntryRow.recipient_id.in_(list(recipient_ids))
        )
        found: dict[int, list[str]] = {}
        async with self._sessions() as session:
            for recipient_id, arxiv_id in (await session.execute(query)).all():
                found.setdefault(recipient_id, []).append(arxiv_id)
        return found

    async def count(self, recipient_id: int) -> int:
        query = select(func.count()).where(LibraryEntryRow.recipient_id == recipient_id)
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)
