"""Topic terms in the query language: ``~"free text"`` and ``like:ID``.

Matching them needs a similarity per (term, paper), computed before matching and handed
in with the paper (``analyse(paper, topics=TopicScores(...))``). Here the scores are a
fixed pseudo-random function of the paper and the term, so the properties (index equals
the naive loop, compiled test equals the reference, canonical form round-trips) are
checked with topic terms mixed into every construct of the language.
"""

from __future__ import annotations

import zlib
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperbot.domain import Paper
from paperbot.query import PaperDoc, QueryError, SubscriptionIndex, analyse, match, parse
from paperbot.query.ast import Like, Topic, topic_leaves
from paperbot.query.compile import compile_node
from paperbot.query.topics import TopicScores, TopicScoresMissing, term_key

from .test_properties import SETTINGS, combine, corpus, leaf

TOPICS = ("speeding up language model inference", "error correcting codes", "robot motion planning")
LIKED = ("0704.0002", "1404.1234,0704.0010", "quant-ph/9910087")
THRESHOLD = 0.7
LIKE_THRESHOLD = 0.8


def fake_score(arxiv_id: str, term: str) -> float:
    """A fixed score in [0, 1) per (paper, term), different for every pair."""
    return (zlib.crc32(f"{arxiv_id}|{term}".encode()) % 1000) / 1000


def all_terms() -> list[str]:
    return [f'~"{text}"' for text in TOPICS] + [str(parse(f"like:{ids}")) for ids in LIKED]


@cache
def scored_docs() -> tuple[PaperDoc, ...]:
    docs = []
    for doc in corpus().docs:
        scores = {term: fake_score(doc.paper.arxiv_id, term) for term in all_terms()}
        docs.append(analyse(doc.paper, TopicScores(scores, THRESHOLD, LIKE_THRESHOLD)))
    return tuple(docs)


@st.composite
def topic_leaf(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        text = draw(st.sampled_from(TOPICS))
        return f'~"{text.upper() if draw(st.booleans()) else text}"'
    return f"like:{draw(st.sampled_from(LIKED))}"


mixed_queries = st.recursive(st.one_of(leaf(), topic_leaf(), topic_leaf()), combine, max_leaves=6)


def test_generated_topic_terms_are_all_scored():
    for text in TOPICS:
        assert term_key(Topic(text)) in all_terms()
    for ids in LIKED:
        (like,) = topic_leaves(parse(f"like:{ids}").root)
        assert term_key(like) in all_terms()


@SETTINGS
@given(st.lists(mixed_queries, min_size=1, max_size=10))
def test_index_with_topic_terms_equals_the_naive_loop(texts):
    subscriptions = {sub: str(parse(text)) for sub, text in enumerate(texts)}
    index: SubscriptionIndex[int] = SubscriptionIndex()
    for sub, query in subscriptions.items():
        index.add(sub, query)
    for doc in scored_docs():
        naive = {sub: found for sub, q in subscriptions.items() if (found := match(q, doc)) is not None}
        assert dict(index.match(doc)) == naive


@SETTINGS
@given(mixed_queries)
def test_compiled_topic_test_equals_the_reference(text):
    query = parse(text)
    test = compile_node(query.root)
    for doc in scored_docs():
        assert test(doc) == (match(query, doc) is not None)


@SETTINGS
@given(mixed_queries)
def test_canonical_form_with_topic_terms_round_trips(text):
    query = parse(text)
    assert parse(str(query)) == query
    assert str(parse(str(query))) == str(query)


def test_topic_terms_parse_to_their_canonical_form():
    assert str(parse('~"Speeding  up LLM  Inference" cat:cs')) == '~"speeding up llm inference" cat:cs'
    assert str(parse("~inference")) == '~"inference"'
    assert str(parse("like:2411.17712v2,2405.01234")) == "like:2405.01234,2411.17712"
    assert str(parse("like:2411.17712 like:hep-th/9901001")) == "like:2411.17712 like:hep-th/9901001"
    assert parse("like:2405.01234,2411.17712") == parse("like:2411.17712,2405.01234,2411.17712")
    assert str(parse('-~"survey of surveys" OR ~x')) == 'NOT ~"survey of surveys" OR ~"x"'
    assert parse('~"a" b').root.children[0] == Topic("a")  # type: ignore[union-attr]
    assert parse("like:0704.0002").root == Like(("0704.0002",))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("~ x", "'~' at column 1 must be followed directly by the topic"),
        ("a ~", "'~' at column 3 must be followed directly by the topic"),
        ("~(a b)", "'~' at column 1 must be followed directly by the topic"),
        ('~"!!"', "the topic at column 1 has no letters or digits"),
        ('ti:~"x"', "~ at column 4 follows ti:; a topic is matched by meaning over the whole paper"),
        ("ti:(a ~b)", "~ at column 7 is inside ti:"),
        ("like:foo", "like: at column 6 takes arXiv ids, as in like:2411.17712"),
        ("like:", "like: at column 1 has no value; write like:2411.17712"),
        ("similar:2411.17712", "did you mean like:?"),
        ("like:" + ",".join(f"2411.{n:05d}" for n in range(11)), "the limit is 10"),
    ],
)
def test_topic_term_errors_say_where_and_how_to_fix(text, message):
    with pytest.raises(QueryError) as caught:
        parse(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


PAPER = Paper(
    arxiv_id="2411.17712",
    version=1,
    title="Speculative decoding makes language models faster",
    authors=("A. Author",),
    abstract="We speed up inference of large language models with a small draft model.",
    primary_category="cs.CL",
    categories=("cs.CL", "cs.LG"),
)
FAST = '~"speeding up language model inference"'


def test_a_topic_term_without_scores_is_a_clear_error_not_a_silent_miss():
    with pytest.raises(TopicScoresMissing, match="needs their similarity computed first"):
        match(f"{FAST} cat:cs", PAPER)
    with pytest.raises(TopicScoresMissing):
        compile_node(parse(FAST).root)(analyse(PAPER))
    # Scores for other terms do not stand in for a missing one.
    other = TopicScores({'~"robots"': 0.9}, THRESHOLD, LIKE_THRESHOLD)
    with pytest.raises(TopicScoresMissing, match="was not scored against"):
        match(FAST, analyse(PAPER, other))
    # Queries without topic terms do not need scores.
    assert match("speculative", PAPER) is not None


def test_a_topic_term_matches_at_its_threshold_and_explains_how_close():
    close = analyse(PAPER, TopicScores({FAST: 0.62, "like:2405.01234": 0.85}, 0.6, 0.8))
    found = match(f"{FAST} cat:cs", close)
    assert found is not None
    assert found.explain() == "cat:cs (categories); close in meaning to 'speeding up language model inference' (0.62)"
    assert found.topic_score == pytest.approx(0.62)
    # The words the paper shares with the topic are highlighted, stop words are not.
    assert found.highlight("title") == "Speculative decoding makes <b>language</b> <b>models</b> faster"
    assert "<b>inference</b> of large <b>language</b> <b>models</b>" in found.highlight("abstract")
    assert "language" in found.words and "up" not in found.words
    liked = match("like:2405.01234", close)
    assert liked is not None and liked.explain() == "close to 2405.01234 (0.85)"
    assert liked.highlight("title") == PAPER.title
    far = analyse(PAPER, TopicScores({FAST: 0.59, "like:2405.01234": 0.79}, 0.6, 0.8))
    assert match(FAST, far) is None and match("like:2405.01234", far) is None
    assert match(f"NOT {FAST}", far) is not None
    assert match("speculative", far) is not None and match("speculative", far).topic_score is None  # type: ignore[union-attr]


def test_the_index_files_topic_only_queries_for_every_paper_and_lists_their_terms():
    index: SubscriptionIndex[int] = SubscriptionIndex()
    index.add(1, FAST)
    index.add(2, f"{FAST} cat:cs.CL")
    index.add(3, "like:2405.01234 OR speculative")
    index.add(4, "speculative")
    size = index.size()
    assert size.topical == 3
    assert size.always_verified == 2  # the topic-only query and the OR with a topic branch
    assert {term_key(t) for t in index.topic_terms()} == {FAST, "like:2405.01234"}
    doc = analyse(PAPER, TopicScores({FAST: 0.7, "like:2405.01234": 0.1}, 0.6, 0.8))
    assert sorted(sub for sub, _ in index.match(doc)) == [1, 2, 3, 4]
    index.remove(1)
    index.remove(2)
    assert [term_key(t) for t in index.topic_terms()] == ["like:2405.01234"]
    index.remove(3)
    assert index.topic_terms() == [] and index.size().topical == 0
