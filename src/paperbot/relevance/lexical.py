"""How much of a topic's wording a paper uses: BM25, scaled to 0..1.

The lexical half of a topic term's score (``topic.TopicScorer`` adds the embedding
half). A topic is a handful of words, so the question is which of them a paper uses
and how rare they are: each of the topic's content words (stop words dropped, plurals
folded as the query language folds them) counts with its BM25 weight, term frequency
saturating and long abstracts damped; the sum is divided by what a paper using every
word often would get, so 1 means "uses all of the topic's words, and the rare ones
often" and 0 "none of them". Title words count twice: a title is a summary.

Document frequencies come from the papers seen (``DocumentFrequencies``); until enough
are seen, every word weighs nearly the same, which is still a fair coverage score.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

from paperbot.domain import Paper
from paperbot.query.text import normalise, plural_keys, split_words
from paperbot.query.topics import STOP_WORDS, content_words

K1 = 1.2
"""Term frequency saturation: the third mention of a word adds little."""
B = 0.75
"""Length normalisation: a long abstract mentions everything once."""
TITLE_WEIGHT = 2
MAX_REMEMBERED = 200_000
"""Papers whose words ``DocumentFrequencies`` counts before it starts over (a long-running bot)."""


def paper_keys(paper: Paper) -> list[str]:
    """The folded words of a paper that count, the title's ``TITLE_WEIGHT`` times."""
    title = plural_keys(split_words(normalise(paper.title)))
    abstract = plural_keys(split_words(normalise(paper.abstract)))
    return [key for key in title * TITLE_WEIGHT + abstract if key not in STOP_WORDS]


class DocumentFrequencies:
    """In how many of the papers seen each word occurs, each paper counted once."""

    def __init__(self) -> None:
        self.papers = 0
        self.total_length = 0
        self._counts: Counter[str] = Counter()
        self._seen: set[str] = set()

    def _start_over(self) -> None:
        self.papers = 0
        self.total_length = 0
        self._counts.clear()
        self._seen.clear()

    @classmethod
    def of(cls, papers: Iterable[Paper]) -> DocumentFrequencies:
        frequencies = cls()
        frequencies.observe(papers)
        return frequencies

    def observe(self, papers: Iterable[Paper]) -> None:
        for paper in papers:
            if paper.arxiv_id in self._seen:
                continue
            if len(self._seen) >= MAX_REMEMBERED:
                self._start_over()  # rather than grow without end
            self._seen.add(paper.arxiv_id)
            keys = paper_keys(paper)
            self.papers += 1
            self.total_length += len(keys)
            self._counts.update(set(keys))

    @property
    def average_length(self) -> float:
        return self.total_length / self.papers if self.papers else 150.0

    def idf(self, key: str) -> float:
        """BM25's IDF, floored above zero so that a word in every paper still counts a little."""
        found = self._counts.get(key, 0)
        return max(0.05, math.log(1.0 + (self.papers - found + 0.5) / (found + 0.5)))


class LexicalScorer:
    """Scores papers against a topic's words; see the module docstring."""

    def __init__(self, frequencies: DocumentFrequencies) -> None:
        self.frequencies = frequencies

    def score(self, text: str, papers: Sequence[Paper]) -> list[float]:
        """One score in 0..1 per paper, in order."""
        words = content_words(text)
        if not words:
            return [0.0] * len(papers)
        weights = {word: self.frequencies.idf(word) for word in words}
        best = sum(weights.values())
        average = self.frequencies.average_length
        scores = []
        for paper in papers:
            keys = paper_keys(paper)
            counts = Counter(keys)
            damp = K1 * (1.0 - B + B * len(keys) / average)
            total = 0.0
            for word, weight in weights.items():
                tf = counts.get(word, 0)
                if tf:
                    # BM25's term part, divided by its limit (K1 + 1) so it stays below 1.
                    total += weight * tf / (tf + damp)
            scores.append(total / best)
        return scores
