"""Chats, subscriptions and ratings, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.store.chats import ChatStore
from paperbot.store.db import session_factory
from paperbot.store.feedback import FeedbackStore
from paperbot.store.models import DeliveryMode, Platform, RecipientKind
from paperbot.store.papers import PaperStore
from tests.fakes.clock import FakeClock
from tests.fakes.papers import announce, make_paper


@pytest.fixture
def chats(engine: AsyncEngine, clock: FakeClock) -> ChatStore:
    return ChatStore(session_factory(engine), clock)


async def test_ensure_creates_once_and_reactivates(chats: ChatStore) -> None:
    first = await chats.ensure(Platform.TELEGRAM, "42", RecipientKind.PRIVATE, "Ada")
    again = await chats.ensure(Platform.TELEGRAM, "42", RecipientKind.PRIVATE, "Ada L.")
    assert first.id == again.id and again.title == "Ada L."
    assert (first.timezone, first.delivery_mode, first.digest_time) == ("UTC", DeliveryMode.DIGEST, time(8, 0))
    await chats.deactivate(first.id, "bot was blocked by the user")
    blocked = await chats.get(first.id)
    assert blocked is not None and not blocked.active and blocked.inactive_reason == "bot was blocked by the user"
    back = await chats.ensure(Platform.TELEGRAM, "42", RecipientKind.PRIVATE)
    assert back.active and back.inactive_reason is None
    other_platform = await chats.ensure(Platform.DISCORD, "42", RecipientKind.PRIVATE)
    assert other_platform.id != first.id


async def test_subscriptions_quota_duplicates_and_removal(chats: ChatStore) -> None:
    chat = await chats.ensure(Platform.CONSOLE, "local", RecipientKind.PRIVATE)
    one = await chats.add_subscription(chat.id, "Qubit", "qubit", "me", quota=2)
    same = await chats.add_subscription(chat.id, "qubit", "qubit", "me", quota=2)
    assert one is not None and same is not None and same.id == one.id
    two = await chats.add_subscription(chat.id, "noise", "noise", "me", quota=2)
    assert two is not None
    assert await chats.add_subscription(chat.id, "more", "more", "me", quota=2) is None
    other = await chats.ensure(Platform.CONSOLE, "other", RecipientKind.PRIVATE)
    assert await chats.remove_subscription(other.id, one.id) is None, "not the other chat's to remove"
    assert (await chats.remove_subscription(chat.id, one.id)) == one
    assert [s.canonical for s in await chats.subscriptions(chat.id)] == ["noise"]
    assert [(s.canonical, r.external_id) for s, r in await chats.all_active_subscriptions()] == [("noise", "local")]


async def test_migration_to_a_new_id_keeps_subscriptions(chats: ChatStore) -> None:
    group = await chats.ensure(Platform.TELEGRAM, "-4001", RecipientKind.GROUP, "Lab")
    await chats.add_subscription(group.id, "qubit", "qubit", "1", quota=5)
    moved = await chats.migrate_external_id(Platform.TELEGRAM, "-4001", "-1004001")
    assert moved is not None and moved.id == group.id and moved.external_id == "-1004001"
    # The new id wrote first: the old row's subscriptions join it.
    old = await chats.ensure(Platform.TELEGRAM, "-4002", RecipientKind.GROUP)
    await chats.add_subscription(old.id, "noise", "noise", "1", quota=5)
    new = await chats.ensure(Platform.TELEGRAM, "-1004002", RecipientKind.GROUP)
    merged = await chats.migrate_external_id(Platform.TELEGRAM, "-4002", "-1004002")
    assert merged is not None and merged.id == new.id
    assert [s.canonical for s in await chats.subscriptions(new.id)] == ["noise"]
    assert await chats.find(Platform.TELEGRAM, "-4002") is None


async def test_forget_deletes_subscriptions_and_ratings(
    engine: AsyncEngine, chats: ChatStore, clock: FakeClock
) -> None:
    sessions = session_factory(engine)
    papers = PaperStore(sessions, clock)
    feedback = FeedbackStore(sessions, clock)
    await papers.ingest([announce(make_paper("2504.00001"))], source="test")
    chat = await chats.ensure(Platform.CONSOLE, "local", RecipientKind.PRIVATE)
    await chats.add_subscription(chat.id, "x", "x", "me", quota=5)
    assert await feedback.rate(chat.id, "2504.00001", "me", 1) == 1
    assert await feedback.rate(chat.id, "2504.00001", "you", -1) == 0
    assert await feedback.rate(chat.id, "2504.00001", "you", 1) == 2, "a person's second rating replaces the first"
    assert await chats.forget(chat.id)
    assert await chats.get(chat.id) is None
    assert await feedback.ratings(chat.id) == {}
    assert await chats.all_active_subscriptions() == []
    assert await papers.count() == 1, "papers are shared, not the chat's"


async def test_settings_update(chats: ChatStore) -> None:
    chat = await chats.ensure(Platform.CONSOLE, "local", RecipientKind.PRIVATE)
    updated = await chats.update_settings(
        chat.id,
        delivery_mode=DeliveryMode.INSTANT,
        digest_time=time(6, 45),
        timezone="Europe/Berlin",
        language="de",
        paused=True,
    )
    assert (updated.delivery_mode, updated.digest_time, updated.timezone, updated.language, updated.paused) == (
        DeliveryMode.INSTANT,
        time(6, 45),
        "Europe/Berlin",
        "de",
        True,
    )
