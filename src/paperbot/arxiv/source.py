"""The arXiv source as the pipeline sees it: async, paced, retried, and split when full.

It fetches and parses; it does not store, match or render.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import date

from paperbot import taxonomy
from paperbot.arxiv.api import ArxivApi, api_announcement
from paperbot.arxiv.feeds import feed_url, parse_feed
from paperbot.arxiv.transport import ArxivTransport
from paperbot.domain import Announcement, FeedPage, Paper

log = logging.getLogger(__name__)


def split_group(group: Sequence[str]) -> list[tuple[str, ...]] | None:
    """Two smaller requests covering the same papers, or None if it cannot be split.

    Several archives split into halves; one archive splits into its categories.
    """
    if len(group) > 1:
        middle = len(group) // 2
        return [tuple(group[:middle]), tuple(group[middle:])]
    categories = taxonomy.categories_in(group[0]) if group[0] in taxonomy.ARCHIVES else ()
    if len(categories) > 1:
        return split_group(categories)
    return None


def expand_to_categories(archives: Sequence[str]) -> list[tuple[str, ...]]:
    """Per archive, the categories a ``cat:`` query must name (the archive itself if it has none)."""
    groups = []
    for archive in archives:
        categories = taxonomy.categories_in(archive) if archive in taxonomy.ARCHIVES else ()
        groups.append(tuple(categories) or (archive,))
    return groups


class ArxivSource:
    """Announcement feeds and the query API behind one polite transport."""

    def __init__(
        self,
        transport: ArxivTransport,
        *,
        feed_url: str,
        api_url: str,
        feed_max_items: int = 2000,
    ) -> None:
        self.transport = transport
        self.feed_base = feed_url
        self.feed_max_items = feed_max_items
        self.api = ArxivApi(transport, api_url)

    def _fetch_page(self, url: str, group: tuple[str, ...]) -> FeedPage:
        return self.transport.with_retries(
            lambda: parse_feed(self.transport.get_bytes(url), group),
            what=f"announcement feed {'+'.join(group) or url}",
        )

    def _fetch_group(self, group: tuple[str, ...], url: str | None) -> list[FeedPage]:
        page = self._fetch_page(url or feed_url(self.feed_base, group), group)
        if url is not None or len(page.announcements) < self.feed_max_items:
            return [page]
        parts = split_group(group)
        if parts is None:
            log.warning(
                "feed %s is full (%d items) and cannot be split further; the rest comes from the API backfill",
                "+".join(group),
                len(page.announcements),
            )
            return [page]
        log.info(
            "feed %s is full (%d items); splitting into %s",
            "+".join(group),
            len(page.announcements),
            " and ".join("+".join(p) for p in parts),
        )
        return [p for part in parts for p in self._fetch_group(part, None)]

    async def fetch_feeds(self, group: Sequence[str], *, url: str | None = None) -> list[FeedPage]:
        """Today's feed for a group of archives, as several pages if arXiv's cap was reached.

        ``url`` overrides the address (a mirror, or a ``file://`` recording).
        """
        return await asyncio.to_thread(self._fetch_group, tuple(group), url)

    async def lookup(self, arxiv_ids: Sequence[str]) -> list[Paper]:
        return await asyncio.to_thread(self.api.lookup, list(arxiv_ids))

    async def search(self, query: str, *, max_results: int = 50) -> list[Paper]:
        return await asyncio.to_thread(lambda: self.api.search(query, max_results=max_results))

    async def backfill(self, archives: Sequence[str], first: date, last: date) -> list[Announcement]:
        """Announcements the feeds would have shown between two dates, from the API."""
        found: list[Announcement] = []
        for categories in expand_to_categories(archives):
            papers = await asyncio.to_thread(self.api.backfill, categories, first, last)
            found += [api_announcement(p, archives) for p in papers]
        return found
