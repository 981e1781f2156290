"""/filter: matches a chat's trained ratings model is confident it does not want are held back.

Only a trained model (enough 👍 and 👎) holds anything back, and never a paper that one
of its subscriptions names an author of (``au:``): following a person means every paper.
Held papers go to ``held_papers`` instead of the outbox; /held lists and releases them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from paperbot.domain import Paper
from paperbot.query import Query, QueryError, match
from paperbot.query import parse as parse_query
from paperbot.query.ast import And, Author, Node, Or
from paperbot.relevance.ratings import InterestModels
from paperbot.store.chats import ChatStore, Subscription
from paperbot.store.held import HeldPaper, HeldStore
from paperbot.store.outbox import PAPER, Owed


def named_authors(node: Node) -> list[Author]:
    """The authors a query asks for (not those it excludes with NOT)."""
    if isinstance(node, Author):
        return [node]
    if isinstance(node, And | Or):
        return [author for child in node.children for author in named_authors(child)]
    return []


def _author_queries(canonical: str) -> list[Query]:
    try:
        root = parse_query(canonical).root
    except QueryError:
        return []
    return [Query(author, f'au:"{" ".join(author.parts)}"') for author in named_authors(root)]


def author_queries(subscriptions: Iterable[Subscription]) -> dict[int, list[Query]]:
    """Per subscription id, the authors it names, as queries a paper can be matched against."""
    return {s.id: _author_queries(s.canonical) for s in subscriptions}


class HoldBack:
    def __init__(self, held: HeldStore, interest: InterestModels, chats: ChatStore, *, threshold: float) -> None:
        self._held = held
        self._interest = interest
        self._chats = chats
        self._threshold = threshold

    async def keep(self, owed: Sequence[Owed], papers: Mapping[str, Paper]) -> list[Owed]:
        """What to queue, in order; the rest is recorded as held back."""
        filtering = await self._held.filtering(sorted({o.recipient_id for o in owed if o.kind == PAPER}))
        if not filtering:
            return list(owed)
        authors: dict[int, list[Query]] = {}
        for subscriptions in (await self._chats.subscriptions_of(sorted(filtering))).values():
            authors |= author_queries(subscriptions)
        candidates: dict[int, list[Owed]] = defaultdict(list)
        for item in owed:
            if item.recipient_id in filtering and item.kind == PAPER and item.arxiv_id in papers:
                candidates[item.recipient_id].append(item)
        held: list[HeldPaper] = []
        for recipient_id, items in candidates.items():
            unwanted = await self.unwanted(
                recipient_id, [(papers[o.arxiv_id], o.subscription_ids) for o in items], authors
            )
            held += [
                HeldPaper(recipient_id, o.arxiv_id, o.subscription_ids, unwanted[o.arxiv_id])
                for o in items
                if o.arxiv_id in unwanted
            ]
        held_keys = {(h.recipient_id, h.arxiv_id) for h in held}
        await self._held.hold(held)
        return [o for o in owed if (o.recipient_id, o.arxiv_id) not in held_keys or o.kind != PAPER]

    async def unwanted(
        self,
        recipient_id: int,
        matches: Sequence[tuple[Paper, Sequence[int]]],
        authors: Mapping[int, list[Query]],
    ) -> dict[str, float]:
        """Of a chat's matches (each paper with the ids of the subscriptions it matched),
        those to hold back, with the model's interest in each: what the dispatcher holds
        and what /preview leaves out. ``authors`` is ``author_queries`` of those subscriptions."""
        model = await self._interest.model_for(recipient_id)
        if model is None or not model.trained:
            return {}
        scores = await self._interest.score_with(model, [paper for paper, _ in matches])
        unwanted: dict[str, float] = {}
        for paper, subscription_ids in matches:
            score = scores.get(paper.arxiv_id)
            if score is None or score >= self._threshold:
                continue
            followed = [q for s in subscription_ids for q in authors.get(s, [])]
            if any(match(q, paper) is not None for q in followed):
                continue
            unwanted[paper.arxiv_id] = score
        return unwanted
