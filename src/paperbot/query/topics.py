"""Similarities of one paper to topic terms, computed before matching.

A topic term (``~"free text"``, ``like:ID``) matches by meaning, which no word test
can tell: the caller (the dispatcher, /search, /preview) scores each paper against
each distinct topic term first (``relevance.topic.TopicScorer``), usually a batch at a
time with one matrix product, and hands the scores in with the paper
(``analyse(paper, topics=...)``). Matching then only compares a score with its
threshold, which keeps the matcher pure and fast.

Matching a query with topic terms against a paper analysed without scores raises
``TopicScoresMissing`` (a ``QueryError``, so code that shows query errors shows it):
answering "no match" instead would silently drop papers.
"""

from __future__ import annotations

from collections.abc import Mapping

from paperbot.query.ast import Like, Topic, TopicLeaf
from paperbot.query.canonical import canonical
from paperbot.query.errors import QueryError
from paperbot.query.text import normalise, plural_keys, split_words

STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having here how i if in into is it its itself just
    me more most my no nor not now of off on once only or other our out over own same so
    some such than that the their them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with
    would you your via using use used based new towards toward paper papers work works
    approach approaches method methods study studies result results show shows
    """.split()  # noqa: SIM905 - a word list reads better as text
)
"""Words that say nothing about a topic: neither highlighted nor weighed as evidence."""


def content_words(text: str) -> list[str]:
    """The plural keys of a text's words that carry meaning, in order, without repeats."""
    keys = plural_keys(split_words(normalise(text)))
    return list(dict.fromkeys(key for key in keys if key not in STOP_WORDS and len(key) > 1))


class TopicScoresMissing(QueryError):
    """A topic term met a paper that was not scored against it."""


def term_key(leaf: TopicLeaf) -> str:
    """How scores are keyed: the term's canonical text (``~"fast inference"``, ``like:2411.17712``)."""
    return canonical(leaf)


class TopicScores:
    """One paper's score (0..1) for each topic term, and the thresholds they pass at.

    ``threshold`` applies to ``~"..."`` terms, ``like_threshold`` to ``like:`` terms
    (paper-to-paper similarities run higher than text-to-paper ones).
    """

    __slots__ = ("like_threshold", "scores", "threshold")

    def __init__(self, scores: Mapping[str, float], threshold: float, like_threshold: float) -> None:
        self.scores = scores
        self.threshold = threshold
        self.like_threshold = like_threshold

    def score(self, leaf: TopicLeaf) -> float:
        key = term_key(leaf)
        found = self.scores.get(key)
        if found is None:
            raise TopicScoresMissing(f"the paper was not scored against {key}; score it with the query's topic terms")
        return found

    def close(self, leaf: TopicLeaf) -> bool:
        """Whether the paper is close enough to the term to match it."""
        return self.score(leaf) >= (self.like_threshold if isinstance(leaf, Like) else self.threshold)


def missing(leaf: TopicLeaf) -> TopicScoresMissing:
    """The error for a paper analysed without any scores."""
    what = "close in meaning to a text" if isinstance(leaf, Topic) else "close to other papers"
    return TopicScoresMissing(
        f"{term_key(leaf)} matches papers {what}, which needs their similarity computed first "
        "(relevance.topic.TopicScorer); this paper was analysed without it"
    )
