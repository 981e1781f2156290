"""Marks written in groups: each sender's mark committed before it goes on, on both backends.

The worker sends several chats side by side; the marks of the sends that finish while one
mark transaction is being written go into the next one together. These tests pin what
that must never change: a caller returns only once its own mark is committed, a failed
transaction fails only its holder's mark (the others are written by the next holder),
and a cancelled caller's mark is not written behind its back later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.domain import AnnounceType
from paperbot.store.db import session_factory
from paperbot.store.models import DeliveryMode, DeliveryRow, DeliveryStatus, Platform, RecipientKind
from paperbot.store.outbox import PAPER, Outbox, Owed, _Mark
from tests.delivery.conftest import Harness
from tests.fakes.papers import announce, make_paper

PAPERS = 12


async def _claimed(h: Harness) -> list[int]:
    """One chat with PAPERS deliveries claimed (as the worker holds them while sending)."""
    papers = [make_paper(f"2504.{n:05d}", title=f"Paper {n}") for n in range(1, PAPERS + 1)]
    await h.papers.ingest([announce(p, AnnounceType.NEW) for p in papers], source="test")
    chat = await h.chats.ensure(Platform.CONSOLE, "ada", RecipientKind.PRIVATE)
    await h.chats.update_settings(chat.id, delivery_mode=DeliveryMode.INSTANT)
    await h.outbox.enqueue([Owed(chat.id, p.arxiv_id, PAPER, (), h.clock.now()) for p in papers])
    claimed = await h.outbox.claim_instant(PAPERS)
    assert len(claimed) == PAPERS
    return [d.id for d in claimed]


async def _statuses(engine: AsyncEngine, ids: Sequence[int]) -> dict[int, DeliveryStatus]:
    async with session_factory(engine)() as session:
        rows = await session.execute(select(DeliveryRow.id, DeliveryRow.status).where(DeliveryRow.id.in_(ids)))
        return {row_id: status for row_id, status in rows.all()}


async def test_concurrent_marks_share_transactions_and_each_returns_committed(
    harness: Harness, engine: AsyncEngine
) -> None:
    ids = await _claimed(harness)
    commits: list[None] = []

    def count(_connection: object) -> None:
        commits.append(None)

    seen: dict[int, DeliveryStatus] = {}

    async def mark(delivery_id: int) -> None:
        await harness.outbox.mark_sent([delivery_id])
        seen.update(await _statuses(engine, [delivery_id]))  # already committed when it returns

    event.listen(engine.sync_engine, "commit", count)
    try:
        await asyncio.gather(*(mark(i) for i in ids))
    finally:
        event.remove(engine.sync_engine, "commit", count)
    assert seen == dict.fromkeys(ids, DeliveryStatus.SENT)
    # The first mark finds no transaction running and writes alone; the others gathered
    # behind it while it ran and share the next one (one per message before: PAPERS).
    # The reads commit nothing: only marks are counted.
    assert 1 <= len(commits) <= 2, f"{len(commits)} mark transactions for {PAPERS} marks"


async def test_a_single_sender_gets_one_transaction_per_mark(harness: Harness, engine: AsyncEngine) -> None:
    ids = await _claimed(harness)
    for position, delivery_id in enumerate(ids, start=1):
        await harness.outbox.mark_sent([delivery_id])
        statuses = await _statuses(engine, ids)
        assert sum(s is DeliveryStatus.SENT for s in statuses.values()) == position


class FailingSecond(Outbox):
    """An outbox whose second mark transaction fails (the database went away for a moment)."""

    writes = 0
    gate: asyncio.Event | None = None  # when set, the failing transaction waits for it first

    async def _write_marks(self, group: Sequence[_Mark]) -> None:
        self.writes += 1
        if self.writes == 2:
            if self.gate is not None:
                await self.gate.wait()
            raise OSError("database unreachable")
        await super()._write_marks(group)


async def test_a_failed_transaction_fails_its_holder_and_the_others_are_written(
    harness: Harness, engine: AsyncEngine
) -> None:
    ids = await _claimed(harness)
    outbox = FailingSecond(session_factory(engine), harness.clock)
    # The first mark writes alone; the second holds the group of all the others when its
    # transaction fails: its own mark fails, the rest are written by the third.
    results = await asyncio.gather(*(outbox.mark_sent([i]) for i in ids), return_exceptions=True)
    assert results[0] is None
    assert isinstance(results[1], OSError)
    assert results[2:] == [None] * (PAPERS - 2)
    assert outbox.writes == 3
    statuses = await _statuses(engine, ids)
    assert statuses[ids[1]] is DeliveryStatus.SENDING, "the failed mark is left to the lease"
    assert all(statuses[i] is DeliveryStatus.SENT for i in ids if i != ids[1])


async def test_a_cancelled_waiting_mark_is_not_written_later(harness: Harness, engine: AsyncEngine) -> None:
    ids = await _claimed(harness)
    holder = asyncio.ensure_future(harness.outbox.mark_sent([ids[0]]))
    waiting = asyncio.ensure_future(harness.outbox.mark_sent([ids[1]]))
    await asyncio.sleep(0)  # the holder is writing, the other waits for it
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await holder
    await harness.outbox.mark_sent([ids[2]])  # the next transaction takes only its own
    statuses = await _statuses(engine, ids[:3])
    assert [statuses[i] for i in ids[:3]] == [DeliveryStatus.SENT, DeliveryStatus.SENDING, DeliveryStatus.SENT]


async def test_a_mark_cancelled_inside_a_failing_group_is_not_written_later(
    harness: Harness, engine: AsyncEngine
) -> None:
    ids = await _claimed(harness)
    outbox = FailingSecond(session_factory(engine), harness.clock)
    outbox.gate = asyncio.Event()
    tasks = [asyncio.ensure_future(outbox.mark_sent([i])) for i in ids[:3]]
    for _ in range(10_000):  # until the second transaction (ids[1] and ids[2]) is under way
        if outbox.writes == 2:
            break
        await asyncio.sleep(0)
    assert outbox.writes == 2
    tasks[2].cancel()  # its caller gives up while the group it is in is being written
    outbox.gate.set()  # ... and that transaction fails
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[0] is None
    assert isinstance(results[1], OSError)
    assert isinstance(results[2], asyncio.CancelledError)
    await outbox.mark_sent([ids[3]])  # the next transaction takes only its own
    statuses = await _statuses(engine, ids[:4])
    assert [statuses[i] for i in ids[:4]] == [
        DeliveryStatus.SENT,
        DeliveryStatus.SENDING,
        DeliveryStatus.SENDING,
        DeliveryStatus.SENT,
    ]
