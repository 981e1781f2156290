"""Counters for ``/metrics``: what the bot did, in the Prometheus text format.

Each ``Metrics`` owns its registry instead of using prometheus_client's global one: two
apps built in one process (the test suite does this all the time) would otherwise
collide on the metric names, and one app's counts would leak into the other's scrape.

The pipeline, the dispatcher and the delivery worker call the small methods below; none
of them knows about Prometheus. The outbox depth is not counted as things happen but read
from the database when scraped, so it is right even after a restart or a manual cleanup.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

log = logging.getLogger(__name__)

POLL_RESULTS = ("ok", "empty", "failed")
MESSAGE_RESULTS = ("sent", "failed", "dead", "deferred")
# From a fast Bot API answer (tens of ms) to a send that waited on a rate limit or a retry-after.
SEND_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# A scrape must answer even when the database hangs; Prometheus' own timeout is 10 s by default.
OUTBOX_READ_TIMEOUT = 3.0

CONTENT_TYPE = CONTENT_TYPE_LATEST

OutboxDepth = Callable[[], Awaitable[Mapping[str, int]]]


class Metrics:
    """The bot's Prometheus metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._polls = Counter(
            "paperbot_polls",
            "Polls of the arXiv announcement feeds, by result (ok: new announcement stored, "
            "empty: nothing new, failed: gave up after retries).",
            ["result"],
            registry=self.registry,
        )
        self._fetch_errors = Counter(
            "paperbot_fetch_errors",
            "Failed requests to arXiv (each try, retries included), by exception class.",
            ["kind"],
            registry=self.registry,
        )
        self._papers = Counter(
            "paperbot_papers_stored",
            "Announcements stored, by announce type (new, cross, replace, replace-cross).",
            ["announce_type"],
            registry=self.registry,
        )
        self._matches = Counter(
            "paperbot_matches",
            "Subscription matches found by the dispatcher (one per paper and subscription).",
            registry=self.registry,
        )
        self._messages = Counter(
            "paperbot_messages",
            "Messages handed to a chat platform, by platform and result (sent, failed: will be retried, "
            "dead: gave up, deferred: put back without a try, e.g. rate limit).",
            ["platform", "result"],
            registry=self.registry,
        )
        self._send_seconds = Histogram(
            "paperbot_send_seconds",
            "Time of one send call to a chat platform, in seconds.",
            ["platform"],
            buckets=SEND_BUCKETS,
            registry=self.registry,
        )
        self._outbox = Gauge(
            "paperbot_outbox_messages",
            "Messages in the outbox by status, read from the database at scrape time.",
            ["status"],
            registry=self.registry,
        )
        # Zero series from the start, so rate() and alerts work before the first poll.
        for result in POLL_RESULTS:
            self._polls.labels(result=result)
        self._outbox_depth: OutboxDepth | None = None
        self._outbox_statuses: set[str] = set()
        self._outbox_failing = False

    def poll(self, result: str) -> None:
        """One poll ended: ``ok``, ``empty`` or ``failed``."""
        if result not in POLL_RESULTS:
            raise ValueError(f"poll result must be one of {POLL_RESULTS}, not {result!r}")
        self._polls.labels(result=result).inc()

    def fetch_error(self, kind: str) -> None:
        """A request to arXiv failed; ``kind`` is the exception's class name (a small, fixed set)."""
        self._fetch_errors.labels(kind=kind).inc()

    def stored(self, announce_type: str, count: int) -> None:
        """``count`` announcements of one type were stored."""
        if count < 0:
            raise ValueError(f"count must not be negative, not {count}")
        self._papers.labels(announce_type=announce_type).inc(count)

    def matched(self, count: int) -> None:
        """The dispatcher matched ``count`` papers to subscriptions."""
        if count < 0:
            raise ValueError(f"count must not be negative, not {count}")
        self._matches.inc(count)

    def message(self, platform: str, result: str, seconds: float | None = None) -> None:
        """One message's send ended with ``result``; ``seconds`` is the send call's duration, if one was made."""
        if result not in MESSAGE_RESULTS:
            raise ValueError(f"message result must be one of {MESSAGE_RESULTS}, not {result!r}")
        self._messages.labels(platform=platform, result=result).inc()
        if seconds is not None:
            self._send_seconds.labels(platform=platform).observe(seconds)

    def outbox_depth_from(self, callback: OutboxDepth | None) -> None:
        """Read the outbox depth by status from ``callback`` at each scrape (None: not shown).

        Prometheus collectors are synchronous and the database is not, so the depth is
        a gauge that ``refresh`` (awaited by the HTTP handler before ``render``) sets.
        """
        self._outbox_depth = callback
        if callback is None:
            self._outbox.clear()
            self._outbox_statuses.clear()

    async def refresh(self) -> None:
        """Bring the scrape-time gauges up to date; a failure is logged and hides them, never raises.

        Hidden rather than kept: an old depth shown as current would tell the operator the
        queue is fine while the database is down (which ``/healthz`` reports).
        """
        callback = self._outbox_depth
        if callback is None:
            return
        try:
            depth = await asyncio.wait_for(callback(), OUTBOX_READ_TIMEOUT)
        except Exception as err:
            if not self._outbox_failing:
                log.warning("cannot read the outbox depth for /metrics: %s: %s", type(err).__name__, err)
            self._outbox_failing = True
            self._outbox.clear()
            self._outbox_statuses.clear()
            return
        if self._outbox_failing:
            log.info("outbox depth readable again")
        self._outbox_failing = False
        seen = {str(status): int(number) for status, number in depth.items()}
        # A status that emptied out reads 0 instead of vanishing from the scrape.
        for status in self._outbox_statuses - seen.keys():
            self._outbox.labels(status=status).set(0)
        for status, number in seen.items():
            self._outbox.labels(status=status).set(number)
        self._outbox_statuses |= seen.keys()

    def render(self) -> bytes:
        """The registry in the Prometheus text exposition format (serve it as ``CONTENT_TYPE``)."""
        return generate_latest(self.registry)
