"""When a chat is due its digest, and when an instant message may go: local time rules.

Nothing here is stored: a digest is due when the chat's most recent digest slot (its
local time, daily or on its weekday) is later than the last digest it got. So a change
of /time or /timezone takes effect at once, and a bot that was down sends one digest
for the slots it missed, not one per slot.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from paperbot.store.chats import Recipient


def zone_of(recipient: Recipient) -> ZoneInfo:
    try:
        return ZoneInfo(recipient.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _at(day: date, when: time, zone: ZoneInfo) -> datetime:
    # A local time that does not exist (the hour skipped at a DST change) lands an hour later.
    return datetime.combine(day, when, tzinfo=zone).astimezone(UTC)


def latest_slot(recipient: Recipient, now: datetime) -> datetime:
    """The most recent digest slot at or before ``now`` (UTC)."""
    zone = zone_of(recipient)
    day = now.astimezone(zone).date()
    for back in range(8):
        candidate_day = day - timedelta(days=back)
        if recipient.digest_weekday is not None and candidate_day.weekday() != recipient.digest_weekday:
            continue
        slot = _at(candidate_day, recipient.digest_time, zone)
        if slot <= now:
            return slot
    raise AssertionError("a slot exists within eight days")


def next_slot(recipient: Recipient, now: datetime) -> datetime:
    """The first digest slot after ``now`` (UTC)."""
    zone = zone_of(recipient)
    day = now.astimezone(zone).date()
    for ahead in range(9):
        candidate_day = day + timedelta(days=ahead)
        if recipient.digest_weekday is not None and candidate_day.weekday() != recipient.digest_weekday:
            continue
        slot = _at(candidate_day, recipient.digest_time, zone)
        if slot > now:
            return slot
    raise AssertionError("a slot exists within nine days")


def digest_due(recipient: Recipient, now: datetime) -> bool:
    """A slot has passed since the last digest (or, for a new chat, since it was created)."""
    baseline = recipient.last_digest_at or recipient.created_at
    return latest_slot(recipient, now) > baseline


def quiet_until(recipient: Recipient, now: datetime) -> datetime | None:
    """The end of the chat's quiet hours if ``now`` falls inside them, else None."""
    if recipient.quiet_start is None or recipient.quiet_end is None:
        return None
    zone = zone_of(recipient)
    local = now.astimezone(zone)
    start, end = recipient.quiet_start, recipient.quiet_end
    clock = local.time()
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    end_day = local.date() if clock < end else local.date() + timedelta(days=1)
    return _at(end_day, end, zone)
