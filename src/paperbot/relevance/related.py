"""Related terms: what the papers closest to a subscription say that its query does not.

After /subscribe, the bot looks at the stored papers closest in meaning to the new query
and offers the words and phrases many of them share and the query lacks ("Papers like
these also say: gaussian splatting, novel view synthesis, 3dgs"); a button adds one to
the subscription with OR (``broaden``).

A term is a run of one to three consecutive words inside a clause (punctuation and stop
words end a run), compared plural-folded as the query language compares words. It is
worth offering when a good share of the close papers use it and papers in general
rarely do: ranked by ``share * log(share / background share)``, the information a term
carries about the close papers (a term every paper uses carries none); a longer term
goes first on a tie, so "novel view synthesis" is offered rather than "view". A term whose
words the query has already, or that is part of or contains a term already chosen, is
skipped, so the few offered say different things.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from paperbot.domain import Paper
from paperbot.query import Query, parse
from paperbot.query.ast import And, Node, Not, Or, Phrase, Prefix, Topic, Word, leaves
from paperbot.query.canonical import canonical
from paperbot.query.presearch import COMMON_WORDS
from paperbot.query.text import normalise, plural_key, split_words
from paperbot.query.topics import STOP_WORDS, content_words

MAX_WORDS = 3
MIN_PAPERS = 2
"""Close papers that must use a term (besides ``MIN_SHARE`` of them)."""
MIN_SHARE = 0.2
MIN_LIFT = 3.0
"""How much more often the close papers use a term than papers in general."""

_CLAUSE = re.compile(r"[.,;:!?()\[\]{}\"'`]+|\s[-\u2013\u2014]+\s")
# Words that make a poor term alone, though they are fine inside a phrase.
_WEAK_ALONE = COMMON_WORDS | frozenset(
    "problem problems model models method methods result results system systems paper approach".split()  # noqa: SIM905
)


@dataclass(frozen=True, slots=True)
class RelatedTerm:
    text: str
    """As most close papers write it (folded to lower case): ``gaussian splatting``."""
    papers: int
    """How many of the close papers use it."""
    score: float


def _runs(text: str) -> Iterable[list[str]]:
    """Runs of consecutive content words (folded, before plural folding)."""
    for clause in _CLAUSE.split(normalise(text)):
        run: list[str] = []
        for word in split_words(clause):
            if word in STOP_WORDS or word.isdigit():
                if run:
                    yield run
                run = []
            else:
                run.append(word)
        if run:
            yield run


def paper_terms(paper: Paper) -> dict[tuple[str, ...], str]:
    """Every candidate term of a paper: plural keys → the words as written."""
    found: dict[tuple[str, ...], str] = {}
    for run in _runs(f"{paper.title}. {paper.abstract}"):
        keys = [plural_key(word) for word in run]
        for size in range(1, MAX_WORDS + 1):
            for start in range(len(run) - size + 1):
                key = tuple(keys[start : start + size])
                if size == 1 and (key[0] in _WEAK_ALONE or len(key[0]) < 3):
                    continue
                found.setdefault(key, " ".join(run[start : start + size]))
    return found


def query_words(root: Node) -> set[str]:
    """The plural keys the query already asks for (its words, phrases, prefixes, topics)."""
    found: set[str] = set()
    for leaf in leaves(root):
        if isinstance(leaf, Word | Prefix):
            found.add(plural_key(leaf.text))
        elif isinstance(leaf, Phrase):
            found.update(plural_key(word) for word in leaf.words)
        elif isinstance(leaf, Topic):
            found.update(content_words(leaf.text))
    return found


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    size = len(shorter)
    return any(longer[i : i + size] == shorter for i in range(len(longer) - size + 1))


def related_terms(
    query: Query, close: Sequence[Paper], background: Sequence[Paper], *, limit: int = 3
) -> list[RelatedTerm]:
    """Up to ``limit`` terms the ``close`` papers share and the query lacks, best first.

    ``background``: papers in general (e.g. the recently announced ones), for how
    common a term is anyway; the close papers among them are left out of that count.
    """
    if not close:
        return []
    asked = query_words(query.root)
    counts: Counter[tuple[str, ...]] = Counter()
    shown: dict[tuple[str, ...], Counter[str]] = {}
    for paper in close:
        for key, written in paper_terms(paper).items():
            if set(key) <= asked:
                continue
            counts[key] += 1
            shown.setdefault(key, Counter())[written] += 1
    needed = max(MIN_PAPERS, math.ceil(MIN_SHARE * len(close)))
    candidates = {key: count for key, count in counts.items() if count >= needed}
    if not candidates:
        return []
    close_ids = {paper.arxiv_id for paper in close}
    others = [paper for paper in background if paper.arxiv_id not in close_ids]
    common: Counter[tuple[str, ...]] = Counter()
    for paper in others:
        common.update(key for key in paper_terms(paper) if key in candidates)
    scored: list[tuple[float, tuple[str, ...]]] = []
    for key, count in candidates.items():
        share = count / len(close)
        base = (common[key] + 0.5) / (len(others) + 1)
        if share >= MIN_LIFT * base:
            scored.append((share * math.log(share / base), key))
    chosen: list[RelatedTerm] = []
    taken: list[tuple[str, ...]] = []
    # On a tie the longer term first: the phrase its words come in says more than they do alone.
    for score, key in sorted(scored, key=lambda item: (-item[0], -len(item[1]), item[1])):
        if any(_contains(key, other) or _contains(other, key) for other in taken):
            continue
        taken.append(key)
        chosen.append(RelatedTerm(shown[key].most_common(1)[0][0], candidates[key], score))
        if len(chosen) == limit:
            break
    return chosen


CLOSE_SHARE = 0.6
"""Neighbours kept: those at least this share as close as the closest. Cosines differ in
scale from one backend to another (MiniLM's close papers sit near 0.6, TF-IDF's near
0.15, with noise around 0.05), so the cut is relative."""


def closest(neighbours: Sequence[tuple[str, float]]) -> list[str]:
    """The ids of the neighbours (id, cosine; best first) close enough to mine terms from."""
    if not neighbours or neighbours[0][1] <= 0:
        return []
    floor = CLOSE_SHARE * neighbours[0][1]
    return [arxiv_id for arxiv_id, closeness in neighbours if closeness >= floor]


def term_node(term: str) -> Word | Phrase:
    """The query term that finds ``term``: a word, or the phrase of its words."""
    node = parse(f'"{term}"').root
    if not isinstance(node, Word | Phrase):
        raise ValueError(f"not a term: {term!r}")
    return node


def _is_filter(node: Node) -> bool:
    """What narrows a query rather than says its topic: cat:, has:code, au:, NOT ..."""
    return not any(isinstance(leaf, Word | Phrase | Prefix | Topic) for leaf in leaves(node)) or isinstance(node, Not)


def broaden(query: Query, term: str) -> Query:
    """The query with ``term`` as an alternative to its topic, its filters kept:
    ``"sparse autoencoder" cat:cs.LG`` + ``dictionary learning`` →
    ``("sparse autoencoder" OR "dictionary learning") cat:cs.LG``."""
    added = term_node(term)
    root = query.root
    parts: list[Node] = list(root.children) if isinstance(root, And) else [root]
    topical = [part for part in parts if not _is_filter(part)]
    filters = [part for part in parts if _is_filter(part)]
    if not topical:  # only filters (au:hua, cat:cs.LG): the query as a whole is the topic
        topical, filters = parts, []
    topic: Node = topical[0] if len(topical) == 1 else And(tuple(topical))
    present = topic.children if isinstance(topic, Or) else (topic,)
    if added in present:
        return query
    alternatives = (*present, added)
    return parse(canonical(And((Or(alternatives), *filters)) if filters else Or(alternatives)))
