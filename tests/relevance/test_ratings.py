"""The per-chat interest model: prototype with few ratings, logistic regression with enough."""

from __future__ import annotations

import numpy as np
from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.domain import Paper
from paperbot.relevance.ratings import MIN_PER_CLASS, InterestModels, paper_texts, train_interest_model
from paperbot.relevance.similarity import closeness_to, diverse_sample, stack
from paperbot.store.chats import ChatStore
from paperbot.store.db import session_factory
from paperbot.store.feedback import FeedbackStore
from paperbot.store.models import Platform, RecipientKind
from paperbot.store.papers import PaperStore
from tests.fakes.clock import FakeClock
from tests.fakes.embeddings import WordEmbeddings, word_vector
from tests.fakes.papers import announce, make_paper

QUANTUM = "qubits entanglement superconducting circuits decoherence quantum error correction"
VISION = "images convolutional segmentation pixels cameras detection vision transformer"


def topic_papers(topic: str, words: str, count: int, start: int = 1) -> list[Paper]:
    vocabulary = words.split()
    return [
        make_paper(
            f"2504.{start + n:05d}",
            title=f"On {vocabulary[n % len(vocabulary)]} and {vocabulary[(n + 3) % len(vocabulary)]} ({topic} {n})",
            abstract=" ".join(vocabulary[(n + i) % len(vocabulary)] for i in range(6)),
        )
        for n in range(count)
    ]


def vectors_of(papers: list[Paper]) -> np.ndarray:  # type: ignore[type-arg]
    return stack([word_vector(text) for text in paper_texts(papers)])


def test_no_ratings_no_model() -> None:
    assert train_interest_model(np.zeros((0, 8), dtype=np.float32), [], []) is None


def test_few_ratings_give_a_prototype_that_says_so() -> None:
    liked, disliked = topic_papers("q", QUANTUM, 2), topic_papers("v", VISION, 1, start=50)
    rated = liked + disliked
    model = train_interest_model(vectors_of(rated), paper_texts(rated), [True, True, False])
    assert model is not None and model.kind == "prototype" and not model.trained
    assert f"at least {MIN_PER_CLASS} of each" in model.describe()
    fresh = topic_papers("q", QUANTUM, 1, start=100) + topic_papers("v", VISION, 1, start=200)
    quantum, vision = model.interest(vectors_of(fresh), paper_texts(fresh))
    assert quantum > 0.5 > vision


def test_only_likes_still_rank() -> None:
    liked = topic_papers("q", QUANTUM, 1)
    model = train_interest_model(vectors_of(liked), paper_texts(liked), [True])
    assert model is not None
    fresh = topic_papers("q", QUANTUM, 1, start=100) + topic_papers("v", VISION, 1, start=200)
    quantum, vision = model.interest(vectors_of(fresh), paper_texts(fresh))
    assert quantum > vision


def test_enough_ratings_train_a_balanced_logistic_regression() -> None:
    # Unbalanced on purpose: 12 likes, 4 dislikes. Balancing keeps dislikes from being drowned.
    liked, disliked = topic_papers("q", QUANTUM, 12), topic_papers("v", VISION, MIN_PER_CLASS, start=50)
    rated = liked + disliked
    model = train_interest_model(vectors_of(rated), paper_texts(rated), [True] * 12 + [False] * MIN_PER_CLASS)
    assert model is not None and model.trained
    assert "trained on 12 👍 and 4 👎" in model.describe()
    fresh = topic_papers("q", QUANTUM, 3, start=100) + topic_papers("v", VISION, 3, start=200)
    scores = model.interest(vectors_of(fresh), paper_texts(fresh))
    assert all(s > 0.5 for s in scores[:3]), scores
    assert all(s < 0.5 for s in scores[3:]), scores


def test_closeness_and_diverse_sample() -> None:
    quantum, vision = topic_papers("q", QUANTUM, 4), topic_papers("v", VISION, 4, start=50)
    candidates = {
        p.arxiv_id: word_vector(t) for p, t in zip(quantum + vision, paper_texts(quantum + vision), strict=True)
    }
    library = vectors_of(quantum[:1])
    close = closeness_to(library, candidates)
    assert close[quantum[0].arxiv_id] > 0.99
    assert min(close[p.arxiv_id] for p in quantum) > max(close[p.arxiv_id] for p in vision)
    sample = diverse_sample(candidates, 2)
    topics = {"q" if a in {p.arxiv_id for p in quantum} else "v" for a in sample}
    assert topics == {"q", "v"}, "two picks cover both topics"
    assert diverse_sample(candidates, 20) == list(candidates)


async def test_models_are_cached_per_chat_until_its_ratings_change(engine: AsyncEngine, clock: FakeClock) -> None:
    sessions = session_factory(engine)
    papers = PaperStore(sessions, clock)
    chats = ChatStore(sessions, clock)
    feedback = FeedbackStore(sessions, clock)
    stored = topic_papers("q", QUANTUM, 5) + topic_papers("v", VISION, 5, start=50)
    await papers.ingest([announce(p) for p in stored], source="test")
    ada = await chats.ensure(Platform.CONSOLE, "ada", RecipientKind.PRIVATE)
    bob = await chats.ensure(Platform.CONSOLE, "bob", RecipientKind.PRIVATE)
    models = InterestModels(feedback, papers, WordEmbeddings(papers, clock))

    assert await models.scores(ada.id, stored) is None, "nothing rated yet"
    for paper in stored[:4]:
        await feedback.rate(ada.id, paper.arxiv_id, "u1", +1)
    first = await models.model_for(ada.id)
    assert first is not None and first.kind == "prototype"
    assert await models.model_for(ada.id) is first, "same ratings: the cached model"
    assert await models.model_for(bob.id) is None, "another chat has its own"

    for paper in stored[5:9]:
        await feedback.rate(ada.id, paper.arxiv_id, "u1", -1)
    trained = await models.model_for(ada.id)
    assert trained is not None and trained is not first and trained.trained
    scores = await models.scores(ada.id, stored)
    assert scores is not None
    assert scores.by_id[stored[4].arxiv_id] > 0.5 > scores.by_id[stored[9].arxiv_id]

    await feedback.rate(ada.id, stored[9].arxiv_id, "u2", +1)  # a second person: net 0, left out
    await feedback.rate(ada.id, stored[9].arxiv_id, "u1", -1)
    assert await models.rated(ada.id) == {p.arxiv_id: 1 for p in stored[:4]} | {p.arxiv_id: -1 for p in stored[5:9]}
