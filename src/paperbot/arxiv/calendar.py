"""When arXiv announces: Sunday to Thursday at 20:00 US Eastern, dated the next day.

The feeds are rebuilt around midnight Eastern and carry the date of the weekday that
begins then (Monday to Friday). Holidays are not modelled here: on a holiday the feed is
simply empty, which the pipeline reads as "no announcement".
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
_SATURDAY = 5


def is_feed_day(day: date) -> bool:
    """Feeds are dated Monday to Friday."""
    return day.weekday() < _SATURDAY


def latest_feed_date(now: datetime) -> date:
    """The date of the newest feed that should exist at ``now`` (an aware datetime)."""
    day = now.astimezone(EASTERN).date()
    while not is_feed_day(day):
        day -= timedelta(days=1)
    return day


def missed_feed_days(last_stored: date, current: date) -> list[date]:
    """Feed days strictly between two stored announcement days: what a poll never saw."""
    days = []
    day = last_stored + timedelta(days=1)
    while day < current:
        if is_feed_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days
