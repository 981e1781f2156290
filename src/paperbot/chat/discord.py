"""Discord, through discord.py: slash commands and buttons in, embeds and Markdown out.

The client is started and stopped by hand (``start``/``stop``), never with
``Client.run``, so it shares the process's event loop with the scheduler and the other
adapters. It asks for no privileged intent: slash commands and button presses arrive
as interactions, which need none, and the text of direct messages comes without the
Message Content intent.

Every command of the command layer becomes a slash command with one optional string
option (none when the command takes no arguments). Buttons carry our neutral action
payloads in their ``custom_id``; one ``DynamicItem`` registered at login handles them
all, so buttons under messages sent before a restart keep working.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import aiohttp
import discord
from discord import app_commands

from paperbot import taxonomy
from paperbot.commands import ActionResult, Command, CommandBot, Invocation
from paperbot.commands.chat_settings import _zones, find_timezone
from paperbot.commands.context import MAX_ATTACHMENT_BYTES, TOO_LARGE, attachment_text
from paperbot.config import Settings
from paperbot.errors import ConfigError, DeliveryError, RateLimited, RecipientUnavailable
from paperbot.messages import Button, Reply
from paperbot.render.discord import (
    CONTENT_LIMIT,
    CUSTOM_ID_PREFIX,
    TEXT_LIMIT,
    DiscordMessage,
    custom_id,
    render_reply,
    shorten,
)
from paperbot.store.chats import ChatStore
from paperbot.store.models import Platform, RecipientKind

log = logging.getLogger(__name__)

# What Discord answers when we may not post there: the channel is gone or hidden from us,
# we lost a permission, or the user closed their DMs. Retrying cannot help.
UNAVAILABLE_CODES = frozenset(
    {
        10003,  # Unknown Channel
        50001,  # Missing Access
        50007,  # Cannot send messages to this user
        50013,  # Missing Permissions
    }
)
RETRY_AFTER_TRIES = 3
DEFAULT_RETRY_AFTER = 5.0  # when a 429 comes without a Retry-After header
# discord.py waits out shorter rate limits itself; longer ones come back to us as
# ``discord.RateLimited`` and go to the delivery worker, which sends the rest meanwhile.
MAX_RATELIMIT_WAIT = 30.0
READY_TIMEOUT = 60.0
DESCRIPTION_LIMIT = 100  # of a slash command and of its option
CHOICES = 25  # autocomplete suggestions Discord shows at most
CHOICE_LIMIT = 100  # characters of a suggestion's name and of its value
MODAL_TIMEOUT = 900.0
MODAL_TITLE_LIMIT = 45
FAILED = "Something went wrong on my side; it has been logged. Please try again later."
FILE_DESCRIPTION = "or a file: BibTeX, Zotero CSV, RIS, or arXiv ids"

# Commands whose argument is a query, for ``cat:`` completion.
QUERY_COMMANDS = frozenset({"subscribe", "search", "import"})
COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
)
NO_MENTIONS = discord.AllowedMentions.none()

_PLACEHOLDER = re.compile(r"^\[?([A-Z][A-Z_]*)\]?$")
_CATEGORY_TYPED = re.compile(r"(?:^|(?<=[\s(-]))cat:(?P<typed>[\w.-]*)$", re.IGNORECASE)

Sleep = Callable[[float], Awaitable[None]]
Choices = list[app_commands.Choice[str]]


# -- how commands look on Discord -----------------------------------------------------------


def option_name(command: Command) -> str | None:
    """The name of a command's one option: its usage's placeholder (``QUERY`` → ``query``).

    None for a command that takes no arguments; ``value`` when the usage lists the
    choices instead (``/mode instant|digest|weekly DAY``).
    """
    parts = command.usage.split(maxsplit=1)
    if len(parts) < 2:
        return None
    found = _PLACEHOLDER.match(parts[1].strip())
    return found.group(1).lower() if found else "value"


def takes_lines(command: Command) -> bool:
    """Whether the command reads one item per line (``/import``), as its examples show.

    A slash command option cannot hold a line break, so these get a form (a modal).
    """
    return any("\n" in example for example in command.examples)


def option_description(command: Command) -> str:
    """What the option expects, from the usage and the first example."""
    argument = command.usage.split(maxsplit=1)[1]
    if takes_lines(command):
        return shorten(f"{argument}: one here, or leave empty to type several lines in a form", DESCRIPTION_LIMIT)
    examples = [e.split(maxsplit=1)[1] for e in command.examples if len(e.split(maxsplit=1)) == 2]
    text = f"{argument}, e.g. {examples[0]}" if examples else argument
    return shorten(text, DESCRIPTION_LIMIT)


def category_choices(current: str) -> Choices:
    """``... cat:cs.L`` → the query completed with each category starting so (or named so)."""
    found = _CATEGORY_TYPED.search(current)
    if found is None:
        return []
    typed = found.group("typed").lower()
    head = current[: found.start("typed")]
    names = {**taxonomy.ARCHIVES, **taxonomy.CATEGORIES}
    by_id = sorted(known for known in names if known.lower().startswith(typed))
    by_name = sorted(
        known for known, name in names.items() if len(typed) >= 3 and typed in name.lower() and known not in by_id
    )
    choices: Choices = []
    for known in [*by_id, *by_name]:
        value = head + known
        if len(value) > CHOICE_LIMIT:
            continue
        choices.append(app_commands.Choice(name=shorten(f"cat:{known} · {names[known]}", CHOICE_LIMIT), value=value))
        if len(choices) == CHOICES:
            break
    return choices


def timezone_choices(current: str) -> Choices:
    """Zones whose name or city starts with what was typed, then those containing it."""
    key = current.strip().replace(" ", "_").lower()
    zones = _zones()
    if not key:
        found = list(COMMON_ZONES)
    else:
        starting = sorted(
            z for lower, z in zones.items() if lower.startswith(key) or lower.rsplit("/", 1)[-1].startswith(key)
        )
        containing = sorted(z for lower, z in zones.items() if key in lower and z not in starting)
        found = starting + containing
        if not found:
            found = find_timezone(current)[1]  # near misses: "Europe/Berln"
    return [app_commands.Choice(name=zone, value=zone) for zone in found[:CHOICES]]


def _retry_after(err: discord.HTTPException) -> float:
    headers = getattr(err.response, "headers", None) or {}
    try:
        return float(headers.get("Retry-After", DEFAULT_RETRY_AFTER))
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


def _title(channel: object, guild: discord.Guild | None) -> str | None:
    name = getattr(channel, "name", None)
    if guild is None:
        return name if isinstance(name, str) else None
    return f"#{name} ({guild.name})" if name else guild.name


def _kind(channel: object) -> RecipientKind:
    """A guild's announcement channel is a channel; any other guild channel a group."""
    if isinstance(channel, discord.TextChannel) and channel.is_news():
        return RecipientKind.CHANNEL
    return RecipientKind.GROUP


# -- discord.py objects -----------------------------------------------------------------------


class _Hooks:
    """What the client does at login and on gateway events: hand over to the adapter."""

    adapter: DiscordAdapter
    tree: app_commands.CommandTree[Any]

    async def setup_hook(self) -> None:
        await self.adapter._setup()

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter._on_message(message)


class _Client(_Hooks, discord.Client):
    pass


class _ShardedClient(_Hooks, discord.AutoShardedClient):
    pass


class ActionButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=re.compile(re.escape(CUSTOM_ID_PREFIX) + r"(?P<action>.+)", re.DOTALL),
):
    """Every button of ours: the ``custom_id`` is ``pb:`` and the neutral action payload.

    Registered once with ``add_dynamic_items``: discord.py matches the template against
    any pressed button, also under messages sent by an earlier run of the bot.
    """

    def __init__(self, action: str, label: str | None = None, *, row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(label=label, custom_id=custom_id(action), style=discord.ButtonStyle.secondary),
            row=row,
        )
        self.action = action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[discord.Client], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match["action"], label)

    async def callback(self, interaction: discord.Interaction[discord.Client]) -> None:
        client = interaction.client
        if isinstance(client, _Hooks):
            await client.adapter._on_press(interaction, self.action)


class LinesForm(discord.ui.Modal):
    """The form behind ``/import`` without arguments: one query a line, as /export prints them."""

    def __init__(self, adapter: DiscordAdapter, command: Command, invocation: Invocation) -> None:
        super().__init__(title=shorten(f"/{command.name}", MODAL_TITLE_LIMIT), timeout=MODAL_TIMEOUT)
        self._adapter = adapter
        self._command = command
        self._invocation = invocation
        self.lines: discord.ui.TextInput[LinesForm] = discord.ui.TextInput(
            label=shorten(command.summary, MODAL_TITLE_LIMIT),
            style=discord.TextStyle.paragraph,
            placeholder=shorten(command.examples[0].split("\n", 1)[-1], DESCRIPTION_LIMIT),
            max_length=4000,
            custom_id="lines",
        )
        self.add_item(self.lines)

    async def on_submit(self, interaction: discord.Interaction[discord.Client]) -> None:
        await self._adapter._answer(interaction, self._invocation, self._command, self.lines.value)


def view_of(rows: Sequence[Sequence[Button]]) -> discord.ui.View | None:
    """Neutral button rows as components: links as link buttons, actions as ``ActionButton``."""
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for index, row in enumerate(rows):
        for button in row:
            if button.url is not None:
                view.add_item(discord.ui.Button(label=button.label, url=button.url, row=index))
            elif button.action is not None:
                view.add_item(ActionButton(button.action, button.label, row=index))
    return view


def embeds_of(message: DiscordMessage) -> list[discord.Embed]:
    return [discord.Embed.from_dict(embed) for embed in message.embeds]


# -- the adapter ----------------------------------------------------------------------------


class DiscordAdapter:
    """Translates Discord interactions for the command layer and replies back."""

    text_limit = TEXT_LIMIT

    def __init__(
        self,
        settings: Settings,
        bot: CommandBot,
        chats: ChatStore,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if settings.discord_token is None:
            raise ValueError("DiscordAdapter needs PAPERBOT_DISCORD_TOKEN")
        self._settings = settings
        self._bot = bot
        self._chats = chats
        self._sleep = sleep
        self._gateway: asyncio.Task[None] | None = None
        intents = discord.Intents.none()
        intents.guilds = True  # the servers and channels behind interactions (names, kinds)
        intents.dm_messages = True  # plain text in a DM is a search, as on Telegram
        options: dict[str, Any] = {
            "intents": intents,
            "allowed_mentions": NO_MENTIONS,
            "max_ratelimit_timeout": MAX_RATELIMIT_WAIT,
        }
        client: _Client | _ShardedClient
        if settings.discord_shard_count > 1:
            client = _ShardedClient(shard_count=settings.discord_shard_count, **options)
        else:
            client = _Client(**options)
        client.adapter = self
        client.tree = app_commands.CommandTree(client)
        self.client: discord.Client = client
        self.tree: app_commands.CommandTree[Any] = client.tree
        for command in bot.commands:
            self.tree.add_command(self._slash_command(command))

    # -- life cycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Log in (which syncs the commands), connect to the gateway, and wait until ready.

        A gateway that fails before it is ready (a refused intent, say) fails the start;
        one that is merely slow is left to keep connecting in the background.
        """
        token = self._settings.discord_token
        assert token is not None
        try:
            await self.client.login(token.get_secret_value())
        except discord.LoginFailure as err:
            await self.client.close()
            raise ConfigError("Discord refused PAPERBOT_DISCORD_TOKEN; reset it in the Developer Portal") from err
        except (discord.HTTPException, aiohttp.ClientError, OSError) as err:
            await self.client.close()
            raise DeliveryError(f"discord unreachable at start: {err}") from err
        self._gateway = asyncio.create_task(self.client.connect(reconnect=True), name="discord-gateway")
        ready = asyncio.create_task(self.client.wait_until_ready(), name="discord-ready")
        done, _ = await asyncio.wait({self._gateway, ready}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
        gateway = self._gateway
        if gateway in done:
            await self.stop()  # the start failed, and ``run`` stops only adapters that started
            error = None if gateway.cancelled() else gateway.exception()
            raise DeliveryError(f"discord gateway closed before it was ready: {error!r}") from error
        if not done:
            log.warning("discord: not ready after %.0f s; still connecting", READY_TIMEOUT)
        else:
            log.info("discord: connected as %s to %d servers", self.client.user, len(self.client.guilds))

    async def stop(self) -> None:
        """Close the gateway and the HTTP session; the pending button presses are dropped."""
        await self.client.close()
        if self._gateway is not None:
            with contextlib.suppress(asyncio.CancelledError):
                try:
                    await self._gateway
                except Exception as err:  # already logged by discord.py; stopping anyway
                    log.debug("discord: gateway ended with %r", err)
            self._gateway = None

    async def _setup(self) -> None:
        """At every login, before the gateway: buttons of earlier runs work again, commands synced."""
        self.client.add_dynamic_items(ActionButton)
        guild_id = self._settings.discord_dev_guild_id
        if guild_id is not None:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("discord: %d slash commands synced to server %d (development)", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("discord: %d slash commands synced globally", len(synced))

    # -- slash commands ---------------------------------------------------------------

    def _slash_command(self, command: Command) -> app_commands.Command[Any, ..., None]:
        """One slash command, named and described after the command, answered by ``_on_command``."""
        adapter = self
        name = option_name(command)
        callback: Callable[..., Awaitable[None]]
        if name is None:

            async def without_arguments(interaction: discord.Interaction[discord.Client]) -> None:
                await adapter._on_command(interaction, command, "")

            callback = without_arguments
        elif takes_lines(command):
            # Lines can also come as a file (``/import`` with a BibTeX export).
            async def with_lines(
                interaction: discord.Interaction[discord.Client],
                arguments: str = "",
                file: discord.Attachment | None = None,
            ) -> None:
                await adapter._on_command(interaction, command, arguments, file)

            lines_described = app_commands.describe(arguments=option_description(command), file=FILE_DESCRIPTION)
            callback = app_commands.rename(arguments=name)(lines_described(with_lines))
        else:

            async def with_arguments(interaction: discord.Interaction[discord.Client], arguments: str = "") -> None:
                await adapter._on_command(interaction, command, arguments)

            described = app_commands.describe(arguments=option_description(command))(with_arguments)
            callback = app_commands.rename(arguments=name)(described)
        slash: app_commands.Command[Any, ..., None] = app_commands.Command(
            name=command.name, description=shorten(command.summary, DESCRIPTION_LIMIT), callback=callback
        )
        if command.changes_chat:
            # Hidden from members without Manage Server until a server admin grants it to
            # them (Server Settings → Integrations); the runtime check below still holds then.
            slash.default_permissions = discord.Permissions(manage_guild=True)
        completer = self._completer(command.name)
        if name is not None and completer is not None:
            slash.autocomplete("arguments")(completer)
        return slash

    def _completer(
        self, name: str
    ) -> Callable[[discord.Interaction[discord.Client], str], Coroutine[Any, Any, Choices]] | None:
        if name in ("unsubscribe", "tune"):
            return self._complete_subscriptions
        if name == "timezone":
            return self._complete_timezones
        if name in QUERY_COMMANDS:
            return self._complete_categories
        return None

    async def _complete_categories(self, interaction: discord.Interaction[discord.Client], current: str) -> Choices:
        return category_choices(current)

    async def _complete_timezones(self, interaction: discord.Interaction[discord.Client], current: str) -> Choices:
        return timezone_choices(current)

    async def _complete_subscriptions(self, interaction: discord.Interaction[discord.Client], current: str) -> Choices:
        """This chat's subscriptions, by number or by words of the query."""
        recipient = await self._chats.find(Platform.DISCORD, str(interaction.channel_id))
        if recipient is None:
            return []
        typed = current.strip().lstrip("#").lower()
        found = [
            s
            for s in await self._chats.subscriptions(recipient.id)
            if not typed or str(s.id).startswith(typed) or typed in s.canonical.lower()
        ]
        return [
            app_commands.Choice(name=shorten(f"#{s.id}  {s.canonical}", CHOICE_LIMIT), value=str(s.id))
            for s in found[:CHOICES]
        ]

    def _invocation(self, interaction: discord.Interaction[discord.Client]) -> Invocation:
        """Who and where; in a server, Manage Server is what lets one change the channel's subscriptions."""
        user = interaction.user
        if interaction.guild_id is None:
            return Invocation(
                Platform.DISCORD,
                str(interaction.channel_id),
                RecipientKind.PRIVATE,
                user_id=str(user.id),
                user_name=user.display_name,
                chat_title=user.display_name,
                user_is_admin=True,
            )
        permissions = interaction.permissions
        return Invocation(
            Platform.DISCORD,
            str(interaction.channel_id),
            _kind(interaction.channel),
            user_id=str(user.id),
            user_name=user.display_name,
            chat_title=_title(interaction.channel, interaction.guild),
            user_is_admin=permissions.manage_guild or permissions.administrator,
        )

    async def _on_command(
        self,
        interaction: discord.Interaction[discord.Client],
        command: Command,
        arguments: str,
        file: discord.Attachment | None = None,
    ) -> None:
        invocation = self._invocation(interaction)
        allowed = invocation.user_is_admin or not command.changes_chat
        if allowed and takes_lines(command) and not arguments.strip() and file is None:
            await interaction.response.send_modal(LinesForm(self, command, invocation))
            return
        await self._answer(interaction, invocation, command, arguments, file)

    async def _answer(
        self,
        interaction: discord.Interaction[discord.Client],
        invocation: Invocation,
        command: Command,
        arguments: str,
        file: discord.Attachment | None = None,
    ) -> None:
        """Acknowledge at once (Discord allows 3 s; arXiv may take longer), then reply in follow-ups.

        A refusal is shown to the person who asked only. An attached file is read after the
        acknowledgement and goes to the command as text.
        """
        refused = command.changes_chat and not invocation.user_is_admin
        await interaction.response.defer(thinking=True, ephemeral=refused)
        try:
            if file is not None and file.size > MAX_ATTACHMENT_BYTES:
                reply = Reply(text=TOO_LARGE)
            else:
                if file is not None and not refused:
                    invocation = dataclasses.replace(invocation, attachment=attachment_text(await file.read()))
                reply = await self._bot.run(invocation, command.name, arguments)
        except Exception:
            log.exception("discord: /%s failed", command.name)
            reply = Reply(text=FAILED)
        await self._follow_up(interaction, reply, ephemeral=refused)

    async def _follow_up(
        self, interaction: discord.Interaction[discord.Client], reply: Reply, *, ephemeral: bool = False
    ) -> None:
        for message in render_reply(reply) or [DiscordMessage(content="…")]:
            await self._follow_up_one(interaction, message, ephemeral=ephemeral)

    async def _follow_up_one(
        self, interaction: discord.Interaction[discord.Client], message: DiscordMessage, *, ephemeral: bool
    ) -> None:
        view = view_of(message.buttons)
        embeds = embeds_of(message)
        if view is None:  # discord.py takes no None for a view, only a view or nothing
            await interaction.followup.send(
                content=message.content, embeds=embeds, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
            )
        else:
            await interaction.followup.send(
                content=message.content, embeds=embeds, view=view, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
            )

    # -- buttons and direct messages -------------------------------------------------

    async def _on_press(self, interaction: discord.Interaction[discord.Client], payload: str) -> None:
        """A button: acknowledged at once, then the message edited, a notice, or a new message."""
        invocation = self._invocation(interaction)
        await interaction.response.defer()
        try:
            result = await self._bot.press(invocation, payload)
        except Exception:
            log.exception("discord: button %s failed", payload)
            result = ActionResult(toast=FAILED)
        if result.replace is not None:
            first, *rest = render_reply(result.replace) or [DiscordMessage(content="…")]
            await interaction.edit_original_response(
                content=first.content or None,
                embeds=embeds_of(first),
                view=view_of(first.buttons),
                allowed_mentions=NO_MENTIONS,
            )
            for message in rest:
                await self._follow_up_one(interaction, message, ephemeral=False)
        if result.toast:
            await interaction.followup.send(shorten(result.toast, CONTENT_LIMIT), ephemeral=True)
        if result.send is not None:
            await self._follow_up(interaction, result.send)

    async def _on_message(self, message: discord.Message) -> None:
        """Text in a DM: a command typed out (``/help``), else a search, as on Telegram."""
        text = message.content.strip()
        if message.guild is not None or message.author.bot or not text:
            return
        author = message.author
        invocation = Invocation(
            Platform.DISCORD,
            str(message.channel.id),
            RecipientKind.PRIVATE,
            user_id=str(author.id),
            user_name=author.display_name,
            chat_title=author.display_name,
            user_is_admin=True,
        )
        if text.startswith("/"):
            reply = await self._bot.handle_text(invocation, text)
        else:
            reply = await self._bot.run(invocation, "search", text)
        try:
            await self.send(invocation.chat_id, reply)
        except DeliveryError as err:
            log.warning("discord: could not answer a DM: %s", err)

    # -- sending ----------------------------------------------------------------------

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Send a reply; raise ``RecipientUnavailable`` (and pause the chat) if we may not."""
        channel = self.client.get_partial_messageable(int(chat_id))
        for message in render_reply(reply):
            await self._send_one(channel, chat_id, message)

    async def _send_one(self, channel: discord.PartialMessageable, chat_id: str, message: DiscordMessage) -> None:
        """Send one message, waiting out 429s a few times; every other refusal is raised typed."""
        wait = DEFAULT_RETRY_AFTER
        for attempt in range(RETRY_AFTER_TRIES):
            try:
                view = view_of(message.buttons)
                content = message.content or None
                if view is None:
                    await channel.send(content=content, embeds=embeds_of(message), allowed_mentions=NO_MENTIONS)
                else:
                    await channel.send(
                        content=content, embeds=embeds_of(message), view=view, allowed_mentions=NO_MENTIONS
                    )
                return
            except discord.RateLimited as err:
                raise RateLimited(
                    f"discord channel {chat_id} rate limited for {err.retry_after:.0f} s", retry_after=err.retry_after
                ) from err
            except discord.HTTPException as err:
                if err.status == 429:
                    wait = _retry_after(err)
                    if attempt + 1 < RETRY_AFTER_TRIES:
                        log.warning("discord: rate limited in channel %s; waiting %.0f s", chat_id, wait)
                        await self._sleep(wait)
                    continue
                if err.code in UNAVAILABLE_CODES:
                    await self._mark_unavailable(chat_id, str(err))
                    raise RecipientUnavailable(f"discord channel {chat_id}: {err}") from err
                raise DeliveryError(f"discord refused a message to {chat_id}: {err}") from err
            except (aiohttp.ClientError, OSError, TimeoutError) as err:
                raise DeliveryError(f"discord unreachable: {err}") from err
        raise RateLimited(
            f"discord channel {chat_id} still rate limited after {RETRY_AFTER_TRIES} tries", retry_after=wait
        )

    async def _mark_unavailable(self, chat_id: str, reason: str) -> None:
        recipient = await self._chats.find(Platform.DISCORD, chat_id)
        if recipient is not None:
            await self._chats.deactivate(recipient.id, reason)
        log.info("discord: channel %s is unavailable (%s); it is skipped until it is used again", chat_id, reason)
