"""The fake Telegram Bot API, driven by the real python-telegram-bot.

These tests pin what the fake promises the rest of the suite: PTB can talk to it unmodified,
it refuses what Telegram refuses with errors PTB maps to the same exceptions, it rate-limits
like Telegram, and an ``Application`` polling it gets updates and its answers are recorded.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
)

from tests.fakes.clock import FakeClock
from tests.fakes.telegram_server import FakeTelegram, parse_html

PRIVATE = 42
GROUP = -1001234567890


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns on every RetryAfter unless opted in to timedelta values; opt in."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram(max_long_poll=0.3).limits(enabled=False) as fake:
        yield fake
        assert fake.server_errors == []


@pytest.fixture
def limited(clock: FakeClock) -> Iterator[FakeTelegram]:
    """Telegram's default limits, on a clock the test moves."""
    with FakeTelegram(clock=clock.monotonic, max_long_poll=0.3) as fake:
        yield fake
        assert fake.server_errors == []


def _bot(fake: FakeTelegram) -> Bot:
    return Bot(fake.token, base_url=fake.bot_api_url, base_file_url=fake.file_api_url)


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with _bot(tg) as client:
        yield client


@pytest.fixture
async def limited_bot(limited: FakeTelegram) -> AsyncIterator[Bot]:
    async with _bot(limited) as client:
        yield client


def _says(text: str) -> re.Pattern[str]:
    """PTB drops "Bad Request: " and capitalize()s the rest, so match without case."""
    return re.compile(re.escape(text), re.IGNORECASE)


def _keyboard(callback_data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Open", callback_data=callback_data)]])


# -- basics ----------------------------------------------------------------------------------


async def test_get_me_describes_the_bot(bot: Bot, tg: FakeTelegram) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (tg.bot_id, tg.bot_username, True)
    assert me.can_join_groups and me.supports_inline_queries
    assert [r.method for r in tg.requests] == ["getMe", "getMe"]  # Bot.initialize calls it too


async def test_html_is_parsed_like_telegram_and_the_keyboard_echoed(bot: Bot, tg: FakeTelegram) -> None:
    html = ' <b>bold</b> &amp; <i>it</i> 😀 <a href="https://arxiv.org/abs/2401.00001">paper</a>\n'
    sent = await bot.send_message(PRIVATE, html, parse_mode="HTML", reply_markup=_keyboard(callback_data="p:1"))

    assert sent.text == "bold & it 😀 paper"  # trimmed, entities decoded
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 4),
        ("italic", 7, 2),
        ("text_link", 13, 5),  # offsets count UTF-16 units: the emoji is two
    ]
    assert sent.entities[2].url == "https://arxiv.org/abs/2401.00001"
    assert sent.reply_markup == _keyboard(callback_data="p:1")
    (record,) = tg.sent_messages(PRIVATE)
    assert (record.text, record.plain_text, record.parse_mode) == (html, sent.text, "HTML")
    assert record.reply_markup == {"inline_keyboard": [[{"text": "Open", "callback_data": "p:1"}]]}
    assert record.params["chat_id"] == PRIVATE


async def test_message_ids_count_per_chat(bot: Bot) -> None:
    ids = [(await bot.send_message(chat, "x")).message_id for chat in (1, 1, 2, 1)]
    assert ids == [1, 2, 1, 3]


@pytest.mark.parametrize(
    "html",
    [
        "<foo>x</foo>",
        "1 < 2",
        "Q&A",
        "&nbsp;",
        "<b>open",
        "<b>x</i>",
        "x</b>",
        "<span>x</span>",
        "<br/>",
    ],
)
async def test_html_telegram_refuses_is_a_bad_request(bot: Bot, html: str) -> None:
    with pytest.raises(BadRequest, match=_says("Can't parse entities")):
        await bot.send_message(PRIVATE, html, parse_mode="HTML")


def test_html_nesting_follows_telegram() -> None:
    text, entities = parse_html('<pre><code class="language-python">x = 1</code></pre><code><b>y</b></code>')
    assert text == "x = 1y"
    assert entities == [
        {"type": "pre", "offset": 0, "length": 5, "language": "python"},
        {"type": "code", "offset": 5, "length": 1},  # the bold inside code is dropped
    ]
    assert parse_html("&#60;&#x3e;&quot;") == ('<>"', [])


@pytest.mark.parametrize(
    "text",
    ["a" * 4096, "<b>" + "a" * 4096 + "</b>", "&lt;" * 4096, "😀" * 4096],
    ids=["plain", "tags-not-counted", "references-count-once", "astral-counts-once"],
)
async def test_4096_characters_after_parsing_fit(bot: Bot, text: str) -> None:
    await bot.send_message(PRIVATE, text, parse_mode="HTML")


async def test_longer_text_is_refused(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=_says("Message is too long")):
        await bot.send_message(PRIVATE, "a" * 4097)


@pytest.mark.parametrize("text", ["", "   \n", "<b></b>"])
async def test_empty_text_is_refused(bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match=_says("Message text is empty")):
        await bot.send_message(PRIVATE, text, parse_mode="HTML")


async def test_markdown_is_refused_clearly(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=_says("not implemented by the fake")):
        await bot.send_message(PRIVATE, "*x*", parse_mode="MarkdownV2")


# -- keyboards and inline answers ------------------------------------------------------------


async def test_callback_data_is_limited_to_64_bytes(bot: Bot) -> None:
    await bot.send_message(PRIVATE, "ok", reply_markup=_keyboard(callback_data="x" * 64))
    with pytest.raises(BadRequest, match=_says("Button_data_invalid")):
        await bot.send_message(PRIVATE, "no", reply_markup=_keyboard(callback_data="é" * 33))  # 66 bytes


@pytest.mark.parametrize(
    ("button", "error"),
    [
        (InlineKeyboardButton("only text"), "Text buttons are unallowed"),
        (InlineKeyboardButton("two", url="https://arxiv.org", callback_data="x"), "exactly one optional field"),
        (InlineKeyboardButton("", callback_data="x"), "Text must be non-empty"),
        (InlineKeyboardButton("bad url", url="arxiv.org"), "Button_url_invalid"),
    ],
)
async def test_inline_buttons_need_text_and_one_action(bot: Bot, button: InlineKeyboardButton, error: str) -> None:
    with pytest.raises(BadRequest, match=_says(error)):
        await bot.send_message(PRIVATE, "x", reply_markup=InlineKeyboardMarkup([[button]]))


def _articles(count: int, *, same_id: bool = False) -> list[InlineQueryResultArticle]:
    return [
        InlineQueryResultArticle(
            "1" if same_id else str(i), f"Paper {i}", InputTextMessageContent(f"<b>{i}</b>", "HTML")
        )
        for i in range(count)
    ]


async def test_answer_inline_query_limits(bot: Bot, tg: FakeTelegram) -> None:
    tg.push_inline_query("sparse autoencoders", user_id=7)
    (update,) = await bot.get_updates()
    assert update.inline_query is not None
    query_id = update.inline_query.id

    with pytest.raises(BadRequest, match=_says("Results_too_much")):
        await bot.answer_inline_query(query_id, _articles(51))
    with pytest.raises(BadRequest, match=_says("Result_id_duplicate")):
        await bot.answer_inline_query(query_id, _articles(2, same_id=True))
    with pytest.raises(BadRequest, match=_says("Next_offset_invalid")):
        await bot.answer_inline_query(query_id, _articles(1), next_offset="9" * 65)
    assert await bot.answer_inline_query(query_id, _articles(50), next_offset="50")

    (answer,) = tg.inline_answers
    assert (answer.inline_query_id, len(answer.results), answer.next_offset) == (query_id, 50, "50")
    with pytest.raises(BadRequest, match=_says("Query is too old")):
        await bot.answer_inline_query(query_id, _articles(1))


# -- faults ----------------------------------------------------------------------------------


async def test_blocked_and_kicked_chats_are_forbidden(bot: Bot, tg: FakeTelegram) -> None:
    tg.block_chat(PRIVATE).kick_from(GROUP)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(PRIVATE, "x")
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await bot.send_message(GROUP, "x")
    tg.unblock_chat(PRIVATE)
    await bot.send_message(PRIVATE, "x")


async def test_deleted_chat_is_not_found(bot: Bot, tg: FakeTelegram) -> None:
    tg.delete_chat(PRIVATE)
    with pytest.raises(BadRequest, match=_says("Chat not found")):
        await bot.send_message(PRIVATE, "x")


async def test_migrated_group_points_to_the_supergroup(bot: Bot, tg: FakeTelegram) -> None:
    tg.migrate_chat(-4001, -1004001)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(-4001, "x")
    assert caught.value.new_chat_id == -1004001
    sent = await bot.send_message(caught.value.new_chat_id, "x")
    assert sent.chat.type == "supergroup"


async def test_injected_429_is_retry_after(bot: Bot, tg: FakeTelegram) -> None:
    tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7, count=2)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(PRIVATE, "x")
        assert caught.value.retry_after == timedelta(seconds=7)
    await bot.send_message(PRIVATE, "x")
    assert tg.too_many_requests == 2
    assert [r.status for r in tg.requests if r.method == "sendMessage"] == [429, 429, 200]


async def test_flooded_chat_waits_retry_after(limited_bot: Bot, limited: FakeTelegram, clock: FakeClock) -> None:
    limited.flood(GROUP, 30)
    clock.advance(10)
    with pytest.raises(RetryAfter) as caught:
        await limited_bot.send_message(GROUP, "x")
    assert caught.value.retry_after == timedelta(seconds=20)
    clock.advance(20)
    await limited_bot.send_message(GROUP, "x")


# -- rate limits -----------------------------------------------------------------------------


async def test_private_chat_gets_one_message_per_second(
    limited_bot: Bot, limited: FakeTelegram, clock: FakeClock
) -> None:
    await limited_bot.send_message(PRIVATE, "first")
    with pytest.raises(RetryAfter) as caught:
        await limited_bot.send_message(PRIVATE, "second")
    assert caught.value.retry_after == timedelta(seconds=1)
    await limited_bot.send_message(PRIVATE + 1, "another chat is fine")
    clock.advance(1)
    await limited_bot.send_message(PRIVATE, "second, later")
    assert limited.too_many_requests == 1
    assert [m.text for m in limited.sent_messages(PRIVATE)] == ["first", "second, later"]


async def test_private_burst_is_configurable(limited_bot: Bot, limited: FakeTelegram) -> None:
    limited.limits(private_burst=3)
    for _ in range(3):
        await limited_bot.send_message(PRIVATE, "x")
    with pytest.raises(RetryAfter):
        await limited_bot.send_message(PRIVATE, "x")


async def test_group_gets_twenty_messages_per_minute(limited_bot: Bot, clock: FakeClock) -> None:
    for _ in range(20):
        await limited_bot.send_message(GROUP, "x")
        clock.advance(1)
    with pytest.raises(RetryAfter) as caught:
        await limited_bot.send_message(GROUP, "x")
    assert caught.value.retry_after == timedelta(seconds=40)
    clock.advance(40)
    await limited_bot.send_message(GROUP, "x")


async def test_thirty_messages_per_second_overall(limited_bot: Bot, clock: FakeClock) -> None:
    for chat in range(1, 31):
        await limited_bot.send_message(chat, "x")
    with pytest.raises(RetryAfter):
        await limited_bot.send_message(31, "x")
    clock.advance(1)
    await limited_bot.send_message(31, "x")


async def test_edits_are_not_rate_limited(limited_bot: Bot) -> None:
    sent = await limited_bot.send_message(PRIVATE, "v0")
    for version in range(1, 6):
        await limited_bot.edit_message_text(f"v{version}", PRIVATE, sent.message_id)


async def test_disabled_limits_never_429(bot: Bot, tg: FakeTelegram) -> None:
    await asyncio.gather(*(bot.send_message(PRIVATE, str(i)) for i in range(100)))
    assert tg.too_many_requests == 0
    assert len(tg.sent_messages(PRIVATE)) == 100


async def test_sequential_calls_reuse_one_connection(bot: Bot, tg: FakeTelegram) -> None:
    opened = tg.connections_opened
    for i in range(20):
        await bot.send_message(PRIVATE, str(i))
    assert tg.connections_opened == opened


# -- editing ---------------------------------------------------------------------------------


async def test_edit_rules(bot: Bot, tg: FakeTelegram) -> None:
    sent = await bot.send_message(PRIVATE, "<b>Hi</b>", parse_mode="HTML", reply_markup=_keyboard(callback_data="a"))
    with pytest.raises(BadRequest, match=_says("Message is not modified")):
        await bot.edit_message_text(
            "<b>Hi</b>", PRIVATE, sent.message_id, parse_mode="HTML", reply_markup=_keyboard(callback_data="a")
        )
    edited = await bot.edit_message_text("<b>Hi</b>", PRIVATE, sent.message_id, parse_mode="HTML")
    assert isinstance(edited, type(sent)) and edited.reply_markup is None  # no reply_markup: keyboard gone
    with pytest.raises(BadRequest, match=_says("Message is not modified")):
        await bot.edit_message_reply_markup(PRIVATE, sent.message_id)
    await bot.edit_message_reply_markup(PRIVATE, sent.message_id, reply_markup=_keyboard(callback_data="b"))
    assert [(e.method, e.text) for e in tg.edited_messages] == [
        ("editMessageText", "<b>Hi</b>"),
        ("editMessageReplyMarkup", None),
    ]

    with pytest.raises(BadRequest, match=_says("Message to edit not found")):
        await bot.edit_message_text("x", PRIVATE, 999)
    assert await bot.delete_message(PRIVATE, sent.message_id)
    with pytest.raises(BadRequest, match=_says("Message to delete not found")):
        await bot.delete_message(PRIVATE, sent.message_id)
    assert tg.deleted_messages == [(PRIVATE, sent.message_id)]


async def test_users_messages_cannot_be_edited(bot: Bot, tg: FakeTelegram) -> None:
    tg.push_message(PRIVATE, "mine")
    with pytest.raises(BadRequest, match=_says("Message can't be edited")):
        await bot.edit_message_text("yours", PRIVATE, 1)


# -- chats, commands, webhook ----------------------------------------------------------------


async def test_chat_members_and_admins(bot: Bot, tg: FakeTelegram) -> None:
    tg.set_admins(GROUP, [7, 8])
    admins = await bot.get_chat_administrators(GROUP)
    assert [(a.user.id, a.status) for a in admins] == [(7, "creator"), (8, "administrator")]
    assert (await bot.get_chat_member(GROUP, 9)).status == "member"
    assert (await bot.get_chat_member(GROUP, 8)).status == "administrator"
    assert (await bot.get_chat(GROUP)).type == "supergroup"
    with pytest.raises(BadRequest, match=_says("no administrators in the private chat")):
        await bot.get_chat_administrators(PRIVATE)


async def test_chat_actions(bot: Bot) -> None:
    assert await bot.send_chat_action(PRIVATE, "typing")
    with pytest.raises(BadRequest, match=_says("Wrong parameter action")):
        await bot.send_chat_action(PRIVATE, "dancing")


async def test_commands_per_scope(bot: Bot, tg: FakeTelegram) -> None:
    await bot.set_my_commands([BotCommand("follow", "Follow a category"), BotCommand("digest", "Today's papers")])
    await bot.set_my_commands([BotCommand("start", "Begin")], scope=BotCommandScopeChat(PRIVATE), language_code="de")

    assert [c.command for c in await bot.get_my_commands()] == ["follow", "digest"]
    assert [c.command for c in await bot.get_my_commands(BotCommandScopeChat(PRIVATE), "de")] == ["start"]
    assert await bot.get_my_commands(BotCommandScopeChat(PRIVATE)) == ()
    assert tg.commands_for(f"chat:{PRIVATE}", "de") == [{"command": "start", "description": "Begin"}]
    assert set(tg.commands) == {("default", ""), (f"chat:{PRIVATE}", "de")}
    with pytest.raises(BadRequest, match=_says("Bot_command_invalid")):
        await bot.set_my_commands([BotCommand("Follow-Up", "x")])
    await bot.delete_my_commands()
    assert tg.commands_for("default") == []


async def test_webhook_is_recorded_and_blocks_polling(bot: Bot, tg: FakeTelegram) -> None:
    with pytest.raises(BadRequest, match=_says("An HTTPS URL must be provided")):
        await bot.set_webhook("http://example.org/hook")
    await bot.set_webhook("https://example.org/hook", secret_token="s3cret_token", allowed_updates=["message"])
    webhook = tg.webhook
    assert webhook is not None and (webhook.url, webhook.secret_token) == ("https://example.org/hook", "s3cret_token")
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"
    with pytest.raises(Conflict, match=_says("webhook is active")):
        await bot.get_updates()
    await bot.delete_webhook()
    assert tg.webhook is None
    assert await bot.get_updates() == ()


# -- getUpdates ------------------------------------------------------------------------------


async def test_offset_confirms_updates(bot: Bot, tg: FakeTelegram) -> None:
    first = tg.push_message(PRIVATE, "a")
    second = tg.push_message(PRIVATE, "b")
    assert [u.update_id for u in await bot.get_updates()] == [first, second]
    assert [u.update_id for u in await bot.get_updates(offset=second)] == [second]
    assert await bot.get_updates(offset=second + 1) == ()
    assert tg.pending_updates == []
    third = tg.push_message(PRIVATE, "c")
    tg.push_message(PRIVATE, "d")
    assert [u.message.text for u in await bot.get_updates(limit=1) if u.message] == ["c"]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == [third + 1]


async def test_allowed_updates_filter_and_are_remembered(bot: Bot, tg: FakeTelegram) -> None:
    tg.push_message(PRIVATE, "ignored")
    wanted = tg.push_callback_query(PRIVATE, 5, "x")
    assert [u.update_id for u in await bot.get_updates(allowed_updates=["callback_query"])] == [wanted]
    tg.push_message(PRIVATE, "still ignored")
    assert [u.update_id for u in await bot.get_updates(offset=wanted + 1)] == []


async def test_long_poll_waits_for_a_push_and_wakes_at_once() -> None:
    with FakeTelegram(max_long_poll=10) as fake:
        async with _bot(fake) as client:
            poll = asyncio.create_task(client.get_updates(timeout=10))
            await asyncio.sleep(0.2)
            assert not poll.done()
            pushed = time.monotonic()
            fake.push_message(PRIVATE, "hello")
            (update,) = await asyncio.wait_for(poll, 2)
            assert time.monotonic() - pushed < 0.5
            assert update.message is not None and update.message.text == "hello"


async def test_long_poll_is_capped(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=30) == ()
    assert 0.25 <= time.monotonic() - started < 2  # max_long_poll=0.3, not 30 s


async def test_a_newer_poll_ends_the_older_one_with_conflict() -> None:
    with FakeTelegram(max_long_poll=10) as fake:
        async with _bot(fake) as first, _bot(fake) as second:
            older = asyncio.create_task(first.get_updates(timeout=10))
            await asyncio.sleep(0.2)
            assert await second.get_updates(timeout=0) == ()
            with pytest.raises(Conflict, match=_says("terminated by other getUpdates request")):
                await asyncio.wait_for(older, 2)


async def test_membership_updates_drive_the_chat_state(bot: Bot, tg: FakeTelegram) -> None:
    tg.push_my_chat_member(GROUP, "administrator")
    tg.push_my_chat_member(PRIVATE, "kicked")
    added, blocked = await bot.get_updates()
    assert added.my_chat_member is not None and added.my_chat_member.new_chat_member.status == "administrator"
    assert blocked.my_chat_member is not None and blocked.my_chat_member.old_chat_member.status == "member"
    assert (await bot.get_chat_member(GROUP, tg.bot_id)).status == "administrator"
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(PRIVATE, "x")


# -- raw HTTP --------------------------------------------------------------------------------


async def test_http_details(tg: FakeTelegram) -> None:
    async with httpx.AsyncClient(base_url=tg.base_url) as http:
        unknown = await http.post(f"/bot{tg.token}/sendTelepathy")
        assert (unknown.status_code, unknown.json()) == (
            404,
            {"ok": False, "error_code": 404, "description": "Not Found"},
        )
        assert (await http.post("/bot1:wrong/getMe")).status_code == 401
        as_json = await http.post(f"/bot{tg.token}/SENDMESSAGE", json={"chat_id": PRIVATE, "text": "123"})
        assert as_json.json()["result"]["text"] == "123"  # text stays text; method names ignore case
        as_query = await http.get(f"/bot{tg.token}/sendMessage", params={"chat_id": PRIVATE, "text": "true"})
        assert as_query.json()["result"]["text"] == "true"
        for _ in range(20):
            assert int((await http.get(f"/bot{tg.token}/getMe")).headers["content-length"]) > 0
    assert tg.connections_opened == 1  # keep-alive: one connection for all of them


# -- a whole Application ---------------------------------------------------------------------


async def test_application_polls_and_answers(limited: FakeTelegram) -> None:
    errors: list[object] = []
    members: list[str] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Follow cs.LG", callback_data="follow:cs.LG")]])
        await update.effective_message.reply_text("<b>Welcome</b>", parse_mode="HTML", reply_markup=keyboard)

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        await query.answer("Followed")
        await query.edit_message_text(f"Following {query.data.removeprefix('follow:')}")

    async def inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.inline_query is not None
        await update.inline_query.answer(_articles(3), cache_time=0)

    async def member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.my_chat_member is not None
        members.append(update.my_chat_member.new_chat_member.status)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    app = (
        Application.builder()
        .token(limited.token)
        .base_url(limited.bot_api_url)
        .base_file_url(limited.file_api_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(InlineQueryHandler(inline))
    app.add_handler(ChatMemberHandler(member))
    app.add_error_handler(on_error)

    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        limited.push_message(PRIVATE, "/start")
        limited.push_message(GROUP, f"/start@{limited.bot_username}", user_id=7)
        (welcome,) = await limited.wait_for_sent(chat_id=PRIVATE)
        await limited.wait_for_sent(chat_id=GROUP)
        assert (welcome.plain_text, welcome.parse_mode) == ("Welcome", "HTML")

        limited.push_callback_query(PRIVATE, welcome.message_id, "follow:cs.LG")
        await limited.wait_until(lambda: len(limited.edited_messages) == 1, what="the edit")
        assert [a.text for a in limited.callback_answers] == ["Followed"]
        (edit,) = limited.edited_messages
        assert (edit.chat_id, edit.message_id, edit.text) == (PRIVATE, welcome.message_id, "Following cs.LG")

        limited.push_inline_query("sparse autoencoders")
        await limited.wait_until(lambda: len(limited.inline_answers) == 1, what="the inline answer")
        assert [r["id"] for r in limited.inline_answers[0].results] == ["0", "1", "2"]

        limited.push_my_chat_member(-5001, "member")
        await limited.wait_until(lambda: members == ["member"], what="the membership update")
    finally:
        stopping = time.monotonic()
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert time.monotonic() - stopping < 2
    assert errors == []
    assert limited.too_many_requests == 0
    assert limited.pending_updates == []  # PTB's last getUpdates on stop confirmed everything


async def test_channels_by_username(bot: Bot, tg: FakeTelegram) -> None:
    tg.add_chat(-100777, "channel", title="arXiv cs.LG", username="arxiv_cs_lg")
    sent = await bot.send_message("@arxiv_cs_lg", "New papers")
    assert (sent.chat.id, sent.chat.type, sent.sender_chat and sent.sender_chat.id) == (-100777, "channel", -100777)
    with pytest.raises(BadRequest, match=_says("Chat not found")):
        await bot.send_message("@nobody_here", "x")


async def test_documents_are_served_through_get_file_and_the_file_url() -> None:
    with FakeTelegram() as fake:
        fake.push_document(1001, "my library.bib", b"@misc{x}", caption="/import")
        async with httpx.AsyncClient() as client:
            answer = (await client.post(f"{fake.bot_api_url}{fake.token}/getFile", json={"file_id": "doc1"})).json()
            path = answer["result"]["file_path"]
            assert answer["result"]["file_size"] == 8
            download = await client.get(f"{fake.file_api_url}{fake.token}/{path.replace(' ', '%20')}")
            assert download.status_code == 200 and download.content == b"@misc{x}"
            assert (await client.get(f"{fake.file_api_url}wrong/{path}")).status_code == 404
            unknown = await client.post(f"{fake.bot_api_url}{fake.token}/getFile", json={"file_id": "nope"})
            assert unknown.status_code == 400 and "invalid file_id" in unknown.json()["description"]
