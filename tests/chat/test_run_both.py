"""``paperbot run`` with both tokens: Telegram and Discord come up, answer, and stop cleanly on SIGTERM.

The run goes through ``paperbot.cli.main``, the console script's own function, in this
process: simcord serves Discord by attaching to the client object itself, which only
works in the process that owns it. Telegram is FakeTelegram over real HTTP, arXiv the
fake arXiv server, the database SQLite in ``tmp_path``; every setting comes from the
environment, as for an operator.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sqlite3
import threading
import warnings
from collections.abc import Awaitable, Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import discord
import pytest
import simcord

from paperbot.chat.discord import DiscordAdapter
from paperbot.chat.telegram import TelegramAdapter
from paperbot.cli import main
from paperbot.clock import SystemClock
from paperbot.store.chats import ChatStore
from paperbot.store.db import create_engine, session_factory
from paperbot.store.models import Platform
from tests.chat.frontends import PRIVATE_CHAT, DiscordFrontend, TelegramFrontend
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.telegram_server import FakeTelegram

STOP_WITHIN = 15.0  # seconds from SIGTERM to the end of the run before the test gives up on it
UP_WITHIN = 10.0

Scenario = Callable[[simcord.Env], Awaitable[None]]


class SimcordDiscord:
    """Discord for the one ``discord.Client`` that logs in during the test, served by simcord.

    simcord attaches to a client object (``simcord.Env(client)``), delivers READY and every
    later event itself, and never opens a gateway websocket. ``paperbot run`` builds its
    client inside ``cmd_run``, so discord.py's network entry points are replaced instead:
    ``login`` attaches simcord (whose own login runs ``setup_hook``, the command sync),
    ``connect`` is the gateway session, open until ``close`` ends it. DiscordAdapter's
    ``start`` and ``stop`` run unchanged on top of them.

    ``scenario`` is played once the session is open; whatever it does or raises, SIGTERM
    follows, and a run still going ``STOP_WITHIN`` seconds later is cancelled (``stuck``).
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, scenario: Scenario) -> None:
        self.env: simcord.Env | None = None
        self.tokens: list[str] = []
        self.played: asyncio.Task[None] | None = None
        self.stuck = False
        # An error here would be swallowed: DiscordAdapter.stop logs a failed gateway at DEBUG.
        self.errors: list[BaseException] = []
        self._scenario = scenario
        self._closed: asyncio.Event | None = None
        real_login = discord.Client.login
        real_close = discord.Client.close

        async def login(client: discord.Client, token: str) -> None:
            if self.env is not None:
                await real_login(client, token)  # simcord's own login, from Env.start
                return
            self.tokens.append(token)
            self.env = simcord.Env(client)
            await self.env.start()

        async def connect(client: discord.Client, *, reconnect: bool = True) -> None:
            env = self.env
            assert env is not None, "connect before login"
            self._closed = asyncio.Event()
            self.played = asyncio.create_task(self._play(env), name="scenario")
            try:
                await self._closed.wait()
            finally:
                # simcord's loop hooks and clock come off with the session, also when the run
                # crashed and asyncio.run cancelled this task instead of close() ending it.
                try:
                    await env.shutdown()
                except BaseException as err:
                    self.errors.append(err)
                    raise

        async def close(client: discord.Client) -> None:
            await real_close(client)
            if self._closed is not None:
                self._closed.set()

        monkeypatch.setattr(discord.Client, "login", login)
        monkeypatch.setattr(discord.Client, "connect", connect)
        monkeypatch.setattr(discord.Client, "close", close)

    async def _play(self, env: simcord.Env) -> None:
        try:
            await self._scenario(env)
        finally:
            if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, signal.SIG_IGN, None):
                # Sent now, it would end the test process, not the run.
                self.errors.append(AssertionError("paperbot run installed no SIGTERM handler"))
                self._give_up()
            else:
                os.kill(os.getpid(), signal.SIGTERM)
                asyncio.get_running_loop().call_later(STOP_WITHIN, self._give_up)

    def _give_up(self) -> None:
        # Only reached while the run is still going: its loop closes when it returns.
        self.stuck = True
        for task in asyncio.all_tasks():
            task.cancel()


@dataclass
class Seen:
    """What the people in the scenario saw while the bot ran."""

    synced: set[str] = field(default_factory=set)  # the slash commands Discord offers
    telegram: str = ""
    discord: str = ""
    discord_chat: str = ""


class StartedAdapters:
    """The adapters ``cmd_run`` builds (it keeps them to itself), recorded as they start."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.telegram: list[TelegramAdapter] = []
        self.discord: list[DiscordAdapter] = []
        real_telegram, real_discord = TelegramAdapter.start, DiscordAdapter.start

        async def start_telegram(adapter: TelegramAdapter) -> None:
            self.telegram.append(adapter)
            await real_telegram(adapter)

        async def start_discord(adapter: DiscordAdapter) -> None:
            self.discord.append(adapter)
            await real_discord(adapter)

        monkeypatch.setattr(TelegramAdapter, "start", start_telegram)
        monkeypatch.setattr(DiscordAdapter, "start", start_discord)


@pytest.fixture
def root_logging() -> Iterator[None]:
    """main() replaces the root logger's handlers (pytest's too) and sets levels: undo that after."""
    root = logging.getLogger()
    handlers, root_level = list(root.handlers), root.level
    levels = {
        name: lg.level for name, lg in logging.Logger.manager.loggerDict.items() if isinstance(lg, logging.Logger)
    }
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler not in handlers:
            handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(root_level)
    for name, lg in logging.Logger.manager.loggerDict.items():
        if isinstance(lg, logging.Logger):
            lg.setLevel(levels.get(name, logging.NOTSET))


@pytest.fixture
def operator_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_arxiv: FakeArxiv, fake_telegram: FakeTelegram
) -> Path:
    """Both tokens and the fakes in the environment, nothing from the developer's; the database path."""
    for name in list(os.environ):
        if name.startswith("PAPERBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env of the working directory
    database = tmp_path / "paperbot.db"
    for name, value in {
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "ARXIV_API_URL": fake_arxiv.api_url,
        "ARXIV_FEED_URL": fake_arxiv.feed_url,
        "ARXIV_REQUEST_INTERVAL": "0",
        "ARXIV_MAX_ATTEMPTS": "1",
        "TELEGRAM_TOKEN": fake_telegram.token,
        "TELEGRAM_API_URL": fake_telegram.base_url,
        "DISCORD_TOKEN": "discord-token-for-the-test",
    }.items():
        monkeypatch.setenv(f"PAPERBOT_{name}", value)
    return database


async def _subscriptions(database: Path, platform: Platform, external_id: str) -> list[str]:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        chats = ChatStore(session_factory(engine), SystemClock())
        recipient = await chats.find(platform, external_id)
        assert recipient is not None, f"no {platform.value} chat {external_id}"
        return [s.canonical for s in await chats.subscriptions(recipient.id)]
    finally:
        await engine.dispose()


def _ended(threads: set[threading.Thread]) -> bool:
    """Whether every thread started since ``threads`` was taken has ended (waiting up to 5 s)."""
    for thread in set(threading.enumerate()) - threads:
        thread.join(timeout=5)
    return set(threading.enumerate()) <= threads


async def _polling(fake_telegram: FakeTelegram) -> None:
    await fake_telegram.wait_until(
        lambda: any(r.method == "getUpdates" for r in fake_telegram.requests), within=UP_WITHIN, what="polling"
    )


def _run() -> int | None:
    """``paperbot run`` as the console script runs it; None when the watchdog had to cancel it."""
    try:
        return main(["run"])
    except asyncio.CancelledError:
        return None


def test_run_serves_telegram_and_discord_then_stops_both_on_sigterm(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    root_logging: None,
    operator_env: Path,
    fake_telegram: FakeTelegram,
) -> None:
    adapters = StartedAdapters(monkeypatch)
    seen = Seen()

    async def scenario(env: simcord.Env) -> None:
        # Discord is connected; Telegram started first and must be polling by now.
        await _polling(fake_telegram)
        (telegram,) = adapters.telegram
        (discord_adapter,) = adapters.discord
        await asyncio.wait_for(discord_adapter.client.wait_until_ready(), UP_WITHIN)
        ada = env.create_user("ada")
        seen.synced = set(ada.available_commands())
        seen.telegram = (await TelegramFrontend(fake_telegram, telegram).say("/subscribe qubit")).text
        discord_chat = DiscordFrontend(env, discord_adapter, ada)
        seen.discord = (await discord_chat.say('/subscribe "sparse autoencoder"')).text
        seen.discord_chat = discord_chat.external_id

    fake_discord = SimcordDiscord(monkeypatch, scenario)
    threads = set(threading.enumerate())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = _run()
        gc.collect()  # an abandoned task or session complains when it is collected

    assert fake_discord.errors == []
    assert not fake_discord.stuck and code is not None, f"paperbot run did not stop within {STOP_WITHIN} s of SIGTERM"
    assert fake_discord.played is not None and fake_discord.played.done()
    fake_discord.played.result()  # the scenario's own failure, if any
    assert fake_discord.env is not None
    fake_discord.env.raise_errors()  # what the bot raised in Discord handlers
    log = capsys.readouterr().err

    # Both came up: the Telegram menu and long polling, Discord's login with our token and the global sync.
    assert {"setMyCommands", "getUpdates"} <= {r.method for r in fake_telegram.requests}
    assert fake_discord.tokens == ["discord-token-for-the-test"]
    assert {"subscribe", "help"} <= seen.synced
    assert "telegram: long polling as @paperbot_test_bot" in log
    assert "discord: connected as" in log
    # One command answered through each platform.
    assert "Subscribed (#1): qubit" in seen.telegram
    assert 'Subscribed (#2): "sparse autoencoder"' in seen.discord

    # SIGTERM, through cmd_run's handler, ended the run: exit code 0, both adapters stopped.
    assert code == 0
    assert log.index("paperbot: stopping") < log.index("paperbot: stopped")
    (telegram,) = adapters.telegram
    assert not telegram.application.running
    assert telegram.application.updater is not None and not telegram.application.updater.running
    (discord_adapter,) = adapters.discord
    assert discord_adapter.client.is_closed()
    # Nothing was left behind: no pending task, no open session or socket, no thread.
    problems = [line for line in log.splitlines() if " WARNING " in line or " ERROR " in line]
    assert problems == [], log
    assert "Task was destroyed" not in log and "Unclosed" not in log
    assert [str(w.message) for w in caught if issubclass(w.category, (ResourceWarning, RuntimeWarning))] == []
    assert _ended(threads), [t.name for t in set(threading.enumerate()) - threads]

    # The database is intact and holds what each platform subscribed.
    with closing(sqlite3.connect(operator_env)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert asyncio.run(_subscriptions(operator_env, Platform.TELEGRAM, str(PRIVATE_CHAT))) == ["qubit"]
    discord_subscriptions = asyncio.run(_subscriptions(operator_env, Platform.DISCORD, seen.discord_chat))
    assert discord_subscriptions == ['"sparse autoencoder"']


def test_one_adapter_failing_to_stop_does_not_keep_the_other_running(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    root_logging: None,
    operator_env: Path,
    fake_telegram: FakeTelegram,
) -> None:
    adapters = StartedAdapters(monkeypatch)
    real_stop = DiscordAdapter.stop

    async def failing_stop(adapter: DiscordAdapter) -> None:
        await real_stop(adapter)
        raise RuntimeError("discord shut down badly")

    monkeypatch.setattr(DiscordAdapter, "stop", failing_stop)

    async def scenario(env: simcord.Env) -> None:
        await _polling(fake_telegram)

    fake_discord = SimcordDiscord(monkeypatch, scenario)
    code = _run()
    assert not fake_discord.stuck and code is not None
    log = capsys.readouterr().err
    # Discord stops first (the reverse of starting); its failure is reported, Telegram still stops.
    assert code == 1
    assert "stopping DiscordAdapter failed" in log and "discord shut down badly" in log
    assert "stopped, 1 adapter(s) not cleanly" in log
    (telegram,) = adapters.telegram
    assert not telegram.application.running
