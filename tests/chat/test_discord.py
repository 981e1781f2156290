"""Discord specifics, through simcord's in-process Discord: the real discord.py client, no network.

Slash commands and their sync, autocomplete, Manage Server in channels and personal DMs,
embeds over the limit, buttons after a restart, and the errors that pause a recipient.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import discord
import pytest
import simcord
from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.chat.discord import DiscordAdapter
from paperbot.commands.bot import CommandBot
from paperbot.commands.services import Services
from paperbot.config import Settings
from paperbot.errors import ConfigError, RateLimited, RecipientUnavailable
from paperbot.messages import Reply
from paperbot.render.discord import CONTENT_LIMIT, DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT, TITLE_LIMIT
from paperbot.store.models import Platform, RecipientKind
from tests.chat.conftest import RecordedSleeps, delivery_to, discord_settings, running_discord
from tests.chat.frontends import DiscordFrontend, button_labels, discord_text
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.clock import FakeClock
from tests.fakes.papers import make_paper

DEV_GUILD = 987654321098765432


@pytest.fixture
async def world(
    settings: Settings, command_bot: CommandBot, services: Services, sleeps: RecordedSleeps
) -> AsyncIterator[tuple[simcord.Env, DiscordAdapter]]:
    async with running_discord(settings, command_bot, services, sleeps) as running:
        yield running


@pytest.fixture
def env(world: tuple[simcord.Env, DiscordAdapter]) -> simcord.Env:
    return world[0]


@pytest.fixture
def adapter(world: tuple[simcord.Env, DiscordAdapter]) -> DiscordAdapter:
    return world[1]


@dataclass
class Server:
    """A server with a #papers channel, a moderator with Manage Server and a plain member.

    ``moderator`` and ``member`` speak in #papers; ``mod`` and ``bob`` are the members themselves.
    """

    guild: simcord.GuildHandle
    channel: simcord.ChannelHandle
    mod: simcord.MemberActor
    bob: simcord.MemberActor
    moderator: DiscordFrontend
    member: DiscordFrontend


@pytest.fixture
def server(env: simcord.Env, adapter: DiscordAdapter) -> Server:
    guild = env.create_guild("Reading group")
    channel = guild.create_text_channel("papers")
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
    moderator = guild.add_member(env.create_user("ada"), roles=[mods])
    member = guild.add_member(env.create_user("bob"))
    return Server(
        guild,
        channel,
        moderator,
        member,
        DiscordFrontend(env, adapter, moderator, channel),
        DiscordFrontend(env, adapter, member, channel),
    )


# -- commands and their sync -------------------------------------------------------------


async def test_every_command_is_a_slash_command_synced_globally(
    env: simcord.Env, adapter: DiscordAdapter, command_bot: CommandBot
) -> None:
    user = env.create_user("ada")
    assert set(user.available_commands()) == {c.name for c in command_bot.commands}, "also in DMs"
    synced = {c.name: c for c in await adapter.tree.fetch_commands()}
    subscribe = synced["subscribe"]
    assert subscribe.description == "follow a query; matching papers come here"
    (query,) = subscribe.options
    assert isinstance(query, discord.app_commands.Argument)
    assert (query.name, query.required, query.autocomplete) == ("query", False, True)
    assert query.description == 'QUERY, e.g. "sparse autoencoder" cat:cs.LG'
    assert synced["start"].options == []
    assert [o.name for o in synced["unsubscribe"].options] == ["number"]
    assert [o.name for o in synced["mode"].options] == ["value"]
    paper = synced["paper"].options[0]
    assert isinstance(paper, discord.app_commands.Argument) and not paper.autocomplete
    for command in command_bot.commands:
        permissions = synced[command.name].default_member_permissions
        if command.changes_chat:
            assert permissions == discord.Permissions(manage_guild=True), command.name
        else:
            assert permissions is None, command.name


async def test_commands_sync_to_the_development_server_only(
    settings: Settings, command_bot: CommandBot, services: Services
) -> None:
    adapter = DiscordAdapter(discord_settings(settings, discord_dev_guild_id=DEV_GUILD), command_bot, services.chats)
    env = simcord.Env(adapter.client)
    guild = env.create_guild("Dev", id=DEV_GUILD)
    channel = guild.create_text_channel("test")
    await env.start()
    try:
        tester = guild.add_member(
            env.create_user("dev"),
            roles=[guild.create_role("Admins", permissions=discord.Permissions(administrator=True))],
        )
        assert "subscribe" in tester.available_commands(channel)
        assert env.create_user("someone").available_commands() == (), "not global, not in DMs"
        shown = await DiscordFrontend(env, adapter, tester, channel).say("/subscribe qubit")
        assert "Subscribed (#1): qubit" in shown.text
    finally:
        await adapter.stop()
        await env.shutdown()
    env.raise_errors()


async def test_sharded_client_when_the_setting_asks_for_it(
    settings: Settings, command_bot: CommandBot, services: Services, sleeps: RecordedSleeps
) -> None:
    single = DiscordAdapter(discord_settings(settings), command_bot, services.chats)
    assert not isinstance(single.client, discord.AutoShardedClient)
    async with running_discord(settings, command_bot, services, sleeps, discord_shard_count=2) as (env, adapter):
        assert isinstance(adapter.client, discord.AutoShardedClient)
        assert adapter.client.shard_count == 2
        guild = env.create_guild("On shard one", shard_id=1)
        channel = guild.create_text_channel("papers")
        owner = guild.add_member(
            env.create_user("owner"),
            roles=[guild.create_role("A", permissions=discord.Permissions(administrator=True))],
        )
        assert (
            "Subscribed (#1): qubit"
            in (await DiscordFrontend(env, adapter, owner, channel).say("/subscribe qubit")).text
        )


# -- autocomplete -------------------------------------------------------------------------


async def test_autocomplete_completes_categories_in_queries(env: simcord.Env) -> None:
    user = env.create_user("ada")
    completed = await user.autocomplete("subscribe", "query", "qubit cat:quant")
    assert completed[0] == {"name": "cat:quant-ph · Quantum Physics", "value": "qubit cat:quant-ph"}, "ids first"
    assert "qubit cat:q-fin" in [c["value"] for c in completed], "then names: Quantitative Finance"
    cs = await user.autocomplete("search", "query", '"sparse autoencoder" cat:cs.L')
    assert '"sparse autoencoder" cat:cs.LG' in [c["value"] for c in cs]
    assert all(c["value"].startswith('"sparse autoencoder" cat:cs.L') for c in cs)
    negated = await user.autocomplete("subscribe", "query", "diffusion -cat:cs.c")
    assert "diffusion -cat:cs.CV" in [c["value"] for c in negated]
    by_name = await user.autocomplete("subscribe", "query", "cat:machine")
    assert {"cat:cs.LG", "cat:stat.ML"} <= {c["value"] for c in by_name}
    assert len(await user.autocomplete("subscribe", "query", "cat:")) == 25, "at most 25 suggestions"
    assert await user.autocomplete("subscribe", "query", "qubit") == []
    too_long = "x" * 95 + " cat:cs"
    assert await user.autocomplete("subscribe", "query", too_long) == [], "a value over 100 characters is not offered"


async def test_autocomplete_offers_the_chats_own_subscriptions(
    env: simcord.Env, adapter: DiscordAdapter, server: Server
) -> None:
    user = env.create_user("carol")
    dm = DiscordFrontend(env, adapter, user)
    assert await user.autocomplete("unsubscribe", "number", "") == [], "no chat yet"
    await dm.say("/subscribe qubit")
    await dm.say('/subscribe au:"Christoph Simon"')
    await server.moderator.say("/subscribe cat:cs.LG")
    assert await user.autocomplete("unsubscribe", "number", "") == [
        {"name": "#1  qubit", "value": "1"},
        {"name": '#2  au:"christoph simon"', "value": "2"},
    ]
    assert [c["value"] for c in await user.autocomplete("unsubscribe", "number", "simon")] == ["2"]
    assert [c["value"] for c in await user.autocomplete("unsubscribe", "number", "#1")] == ["1"]
    in_channel = await server.mod.autocomplete(server.channel, "unsubscribe", "number", "")
    assert in_channel == [{"name": "#3  cat:cs.LG", "value": "3"}]


async def test_autocomplete_offers_time_zones(env: simcord.Env) -> None:
    user = env.create_user("ada")
    assert (await user.autocomplete("timezone", "zone", "berl"))[0] == {
        "name": "Europe/Berlin",
        "value": "Europe/Berlin",
    }
    tokyo = [c["value"] for c in await user.autocomplete("timezone", "zone", "tokyo")]
    assert tokyo == ["Asia/Tokyo"]
    assert "America/New_York" in [c["value"] for c in await user.autocomplete("timezone", "zone", "new york")]
    assert "UTC" in [c["value"] for c in await user.autocomplete("timezone", "zone", "")]
    assert "Europe/Berlin" in [c["value"] for c in await user.autocomplete("timezone", "zone", "Europe/Berln")]
    assert len(await user.autocomplete("timezone", "zone", "america")) == 25


# -- permissions --------------------------------------------------------------------------


async def test_manage_server_changes_a_channels_subscriptions_anyone_looks_up(
    adapter: DiscordAdapter, server: Server, services: Services
) -> None:
    assert "Subscribed (#1): qubit" in (await server.moderator.say("/subscribe qubit")).text
    recipient = await services.chats.find(Platform.DISCORD, str(server.channel.id))
    assert recipient is not None
    assert (recipient.kind, recipient.title) == (RecipientKind.GROUP, "#papers (Reading group)")

    member = server.bob
    visible = member.available_commands(server.channel)
    assert "subscribe" not in visible and "forget" not in visible, "hidden by default_permissions"
    assert {"list", "paper", "search", "help"} <= set(visible)
    with pytest.raises(simcord.SetupError):
        await member.slash(server.channel, "subscribe", query="noise")
    assert "#1  qubit" in (await server.member.say("/list")).text, "anyone may look"
    assert "Statistical noise" in (await server.member.say("/paper 2504.17837")).text

    # A server admin lets everyone see /subscribe (Server Settings → Integrations):
    # the adapter still checks Manage Server, and says no to that member only.
    synced = {c.name: c for c in await adapter.tree.fetch_commands()}
    server.guild.set_command_permissions(synced["subscribe"].id, {server.guild.default_role: True})
    refused = await server.member.say("/subscribe noise")
    assert "Only this chat's administrators can use /subscribe here" in refused.text
    assert server.member.last is not None and server.member.last.ephemeral
    assert [s.canonical for s in await services.chats.subscriptions(recipient.id)] == ["qubit"]


async def test_members_cannot_press_buttons_that_change_the_channel(server: Server) -> None:
    await server.moderator.say("/subscribe qubit")
    await server.moderator.say("/unsubscribe")
    pressed = await server.member.press("✖ qubit")
    assert pressed.toasts == ["Only this chat's administrators can do that here."]
    assert pressed.messages == []
    assert "Unsubscribed from qubit." in (await server.moderator.press("✖ qubit")).text


async def test_dms_are_personal_subscriptions(
    env: simcord.Env, adapter: DiscordAdapter, server: Server, services: Services
) -> None:
    await server.moderator.say("/subscribe qubit")
    own = DiscordFrontend(env, adapter, server.bob.user)
    assert "Subscribed (#2): noise" in (await own.say("/subscribe noise")).text, "the member's own DM"
    mine = await services.chats.find(Platform.DISCORD, own.external_id)
    channel = await services.chats.find(Platform.DISCORD, str(server.channel.id))
    assert mine is not None and channel is not None
    assert mine.kind is RecipientKind.PRIVATE and mine.title == "bob"
    assert [s.canonical for s in await services.chats.subscriptions(mine.id)] == ["noise"]
    assert [s.canonical for s in await services.chats.subscriptions(channel.id)] == ["qubit"]


async def test_an_announcement_channel_is_a_channel(
    env: simcord.Env, adapter: DiscordAdapter, server: Server, services: Services
) -> None:
    news = server.guild.create_news_channel("arxiv-news")
    await DiscordFrontend(env, adapter, server.mod, news).say("/subscribe qubit")
    recipient = await services.chats.find(Platform.DISCORD, str(news.id))
    assert recipient is not None and recipient.kind is RecipientKind.CHANNEL


# -- messages -------------------------------------------------------------------------------


async def test_over_limit_paper_is_one_embed_within_the_limits(
    env: simcord.Env, adapter: DiscordAdapter, fake_arxiv: FakeArxiv
) -> None:
    fake_arxiv.add_papers(
        [
            make_paper(
                "2505.00042",
                title="An extremely *long* title " * 20,
                abstract="A very long abstract with_underscores. " * 200,
                comment="Accepted somewhere. " * 60,
                authors=tuple(f"Author {n}" for n in range(300)),
            )
        ]
    )
    chat = DiscordFrontend(env, adapter, env.create_user("ada"))
    shown = await chat.say("/paper 2505.00042 --abstract")
    callbacks = [r.json for r in env.http_requests if r.path.endswith("/callback")]
    assert callbacks[-1] == {"type": 5}, "deferred at once (thinking), answered in a follow-up"
    card = chat.channel.last_message
    assert card is not None and len(card.embeds) == 1
    embed = card.embeds[0]
    assert embed.title is not None and len(embed.title) <= TITLE_LIMIT and embed.title.endswith("…")
    assert embed.description is not None and len(embed.description) <= DESCRIPTION_LIMIT
    assert len(embed) <= EMBED_TOTAL_LIMIT
    assert "An extremely *long* title" in shown.text
    assert "Author 0, Author 1, Author 2 et al. · cs.LG" in shown.text
    assert "> A very long abstract with\\_underscores." in embed.description
    assert button_labels(card) == ["Hide abstract", "PDF", "More like this", "👍", "👎"]


async def test_long_text_is_split_across_messages(env: simcord.Env, adapter: DiscordAdapter) -> None:
    user = env.create_user("ada")
    chat = DiscordFrontend(env, adapter, user)
    text = "\n\n".join(f"Paragraph {n} <&> **bold** " + "word_ " * 150 for n in range(12))
    await adapter.send(chat.external_id, Reply(text=text))
    sent = chat.channel.history()
    assert len(sent) >= 3
    assert all(len(m.content) <= CONTENT_LIMIT for m in sent)
    assert "\n\n".join(discord_text(m) for m in sent).count("<&> bold word_") == 12


async def test_notification_card_and_digest_through_the_delivery_worker(
    env: simcord.Env, adapter: DiscordAdapter, services: Services, engine: AsyncEngine, clock: FakeClock
) -> None:
    from paperbot.domain import AnnounceType
    from tests.fakes.papers import announce

    delivery = delivery_to(services, engine, {"discord": adapter})
    await delivery.dispatcher.dispatch()
    chat = DiscordFrontend(env, adapter, env.create_user("ada"))
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
    card = chat.channel.last_message
    assert card is not None
    assert "Qubit <routing> & friends" in discord_text(card)
    assert "Matched: qubit* (title, abstract)" in discord_text(card)
    assert "💻 Code: Code" in discord_text(card)
    assert button_labels(card) == ["Abstract", "PDF", "Code", "More like this", "👍", "👎", "Unsubscribe"]
    pressed = await chat.press("Unsubscribe")
    assert pressed.toasts == ["Unsubscribed from qubit*"]

    # A digest of many papers: split across messages under the content limit, none lost.
    await chat.say("/mode digest")
    await chat.say("/subscribe cat:cs.LG")
    papers = [
        make_paper(f"2505.{n:05d}", title=f"Learning thing number {n} with a_long_name", abstract="x " * 300)
        for n in range(100, 130)
    ]
    await services.papers.ingest([announce(p, AnnounceType.NEW, complete=True) for p in papers], source="test")
    await delivery.dispatcher.dispatch()
    services.settings.digest_top = 30
    before = len(chat.channel.history())
    clock.advance(24 * 3600)
    run = await delivery.worker.run_once()
    assert run.digests == 1 and run.papers == 30
    digest = chat.channel.history()[before:]
    assert len(digest) >= 2
    assert all(len(m.content) <= CONTENT_LIMIT for m in digest)
    text = "\n\n".join(discord_text(m) for m in digest)
    assert text.startswith("Your arXiv digest for")
    assert all(f"Learning thing number {n} with a_long_name" in text for n in range(100, 130))


async def test_plain_text_in_a_dm_is_a_search(env: simcord.Env, adapter: DiscordAdapter) -> None:
    chat = DiscordFrontend(env, adapter, env.create_user("ada"))
    assert "Found among stored papers for ti:reservoir" in (await chat.say("ti:reservoir")).text
    assert "There is no /frobnicate command" in (await chat.say("/frobnicate")).text


async def test_status_is_for_operators_named_by_discord_user_id(
    env: simcord.Env, adapter: DiscordAdapter, services: Services
) -> None:
    async def report() -> str:
        return "paperbot status at now"

    services.status_report = report
    user = env.create_user("ada")
    chat = DiscordFrontend(env, adapter, user)
    assert "for the bot's operators" in (await chat.say("/status")).text
    services.settings.operators = (f"discord:{user.id}",)
    assert "paperbot status at now" in (await chat.say("/status")).text


async def test_import_without_arguments_opens_a_form(
    env: simcord.Env, adapter: DiscordAdapter, services: Services
) -> None:
    user = env.create_user("ada")
    chat = DiscordFrontend(env, adapter, user)
    shown = await chat.slash("import")
    assert shown.modal is not None and shown.modal["title"] == "/import"
    submitted = await user.submit_modal(shown, {"lines": 'qubit\ncat:cs.LG\n"broken'})
    assert submitted.acknowledged
    reply = chat.channel.last_message
    assert reply is not None
    assert "Imported 2 subscriptions." in discord_text(reply)
    assert "line 3: unclosed quote" in discord_text(reply)


async def test_import_a_library_attached_as_a_file(
    env: simcord.Env, adapter: DiscordAdapter, services: Services
) -> None:
    user = env.create_user("ada")
    chat = DiscordFrontend(env, adapter, user)
    export = (
        b'"Key","Item Type","Title","Url"\n"A1","preprint","Statistical noise","https://arxiv.org/abs/2504.17837"\n'
    )
    result = await user.slash("import", file=("zotero.csv", export))
    assert result.acknowledged
    reply = chat.channel.last_message
    assert reply is not None
    assert "Imported 1 paper from a Zotero CSV export" in discord_text(reply)
    recipient = await services.chats.find(Platform.DISCORD, chat.external_id)
    assert recipient is not None and await services.library.arxiv_ids(recipient.id) == ["2504.17837"]
    assert await services.chats.subscriptions(recipient.id) == []


# -- buttons after a restart ----------------------------------------------------------------


async def test_buttons_work_after_a_restart(
    env: simcord.Env,
    adapter: DiscordAdapter,
    settings: Settings,
    command_bot: CommandBot,
    services: Services,
) -> None:
    chat = DiscordFrontend(env, adapter, env.create_user("ada"))
    await chat.say("/paper 2504.17837")
    await chat.say("/subscribe qubit")
    restarted = DiscordAdapter(discord_settings(settings), command_bot, services.chats)
    await adapter.stop()
    await env.restart_bot(restarted.client)
    try:
        after = DiscordFrontend(env, restarted, chat.actor)
        expanded = await after.press("Abstract")
        assert "Quantum reservoir computing offers a promising approach" in expanded.text
        liked = await after.press("👍")
        assert liked.toasts == ["👍 Noted: more like this."]
        assert "Unsubscribed from qubit." in (await after.press("Undo")).text
        recipient = await services.chats.find(Platform.DISCORD, chat.external_id)
        assert recipient is not None
        assert await services.feedback.ratings(recipient.id) == {"2504.17837": 1}
    finally:
        await restarted.stop()


# -- errors that pause a recipient ------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [(50001, "Missing Access"), (50013, "Missing Permissions")],
)
async def test_a_channel_we_may_no_longer_post_in_is_paused(
    env: simcord.Env, adapter: DiscordAdapter, server: Server, services: Services, code: int, message: str
) -> None:
    await server.moderator.say("/subscribe qubit")
    env.inject_error("POST", f"/channels/{server.channel.id}/messages", status=403, code=code, message=message)
    with pytest.raises(RecipientUnavailable, match=str(code)):
        await adapter.send(str(server.channel.id), Reply(text="a notification"))
    recipient = await services.chats.find(Platform.DISCORD, str(server.channel.id))
    assert recipient is not None and not recipient.active and message in (recipient.inactive_reason or "")
    await server.member.say("/list")
    recipient = await services.chats.find(Platform.DISCORD, str(server.channel.id))
    assert recipient is not None and recipient.active, "used again, it is active again"


async def test_a_channel_that_denies_the_bot_is_paused_on_discords_own_refusal(
    env: simcord.Env, adapter: DiscordAdapter, server: Server, services: Services
) -> None:
    me = server.guild.me
    assert me is not None
    closed = server.guild.create_text_channel(
        "closed", overwrites={me: discord.PermissionOverwrite(send_messages=False)}
    )
    await DiscordFrontend(env, adapter, server.mod, closed).say("/subscribe qubit")
    with pytest.raises(RecipientUnavailable, match="50013"):
        await adapter.send(str(closed.id), Reply(text="a notification"))
    recipient = await services.chats.find(Platform.DISCORD, str(closed.id))
    assert recipient is not None and not recipient.active


async def test_closed_dms_pause_the_user(env: simcord.Env, adapter: DiscordAdapter, services: Services) -> None:
    chat = DiscordFrontend(env, adapter, env.create_user("ada"))
    await chat.say("/subscribe qubit")
    env.inject_error(
        "POST",
        f"/channels/{chat.external_id}/messages",
        status=403,
        code=50007,
        message="Cannot send messages to this user",
    )
    with pytest.raises(RecipientUnavailable, match="50007"):
        await adapter.send(chat.external_id, Reply(text="a notification"))
    recipient = await services.chats.find(Platform.DISCORD, chat.external_id)
    assert recipient is not None and not recipient.active
    assert "Cannot send messages to this user" in (recipient.inactive_reason or "")


async def test_429_is_waited_out_then_handed_back(
    env: simcord.Env, adapter: DiscordAdapter, services: Services, sleeps: RecordedSleeps
) -> None:
    chat = DiscordFrontend(env, adapter, env.create_user("ada"))
    await chat.say("/start")
    path = f"/channels/{chat.external_id}/messages"
    env.inject_error("POST", path, status=429, code=0, message="You are being rate limited.")
    await adapter.send(chat.external_id, Reply(text="hello"))
    assert sleeps == [5.0]
    assert chat.channel.last_message is not None and chat.channel.last_message.content == "hello"

    env.inject_error("POST", path, status=429, code=0, message="You are being rate limited.", times=None)
    with pytest.raises(RateLimited) as raised:
        await adapter.send(chat.external_id, Reply(text="again"))
    assert raised.value.retry_after == 5.0
    assert sleeps == [5.0, 5.0, 5.0], "two more waits, then the delivery worker takes over"
    recipient = await services.chats.find(Platform.DISCORD, chat.external_id)
    assert recipient is not None and recipient.active, "a rate limit pauses no one"


async def test_stop_closes_the_client(adapter: DiscordAdapter) -> None:
    await adapter.stop()
    assert adapter.client.is_closed()


@contextmanager
def _api_refusing_every_token() -> Iterator[str]:
    """A stand-in for discord.com/api that answers 401 to everything, as for a reset token."""

    class Refuse(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"message": "401: Unauthorized", "code": 0}).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v10"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_refused_token_fails_the_start_clearly(
    settings: Settings, command_bot: CommandBot, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _api_refusing_every_token() as api:
        monkeypatch.setattr(discord.http.Route, "BASE", api)
        adapter = DiscordAdapter(discord_settings(settings), command_bot, services.chats)
        with pytest.raises(ConfigError, match="Discord refused PAPERBOT_DISCORD_TOKEN") as raised:
            await adapter.start()
    assert "simcord-token" not in str(raised.value)
    assert adapter.client.is_closed()
