"""Topic scores: the embedding half, the lexical half, like:, and matching with them."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from paperbot.domain import Paper
from paperbot.query import parse
from paperbot.query.ast import Like, Topic
from paperbot.relevance.lexical import DocumentFrequencies, LexicalScorer
from paperbot.relevance.topic import CALIBRATIONS, Calibration, TopicScorer, calibration_for, hybrid
from tests.fakes.papers import make_paper
from tests.relevance.concepts import ConceptEmbeddings

JOSEPHSON = make_paper(
    "2504.00001",
    title="Josephson junction arrays at millikelvin",
    abstract="We measure Cooper pair tunnelling in SQUID loops.",
    categories=("cond-mat.supr-con",),
    primary_category="cond-mat.supr-con",
)
KNOTS = make_paper("2504.00002", title="Knots and their homology", abstract="We study knot invariants.")
SPECULATIVE = make_paper(
    "2504.00003",
    title="Speculative decoding for language models",
    abstract="Faster inference of transformer language models with a draft model.",
)
ROBOTS = make_paper("2504.00004", title="Robot navigation", abstract="Planning for a manipulator robot.")
PAPERS = [JOSEPHSON, KNOTS, SPECULATIVE, ROBOTS]
CALIBRATION = Calibration(embedding_weight=0.7, threshold=0.5, like_threshold=0.8)


class StoredPapers:
    """The part of PaperStore the scorer reads the papers named by like: from."""

    def __init__(self, papers: Sequence[Paper]) -> None:
        self.papers = {p.arxiv_id: p for p in papers}
        self.asked: list[str] = []

    async def get_many(self, arxiv_ids: Sequence[str]) -> list[Paper]:
        self.asked += arxiv_ids
        return [self.papers[a] for a in arxiv_ids if a in self.papers]


def scorer(embeddings: ConceptEmbeddings | None = None, stored: Sequence[Paper] = PAPERS) -> TopicScorer:
    return TopicScorer(embeddings or ConceptEmbeddings(), StoredPapers(stored), calibration=CALIBRATION)


async def test_a_paper_close_in_meaning_scores_high_without_sharing_a_word() -> None:
    scores = await scorer().score("superconductivity", PAPERS)
    assert scores[0] >= CALIBRATION.threshold  # Josephson junctions: no word in common
    assert scores[1] == scores[3] == 0.0
    assert scores[0] == pytest.approx(0.7)  # all of it from the embedding half


async def test_the_topic_words_in_the_paper_add_the_lexical_half() -> None:
    text = "speeding up language model inference"
    scores = await scorer().score(text, PAPERS)
    assert scores[2] > 0.7 > scores[0]  # cosine below 1, and the lexical half on top
    alone = await scorer().score("speeding up language model inference", [SPECULATIVE])
    assert alone[0] > CALIBRATION.threshold


def test_lexical_scores_are_coverage_of_the_topic_words_weighted_by_rarity() -> None:
    many = [make_paper(f"2504.{n:05d}", abstract="A model of a model.") for n in range(10, 40)]
    frequencies = DocumentFrequencies.of([*many, SPECULATIVE, KNOTS])
    lexical = LexicalScorer(frequencies)
    both, rare, common, none = lexical.score(
        "speculative model",
        [
            make_paper("2504.00090", title="Speculative model", abstract="x y z"),
            make_paper("2504.00091", title="Speculative paths", abstract="x y z"),
            make_paper("2504.00092", title="Model paths", abstract="x y z"),
            KNOTS,
        ],
    )
    assert 1.0 > both > rare > common > none == 0.0
    assert rare > 3 * common  # "model" is in 31 of 32 papers, "speculative" in one
    assert lexical.score("the of and", [SPECULATIVE]) == [0.0]  # stop words only: no evidence
    assert frequencies.papers == 32
    frequencies.observe([SPECULATIVE])  # seen already: not counted twice
    assert frequencies.papers == 32


def test_hybrid_mixes_and_clips() -> None:
    assert hybrid([0.5, -0.3, 1.2], [1.0, 0.0, 1.0], 0.5) == pytest.approx([0.75, 0.0, 1.0])


async def test_like_scores_closeness_to_the_nearest_named_paper_not_itself() -> None:
    stored = StoredPapers(PAPERS)
    embeddings = ConceptEmbeddings()
    topics = TopicScorer(embeddings, stored, calibration=CALIBRATION)
    fresh = make_paper("2505.00001", title="Superconducting qubits", abstract="Josephson circuits.")
    scores = await topics.score_like(["2504.00001", "2504.00004"], [fresh, KNOTS, JOSEPHSON])
    assert scores[0] == pytest.approx(1.0) and scores[1] == 0.0
    assert scores[2] == 0.0  # the named paper itself is not "like" itself
    assert stored.asked == ["2504.00004"]  # not in the batch nor embedded yet: read, then embedded
    assert await topics.score_like(["9999.99999"], [fresh]) == [0.0]  # unknown: matches nothing


async def test_a_batch_is_scored_for_every_term_each_topic_text_embedded_once() -> None:
    embeddings = ConceptEmbeddings()
    topics = scorer(embeddings)
    terms = [Topic("superconductivity"), Like(("2504.00004",)), Topic("superconductivity")]
    table = await topics.scores_for(terms, PAPERS)
    assert set(table) == {p.arxiv_id for p in PAPERS}
    assert table["2504.00001"].scores == {'~"superconductivity"': pytest.approx(0.7), "like:2504.00004": 0.0}
    assert table["2504.00004"].scores["like:2504.00004"] == 0.0
    assert table["2504.00001"].threshold == CALIBRATION.threshold
    await topics.scores_for(terms, [KNOTS])
    assert embeddings.embedded_texts == ["superconductivity"]  # remembered across batches


async def test_search_matches_topic_terms_with_the_rest_of_the_language() -> None:
    found = await scorer().search('~"superconductivity" OR robot', PAPERS)
    assert [p.arxiv_id for p, _ in found] == ["2504.00001", "2504.00004"]
    josephson, robot = (m for _, m in found)
    assert josephson.explain() == "close in meaning to 'superconductivity' (0.70)"
    assert josephson.topic_score == pytest.approx(0.7) and robot.topic_score is None
    assert [p.arxiv_id for p, _ in await scorer().search('~"superconductivity" -squid', PAPERS)] == []
    assert [p.arxiv_id for p, _ in await scorer().search(parse("knot*"), PAPERS)] == ["2504.00002"]


def test_every_real_backend_has_a_calibration_and_thresholds_are_in_range() -> None:
    assert calibration_for("minilm") is CALIBRATIONS["minilm"]
    assert calibration_for("something new") is CALIBRATIONS["tfidf"]
    for calibration in CALIBRATIONS.values():
        assert 0 < calibration.embedding_weight <= 1
        assert 0 < calibration.threshold < 1 and 0 < calibration.like_threshold < 1
