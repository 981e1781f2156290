"""The tables. Changing one means a new Alembic revision in ``migrations/versions``."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from paperbot.domain import AnnounceType
from paperbot.store.types import JsonType, UTCDateTime

# Stable constraint names, so migrations can alter them on both backends.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JsonType,
        list[str]: JsonType,
    }


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    # Stored as the value strings, checked by a constraint, without a native PG enum type
    # (native enums need ALTER TYPE for every new member).
    return Enum(kind, name=name, native_enum=False, values_callable=lambda k: [m.value for m in k], length=20)


class PaperRow(Base):
    """One arXiv paper at its latest known version; ``arxiv_id`` carries no version."""

    __tablename__ = "papers"

    arxiv_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[str]]
    abstract: Mapped[str] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    journal_ref: Mapped[str | None] = mapped_column(Text)
    doi: Mapped[str | None] = mapped_column(String(255))
    primary_category: Mapped[str] = mapped_column(String(40), index=True)
    categories: Mapped[list[str]]
    first_announced: Mapped[date | None] = mapped_column(Date, index=True)
    submitted: Mapped[datetime | None]
    updated: Mapped[datetime | None]
    code_links: Mapped[list[str]]
    license: Mapped[str | None] = mapped_column(String(255))
    # False while fields only the query API has (comment, DOI, times) are missing.
    metadata_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    enrich_attempts: Mapped[int] = mapped_column(Integer, default=0)
    stored_at: Mapped[datetime]
    changed_at: Mapped[datetime]

    events: Mapped[list[AnnouncementRow]] = relationship(back_populates="paper", cascade="all, delete-orphan")


class AnnouncementRow(Base):
    """A version of a paper as announced: new, cross-listed, or a replacement.

    One row per (paper, version): the same version seen in several feeds, or fetched
    again, is the same announcement. ``announced_on`` is None for versions we only
    learned about from the query API (a backfill), which does not give the date.
    """

    __tablename__ = "announcements"
    __table_args__ = (UniqueConstraint("arxiv_id", "version", name="uq_announcements_arxiv_id_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    arxiv_id: Mapped[str] = mapped_column(ForeignKey("papers.arxiv_id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    announce_type: Mapped[AnnounceType] = mapped_column(_enum(AnnounceType, "announce_type"))
    announced_on: Mapped[date | None] = mapped_column(Date, index=True)
    source: Mapped[str] = mapped_column(String(80))
    seen_at: Mapped[datetime]

    paper: Mapped[PaperRow] = relationship(back_populates="events")


class Platform(enum.StrEnum):
    CONSOLE = "console"
    TELEGRAM = "telegram"
    DISCORD = "discord"


class RecipientKind(enum.StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    CHANNEL = "channel"


class DeliveryMode(enum.StrEnum):
    INSTANT = "instant"
    DIGEST = "digest"


class RecipientRow(Base):
    """A chat the bot sends to: a private chat, a group, or a channel, on one platform."""

    __tablename__ = "recipients"
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_recipients_platform_external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[Platform] = mapped_column(_enum(Platform, "platform"))
    external_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[RecipientKind] = mapped_column(_enum(RecipientKind, "recipient_kind"))
    title: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    delivery_mode: Mapped[DeliveryMode] = mapped_column(
        _enum(DeliveryMode, "delivery_mode"), default=DeliveryMode.DIGEST
    )
    digest_time: Mapped[time] = mapped_column(Time, default=time(8, 0))
    language: Mapped[str] = mapped_column(String(16), default="en")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # 0 = Monday ... 6 = Sunday for a weekly digest; None for a daily one.
    digest_weekday: Mapped[int | None] = mapped_column(Integer)
    # Instant messages that fall between these local times wait until the end.
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    revision_notices: Mapped[bool] = mapped_column(Boolean, default=True)
    # The last digest said the announcement was late: send its papers as soon as they come.
    digest_late: Mapped[bool] = mapped_column(Boolean, default=False)
    # /filter on: papers the chat's ratings model is confident it does not want are held back.
    filter_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the last digest (or the note that there was nothing) went out; None: never.
    last_digest_at: Mapped[datetime | None]
    # False after the platform said we may no longer write there (blocked, kicked, deleted).
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    subscriptions: Mapped[list[SubscriptionRow]] = relationship(
        back_populates="recipient", cascade="all, delete-orphan"
    )


class SubscriptionRow(Base):
    """A query a chat follows, as typed and in canonical form."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id", ondelete="CASCADE"), index=True)
    query: Mapped[str] = mapped_column(Text)
    canonical: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]

    recipient: Mapped[RecipientRow] = relationship(back_populates="subscriptions")


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


class DeliveryRow(Base):
    """One message owed to a recipient about a paper: the outbox.

    ``kind`` is ``paper`` for the paper itself (once per recipient, ever) or
    ``revision:vN`` for a notice about version N; the unique key makes queuing twice a no-op.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("recipient_id", "arxiv_id", "kind", name="uq_deliveries_recipient_paper_kind"),
        Index("ix_deliveries_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id", ondelete="CASCADE"))
    arxiv_id: Mapped[str] = mapped_column(ForeignKey("papers.arxiv_id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default="paper")
    subscription_ids: Mapped[list[str]]
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    queued_at: Mapped[datetime]
    due_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class SourceCursorRow(Base):
    """How far one source (a feed group, a backfill) has been read and stored.

    ``announced_on`` only moves after that day's batch is committed; a failed poll
    records its error and leaves it where it was.
    """

    __tablename__ = "source_cursors"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    announced_on: Mapped[date | None] = mapped_column(Date)
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_empty_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # For cursors over our own tables (the matcher's: the last announcement id dispatched).
    position: Mapped[int | None] = mapped_column(Integer)


class FeedbackRow(Base):
    """A 👍 (+1) or 👎 (-1) on a paper, per chat and per person: what ranking learns from."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("recipient_id", "arxiv_id", "user_id", name="uq_feedback_recipient_paper_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id", ondelete="CASCADE"), index=True)
    arxiv_id: Mapped[str] = mapped_column(ForeignKey("papers.arxiv_id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class SummaryRow(Base):
    """A summary of one paper version in one language, written once and sent to every chat.

    Only model-written summaries are stored: the offline ones cost less to recompute
    than to read back. A new version of the paper has a new abstract, so a new row.
    """

    __tablename__ = "summaries"
    __table_args__ = (
        UniqueConstraint("arxiv_id", "version", "language", name="uq_summaries_arxiv_id_version_language"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    arxiv_id: Mapped[str] = mapped_column(ForeignKey("papers.arxiv_id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    model: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class LlmUsageRow(Base):
    """Requests made to the language model on one UTC day, and how many failed.

    Kept in the database so that a restart does not hand out the day's budget again.
    """

    __tablename__ = "llm_usage"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class PaperVectorRow(Base):
    """A paper's embedding ("title. abstract") by one model, as little-endian float32 bytes.

    An ordinary binary column (BLOB on SQLite, bytea on PostgreSQL): pgvector is not in
    Debian 12, and search runs in the process anyway. A paper has at most one vector per
    model; ``version`` says which version's text it was made from, so a replacement with
    a new abstract is embedded again.
    """

    __tablename__ = "paper_vectors"

    arxiv_id: Mapped[str] = mapped_column(ForeignKey("papers.arxiv_id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class LibraryEntryRow(Base):
    """A paper in a chat's library (imported from BibTeX, Zotero, RIS or a list of ids)."""

    __tablename__ = "library_entries"
    __table_args__ = (UniqueConstraint("recipient_id", "arxiv_id", name="uq_library_entries_recipient_paper"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id", ondelete="CASCADE"), index=True)
    arxiv_id: Mapped[str] = mapped_column(ForeignKey("papers.arxiv_id", ondelete="CASCADE"))
    # Where it came from: "bibtex", "zotero-csv", "ris", "ids".
    source: Mapped[str] = mapped_column(String(20))
    added_at: Mapped[datetime]


class HeldPaperRow(Base):
    """A matched paper that /filter held back from a chat, with the model's score then.

    ``released_at`` is set when someone asked for it anyway (from /held); held papers
    are never queued for delivery unless released.
    """

    __tablename__ = "held_papers"
    __table_args__ = (UniqueConstraint("recipient_id", "arxiv_id", name="uq_held_papers_recipient_paper"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id", ondelete="CASCADE"), index=True)
    arxiv_id: Mapped[str] = mapped_column(ForeignKey("papers.arxiv_id", ondelete="CASCADE"))
    subscription_ids: Mapped[list[str]]
    score: Mapped[float] = mapped_column(Float)
    held_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
