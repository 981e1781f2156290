"""What deliveries take from relevance: a chat's interest in papers, and papers close to its library."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from paperbot.domain import Paper
from paperbot.relevance.ratings import InterestModels
from paperbot.relevance.similarity import PaperEmbeddings, closeness_to, stack
from paperbot.store.feedback import FeedbackStore
from paperbot.store.library import LibraryStore
from paperbot.store.papers import PaperStore


@dataclass(frozen=True, slots=True)
class BatchRanking:
    """Which chats of a batch have ratings, and the libraries of those that have one.

    Read in two queries for the whole batch, so that a digest run over thousands of
    chats, most of which never rated or imported anything, costs no query per chat.
    """

    rated: frozenset[int]
    libraries: Mapping[int, Sequence[str]]


class ChatRanking:
    def __init__(
        self,
        interest: InterestModels,
        feedback: FeedbackStore,
        library: LibraryStore,
        papers: PaperStore,
        embeddings: PaperEmbeddings,
        *,
        library_threshold: float,
        library_top: int,
    ) -> None:
        self._interest = interest
        self._feedback = feedback
        self._library = library
        self._papers = papers
        self._embeddings = embeddings
        self._threshold = library_threshold
        self._top = library_top

    async def for_chats(self, recipient_ids: Sequence[int]) -> BatchRanking:
        rated = await self._feedback.rated_recipients(recipient_ids)
        libraries = await self._library.of_recipients(recipient_ids) if self._top > 0 else {}
        return BatchRanking(frozenset(rated), libraries)

    async def interest(self, recipient_id: int, papers: Sequence[Paper]) -> dict[str, float]:
        """The chat's predicted interest per paper (0..1); empty before its first rating."""
        scores = await self._interest.scores(recipient_id, papers)
        return scores.by_id if scores is not None else {}

    async def close_to_library(
        self,
        recipient_id: int,
        exclude: Collection[str],
        *,
        days: int = 1,
        owned: Sequence[str] | None = None,
    ) -> list[tuple[Paper, float]]:
        """Papers of the last ``days`` announcement days most like the chat's library, best first.

        Only those at least ``library_threshold`` close (cosine) to one library paper, at
        most ``library_top``; never one in ``exclude`` (already in the digest) or in the library.
        ``owned`` is the library when the caller already read it (``for_chats``).
        """
        if self._top <= 0:
            return []
        if owned is None:
            owned = await self._library.arxiv_ids(recipient_id)
        if not owned:
            return []
        library = await self._embeddings.ensure(await self._papers.get_many(owned))
        skipped = set(exclude) | set(owned)
        candidates = [p for p in await self._papers.announced_recently(days) if p.arxiv_id not in skipped]
        if not candidates or not library:
            return []
        closeness = closeness_to(stack(list(library.values())), await self._embeddings.ensure(candidates))
        by_id = {p.arxiv_id: p for p in candidates}
        best = sorted(
            ((score, arxiv_id) for arxiv_id, score in closeness.items() if score >= self._threshold), reverse=True
        )
        return [(by_id[arxiv_id], score) for score, arxiv_id in best[: self._top]]
