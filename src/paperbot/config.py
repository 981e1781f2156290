"""Settings, read once at start from the environment and ``.env`` and passed down.

Every setting is ``PAPERBOT_<NAME>``; ``.env.example`` documents each one. Secrets are
``SecretStr`` so that printing the settings, or an error that holds them, shows
``**********`` instead of the token.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_ARXIV_API_URL = "https://export.arxiv.org/api/query"
DEFAULT_ARXIV_FEED_URL = "https://rss.arxiv.org/rss/"


def default_database_url() -> str:
    """SQLite in the user's data directory (``~/.local/share/paperbot`` on Linux)."""
    data_dir = Path(platformdirs.user_data_dir("paperbot", appauthor=False))
    return f"sqlite+aiosqlite:///{data_dir / 'paperbot.db'}"


def async_database_url(url: str) -> str:
    """Pick the async driver for the URLs operators usually write.

    ``postgresql://`` and ``postgres://`` (what compose files and hosting panels hand
    out) become ``postgresql+asyncpg://``; ``sqlite://`` becomes ``sqlite+aiosqlite://``.
    A URL that already names a driver is kept as it is.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+asyncpg://{rest}"
    if scheme == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    return url


class Settings(BaseSettings):
    """All of paperbot's configuration. Build it once (``Settings()``) and pass it on."""

    model_config = SettingsConfigDict(
        env_prefix="PAPERBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    database_url: str = Field(default_factory=default_database_url)

    arxiv_api_url: str = DEFAULT_ARXIV_API_URL
    arxiv_feed_url: str = DEFAULT_ARXIV_FEED_URL
    arxiv_archives: Annotated[tuple[str, ...], NoDecode] = ()
    arxiv_request_interval: float = Field(default=3.0, ge=0)
    arxiv_timeout: float = Field(default=30.0, gt=0)
    arxiv_max_attempts: int = Field(default=6, ge=1)
    arxiv_backoff_base: float = Field(default=5.0, ge=0)
    arxiv_backoff_max: float = Field(default=300.0, ge=0)
    arxiv_feed_max_items: int = Field(default=2000, ge=1)
    arxiv_backfill_days: int = Field(default=4, ge=1)
    arxiv_enrich_batch: int = Field(default=100, ge=1, le=2000)
    arxiv_holidays: Annotated[tuple[date, ...], NoDecode] = ()

    poll_interval: float = Field(default=1800.0, gt=0)

    operators: Annotated[tuple[str, ...], NoDecode] = ()
    subscription_quota: int = Field(default=50, ge=1)
    command_rate_limit: int = Field(default=20, ge=1)
    preview_days: int = Field(default=7, ge=1)
    more_like_this_days: int = Field(default=90, ge=1)
    library_threshold: float = Field(default=0.5, ge=-1, le=1)
    library_top: int = Field(default=3, ge=0)
    filter_threshold: float = Field(default=0.2, ge=0, le=1)

    digest_top: int = Field(default=10, ge=1)
    delivery_interval: float = Field(default=5.0, gt=0)
    delivery_max_attempts: int = Field(default=5, ge=1)
    delivery_backoff: float = Field(default=30.0, ge=0)
    delivery_lease: float = Field(default=120.0, gt=0)
    delivery_concurrency: int = Field(default=8, ge=1)
    telegram_rate_global: float = Field(default=30.0, gt=0)
    telegram_rate_chat: float = Field(default=1.0, gt=0)
    telegram_rate_group_per_minute: float = Field(default=20.0, gt=0)
    discord_rate_global: float = Field(default=50.0, gt=0)
    discord_rate_channel_per_5s: float = Field(default=5.0, gt=0)

    telegram_token: SecretStr | None = None
    telegram_api_url: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = Field(default=8443, ge=1, le=65535)
    discord_token: SecretStr | None = None
    discord_dev_guild_id: int | None = None
    discord_shard_count: int = Field(default=1, ge=1)

    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_language: str = "en"
    llm_timeout: float = Field(default=30.0, gt=0)
    llm_concurrency: int = Field(default=4, ge=1)
    llm_daily_budget: int = Field(default=500, ge=0)
    llm_max_tokens: int = Field(default=200, ge=16)

    embedding_model: Literal["auto", "minilm", "tfidf"] = "auto"
    embedding_threads: int = Field(default=2, ge=1)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    http_port: int | None = Field(default=None, ge=0, le=65535)
    http_host: str = "127.0.0.1"
    health_max_poll_age: float = Field(default=6 * 3600.0, gt=0)

    @field_validator("arxiv_archives", "operators", "arxiv_holidays", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        """Lists in the environment are comma- or space-separated (archives also take ``cs+math``)."""
        if isinstance(value, str):
            parts = value.replace("+", ",").replace(" ", ",").split(",")
            return tuple(part.strip() for part in parts if part.strip())
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def async_database_url(self) -> str:
        return async_database_url(self.database_url)

    def secret_values(self) -> list[str]:
        """Every configured secret, for the log filter that keeps them out of logs."""
        secrets = (self.telegram_token, self.telegram_webhook_secret, self.discord_token, self.llm_api_key)
        return [s.get_secret_value() for s in secrets if s is not None and s.get_secret_value()]
