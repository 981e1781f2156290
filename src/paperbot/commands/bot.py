"""Dispatch: a command line or a button press → the handler → a ``Reply``."""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field

from paperbot.clock import Clock
from paperbot.commands.base import Action, ActionResult, Command, Context
from paperbot.commands.context import Invocation
from paperbot.commands.services import Services
from paperbot.errors import PaperbotError, SourceUnavailableError
from paperbot.messages import Reply

log = logging.getLogger(__name__)

_COMMAND_LINE = re.compile(r"^/(?P<name>[A-Za-z0-9_]+)(?:@(?P<bot>\w+))?(?:\s+(?P<args>.*))?$", re.DOTALL)
ARXIV_TROUBLE = "arXiv is not answering right now; try again in a few minutes."


@dataclass(slots=True)
class RateLimiter:
    """At most ``limit`` commands per user per ``window`` seconds, on our own clock."""

    clock: Clock
    window: float = 60.0
    _seen: dict[tuple[str, str], deque[float]] = field(default_factory=dict)

    def wait_time(self, key: tuple[str, str], limit: int) -> float:
        """Seconds until this user may run a command; 0 means go, and counts it."""
        now = self.clock.monotonic()
        times = self._seen.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= limit:
            return times[0] + self.window - now
        times.append(now)
        return 0.0


def split_command(text: str) -> tuple[str, str] | None:
    """``/subscribe@paperbot x y`` → (``subscribe``, ``x y``); None for text that is no command."""
    found = _COMMAND_LINE.match(text.strip())
    if found is None:
        return None
    return found.group("name").lower(), (found.group("args") or "").strip()


class CommandBot:
    """The whole command layer behind one object, shared by every adapter."""

    def __init__(self, services: Services, commands: Sequence[Command], actions: Sequence[Action]) -> None:
        self.services = services
        self._commands = {c.name: c for c in commands}
        self._actions = {a.name: a for a in actions}
        self._limiter = RateLimiter(services.clock)

    @property
    def commands(self) -> list[Command]:
        return list(self._commands.values())

    async def _context(self, invocation: Invocation) -> Context:
        recipient = await self.services.chats.ensure(
            invocation.platform, invocation.chat_id, invocation.chat_kind, invocation.chat_title
        )
        return Context(invocation, recipient, self.services, self.commands)

    def _throttled(self, invocation: Invocation) -> str | None:
        limit = self.services.settings.command_rate_limit
        wait = self._limiter.wait_time((invocation.platform.value, invocation.user_id), limit)
        if wait <= 0:
            return None
        return f"Slow down: at most {limit} commands a minute. Try again in {int(wait) + 1} s."

    async def handle_text(self, invocation: Invocation, text: str) -> Reply:
        """Run one command line (``/subscribe "sparse autoencoder" cat:cs.LG``)."""
        parts = split_command(text)
        if parts is None:
            return Reply(text="Commands start with /. Send /help to see them all.")
        return await self.run(invocation, *parts)

    async def run(self, invocation: Invocation, name: str, args: str) -> Reply:
        """Run a command by name (slash commands arrive already split)."""
        command = self._commands.get(name)
        if command is None:
            return Reply(text=f"There is no /{name} command. Send /help to see them all.")
        throttled = self._throttled(invocation)
        if throttled is not None:
            return Reply(text=throttled)
        if command.changes_chat and not invocation.user_is_admin:
            return Reply(
                text=f"Only this chat's administrators can use /{name} here. "
                "For personal subscriptions, write to me in a private chat."
            )
        context = await self._context(invocation)
        return await _guarded(f"/{name}", command.handler(context, args))

    async def press(self, invocation: Invocation, payload: str) -> ActionResult:
        """Handle a button press whose payload is ``name:args`` (``unsub:12``, ``fb:+:2504.17830``)."""
        name, *args = payload.split(":")
        action = self._actions.get(name)
        if action is None:
            return ActionResult(toast="This button no longer works.")
        throttled = self._throttled(invocation)
        if throttled is not None:
            return ActionResult(toast=throttled)
        if action.changes_chat and not invocation.user_is_admin:
            return ActionResult(toast="Only this chat's administrators can do that here.")
        context = await self._context(invocation)
        try:
            return await action.handler(context, args)
        except SourceUnavailableError as err:
            log.warning("button %s: %s", payload, err)
            return ActionResult(toast=ARXIV_TROUBLE)
        except PaperbotError as err:
            return ActionResult(toast=str(err))


async def _guarded(what: str, pending: Awaitable[Reply]) -> Reply:
    """Errors a user can act on become replies; anything else propagates to the adapter's log."""
    try:
        return await pending
    except SourceUnavailableError as err:
        log.warning("%s: arXiv trouble: %s", what, err)
        return Reply(text=ARXIV_TROUBLE)
    except PaperbotError as err:
        return Reply(text=str(err))
