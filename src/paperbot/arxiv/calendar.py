"""When arXiv announces: Sunday to Thursday at 20:00 US Eastern, dated the next day.

The feeds are rebuilt around midnight Eastern and carry the date of the weekday that
begins then (Monday to Friday). arXiv's holidays come from a setting
(``PAPERBOT_ARXIV_HOLIDAYS``); a holiday missing from it costs only a few polls of an
empty feed, which the pipeline reads as "no announcement".
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
_SATURDAY = 5


def is_feed_day(day: date, holidays: Collection[date] = ()) -> bool:
    """Feeds are dated Monday to Friday, except on arXiv's holidays."""
    return day.weekday() < _SATURDAY and day not in holidays


def latest_feed_date(now: datetime, holidays: Collection[date] = ()) -> date:
    """The date of the newest feed that should exist at ``now`` (an aware datetime)."""
    day = now.astimezone(EASTERN).date()
    while not is_feed_day(day, holidays):
        day -= timedelta(days=1)
    return day


def missed_feed_days(last_stored: date, current: date, holidays: Collection[date] = ()) -> list[date]:
    """Feed days strictly between two stored announcement days: what a poll never saw."""
    days = []
    day = last_stored + timedelta(days=1)
    while day < current:
        if is_feed_day(day, holidays):
            days.append(day)
        day += timedelta(days=1)
    return days
