"""Topic subscriptions through the dispatcher, and a subscription's query changed in
place by /broaden: on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.dispatch import Dispatcher
from paperbot.domain import AnnounceType
from paperbot.relevance.topic import TopicScorer
from paperbot.store.chats import ChatStore
from paperbot.store.db import session_factory
from paperbot.store.models import DeliveryMode, Platform, RecipientKind
from paperbot.store.summaries import SummaryStore
from paperbot.summary.service import Summarizer
from tests.delivery.conftest import Harness, harness  # noqa: F401 - the fixture
from tests.fakes.clock import FakeClock
from tests.fakes.papers import announce
from tests.fakes.wiring import make_delivery
from tests.relevance.concepts import ConceptEmbeddings
from tests.relevance.test_topic import CALIBRATION, JOSEPHSON, KNOTS, ROBOTS, SPECULATIVE, StoredPapers


async def _chat(h: Harness, name: str, *queries: str) -> int:
    chat = await h.chats.ensure(Platform.CONSOLE, name, RecipientKind.PRIVATE)
    for query in queries:
        await h.chats.add_subscription(chat.id, query, query, "me", quota=50)
    await h.chats.update_settings(chat.id, delivery_mode=DeliveryMode.INSTANT)
    return chat.id


async def test_topic_subscriptions_get_the_papers_close_in_meaning(harness: Harness) -> None:  # noqa: F811
    h = harness
    embeddings = ConceptEmbeddings()
    topics = TopicScorer(embeddings, StoredPapers([ROBOTS]), calibration=CALIBRATION)
    dispatcher = Dispatcher(h.papers, h.chats, h.outbox, h.clock, topics=topics)
    await dispatcher.dispatch()  # first run: sets the cursor
    ada = await _chat(h, "ada", '~"superconductivity"', "like:2504.00004")
    bob = await _chat(h, "bob", '~"superconductivity" knot*', "knot*")
    await h.papers.ingest([announce(p, AnnounceType.NEW) for p in (JOSEPHSON, KNOTS, SPECULATIVE)], source="test")
    report = await dispatcher.dispatch()
    assert report.announcements == 3
    # ada: the Josephson paper by meaning (no word in common), nothing like the robot paper;
    # bob: the knots paper by its word (his topic AND knot* needs both, which no paper has).
    assert report.matches == 2
    assert [d.arxiv_id for d in await h.outbox.claim_for(ada)] == ["2504.00001"]
    assert [(d.arxiv_id, d.subscription_ids) for d in await h.outbox.claim_for(bob)] == [("2504.00002", (4,))]
    # The batch's papers were embedded together, the topic text once; later batches reuse it.
    assert embeddings.ensure_calls == 2  # the batch, and the paper like: names (read from the store)
    assert embeddings.embedded_texts == ["superconductivity"]
    await h.papers.ingest([announce(ROBOTS, AnnounceType.NEW)], source="test")
    assert (await dispatcher.dispatch()).matches == 0  # like: never matches the paper it names
    assert embeddings.embedded_texts == ["superconductivity"]


async def test_a_topic_match_card_says_how_close_it_is(harness: Harness, engine: AsyncEngine) -> None:  # noqa: F811
    h = harness
    sessions = session_factory(engine)
    topics = TopicScorer(ConceptEmbeddings(), StoredPapers([ROBOTS]), calibration=CALIBRATION)
    stages = make_delivery(
        sessions,
        h.clock,
        h.settings,
        {"console": h.messenger},
        papers=h.papers,
        chats=h.chats,
        summaries=Summarizer(SummaryStore(sessions, h.clock), h.clock),
        feed_day=_no_day,
        topics=topics,
    )
    await stages.dispatcher.dispatch()
    await _chat(h, "ada", '~"superconductivity"')
    await h.papers.ingest([announce(JOSEPHSON, AnnounceType.NEW)], source="test")
    assert (await stages.dispatcher.dispatch()).matches == 1
    await stages.worker.run_once()
    [card] = h.messenger.texts("ada")
    assert "close in meaning to 'superconductivity' (0." in card


async def _no_day() -> date | None:
    return None


async def test_without_a_scorer_topic_subscriptions_are_skipped_loudly(
    harness: Harness,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = harness
    await h.dispatcher.dispatch()
    await _chat(h, "ada", '~"superconductivity"', "knot*")
    await h.papers.ingest([announce(p, AnnounceType.NEW) for p in (JOSEPHSON, KNOTS)], source="test")
    report = await h.dispatcher.dispatch()
    assert report.matches == 1  # the word subscription still works
    assert "has a topic term but no topic scorer" in caplog.text


async def test_a_subscription_query_is_replaced_in_place(engine: AsyncEngine, clock: FakeClock) -> None:
    chats = ChatStore(session_factory(engine), clock)
    ada = await chats.ensure(Platform.CONSOLE, "ada", RecipientKind.PRIVATE)
    bob = await chats.ensure(Platform.CONSOLE, "bob", RecipientKind.PRIVATE)
    first = await chats.add_subscription(ada.id, "nerf", "nerf", "me", quota=5)
    assert first is not None
    changed = await chats.replace_query(ada.id, first.id, "nerf OR splatting", "nerf OR splatting")
    assert changed is not None and (changed.id, changed.canonical) == (first.id, "nerf OR splatting")
    assert [s.canonical for s in await chats.subscriptions(ada.id)] == ["nerf OR splatting"]
    assert await chats.replace_query(bob.id, first.id, "x", "x") is None, "not bob's"
    await chats.remove_subscription(ada.id, first.id)
    assert await chats.replace_query(ada.id, first.id, "x", "x") is None, "gone"
