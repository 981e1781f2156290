"""Telegram, through python-telegram-bot: updates in, rendered replies out.

The ``Application`` is started and stopped by hand (``start``/``stop``) so it shares the
process's event loop with the scheduler and the other adapters; it has no JobQueue of
its own. Long polling by default, a webhook when ``PAPERBOT_TELEGRAM_WEBHOOK_URL`` is set.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from telegram import (
    BotCommand,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from paperbot.commands import CommandBot, Invocation
from paperbot.commands.context import MAX_ATTACHMENT_BYTES, TOO_LARGE, attachment_text
from paperbot.commands.lookup import inline_cards
from paperbot.config import Settings
from paperbot.errors import DeliveryError, RateLimited, RecipientUnavailable
from paperbot.messages import Button, Reply
from paperbot.render.telegram import MESSAGE_LIMIT, TelegramMessage, render_card, render_reply
from paperbot.store.chats import ChatStore
from paperbot.store.models import Platform, RecipientKind

log = logging.getLogger(__name__)

ADMIN_STATUSES = (ChatMember.OWNER, ChatMember.ADMINISTRATOR)
GONE_STATUSES = (ChatMember.BANNED, ChatMember.LEFT)
ADMIN_CACHE_SECONDS = 60.0
RETRY_AFTER_TRIES = 3
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

Sleep = Callable[[float], Awaitable[None]]


def _kind(chat_type: str) -> RecipientKind:
    if chat_type == ChatType.PRIVATE:
        return RecipientKind.PRIVATE
    if chat_type == ChatType.CHANNEL:
        return RecipientKind.CHANNEL
    return RecipientKind.GROUP


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """Neutral buttons as an inline keyboard (a button is a callback or a link)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(b.label, callback_data=b.action)
                for b in row
            ]
            for row in rows
        ]
    )


def _link_rows(rows: Sequence[Sequence[Button]]) -> list[list[Button]]:
    """Only the link buttons: inline-mode messages live in other people's chats."""
    return [kept for row in rows if (kept := [b for b in row if b.url])]


def _retry_seconds(err: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = err.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def bot_api_urls(api_url: str | None) -> tuple[str | None, str | None]:
    """(base_url, base_file_url) for a local Bot API server given as ``http://host:8081``."""
    if not api_url:
        return None, None
    root = api_url.rstrip("/").removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"


class TelegramAdapter:
    """Translates Telegram updates for the command layer and replies back."""

    text_limit = MESSAGE_LIMIT

    def __init__(
        self,
        settings: Settings,
        bot: CommandBot,
        chats: ChatStore,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if settings.telegram_token is None:
            raise ValueError("TelegramAdapter needs PAPERBOT_TELEGRAM_TOKEN")
        self._settings = settings
        self._bot = bot
        self._chats = chats
        self._sleep = sleep
        # (chat, user) → (valid until, is admin): one getChatMember per person per minute.
        self._admins: dict[tuple[int, int], tuple[float, bool]] = {}
        builder = Application.builder().token(settings.telegram_token.get_secret_value()).job_queue(None)
        base_url, file_url = bot_api_urls(settings.telegram_api_url)
        if base_url and file_url:
            builder = builder.base_url(base_url).base_file_url(file_url)
        self.application = builder.build()
        self._install_handlers()

    # -- life cycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, publish the command menu, and start receiving updates."""
        app = self.application
        await app.initialize()
        await app.bot.set_my_commands([BotCommand(c.name, c.summary[:256]) for c in self._bot.commands])
        await app.start()
        updater = app.updater
        assert updater is not None
        settings = self._settings
        if settings.telegram_webhook_url:
            secret = settings.telegram_webhook_secret
            await updater.start_webhook(
                listen=settings.telegram_webhook_listen,
                port=settings.telegram_webhook_port,
                url_path=_webhook_path(settings.telegram_webhook_url),
                webhook_url=settings.telegram_webhook_url,
                secret_token=secret.get_secret_value() if secret else None,
                allowed_updates=Update.ALL_TYPES,
            )
            log.info(
                "telegram: webhook listening on %s:%d", settings.telegram_webhook_listen, settings.telegram_webhook_port
            )
        else:
            await updater.start_polling(allowed_updates=Update.ALL_TYPES)
            log.info("telegram: long polling as @%s", app.bot.username)

    async def stop(self) -> None:
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    # -- handlers ---------------------------------------------------------------------

    def _install_handlers(self) -> None:
        app = self.application
        messages = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
        app.add_handler(CommandHandler([c.name for c in self._bot.commands], self._on_command, filters=messages))
        # A file sent with a command as its caption (``/import`` with a BibTeX file).
        with_file = messages & filters.Document.ALL & filters.CaptionRegex(r"^/")
        app.add_handler(MessageHandler(with_file, self._on_document))
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self._on_migrate))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_handler(InlineQueryHandler(self._on_inline))
        app.add_handler(ChatMemberHandler(self._on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.COMMAND, self._on_unknown_command))
        app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, self._on_text))
        app.add_error_handler(self._on_error)

    async def _is_admin(self, message: Message) -> bool:
        chat = message.chat
        if chat.type in (ChatType.PRIVATE, ChatType.CHANNEL):
            return True  # one's own chat; in a channel only administrators can post
        if message.sender_chat is not None and message.sender_chat.id == chat.id:
            return True  # an anonymous administrator posts as the group itself
        user = message.from_user
        if user is None:
            return False
        return await self._user_is_admin(chat.id, user.id)

    async def _user_is_admin(self, chat_id: int, user_id: int) -> bool:
        loop = asyncio.get_running_loop()
        cached = self._admins.get((chat_id, user_id))
        if cached is not None and cached[0] > loop.time():
            return cached[1]
        member = await self.application.bot.get_chat_member(chat_id, user_id)
        answer = member.status in ADMIN_STATUSES
        self._admins[(chat_id, user_id)] = (loop.time() + ADMIN_CACHE_SECONDS, answer)
        return answer

    async def _invocation(self, message: Message) -> Invocation:
        user = message.from_user
        chat = message.chat
        return Invocation(
            Platform.TELEGRAM,
            str(chat.id),
            _kind(chat.type),
            user_id=str(user.id if user else chat.id),
            user_name=(user.full_name if user else chat.title) or "",
            chat_title=chat.title or chat.full_name,
            user_is_admin=await self._is_admin(message),
        )

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any bot command: the command layer answers, we render and send the reply."""
        message = update.effective_message
        if message is None or not message.text:
            return
        invocation = await self._invocation(message)
        reply = await self._bot.handle_text(invocation, message.text)
        await self.send(invocation.chat_id, reply)

    async def _on_document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A document whose caption is a command: the file is downloaded and goes with it as text."""
        message = update.effective_message
        if message is None or message.document is None or not message.caption:
            return
        invocation = await self._invocation(message)
        size = message.document.file_size or 0
        if size > MAX_ATTACHMENT_BYTES:
            await self.send(invocation.chat_id, Reply(text=TOO_LARGE))
            return
        data = await (await message.document.get_file()).download_as_bytearray()
        invocation = dataclasses.replace(invocation, attachment=attachment_text(bytes(data)))
        reply = await self._bot.handle_text(invocation, message.caption)
        await self.send(invocation.chat_id, reply)

    async def _on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command we do not have, in a private chat: say so instead of staying silent."""
        message = update.effective_message
        if message is None or not message.text:
            return
        reply = await self._bot.handle_text(await self._invocation(message), message.text)
        await self.send(str(message.chat.id), reply)

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Plain text in a private chat is a search, like the inline query."""
        message = update.effective_message
        if message is None or not message.text:
            return
        invocation = await self._invocation(message)
        reply = await self._bot.run(invocation, "search", message.text)
        await self.send(invocation.chat_id, reply)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button under one of our messages: toast, edit in place, or a new message."""
        query = update.callback_query
        if query is None or query.data is None:
            return
        message = query.message
        if not isinstance(message, Message):
            await query.answer("This message is too old for buttons; send the command again.")
            return
        chat = message.chat
        admin = True if chat.type == ChatType.PRIVATE else await self._user_is_admin(chat.id, query.from_user.id)
        invocation = Invocation(
            Platform.TELEGRAM,
            str(chat.id),
            _kind(chat.type),
            user_id=str(query.from_user.id),
            user_name=query.from_user.full_name,
            chat_title=chat.title,
            user_is_admin=admin,
        )
        result = await self._bot.press(invocation, query.data)
        await query.answer(result.toast[:200] if result.toast else None)
        if result.replace is not None:
            rendered = _first_message(result.replace)
            try:
                await message.edit_text(
                    rendered.html,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard(rendered.buttons),
                    link_preview_options=NO_PREVIEW,
                )
            except BadRequest as err:
                if "not modified" not in str(err).lower():
                    raise
        if result.send is not None:
            await self.send(invocation.chat_id, result.send)

    async def _on_inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """``@bot 2505.14687`` or ``@bot sparse autoencoder``: papers as articles, 10 a page."""
        query = update.inline_query
        if query is None:
            return
        cards, next_offset = await inline_cards(self._bot.services, query.query, query.offset, "en")
        results = []
        for card in cards:
            rendered = render_card(card)
            results.append(
                InlineQueryResultArticle(
                    id=f"{card.arxiv_id}v{card.version}"[:64],
                    title=card.title[:256],
                    description=(card.summary or card.authors_short)[:200],
                    url=card.abs_url,
                    input_message_content=InputTextMessageContent(
                        rendered.html, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
                    ),
                    reply_markup=keyboard(_link_rows(rendered.buttons)),
                )
            )
        await query.answer(results, next_offset=next_offset, cache_time=60, is_personal=False)

    async def _on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group became a supergroup: same chat, new id; the subscriptions move with it."""
        message = update.effective_message
        if message is None or message.migrate_to_chat_id is None:
            return
        await self._chats.migrate_external_id(Platform.TELEGRAM, str(message.chat.id), str(message.migrate_to_chat_id))
        log.info("telegram: chat %s migrated to %s", message.chat.id, message.migrate_to_chat_id)

    async def _on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Blocked, kicked or added back: follow what the user did."""
        change = update.my_chat_member
        if change is None:
            return
        chat = change.chat
        status = change.new_chat_member.status
        if status in GONE_STATUSES:
            recipient = await self._chats.find(Platform.TELEGRAM, str(chat.id))
            if recipient is not None:
                reason = "blocked the bot" if chat.type == ChatType.PRIVATE else "removed the bot"
                await self._chats.deactivate(recipient.id, reason)
        else:
            await self._chats.ensure(Platform.TELEGRAM, str(chat.id), _kind(chat.type), chat.title or chat.full_name)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram: update failed: %s", context.error, exc_info=context.error)

    # -- sending ----------------------------------------------------------------------

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Send a reply; raise ``RecipientUnavailable`` (and mark the chat) if we may not."""
        for message in render_reply(reply):
            chat_id = await self._send_one(chat_id, message)

    async def _send_one(self, chat_id: str, message: TelegramMessage) -> str:
        """Send one message, following a migration and waiting out 429s; the chat id it went to."""
        wait = 0.0
        for _ in range(RETRY_AFTER_TRIES):
            try:
                await self.application.bot.send_message(
                    int(chat_id),
                    message.html,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard(message.buttons),
                    link_preview_options=NO_PREVIEW,
                )
                return chat_id
            except ChatMigrated as err:
                new_id = str(err.new_chat_id)
                await self._chats.migrate_external_id(Platform.TELEGRAM, chat_id, new_id)
                chat_id = new_id
            except RetryAfter as err:
                wait = _retry_seconds(err)
                log.warning("telegram: rate limited in chat %s; waiting %.0f s", chat_id, wait)
                await self._sleep(wait)
            except Forbidden as err:
                await self._mark_unavailable(chat_id, str(err))
                raise RecipientUnavailable(f"telegram chat {chat_id}: {err}") from err
            except BadRequest as err:
                if "chat not found" in str(err).lower():
                    await self._mark_unavailable(chat_id, str(err))
                    raise RecipientUnavailable(f"telegram chat {chat_id}: {err}") from err
                raise DeliveryError(f"telegram refused a message to {chat_id}: {err}") from err
            except NetworkError as err:
                raise DeliveryError(f"telegram unreachable: {err}") from err
            except TelegramError as err:
                raise DeliveryError(f"telegram: {err}") from err
        raise RateLimited(
            f"telegram chat {chat_id} still rate limited after {RETRY_AFTER_TRIES} waits", retry_after=wait
        )

    async def _mark_unavailable(self, chat_id: str, reason: str) -> None:
        recipient = await self._chats.find(Platform.TELEGRAM, chat_id)
        if recipient is not None:
            await self._chats.deactivate(recipient.id, reason)
        log.info("telegram: chat %s is unavailable (%s); it is skipped until it writes again", chat_id, reason)


def _first_message(reply: Reply) -> TelegramMessage:
    rendered = render_reply(reply)
    return rendered[0] if rendered else TelegramMessage("…")


def _webhook_path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path.lstrip("/")
