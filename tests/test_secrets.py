"""A token never appears in a log line or an error message."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys

import pytest

from paperbot.config import Settings
from paperbot.logs import MASK, configure_logging

TELEGRAM = "123456789:AAH-secret-telegram-token_xyz"
DISCORD = "MTA5.discord.secret-token"
LLM = "sk-llm-secret-key-0123"
DB_PASSWORD = "hunter2-db-password"


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("PAPERBOT_TELEGRAM_TOKEN", TELEGRAM)
    monkeypatch.setenv("PAPERBOT_DISCORD_TOKEN", DISCORD)
    monkeypatch.setenv("PAPERBOT_LLM_API_KEY", LLM)
    monkeypatch.setenv("PAPERBOT_DATABASE_URL", f"postgresql://bot:{DB_PASSWORD}@db.invalid/paperbot")
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_settings_never_print_secrets(settings: Settings) -> None:
    shown = repr(settings) + str(settings)
    for secret in (TELEGRAM, DISCORD, LLM):
        assert secret not in shown
    assert settings.telegram_token is not None and settings.telegram_token.get_secret_value() == TELEGRAM


def test_log_lines_and_tracebacks_are_redacted(settings: Settings) -> None:
    stream = io.StringIO()
    configure_logging(settings, stream=stream)
    log = logging.getLogger("paperbot.test")
    log.warning("calling https://api.telegram.org/bot%s/getMe", TELEGRAM)
    try:
        raise RuntimeError(f"connect failed: postgresql://bot:{DB_PASSWORD}@db/paperbot with {DISCORD} and {LLM}")
    except RuntimeError:
        log.exception("database trouble")
    output = stream.getvalue()
    for secret in (TELEGRAM, DISCORD, LLM, DB_PASSWORD):
        assert secret not in output
    assert output.count(MASK) == 4, "the token in the URL and three secrets in the exception"
    assert "getMe" in output and "database trouble" in output


def test_error_messages_of_the_command_are_redacted(tmp_path: os.PathLike[str]) -> None:
    # An unreachable PostgreSQL whose URL holds a password: the error must not show it.
    env = {
        **os.environ,
        "PAPERBOT_DATABASE_URL": f"postgresql://bot:{DB_PASSWORD}@127.0.0.1:1/paperbot",
        "PAPERBOT_TELEGRAM_TOKEN": TELEGRAM,
    }
    result = subprocess.run(
        [sys.executable, "-m", "paperbot.cli", "paper", "2504.17830", "--offline"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 1
    assert "could not migrate the database at postgresql+asyncpg://bot:***@127.0.0.1:1/paperbot" in result.stderr
    assert DB_PASSWORD not in result.stderr + result.stdout
    assert TELEGRAM not in result.stderr + result.stdout
