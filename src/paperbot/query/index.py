"""All active subscriptions, indexed so a new paper only meets the queries it may match.

The idea of Lucene's Monitor and Elasticsearch's percolator, in small: each query is
filed under a few required keys (``presearch``); a paper is analysed once, its keys
lead to the candidate queries, and only candidates are verified. Queries with
nothing required (``NOT survey``) sit in a list that every paper verifies. Identical
queries of different subscribers are filed and verified once.

With 100,000 subscriptions a paper has hundreds of candidates, and the time goes
mostly into fetching their data from memory; so a candidate is one small object
reached straight from the postings, verification is staged by cost (first one
C-level subset test of the plain words the query requires, which settles queries
made only of words, then a compiled test for the rest), and the reasons of a match
(``Match.hits``) are worked out only when read.

Adding and removing subscriptions touch only their own postings; nothing is rebuilt.
The result is the same as matching every query against the paper (``match`` in a
loop), which the property tests check.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, replace
from itertools import repeat
from operator import itemgetter
from typing import Generic, TypeVar

from paperbot.domain import Paper
from paperbot.query.ast import Node
from paperbot.query.compile import Stages, is_exact, split_stages
from paperbot.query.document import PaperDoc, analyse
from paperbot.query.presearch import PAIR_SLOT, PREFIX_SLOT, Key, Presearcher, TermStats
from paperbot.query.query import Query, as_query
from paperbot.query.result import Match

SubId = TypeVar("SubId", bound=Hashable)

_HEAD = 6
"""Prefixes are filed under their first letters, up to this many (see ``_prefixes``)."""
_head = itemgetter(slice(0, _HEAD))

_EXACT = Stages(frozenset(), frozenset(), frozenset(), None)

_WORD_SLOTS = ("any", "ti", "co", "au", "cat", "has")
_PAIR_SLOTS = tuple(PAIR_SLOT + slot for slot in ("any", "ti", "co"))
# Abstract words are most of a paper's words, so looking them up separately would
# cost every paper as much as the title-or-abstract lookup again; the few ``abs:``
# queries are filed under title-or-abstract keys instead, and verified.
_FILED_AS = {"abs": "any", PAIR_SLOT + "abs": PAIR_SLOT + "any"}


def _filed_key(slot: str, value: str) -> Hashable:
    """Pairs are filed as (word, word) tuples, which papers build without joining
    strings; prefixes as the substring to find in ``FieldText.raw``."""
    if slot.startswith(PAIR_SLOT):
        first, _, second = value.partition(" ")
        return (first, second)
    if slot.startswith(PREFIX_SLOT):
        return f" {value}"
    return value


class _Entry(Generic[SubId]):
    """One distinct query, its subscribers, and what verifying it takes.

    ``required``: plain title-or-abstract words the query needs, less the key it is
    filed under when that is its only key; ``excluded``, ``categories``: words the
    paper must not have and categories it must (None if none); ``rest``: a test for
    everything else, or None when the sets say it all (then ``plain``); ``subs``: the
    subscriptions, in the order they were added.
    """

    __slots__ = (
        "categories",
        "excluded",
        "keys",
        "plain",
        "query",
        "required",
        "rest",
        "root",
        "subs",
    )

    def __init__(self, query: Query, keys: tuple[Key, ...] | None, stages: Stages) -> None:
        self.query = query
        self.root = query.root  # one memory fetch less per match than query.root
        self.keys = keys
        self.required = stages.words
        # None rather than empty sets, so most entries skip these tests entirely.
        self.excluded = stages.excluded or None
        self.categories = stages.categories or None
        self.rest = stages.rest
        # Nothing to check beyond the required words.
        self.plain = not (self.excluded or self.categories or self.rest)
        self.subs: tuple[SubId, ...] = ()


@dataclass(frozen=True, slots=True)
class IndexSize:
    subscriptions: int
    distinct_queries: int
    keys: int
    always_verified: int


class SubscriptionIndex(Generic[SubId]):
    """Subscriptions by id, matched against papers as they are announced.

    ``SubId`` is whatever identifies a subscription for the caller (a database id, a
    ``(chat, name)`` pair); the index only hashes it. ``stats`` (word frequencies of
    recent papers) lets the index file each query under its really rarest term;
    without it, word length and a list of common words stand in.
    """

    def __init__(self, stats: TermStats | None = None) -> None:
        self._presearcher = Presearcher(stats)
        self._entries: dict[Node, _Entry[SubId]] = {}
        self._subs: dict[SubId, _Entry[SubId]] = {}
        # slot → key → entries; pair slots are keyed by (word, word) like PaperDoc.pairs
        self._postings: dict[str, dict[Hashable, list[_Entry[SubId]]]] = {
            slot: {} for slot in _WORD_SLOTS + _PAIR_SLOTS
        }
        # prefix slot → head → " prefix" → entries. The head is the prefix's first
        # _HEAD letters (or all of a shorter prefix): a paper looks up the first _HEAD
        # letters of its words, and shorter heads only for lengths that are in use.
        self._prefixes: dict[str, dict[str, dict[str, list[_Entry[SubId]]]]] = {}
        self._short_heads: dict[str, Counter[int]] = {}
        self._always: list[_Entry[SubId]] = []

    # -- maintenance ----------------------------------------------------------------

    def add(self, sub_id: SubId, query: Query | str) -> Query:
        """File a subscription (replacing one with the same id); returns the parsed query.

        Raises ``QueryError`` for a query that does not parse, before changing anything.
        """
        parsed = as_query(query)
        self.remove(sub_id)
        entry = self._entries.get(parsed.root)
        if entry is None:
            entry = self._file(parsed)
        entry.subs += (sub_id,)
        self._subs[sub_id] = entry
        return parsed

    def remove(self, sub_id: SubId) -> bool:
        """Forget a subscription; True if it was there."""
        entry = self._subs.pop(sub_id, None)
        if entry is None:
            return False
        entry.subs = tuple(sub for sub in entry.subs if sub != sub_id)
        if not entry.subs:
            self._unfile(entry)
        return True

    def _file(self, query: Query) -> _Entry[SubId]:
        cover = self._presearcher.cover(query.root)
        keys = None if cover is None else tuple(sorted(cover.keys))
        # Reaching a key of an exact query is matching it.
        exact = keys is not None and is_exact(query.root)
        stages = _EXACT if exact else split_stages(query.root)
        if keys is not None and len(keys) == 1 and keys[0][0] == "any":
            # Every paper that reaches the entry has its key.
            stages = replace(stages, words=stages.words - {keys[0][1]})
        entry: _Entry[SubId] = _Entry(query, keys, stages)
        self._entries[query.root] = entry
        if keys is None:
            self._always.append(entry)
        else:
            for slot, value in keys:
                self._postings_for(slot, value).setdefault(_filed_key(slot, value), []).append(entry)
        return entry

    def _unfile(self, entry: _Entry[SubId]) -> None:
        del self._entries[entry.query.root]
        if entry.keys is None:
            self._always.remove(entry)
            return
        for slot, value in entry.keys:
            postings = self._postings_for(slot, value)
            filed_key = _filed_key(slot, value)
            filed = postings[filed_key]
            filed.remove(entry)
            if not filed:
                del postings[filed_key]
                if slot.startswith(PREFIX_SLOT) and not postings:
                    self._forget_head(slot, value)

    def _postings_for(self, slot: str, value: str) -> dict[Hashable, list[_Entry[SubId]]]:
        if not slot.startswith(PREFIX_SLOT):
            return self._postings[_FILED_AS.get(slot, slot)]
        by_head = self._prefixes.setdefault(slot, {})
        head = value[:_HEAD]
        if head not in by_head and len(head) < _HEAD:
            self._short_heads.setdefault(slot, Counter())[len(head)] += 1
        return by_head.setdefault(head, {})  # type: ignore[return-value]

    def _forget_head(self, slot: str, value: str) -> None:
        head = value[:_HEAD]
        del self._prefixes[slot][head]
        if len(head) < _HEAD:
            lengths = self._short_heads[slot]
            lengths[len(head)] -= 1
            if not lengths[len(head)]:
                del lengths[len(head)]
        if not self._prefixes[slot]:
            del self._prefixes[slot]

    # -- inspection -----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._subs)

    def __contains__(self, sub_id: object) -> bool:
        return sub_id in self._subs

    def __iter__(self) -> Iterator[SubId]:
        return iter(self._subs)

    def query_of(self, sub_id: SubId) -> Query:
        return self._subs[sub_id].query

    def size(self) -> IndexSize:
        return IndexSize(
            subscriptions=len(self._subs),
            distinct_queries=len(self._entries),
            keys=sum(len(postings) for postings in self._postings.values())
            + sum(len(p) for heads in self._prefixes.values() for p in heads.values()),
            always_verified=len(self._always),
        )

    # -- matching -------------------------------------------------------------------

    def candidates(self, doc: PaperDoc) -> list[Query]:
        """Distinct queries that may match: those filed under a key the paper has."""
        return [entry.query for entry in dict.fromkeys(self._reached(doc))]

    def _reached(self, doc: PaperDoc) -> list[_Entry[SubId]]:
        """Entries filed under the paper's keys, once per key (so possibly repeated)."""
        reached = list(self._always)
        postings = self._postings
        for slot, present in (
            ("any", doc.any_words),
            ("ti", doc.title.words),
            ("co", doc.comment.words),
            ("au", doc.author_words),
            ("cat", doc.categories),
            ("pair:any", doc.any_pairs),
            ("pair:ti", doc.title.pairs),
            ("pair:co", doc.comment.pairs),
        ):
            filed = postings[slot]
            if filed:
                for value in filed.keys() & present:
                    reached += filed[value]
        if doc.has_code and "code" in postings["has"]:
            reached += postings["has"]["code"]
        if self._prefixes:
            self._prefix_reached(doc, reached)
        return reached

    def _prefix_reached(self, doc: PaperDoc, reached: list[_Entry[SubId]]) -> None:
        for slot, by_head in self._prefixes.items():
            field = slot[len(PREFIX_SLOT) :]
            if field == "any":
                raw = doc.title.raw + doc.abstract.raw
                words = doc.title.raw_words + doc.abstract.raw_words
            else:
                text = {"ti": doc.title, "abs": doc.abstract, "co": doc.comment}[field]
                raw, words = text.raw, text.raw_words
            heads = set(map(_head, words))
            for length in self._short_heads.get(slot, ()):
                heads.update(word[:length] for word in words)
            for head in by_head.keys() & heads:
                for needle, entries in by_head[head].items():
                    # A prefix no longer than its head is the head: found already.
                    if len(needle) <= _HEAD + 1 or needle in raw:
                        reached += entries

    def match(self, paper: Paper | PaperDoc) -> list[tuple[SubId, Match]]:
        """Every subscription the paper matches, with why; grouped by query, in no
        particular order otherwise. Subscriptions that share a query share one
        ``Match``.
        """
        doc = paper if isinstance(paper, PaperDoc) else analyse(paper)
        words = doc.any_words
        categories = doc.categories
        matched: list[tuple[SubId, Match]] = []
        # A query filed under several keys (an OR, a phrase's pair and compound) may be
        # reached more than once; dict.fromkeys drops repeats in one C-level pass.
        for entry in dict.fromkeys(self._reached(doc)):
            if not entry.required <= words:
                continue
            if not entry.plain:
                # The remaining checks, cheapest first (inline: this loop is the hot path).
                if entry.excluded is not None and not entry.excluded.isdisjoint(words):
                    continue
                if entry.categories is not None and not entry.categories <= categories:
                    continue
                if entry.rest is not None and not entry.rest(doc):
                    continue
            result = Match((entry.root, doc, None))
            subs = entry.subs
            if len(subs) == 1:
                matched.append((subs[0], result))
            else:
                matched.extend(zip(subs, repeat(result)))
        return matched
