"""The subscription index: the same answers as matching every query, kept up to date."""

from __future__ import annotations

import pytest

from paperbot.domain import Paper
from paperbot.query import QueryError, SubscriptionIndex, TermStats, analyse, match, parse

from .test_matcher import DIFFUSION, STATISTICS, paper


def naive(subscriptions: dict[int, str], target: Paper) -> dict[int, object]:
    doc = analyse(target)
    return {sub: found for sub, query in subscriptions.items() if (found := match(query, doc)) is not None}


SUBSCRIPTIONS = {
    1: "efficient diffusion models",
    2: "inference",
    3: "interference",
    4: "state-space",
    5: "statespace",
    6: "NOT survey",
    7: "cat:cs.LG",
    8: "cat:stat -diffusion",
    9: 'au:"Yang Hua"',
    10: "has:code",
    11: "quantiz* OR transformers*",
    12: "ti:schr*",
    13: "co:icml",
    14: "abs:inference",
    15: "(quantum OR efficient) (survey OR bridges)",
    16: "efficient diffusion models",  # same query, another subscriber
    17: '"time operator" -cat:math',
    18: "au:hua",
    19: "cat:math.IT",
    20: "NOT (cat:cs OR cat:stat)",
}


@pytest.fixture
def index() -> SubscriptionIndex[int]:
    built: SubscriptionIndex[int] = SubscriptionIndex()
    for sub, query in SUBSCRIPTIONS.items():
        built.add(sub, query)
    return built


def test_index_answers_like_the_naive_loop(index):
    for target in (DIFFUSION, STATISTICS, paper(title="A survey", categories=("quant-ph",))):
        assert dict(index.match(target)) == naive(SUBSCRIPTIONS, target)


def test_compacting_keeps_the_answers_and_the_shared_matches(index):
    targets = (DIFFUSION, STATISTICS)
    before = [dict(index.match(target)) for target in targets]
    index.compact()
    assert [dict(index.match(target)) for target in targets] == before
    found = dict(index.match(DIFFUSION))
    assert found[1] is found[16]
    assert index.query_of(1) == parse(SUBSCRIPTIONS[1])
    assert index.remove(16) and index.remove(1)
    index.add(21, "efficient diffusion models")
    assert sorted(sub for sub in dict(index.match(DIFFUSION)) if sub in (1, 16, 21)) == [21]


def test_changes_after_matching_are_seen_by_the_next_match(index):
    # Matching remembers which queries the paper's words lead to; changes must not
    # be answered from that memory.
    subscriptions = dict(SUBSCRIPTIONS)
    assert dict(index.match(DIFFUSION)) == naive(subscriptions, DIFFUSION)
    for sub, query in ((30, "models"), (31, "diffus*"), (32, "abs:efficient"), (33, "ti:bridg*")):
        index.add(sub, query)
        subscriptions[sub] = query
        assert dict(index.match(DIFFUSION)) == naive(subscriptions, DIFFUSION)
    for sub in (2, 11, 12, 30, 31):
        index.remove(sub)
        del subscriptions[sub]
        assert dict(index.match(DIFFUSION)) == naive(subscriptions, DIFFUSION)
    index.compact()
    assert dict(index.match(DIFFUSION)) == naive(subscriptions, DIFFUSION)


def test_many_adds_compact_by_themselves(monkeypatch):
    built: SubscriptionIndex[int] = SubscriptionIndex()
    for sub in range(1_500):
        built.add(sub, f"cat:cs.LG word{sub}" if sub % 2 else f"word{sub} OR inference")
    compactions: list[None] = []
    compact = built.compact
    monkeypatch.setattr(built, "compact", lambda: compactions.append(compact()))
    expected = set(range(0, 1_500, 2))
    assert set(dict(built.match(DIFFUSION))) == expected
    assert set(dict(built.match(DIFFUSION))) == expected
    assert len(compactions) == 1, "the first match after many adds compacts, the next does not"


def test_index_finds_the_expected_subscriptions(index):
    assert sorted(sub for sub, _ in index.match(DIFFUSION)) == [
        1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19,
    ]  # fmt: skip
    assert 17 not in dict(index.match(DIFFUSION)), "math.IT is in cat:math, which it excludes"
    assert sorted(sub for sub, _ in index.match(STATISTICS)) == [2, 3, 6, 8, 14]


def test_identical_queries_are_filed_once_and_share_a_match(index):
    assert index.size().distinct_queries == len(SUBSCRIPTIONS) - 1
    found = dict(index.match(DIFFUSION))
    assert found[1] is found[16]


def test_queries_without_required_terms_are_verified_on_every_paper(index):
    assert index.size().always_verified == 2  # NOT survey, NOT (cat:cs OR cat:stat)
    lone = paper(title="Lattice gauge theory", categories=("hep-lat",))
    assert sorted(sub for sub, _ in index.match(lone)) == [6, 20]


def test_add_replaces_and_remove_forgets_without_rebuilding(index):
    index.add(3, "bridges")
    assert 3 in dict(index.match(DIFFUSION))
    assert index.query_of(3) == parse("bridges")
    assert index.remove(3)
    assert not index.remove(3)
    assert 3 not in index
    assert 3 not in dict(index.match(DIFFUSION))
    index.remove(1)
    assert 16 in dict(index.match(DIFFUSION)), "the other subscriber keeps the shared query"
    index.remove(16)
    # 19 distinct queries at first; "interference" and the shared query are gone.
    assert index.size().distinct_queries == 17
    for sub in list(index):
        index.remove(sub)
    assert len(index) == 0
    assert index.size().keys == 0
    assert index.match(DIFFUSION) == []


def test_a_bad_query_changes_nothing(index):
    with pytest.raises(QueryError):
        index.add(1, 'unclosed "quote')
    assert index.query_of(1) == parse("efficient diffusion models")


def test_any_hashable_id_works():
    index: SubscriptionIndex[tuple[str, int]] = SubscriptionIndex()
    index.add(("chat-1", 1), "diffusion")
    assert [sub for sub, _ in index.match(DIFFUSION)] == [("chat-1", 1)]


def test_candidates_are_few_and_include_every_match(index):
    doc = analyse(STATISTICS)
    candidates = index.candidates(doc)
    assert len(candidates) < len(SUBSCRIPTIONS) - 1
    matched = {index.query_of(sub) for sub, _ in index.match(doc)}
    assert matched <= set(candidates)


def test_statistics_choose_rarer_keys_with_the_same_answers(papers):
    stats = TermStats.from_docs(analyse(p) for p in papers[::3])
    queries = {
        1: "quantum channel",
        2: '"channel capacity" codes',
        3: "learning cat:cs",
        4: "algorithm* graph",
        5: 'au:"Y. Zhang" OR au:chen',
    }
    plain: SubscriptionIndex[int] = SubscriptionIndex()
    informed: SubscriptionIndex[int] = SubscriptionIndex(stats)
    for sub, query in queries.items():
        plain.add(sub, query)
        informed.add(sub, query)
    reached_plain = reached_informed = 0
    for target in papers[::5]:
        doc = analyse(target)
        assert dict(plain.match(doc)) == dict(informed.match(doc)) == naive(queries, target)
        reached_plain += len(plain.candidates(doc))
        reached_informed += len(informed.candidates(doc))
    assert reached_informed <= reached_plain
    assert stats.share(("any", "quantum")) > stats.share(("any", "capacity"))
    assert stats.prefix_share("algorithm") >= stats.share(("any", "algorithm"))
