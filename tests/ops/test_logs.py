"""Log lines: one per event, with its context, as text or JSON, and never a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Literal

import pytest
from pydantic import SecretStr

from paperbot.config import Settings
from paperbot.logs import MASK, configure_logging

TELEGRAM = "123456789:AAH-secret-telegram-token_xyz"
DISCORD = "MTA5.discord.secret-token"
LLM = "sk-llm-secret-key-0123"
# JSON escapes the quote and the backslash: the escaped form must not slip past the mask.
DB_PASSWORD = 'hunter2"quote\\slash'
DB_URL = "postgresql://bot:hunter2%22quote%5Cslash@db.invalid/paperbot"
SECRETS = (TELEGRAM, DISCORD, LLM, DB_PASSWORD)

log = logging.getLogger("paperbot.test.ops")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """configure_logging rewires the root logger; give the next test the one it had."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {
        name: logging.getLogger(name).level
        for name in ("arxiv", "urllib3", "httpx", "alembic.runtime.migration", "aiosqlite")
    }
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, was in quiet.items():
        logging.getLogger(name).setLevel(was)


def configured(log_format: Literal["text", "json"]) -> io.StringIO:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        log_format=log_format,
        log_level="DEBUG",
        telegram_token=SecretStr(TELEGRAM),
        discord_token=SecretStr(DISCORD),
        llm_api_key=SecretStr(LLM),
        database_url=DB_URL,
    )
    stream = io.StringIO()
    configure_logging(settings, stream=stream)
    return stream


def emit_everything() -> None:
    """The events a run produces, secrets in every place they can hide."""
    log.info("poll done", extra={"source": "feed:cs+math"})
    log.info(
        "sent to chat via https://api.telegram.org/bot%s/sendMessage",
        TELEGRAM,
        extra={"chat": 4242, "paper": "2504.17830v1", "platform": "telegram"},
    )
    try:
        raise ConnectionError(f"login failed with {DISCORD} / {LLM} at postgresql://bot:{DB_PASSWORD}@db/paperbot")
    except ConnectionError:
        log.exception("send failed", extra={"chat": -100123, "paper": "2504.17830v1", "platform": "discord"})


def assert_no_secret(output: str) -> None:
    for secret in SECRETS:
        assert secret not in output
    assert json.dumps(DB_PASSWORD)[1:-1] not in output, "nor the password as JSON escapes it"
    assert "hunter2" not in output
    assert MASK in output


def test_json_lines_parse_and_carry_their_context() -> None:
    stream = configured("json")
    emit_everything()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3, "one line per event, the traceback included"
    entries: list[dict[str, Any]] = [json.loads(line) for line in lines]

    poll, sent, failed = entries
    assert poll["message"] == "poll done"
    assert poll["level"] == "INFO"
    assert poll["logger"] == "paperbot.test.ops"
    assert poll["source"] == "feed:cs+math"
    assert "chat" not in poll and "paper" not in poll and "error" not in poll
    assert poll["time"].endswith("Z")
    moment = datetime.fromisoformat(poll["time"])
    assert moment.tzinfo is not None and moment.utcoffset() == UTC.utcoffset(None)
    assert abs((datetime.now(UTC) - moment).total_seconds()) < 60

    assert sent["chat"] == 4242, "numbers stay numbers, for queries on them"
    assert sent["paper"] == "2504.17830v1"
    assert sent["platform"] == "telegram"
    assert sent["message"] == f"sent to chat via https://api.telegram.org/bot{MASK}/sendMessage"

    assert failed["level"] == "ERROR"
    assert failed["chat"] == -100123
    assert failed["error"].startswith("Traceback (most recent call last):")
    assert "ConnectionError: login failed with" in failed["error"]


def test_json_lines_hold_no_secret_even_in_tracebacks() -> None:
    stream = configured("json")
    emit_everything()
    output = stream.getvalue()
    assert_no_secret(output)
    error = json.loads(output.splitlines()[-1])["error"]
    assert f"login failed with {MASK} / {MASK} at postgresql://bot:{MASK}@db/paperbot" in error


def test_text_lines_show_the_context_after_the_message() -> None:
    stream = configured("text")
    log.info("poll done", extra={"source": "feed:cs+math"})
    log.info("sent", extra={"chat": 4242, "paper": "2504.17830v1", "platform": "telegram"})
    log.info("odd values", extra={"source": "file:my feed.xml", "chat": None})
    log.info("no context")
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("INFO    paperbot.test.ops: poll done [source=feed:cs+math]")
    assert lines[1].endswith("sent [chat=4242 paper=2504.17830v1 platform=telegram]")
    assert lines[2].endswith('odd values [source="file:my feed.xml"]'), "quoted when it has a space; None left out"
    assert lines[3].endswith("paperbot.test.ops: no context")


def test_text_lines_hold_no_secret_even_in_tracebacks() -> None:
    stream = configured("text")
    emit_everything()
    output = stream.getvalue()
    assert_no_secret(output)
    assert "send failed [chat=-100123 paper=2504.17830v1 platform=discord]\nTraceback" in output
    assert f"login failed with {MASK} / {MASK} at postgresql://bot:{MASK}@db/paperbot" in output


def test_a_secret_passed_as_context_is_masked_too() -> None:
    formats: tuple[Literal["text", "json"], ...] = ("text", "json")
    for log_format in formats:
        stream = configured(log_format)
        log.warning("odd", extra={"source": f"https://api.telegram.org/bot{TELEGRAM}/getUpdates"})
        output = stream.getvalue()
        assert TELEGRAM not in output
        assert f"bot{MASK}/getUpdates" in output


def test_the_format_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERBOT_LOG_FORMAT", "json")
    assert Settings(_env_file=None).log_format == "json"  # type: ignore[call-arg]
    monkeypatch.setenv("PAPERBOT_LOG_FORMAT", "yaml")
    with pytest.raises(ValueError, match="log_format"):
        Settings(_env_file=None)  # type: ignore[call-arg]
