"""Logging set-up: one line per event, and no secret ever printed.

Secrets can reach a log line by routes no call site controls: python-telegram-bot puts
the token in its request URLs, an exception may quote a database URL with its password.
So the redaction sits in the formatter, on the finished line, exception text included.

Context (which chat, paper, source, platform an event is about) is passed as
``extra={"chat": ..., "paper": ...}``: text lines end with ``[chat=… paper=…]``, and
JSON lines (``PAPERBOT_LOG_FORMAT=json``, for log collectors) carry them as fields that
can be searched on without parsing the message.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from paperbot.config import Settings

MASK = "**********"
# The ``extra=`` keys shown with a log line, in this order.
CONTEXT_FIELDS = ("chat", "paper", "source", "platform")


class Redactor:
    """Replaces each known secret by a mask; the longest first, so no fragment survives."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


def settings_secrets(settings: Settings) -> list[str]:
    """Tokens and keys, plus the database password if the URL carries one."""
    secrets = settings.secret_values()
    try:
        password = make_url(settings.database_url).password
    except ArgumentError:
        password = None
    if password:
        secrets.append(str(password))
    return secrets


def _context(record: logging.LogRecord) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in CONTEXT_FIELDS:
        value = getattr(record, name, None)
        if value is not None:
            found[name] = value if isinstance(value, str | int | float | bool) else str(value)
    return found


def _shown(value: Any) -> str:
    shown = str(value)
    # Quoted only when needed, so the usual chat=12345 paper=2504.17830v1 stay plain to read and to grep.
    if not shown or any(c.isspace() or c in '"=[]' for c in shown):
        return json.dumps(shown, ensure_ascii=False)
    return shown


class RedactingFormatter(logging.Formatter):
    """Human-readable lines for a terminal, with the event's context after the message."""

    def __init__(self, redactor: Redactor, fmt: str, datefmt: str | None = None) -> None:
        super().__init__(fmt, datefmt)
        self._redact = redactor

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        context = _context(record)
        if context:
            line += " [" + " ".join(f"{name}={_shown(value)}" for name, value in context.items()) + "]"
        return line

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors; secrets redacted like the text lines.

    Each string is redacted before encoding as well as the finished line after: JSON
    escapes a ``"`` or ``\\`` inside a secret (a database password may hold one), and the
    escaped form would no longer match the secret on the finished line.
    """

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redact = redactor

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_context(record))
        if record.exc_info and not record.exc_text:
            # Cached like logging.Formatter does, so a second handler does not format it again.
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["error"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        entry = {name: self._redact(value) if isinstance(value, str) else value for name, value in entry.items()}
        return self._redact(json.dumps(entry, ensure_ascii=False, default=str))


def configure_logging(settings: Settings, *, stream: object = None) -> Redactor:
    """Install one stderr handler on the root logger; return the redactor for other output."""
    redactor = Redactor(settings_secrets(settings))
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    formatter: logging.Formatter
    if settings.log_format == "json":
        formatter = JsonFormatter(redactor)
    else:
        formatter = RedactingFormatter(
            redactor, "%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S"
        )
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # Their INFO lines repeat ours (each request, each page), aiosqlite's DEBUG lines are
    # two per SQL call and would bury ours at DEBUG; keep their warnings.
    for noisy in ("arxiv", "urllib3", "httpx", "alembic.runtime.migration", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return redactor
