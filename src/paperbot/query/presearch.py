"""Which terms a paper must contain for a query to have a chance: the index keys.

This is the "presearcher" of Lucene's Monitor: for each query, a small set of keys
such that every paper the query matches contains at least one of them. The index
files the query under those keys only; a new paper's own keys then find the few
queries worth verifying.

* a word, a category, ``has:code``: the term itself;
* a phrase: its rarest pair of adjacent words (for two words, the phrase itself), or
  its closed compound (``statespace``);
* a prefix: the prefix (the index looks up the words of a paper that start with it);
* an author: the one part of a one-part name; for a longer name, each full part
  with the initial of the next part (``names.name_pair``);
* ``AND``: the cheapest child that has keys; ``OR``: the union of its children's keys;
* ``NOT``: nothing can be required, so the query has no keys and is verified
  against every paper (``SubscriptionIndex.size().always_verified`` counts them); so is an ``OR`` with
  such a branch;
* a topic term (``~"..."``, ``like:``): no word is required of a paper close in
  meaning, so it has no keys either: ``~"x" cat:cs`` is filed under ``cat:cs``, and a
  query of topic terms only is verified against every paper, from the similarities
  computed for the batch before matching (``query.topics``).

"Cheapest" is the estimated share of papers containing the keys: from ``TermStats``
over recent papers when given, else from word length and a list of words that are
frequent in any field (a long word is rarer than a short one, on the whole).
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from paperbot.query.ast import (
    And,
    Author,
    Category,
    Field,
    HasCode,
    Like,
    Node,
    Not,
    Phrase,
    Prefix,
    Topic,
    Word,
)
from paperbot.query.document import PaperDoc
from paperbot.query.names import name_keys
from paperbot.query.text import plural_key

PREFIX_SLOT = "prefix:"
"""Slots of prefix keys are ``prefix:any``, ``prefix:ti`` ...; word slots are the field names."""
PAIR_SLOT = "pair:"
"""Slots of adjacent-word pairs are ``pair:any``, ``pair:ti`` ..."""
AUTHOR_PAIR_SLOT = "au2"
"""Keys of names of several parts: ``("au2", "hua y")`` (``names.name_pair``)."""

Key = tuple[str, str]
"""(slot, value): ``("any", "diffusion")``, ``("pair:any", "state space")``,
``("cat", "cs.LG")``, ``("prefix:ti", "quantiz")``."""

# Words found in a large share of arXiv abstracts, whatever the field: a query is
# better keyed on any other of its words. Written by hand; only a cost estimate.
COMMON_WORDS = frozenset(
    """
    a about above across after again against all almost along also although among an
    and another any approach are around as at based be because been before being
    below between both but by can case could data de der des die do does done due
    during each either et even ever few first for from further general given has
    have here high how however i if in into is it its just large less low made main
    make many may method model more most much must new no non not now of on one only
    or other our out over paper per present problem propose proposed provide result
    show shown so some such than that the their them then there these they this
    those three through thus to two under up upon use used using very via was we
    well were what when where whether which while who whose why will with within
    without would yet analysis application system network learning algorithm theory
    function time set study structure performance number order state field process
    information work technique framework task training dataset experiment different
    various several important effect effective efficient condition point level form
    type value quantum neural deep graph space energy physics dynamic dynamics
    linear optimal
    """.split()  # noqa: SIM905 - a word list reads better as text
)

_FIELD_SHARE = {"any": 1.0, "abs": 0.95, "ti": 0.12, "co": 0.05}
_LENGTH_SHARE = {1: 0.4, 2: 0.3, 3: 0.1, 4: 0.05, 5: 0.03, 6: 0.02, 7: 0.015}


class TermStats:
    """Document frequencies of index keys over a sample of papers (e.g. last week's).

    Optional: the index works without it, but with it the presearcher keys each query
    on the term that is really rarest, which is what keeps candidates few. Counted per
    slot with plain string keys, to stay small; pairs are counted for ``any`` only and
    scaled for the single fields.
    """

    def __init__(self) -> None:
        self.papers = 0
        self._counts: dict[str, Counter[str]] = {
            slot: Counter() for slot in ("any", "ti", "abs", "co", "au", AUTHOR_PAIR_SLOT, "cat", "has")
        }
        self._pairs: Counter[tuple[str, str]] = Counter()
        self._vocabulary: list[str] | None = None  # sorted "any" words, for prefixes

    @classmethod
    def from_docs(cls, docs: Iterable[PaperDoc]) -> TermStats:
        stats = cls()
        for doc in docs:
            stats.observe(doc)
        return stats

    def observe(self, doc: PaperDoc) -> None:
        self.papers += 1
        self._vocabulary = None
        counts = self._counts
        counts["any"].update(doc.any_words)
        counts["ti"].update(doc.title.words)
        counts["abs"].update(doc.abstract.words)
        counts["co"].update(doc.comment.words)
        counts["au"].update(doc.author_words)
        counts[AUTHOR_PAIR_SLOT].update(doc.author_pairs)
        counts["cat"].update(doc.categories)
        self._pairs.update(doc.any_pairs)
        if doc.has_code:
            counts["has"]["code"] += 1

    def prefix_share(self, prefix: str) -> float:
        """At most the summed shares of the words starting with ``prefix``."""
        counts = self._counts["any"]
        if self._vocabulary is None:
            self._vocabulary = sorted(counts)
        start = bisect.bisect_left(self._vocabulary, prefix)
        end = bisect.bisect_left(self._vocabulary, prefix + "\U0010ffff")
        total = sum(counts[word] for word in self._vocabulary[start:end])
        return min(1.0, (total + 0.5) / (self.papers + 1))

    def share(self, key: Key) -> float:
        """Estimated share of papers with this key, smoothed so unseen keys are rare."""
        slot, value = key
        if slot.startswith(PAIR_SLOT):
            first, _, second = value.partition(" ")
            scale = _FIELD_SHARE[slot[len(PAIR_SLOT) :]]
            return scale * (self._pairs.get((first, second), 0) + 0.5) / (self.papers + 1)
        counted = self._counts.get(slot)
        if counted is None:
            return _heuristic_share(slot, value)
        return (counted.get(value, 0) + 0.5) / (self.papers + 1)


def _heuristic_share(slot: str, value: str) -> float:
    if slot == "au":
        return 0.001
    if slot == AUTHOR_PAIR_SLOT:
        return 0.0002
    if slot == "cat":
        # An archive holds a large part of a day (cs is about half of arXiv).
        return 0.5 if "." not in value else 0.1
    if slot == "has":
        return 0.2
    if slot.startswith(PAIR_SLOT):
        field = slot[len(PAIR_SLOT) :]
        first, _, second = value.partition(" ")
        # Two words side by side are much rarer than the rarer of the two.
        return 0.2 * min(_heuristic_share(field, first), _heuristic_share(field, second))
    base = 0.5 if value in COMMON_WORDS else _LENGTH_SHARE.get(len(value), 0.01)
    return base * _FIELD_SHARE[slot]


@dataclass(frozen=True, slots=True)
class Cover:
    """Keys one of which every matching paper has, and their estimated cost."""

    keys: frozenset[Key]
    cost: float


class Presearcher:
    """Computes the cheapest cover of a query, with statistics when it has them."""

    def __init__(self, stats: TermStats | None = None) -> None:
        self._stats = stats if stats is not None and stats.papers else None

    def share(self, key: Key) -> float:
        slot, value = key
        if slot.startswith(PREFIX_SLOT):
            field = slot[len(PREFIX_SLOT) :]
            if self._stats is not None:
                return _FIELD_SHARE[field] * self._stats.prefix_share(value)
            # A prefix stands for several words; it is about as common as a word
            # a little shorter than itself.
            return min(1.0, 3 * _heuristic_share(field, value[:-1] or value))
        if self._stats is not None:
            return self._stats.share(key)
        return _heuristic_share(slot, value)

    def _cover_of(self, keys: Iterable[Key]) -> Cover:
        chosen = frozenset(keys)
        return Cover(chosen, sum(self.share(key) for key in chosen))

    def cover(self, node: Node) -> Cover | None:
        """The cheapest cover, or None if no key is required (the query must always be
        verified)."""
        if isinstance(node, Word):
            return self._cover_of([(node.field.value, plural_key(node.text))])
        if isinstance(node, Phrase):
            slot = node.field.value
            keys = [plural_key(word) for word in node.words]
            rarest = min(
                ((PAIR_SLOT + slot, f"{a} {b}") for a, b in itertools.pairwise(keys)),
                key=self.share,
            )
            return self._cover_of([rarest, (slot, plural_key("".join(node.words)))])
        if isinstance(node, Prefix):
            return self._cover_of([(PREFIX_SLOT + node.field.value, node.text)])
        if isinstance(node, Author):
            parts = node.parts
            if len(parts) == 1:
                return self._cover_of([("au", parts[0])])
            return self._cover_of((AUTHOR_PAIR_SLOT, key) for key in name_keys(parts))
        if isinstance(node, Category):
            return self._cover_of([("cat", node.id)])
        if isinstance(node, HasCode):
            return self._cover_of([("has", "code")])
        if isinstance(node, Not | Topic | Like):
            return None
        if isinstance(node, And):
            covers = [c for c in map(self.cover, node.children) if c is not None]
            return min(covers, key=lambda c: c.cost) if covers else None
        union: set[Key] = set()
        for child in node.children:
            child_cover = self.cover(child)
            if child_cover is None:
                return None
            union |= child_cover.keys
        return self._cover_of(union)


TEXT_SLOTS = tuple(field.value for field in Field)
