"""/mode, /time, /timezone, /pause, /resume, /language: how and when a chat receives papers."""

from __future__ import annotations

import difflib
import re
from datetime import time
from functools import cache
from zoneinfo import available_timezones

from paperbot.commands.base import Command, Context
from paperbot.messages import Reply
from paperbot.store.chats import Recipient
from paperbot.store.models import DeliveryMode

_TIME = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)?$", re.IGNORECASE)
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z]{2,4})?$")


@cache
def _zones() -> dict[str, str]:
    """Lower-cased name → proper name, for every zone of the tz database (no legacy aliases)."""
    return {z.lower(): z for z in available_timezones() if "/" in z or z == "UTC"}


def find_timezone(text: str) -> tuple[str | None, list[str]]:
    """(zone, []) for a known zone or a city only one zone is named after (``berlin``);
    else (None, suggestions for a near miss)."""
    key = text.strip().replace(" ", "_").lower()
    zones = _zones()
    if key in zones:
        return zones[key], []
    by_city = [zone for lower, zone in zones.items() if lower.rsplit("/", 1)[-1] == key]
    if len(by_city) == 1:
        return by_city[0], []
    close = difflib.get_close_matches(key, list(zones), n=3, cutoff=0.6)
    cities = {lower.rsplit("/", 1)[-1]: lower for lower in zones}
    close += [cities[c] for c in difflib.get_close_matches(key, list(cities), n=3, cutoff=0.75)]
    return None, list(dict.fromkeys([*by_city, *(zones[c] for c in close)]))[:3]


def parse_time(text: str) -> time | None:
    found = _TIME.match(text.strip())
    if found is None:
        return None
    hour, minute = int(found.group("h")), int(found.group("m") or 0)
    ampm = (found.group("ampm") or "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def describe_delivery(recipient: Recipient) -> str:
    """``a daily digest at 08:00 Europe/Berlin`` and the like, for replies and /list."""
    if recipient.delivery_mode is DeliveryMode.INSTANT:
        text = "each paper as soon as it is announced"
        if recipient.quiet_start and recipient.quiet_end:
            text += f" (quiet {recipient.quiet_start:%H:%M}-{recipient.quiet_end:%H:%M} {recipient.timezone})"
        return text
    when = f"{recipient.digest_time:%H:%M} {recipient.timezone}"
    if recipient.digest_weekday is None:
        return f"a daily digest at {when}"
    return f"a weekly digest on {WEEKDAYS[recipient.digest_weekday].capitalize()}s at {when}"


async def mode(context: Context, args: str) -> Reply:
    words = args.strip().lower().split()
    choice = words[0] if words else ""
    chats = context.services.chats
    recipient_id = context.recipient.id
    if choice == "instant":
        recipient = await chats.update_settings(recipient_id, delivery_mode=DeliveryMode.INSTANT)
    elif choice in ("digest", "daily"):
        recipient = await chats.update_settings(recipient_id, delivery_mode=DeliveryMode.DIGEST, digest_weekday=None)
    elif choice == "weekly":
        day = words[1] if len(words) > 1 else "monday"
        matches = [i for i, name in enumerate(WEEKDAYS) if name.startswith(day[:3])]
        if len(day) < 3 or not matches:
            return Reply(text="Usage: `/mode weekly monday` (any weekday).")
        recipient = await chats.update_settings(
            recipient_id, delivery_mode=DeliveryMode.DIGEST, digest_weekday=matches[0]
        )
    else:
        return Reply(
            text="Usage: `/mode instant` (each paper as announced), `/mode digest` (once a day) "
            "or `/mode weekly monday`."
        )
    return Reply(text=f"Papers will come as {describe_delivery(recipient)}.")


async def quiet(context: Context, args: str) -> Reply:
    text = args.strip().lower()
    chats = context.services.chats
    if text == "off":
        await chats.update_settings(context.recipient.id, quiet_hours=None)
        return Reply(text="No quiet hours: instant papers come whenever they are announced.")
    start, _, end = text.partition("-")
    begin, finish = parse_time(start), parse_time(end)
    if begin is None or finish is None or begin == finish:
        return Reply(
            text="Usage: `/quiet 22:00-07:00` (local time; instant papers wait until the end) or `/quiet off`."
        )
    recipient = await chats.update_settings(context.recipient.id, quiet_hours=(begin, finish))
    return Reply(text=f"Quiet from {begin:%H:%M} to {finish:%H:%M} {recipient.timezone}: papers announced then wait.")


async def revisions(context: Context, args: str) -> Reply:
    choice = args.strip().lower()
    if choice not in ("on", "off"):
        state = "on" if context.recipient.revision_notices else "off"
        return Reply(
            text=f"Usage: `/revisions on|off` (a one-line notice when a paper you got is revised). Now: {state}."
        )
    await context.services.chats.update_settings(context.recipient.id, revision_notices=choice == "on")
    if choice == "on":
        return Reply(text="You will get a one-line notice when a paper sent here gets a new version.")
    return Reply(text="No more notices about new versions.")


async def set_time(context: Context, args: str) -> Reply:
    when = parse_time(args)
    if when is None:
        return Reply(text="Usage: `/time HH:MM` in 24-hour time, e.g. `/time 08:30` (or `/time 8am`).")
    recipient = await context.services.chats.update_settings(context.recipient.id, digest_time=when)
    note = "" if recipient.delivery_mode is DeliveryMode.DIGEST else " (it applies once you choose `/mode digest`)"
    return Reply(text=f"The digest comes at {when:%H:%M} {recipient.timezone}{note}.")


async def set_timezone(context: Context, args: str) -> Reply:
    if not args.strip():
        return Reply(text=f"Usage: `/timezone Europe/Berlin`. Now: {context.recipient.timezone}.")
    zone, suggestions = find_timezone(args)
    if zone is None:
        hint = f" Did you mean {' or '.join(f'`{s}`' for s in suggestions)}?" if suggestions else ""
        return Reply(text=f"{args.strip()!r} is not a time zone I know (they look like `Europe/Berlin`).{hint}")
    recipient = await context.services.chats.update_settings(context.recipient.id, timezone=zone)
    return Reply(text=f"Time zone set to {zone}; the digest comes at {recipient.digest_time:%H:%M} there.")


async def pause(context: Context, args: str) -> Reply:
    await context.services.chats.update_settings(context.recipient.id, paused=True)
    return Reply(text="Paused: nothing will be sent here until /resume. Subscriptions are kept.")


async def resume(context: Context, args: str) -> Reply:
    await context.services.chats.update_settings(context.recipient.id, paused=False)
    return Reply(text="Resumed: new matches will come again.")


async def language(context: Context, args: str) -> Reply:
    code = args.strip()
    if not _LANGUAGE.match(code):
        return Reply(text=f"Usage: `/language de` (a language code). Now: {context.recipient.language}.")
    await context.services.chats.update_settings(context.recipient.id, language=code.lower())
    llm = context.services.settings.llm_base_url
    note = "" if llm else " Summaries are written by the offline summarizer in English until an LLM is configured."
    return Reply(text=f"Summaries for this chat will be in `{code.lower()}`.{note}")


COMMANDS = [
    Command(
        "mode",
        "one message per paper, or a daily or weekly digest",
        "/mode instant|digest|weekly DAY",
        mode,
        examples=("/mode digest", "/mode weekly monday"),
        changes_chat=True,
    ),
    Command(
        "quiet",
        "hours when instant papers wait",
        "/quiet HH:MM-HH:MM|off",
        quiet,
        examples=("/quiet 22:00-07:00",),
        changes_chat=True,
    ),
    Command("revisions", "a notice when a paper you got is revised", "/revisions on|off", revisions, changes_chat=True),
    Command(
        "time", "when the daily digest comes", "/time HH:MM", set_time, examples=("/time 08:30",), changes_chat=True
    ),
    Command(
        "timezone",
        "the chat's time zone, for the digest",
        "/timezone ZONE",
        set_timezone,
        examples=("/timezone Europe/Berlin",),
        changes_chat=True,
    ),
    Command("pause", "stop sending here, keep the subscriptions", "/pause", pause, changes_chat=True),
    Command("resume", "send again after /pause", "/resume", resume, changes_chat=True),
    Command(
        "language",
        "the language of summaries (with an LLM configured)",
        "/language CODE",
        language,
        examples=("/language de",),
        changes_chat=True,
    ),
]
