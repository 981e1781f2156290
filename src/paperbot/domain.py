"""Plain values that flow between the stages: no I/O, no ORM, no chat library."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


class AnnounceType(enum.StrEnum):
    """How a paper appeared in a day's announcement (arXiv's ``announce_type``)."""

    NEW = "new"
    CROSS = "cross"
    REPLACE = "replace"
    REPLACE_CROSS = "replace-cross"

    @property
    def is_revision(self) -> bool:
        return self in (AnnounceType.REPLACE, AnnounceType.REPLACE_CROSS)

    @property
    def rank(self) -> int:
        """Strength when two feeds report the same version differently.

        A paper listed as ``new`` in cs.LG and ``cross`` in stat.ML on the same day
        is one announcement; the primary listing wins.
        """
        return _RANK[self]


_RANK = {
    AnnounceType.NEW: 3,
    AnnounceType.CROSS: 2,
    AnnounceType.REPLACE: 1,
    AnnounceType.REPLACE_CROSS: 0,
}


@dataclass(frozen=True, slots=True)
class Paper:
    """One arXiv paper as we know it, at its latest version.

    ``arxiv_id`` is versionless (``2505.14687``, ``hep-th/9901001``). Text fields are
    as arXiv sent them (LaTeX included); normalisation for matching happens in
    ``paperbot.query``. ``authors`` keep arXiv's order, affiliations removed,
    LaTeX accents turned into Unicode.
    """

    arxiv_id: str
    version: int
    title: str
    authors: tuple[str, ...]
    abstract: str
    primary_category: str
    categories: tuple[str, ...]
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    submitted: datetime | None = None
    updated: datetime | None = None
    first_announced: date | None = None
    code_links: tuple[str, ...] = ()
    license: str | None = None

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}"

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"


@dataclass(frozen=True, slots=True)
class Announcement:
    """A paper version as one source reported it.

    ``announced_on`` is the announcement date (the feed's ``pubDate``); it is None for
    papers that came from the query API, which does not say when a version was
    announced. ``complete`` is False when the source lacked fields that only the
    query API has (comment, journal ref, DOI, submission times): feeds do.
    """

    paper: Paper
    announce_type: AnnounceType
    announced_on: date | None
    complete: bool = True


@dataclass(frozen=True, slots=True)
class FeedPage:
    """One announcement feed as fetched: the day it is for and what it lists."""

    archives: tuple[str, ...]
    announced_on: date | None
    announcements: tuple[Announcement, ...]

    @property
    def is_empty(self) -> bool:
        """No items: a day without announcements (weekend, holiday), not an error."""
        return not self.announcements


@dataclass(slots=True)
class IngestReport:
    """What storing a batch of announcements changed.

    ``by_type`` counts announcements stored now, by their type; ``already_stored``
    counts those we had before (the same version from another feed, a re-run, an
    older version arriving late).
    """

    by_type: dict[AnnounceType, int] = field(default_factory=lambda: dict.fromkeys(AnnounceType, 0))
    already_stored: int = 0
    stored: list[Announcement] = field(default_factory=list)

    def count(self, announce_type: AnnounceType) -> int:
        return self.by_type[announce_type]

    def add(self, other: IngestReport) -> None:
        for kind, number in other.by_type.items():
            self.by_type[kind] += number
        self.already_stored += other.already_stored
        self.stored.extend(other.stored)

    @property
    def stored_count(self) -> int:
        return sum(self.by_type.values())

    def summary(self) -> str:
        """``new 40, cross-listed 10, replaced 22, replaced (cross-list) 9, already stored 0``."""
        return (
            f"new {self.by_type[AnnounceType.NEW]}, "
            f"cross-listed {self.by_type[AnnounceType.CROSS]}, "
            f"replaced {self.by_type[AnnounceType.REPLACE]}, "
            f"replaced (cross-list) {self.by_type[AnnounceType.REPLACE_CROSS]}, "
            f"already stored {self.already_stored}"
        )
