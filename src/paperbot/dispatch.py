"""Match: new announcements × every active subscription → messages owed, in the outbox.

The matcher reads announcements past its own cursor, so an announcement stored by a
poll that crashed before matching is matched by the next run; queuing is idempotent
(one row per chat, paper and kind), so a run repeated after a crash queues nothing twice.

Topic terms (``~"..."``, ``like:``) match by similarity: before a batch is matched, its
new papers are scored against every distinct topic term of the subscriptions at once
(``relevance.topic.TopicScorer.scores_for``) and the scores go into each paper's
``PaperDoc`` (see ``_topic_scores``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from paperbot.clock import Clock
from paperbot.domain import Announcement
from paperbot.metrics import Metrics
from paperbot.query import QueryError, SubscriptionIndex, analyse
from paperbot.query import parse as parse_query
from paperbot.query.ast import topic_leaves
from paperbot.query.topics import TopicScores
from paperbot.relevance.holdback import HoldBack
from paperbot.relevance.topic import TopicScorer
from paperbot.slots import quiet_until
from paperbot.store.chats import ChatStore, Recipient
from paperbot.store.models import DeliveryMode
from paperbot.store.outbox import PAPER, Outbox, Owed, revision_kind
from paperbot.store.papers import PaperStore

log = logging.getLogger(__name__)

CURSOR = "matcher"
BATCH = 5000


@dataclass(slots=True)
class DispatchReport:
    announcements: int = 0
    matches: int = 0
    queued: int = 0
    revisions: int = 0
    per_recipient: dict[int, int] = field(default_factory=dict)


class Dispatcher:
    def __init__(
        self,
        papers: PaperStore,
        chats: ChatStore,
        outbox: Outbox,
        clock: Clock,
        metrics: Metrics | None = None,
        topics: TopicScorer | None = None,
        hold_back: HoldBack | None = None,
    ) -> None:
        self._hold_back = hold_back
        self._metrics = metrics
        self._topics = topics
        self._papers = papers
        self._chats = chats
        self._outbox = outbox
        self._clock = clock

    async def _index(self) -> tuple[SubscriptionIndex[int], dict[int, Recipient]]:
        index: SubscriptionIndex[int] = SubscriptionIndex()
        owners: dict[int, Recipient] = {}
        for subscription, recipient in await self._chats.all_active_subscriptions():
            if not recipient.active or recipient.paused:
                continue  # a paused or unreachable chat gets no backlog when it returns
            try:
                query = parse_query(subscription.canonical)
            except QueryError as err:  # stored before a grammar change: skip it, loudly
                log.error("subscription %d no longer parses (%s); skipped", subscription.id, err)
                continue
            if self._topics is None and topic_leaves(query.root):
                log.error("subscription %d has a topic term but no topic scorer is set up; skipped", subscription.id)
                continue
            index.add(subscription.id, query)
            owners[subscription.id] = recipient
        return index, owners

    def _due(self, recipient: Recipient) -> datetime:
        now = self._clock.now()
        if recipient.delivery_mode is DeliveryMode.INSTANT:
            return quiet_until(recipient, now) or now
        return now  # a digest chat takes what is queued at its next slot

    async def dispatch(self) -> DispatchReport:
        """Queue every match of the announcements not yet matched; move the cursor after."""
        report = DispatchReport()
        cursor = await self._papers.cursor(CURSOR)
        if cursor is None or cursor.position is None:
            # First start: what was stored before anyone subscribed is not news to send.
            await self._papers.set_position(CURSOR, await self._papers.last_announcement_id())
            return report
        position = cursor.position
        index, owners = await self._index()
        while True:
            batch = await self._papers.announcements_after(position, limit=BATCH)
            if not batch:
                return report
            owed = await self._owed(batch, index, owners, report)
            owed = await self._without_held_back(owed, batch)
            report.queued += await self._outbox.enqueue(owed)
            if self._metrics is not None:
                self._metrics.matched(report.matches)
            position = batch[-1][0]
            await self._papers.set_position(CURSOR, position)
            log.info(
                "matched %d announcements: %d matches, %d messages queued",
                report.announcements,
                report.matches,
                report.queued,
            )

    async def _owed(
        self,
        batch: list[tuple[int, Announcement]],
        index: SubscriptionIndex[int],
        owners: dict[int, Recipient],
        report: DispatchReport,
    ) -> list[Owed]:
        owed: list[Owed] = []
        topic_scores = await self._topic_scores(batch, index)
        for _, announcement in batch:
            report.announcements += 1
            paper = announcement.paper
            if announcement.announce_type.is_revision:
                notices = await self._revision_notices(announcement)
                report.revisions += len(notices)
                owed += notices
                continue
            by_recipient: dict[int, list[int]] = defaultdict(list)
            for subscription_id, _match in index.match(analyse(paper, topic_scores.get(paper.arxiv_id))):
                report.matches += 1
                by_recipient[owners[subscription_id].id].append(subscription_id)
            for recipient_id, subscription_ids in by_recipient.items():
                recipient = owners[subscription_ids[0]]
                owed.append(
                    Owed(recipient_id, paper.arxiv_id, PAPER, tuple(sorted(subscription_ids)), self._due(recipient))
                )
                report.per_recipient[recipient_id] = report.per_recipient.get(recipient_id, 0) + 1
        return owed

    async def _topic_scores(
        self, batch: list[tuple[int, Announcement]], index: SubscriptionIndex[int]
    ) -> dict[str, TopicScores]:
        """The batch's new papers scored against every topic term of the subscriptions:
        embedded in one call, each topic text once, one matrix product (see TopicScorer)."""
        terms = index.topic_terms()
        if not terms or self._topics is None:
            return {}
        papers = list({a.paper.arxiv_id: a.paper for _, a in batch if not a.announce_type.is_revision}.values())
        return await self._topics.scores_for(terms, papers)

    async def _without_held_back(self, owed: list[Owed], batch: list[tuple[int, Announcement]]) -> list[Owed]:
        """/filter (``relevance.holdback``): what a chat's ratings model holds back is not queued."""
        if self._hold_back is None:
            return owed
        return await self._hold_back.keep(owed, {a.paper.arxiv_id: a.paper for _, a in batch})

    async def _revision_notices(self, announcement: Announcement) -> list[Owed]:
        paper = announcement.paper
        recipients = await self._chats.recipients(await self._outbox.sent_to(paper.arxiv_id))
        owed = []
        for recipient in recipients.values():
            if recipient.revision_notices and recipient.active and not recipient.paused:
                owed.append(Owed(recipient.id, paper.arxiv_id, revision_kind(paper.version), (), self._due(recipient)))
        return owed
