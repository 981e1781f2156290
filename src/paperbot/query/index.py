"""All active subscriptions, indexed so a new paper only meets the queries it may match.

The idea of Lucene's Monitor and Elasticsearch's percolator, in small: each query is
filed under a few required keys (``presearch``); a paper is analysed once, its keys
lead to the candidate queries, and only candidates are verified. Queries with
nothing required (``NOT survey``) sit in a list that every paper verifies. Identical
queries of different subscribers are filed and verified once.

With 100,000 subscriptions a paper has about 150 candidates, half of which match, and
the time goes mostly into fetching their data from memory and into the Python
overhead per candidate. So:

* what reaching a key implies is not verified again: reaching a query made of one
  word, phrase, prefix, category or name (or an OR of them) is matching it, and an
  AND only verifies its other terms (``_Entry.exact``, ``SubscriptionIndex._implied``);
* the rest is verified in stages of increasing cost, inline in one loop: C-level set
  tests for words, exclusions and categories, two C-level tests for a phrase, and
  only then a compiled test (``compile``) for what is left;
* a candidate is one small object reached straight from the postings, and
  ``compact`` lays those of a key out side by side in memory;
* title-or-abstract words and prefixes are looked up together, word by word, in a
  memo (``_WordLookup``), and the reasons of a match (``Match.hits``) are worked out
  only when read.

Adding and removing subscriptions touch only their own postings (and empty the memo
of the words they concern); nothing is rebuilt, except by ``compact``, which moves
and never changes. The result is the same as matching every query against the
paper (``match`` in a loop), which the property tests check.

Topic terms (``~"..."``, ``like:``) have no keys (see ``presearch``); the index counts
the distinct ones (``topic_terms``) so that the caller knows which similarities to
compute for a batch of papers before matching it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, pairwise
from typing import Generic, TypeVar, cast

from paperbot.domain import Paper
from paperbot.query.ast import And, Node, TopicLeaf, topic_leaves
from paperbot.query.compile import Stages, is_exact, split_stages
from paperbot.query.document import PaperDoc, analyse
from paperbot.query.presearch import AUTHOR_PAIR_SLOT, PAIR_SLOT, PREFIX_SLOT, Key, Presearcher, TermStats
from paperbot.query.query import Query, as_query
from paperbot.query.result import Match
from paperbot.query.text import plural_key

SubId = TypeVar("SubId", bound=Hashable)

# A paper's title-or-abstract words ("any") reach their postings through the
# _WordLookup that reads them, the other slots by a set intersection.
_WORD_SLOTS = ("any", "ti", "co", "au", AUTHOR_PAIR_SLOT, "cat", "has")
_PAIR_SLOTS = tuple(PAIR_SLOT + slot for slot in ("any", "ti", "co"))
# Abstract words are most of a paper's words, so looking them up separately would
# cost every paper as much as the title-or-abstract lookup again; the few ``abs:``
# queries are filed under title-or-abstract keys instead, and verified.
_FILED_AS = {"abs": "any", PAIR_SLOT + "abs": PAIR_SLOT + "any"}

_SCATTERED = 1_000
"""Entries filed since the last compaction below which ``match`` does not compact."""

_MEMO_LIMIT = 200_000
"""Words a ``_WordLookup`` remembers before it starts over (a bound for a long-running bot)."""

_NO_WORDS: frozenset[str] = frozenset()


def _filed_key(slot: str, value: str) -> Hashable:
    """Pairs are filed as (word, word) tuples, which papers build without joining
    strings."""
    if slot.startswith(PAIR_SLOT):
        first, _, second = value.partition(" ")
        return (first, second)
    return value


class _Entry(Generic[SubId]):
    """One distinct query, its subscribers, and what verifying it takes.

    ``exact``: reaching the entry is matching it, nothing to verify. Otherwise the
    stages (``compile.Stages``) of the ``terms`` that the key it was reached by does
    not imply: ``required``: plain title-or-abstract words the query needs;
    ``needle``, ``compound`` and ``needs``: a title-or-abstract phrase, its closed
    compound and its words; ``categories``, ``excluded``: categories the paper must
    have and words it must not; ``rest``: a test for everything else. Each is None
    when there is nothing of its kind, so most entries skip most tests. ``subs``:
    the subscriptions, in the order they were added.
    """

    __slots__ = (
        "categories",
        "compound",
        "exact",
        "excluded",
        "keys",
        "needle",
        "needs",
        "query",
        "required",
        "rest",
        "root",
        "subs",
        "terms",
    )

    def __init__(
        self,
        query: Query,
        keys: tuple[Key, ...] | None,
        terms: tuple[Node, ...],
        stages: Stages | None = None,
    ) -> None:
        self.query = query
        self.root = query.root  # one memory fetch less per match than query.root
        self.keys = keys
        self.terms = terms
        if stages is None:
            stages = split_stages(terms)
        self.exact = stages.empty
        self.required = stages.words or None
        self.needle: str | None = None
        self.compound = ""
        self.needs = _NO_WORDS
        if stages.phrase is not None:
            self.needle, self.compound = stages.phrase
            self.needs = frozenset(self.needle.split())
        self.categories = stages.categories or None
        self.excluded = stages.excluded or None
        self.rest = stages.rest
        self.subs: tuple[SubId, ...] = ()

    def relocated(self) -> _Entry[SubId]:
        """An equal entry in newly allocated memory, with its own copies of the sets
        and the tuple that matching reads (see ``SubscriptionIndex.compact``)."""
        phrase = None if self.needle is None else (self.needle, self.compound)
        stages = Stages(_copied(self.required), _copied(self.excluded), _copied(self.categories), phrase, self.rest)
        entry: _Entry[SubId] = _Entry(self.query, self.keys, self.terms, stages)
        # A new tuple (tuple(self.subs) would be the same object), and new int ids
        # too: every match reads its subscribers' ids, and an equal int is the same
        # id to the caller (the index only hashes and compares them).
        entry.subs = tuple(map(_copied_id, self.subs))
        return entry


def _copied_id(sub: SubId) -> SubId:
    # Exactly int (not bool or another subclass); isinstance for the type checker.
    if isinstance(sub, int) and type(sub) is int:
        return cast(SubId, sub + 0)  # int(sub) would be sub itself
    return sub


def _copied(words: frozenset[str] | None) -> frozenset[str]:
    # A new set: frozenset(words) and words.copy() return words itself.
    return _NO_WORDS if words is None else words.union()


class _WordLookup(dict[str, "tuple[_Entry[SubId], ...]"], Generic[SubId]):
    """The queries the words of one field lead to: a word, as written (before plural
    folding), → the entries filed under a prefix it starts with (``prefixes``:
    prefix → entries) and, for title-or-abstract, under its key (``by_key``, the
    postings of that slot).

    The dict is a memo, filled as words are looked up: a paper's words are then
    matched against every prefix and word key by one C-level ``map`` of hash lookups,
    most of which find a word seen before. It is emptied whenever the postings it
    reads change, so it never answers for another set of queries.
    """

    def __init__(self, by_key: dict[Hashable, list[_Entry[SubId]]] | None = None) -> None:
        super().__init__()
        self.by_key = by_key
        self.prefixes: dict[str, list[_Entry[SubId]]] = {}

    @property
    def in_use(self) -> bool:
        """Whether any query is filed here (whatever the memo holds)."""
        return bool(self.prefixes or self.by_key)

    def __missing__(self, word: str) -> tuple[_Entry[SubId], ...]:
        if len(self) >= _MEMO_LIMIT:
            self.clear()
        prefixes = self.prefixes
        found = [entry for end in range(1, len(word) + 1) for entry in prefixes.get(word[:end], ())]
        if self.by_key is not None:
            found += self.by_key.get(plural_key(word), ())
        self[word] = result = tuple(found)
        return result


@dataclass(frozen=True, slots=True)
class IndexSize:
    subscriptions: int
    distinct_queries: int
    keys: int
    always_verified: int
    topical: int = 0
    """Distinct queries with a topic term (``~"..."``, ``like:``)."""


class SubscriptionIndex(Generic[SubId]):
    """Subscriptions by id, matched against papers as they are announced.

    ``SubId`` is whatever identifies a subscription for the caller (a database id, a
    ``(chat, name)`` pair); the index only hashes it. ``stats`` (word frequencies of
    recent papers) lets the index file each query under its really rarest term;
    without it, word length and a list of common words stand in.
    """

    def __init__(self, stats: TermStats | None = None) -> None:
        self._presearcher = Presearcher(stats)
        # By canonical text (``str(query)``), which stands for the tree and hashes as
        # fast as any string.
        self._entries: dict[str, _Entry[SubId]] = {}
        self._subs: dict[SubId, _Entry[SubId]] = {}
        # slot → key → entries; pair slots are keyed by (word, word) like PaperDoc.pairs
        self._postings: dict[str, dict[Hashable, list[_Entry[SubId]]]] = {
            slot: {} for slot in _WORD_SLOTS + _PAIR_SLOTS
        }
        # field → its words' lookup; title-or-abstract always, other fields while
        # they have prefix queries
        self._lookups: dict[str, _WordLookup[SubId]] = {"any": _WordLookup(self._postings["any"])}
        self._always: list[_Entry[SubId]] = []
        self._scattered = 0  # entries filed since the last compact()
        # Topic terms of the distinct queries, with how many queries have each.
        self._topic_terms: Counter[TopicLeaf] = Counter()
        self._topical = 0

    # -- maintenance ----------------------------------------------------------------

    def add(self, sub_id: SubId, query: Query | str) -> Query:
        """File a subscription (replacing one with the same id); returns the parsed query.

        Raises ``QueryError`` for a query that does not parse, before changing anything.
        """
        parsed = as_query(query)
        self.remove(sub_id)
        entry = self._entries.get(parsed.text)
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
        root = query.root
        cover = self._presearcher.cover(root)
        keys = None if cover is None else tuple(sorted(cover.keys))
        terms = root.children if isinstance(root, And) else (root,)
        if cover is not None:
            terms = tuple(term for term in terms if not self._implied(term, cover.keys))
        entry: _Entry[SubId] = _Entry(query, keys, terms)
        self._entries[query.text] = entry
        self._count_topics(root, +1)
        self._scattered += 1
        if keys is None:
            self._always.append(entry)
        else:
            for slot, value in keys:
                self._postings_for(slot, value).setdefault(_filed_key(slot, value), []).append(entry)
        return entry

    def _implied(self, node: Node, keys: frozenset[Key]) -> bool:
        """Whether every paper that reaches a query filed under ``keys`` matches ``node``:
        when it is exact (``compile.is_exact``) and has all those keys. Then it needs
        no verifying: the whole query, or the term of an AND the presearcher chose."""
        if not is_exact(node):
            return False
        cover = self._presearcher.cover(node)
        return cover is not None and keys <= cover.keys

    def _count_topics(self, root: Node, change: int) -> None:
        found = topic_leaves(root)
        if not found:
            return
        self._topical += change
        self._topic_terms.update(dict.fromkeys(found, change))
        self._topic_terms = +self._topic_terms  # drops the terms no query has any more

    def _unfile(self, entry: _Entry[SubId]) -> None:
        del self._entries[entry.query.text]
        self._count_topics(entry.root, -1)
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
                field = slot[len(PREFIX_SLOT) :]
                if slot.startswith(PREFIX_SLOT) and field != "any" and not postings:
                    del self._lookups[field]

    def _postings_for(self, slot: str, value: str) -> dict[Hashable, list[_Entry[SubId]]]:
        """Where a key is filed; a lookup reading it forgets what it remembers, since a
        query is about to come or go there."""
        if slot.startswith(PREFIX_SLOT):
            lookup = self._lookups.setdefault(slot[len(PREFIX_SLOT) :], _WordLookup())
            lookup.clear()
            return lookup.prefixes  # type: ignore[return-value]
        slot = _FILED_AS.get(slot, slot)
        if slot == "any":
            self._lookups["any"].clear()
        return self._postings[slot]

    def compact(self) -> None:
        """Allocate every distinct query's data again, in the order of the postings.

        A paper's candidates are the entries of a few keys; filed one subscription at
        a time, they lie scattered over the heap, and with 100,000 subscriptions
        fetching them from memory is much of what matching costs. Allocated again key
        by key, those of a key lie side by side (entry, sets, subscriber tuple and
        int ids, each kind in its own size class). Results do not change. ``match`` does
        this by itself once half the entries were filed since the last time; call it
        after loading subscriptions to have it done then.
        """
        moved: dict[_Entry[SubId], _Entry[SubId]] = {}

        def move(entry: _Entry[SubId]) -> _Entry[SubId]:
            new = moved.get(entry)
            if new is None:
                new = moved[entry] = entry.relocated()
            return new

        for postings in self._postings.values():
            for key, entries in postings.items():
                postings[key] = [move(entry) for entry in entries]
        for lookup in self._lookups.values():
            lookup.clear()
            for prefix, entries in lookup.prefixes.items():
                lookup.prefixes[prefix] = [move(entry) for entry in entries]
        self._always = [move(entry) for entry in self._always]
        for text, entry in self._entries.items():
            self._entries[text] = moved[entry]
        for sub_id, entry in self._subs.items():
            self._subs[sub_id] = moved[entry]
        self._scattered = 0

    # -- inspection -----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._subs)

    def __contains__(self, sub_id: object) -> bool:
        return sub_id in self._subs

    def __iter__(self) -> Iterator[SubId]:
        return iter(self._subs)

    def topic_terms(self) -> list[TopicLeaf]:
        """The distinct topic terms of the filed queries: what a paper must be scored
        against (``analyse(paper, topics=...)``) before ``match``."""
        return list(self._topic_terms)

    def query_of(self, sub_id: SubId) -> Query:
        return self._subs[sub_id].query

    def size(self) -> IndexSize:
        return IndexSize(
            subscriptions=len(self._subs),
            distinct_queries=len(self._entries),
            keys=sum(len(postings) for postings in self._postings.values())
            + sum(len(lookup.prefixes) for lookup in self._lookups.values()),
            always_verified=len(self._always),
            topical=self._topical,
        )

    # -- matching -------------------------------------------------------------------

    def candidates(self, doc: PaperDoc) -> list[Query]:
        """Distinct queries that may match: those filed under a key the paper has."""
        return [entry.query for entry in dict.fromkeys(self._reached(doc))]

    def _reached(self, doc: PaperDoc) -> list[_Entry[SubId]]:
        """Entries filed under the paper's keys, once per key (so possibly repeated)."""
        reached = list(self._always)
        postings = self._postings
        title, abstract, comment = doc.title, doc.abstract, doc.comment
        # Pairs are looked up straight from the key sequences: a set of them would
        # cost more to build than the lookups.
        for slot, present in (
            ("ti", title.words),
            ("co", comment.words),
            ("au", doc.author_words),
            (AUTHOR_PAIR_SLOT, doc.author_pairs),
            ("cat", doc.categories),
            ("pair:any", chain(pairwise(title.keys), pairwise(abstract.keys))),
            ("pair:ti", pairwise(title.keys)),
            ("pair:co", pairwise(comment.keys)),
        ):
            filed = postings[slot]
            if filed:
                for value in filed.keys() & present:
                    reached += filed[value]
        if doc.has_code and "code" in postings["has"]:
            reached += postings["has"]["code"]
        for field, lookup in self._lookups.items():
            if field == "any":
                if not lookup.in_use:
                    continue
                # Distinct words: a topic word is often repeated, and its entries
                # would be reached again each time.
                words: Iterable[str] = set(chain(title.raw_words, abstract.raw_words))
            else:
                words = {"ti": title, "abs": abstract, "co": comment}[field].raw_words
            # filter(None) passes on the few words that lead somewhere, sparing an
            # iterator over an empty tuple for each of the others.
            reached += chain.from_iterable(filter(None, map(lookup.__getitem__, words)))
        return reached

    def match(self, paper: Paper | PaperDoc) -> list[tuple[SubId, Match]]:
        """Every subscription the paper matches, with why; grouped by query, in no
        particular order otherwise. Subscriptions that share a query share one
        ``Match``.
        """
        if self._scattered >= _SCATTERED and self._scattered * 2 >= len(self._entries):
            self.compact()
        doc = paper if isinstance(paper, PaperDoc) else analyse(paper)
        words = doc.any_words
        categories = doc.categories
        matched: list[tuple[SubId, Match]] = []
        # A query filed under several keys (an OR, a phrase's pair and compound) may be
        # reached more than once; dict.fromkeys drops repeats in one C-level pass.
        for entry in dict.fromkeys(self._reached(doc)):
            if not entry.exact:
                # The stages, cheapest first (inline: this loop is the hot path). A
                # phrase is searched for only when its words are there.
                if entry.required is not None and not entry.required <= words:
                    continue
                if (
                    entry.needle is not None
                    and entry.compound not in words
                    and not (entry.needs <= words and entry.needle in doc.any_sequence)
                ):
                    continue
                if entry.categories is not None and not entry.categories <= categories:
                    continue
                if entry.excluded is not None and not entry.excluded.isdisjoint(words):
                    continue
                if entry.rest is not None and not entry.rest(doc):
                    continue
            result = Match((entry.root, doc, None))
            subs = entry.subs
            if len(subs) == 1:
                matched.append((subs[0], result))
            else:
                for sub in subs:  # a zip with repeat() costs more than the few appends
                    matched.append((sub, result))
        return matched
