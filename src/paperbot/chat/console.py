"""The console: a private chat with the bot in the terminal, no platform needed.

Lines come from standard input, so it can be scripted::

    printf '/subscribe x\n/list\n' | paperbot console
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from typing import TextIO

from paperbot.commands import CommandBot, Invocation
from paperbot.messages import Reply
from paperbot.render.plain import render_reply
from paperbot.store.models import Platform, RecipientKind

CHAT_ID = "local"
PROMPT = "paperbot> "


def console_invocation(user: str | None = None) -> Invocation:
    """The local user, in their private chat with the bot (so every command is allowed)."""
    name = user or getpass.getuser()
    return Invocation(Platform.CONSOLE, CHAT_ID, RecipientKind.PRIVATE, user_id=name, user_name=name)


class Console:
    """Reads commands, prints replies; also the console's messenger (``send``) for notifications."""

    text_limit = 100_000

    def __init__(self, bot: CommandBot, *, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self._bot = bot
        self._in = stdin or sys.stdin
        self._out = stdout or sys.stdout
        self.invocation = console_invocation()

    def show(self, text: str) -> None:
        """Print a reply or a notification, then the prompt again when a person is typing."""
        self._out.write(text.rstrip("\n") + "\n\n")
        self._out.flush()

    async def send(self, chat_id: str, reply: Reply) -> None:
        """A notification or digest for the local user, printed between replies."""
        self.show(render_reply(reply))

    async def handle_line(self, line: str) -> None:
        text = line.strip()
        if not text:
            return
        if not text.startswith("/"):
            text = "/search " + text  # typing words alone searches, as in an inline query
        self.show(render_reply(await self._bot.handle_text(self.invocation, text)))

    async def run(self) -> None:
        """Read commands until end of input (Ctrl-D) or ``/quit``."""
        interactive = self._in.isatty()
        if interactive:
            self.show("paperbot console: type /help, or /quit to leave.")
        while True:
            if interactive:
                self._out.write(PROMPT)
                self._out.flush()
            line = await asyncio.to_thread(self._in.readline)
            if not line or line.strip() in ("/quit", "/exit"):
                return
            await self.handle_line(line)
