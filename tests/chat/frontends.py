"""One way to talk to the bot per front end, so the same command tests run on each.

A test says something (``await chat.say("/list")``) and reads what the bot showed, as a
person would see it (plain text, one string per message). ``press(label)`` presses the
newest button with that label: a callback on Telegram, the button's command in the
console (which has no buttons and prints them as command hints).
"""

from __future__ import annotations

import asyncio
import io
import re
from dataclasses import dataclass, field
from typing import Protocol

from paperbot.chat.console import Console
from paperbot.chat.telegram import TelegramAdapter
from tests.fakes.telegram_server import FakeTelegram

USER_ID = 1001
ADMIN_ID = 1001
MEMBER_ID = 2002
PRIVATE_CHAT = 1001
GROUP_CHAT = -1005550001
QUIET_SECONDS = 0.15


@dataclass
class Shown:
    """What the bot showed after one action: messages (plain text) and short notices."""

    messages: list[str] = field(default_factory=list)
    toasts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(self.messages)


class Frontend(Protocol):
    name: str

    async def say(self, text: str) -> Shown: ...

    async def press(self, label: str) -> Shown: ...


class ConsoleFrontend:
    name = "console"

    def __init__(self, console: Console, output: io.StringIO) -> None:
        self._console = console
        self._output = output
        self._last = ""

    async def say(self, text: str) -> Shown:
        start = self._output.tell()
        await self._console.handle_line(text)
        self._output.seek(start)
        shown = self._output.read()
        self._last = shown
        return Shown(messages=[shown.strip()])

    async def press(self, label: str) -> Shown:
        hints = re.findall(r"\[([^\[\]]+?): (/[^\]]+)\]", self._last)
        for hint_label, command in reversed(hints):
            if hint_label == label:
                return await self.say(command)
        raise AssertionError(f"no button {label!r} in:\n{self._last}")


class TelegramFrontend:
    """The real adapter, polling a fake Bot API; we play the user."""

    name = "telegram"

    def __init__(
        self,
        fake: FakeTelegram,
        adapter: TelegramAdapter,
        chat_id: int = PRIVATE_CHAT,
        user_id: int = USER_ID,
        chat_type: str = "private",
    ) -> None:
        self.fake = fake
        self.adapter = adapter
        self.chat_id = chat_id
        self.user_id = user_id
        self.chat_type = chat_type

    def _counts(self) -> tuple[int, int, int]:
        return (
            len(self.fake.sent_messages(self.chat_id)),
            len(self.fake.edited_messages),
            len(self.fake.callback_answers),
        )

    async def _collect(self, before: tuple[int, int, int], *, expect_answer: bool) -> Shown:
        def settled() -> bool:
            sent, _, answered = self._counts()
            return answered > before[2] if expect_answer else sent > before[0]

        await self.fake.wait_until(settled, within=10.0)
        # A reply may be several messages (text, then one per card): wait until it is quiet.
        seen = self._counts()
        while True:
            await asyncio.sleep(QUIET_SECONDS)
            now = self._counts()
            if now == seen:
                break
            seen = now
        sent = self.fake.sent_messages(self.chat_id)[before[0] :]
        edited = self.fake.edited_messages[before[1] :]
        answers = self.fake.callback_answers[before[2] :]
        return Shown(
            messages=[m.plain_text for m in sent] + [e.plain_text for e in edited],
            toasts=[a.text for a in answers if a.text],
        )

    async def say(self, text: str) -> Shown:
        before = self._counts()
        self.fake.push_message(self.chat_id, text, user_id=self.user_id, chat_type=self.chat_type)
        shown = await self._collect(before, expect_answer=False)
        return shown

    async def press(self, label: str) -> Shown:
        for message in reversed(self.fake.sent_messages(self.chat_id)):
            for row in (message.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    if button.get("text") == label and "callback_data" in button:
                        before = self._counts()
                        self.fake.push_callback_query(
                            self.chat_id, message.message_id, button["callback_data"], user_id=self.user_id
                        )
                        return await self._collect(before, expect_answer=True)
        raise AssertionError(f"no button {label!r} in the chat")
