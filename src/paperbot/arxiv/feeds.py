"""arXiv's daily announcement feeds (rss.arxiv.org), RSS 2.0 and Atom flavours.

A feed lists one announcement day for a group of archives or categories
(``https://rss.arxiv.org/rss/cs+math``). Each item names its version and its
``arxiv:announce_type``. Feeds lack the comment, journal ref, DOI and submission
times: announcements parsed here are marked incomplete so the pipeline fills them in
from the query API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from email.utils import parsedate_to_datetime

from lxml import etree

from paperbot.arxiv.authors import split_authors
from paperbot.arxiv.ids import split_version
from paperbot.domain import Announcement, AnnounceType, FeedPage, Paper
from paperbot.errors import FeedParseError, InvalidArxivIdError, TransientSourceError
from paperbot.latex import latex_to_text
from paperbot.links import find_code_links

ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
DC = "http://purl.org/dc/elements/1.1/"
_NS = {"atom": ATOM, "arxiv": ARXIV, "dc": DC}

_DESCRIPTION = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?(?P<abstract>.*)$",
    re.DOTALL,
)
_SPACES = re.compile(r"\s+")


def feed_url(base: str, archives: Iterable[str]) -> str:
    """The feed address for a group: ``{archives}`` in the base is replaced, else appended."""
    joined = "+".join(archives)
    if "{archives}" in base:
        return base.replace("{archives}", joined)
    if base.startswith("file:"):
        return base  # a recorded feed stands for every group
    return base.rstrip("/") + "/" + joined


def xml_root(content: bytes) -> etree._Element:
    if not content.strip():
        raise TransientSourceError("arXiv sent an empty response")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
    try:
        return etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as err:
        # A cut-off body is the usual cause; the same request normally succeeds later.
        raise TransientSourceError(f"arXiv sent malformed XML ({err})") from err


def _text(element: etree._Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path, _NS)
    if found is None or found.text is None:
        return ""
    return str(found.text)


def _rfc822_date(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return parsedate_to_datetime(text.strip()).date()
    except (TypeError, ValueError):
        return None


def _iso_date(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _announcement(
    *,
    link_or_id: str,
    title: str,
    description: str,
    type_text: str,
    categories: list[str],
    creators: str,
    announced_on: date | None,
    license_url: str,
) -> Announcement:
    described = _DESCRIPTION.match(description)
    if described is None:
        raise FeedParseError(f"feed item {link_or_id!r} has no 'arXiv:ID Announce Type:' line")
    try:
        arxiv_id, version = split_version(described.group("id"))
    except InvalidArxivIdError as err:
        raise FeedParseError(f"feed item has a bad id: {err}") from err
    try:
        announce_type = AnnounceType((type_text or described.group("type")).strip())
    except ValueError as err:
        raise FeedParseError(f"feed item {arxiv_id} has unknown announce type {type_text!r}") from err
    abstract = _SPACES.sub(" ", described.group("abstract")).strip()
    unique_categories = tuple(dict.fromkeys(c.strip() for c in categories if c.strip()))
    paper = Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=_SPACES.sub(" ", title).strip(),
        authors=split_authors(creators),
        abstract=abstract,
        # Feeds list the primary category first; the query API confirms it later.
        primary_category=unique_categories[0] if unique_categories else "",
        categories=unique_categories,
        first_announced=announced_on if announce_type is AnnounceType.NEW else None,
        code_links=find_code_links(latex_to_text(abstract)),
        license=license_url.strip() or None,
    )
    return Announcement(paper, announce_type, announced_on, complete=False)


def _parse_rss(channel: etree._Element, archives: tuple[str, ...]) -> FeedPage:
    day = _rfc822_date(_text(channel, "pubDate"))
    announcements = []
    for item in channel.iterfind("item"):
        announcements.append(
            _announcement(
                link_or_id=_text(item, "link") or _text(item, "guid"),
                title=_text(item, "title"),
                description=_text(item, "description"),
                type_text=_text(item, "arxiv:announce_type"),
                categories=[c.text or "" for c in item.iterfind("category")],
                creators=_text(item, "dc:creator"),
                announced_on=_rfc822_date(_text(item, "pubDate")) or day,
                license_url=_text(item, "dc:rights"),
            )
        )
    if day is None and announcements:
        day = announcements[0].announced_on
    return FeedPage(archives, day, tuple(announcements))


def _parse_atom(feed: etree._Element, archives: tuple[str, ...]) -> FeedPage:
    # Atom feeds carry the build time, not the announcement day; entries carry the day.
    announcements = []
    for entry in feed.iterfind("atom:entry", _NS):
        announcements.append(
            _announcement(
                link_or_id=_text(entry, "atom:id"),
                title=_text(entry, "atom:title"),
                description=_text(entry, "atom:summary"),
                type_text=_text(entry, "arxiv:announce_type"),
                categories=[c.get("term", "") for c in entry.iterfind("atom:category", _NS)],
                creators=_text(entry, "dc:creator"),
                announced_on=_iso_date(_text(entry, "atom:published")),
                license_url=_text(entry, "dc:rights"),
            )
        )
    day = announcements[0].announced_on if announcements else _iso_date(_text(feed, "atom:updated"))
    return FeedPage(archives, day, tuple(announcements))


def is_announcement_feed(root: etree._Element) -> bool:
    """An RSS document, or an Atom feed whose entries are announcements (not API results)."""
    if root.tag == "rss":
        return True
    return root.tag == f"{{{ATOM}}}feed" and (
        root.find("arxiv:announce_type", _NS) is not None
        or root.find("atom:entry/arxiv:announce_type", _NS) is not None
        or "rss.arxiv.org" in _text(root, "atom:id")
    )


def parse_feed(content: bytes, archives: Iterable[str] = ()) -> FeedPage:
    """Parse one announcement feed of either flavour.

    An empty or cut-off body raises ``TransientSourceError`` (fetch it again); a
    well-formed document that is not an announcement feed raises ``FeedParseError``.
    A channel without items is a day without announcements, not an error.
    """
    group = tuple(archives)
    root = xml_root(content)
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise FeedParseError("RSS document without a <channel>")
        return _parse_rss(channel, group)
    if is_announcement_feed(root):
        return _parse_atom(root, group)
    raise FeedParseError(f"not an arXiv announcement feed (root element {root.tag!r})")
