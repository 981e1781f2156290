"""arXiv's query API through the ``arxiv`` package, paced and retried by our transport.

Used for id lookups, searches, filling in what the feeds lack (comment, journal ref,
DOI, submission times), and backfilling announcement days the bot missed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta

import arxiv
from arxiv import _feed as arxiv_feed  # pinned arxiv==4.0.2; see parse_api_page
from paperbot.arxiv.api_xml import api_error_message, check_api_page
from paperbot.arxiv.ids import split_version
from paperbot.arxiv.transport import ArxivTransport, GatedSession
from paperbot.domain import Announcement, AnnounceType, Paper
from paperbot.errors import ArxivRequestError
from paperbot.latex import latex_to_text
from paperbot.links import find_code_links

log = logging.getLogger(__name__)

# arXiv takes long id_list values, but a URL of 100 ids stays well under any proxy's limit.
MAX_IDS_PER_REQUEST = 100


def result_to_paper(result: arxiv.Result) -> Paper:
    """One API entry as our ``Paper`` (the API's version of it, with everything filled)."""
    arxiv_id, version = split_version(result.entry_id)
    abstract = " ".join(result.summary.split())
    comment = " ".join(result.comment.split()) if result.comment else None
    categories = tuple(dict.fromkeys([result.primary_category, *result.categories]))
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=" ".join(result.title.split()),
        authors=tuple(latex_to_text(a.name) for a in result.authors),
        abstract=abstract,
        primary_category=result.primary_category,
        categories=tuple(c for c in categories if c),
        comment=comment,
        journal_ref=result.journal_ref or None,
        doi=result.doi or None,
        submitted=result.published,
        updated=result.updated,
        code_links=find_code_links(latex_to_text(abstract), comment),
    )


def api_announcement(paper: Paper, archives: Iterable[str] = ()) -> Announcement:
    """What an API result says about its announcement: v1 is new, later versions replace.

    With ``archives`` given (a backfill of those archives), a paper whose primary
    category lies elsewhere was cross-listed into them.
    """
    group = set(archives)
    primary_here = not group or paper.primary_category.split(".")[0] in group or paper.primary_category in group
    if paper.version == 1:
        kind = AnnounceType.NEW if primary_here else AnnounceType.CROSS
    else:
        kind = AnnounceType.REPLACE if primary_here else AnnounceType.REPLACE_CROSS
    return Announcement(paper, kind, None, complete=True)


def parse_api_page(content: bytes) -> list[Paper]:
    """Papers of one recorded API response (``paperbot ingest`` of a saved query).

    Uses the package's own parser so that files and live answers read the same; it is
    internal to the package, which is why ``arxiv`` is pinned to an exact version.
    """
    message = api_error_message(content)
    if message:
        raise ArxivRequestError(f"this is an arXiv API error, not results: {message}")
    check_api_page(content)
    return [result_to_paper(r) for r in arxiv_feed.parse(content).results]


def _date_window(first: date, last: date) -> str:
    start = datetime.combine(first, time.min)
    end = datetime.combine(last, time(23, 59))
    return f"[{start:%Y%m%d%H%M} TO {end:%Y%m%d%H%M}]"


def backfill_query(categories: Sequence[str], first: date, last: date) -> str:
    """Papers of these categories submitted or revised in the window (both ends included)."""
    cats = " OR ".join(f"cat:{c}" for c in categories)
    return f"({cats}) AND lastUpdatedDate:{_date_window(first, last)}"


class ArxivApi:
    """Blocking calls to the query API; run them in a worker thread."""

    def __init__(self, transport: ArxivTransport, api_url: str, *, page_size: int = 100) -> None:
        self._transport = transport
        # The package's own pacing and retries are off: the transport does both, with backoff.
        self._client = arxiv.Client(page_size=page_size, delay_seconds=0, num_retries=0)
        self._client.query_url_format = api_url.rstrip("?") + "?{}"
        self._client._session = GatedSession(transport, check_api_page)

    def _collect(self, search: arxiv.Search, what: str) -> list[Paper]:
        collected: list[Paper] = []

        def attempt() -> list[Paper]:
            # After a failure, resume where the last good page ended instead of starting over.
            for result in self._client.results(search, offset=len(collected)):
                collected.append(result_to_paper(result))
            return collected

        return self._transport.with_retries(attempt, what=what)

    def lookup(self, arxiv_ids: Sequence[str]) -> list[Paper]:
        """The latest version of each id that exists; unknown ids are simply absent."""
        papers: list[Paper] = []
        for start in range(0, len(arxiv_ids), MAX_IDS_PER_REQUEST):
            chunk = list(arxiv_ids[start : start + MAX_IDS_PER_REQUEST])
            search = arxiv.Search(id_list=chunk, max_results=len(chunk))
            papers += self._collect(search, f"arXiv lookup of {len(chunk)} ids")
        return papers

    def search(self, query: str, *, max_results: int = 50) -> list[Paper]:
        """arXiv's own search syntax (``ti:``, ``au:``, ``cat:``...), newest first."""
        search = arxiv.Search(
            query=query,
            max_results=max_results,
            sort_by=arxiv.SortCriterion.SubmittedDate,
            sort_order=arxiv.SortOrder.Descending,
        )
        return self._collect(search, f"arXiv search {query!r}")

    def backfill(self, categories: Sequence[str], first: date, last: date, *, limit: int = 20000) -> list[Paper]:
        """Everything submitted or revised in these categories between two dates."""
        query = backfill_query(categories, first, last)
        search = arxiv.Search(
            query=query,
            max_results=limit,
            sort_by=arxiv.SortCriterion.LastUpdatedDate,
            sort_order=arxiv.SortOrder.Ascending,
        )
        papers = self._collect(search, f"arXiv backfill {first}..{last}")
        if len(papers) >= limit:
            log.warning("backfill %s..%s hit its limit of %d papers; narrow the archives", first, last, limit)
        return papers


def backfill_window(last_stored: date, today: date, days: int) -> tuple[date, date]:
    """Moderation holds papers for days, so the window reaches back before the gap."""
    return last_stored - timedelta(days=days), today
