"""What an operator checks when a digest did not come: ``paperbot status`` and ``/status``.

Everything is read from the database (the schedule lives there), so the command works
from another process while the bot runs, and says the same as the bot would.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from paperbot.app import App
from paperbot.arxiv.calendar import EASTERN, is_feed_day, latest_feed_date
from paperbot.slots import next_slot
from paperbot.store.models import DeliveryMode

FEED_REBUILT = time(0, 5)  # Eastern: the feeds are rebuilt around midnight after each announcement
DIGESTS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class SourceStatus:
    name: str
    last_announcement: str | None
    last_success: str | None
    last_attempt: str | None
    last_error: str | None
    consecutive_failures: int
    next_poll: str


@dataclass(slots=True)
class Status:
    now: str
    expected_announcement: str
    sources: list[SourceStatus] = field(default_factory=list)
    papers_total: int = 0
    papers_today: int = 0
    platforms: dict[str, dict[str, int]] = field(default_factory=dict)
    outbox: dict[str, int] = field(default_factory=dict)
    dead_letters: list[dict[str, str]] = field(default_factory=list)
    next_digests: list[dict[str, str]] = field(default_factory=list)
    next_delivery_run: str = ""
    summaries: str = "offline"
    vectors: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def next_feed_poll(now: datetime, holidays: tuple[date, ...]) -> datetime:
    """The next time the feeds are rebuilt after an announcement (00:05 Eastern on a feed day)."""
    day = now.astimezone(EASTERN).date()
    for ahead in range(10):
        candidate = day + timedelta(days=ahead)
        moment = datetime.combine(candidate, FEED_REBUILT, tzinfo=EASTERN).astimezone(UTC)
        if moment > now and is_feed_day(candidate, holidays):
            return moment
    raise AssertionError("a feed day comes within ten days")


async def collect_status(app: App) -> Status:
    settings = app.settings
    now = app.clock.now()
    expected = latest_feed_date(now, settings.arxiv_holidays)
    status = Status(now=_iso(now) or "", expected_announcement=expected.isoformat())
    for cursor in await app.store.cursors():
        if not cursor.name.startswith("feed:"):
            continue
        if cursor.announced_on is not None and cursor.announced_on >= expected:
            upcoming = next_feed_poll(now, settings.arxiv_holidays)
        else:
            last = cursor.last_attempt_at or now
            upcoming = max(now, last + timedelta(seconds=settings.poll_interval))
        status.sources.append(
            SourceStatus(
                name=cursor.name,
                last_announcement=cursor.announced_on.isoformat() if cursor.announced_on else None,
                last_success=_iso(cursor.last_success_at),
                last_attempt=_iso(cursor.last_attempt_at),
                last_error=cursor.last_error,
                consecutive_failures=cursor.consecutive_failures,
                next_poll=_iso(upcoming) or "",
            )
        )
    midnight = datetime.combine(now.date(), time.min, tzinfo=UTC)
    status.papers_total = await app.store.count()
    status.papers_today = await app.store.count_stored_since(midnight)
    for platform, (active, inactive, subscriptions) in (await app.services.chats.platform_counts()).items():
        status.platforms[platform] = {
            "active_chats": active,
            "inactive_chats": inactive,
            "subscriptions": subscriptions,
        }
    status.outbox = await app.outbox.summary(midnight)
    status.dead_letters = [
        {"chat": str(d.recipient_id), "paper": d.arxiv_id, "kind": d.kind, "error": error or ""}
        for d, error in await app.outbox.dead_letters(limit=5)
    ]
    digests = [
        (next_slot(r, now), r)
        for r in await app.services.chats.all_recipients()
        if r.delivery_mode is DeliveryMode.DIGEST and r.active and not r.paused
    ]
    for when, recipient in sorted(digests, key=lambda pair: pair[0])[:DIGESTS_SHOWN]:
        status.next_digests.append(
            {"chat": f"{recipient.platform.value}:{recipient.external_id}", "at": _iso(when) or ""}
        )
    status.next_delivery_run = f"every {settings.delivery_interval:g} s while the bot runs"
    summarizer = app.services.summaries
    status.summaries = f"LLM ({settings.llm_model})" if summarizer.uses_model else "offline (extractive)"
    status.vectors = await app.services.embeddings.status_line()
    return status


def render_status(status: Status) -> str:
    """For a person: short lines, problems first in each block."""
    lines = [f"paperbot status at {status.now}", f"expected announcement: {status.expected_announcement}", ""]
    lines.append("sources:")
    if not status.sources:
        lines.append("  (never polled)")
    for source in status.sources:
        lines.append(f"  {source.name}")
        lines.append(f"    last announcement: {source.last_announcement or 'none yet'}")
        lines.append(f"    last success:      {source.last_success or 'never'}")
        if source.last_error:
            lines.append(f"    last error:        {source.last_error} ({source.consecutive_failures} in a row)")
        lines.append(f"    next poll:         {source.next_poll}")
    lines.append("")
    lines.append(f"papers: {status.papers_total} stored, {status.papers_today} today")
    lines.append("chats:")
    if not status.platforms:
        lines.append("  (none yet)")
    for platform, counts in status.platforms.items():
        lines.append(
            f"  {platform}: {counts['active_chats']} active, {counts['inactive_chats']} inactive, "
            f"{counts['subscriptions']} subscriptions"
        )
    outbox = status.outbox
    lines.append(
        f"outbox: {outbox.get('queued', 0)} queued ({outbox.get('retrying', 0)} retrying), "
        f"{outbox.get('sending', 0)} in flight, {outbox.get('sent_today', 0)} sent today, "
        f"{outbox.get('dead', 0)} dead-lettered"
    )
    for dead in status.dead_letters:
        lines.append(f"  dead: chat {dead['chat']} paper {dead['paper']} ({dead['kind']}): {dead['error']}")
    lines.append("schedule:")
    for source in status.sources:
        lines.append(f"  poll {source.name}: {source.next_poll}")
    lines.append(f"  delivery: {status.next_delivery_run}")
    for digest in status.next_digests:
        lines.append(f"  digest {digest['chat']}: {digest['at']}")
    lines.append(f"summaries: {status.summaries}")
    lines.append(f"vectors: {status.vectors}")
    return "\n".join(lines)
