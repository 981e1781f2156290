"""Papers, their announcements, and the per-source cursors: decide, then persist.

``ingest`` is where "stored once" is kept: a paper is one row whatever the number of
feeds that list it, and an announcement is one row per (paper, version).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from paperbot.clock import Clock
from paperbot.domain import Announcement, AnnounceType, IngestReport, Paper
from paperbot.latex import latex_to_text
from paperbot.links import find_code_links
from paperbot.store.models import AnnouncementRow, PaperRow, SourceCursorRow

# Keeps IN (...) lists well under SQLite's bound-parameter limit.
_CHUNK = 500
# Concurrent pollers may race to insert the same paper; the loser re-reads and retries.
_INGEST_TRIES = 3


def row_to_paper(row: PaperRow) -> Paper:
    return Paper(
        arxiv_id=row.arxiv_id,
        version=row.version,
        title=row.title,
        authors=tuple(row.authors),
        abstract=row.abstract,
        primary_category=row.primary_category,
        categories=tuple(row.categories),
        comment=row.comment,
        journal_ref=row.journal_ref,
        doi=row.doi,
        submitted=row.submitted,
        updated=row.updated,
        first_announced=row.first_announced,
        code_links=tuple(row.code_links),
        license=row.license,
    )


def merge_batch(announcements: Iterable[Announcement]) -> list[Announcement]:
    """One announcement per (paper, version), in version order.

    Two feeds of one day list a cross-listed paper twice (``new`` in its primary
    archive, ``cross`` in the other); the stronger type wins and the categories of
    both are kept.
    """
    merged: dict[tuple[str, int], Announcement] = {}
    for item in announcements:
        key = (item.paper.arxiv_id, item.paper.version)
        seen = merged.get(key)
        if seen is None:
            merged[key] = item
            continue
        strong, weak = (item, seen) if item.announce_type.rank > seen.announce_type.rank else (seen, item)
        categories = tuple(dict.fromkeys(strong.paper.categories + weak.paper.categories))
        merged[key] = replace(
            strong,
            paper=replace(strong.paper, categories=categories),
            complete=strong.complete or weak.complete,
            announced_on=strong.announced_on or weak.announced_on,
        )
    return sorted(merged.values(), key=lambda a: (a.paper.arxiv_id, a.paper.version))


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class PaperStore:
    """Reads and writes papers, announcements and cursors."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    # -- papers -------------------------------------------------------------------

    async def ingest(self, announcements: Iterable[Announcement], *, source: str) -> IngestReport:
        """Store new papers and versions; report what was new, crossed, replaced, known."""
        batch = merge_batch(announcements)
        for attempt in range(1, _INGEST_TRIES + 1):
            try:
                async with self._sessions.begin() as session:
                    return await self._ingest(session, batch, source)
            except IntegrityError:
                if attempt == _INGEST_TRIES:
                    raise
        raise AssertionError("unreachable")

    async def _ingest(self, session: AsyncSession, batch: list[Announcement], source: str) -> IngestReport:
        ids = sorted({a.paper.arxiv_id for a in batch})
        rows: dict[str, PaperRow] = {}
        events: dict[tuple[str, int], AnnouncementRow] = {}
        for chunk in _chunks(ids):
            for row in await session.scalars(select(PaperRow).where(PaperRow.arxiv_id.in_(chunk))):
                rows[row.arxiv_id] = row
            for event in await session.scalars(select(AnnouncementRow).where(AnnouncementRow.arxiv_id.in_(chunk))):
                events[(event.arxiv_id, event.version)] = event

        now = self._clock.now()
        report = IngestReport()
        for item in batch:
            paper = item.paper
            known = events.get((paper.arxiv_id, paper.version))
            if known is not None:
                self._merge_known(known, rows[paper.arxiv_id], item)
                report.already_stored += 1
                continue
            existing = rows.get(paper.arxiv_id)
            if existing is None:
                row = PaperRow(arxiv_id=paper.arxiv_id, stored_at=now, enrich_attempts=0)
                _write_version(row, paper, complete=item.complete)
                rows[paper.arxiv_id] = row
                session.add(row)
            else:
                row = existing
                # An older version arriving late is history only; the row keeps the newer one.
                if paper.version >= row.version:
                    _write_version(row, paper, complete=item.complete)
            if _announced_earlier(item, row):
                row.first_announced = item.announced_on
            row.changed_at = now
            event = AnnouncementRow(
                arxiv_id=paper.arxiv_id,
                version=paper.version,
                announce_type=item.announce_type,
                announced_on=item.announced_on,
                source=source[:80],
                seen_at=now,
            )
            events[(paper.arxiv_id, paper.version)] = event
            session.add(event)
            report.by_type[item.announce_type] += 1
            report.stored.append(item)
        return report

    @staticmethod
    def _merge_known(event: AnnouncementRow, row: PaperRow, item: Announcement) -> None:
        """The same version again: keep the stronger type, the date, and every category."""
        if item.announce_type.rank > event.announce_type.rank:
            event.announce_type = item.announce_type
            if item.announce_type is AnnounceType.NEW:
                row.primary_category = item.paper.primary_category
        if event.announced_on is None and item.announced_on is not None:
            event.announced_on = item.announced_on
            if event.announce_type is AnnounceType.NEW and row.first_announced is None:
                row.first_announced = item.announced_on
        if row.version == item.paper.version:
            extra = [c for c in item.paper.categories if c not in row.categories]
            if extra:
                row.categories = [*row.categories, *extra]

    async def get(self, arxiv_id: str) -> Paper | None:
        async with self._sessions() as session:
            row = await session.get(PaperRow, arxiv_id)
            return row_to_paper(row) if row is not None else None

    async def get_many(self, arxiv_ids: Sequence[str]) -> list[Paper]:
        found: dict[str, Paper] = {}
        async with self._sessions() as session:
            for chunk in _chunks(list(arxiv_ids)):
                for row in await session.scalars(select(PaperRow).where(PaperRow.arxiv_id.in_(chunk))):
                    found[row.arxiv_id] = row_to_paper(row)
        return [found[i] for i in arxiv_ids if i in found]

    async def recent(self, *, since: date | None = None, limit: int | None = None) -> list[Paper]:
        """Stored papers, newest announcement first (those never announced last)."""
        query = select(PaperRow).order_by(PaperRow.first_announced.desc().nulls_last(), PaperRow.arxiv_id.desc())
        if since is not None:
            query = query.where(PaperRow.first_announced >= since)
        if limit is not None:
            query = query.limit(limit)
        async with self._sessions() as session:
            return [row_to_paper(row) for row in await session.scalars(query)]

    async def announced_recently(self, days: int) -> list[Paper]:
        """Papers announced as new or cross-listed on the last ``days`` announcement days stored.

        That is what a subscription made then would have delivered; replacements are
        revisions, not news, and are left out.
        """
        recent_days = (
            select(AnnouncementRow.announced_on)
            .where(AnnouncementRow.announced_on.is_not(None))
            .distinct()
            .order_by(AnnouncementRow.announced_on.desc())
            .limit(days)
        )
        query = (
            select(PaperRow)
            .join(AnnouncementRow, AnnouncementRow.arxiv_id == PaperRow.arxiv_id)
            .where(
                AnnouncementRow.announced_on.in_(recent_days.scalar_subquery()),
                AnnouncementRow.announce_type.in_([AnnounceType.NEW, AnnounceType.CROSS]),
            )
            .distinct()
            .order_by(PaperRow.arxiv_id.desc())
        )
        async with self._sessions() as session:
            return [row_to_paper(row) for row in await session.scalars(query)]

    async def announcements_after(self, position: int, *, limit: int) -> list[tuple[int, Announcement]]:
        """Stored announcements with an id above ``position``, oldest first, with their papers."""
        query = (
            select(AnnouncementRow, PaperRow)
            .join(PaperRow, PaperRow.arxiv_id == AnnouncementRow.arxiv_id)
            .where(AnnouncementRow.id > position)
            .order_by(AnnouncementRow.id)
            .limit(limit)
        )
        async with self._sessions() as session:
            return [
                (event.id, Announcement(row_to_paper(row), event.announce_type, event.announced_on))
                for event, row in (await session.execute(query)).all()
            ]

    async def last_announcement_id(self) -> int:
        async with self._sessions() as session:
            return int(await session.scalar(select(func.coalesce(func.max(AnnouncementRow.id), 0))) or 0)

    async def set_position(self, name: str, position: int) -> None:
        async with self._sessions.begin() as session:
            row = await self._cursor_row(session, name)
            row.position = position
            row.last_success_at = self._clock.now()

    async def count_stored_since(self, since: datetime) -> int:
        async with self._sessions() as session:
            query = select(func.count()).select_from(PaperRow).where(PaperRow.stored_at >= since)
            return int(await session.scalar(query) or 0)

    async def count(self) -> int:
        async with self._sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(PaperRow)) or 0)

    async def announcements_of(self, arxiv_id: str) -> list[tuple[int, AnnounceType, date | None]]:
        """(version, type, day) of every stored announcement of a paper, oldest first."""
        query = (
            select(AnnouncementRow.version, AnnouncementRow.announce_type, AnnouncementRow.announced_on)
            .where(AnnouncementRow.arxiv_id == arxiv_id)
            .order_by(AnnouncementRow.version)
        )
        async with self._sessions() as session:
            return [(v, t, d) for v, t, d in (await session.execute(query)).all()]

    async def count_announcements(self) -> dict[AnnounceType, int]:
        query = select(AnnouncementRow.announce_type, func.count()).group_by(AnnouncementRow.announce_type)
        async with self._sessions() as session:
            counts = dict.fromkeys(AnnounceType, 0)
            for kind, number in (await session.execute(query)).all():
                counts[kind] = int(number)
            return counts

    async def save_looked_up(self, paper: Paper) -> None:
        """Keep a paper fetched by id (``paperbot paper``) without inventing an announcement."""
        async with self._sessions.begin() as session:
            row = await session.get(PaperRow, paper.arxiv_id)
            now = self._clock.now()
            if row is None:
                row = PaperRow(arxiv_id=paper.arxiv_id, stored_at=now, enrich_attempts=0)
                _write_version(row, paper, complete=True)
                row.changed_at = now
                session.add(row)
            else:
                _fill_metadata(row, paper)
                row.changed_at = now

    # -- enrichment: what feeds lack, from the query API ---------------------------

    async def incomplete(self, *, limit: int, max_attempts: int) -> list[str]:
        """Ids still missing API-only fields, newest first, skipping ones that keep failing."""
        query = (
            select(PaperRow.arxiv_id)
            .where(PaperRow.metadata_complete.is_(False), PaperRow.enrich_attempts < max_attempts)
            .order_by(PaperRow.stored_at.desc(), PaperRow.arxiv_id)
            .limit(limit)
        )
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def apply_metadata(self, asked: Sequence[str], found: Sequence[Paper]) -> int:
        """Fill in what the API returned; count a miss against the ids it did not return."""
        by_id = {p.arxiv_id: p for p in found}
        filled = 0
        async with self._sessions.begin() as session:
            for chunk in _chunks(list(asked)):
                for row in await session.scalars(select(PaperRow).where(PaperRow.arxiv_id.in_(chunk))):
                    paper = by_id.get(row.arxiv_id)
                    if paper is None:
                        row.enrich_attempts += 1
                        continue
                    _fill_metadata(row, paper)
                    row.changed_at = self._clock.now()
                    filled += 1
        return filled

    # -- cursors ------------------------------------------------------------------

    async def cursor(self, name: str) -> SourceCursorRow | None:
        async with self._sessions() as session:
            return await session.get(SourceCursorRow, name)

    async def cursors(self) -> list[SourceCursorRow]:
        async with self._sessions() as session:
            return list(await session.scalars(select(SourceCursorRow).order_by(SourceCursorRow.name)))

    async def _cursor_row(self, session: AsyncSession, name: str) -> SourceCursorRow:
        row = await session.get(SourceCursorRow, name)
        if row is None:
            row = SourceCursorRow(name=name, consecutive_failures=0)
            session.add(row)
        return row

    async def record_poll_success(self, name: str, announced_on: date | None) -> None:
        """Called after the day's batch is committed; an empty day does not move the cursor."""
        async with self._sessions.begin() as session:
            row = await self._cursor_row(session, name)
            now = self._clock.now()
            row.last_attempt_at = now
            row.last_success_at = now
            row.last_error = None
            row.consecutive_failures = 0
            if announced_on is None:
                row.last_empty_at = now
            elif row.announced_on is None or announced_on > row.announced_on:
                row.announced_on = announced_on

    async def record_poll_failure(self, name: str, error: str) -> None:
        async with self._sessions.begin() as session:
            row = await self._cursor_row(session, name)
            row.last_attempt_at = self._clock.now()
            row.last_error = error
            row.consecutive_failures += 1


def _announced_earlier(item: Announcement, row: PaperRow) -> bool:
    """A ``new`` announcement dated before what the row holds (or the first date at all)."""
    if item.announce_type is not AnnounceType.NEW or item.announced_on is None:
        return False
    return row.first_announced is None or item.announced_on < row.first_announced


def _write_version(row: PaperRow, paper: Paper, *, complete: bool) -> None:
    """Make the row describe ``paper``'s version, keeping API-only fields a feed lacks."""
    version_changed = row.version != paper.version if row.version is not None else True
    row.version = paper.version
    row.title = paper.title
    row.authors = list(paper.authors)
    row.abstract = paper.abstract
    row.primary_category = paper.primary_category
    row.categories = list(paper.categories)
    row.license = paper.license or row.license
    if complete:
        row.comment = paper.comment
        row.journal_ref = paper.journal_ref
        row.doi = paper.doi
        row.updated = paper.updated
        row.submitted = paper.submitted or row.submitted
        row.metadata_complete = True
    elif version_changed:
        # A new version may come with a new comment ("accepted at ..."): fetch it again.
        row.metadata_complete = False
        row.enrich_attempts = 0
    if paper.first_announced is not None and row.first_announced is None:
        row.first_announced = paper.first_announced
    row.code_links = list(find_code_links(latex_to_text(row.abstract), row.comment))


def _fill_metadata(row: PaperRow, paper: Paper) -> None:
    """API fields onto a stored row; text fields only when they describe the same version."""
    row.comment = paper.comment
    row.journal_ref = paper.journal_ref
    row.doi = paper.doi
    row.submitted = paper.submitted or row.submitted
    if paper.version == row.version:
        row.title = paper.title
        row.authors = list(paper.authors)
        row.abstract = paper.abstract
        row.primary_category = paper.primary_category
        row.categories = list(paper.categories)
        row.updated = paper.updated
    row.metadata_complete = True
    row.code_links = list(find_code_links(latex_to_text(row.abstract), row.comment))
