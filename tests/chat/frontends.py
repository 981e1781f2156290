"""One way to talk to the bot per front end, so the same command tests run on each.

A test says something (``await chat.say("/list")``) and reads what the bot showed, as a
person would see it (plain text, one string per message). ``press(label)`` presses the
newest button with that label: a callback on Telegram, a component click on Discord, the
button's command in the console (which has no buttons and prints them as command hints).
``platform`` and ``external_id`` name the chat's row in the store.
"""

from __future__ import annotations

import asyncio
import io
import re
from dataclasses import dataclass, field
from typing import Protocol

import discord
import simcord

from paperbot.chat.console import Console
from paperbot.chat.discord import DiscordAdapter
from paperbot.chat.telegram import TelegramAdapter
from paperbot.store.models import Platform
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
    platform: Platform
    external_id: str

    async def say(self, text: str) -> Shown: ...

    async def press(self, label: str) -> Shown: ...


class ConsoleFrontend:
    name = "console"
    platform = Platform.CONSOLE
    external_id = "local"

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
    platform = Platform.TELEGRAM

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
        self.external_id = str(chat_id)

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


# -- Discord --------------------------------------------------------------------------------

_MARKDOWN = re.compile(
    r"```(?:[^\n`]*\n)?(?P<pre>.*?)```"
    r"|`(?P<code>[^`]+)`"
    r"|\\(?P<escaped>[^A-Za-z0-9\s])"
    r"|\[(?P<label>(?:\\.|[^\]\\])+)\]\(<?(?P<url>[^)>\s]+)>?\)"
    r"|\*\*(?P<bold>.+?)\*\*",
    re.DOTALL,
)
_QUOTE = re.compile(r"^(?:>>> |> ?)", re.MULTILINE)


def discord_plain(markdown: str) -> str:
    """Discord Markdown as a reader sees it: no marks, no escapes, link labels only."""

    def shown(found: re.Match[str]) -> str:
        if found.group("pre") is not None:
            return found.group("pre").rstrip("\n")
        if found.group("code") is not None:
            return found.group("code")
        if found.group("escaped") is not None:
            return found.group("escaped")
        if found.group("label") is not None:
            return discord_plain(found.group("label"))
        return discord_plain(found.group("bold"))

    return _MARKDOWN.sub(shown, _QUOTE.sub("", markdown))


def discord_text(message: discord.Message) -> str:
    """A message with its embeds, as plain text: content, then each embed's parts in reading order."""
    parts = [discord_plain(message.content)] if message.content else []
    for embed in message.embeds:
        if embed.author.name:
            parts.append(embed.author.name)
        if embed.title:
            parts.append(discord_plain(embed.title))
        if embed.description:
            parts.append(discord_plain(embed.description))
        parts += [f"{field.name}: {discord_plain(field.value or '')}" for field in embed.fields]
        if embed.footer.text:
            parts.append(embed.footer.text)
    return "\n".join(parts)


def button_labels(message: discord.Message) -> list[str]:
    """The labels of a message's buttons, row by row."""
    return [
        button.label or ""
        for row in message.components
        if isinstance(row, discord.ActionRow)
        for button in row.children
        if isinstance(button, discord.Button)
    ]


class DiscordFrontend:
    """The real adapter in simcord's in-process Discord; we play a user in a DM or a member in a channel.

    ``say("/subscribe qubit")`` invokes the slash command with that argument, as a person
    picks it in Discord's command menu; text that names no command (``/frobnicate``) is
    sent as a message, as the Discord client does. What the bot showed is read back
    from the channel: new messages and edited ones, with their embeds.
    """

    name = "discord"
    platform = Platform.DISCORD

    def __init__(
        self,
        env: simcord.Env,
        adapter: DiscordAdapter,
        actor: simcord.UserHandle | simcord.MemberActor,
        channel: simcord.ChannelHandle | None = None,
    ) -> None:
        self.env = env
        self.adapter = adapter
        self.actor = actor
        if channel is None:
            assert isinstance(actor, simcord.UserHandle), "a member speaks in a channel"
            channel = actor.dm_channel
        self.channel = channel
        self.external_id = str(channel.id)
        self.last: simcord.InteractionResult | None = None

    def _history(self) -> list[discord.Message]:
        bot = self.env.bot.user
        assert bot is not None
        return [m for m in self.channel.history(viewer=self.actor) if m.author.id == bot.id]

    def _snapshot(self) -> dict[int, str]:
        return {m.id: discord_text(m) for m in self._history()}

    def _since(self, before: dict[int, str], *, toasts_apart: bool) -> Shown:
        shown = Shown()
        for message in self._history():
            text = discord_text(message)
            if not text.strip() or before.get(message.id) == text:
                continue
            if toasts_apart and message.flags.ephemeral:
                shown.toasts.append(text)
            else:
                shown.messages.append(text)
        return shown

    def option(self, name: str) -> str | None:
        """The display name of the slash command's option (None if it takes no arguments)."""
        command = self.adapter.tree.get_command(name)
        assert isinstance(command, discord.app_commands.Command), name
        return command.parameters[0].display_name if command.parameters else None

    async def slash(self, name: str, arguments: str = "") -> simcord.InteractionResult:
        option = self.option(name)
        if arguments and option is None:
            raise AssertionError(f"/{name} takes no arguments on Discord")
        options = {option: arguments} if arguments and option else {}
        if isinstance(self.actor, simcord.UserHandle):
            result: simcord.InteractionResult = await self.actor.slash(name, **options)
        else:
            result = await self.actor.slash(self.channel, name, **options)
        self.last = result
        return result

    async def say(self, text: str) -> Shown:
        before = self._snapshot()
        found = re.match(r"/(?P<name>\S+)\s*(?P<rest>.*)", text.strip(), re.DOTALL)
        if found is not None and self.adapter.tree.get_command(found.group("name")) is not None:
            result = await self.slash(found.group("name"), found.group("rest"))
            assert result.acknowledged, f"{text!r} was not answered"
        elif isinstance(self.actor, simcord.UserHandle):
            await self.actor.send_dm(text)
        else:
            await self.actor.send(self.channel, text)
        return self._since(before, toasts_apart=False)

    async def press(self, label: str) -> Shown:
        for message in reversed(self._history()):
            for row in message.components:
                for button in row.children if isinstance(row, discord.ActionRow) else ():
                    if isinstance(button, discord.Button) and button.label == label and button.custom_id:
                        before = self._snapshot()
                        result = await self.actor.click(message, custom_id=button.custom_id)
                        self.last = result
                        assert result.acknowledged, f"pressing {label!r} was not answered"
                        return self._since(before, toasts_apart=True)
        raise AssertionError(f"no button {label!r} in the chat")
