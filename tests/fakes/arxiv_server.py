"""A local arXiv on 127.0.0.1: announcement feeds and the query API, with faults on demand.

Build one with the builder methods, start it, point the settings at ``feed_url`` and
``api_url``::

    with FakeArxiv().serve_fixture_feed("quant-ph", QUANT_PH).fail_next(Fault.status(503)) as arxiv:
        ...

Feeds: a recorded fixture is served as it is; otherwise the feed is generated from the
announcements given with ``announce``, holding the papers of the requested archives or
categories, cut at ``feed_cap`` items like arXiv's combined feeds.
API: ``id_list`` and ``search_query`` (``cat:`` terms and a ``lastUpdatedDate`` window)
are answered from the papers given with ``add_papers`` (announced ones included),
paginated with ``start`` and ``max_results``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from paperbot.arxiv.ids import parse_arxiv_id
from paperbot.domain import Announcement, Paper
from paperbot.errors import InvalidArxivIdError

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "arxiv"


@dataclass(frozen=True, slots=True)
class Fault:
    """One misbehaviour, applied to the next request (whose path starts with ``path``)."""

    kind: str
    status: int = 200
    retry_after: str | None = None
    delay: float = 0.0
    path: str = "/"

    @classmethod
    def status_code(cls, status: int, *, retry_after: str | None = None, path: str = "/") -> Fault:
        return cls("status", status=status, retry_after=retry_after, path=path)

    @classmethod
    def empty_body(cls, path: str = "/") -> Fault:
        return cls("empty", path=path)

    @classmethod
    def cut_off(cls, path: str = "/") -> Fault:
        return cls("truncate", path=path)

    @classmethod
    def empty_page(cls, path: str = "/api") -> Fault:
        """A well-formed API page with no entries although more results exist."""
        return cls("empty_page", path=path)

    @classmethod
    def slow(cls, delay: float, path: str = "/") -> Fault:
        return cls("slow", delay=delay, path=path)


@dataclass(frozen=True, slots=True)
class SeenRequest:
    path: str
    query: dict[str, list[str]]
    arrived: float  # time.monotonic() on the server
    status: int


@dataclass(slots=True)
class _State:
    fixture_feeds: dict[str, bytes] = field(default_factory=dict)
    announcements: list[Announcement] = field(default_factory=list)
    feed_day: date | None = None
    papers: dict[str, Paper] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: list[SeenRequest] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0


class FakeArxiv:
    def __init__(self, *, feed_cap: int = 2000) -> None:
        self.feed_cap = feed_cap
        self._state = _State()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- builders -------------------------------------------------------------------

    def serve_fixture_feed(self, archives: str, fixture: str | Path) -> Self:
        path = Path(fixture) if Path(fixture).is_absolute() else FIXTURES / fixture
        self._state.fixture_feeds[archives] = path.read_bytes()
        return self

    def announce(self, announcements: Iterable[Announcement], *, day: date) -> Self:
        """Today's feed content; the papers are also known to the API."""
        items = list(announcements)
        self._state.announcements = items
        self._state.feed_day = day
        return self.add_papers(a.paper for a in items)

    def add_papers(self, papers: Iterable[Paper]) -> Self:
        for paper in papers:
            self._state.papers[paper.arxiv_id] = paper
        return self

    def fail_next(self, *faults: Fault) -> Self:
        with self._lock:
            self._state.faults.extend(faults)
        return self

    # -- what happened ----------------------------------------------------------------

    @property
    def requests(self) -> list[SeenRequest]:
        with self._lock:
            return list(self._state.requests)

    @property
    def max_in_flight(self) -> int:
        return self._state.max_in_flight

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return len(self._state.faults)

    # -- running --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def feed_url(self) -> str:
        return self.base_url + "/rss/"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/query"

    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-arxiv", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        self.stop()

    # -- serving --------------------------------------------------------------------

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for index, fault in enumerate(self._state.faults):
                if path.startswith(fault.path):
                    return self._state.faults.pop(index)
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self._state.in_flight += 1
            self._state.max_in_flight = max(self._state.max_in_flight, self._state.in_flight)
        arrived = time.monotonic()
        split = urlsplit(handler.path)
        query = parse_qs(split.query, keep_blank_values=True)
        status = 500
        try:
            fault = self._take_fault(split.path)
            status, headers, body = self._respond(split.path, query)
            if fault is not None:
                status, headers, body = _apply_fault(fault, status, headers, body)
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if fault is not None and fault.kind == "truncate":
                # Promise the whole body, send half, hang up: what a dropped connection looks like.
                handler.wfile.write(body[: len(body) // 2])
                handler.wfile.flush()
                handler.close_connection = True
            else:
                handler.wfile.write(body)
        finally:
            with self._lock:
                self._state.in_flight -= 1
                self._state.requests.append(SeenRequest(split.path, query, arrived, status))

    def _respond(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        feed = re.fullmatch(r"/(rss|atom)/(.+)", path)
        if feed:
            return self._feed(feed.group(2))
        if path == "/api/query":
            return self._api(query)
        return 404, {"Content-Type": "text/plain"}, b"not found"

    def _feed(self, archives: str) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "application/rss+xml; charset=utf-8"}
        if archives in self._state.fixture_feeds:
            return 200, headers, self._state.fixture_feeds[archives]
        wanted = archives.split("+")
        items = [a for a in self._state.announcements if _in_group(a.paper.categories, wanted)]
        day = self._state.feed_day if items or self._state.feed_day else None
        return 200, headers, render_rss(items[: self.feed_cap], archives, day)

    def _api(self, query: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "application/atom+xml; charset=utf-8"}
        start = int(query.get("start", ["0"])[0] or 0)
        size = int(query.get("max_results", ["10"])[0] or 10)
        id_list = [i for i in query.get("id_list", [""])[0].split(",") if i]
        if id_list:
            found = []
            for raw in id_list:
                try:
                    wanted = parse_arxiv_id(raw)
                except InvalidArxivIdError:
                    return 400, headers, render_api_error(f"incorrect id format for {raw}")
                if wanted.id in self._state.papers:
                    found.append(self._state.papers[wanted.id])
            return 200, headers, render_api_page(found[start : start + size], total=len(found), start=start)
        search = query.get("search_query", [""])[0]
        matches = [p for p in self._state.papers.values() if _matches_search(p, search)]
        matches.sort(key=lambda p: (p.updated or datetime.min.replace(tzinfo=UTC), p.arxiv_id))
        return 200, headers, render_api_page(matches[start : start + size], total=len(matches), start=start)


def _in_group(categories: Sequence[str], wanted: Sequence[str]) -> bool:
    for category in categories:
        archive = category.split(".")[0]
        if category in wanted or archive in wanted:
            return True
    return False


_CAT = re.compile(r"cat:([\w.\-]+)")
_WINDOW = re.compile(r"lastUpdatedDate:\[(\d{12}) TO (\d{12})\]")


def _matches_search(paper: Paper, search: str) -> bool:
    cats = _CAT.findall(search)
    if cats and not _in_group(paper.categories, cats):
        return False
    window = _WINDOW.search(search)
    if window and paper.updated is not None:
        first = datetime.strptime(window.group(1), "%Y%m%d%H%M").replace(tzinfo=UTC)
        last = datetime.strptime(window.group(2), "%Y%m%d%H%M").replace(tzinfo=UTC)
        return first <= paper.updated <= last
    return True


def _apply_fault(fault: Fault, status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
    if fault.kind == "status":
        extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        return fault.status, {"Content-Type": "text/html", **extra}, b"<html>unavailable</html>"
    if fault.kind == "empty":
        return 200, headers, b""
    if fault.kind == "empty_page":
        return 200, headers, render_api_page([], total=10_000, start=0)
    if fault.kind == "slow":
        time.sleep(fault.delay)
    return status, headers, body


# -- documents ---------------------------------------------------------------------------


def render_rss(announcements: Sequence[Announcement], archives: str, day: date | None) -> bytes:
    """An announcement feed in arXiv's RSS 2.0 shape."""
    pub = format_datetime(datetime.combine(day, datetime.min.time(), UTC)) if day else ""
    items = []
    for item in announcements:
        paper = item.paper
        categories = "".join(f"<category>{escape(c)}</category>" for c in paper.categories)
        items.append(
            "<item>"
            f"<title>{escape(paper.title)}</title>"
            f"<link>https://arxiv.org/abs/{paper.arxiv_id}</link>"
            f"<description>arXiv:{paper.versioned_id} Announce Type: {item.announce_type.value} \n"
            f"Abstract: {escape(paper.abstract)}</description>"
            f'<guid isPermaLink="false">oai:arXiv.org:{paper.versioned_id}</guid>'
            f"{categories}<pubDate>{pub}</pubDate>"
            f"<arxiv:announce_type>{item.announce_type.value}</arxiv:announce_type>"
            f"<dc:creator>{escape(', '.join(paper.authors))}</dc:creator>"
            "</item>"
        )
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">'
        f"<channel><title>{escape(archives)} updates on arXiv.org</title>"
        f"<pubDate>{pub}</pubDate>{''.join(items)}</channel></rss>"
    ).encode()


def _iso(moment: datetime | None) -> str:
    return (moment or datetime(2000, 1, 1, tzinfo=UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_api_page(papers: Sequence[Paper], *, total: int, start: int) -> bytes:
    """A query API response page in arXiv's Atom shape."""
    entries = []
    for paper in papers:
        authors = "".join(f"<author><name>{escape(a)}</name></author>" for a in paper.authors)
        categories = "".join(f'<category term="{escape(c)}"/>' for c in paper.categories)
        optional = ""
        if paper.comment:
            optional += f"<arxiv:comment>{escape(paper.comment)}</arxiv:comment>"
        if paper.journal_ref:
            optional += f"<arxiv:journal_ref>{escape(paper.journal_ref)}</arxiv:journal_ref>"
        if paper.doi:
            optional += f"<arxiv:doi>{escape(paper.doi)}</arxiv:doi>"
        entries.append(
            "<entry>"
            f"<id>http://arxiv.org/abs/{paper.versioned_id}</id>"
            f"<updated>{_iso(paper.updated)}</updated><published>{_iso(paper.submitted)}</published>"
            f"<title>{escape(paper.title)}</title><summary>{escape(paper.abstract)}</summary>"
            f"{authors}{optional}"
            f'<link href="https://arxiv.org/abs/{paper.versioned_id}" rel="alternate" type="text/html"/>'
            f'<arxiv:primary_category term="{escape(paper.primary_category)}"/>{categories}'
            "</entry>"
        )
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom">'
        "<id>https://arxiv.org/api/fake</id><title>arXiv Query</title><updated>2026-01-01T00:00:00Z</updated>"
        f"<opensearch:itemsPerPage>{len(papers)}</opensearch:itemsPerPage>"
        f"<opensearch:totalResults>{total}</opensearch:totalResults>"
        f"<opensearch:startIndex>{start}</opensearch:startIndex>"
        f"{''.join(entries)}</feed>"
    ).encode()


def render_api_error(message: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        "<id>https://arxiv.org/</id><title>arXiv Search Results</title><updated>2026-01-01T00:00:00Z</updated>"
        "<opensearch:itemsPerPage>1</opensearch:itemsPerPage><opensearch:totalResults>1</opensearch:totalResults>"
        "<opensearch:startIndex>0</opensearch:startIndex>"
        f"<entry><id>https://arxiv.org/api/errors#{escape(message.replace(' ', '_'))}</id><title>Error</title>"
        f"<summary>{escape(message)}</summary></entry></feed>"
    ).encode()
