"""Property tests over real papers: the index equals the naive loop, always.

Queries are random but built from the words, phrases, authors and categories of the
recorded arXiv papers, so that they do match some of them; every construct of the
language appears (fields, phrases, hyphens, prefixes, OR, NOT, parentheses, au:, cat:,
has:code). The naive loop is the reference matcher (``match``) run on every query.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperbot import taxonomy
from paperbot.domain import Paper
from paperbot.query import PaperDoc, SubscriptionIndex, TermStats, analyse, match, parse
from paperbot.query.compile import compile_node
from paperbot.query.text import normalise, split_words

from .conftest import real_papers

SETTINGS = settings(
    max_examples=int(__import__("os").environ.get("QUERY_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Corpus:
    docs: tuple[PaperDoc, ...]
    words: tuple[str, ...]
    phrases: tuple[str, ...]
    surnames: tuple[str, ...]
    names: tuple[str, ...]
    categories: tuple[str, ...]


@cache
def corpus() -> Corpus:
    papers: list[Paper] = real_papers()[::25]
    # One paper with code links, so that has:code can match too.
    papers.append(
        Paper(
            arxiv_id="2601.00001",
            version=1,
            title="Efficient quantum channel codes with released code",
            authors=("Y. Zhang", "Jakob Günther"),
            abstract="We release state-space decoders; see the repository.",
            primary_category="cs.IT",
            categories=("cs.IT", "math.IT", "quant-ph"),
            comment="Accepted at ISIT 2025",
            code_links=("https://github.com/example/codes",),
        )
    )
    words: set[str] = set()
    phrases: set[str] = set()
    for paper in papers:
        title = split_words(normalise(paper.title))
        words.update(w for w in title if len(w) > 2)
        words.update(w for w in split_words(normalise(paper.abstract))[:40] if len(w) > 3)
        phrases.update(f"{a} {b}" for a, b in itertools.pairwise(title) if len(a) > 2 and len(b) > 2)
        phrases.update(" ".join(title[i : i + 3]) for i in range(0, len(title) - 2, 3))
    names = [name for paper in papers for name in paper.authors if re.fullmatch(r"[\w.' -]+", name)]
    known = {c for p in papers for c in p.categories if taxonomy.is_known(c)}
    known |= {taxonomy.archive_of(c) for c in known}
    return Corpus(
        docs=tuple(analyse(p) for p in papers),
        words=tuple(sorted(w for w in words if w not in ("and", "or", "not"))),
        phrases=tuple(sorted(phrases)),
        # A full part: "R." alone is an initial, which au: rejects.
        surnames=tuple(sorted({n.split()[-1] for n in names if len(n.split()[-1].rstrip(".")) > 1})),
        names=tuple(sorted(set(names))),
        categories=tuple(sorted(known)),
    )


def _field(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["", "", "", "ti:", "abs:", "co:"]))


@st.composite
def leaf(draw: st.DrawFn) -> str:
    c = corpus()
    kind = draw(st.sampled_from(["word", "word", "word", "phrase", "phrase", "hyphen", "prefix", "au", "cat", "code"]))
    if kind == "word":
        word = draw(st.sampled_from(c.words))
        return _field(draw) + (word.upper() if draw(st.booleans()) else word)
    if kind == "phrase":
        phrase = draw(st.sampled_from(c.phrases))
        if draw(st.booleans()):
            # A real phrase made longer by a common word: the index files it under the
            # phrase's own pair, which papers have without the word after it.
            phrase = f"{phrase} {draw(st.sampled_from(['of', 'the', 'in', 'for', 'and', 'with']))}"
        return f'{_field(draw)}"{phrase}"'
    if kind == "hyphen":
        return _field(draw) + draw(st.sampled_from(c.phrases)).replace(" ", "-")
    if kind == "prefix":
        word = draw(st.sampled_from([w for w in c.words if len(w) >= 4]))
        return f"{_field(draw)}{word[: draw(st.integers(3, len(word)))]}*"
    if kind == "au":
        if draw(st.booleans()):
            return f"au:{draw(st.sampled_from(c.surnames))}"
        return f'au:"{draw(st.sampled_from(c.names))}"'
    if kind == "cat":
        return f"cat:{draw(st.sampled_from(c.categories))}"
    return "has:code"


def combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.lists(children, min_size=2, max_size=3)
    return st.one_of(
        pair.map(" ".join),
        pair.map(" AND ".join),
        pair.map(" OR ".join),
        children.map(lambda q: f"NOT {q}"),
        children.map(lambda q: f"-({q})"),
        children.map(lambda q: f"({q})"),
    )


queries = st.recursive(leaf(), combine, max_leaves=8)


def naive(subscriptions: dict[int, str], doc: PaperDoc) -> dict[int, object]:
    return {sub: found for sub, query in subscriptions.items() if (found := match(query, doc)) is not None}


@SETTINGS
@given(st.lists(queries, min_size=1, max_size=12))
def test_index_equals_the_naive_loop(texts):
    subscriptions = {sub: str(parse(text)) for sub, text in enumerate(texts)}
    index: SubscriptionIndex[int] = SubscriptionIndex()
    for sub, query in subscriptions.items():
        index.add(sub, query)
    # Every paper, so that the paper a phrase was taken from is always among them.
    for doc in corpus().docs:
        assert dict(index.match(doc)) == naive(subscriptions, doc)


@SETTINGS
@given(
    st.lists(queries, min_size=1, max_size=8),
    st.lists(st.tuples(st.booleans(), st.integers(0, 11), queries), max_size=15),
    st.booleans(),
    st.integers(-1, 15),
)
def test_index_equals_the_naive_loop_after_adds_and_removes(initial, changes, with_stats, compact_after):
    c = corpus()
    stats = TermStats.from_docs(c.docs[::2]) if with_stats else None
    index: SubscriptionIndex[int] = SubscriptionIndex(stats)
    subscriptions: dict[int, str] = {}
    for sub, text in enumerate(initial):
        index.add(sub, text)
        subscriptions[sub] = text
    for step, (remove, sub, text) in enumerate(changes):
        if step == compact_after:
            index.compact()  # changes after a compaction find the entries it moved
        if remove:
            assert index.remove(sub) == (sub in subscriptions)
            subscriptions.pop(sub, None)
        else:
            index.add(sub, text)
            subscriptions[sub] = text
    assert len(index) == len(subscriptions)
    for doc in c.docs:
        assert dict(index.match(doc)) == naive(subscriptions, doc)


@SETTINGS
@given(queries)
def test_canonical_form_round_trips(text):
    query = parse(text)
    assert parse(str(query)) == query
    assert str(parse(str(query))) == str(query)


@SETTINGS
@given(queries)
def test_compiled_test_equals_the_reference(text):
    query = parse(text)
    test = compile_node(query.root)
    for doc in corpus().docs:
        assert test(doc) == (match(query, doc) is not None)


def test_the_generated_queries_do_match_real_papers():
    """Guards the properties above against vacuity: most queries must hit something."""
    c = corpus()
    hits = 0
    for word in c.words[::50]:
        hits += any(match(word, doc) is not None for doc in c.docs)
    assert hits >= len(c.words[::50]) * 0.9
