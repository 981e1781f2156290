"""Libraries, held papers and /filter on both backends, and what the digest and dispatch do with them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.dispatch import Dispatcher
from paperbot.domain import Paper
from paperbot.query import parse as parse_query
from paperbot.relevance.holdback import HoldBack, named_authors
from paperbot.relevance.ranking import ChatRanking
from paperbot.relevance.ratings import MIN_PER_CLASS, InterestModels
from paperbot.store.chats import ChatStore, Recipient
from paperbot.store.db import session_factory
from paperbot.store.feedback import FeedbackStore
from paperbot.store.held import HeldPaper, HeldStore
from paperbot.store.library import LibraryStore
from paperbot.store.models import Platform, RecipientKind
from paperbot.store.outbox import PAPER, Outbox, Owed
from paperbot.store.papers import PaperStore
from tests.fakes.clock import FakeClock
from tests.fakes.embeddings import WordEmbeddings
from tests.fakes.papers import announce, make_paper
from tests.relevance.test_ratings import QUANTUM, VISION, topic_papers


@dataclass
class World:
    papers: PaperStore
    chats: ChatStore
    feedback: FeedbackStore
    outbox: Outbox
    library: LibraryStore
    held: HeldStore
    interest: InterestModels
    embeddings: WordEmbeddings
    chat: Recipient
    other: Recipient


@pytest.fixture
async def world(engine: AsyncEngine, clock: FakeClock) -> World:
    sessions = session_factory(engine)
    papers = PaperStore(sessions, clock)
    chats = ChatStore(sessions, clock)
    feedback = FeedbackStore(sessions, clock)
    outbox = Outbox(sessions, clock)
    embeddings = WordEmbeddings(papers, clock)
    return World(
        papers=papers,
        chats=chats,
        feedback=feedback,
        outbox=outbox,
        library=LibraryStore(sessions, clock),
        held=HeldStore(sessions, clock, outbox),
        interest=InterestModels(feedback, papers, embeddings),
        embeddings=embeddings,
        chat=await chats.ensure(Platform.TELEGRAM, "1", RecipientKind.PRIVATE),
        other=await chats.ensure(Platform.TELEGRAM, "2", RecipientKind.PRIVATE),
    )


async def store_papers(world: World, papers: list[Paper], day: date = date(2025, 4, 28)) -> None:
    await world.papers.ingest([announce(p, day=day) for p in papers], source="test")


async def test_library_entries_per_chat(world: World) -> None:
    await store_papers(world, topic_papers("q", QUANTUM, 3))
    assert await world.library.add(world.chat.id, ["2504.00001", "2504.00002", "2504.00001"], "bibtex") == [
        "2504.00001",
        "2504.00002",
    ]
    assert await world.library.add(world.chat.id, ["2504.00002", "2504.00003"], "ids") == ["2504.00003"]
    await world.library.add(world.other.id, ["2504.00003"], "ris")
    assert await world.library.arxiv_ids(world.chat.id) == ["2504.00001", "2504.00002", "2504.00003"]
    assert await world.library.count(world.chat.id) == 3
    assert await world.library.of_recipients([world.chat.id, world.other.id]) == {
        world.chat.id: ["2504.00001", "2504.00002", "2504.00003"],
        world.other.id: ["2504.00003"],
    }
    await world.chats.forget(world.chat.id)
    assert await world.library.arxiv_ids(world.chat.id) == [], "forgetting a chat forgets its library"


async def test_held_papers_and_release_queue_them(world: World, clock: FakeClock) -> None:
    await store_papers(world, topic_papers("q", QUANTUM, 2))
    assert await world.held.filtering([world.chat.id, world.other.id]) == set()
    await world.held.set_filter(world.chat.id, True)
    assert await world.held.filtering([world.chat.id, world.other.id]) == {world.chat.id}
    first = HeldPaper(world.chat.id, "2504.00001", (3, 4), 0.1)
    assert await world.held.hold([first, HeldPaper(world.chat.id, "2504.00002", (3,), 0.05)]) == 2
    assert await world.held.hold([HeldPaper(world.chat.id, "2504.00001", (9,), 0.9)]) == 0, "held once"
    clock.advance(60)
    held = await world.held.held(world.chat.id)
    assert [(h.arxiv_id, h.subscription_ids, h.score) for h in held] == [
        ("2504.00002", (3,), 0.05),
        ("2504.00001", (3, 4), 0.1),
    ]
    assert await world.held.count_held(world.chat.id) == 2
    released = await world.held.release(world.chat.id, "2504.00001")
    assert released is not None and released.released_at == clock.now()
    assert await world.held.release(world.chat.id, "2504.00001") is None
    assert [h.arxiv_id for h in await world.held.held(world.chat.id)] == ["2504.00002"]
    queued = await world.outbox.claim_for(world.chat.id)
    assert [(d.arxiv_id, d.subscription_ids) for d in queued] == [("2504.00001", (3, 4))]


async def rate_topics(world: World, likes: list[Paper], dislikes: list[Paper]) -> None:
    for paper in likes:
        await world.feedback.rate(world.chat.id, paper.arxiv_id, "u", +1)
    for paper in dislikes:
        await world.feedback.rate(world.chat.id, paper.arxiv_id, "u", -1)


def test_named_authors_leave_out_excluded_ones() -> None:
    root = parse_query('(au:"Ada Lovelace" OR qubit) -au:Turing').root
    assert [" ".join(a.parts) for a in named_authors(root)] == ["ada lovelace"]


async def test_filter_holds_back_only_confident_misses_and_never_a_followed_author(world: World) -> None:
    liked = topic_papers("q", QUANTUM, MIN_PER_CLASS)
    disliked = topic_papers("v", VISION, MIN_PER_CLASS, start=50)
    fresh_vision = topic_papers("v", VISION, 2, start=100)
    by_author = make_paper(
        "2504.00200", title="Segmentation of camera images", abstract=VISION, authors=("Grace Hopper",)
    )
    fresh_quantum = topic_papers("q", QUANTUM, 1, start=300)
    everything = liked + disliked + fresh_vision + [by_author] + fresh_quantum
    await store_papers(world, everything)
    await rate_topics(world, liked, disliked)
    topic = await world.chats.add_subscription(world.chat.id, "cat:cs.LG", "cat:cs.LG", "u", quota=50)
    person = await world.chats.add_subscription(world.chat.id, 'au:"Grace Hopper"', 'au:"grace hopper"', "u", quota=50)
    assert topic is not None and person is not None
    owed = [
        Owed(world.chat.id, p.arxiv_id, PAPER, (topic.id,), world.chat.created_at) for p in fresh_vision + fresh_quantum
    ]
    owed.append(Owed(world.chat.id, by_author.arxiv_id, PAPER, (topic.id, person.id), world.chat.created_at))
    owed.append(Owed(world.other.id, fresh_vision[0].arxiv_id, PAPER, (99,), world.chat.created_at))
    papers = {p.arxiv_id: p for p in everything}
    hold_back = HoldBack(world.held, world.interest, world.chats, threshold=0.2)

    assert await hold_back.keep(owed, papers) == owed, "filter off: everything goes"
    await world.held.set_filter(world.chat.id, True)
    kept = await hold_back.keep(owed, papers)
    held = {h.arxiv_id for h in await world.held.held(world.chat.id)}
    assert held == {p.arxiv_id for p in fresh_vision}
    assert [o.arxiv_id for o in kept] == [fresh_quantum[0].arxiv_id, by_author.arxiv_id, fresh_vision[0].arxiv_id]
    assert kept[-1].recipient_id == world.other.id, "another chat's copy is not held"


async def test_filter_waits_for_a_trained_model(world: World) -> None:
    liked, disliked = topic_papers("q", QUANTUM, 2), topic_papers("v", VISION, 2, start=50)
    fresh = topic_papers("v", VISION, 1, start=100)
    await store_papers(world, liked + disliked + fresh)
    await rate_topics(world, liked, disliked)
    await world.held.set_filter(world.chat.id, True)
    owed = [Owed(world.chat.id, fresh[0].arxiv_id, PAPER, (), world.chat.created_at)]
    hold_back = HoldBack(world.held, world.interest, world.chats, threshold=0.99)
    assert await hold_back.keep(owed, {p.arxiv_id: p for p in fresh}) == owed
    assert await world.held.held(world.chat.id) == []


async def test_dispatch_queues_what_is_not_held_back(world: World, clock: FakeClock) -> None:
    liked = topic_papers("q", QUANTUM, MIN_PER_CLASS)
    disliked = topic_papers("v", VISION, MIN_PER_CLASS, start=50)
    await store_papers(world, liked + disliked, day=date(2025, 4, 25))
    await rate_topics(world, liked, disliked)
    await world.chats.add_subscription(world.chat.id, "cat:cs.LG", "cat:cs.LG", "u", quota=50)
    await world.held.set_filter(world.chat.id, True)
    hold_back = HoldBack(world.held, world.interest, world.chats, threshold=0.2)
    dispatcher = Dispatcher(world.papers, world.chats, world.outbox, clock, hold_back=hold_back)
    await dispatcher.dispatch()  # the first run only sets the cursor
    new_vision, new_quantum = topic_papers("v", VISION, 1, start=100), topic_papers("q", QUANTUM, 1, start=300)
    await store_papers(world, new_vision + new_quantum)
    report = await dispatcher.dispatch()
    assert report.matches == 2 and report.queued == 1
    assert [d.arxiv_id for d in await world.outbox.claim_for(world.chat.id)] == [new_quantum[0].arxiv_id]
    assert [h.arxiv_id for h in await world.held.held(world.chat.id)] == [new_vision[0].arxiv_id]


async def test_papers_close_to_the_library(world: World) -> None:
    old = topic_papers("q", QUANTUM, 2)
    await store_papers(world, old, day=date(2025, 4, 25))
    today_quantum = topic_papers("q", QUANTUM, 3, start=100)
    today_vision = topic_papers("v", VISION, 2, start=200)
    await store_papers(world, today_quantum + today_vision)
    await world.library.add(world.chat.id, [p.arxiv_id for p in old], "bibtex")
    ranking = ChatRanking(
        world.interest,
        world.feedback,
        world.library,
        world.papers,
        world.embeddings,
        library_threshold=0.3,
        library_top=2,
    )
    close = await ranking.close_to_library(world.chat.id, exclude={today_quantum[0].arxiv_id})
    scores = [score for _, score in close]
    assert scores == sorted(scores, reverse=True)
    assert {p.arxiv_id for p, _ in close} <= {p.arxiv_id for p in today_quantum[1:]}
    assert len(close) == 2 and all(score >= 0.3 for _, score in close)
    assert await ranking.close_to_library(world.other.id, exclude=()) == [], "no library, no section"
    owned = [p.arxiv_id for p in old]
    batch = await ranking.for_chats([world.chat.id, world.other.id])
    assert batch.rated == frozenset() and sorted(batch.libraries[world.chat.id]) == sorted(owned)
    assert world.other.id not in batch.libraries
    await world.feedback.rate(world.other.id, old[0].arxiv_id, "u", +1)
    assert (await ranking.for_chats([world.chat.id, world.other.id])).rated == {world.other.id}
    from_batch = await ranking.close_to_library(world.chat.id, exclude={today_quantum[0].arxiv_id}, owned=owned)
    assert from_batch == close
    assert await ranking.interest(world.chat.id, today_quantum) == {}, "no ratings, no interest"
