"""Papers and announcements for tests, built from a few keywords."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from paperbot.domain import Announcement, AnnounceType, Paper


def make_paper(arxiv_id: str = "2504.00001", version: int = 1, **fields: object) -> Paper:
    base = Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=f"A study of {arxiv_id}",
        authors=("Ada Lovelace", "Alan Turing"),
        abstract=f"We study the object {arxiv_id} and report results.",
        primary_category="cs.LG",
        categories=("cs.LG",),
        submitted=datetime(2025, 4, 24, 12, 0, tzinfo=UTC),
        updated=datetime(2025, 4, 24, 12, 0, tzinfo=UTC),
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def announce(
    paper: Paper,
    kind: AnnounceType = AnnounceType.NEW,
    day: date | None = date(2025, 4, 28),
    *,
    complete: bool = False,
) -> Announcement:
    return Announcement(paper, kind, day, complete=complete)


def many_papers(count: int, *, prefix: str = "2504", category: str = "cs.LG", start: int = 1) -> list[Paper]:
    return [
        make_paper(f"{prefix}.{n:05d}", primary_category=category, categories=(category,))
        for n in range(start, start + count)
    ]
