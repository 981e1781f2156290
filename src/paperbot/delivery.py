"""The delivery worker: drains the outbox through each platform's messenger.

Instant chats get one card per paper as soon as it is due; digest chats get one digest
when their slot comes (or a note saying why there is nothing). Every send is paced by
our own limits, claimed before and marked after, so nothing is lost and a crash repeats
at most the message in flight.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Protocol

from paperbot.arxiv.calendar import latest_feed_date
from paperbot.cards import build_card
from paperbot.clock import Clock
from paperbot.config import Settings
from paperbot.digest import DigestItem, build_digest
from paperbot.domain import Paper
from paperbot.errors import DeliveryError, RateLimited, RecipientUnavailable
from paperbot.messages import Card, Reply
from paperbot.metrics import Metrics
from paperbot.pacing import Pacer
from paperbot.query import QueryError, match
from paperbot.query.result import Match
from paperbot.query.topics import TopicScoresMissing
from paperbot.relevance.ranking import BatchRanking, ChatRanking
from paperbot.relevance.topic import TopicScorer
from paperbot.slots import digest_due, zone_of
from paperbot.store.chats import ChatStore, Recipient, Subscription
from paperbot.store.outbox import Delivery, Outbox
from paperbot.store.papers import PaperStore
from paperbot.summary.facts import facts_of
from paperbot.summary.service import Summarizer

log = logging.getLogger(__name__)

CLAIM_BATCH = 100
DIGEST_BATCH = 200  # digest chats claimed, and their subscriptions and papers read, at once
SUMMARY_WAIT = 20.0  # seconds a digest waits for model summaries before using offline ones
UNAVAILABLE_RETRY = timedelta(hours=1)


class Messenger(Protocol):
    """One platform's way to send a reply to a chat (an adapter implements it)."""

    text_limit: int

    async def send(self, chat_id: str, reply: Reply) -> None: ...


@dataclass(slots=True)
class DeliveryRun:
    messages: int = 0
    papers: int = 0
    digests: int = 0
    notes: int = 0
    failed: int = 0
    dead: int = 0


FeedDay = Callable[[], Awaitable[date | None]]


def empty_digest_note(
    last_digest_at: datetime | None, now: datetime, stored_day: date | None, holidays: Sequence[date]
) -> tuple[str, bool]:
    """Why a digest is empty, and whether its papers are still to come (a late announcement)."""
    expected = latest_feed_date(now, holidays)
    if last_digest_at is not None and expected <= latest_feed_date(last_digest_at, holidays):
        return "No digest today: arXiv did not announce since the last one (weekend or holiday).", False
    if stored_day is None or stored_day < expected:
        return (
            f"arXiv's announcement of {expected.isoformat()} could not be fetched yet (arXiv is late or not "
            "answering). Its papers will come here as soon as they are in.",
            True,
        )
    return f"Nothing in arXiv's announcement of {expected.isoformat()} matched your subscriptions.", False


class DeliveryWorker:
    def __init__(
        self,
        *,
        outbox: Outbox,
        chats: ChatStore,
        papers: PaperStore,
        summaries: Summarizer,
        messengers: Mapping[str, Messenger],
        pacer: Pacer,
        clock: Clock,
        settings: Settings,
        feed_day: FeedDay,
        metrics: Metrics | None = None,
        ranking: ChatRanking | None = None,
        topics: TopicScorer | None = None,
    ) -> None:
        self._metrics = metrics
        self._ranking = ranking
        self._topics = topics
        self._stopping = False
        self._outbox = outbox
        self._chats = chats
        self._papers = papers
        self._summaries = summaries
        self._messengers = messengers
        self._pacer = pacer
        self._clock = clock
        self._settings = settings
        self._feed_day = feed_day

    def stop(self) -> None:
        """Take no new sends: the one in flight finishes and is marked, the rest go back to the queue."""
        self._stopping = True

    async def run_once(self) -> DeliveryRun:
        """Send everything due now; returns what went out."""
        run = DeliveryRun()
        await self._instant(run)
        await self._digests(run)
        self._pacer.forget_idle()
        return run

    # -- sending one message ------------------------------------------------------------

    async def _send(
        self,
        recipient: Recipient,
        reply: Reply,
        ids: Sequence[int],
        run: DeliveryRun,
        *,
        digest_at: datetime | None = None,
    ) -> bool:
        """Pace, send, mark (and, with ``digest_at``, record the digest in the same transaction).

        False if it did not go (the deliveries are back in the queue).
        """
        messenger = self._messengers.get(recipient.platform.value)
        now = self._clock.now()
        if self._stopping:
            await self._outbox.release(ids, due_at=now, error=None)
            return False
        if messenger is None:
            await self._outbox.release(ids, due_at=now + UNAVAILABLE_RETRY, error="platform not running")
            return False
        platform = recipient.platform.value
        context = {"chat": f"{platform}:{recipient.external_id}", "platform": platform}
        try:
            async with self._pacer.sending(recipient.platform, recipient.external_id, recipient.kind):
                started = self._clock.monotonic()
                await messenger.send(recipient.external_id, reply)
        except RecipientUnavailable as err:
            # The adapter paused the chat; its messages wait for it to come back.
            await self._outbox.release(ids, due_at=now + UNAVAILABLE_RETRY, error=str(err))
            self._count(platform, "deferred")
            log.info("chat unavailable, its messages wait: %s", err, extra=context)
            return False
        except RateLimited as err:
            await self._outbox.release(ids, due_at=now + timedelta(seconds=err.retry_after), error=str(err))
            self._count(platform, "deferred")
            return False
        except DeliveryError as err:
            run.failed += 1
            dead = await self._outbox.fail(
                ids,
                str(err),
                max_attempts=self._settings.delivery_max_attempts,
                backoff=self._settings.delivery_backoff,
            )
            run.dead += len(dead)
            self._count(platform, "dead" if dead else "failed")
            log.warning("delivery failed: %s", err, extra=context)
            return False
        await self._outbox.mark_sent(ids, digest=(recipient.id, digest_at) if digest_at is not None else None)
        self._count(platform, "sent", self._clock.monotonic() - started)
        run.messages += 1
        return True

    def _count(self, platform: str, result: str, seconds: float | None = None) -> None:
        if self._metrics is not None:
            self._metrics.message(platform, result, seconds)

    # -- instant ------------------------------------------------------------------------

    async def _instant(self, run: DeliveryRun) -> None:
        while claimed := await self._outbox.claim_instant(CLAIM_BATCH):
            recipients = await self._chats.recipients(sorted({d.recipient_id for d in claimed}))
            papers = {p.arxiv_id: p for p in await self._papers.get_many(sorted({d.arxiv_id for d in claimed}))}
            per_chat: dict[int, list[Delivery]] = {}
            for delivery in claimed:
                per_chat.setdefault(delivery.recipient_id, []).append(delivery)
            await self._side_by_side([self._send_chat(group, recipients, papers, run) for group in per_chat.values()])
            if len(claimed) < CLAIM_BATCH:
                return

    async def _send_chat(
        self,
        deliveries: list[Delivery],
        recipients: Mapping[int, Recipient],
        papers: Mapping[str, Paper],
        run: DeliveryRun,
    ) -> None:
        """One chat's instant messages, in order (different chats go side by side)."""
        for delivery in deliveries:
            recipient = recipients.get(delivery.recipient_id)
            paper = papers.get(delivery.arxiv_id)
            if recipient is None or paper is None:
                await self._outbox.fail([delivery.id], "chat or paper deleted", max_attempts=1, backoff=0)
                continue
            card = await self._card(recipient, paper, delivery)
            if await self._send(recipient, Reply(cards=(card,)), [delivery.id], run):
                run.papers += 0 if delivery.is_revision else 1

    async def _side_by_side(self, jobs: Sequence[Coroutine[object, object, None]]) -> None:
        """Run per-chat jobs concurrently, at most ``delivery_concurrency`` at a time."""
        slots = asyncio.Semaphore(self._settings.delivery_concurrency)

        async def bounded(job: Coroutine[object, object, None]) -> None:
            async with slots:
                await job

        await asyncio.gather(*(bounded(job) for job in jobs))

    async def _card(self, recipient: Recipient, paper: Paper, delivery: Delivery) -> Card:
        if delivery.is_revision:
            comment = f": {paper.comment}" if paper.comment else ""
            return replace(build_card(paper, ""), notice=f"new version v{paper.version}{comment}")
        summary = await self._summaries.summary_for(paper, recipient.language)
        why, highlight = await self._why(recipient, paper, delivery)
        card = build_card(
            paper,
            summary.text,
            venue=facts_of(paper).venue,
            why=why,
            highlight=highlight,
            subscription_ids=delivery.subscription_ids,
        )
        if self._ranking is None:
            return card
        interest = (await self._ranking.interest(recipient.id, [paper])).get(paper.arxiv_id)
        return replace(card, interest=interest)

    async def _why(
        self, recipient: Recipient, paper: Paper, delivery: Delivery
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        subscriptions = {s.id: s for s in await self._chats.subscriptions(recipient.id)}
        why: list[str] = []
        words: list[str] = []
        for subscription_id in delivery.subscription_ids:
            subscription = subscriptions.get(subscription_id)
            if subscription is None:
                continue
            try:
                found = match(subscription.canonical, paper)
            except TopicScoresMissing:
                # A topic term's reason is its similarity, which only the scorer knows.
                found = await self._topic_match(subscription.canonical, paper)
            except QueryError:
                continue
            if found is not None:
                why.append(found.explain())
                words += list(found.words)
        return tuple(why), tuple(dict.fromkeys(words))

    async def _topic_match(self, query: str, paper: Paper) -> Match | None:
        if self._topics is None:
            return None
        try:
            found = await self._topics.search(query, [paper])
        except QueryError:
            return None
        return found[0][1] if found else None

    # -- digests ------------------------------------------------------------------------

    async def _digests(self, run: DeliveryRun) -> None:
        now = self._clock.now()
        candidates = await self._chats.recipients(await self._outbox.digest_recipients())
        due = [r for r in candidates.values() if digest_due(r, now) or r.digest_late]
        for start in range(0, len(due), DIGEST_BATCH):
            # One claim, one subscriptions query and one papers query per batch of chats,
            # instead of three round trips (and a fourth transaction to record it) per chat.
            batch = due[start : start + DIGEST_BATCH]
            ids = [r.id for r in batch]
            claimed = await self._outbox.claim_digests(ids)
            subscriptions = await self._chats.subscriptions_of(ids)
            wanted = sorted({d.arxiv_id for deliveries in claimed.values() for d in deliveries})
            papers = {p.arxiv_id: p for p in await self._papers.get_many(wanted)} if wanted else {}
            ranking = await self._ranking.for_chats(ids) if self._ranking is not None else None
            await self._side_by_side(
                [
                    self._digest(r, now, run, claimed.get(r.id, []), subscriptions.get(r.id, []), papers, ranking)
                    for r in batch
                ]
            )

    async def _digest(
        self,
        recipient: Recipient,
        now: datetime,
        run: DeliveryRun,
        claimed: list[Delivery],
        subscriptions: list[Subscription],
        papers: Mapping[str, Paper],
        ranking: BatchRanking | None,
    ) -> None:
        if not claimed:
            if recipient.digest_late and not digest_due(recipient, now):
                return  # still waiting for the late announcement; the note was sent
            if not subscriptions:
                await self._chats.record_digest(recipient.id, now)
                return
            text, late = empty_digest_note(
                recipient.last_digest_at, now, await self._feed_day(), self._settings.arxiv_holidays
            )
            if await self._send(recipient, Reply(text=text), [], run):
                run.notes += 1
                await self._chats.record_digest(recipient.id, now, late=late)
            return
        present = [d for d in claimed if d.arxiv_id in papers]
        summaries = await self._summaries.summaries_for(
            [papers[d.arxiv_id] for d in present], recipient.language, wait=SUMMARY_WAIT
        )
        items = [DigestItem(d, papers[d.arxiv_id], s.text) for d, s in zip(present, summaries, strict=True)]
        messenger = self._messengers.get(recipient.platform.value)
        limit = messenger.text_limit if messenger else 4096
        day = now.astimezone(zone_of(recipient)).date()
        interest: dict[str, float] = {}
        close: list[tuple[Paper, float]] = []
        if self._ranking is not None and ranking is not None:
            if recipient.id in ranking.rated:
                interest = await self._ranking.interest(recipient.id, [item.paper for item in items])
            owned = ranking.libraries.get(recipient.id)
            if owned:
                days = 1 if recipient.digest_weekday is None else 5  # a weekly digest covers the week
                close = await self._ranking.close_to_library(
                    recipient.id, {i.paper.arxiv_id for i in items}, days=days, owned=owned
                )
        messages = build_digest(
            items,
            subscriptions,
            day=day,
            top=self._settings.digest_top,
            limit=limit,
            interest=interest,
            close_to_library=close,
        )
        remaining = {d.id for d in claimed}
        for position, message in enumerate(messages):
            last = position == len(messages) - 1
            sent = await self._send(
                recipient, Reply(text=message.text), message.delivery_ids, run, digest_at=now if last else None
            )
            if not sent:
                await self._outbox.release(sorted(remaining - set(message.delivery_ids)), due_at=now)
                return
            remaining -= set(message.delivery_ids)
        run.digests += 1
        run.papers += len(items)
