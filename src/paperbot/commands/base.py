"""The shapes handlers share: their context, commands, button actions and results."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from paperbot.commands.context import Invocation
from paperbot.commands.services import Services
from paperbot.messages import Reply
from paperbot.store.chats import Recipient


@dataclass(slots=True)
class Context:
    """What a handler gets: the invocation, the chat's row, and the services."""

    invocation: Invocation
    recipient: Recipient
    services: Services
    commands: Sequence[Command] = ()


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The answer to a button press.

    ``toast`` is a short notice (Telegram's callback answer, Discord's ephemeral reply);
    ``replace`` edits the message that carried the button; ``send`` is a new message.
    """

    toast: str | None = None
    replace: Reply | None = None
    send: Reply | None = None


CommandHandler = Callable[[Context, str], Awaitable[Reply]]
ActionFunction = Callable[[Context, list[str]], Awaitable[ActionResult]]


@dataclass(frozen=True, slots=True)
class Command:
    """A chat command. ``changes_chat`` ones are for group administrators only."""

    name: str
    summary: str
    usage: str
    handler: CommandHandler
    examples: tuple[str, ...] = ()
    changes_chat: bool = False

    def help(self) -> str:
        lines = [f"`{self.usage}`: {self.summary}"]
        lines += [f"    e.g. `{example}`" for example in self.examples]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Action:
    """A button kind: payloads look like ``name:arg:arg`` (at most 64 bytes in all)."""

    name: str
    handler: ActionFunction
    changes_chat: bool = False
