"""The delivery outbox: every message owed to a chat, queued once, claimed, sent, marked.

Sending is claim → send → mark sent. A worker that dies after sending and before
marking leaves its claim behind; after ``lease`` seconds the claim counts as abandoned
and the message is sent again, so a crash repeats at most the messages in flight and
loses none. On PostgreSQL several workers claim with ``FOR UPDATE SKIP LOCKED``; SQLite
has one writer at a time, which gives the same guarantee.

Marks are written in groups (a group commit): each sender still waits until its own mark
is committed before it goes on, but the marks of the sends that finished while one
transaction was being written go into the next one together. What is sent and not yet
marked is never more than the sends in flight, as with one transaction per mark; a single
sender (concurrency 1) gets one transaction per message, exactly as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from paperbot.clock import Clock
from paperbot.store.inserts import insert_new
from paperbot.store.models import DeliveryMode, DeliveryRow, DeliveryStatus, RecipientRow
from paperbot.store.types import UTCDateTime

PAPER = "paper"


def revision_kind(version: int) -> str:
    return f"revision:v{version}"


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    recipient_id: int
    arxiv_id: str
    kind: str
    subscription_ids: tuple[int, ...]
    attempts: int
    queued_at: datetime

    @property
    def is_revision(self) -> bool:
        return self.kind.startswith("revision:")


@dataclass(frozen=True, slots=True)
class Owed:
    """A message to queue: for this chat, about this paper, because of these subscriptions."""

    recipient_id: int
    arxiv_id: str
    kind: str
    subscription_ids: tuple[int, ...]
    due_at: datetime


@dataclass(slots=True, eq=False)
class _Mark:
    """One sender's ``mark_sent``, waiting for the transaction that writes it."""

    ids: Sequence[int]
    digest: tuple[int, datetime] | None
    written: bool = False
    dropped: bool = False  # its caller failed or was cancelled, and takes it as not marked


# Built once, run on the transaction's connection rather than through the session: one
# UPDATE by primary key per message with no ORM bookkeeping (no loaded objects to keep in
# step), the parameters of the whole group in one executemany, and no IN list to overflow.
MARK_SENT = (
    update(DeliveryRow)
    .where(DeliveryRow.id == bindparam("delivery_id"))
    .values(status=DeliveryStatus.SENT, sent_at=bindparam("sent", type_=UTCDateTime()), last_error=None)
)
RECORD_DIGEST = (
    update(RecipientRow)
    .where(RecipientRow.id == bindparam("recipient_id"))
    .values(last_digest_at=bindparam("when", type_=UTCDateTime()), digest_late=False)
)


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        recipient_id=row.recipient_id,
        arxiv_id=row.arxiv_id,
        kind=row.kind,
        subscription_ids=tuple(int(s) for s in row.subscription_ids),
        attempts=row.attempts,
        queued_at=row.queued_at,
    )


class Outbox:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock, *, lease: float = 300.0) -> None:
        self._sessions = sessions
        self._clock = clock
        self._lease = timedelta(seconds=lease)
        self._marks: list[_Mark] = []  # waiting for the next mark transaction
        self._marking = asyncio.Lock()  # one mark transaction at a time, the rest gather behind it

    async def enqueue(self, owed: Sequence[Owed]) -> int:
        """Queue each (chat, paper, kind) once; a pair queued before is left as it is."""
        if not owed:
            return 0
        now = self._clock.now()
        values = [
            {
                "recipient_id": o.recipient_id,
                "arxiv_id": o.arxiv_id,
                "kind": o.kind,
                "subscription_ids": [str(s) for s in o.subscription_ids],
                "status": DeliveryStatus.QUEUED,
                "attempts": 0,
                "queued_at": now,
                "due_at": o.due_at,
            }
            for o in owed
        ]
        async with self._sessions.begin() as session:
            return await insert_new(session, DeliveryRow, values, ["recipient_id", "arxiv_id", "kind"])

    def _claimable(self, now: datetime) -> object:
        return or_(
            and_(DeliveryRow.status == DeliveryStatus.QUEUED, DeliveryRow.due_at <= now),
            and_(DeliveryRow.status == DeliveryStatus.SENDING, DeliveryRow.claimed_at < now - self._lease),
        )

    async def _claim(self, session: AsyncSession, query: object, now: datetime) -> list[Delivery]:
        rows = list(await session.scalars(query))  # type: ignore[call-overload]
        for row in rows:
            row.status = DeliveryStatus.SENDING
            row.claimed_at = now
        return [_delivery(row) for row in rows]

    async def claim_instant(self, limit: int) -> list[Delivery]:
        """Due messages of chats in instant mode (and every revision notice), oldest first."""
        now = self._clock.now()
        query = (
            select(DeliveryRow)
            .join(RecipientRow, RecipientRow.id == DeliveryRow.recipient_id)
            .where(
                self._claimable(now),  # type: ignore[arg-type]
                RecipientRow.active.is_(True),
                RecipientRow.paused.is_(False),
                or_(RecipientRow.delivery_mode == DeliveryMode.INSTANT, DeliveryRow.kind != PAPER),
            )
            .order_by(DeliveryRow.due_at, DeliveryRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=DeliveryRow)
        )
        async with self._sessions.begin() as session:
            return await self._claim(session, query, now)

    async def claim_for(self, recipient_id: int, *, limit: int = 10_000) -> list[Delivery]:
        """Every paper queued for one chat, for its digest (whatever their due time)."""
        now = self._clock.now()
        query = (
            select(DeliveryRow)
            .where(
                DeliveryRow.recipient_id == recipient_id,
                DeliveryRow.kind == PAPER,
                or_(
                    and_(DeliveryRow.status == DeliveryStatus.QUEUED, DeliveryRow.due_at <= now),
                    and_(DeliveryRow.status == DeliveryStatus.SENDING, DeliveryRow.claimed_at < now - self._lease),
                ),
            )
            .order_by(DeliveryRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with self._sessions.begin() as session:
            return await self._claim(session, query, now)

    async def claim_digests(self, recipient_ids: Sequence[int]) -> dict[int, list[Delivery]]:
        """Every paper queued for these chats, for their digests: one SELECT and one UPDATE for all."""
        if not recipient_ids:
            return {}
        now = self._clock.now()
        query = (
            select(DeliveryRow)
            .where(
                DeliveryRow.recipient_id.in_(list(recipient_ids)),
                DeliveryRow.kind == PAPER,
                self._claimable(now),  # type: ignore[arg-type]
            )
            .order_by(DeliveryRow.id)
            .with_for_update(skip_locked=True)
        )
        async with self._sessions.begin() as session:
            rows = list(await session.scalars(query))
            if rows:
                await session.execute(
                    update(DeliveryRow)
                    .where(DeliveryRow.id.in_([row.id for row in rows]))
                    .values(status=DeliveryStatus.SENDING, claimed_at=now),
                    execution_options={"synchronize_session": False},
                )
        found: dict[int, list[Delivery]] = {}
        for row in rows:
            found.setdefault(row.recipient_id, []).append(_delivery(row))
        return found

    async def digest_recipients(self) -> list[int]:
        """Active, unpaused digest chats: the candidates for a digest now."""
        query = select(RecipientRow.id).where(
            RecipientRow.delivery_mode == DeliveryMode.DIGEST,
            RecipientRow.active.is_(True),
            RecipientRow.paused.is_(False),
        )
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def mark_sent(self, ids: Sequence[int], *, digest: tuple[int, datetime] | None = None) -> None:
        """Mark sent; with ``digest=(chat, when)`` also record the chat's digest, in the same transaction.

        Returns once the mark is committed. Marks asked for while another transaction is
        being written are committed together in the next one (see the module's doc).
        """
        if not ids and digest is None:
            return
        mark = _Mark(ids, digest)
        self._marks.append(mark)
        try:
            async with self._marking:
                if mark.written:
                    return  # the holder before us wrote it with its own
                group, self._marks = self._marks, []
                try:
                    await self._write_marks(group)
                except BaseException:
                    # Ours fails; the others go back to be written by the next holder.
                    self._marks[:0] = [m for m in group if m is not mark and not m.dropped]
                    raise
                for done in group:
                    done.written = True
        except BaseException:
            # Cancelled or failed: the caller takes its mark as not written, so nobody writes
            # it later behind its back (an old digest time written after a newer one would
            # make that digest due again).
            mark.dropped = True
            if mark in self._marks:
                self._marks.remove(mark)
            raise

    async def _write_marks(self, group: Sequence[_Mark]) -> None:
        now = self._clock.now()
        sent = [{"delivery_id": i, "sent": now} for mark in group for i in mark.ids]
        digests = [{"recipient_id": m.digest[0], "when": m.digest[1]} for m in group if m.digest is not None]
        async with self._sessions.begin() as session:
            connection = await session.connection()
            if sent:
                await connection.execute(MARK_SENT, sent)
            if digests:
                await connection.execute(RECORD_DIGEST, digests)

    async def release(self, ids: Sequence[int], *, due_at: datetime, error: str | None = None) -> None:
        """Back to the queue without counting a try (rate limited, chat unavailable, shutdown)."""
        if not ids:
            return
        async with self._sessions.begin() as session:
            await session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(list(ids)))
                .values(status=DeliveryStatus.QUEUED, due_at=due_at, claimed_at=None, last_error=error)
            )

    async def fail(self, ids: Sequence[int], error: str, *, max_attempts: int, backoff: float) -> list[int]:
        """Count a failed try; retry later with backoff, or dead-letter after ``max_attempts``.

        Returns the ids that were dead-lettered.
        """
        dead: list[int] = []
        now = self._clock.now()
        async with self._sessions.begin() as session:
            for row in await session.scalars(select(DeliveryRow).where(DeliveryRow.id.in_(list(ids)))):
                row.attempts += 1
                row.last_error = error[:2000]
                row.claimed_at = None
                if row.attempts >= max_attempts:
                    row.status = DeliveryStatus.DEAD
                    dead.append(row.id)
                else:
                    row.status = DeliveryStatus.QUEUED
                    row.due_at = now + timedelta(seconds=backoff * 2 ** (row.attempts - 1))
        return dead

    async def sent_to(self, arxiv_id: str) -> list[int]:
        """Chats that received this paper (for revision notices)."""
        query = select(DeliveryRow.recipient_id).where(
            DeliveryRow.arxiv_id == arxiv_id, DeliveryRow.kind == PAPER, DeliveryRow.status == DeliveryStatus.SENT
        )
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def counts(self) -> dict[DeliveryStatus, int]:
        query = select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
        async with self._sessions() as session:
            found = dict.fromkeys(DeliveryStatus, 0)
            for status, number in (await session.execute(query)).all():
                found[status] = int(number)
            return found

    async def summary(self, since: datetime) -> dict[str, int]:
        """Queued, in flight, retrying (queued after a failed try), sent since ``since``, dead."""
        async with self._sessions() as session:
            counts = await self.counts()
            retrying = await session.scalar(
                select(func.count()).where(DeliveryRow.status == DeliveryStatus.QUEUED, DeliveryRow.attempts > 0)
            )
            sent = await session.scalar(
                select(func.count()).where(DeliveryRow.status == DeliveryStatus.SENT, DeliveryRow.sent_at >= since)
            )
        return {
            "queued": counts[DeliveryStatus.QUEUED],
            "sending": counts[DeliveryStatus.SENDING],
            "retrying": int(retrying or 0),
            "sent_today": int(sent or 0),
            "dead": counts[DeliveryStatus.DEAD],
        }

    async def dead_letters(self, limit: int = 20) -> list[tuple[Delivery, str | None]]:
        query = (
            select(DeliveryRow)
            .where(DeliveryRow.status == DeliveryStatus.DEAD)
            .order_by(DeliveryRow.id.desc())
            .limit(limit)
        )
        async with self._sessions() as session:
            return [(_delivery(row), row.last_error) for row in await session.scalars(query)]
