"""All active subscriptions, indexed so a new paper only meets the queries it may match.

The idea of Lucene's Monitor and Elasticsearch's percolator, in small: each query is
filed under a few required keys (``presearch``); a paper is analysed once, its keys
pick the candidate queries from those postings, and only candidates are verified.
Queries with nothing required (``NOT survey``) sit in a list that every paper
verifies. Identical queries of different subscribers are filed and verified once.

Verification is staged by cost, because with 100,000 subscriptions a paper has
hundreds of candidates: first one C-level subset test of the query's required plain
words (which settles most queries, those made of plain words only), then the
compiled query for the rest.

Adding and removing subscriptions touch only their own postings; nothing is rebuilt.
The result is by construction the same as matching every query against the paper
(``match`` in a loop), which the property tests check.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Generic, TypeVar

from paperbot.domain import Paper
from paperbot.query.ast import Node
from paperbot.query.compile import CompiledQuery, Explainer, Hits, compile_query
from paperbot.query.document import PaperDoc, analyse
from paperbot.query.presearch import PAIR_SLOT, PREFIX_SLOT, Key, Presearcher, TermStats
from paperbot.query.query import Query, as_query
from paperbot.query.result import Match

SubId = TypeVar("SubId", bound=Hashable)

_HEAD = 6
"""Prefixes are filed under their first letters, up to this many (see ``_prefixes``)."""

_WORD_SLOTS = ("any", "ti", "abs", "co", "au", "cat", "has")
_PAIR_SLOTS = tuple(PAIR_SLOT + slot for slot in ("any", "ti", "abs", "co"))


@dataclass(frozen=True, slots=True)
class _Check(Generic[SubId]):
    """One query as filed under one key: all that verifying it needs, in one object.

    A paper's keys lead straight to these objects; with 100,000 subscriptions the
    cost of matching is mostly memory fetches, so nothing is looked up a second time.
    ``required`` are the plain title-or-abstract words the query needs besides the
    key it is filed under (one subset test rules most candidates out); a pure query
    (nothing but those words) is then matched and ``hits_if_matched`` says why;
    others go through ``explain``. ``shared`` marks queries filed under several keys,
    which a paper may reach more than once.
    """

    entry_id: int
    required: frozenset[str]
    hits_if_matched: Callable[[PaperDoc], Hits] | None
    explain: Explainer
    subs: dict[SubId, int]
    shared: bool


@dataclass(slots=True)
class _Entry(Generic[SubId]):
    """One distinct query and the subscriptions that share it."""

    query: Query
    compiled: CompiledQuery
    keys: frozenset[Key] | None
    subs: dict[SubId, int] = field(default_factory=dict)  # subscription → order added
    filed: list[tuple[list[_Check[SubId]], _Check[SubId]]] = field(default_factory=list)


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
        self._entries: dict[int, _Entry[SubId]] = {}
        self._entry_of_root: dict[Node, int] = {}
        self._subs: dict[SubId, int] = {}
        self._next_entry = 0
        self._next_order = 0
        self._postings: dict[str, dict[str, list[_Check[SubId]]]] = {
            slot: {} for slot in _WORD_SLOTS + _PAIR_SLOTS
        }
        # prefix slot → head → prefix → entries. The head is the prefix's first _HEAD
        # letters (or all of a shorter prefix): a paper looks up the first _HEAD
        # letters of its words, and shorter heads only for lengths that are in use.
        self._prefixes: dict[str, dict[str, dict[str, list[_Check[SubId]]]]] = {}
        self._short_heads: dict[str, Counter[int]] = {}
        self._always: list[_Check[SubId]] = []

    # -- maintenance ----------------------------------------------------------------

    def add(self, sub_id: SubId, query: Query | str) -> Query:
        """File a subscription (replacing one with the same id); returns the parsed query.

        Raises ``QueryError`` for a query that does not parse, before changing anything.
        """
        parsed = as_query(query)
        self.remove(sub_id)
        entry_id = self._entry_of_root.get(parsed.root)
        if entry_id is None:
            entry_id = self._file(parsed)
        self._entries[entry_id].subs[sub_id] = self._next_order
        self._next_order += 1
        self._subs[sub_id] = entry_id
        return parsed

    def remove(self, sub_id: SubId) -> bool:
        """Forget a subscription; True if it was there."""
        entry_id = self._subs.pop(sub_id, None)
        if entry_id is None:
            return False
        entry = self._entries[entry_id]
        del entry.subs[sub_id]
        if not entry.subs:
            self._unfile(entry_id, entry)
        return True

    def _file(self, query: Query) -> int:
        entry_id = self._next_entry
        self._next_entry += 1
        cover = self._presearcher.cover(query.root)
        keys = None if cover is None else cover.keys
        compiled = compile_query(query.root)
        entry: _Entry[SubId] = _Entry(query, compiled, keys)
        self._entries[entry_id] = entry
        self._entry_of_root[query.root] = entry_id
        if keys is None:
            self._put(entry, entry_id, self._always, None)
        else:
            for slot, value in keys:
                posting = self._postings_for(slot, value).setdefault(value, [])
                self._put(entry, entry_id, posting, value if slot == "any" else None)
        return entry_id

    def _put(
        self,
        entry: _Entry[SubId],
        entry_id: int,
        posting: list[_Check[SubId]],
        key_word: str | None,
    ) -> None:
        compiled = entry.compiled
        check = _Check(
            entry_id=entry_id,
            # The key itself is in every paper that reaches the check.
            required=compiled.required - {key_word} if key_word else compiled.required,
            hits_if_matched=compiled.hits_if_matched,
            explain=compiled.explain,
            subs=entry.subs,
            shared=entry.keys is not None and len(entry.keys) > 1,
        )
        posting.append(check)
        entry.filed.append((posting, check))

    def _unfile(self, entry_id: int, entry: _Entry[SubId]) -> None:
        del self._entries[entry_id]
        del self._entry_of_root[entry.query.root]
        for posting, check in entry.filed:
            posting.remove(check)
        for slot, value in entry.keys or ():
            postings = self._postings_for(slot, value)
            if not postings[value]:
                del postings[value]
                if slot.startswith(PREFIX_SLOT) and not postings:
                    self._forget_head(slot, value)

    def _postings_for(self, slot: str, value: str) -> dict[str, list[_Check[SubId]]]:
        if not slot.startswith(PREFIX_SLOT):
            return self._postings[slot]
        by_head = self._prefixes.setdefault(slot, {})
        head = value[:_HEAD]
        if head not in by_head and len(head) < _HEAD:
            self._short_heads.setdefault(slot, Counter())[len(head)] += 1
        return by_head.setdefault(head, {})

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
        return self._entries[self._subs[sub_id]].query

    def size(self) -> IndexSize:
        return IndexSize(
            subscriptions=len(self._subs),
            distinct_queries=len(self._entries),
            keys=sum(len(postings) for postings in self._postings.values())
            + sum(len(p) for heads in self._prefixes.values() for p in heads.values()),
            always_verified=len(self._always),
        )

    # -- matching -------------------------------------------------------------------

    def candidates(self, doc: PaperDoc) -> set[int]:
        """Distinct queries that may match: those filed under a key the paper has."""
        return {check.entry_id for check in self._reached(doc)}

    def _reached(self, doc: PaperDoc) -> Iterator[_Check[SubId]]:
        yield from self._always
        postings = self._postings
        for slot, present in (
            ("any", doc.any_words),
            ("ti", doc.title.words),
            ("abs", doc.abstract.words),
            ("co", doc.comment.words),
            ("au", doc.author_words),
            ("cat", doc.categories),
            ("pair:any", doc.any_pairs),
            ("pair:ti", doc.title.pairs),
            ("pair:abs", doc.abstract.pairs),
            ("pair:co", doc.comment.pairs),
        ):
            filed = postings[slot]
            if filed:
                for value in filed.keys() & present:
                    yield from filed[value]
        if doc.has_code and "code" in postings["has"]:
            yield from postings["has"]["code"]
        if self._prefixes:
            yield from self._prefix_reached(doc)

    def _prefix_reached(self, doc: PaperDoc) -> Iterator[_Check[SubId]]:
        raws = {
            "any": doc.title.raw + doc.abstract.raw,
            "ti": doc.title.raw,
            "abs": doc.abstract.raw,
            "co": doc.comment.raw,
        }
        for slot, by_head in self._prefixes.items():
            raw = raws[slot[len(PREFIX_SLOT) :]]
            words = raw.split()
            heads = {word[:_HEAD] for word in words}
            for length in self._short_heads.get(slot, ()):
                heads.update(word[:length] for word in words)
            for head in by_head.keys() & heads:
                for prefix, checks in by_head[head].items():
                    # A prefix no longer than its head is the head: found already.
                    if len(prefix) <= _HEAD or f" {prefix}" in raw:
                        yield from checks

    def match(self, paper: Paper | PaperDoc) -> list[tuple[SubId, Match]]:
        """Every subscription the paper matches, with why, in the order they were added.

        Subscriptions that share a query share one ``Match`` object.
        """
        doc = paper if isinstance(paper, PaperDoc) else analyse(paper)
        words = doc.any_words
        passed = [check for check in self._reached(doc) if check.required <= words]
        seen: set[int] = set()
        matched: list[tuple[int, SubId, Match]] = []
        for check in passed:
            if check.shared:
                if check.entry_id in seen:
                    continue
                seen.add(check.entry_id)
            hits_if_matched = check.hits_if_matched
            hits = check.explain(doc) if hits_if_matched is None else hits_if_matched(doc)
            if hits is None:
                continue
            result = Match(hits, doc)
            for sub, order in check.subs.items():
                matched.append((order, sub, result))
        matched.sort(key=itemgetter(0))
        return [(sub, result) for _, sub, result in matched]
