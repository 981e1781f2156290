"""Digest slots, quiet hours, pacing windows and digest packing: pure functions, our clock."""

from __future__ import annotations

from collections import deque
from datetime import UTC, date, datetime, time

import pytest

from paperbot.config import Settings
from paperbot.digest import DigestItem, build_digest
from paperbot.pacing import Pacer
from paperbot.slots import digest_due, latest_slot, next_slot, quiet_until
from paperbot.store.chats import Recipient, Subscription
from paperbot.store.models import DeliveryMode, Platform, RecipientKind
from paperbot.store.outbox import Delivery
from tests.fakes.clock import FakeClock
from tests.fakes.papers import make_paper

T0 = datetime(2025, 3, 28, 12, 0, tzinfo=UTC)


def _recipient(**fields: object) -> Recipient:
    base = {
        "id": 1,
        "platform": Platform.TELEGRAM,
        "external_id": "1",
        "kind": RecipientKind.PRIVATE,
        "title": None,
        "timezone": "Europe/Berlin",
        "delivery_mode": DeliveryMode.DIGEST,
        "digest_time": time(8, 0),
        "language": "en",
        "paused": False,
        "active": True,
        "inactive_reason": None,
        "created_at": T0,
    }
    base.update(fields)
    return Recipient(**base)  # type: ignore[arg-type]


def test_daily_slots_follow_local_time_across_dst() -> None:
    chat = _recipient()
    # Berlin switches to summer time on 2025-03-30: 08:00 is 07:00 UTC before, 06:00 UTC after.
    assert next_slot(chat, T0) == datetime(2025, 3, 29, 7, 0, tzinfo=UTC)
    assert next_slot(chat, datetime(2025, 3, 30, 6, 59, tzinfo=UTC)) == datetime(2025, 3, 31, 6, 0, tzinfo=UTC)
    assert latest_slot(chat, datetime(2025, 3, 31, 6, 30, tzinfo=UTC)) == datetime(2025, 3, 31, 6, 0, tzinfo=UTC)


def test_weekly_slot_and_due() -> None:
    chat = _recipient(digest_weekday=0)  # Mondays
    assert next_slot(chat, T0) == datetime(2025, 3, 31, 6, 0, tzinfo=UTC)
    assert not digest_due(chat, datetime(2025, 3, 30, 12, 0, tzinfo=UTC))
    assert digest_due(chat, datetime(2025, 3, 31, 6, 0, tzinfo=UTC))
    sent = _recipient(digest_weekday=0, last_digest_at=datetime(2025, 3, 31, 6, 1, tzinfo=UTC))
    assert not digest_due(sent, datetime(2025, 4, 6, 23, 0, tzinfo=UTC))


def test_quiet_hours_over_midnight() -> None:
    chat = _recipient(timezone="UTC", quiet_start=time(22, 0), quiet_end=time(7, 0))
    assert quiet_until(chat, datetime(2025, 3, 28, 23, 0, tzinfo=UTC)) == datetime(2025, 3, 29, 7, 0, tzinfo=UTC)
    assert quiet_until(chat, datetime(2025, 3, 29, 3, 0, tzinfo=UTC)) == datetime(2025, 3, 29, 7, 0, tzinfo=UTC)
    assert quiet_until(chat, datetime(2025, 3, 29, 12, 0, tzinfo=UTC)) is None
    assert quiet_until(_recipient(), T0) is None


async def test_pacer_keeps_every_telegram_window() -> None:
    clock = FakeClock(T0)
    sends: list[tuple[float, str, RecipientKind]] = []

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    pacer = Pacer.from_settings(Settings(_env_file=None), clock, sleep)  # type: ignore[call-arg]
    start = clock.monotonic()
    for n in range(90):
        chat, kind = (f"p{n % 60}", RecipientKind.PRIVATE) if n < 75 else ("group", RecipientKind.GROUP)
        await pacer.wait(Platform.TELEGRAM, chat, kind)
        sends.append((clock.monotonic(), chat, kind))
    times = [t for t, _, _ in sends]
    for index in range(len(times) - 30):
        assert times[index + 30] - times[index] >= 1.0, "at most 30 in any second"
    for chat in {c for _, c, _ in sends}:
        mine = [t for t, c, _ in sends if c == chat]
        window, limit = (60.0, 20) if chat == "group" else (1.0, 1)
        for index in range(len(mine) - limit):
            assert mine[index + limit] - mine[index] >= window
    assert 2.0 <= times[74] - start < 3.0, "75 sends at 30/s take a little over 2 s, no more"


def test_digest_packing_keeps_every_item_once_under_the_limit() -> None:
    subscriptions = [
        Subscription(1, 1, "qubit", "qubit", None, True, T0),
        Subscription(2, 1, "noise", "noise", None, True, T0),
    ]
    items = [
        DigestItem(
            Delivery(n, 1, f"2504.{n:05d}", "paper", (1, 2) if n % 3 == 0 else (2,), 0, T0),
            make_paper(f"2504.{n:05d}", title=f"Paper {n} " + "long title words " * 8),
            "A summary that takes room. " * 4,
        )
        for n in range(1, 31)
    ]
    messages = build_digest(items, subscriptions, day=date(2025, 4, 28), top=20, limit=1000)
    assert len(messages) > 3
    assert all(len(m.text) <= 1000 for m in messages)
    carried = [i for m in messages for i in m.delivery_ids]
    assert sorted(carried) == list(range(1, 31))
    assert deque(messages).popleft().text.startswith("**Your arXiv digest for 2025-04-28**: 30 new papers")


@pytest.mark.parametrize("top", [1, 5])
def test_digest_top_and_more_hint(top: int) -> None:
    subscriptions = [Subscription(1, 1, "qubit", "qubit", None, True, T0)]
    items = [
        DigestItem(Delivery(n, 1, f"2504.{n:05d}", "paper", (1,), 0, T0), make_paper(f"2504.{n:05d}"), "")
        for n in range(1, 8)
    ]
    text = "\n\n".join(m.text for m in build_digest(items, subscriptions, day=date(2025, 4, 28), top=top, limit=4096))
    assert text.count("• ") == top
    assert f"and {7 - top} more: `/search qubit`" in text
