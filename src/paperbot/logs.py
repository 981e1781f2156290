"""Logging set-up: one line per event, and no secret ever printed.

Secrets can reach a log line by routes no call site controls: python-telegram-bot puts
the token in its request URLs, an exception may quote a database URL with its password.
So the redaction sits in the formatter, on the finished line, exception text included.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from paperbot.config import Settings

MASK = "**********"


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


class RedactingFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor, fmt: str, datefmt: str | None = None) -> None:
        super().__init__(fmt, datefmt)
        self._redact = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


def configure_logging(settings: Settings, *, stream: object = None) -> Redactor:
    """Install one stderr handler on the root logger; return the redactor for other output."""
    redactor = Redactor(settings_secrets(settings))
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(
        RedactingFormatter(redactor, "%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # Their INFO lines repeat ours (each request, each page); keep their warnings.
    for noisy in ("arxiv", "urllib3", "httpx", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return redactor
