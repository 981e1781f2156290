"""Telegram specifics: menu, inline mode, groups and admins, and the three error cases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.chat.telegram import TelegramAdapter, bot_api_urls
from paperbot.commands.bot import CommandBot
from paperbot.commands.services import Services
from paperbot.config import Settings
from paperbot.errors import RecipientUnavailable
from paperbot.messages import Reply
from paperbot.render.telegram import MESSAGE_LIMIT
from paperbot.store.models import Platform, RecipientKind
from tests.chat.conftest import RecordedSleeps, delivery_to
from tests.chat.frontends import ADMIN_ID, GROUP_CHAT, MEMBER_ID, TelegramFrontend
from tests.fakes.telegram_server import FakeTelegram


@pytest.fixture
async def adapter(
    command_bot: CommandBot, services: Services, settings: Settings, sleeps: RecordedSleeps
) -> AsyncIterator[TelegramAdapter]:
    adapter = TelegramAdapter(settings, command_bot, services.chats, sleep=sleeps)
    await adapter.start()
    yield adapter
    await adapter.stop()


def test_bot_api_urls_for_a_local_server() -> None:
    assert bot_api_urls("http://127.0.0.1:8081") == ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot")
    assert bot_api_urls("http://h:8081/bot/") == ("http://h:8081/bot", "http://h:8081/file/bot")
    assert bot_api_urls(None) == (None, None)


async def test_command_menu_is_published(adapter: TelegramAdapter, fake_telegram: FakeTelegram) -> None:
    menu = {c["command"]: c["description"] for c in fake_telegram.commands_for()}
    assert {"subscribe", "unsubscribe", "list", "paper", "search", "author", "help", "forget"} <= set(menu)
    assert menu["subscribe"] == "follow a query; matching papers come here"


async def test_group_admins_change_subscriptions_members_only_look_up(
    adapter: TelegramAdapter, fake_telegram: FakeTelegram, services: Services
) -> None:
    fake_telegram.add_chat(GROUP_CHAT, "supergroup", title="Reading group").set_admins(GROUP_CHAT, [ADMIN_ID])
    admin = TelegramFrontend(fake_telegram, adapter, GROUP_CHAT, ADMIN_ID, "supergroup")
    member = TelegramFrontend(fake_telegram, adapter, GROUP_CHAT, MEMBER_ID, "supergroup")
    assert "Subscribed (#1): qubit" in (await admin.say("/subscribe qubit")).text
    refused = await member.say("/subscribe noise")
    assert "Only this chat's administrators can use /subscribe here" in refused.text
    assert "private chat" in refused.text
    assert "#1  qubit" in (await member.say("/list")).text, "anyone may look"
    assert "Statistical noise" in (await member.say("/paper 2504.17837")).text
    recipient = await services.chats.find(Platform.TELEGRAM, str(GROUP_CHAT))
    assert recipient is not None and recipient.kind is RecipientKind.GROUP and recipient.title == "Reading group"
    assert [s.canonical for s in await services.chats.subscriptions(recipient.id)] == ["qubit"]


async def test_card_buttons_respect_group_permissions(adapter: TelegramAdapter, fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_chat(GROUP_CHAT, "supergroup", title="Reading group").set_admins(GROUP_CHAT, [ADMIN_ID])
    admin = TelegramFrontend(fake_telegram, adapter, GROUP_CHAT, ADMIN_ID, "supergroup")
    member = TelegramFrontend(fake_telegram, adapter, GROUP_CHAT, MEMBER_ID, "supergroup")
    await admin.say("/subscribe qubit")
    await admin.say("/unsubscribe")
    pressed = await member.press("✖ qubit")
    assert pressed.toasts == ["Only this chat's administrators can do that here."]
    assert "Unsubscribed" in (await admin.press("✖ qubit")).text


async def test_card_is_html_escaped_with_buttons(adapter: TelegramAdapter, fake_telegram: FakeTelegram) -> None:
    chat = TelegramFrontend(fake_telegram, adapter)
    await chat.say("/paper 2504.17830")
    card = fake_telegram.sent_messages(chat.chat_id)[-1]
    assert card.parse_mode == "HTML"
    assert card.text.startswith('<b><a href="https://arxiv.org/abs/2504.17830">Self-Adjoint Time Operator')
    labels = [b["text"] for row in card.reply_markup["inline_keyboard"] for b in row]
    assert labels == ["Abstract", "PDF", "More like this", "👍", "👎"]
    pdf = card.reply_markup["inline_keyboard"][0][1]
    assert pdf["url"] == "https://arxiv.org/pdf/2504.17830"


async def test_long_replies_are_split_under_the_limit(adapter: TelegramAdapter, fake_telegram: FakeTelegram) -> None:
    text = "\n\n".join(f"Paragraph {n} <&> " + "word " * 150 for n in range(12))
    await adapter.send("1001", Reply(text=text))
    sent = fake_telegram.sent_messages(1001)
    assert len(sent) >= 2
    assert all(len(m.plain_text) <= MESSAGE_LIMIT for m in sent)
    assert "".join(m.plain_text for m in sent).count("<&>") == 12


async def test_inline_query_by_id_and_by_words_with_pagination(
    adapter: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.push_inline_query("2504.17837")
    await fake_telegram.wait_until(lambda: len(fake_telegram.inline_answers) == 1)
    by_id = fake_telegram.inline_answers[0]
    assert [r["id"] for r in by_id.results] == ["2504.17837v1"]
    assert by_id.results[0]["input_message_content"]["parse_mode"] == "HTML"
    assert by_id.results[0]["title"].startswith("Statistical noise enhances")

    fake_telegram.push_inline_query("quantum")
    await fake_telegram.wait_until(lambda: len(fake_telegram.inline_answers) == 2)
    first = fake_telegram.inline_answers[1]
    assert len(first.results) == 10 and first.next_offset == "10"
    fake_telegram.push_inline_query("quantum", offset=first.next_offset)
    await fake_telegram.wait_until(lambda: len(fake_telegram.inline_answers) == 3)
    second = fake_telegram.inline_answers[2]
    assert second.results and not {r["id"] for r in second.results} & {r["id"] for r in first.results}


async def test_inline_more_like_this(adapter: TelegramAdapter, fake_telegram: FakeTelegram) -> None:
    fake_telegram.push_inline_query("more:2504.17837")
    await fake_telegram.wait_until(lambda: len(fake_telegram.inline_answers) == 1)
    answer = fake_telegram.inline_answers[0]
    ids = [r["id"] for r in answer.results]
    assert 3 <= len(ids) <= 10 and "2504.17837v1" not in ids and answer.next_offset == ""
    fake_telegram.push_inline_query("more:not-an-id")
    await fake_telegram.wait_until(lambda: len(fake_telegram.inline_answers) == 2)
    assert fake_telegram.inline_answers[1].results == []


LIBRARY_FILE = (  # UTF-8 with a byte-order mark, as some reference managers save
    b"\xef\xbb\xbf@article{kora, title = {Statistical noise}, eprint = {2504.17837}, archivePrefix = {arXiv}}\n"
    b"@book{knuth, title = {The Art of Computer Programming}}\n"
)


async def test_import_a_library_sent_as_a_file(
    adapter: TelegramAdapter, fake_telegram: FakeTelegram, services: Services
) -> None:
    chat = TelegramFrontend(fake_telegram, adapter)
    sent = len(fake_telegram.sent_messages(chat.chat_id))
    fake_telegram.push_document(chat.chat_id, "My Library.bib", LIBRARY_FILE, caption="/import", user_id=chat.user_id)
    await fake_telegram.wait_until(lambda: len(fake_telegram.sent_messages(chat.chat_id)) > sent)
    reply = fake_telegram.sent_messages(chat.chat_id)[-1].plain_text
    assert "Imported 1 paper from BibTeX" in reply and "The Art of Computer Programming" in reply
    assert [r.method for r in fake_telegram.requests if r.method == "getFile"] == ["getFile"]
    recipient = await services.chats.find(Platform.TELEGRAM, str(chat.chat_id))
    assert recipient is not None and await services.library.arxiv_ids(recipient.id) == ["2504.17837"]

    fake_telegram.push_document(chat.chat_id, "notes.txt", b"just some notes", caption="/import")
    await fake_telegram.wait_until(lambda: len(fake_telegram.sent_messages(chat.chat_id)) > sent + 1)
    assert "That file is not a library I can read" in fake_telegram.sent_messages(chat.chat_id)[-1].plain_text


async def test_blocked_chat_is_marked_inactive_and_back_when_it_writes(
    adapter: TelegramAdapter, fake_telegram: FakeTelegram, services: Services
) -> None:
    chat = TelegramFrontend(fake_telegram, adapter)
    await chat.say("/subscribe qubit")
    fake_telegram.block_chat(1001)
    with pytest.raises(RecipientUnavailable, match="blocked"):
        await adapter.send("1001", Reply(text="a notification"))
    recipient = await services.chats.find(Platform.TELEGRAM, "1001")
    assert recipient is not None and not recipient.active and "blocked" in (recipient.inactive_reason or "")
    fake_telegram.unblock_chat(1001)
    await chat.say("/list")
    recipient = await services.chats.find(Platform.TELEGRAM, "1001")
    assert recipient is not None and recipient.active


async def test_blocking_update_marks_inactive(
    adapter: TelegramAdapter, fake_telegram: FakeTelegram, services: Services
) -> None:
    await TelegramFrontend(fake_telegram, adapter).say("/start")
    fake_telegram.push_my_chat_member(1001, "kicked", old_status="member")

    async def inactive() -> bool:
        found = await services.chats.find(Platform.TELEGRAM, "1001")
        return found is not None and not found.active

    for _ in range(100):
        if await inactive():
            break
        await asyncio.sleep(0.02)
    assert await inactive()


async def test_group_migrated_to_supergroup_keeps_subscriptions(
    adapter: TelegramAdapter, fake_telegram: FakeTelegram, services: Services
) -> None:
    old, new = -4001, -1004001
    fake_telegram.add_chat(old, "group", title="Lab").set_admins(old, [ADMIN_ID])
    await TelegramFrontend(fake_telegram, adapter, old, ADMIN_ID, "group").say("/subscribe qubit")
    fake_telegram.migrate_chat(old, new)
    await adapter.send(str(old), Reply(text="digest"))
    assert [m.plain_text for m in fake_telegram.sent_messages(new)] == ["digest"]
    assert await services.chats.find(Platform.TELEGRAM, str(old)) is None
    moved = await services.chats.find(Platform.TELEGRAM, str(new))
    assert moved is not None
    assert [s.canonical for s in await services.chats.subscriptions(moved.id)] == ["qubit"]


async def test_429_waits_for_retry_after(
    adapter: TelegramAdapter, fake_telegram: FakeTelegram, sleeps: RecordedSleeps
) -> None:
    fake_telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    await adapter.send("1001", Reply(text="hello"))
    assert sleeps == [7.0]
    assert [m.plain_text for m in fake_telegram.sent_messages(1001)] == ["hello"]


async def test_webhook_mode_checks_the_secret(
    command_bot: CommandBot, services: Services, settings: Settings, fake_telegram: FakeTelegram
) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hooked = settings.model_copy(
        update={
            "telegram_webhook_url": "https://bot.example.org:8443/tg/hook",
            "telegram_webhook_secret": __import__("pydantic").SecretStr("s3cret-token"),
            "telegram_webhook_listen": "127.0.0.1",
            "telegram_webhook_port": port,
        }
    )
    adapter = TelegramAdapter(hooked, command_bot, services.chats)
    await adapter.start()
    try:
        assert fake_telegram.webhook is not None
        assert fake_telegram.webhook.url == "https://bot.example.org:8443/tg/hook"
        assert fake_telegram.webhook.secret_token == "s3cret-token"
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 1001, "type": "private"},
                "from": {"id": 1001, "is_bot": False, "first_name": "A"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        async with httpx.AsyncClient() as client:
            url = f"http://127.0.0.1:{port}/tg/hook"
            refused = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
            assert refused.status_code == 403
            accepted = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"})
            assert accepted.status_code == 200
        sent = await fake_telegram.wait_for_sent(1, chat_id=1001)
        assert "I follow arXiv for you" in sent[0].plain_text
    finally:
        await adapter.stop()


async def test_notification_card_with_unsubscribe_and_digest_on_telegram(
    adapter: TelegramAdapter, fake_telegram: FakeTelegram, services: Services, engine: AsyncEngine
) -> None:
    from paperbot.domain import AnnounceType
    from tests.fakes.papers import announce, make_paper

    delivery = delivery_to(services, engine, {"telegram": adapter})
    await delivery.dispatcher.dispatch()
    chat = TelegramFrontend(fake_telegram, adapter)
    await chat.say("/mode instant")
    await chat.say("/subscribe qubit*")
    paper = make_paper(
        "2505.00001",
        title="Qubit <routing> & friends",
        abstract="We propose qubit routing.",
        comment="Code: https://github.com/o/r",
    )
    await services.papers.ingest([announce(paper, AnnounceType.NEW, complete=True)], source="test")
    await delivery.dispatcher.dispatch()
    run = await delivery.worker.run_once()
    assert run.papers == 1
    card = fake_telegram.sent_messages(1001)[-1]
    assert "Qubit <routing> & friends" in card.plain_text
    assert "Matched: qubit* (title, abstract)" in card.plain_text
    labels = [b["text"] for row in card.reply_markup["inline_keyboard"] for b in row]
    assert labels == ["Abstract", "PDF", "Code", "More like this", "👍", "👎", "Unsubscribe"]
    pressed = await chat.press("Unsubscribe")
    assert pressed.toasts == ["Unsubscribed from qubit*"]


async def test_status_command_only_for_operators(
    adapter: TelegramAdapter, fake_telegram: FakeTelegram, services: Services
) -> None:
    async def report() -> str:
        return "paperbot status at now"

    services.status_report = report
    chat = TelegramFrontend(fake_telegram, adapter)
    assert "for the bot's operators" in (await chat.say("/status")).text
    services.settings.operators = ("telegram:1001",)
    assert "paperbot status at now" in (await chat.say("/status")).text
