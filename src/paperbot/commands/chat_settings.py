"""/mode, /time, /timezone, /pause, /resume, /language: how and when a chat receives papers."""

from __future__ import annotations

import difflib
import re
from datetime import time
from functools import cache
from zoneinfo import available_timezones

from paperbot.commands.base import Command, Context
from paperbot.messages import Reply
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


async def mode(context: Context, args: str) -> Reply:
    choice = args.strip().lower()
    modes = {"instant": DeliveryMode.INSTANT, "digest": DeliveryMode.DIGEST, "daily": DeliveryMode.DIGEST}
    if choice not in modes:
        return Reply(text="Usage: `/mode instant` (each paper as announced) or `/mode digest` (once a day).")
    recipient = await context.services.chats.update_settings(context.recipient.id, delivery_mode=modes[choice])
    if recipient.delivery_mode is DeliveryMode.INSTANT:
        return Reply(text="Papers will come one by one, as soon as arXiv announces them.")
    return Reply(text=f"Papers will come as one digest a day at {recipient.digest_time:%H:%M} {recipient.timezone}.")


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
        "one message per paper, or a daily digest",
        "/mode instant|digest",
        mode,
        examples=("/mode digest",),
        changes_chat=True,
    ),
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
