"""Chats (recipients) and their subscriptions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from paperbot.clock import Clock
from paperbot.store.models import (
    DeliveryMode,
    Platform,
    RecipientKind,
    RecipientRow,
    SubscriptionRow,
)


@dataclass(frozen=True, slots=True)
class Recipient:
    """A chat as the rest of paperbot sees it (no ORM object escapes the store)."""

    id: int
    platform: Platform
    external_id: str
    kind: RecipientKind
    title: str | None
    timezone: str
    delivery_mode: DeliveryMode
    digest_time: time
    language: str
    paused: bool
    active: bool
    inactive_reason: str | None
    created_at: datetime
    digest_weekday: int | None = None
    quiet_start: time | None = None
    quiet_end: time | None = None
    revision_notices: bool = True
    last_digest_at: datetime | None = None
    digest_late: bool = False


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    recipient_id: int
    query: str
    canonical: str
    created_by: str | None
    active: bool
    created_at: datetime


IN_CHUNK = 10_000  # ids per IN (...) list


class Unset:
    """Marks an argument that was not given, where None means "clear it"."""


UNSET = Unset()


def _recipient(row: RecipientRow) -> Recipient:
    return Recipient(
        id=row.id,
        platform=row.platform,
        external_id=row.external_id,
        kind=row.kind,
        title=row.title,
        timezone=row.timezone,
        delivery_mode=row.delivery_mode,
        digest_time=row.digest_time,
        language=row.language,
        paused=row.paused,
        active=row.active,
        inactive_reason=row.inactive_reason,
        created_at=row.created_at,
        digest_weekday=row.digest_weekday,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        revision_notices=row.revision_notices,
        last_digest_at=row.last_digest_at,
        digest_late=row.digest_late,
    )


def _subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(
        id=row.id,
        recipient_id=row.recipient_id,
        query=row.query,
        canonical=row.canonical,
        created_by=row.created_by,
        active=row.active,
        created_at=row.created_at,
    )


class ChatStore:
    """Recipients and subscriptions; every method is one short transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def _row(self, session: AsyncSession, platform: Platform, external_id: str) -> RecipientRow | None:
        query = select(RecipientRow).where(RecipientRow.platform == platform, RecipientRow.external_id == external_id)
        return (await session.scalars(query)).one_or_none()

    async def find(self, platform: Platform, external_id: str) -> Recipient | None:
        async with self._sessions() as session:
            row = await self._row(session, platform, external_id)
            return _recipient(row) if row is not None else None

    async def get(self, recipient_id: int) -> Recipient | None:
        async with self._sessions() as session:
            row = await session.get(RecipientRow, recipient_id)
            return _recipient(row) if row is not None else None

    async def ensure(
        self, platform: Platform, external_id: str, kind: RecipientKind, title: str | None = None
    ) -> Recipient:
        """The chat's row, created on first contact; a chat that writes again is active again."""
        for _ in range(2):
            try:
                async with self._sessions.begin() as session:
                    row = await self._row(session, platform, external_id)
                    if row is None:
                        row = RecipientRow(
                            platform=platform,
                            external_id=external_id,
                            kind=kind,
                            title=title,
                            timezone="UTC",
                            delivery_mode=DeliveryMode.DIGEST,
                            digest_time=time(8, 0),
                            language="en",
                            paused=False,
                            revision_notices=True,
                            digest_late=False,
                            active=True,
                            created_at=self._clock.now(),
                        )
                        session.add(row)
                        await session.flush()
                    else:
                        if title and row.title != title:
                            row.title = title
                        if not row.active:
                            row.active = True
                            row.inactive_reason = None
                    return _recipient(row)
            except IntegrityError:
                continue  # created by a concurrent first message; read it on the second pass
        raise AssertionError("unreachable: the second pass finds the row")

    async def update_settings(
        self,
        recipient_id: int,
        *,
        delivery_mode: DeliveryMode | None = None,
        digest_time: time | None = None,
        timezone: str | None = None,
        language: str | None = None,
        paused: bool | None = None,
        digest_weekday: int | Unset | None = UNSET,
        quiet_hours: tuple[time, time] | Unset | None = UNSET,
        revision_notices: bool | None = None,
    ) -> Recipient:
        async with self._sessions.begin() as session:
            row = await session.get(RecipientRow, recipient_id)
            if row is None:
                raise LookupError(f"no recipient {recipient_id}")
            if delivery_mode is not None:
                row.delivery_mode = delivery_mode
            if digest_time is not None:
                row.digest_time = digest_time
            if timezone is not None:
                row.timezone = timezone
            if language is not None:
                row.language = language
            if paused is not None:
                row.paused = paused
            if not isinstance(digest_weekday, Unset):
                row.digest_weekday = digest_weekday
            if not isinstance(quiet_hours, Unset):
                row.quiet_start, row.quiet_end = quiet_hours if quiet_hours else (None, None)
            if revision_notices is not None:
                row.revision_notices = revision_notices
            return _recipient(row)

    async def record_digest(self, recipient_id: int, when: datetime, *, late: bool = False) -> None:
        """The chat got its digest (or the note that there was nothing) at ``when``."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(RecipientRow)
                .where(RecipientRow.id == recipient_id)
                .values(last_digest_at=when, digest_late=late)
            )

    async def deactivate(self, recipient_id: int, reason: str) -> None:
        """The platform told us we may not write there (blocked, kicked, deleted chat)."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(RecipientRow)
                .where(RecipientRow.id == recipient_id)
                .values(active=False, inactive_reason=reason[:500])
            )

    async def migrate_external_id(self, platform: Platform, old_id: str, new_id: str) -> Recipient | None:
        """A Telegram group became a supergroup: same chat, new id, subscriptions kept."""
        async with self._sessions.begin() as session:
            row = await self._row(session, platform, old_id)
            if row is None:
                return None
            existing = await self._row(session, platform, new_id)
            if existing is not None:
                # The new id wrote to us first: move the subscriptions over, drop the old row.
                await session.execute(
                    update(SubscriptionRow)
                    .where(SubscriptionRow.recipient_id == row.id)
                    .values(recipient_id=existing.id)
                )
                await session.delete(row)
                return _recipient(existing)
            row.external_id = new_id
            row.kind = RecipientKind.GROUP
            return _recipient(row)

    async def forget(self, recipient_id: int) -> bool:
        """Delete the chat and everything hanging off it (subscriptions, deliveries, feedback)."""
        async with self._sessions.begin() as session:
            result = await session.execute(delete(RecipientRow).where(RecipientRow.id == recipient_id))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    # -- subscriptions -------------------------------------------------------------------

    async def subscriptions(self, recipient_id: int) -> list[Subscription]:
        query = (
            select(SubscriptionRow)
            .where(SubscriptionRow.recipient_id == recipient_id, SubscriptionRow.active.is_(True))
            .order_by(SubscriptionRow.id)
        )
        async with self._sessions() as session:
            return [_subscription(row) for row in await session.scalars(query)]

    async def count_subscriptions(self, recipient_id: int) -> int:
        query = select(func.count()).where(
            SubscriptionRow.recipient_id == recipient_id, SubscriptionRow.active.is_(True)
        )
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)

    async def add_subscription(
        self, recipient_id: int, query: str, canonical: str, created_by: str | None, *, quota: int
    ) -> Subscription | None:
        """Store a subscription; None when the chat is at its quota.

        The same canonical query twice returns the existing subscription instead of a copy.
        """
        async with self._sessions.begin() as session:
            active = (
                await session.scalars(
                    select(SubscriptionRow).where(
                        SubscriptionRow.recipient_id == recipient_id, SubscriptionRow.active.is_(True)
                    )
                )
            ).all()
            for row in active:
                if row.canonical == canonical:
                    return _subscription(row)
            if len(active) >= quota:
                return None
            row = SubscriptionRow(
                recipient_id=recipient_id,
                query=query,
                canonical=canonical,
                created_by=created_by,
                active=True,
                created_at=self._clock.now(),
            )
            session.add(row)
            await session.flush()
            return _subscription(row)

    async def replace_query(
        self, recipient_id: int, subscription_id: int, query: str, canonical: str
    ) -> Subscription | None:
        """Change what one of this chat's subscriptions follows, keeping its number; None
        if it is not the chat's. The caller checks the chat does not follow ``canonical`` already."""
        async with self._sessions.begin() as session:
            row = await session.get(SubscriptionRow, subscription_id)
            if row is None or row.recipient_id != recipient_id or not row.active:
                return None
            row.query = query
            row.canonical = canonical
            await session.flush()
            return _subscription(row)

    async def remove_subscription(self, recipient_id: int, subscription_id: int) -> Subscription | None:
        """Remove one of this chat's subscriptions; None if it is not the chat's."""
        async with self._sessions.begin() as session:
            row = await session.get(SubscriptionRow, subscription_id)
            if row is None or row.recipient_id != recipient_id or not row.active:
                return None
            gone = _subscription(row)
            await session.delete(row)
            return gone

    async def all_active_subscriptions(self) -> list[tuple[Subscription, Recipient]]:
        """Every subscription of every chat that can receive: what the matcher indexes."""
        query = (
            select(SubscriptionRow, RecipientRow)
            .join(RecipientRow, SubscriptionRow.recipient_id == RecipientRow.id)
            .where(SubscriptionRow.active.is_(True))
            .order_by(SubscriptionRow.id)
        )
        async with self._sessions() as session:
            return [(_subscription(s), _recipient(r)) for s, r in (await session.execute(query)).all()]

    async def platform_counts(self) -> dict[str, tuple[int, int, int]]:
        """Per platform: (active chats, inactive chats, active subscriptions)."""
        chats = select(RecipientRow.platform, RecipientRow.active, func.count()).group_by(
            RecipientRow.platform, RecipientRow.active
        )
        subscriptions = (
            select(RecipientRow.platform, func.count())
            .join(SubscriptionRow, SubscriptionRow.recipient_id == RecipientRow.id)
            .where(SubscriptionRow.active.is_(True))
            .group_by(RecipientRow.platform)
        )
        found: dict[str, list[int]] = {}
        async with self._sessions() as session:
            for platform, active, number in (await session.execute(chats)).all():
                found.setdefault(platform.value, [0, 0, 0])[0 if active else 1] += int(number)
            for platform, number in (await session.execute(subscriptions)).all():
                found.setdefault(platform.value, [0, 0, 0])[2] = int(number)
        return {platform: (a, b, c) for platform, (a, b, c) in sorted(found.items())}

    async def all_recipients(self) -> list[Recipient]:
        async with self._sessions() as session:
            return [_recipient(row) for row in await session.scalars(select(RecipientRow).order_by(RecipientRow.id))]

    async def recipients(self, ids: Sequence[int]) -> dict[int, Recipient]:
        # In chunks: asyncpg refuses a statement with more than 32,767 parameters.
        found: dict[int, Recipient] = {}
        wanted = list(ids)
        async with self._sessions() as session:
            for start in range(0, len(wanted), IN_CHUNK):
                chunk = wanted[start : start + IN_CHUNK]
                rows = await session.scalars(select(RecipientRow).where(RecipientRow.id.in_(chunk)))
                found.update({row.id: _recipient(row) for row in rows})
        return found

    async def subscriptions_of(self, recipient_ids: Sequence[int]) -> dict[int, list[Subscription]]:
        """The active subscriptions of many chats in one query (a batch of digests)."""
        if not recipient_ids:
            return {}
        query = (
            select(SubscriptionRow)
            .where(SubscriptionRow.recipient_id.in_(list(recipient_ids)), SubscriptionRow.active.is_(True))
            .order_by(SubscriptionRow.id)
        )
        found: dict[int, list[Subscription]] = {}
        async with self._sessions() as session:
            for row in await session.scalars(query):
                found.setdefault(row.recipient_id, []).append(_subscription(row))
        return found
