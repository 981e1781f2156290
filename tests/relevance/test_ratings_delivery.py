"""Through the delivery worker: digests ordered by interest with a library section; interest on cards."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.config import Settings
from paperbot.relevance.ranking import ChatRanking
from paperbot.relevance.ratings import MIN_PER_CLASS, InterestModels
from paperbot.store.chats import ChatStore
from paperbot.store.db import session_factory
from paperbot.store.feedback import FeedbackStore
from paperbot.store.library import LibraryStore
from paperbot.store.models import DeliveryMode, Platform, RecipientKind
from paperbot.store.papers import PaperStore
from paperbot.store.summaries import SummaryStore
from paperbot.summary.service import Summarizer
from tests.delivery.conftest import RecordingMessenger
from tests.fakes.clock import FakeClock
from tests.fakes.embeddings import WordEmbeddings
from tests.fakes.papers import announce, make_paper
from tests.fakes.wiring import make_delivery
from tests.relevance.test_ratings import QUANTUM, VISION, topic_papers


async def test_digest_and_cards_use_the_chats_ratings_and_library(engine: AsyncEngine) -> None:
    clock = FakeClock(datetime(2025, 4, 27, 20, 0, tzinfo=UTC))
    sessions = session_factory(engine)
    settings = Settings(_env_file=None, digest_top=10, library_threshold=0.3)  # type: ignore[call-arg]
    papers, chats = PaperStore(sessions, clock), ChatStore(sessions, clock)
    feedback, library = FeedbackStore(sessions, clock), LibraryStore(sessions, clock)
    embeddings = WordEmbeddings(papers, clock)
    interest = InterestModels(feedback, papers, embeddings)
    messenger = RecordingMessenger()

    async def feed_day() -> date | None:
        return date(2025, 4, 28)

    stages = make_delivery(
        sessions,
        clock,
        settings,
        {"console": messenger},
        papers=papers,
        chats=chats,
        summaries=Summarizer(SummaryStore(sessions, clock), clock),
        feed_day=feed_day,
        ranking=ChatRanking(interest, feedback, library, papers, embeddings, library_threshold=0.3, library_top=3),
    )
    worker, dispatcher = stages.worker, stages.dispatcher

    liked = topic_papers("q", QUANTUM, MIN_PER_CLASS)
    disliked = topic_papers("v", VISION, MIN_PER_CLASS, start=50)
    await papers.ingest([announce(p, day=date(2025, 4, 25)) for p in liked + disliked], source="test")
    await dispatcher.dispatch()
    digest_chat = await chats.ensure(Platform.CONSOLE, "digest", RecipientKind.PRIVATE)
    instant_chat = await chats.ensure(Platform.CONSOLE, "instant", RecipientKind.PRIVATE)
    await chats.update_settings(instant_chat.id, delivery_mode=DeliveryMode.INSTANT)
    for chat in (digest_chat, instant_chat):
        await chats.add_subscription(chat.id, "cat:cs.LG", "cat:cs.LG", "u", quota=50)
        for paper in liked:
            await feedback.rate(chat.id, paper.arxiv_id, "u", +1)
        for paper in disliked:
            await feedback.rate(chat.id, paper.arxiv_id, "u", -1)
    await library.add(digest_chat.id, [p.arxiv_id for p in liked], "bibtex")

    vision, quantum = topic_papers("v", VISION, 1, start=100)[0], topic_papers("q", QUANTUM, 1, start=200)[0]
    unmatched = make_paper(
        "2504.00300",
        title="Superconducting qubits and entanglement",
        abstract=QUANTUM,
        primary_category="quant-ph",
        categories=("quant-ph",),
    )
    await papers.ingest([announce(p) for p in (vision, quantum, unmatched)], source="test")
    clock.set(datetime(2025, 4, 28, 8, 0, tzinfo=UTC))
    await dispatcher.dispatch()
    await worker.run_once()

    digest = "\n".join(messenger.texts("digest"))
    assert digest.index(quantum.arxiv_id) < digest.index(vision.arxiv_id), "most wanted first"
    assert digest.count("interest ") == 2
    assert "Close to your library" in digest
    library_section = digest.split("Close to your library", 1)[1]
    assert unmatched.arxiv_id in library_section and "similarity 0." in library_section
    assert vision.arxiv_id not in library_section, "papers already in the digest are not repeated"

    cards = messenger.texts("instant")
    assert len(cards) == 2 and all("interest " in card for card in cards)
