"""Paper vectors: one row per (paper, model), float32 bytes, with the version they were made from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from paperbot.clock import Clock
from paperbot.domain import Paper
from paperbot.store.models import PaperRow, PaperVectorRow
from paperbot.store.papers import row_to_paper

# Keeps IN (...) lists well under SQLite's bound-parameter limit.
_CHUNK = 500
# Two processes may embed the same new paper at once; the loser writes again.
_PUT_TRIES = 3


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def to_bytes(vector: NDArray[np.float32]) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> NDArray[np.float32]:
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


@dataclass(frozen=True, slots=True)
class StoredVector:
    arxiv_id: str
    version: int
    vector: NDArray[np.float32]
    # The paper's first announcement, for date windows; None if it was never announced to us.
    first_announced: date | None


def _current(model: str) -> object:
    """Join condition: the paper's vector under ``model``, made from its latest version."""
    return and_(
        PaperVectorRow.arxiv_id == PaperRow.arxiv_id,
        PaperVectorRow.model == model,
        PaperVectorRow.version == PaperRow.version,
    )


class VectorStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def put(self, model: str, vectors: Sequence[tuple[str, int, NDArray[np.float32]]]) -> None:
        """Store (arxiv_id, version, vector) rows under ``model``, replacing what the papers had."""
        if not vectors:
            return
        latest = {arxiv_id: (version, vector) for arxiv_id, version, vector in vectors}
        ids = list(latest)
        for attempt in range(1, _PUT_TRIES + 1):
            try:
                async with self._sessions.begin() as session:
                    await self._put(session, model, ids, latest)
                return
            except IntegrityError:
                if attempt == _PUT_TRIES:
                    raise

    async def _put(
        self,
        session: AsyncSession,
        model: str,
        ids: list[str],
        latest: dict[str, tuple[int, NDArray[np.float32]]],
    ) -> None:
        now = self._clock.now()
        for chunk in _chunks(ids):
            await session.execute(
                delete(PaperVectorRow).where(PaperVectorRow.model == model, PaperVectorRow.arxiv_id.in_(chunk))
            )
        session.add_all(
            PaperVectorRow(
                arxiv_id=arxiv_id,
                model=model,
                version=version,
                dim=int(vector.shape[-1]),
                vector=to_bytes(vector),
                created_at=now,
            )
            for arxiv_id, (version, vector) in latest.items()
        )

    async def get(self, model: str, arxiv_ids: Sequence[str]) -> dict[str, StoredVector]:
        """The current vectors (made from the paper's latest version) of these papers, by id."""
        found: dict[str, StoredVector] = {}
        async with self._sessions() as session:
            for chunk in _chunks(list(dict.fromkeys(arxiv_ids))):
                query = (
                    select(
                        PaperVectorRow.arxiv_id, PaperVectorRow.version, PaperVectorRow.vector, PaperRow.first_announced
                    )
                    .join(PaperRow, _current(model))  # type: ignore[arg-type]
                    .where(PaperVectorRow.arxiv_id.in_(chunk))
                )
                for arxiv_id, version, data, first in (await session.execute(query)).all():
                    found[arxiv_id] = StoredVector(arxiv_id, version, from_bytes(data), first)
        return found

    async def scan(self, model: str, *, after: str = "", limit: int = 10_000) -> list[StoredVector]:
        """Current vectors in arxiv_id order, from just after ``after``: page through all of them."""
        query = (
            select(PaperVectorRow.arxiv_id, PaperVectorRow.version, PaperVectorRow.vector, PaperRow.first_announced)
            .join(PaperRow, _current(model))  # type: ignore[arg-type]
            .where(PaperVectorRow.arxiv_id > after)
            .order_by(PaperVectorRow.arxiv_id)
            .limit(limit)
        )
        async with self._sessions() as session:
            return [
                StoredVector(arxiv_id, version, from_bytes(data), first)
                for arxiv_id, version, data, first in (await session.execute(query)).all()
            ]

    def _stale_papers(self, model: str) -> object:
        return (
            select(PaperRow)
            .outerjoin(
                PaperVectorRow, and_(PaperVectorRow.arxiv_id == PaperRow.arxiv_id, PaperVectorRow.model == model)
            )
            .where(or_(PaperVectorRow.arxiv_id.is_(None), PaperVectorRow.version != PaperRow.version))
        )

    async def stale(self, model: str, *, after: str = "", limit: int) -> list[Paper]:
        """Papers without a vector under ``model`` made from their latest version, in arxiv_id order."""
        query = (
            self._stale_papers(model)  # type: ignore[attr-defined]
            .where(PaperRow.arxiv_id > after)
            .order_by(PaperRow.arxiv_id)
            .limit(limit)
        )
        async with self._sessions() as session:
            return [row_to_paper(row) for row in await session.scalars(query)]

    async def count_stale(self, model: str) -> int:
        query = select(func.count()).select_from(self._stale_papers(model).subquery())  # type: ignore[attr-defined]
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)

    async def counts(self) -> dict[str, int]:
        """Stored vectors per model."""
        query = select(PaperVectorRow.model, func.count()).group_by(PaperVectorRow.model)
        async with self._sessions() as session:
            return {model: int(number) for model, number in (await session.execute(query)).all()}

    async def delete_models(self, *, prefix: str, keep: str) -> int:
        """Drop the vectors of every model named ``prefix...`` except ``keep`` (an old TF-IDF fit)."""
        query = delete(PaperVectorRow).where(PaperVectorRow.model.startswith(prefix), PaperVectorRow.model != keep)
        async with self._sessions.begin() as session:
            result = await session.execute(query)
            return int(getattr(result, "rowcount", 0) or 0)

    async def stored_versions(self, arxiv_ids: Sequence[str]) -> dict[str, tuple[int, date | None]]:
        """(version, first announcement) of each of these papers that is stored at all."""
        found: dict[str, tuple[int, date | None]] = {}
        async with self._sessions() as session:
            for chunk in _chunks(list(dict.fromkeys(arxiv_ids))):
                query = select(PaperRow.arxiv_id, PaperRow.version, PaperRow.first_announced).where(
                    PaperRow.arxiv_id.in_(chunk)
                )
                for arxiv_id, version, first in (await session.execute(query)).all():
                    found[arxiv_id] = (version, first)
        return found

    async def paper_count(self) -> int:
        async with self._sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(PaperRow)) or 0)

    async def oldest_texts(self, limit: int) -> list[tuple[str, str]]:
        """(title, abstract) of the ``limit`` papers stored first: a sample that only grows at its end."""
        query = select(PaperRow.title, PaperRow.abstract).order_by(PaperRow.stored_at, PaperRow.arxiv_id).limit(limit)
        async with self._sessions() as session:
            return [(title, abstract) for title, abstract in (await session.execute(query)).all()]
