"""Checks on the query API's Atom pages that the ``arxiv`` package does not make."""

from __future__ import annotations

from lxml import etree

from paperbot.errors import TransientSourceError

_ATOM = "http://www.w3.org/2005/Atom"
_OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
_NS = {"atom": _ATOM, "opensearch": _OPENSEARCH}
_ERROR_ID = "arxiv.org/api/errors"


def _parse(content: bytes) -> etree._Element | None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
    try:
        return etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError:
        return None


def api_error_message(content: bytes) -> str | None:
    """The text of an API error entry (``incorrect id format for abc``), if that is what this is."""
    root = _parse(content) if content.strip() else None
    if root is None:
        return None
    for entry in root.iterfind("atom:entry", _NS):
        if _ERROR_ID in (entry.findtext("atom:id", "", _NS) or ""):
            return (entry.findtext("atom:summary", "", _NS) or "").strip() or None
    return None


def check_api_page(content: bytes) -> None:
    """Raise ``TransientSourceError`` for a page that must be fetched again.

    The package parses with lxml's ``recover=True``, so a cut-off body would come back
    as a shorter list, and an empty page before the end as the end of the results. We
    insist on well-formed XML, an Atom feed, and entries whenever the page is inside
    the result set.
    """
    if not content.strip():
        raise TransientSourceError("arXiv API sent an empty response")
    root = _parse(content)
    if root is None:
        raise TransientSourceError("arXiv API sent malformed XML (cut-off response?)")
    if root.tag != f"{{{_ATOM}}}feed":
        raise TransientSourceError(f"arXiv API sent {root.tag!r} instead of an Atom feed")
    total = _int(root.findtext("opensearch:totalResults", "", _NS))
    start = _int(root.findtext("opensearch:startIndex", "", _NS))
    has_entries = root.find("atom:entry", _NS) is not None
    if total is None:
        raise TransientSourceError("arXiv API page lacks opensearch:totalResults")
    if not has_entries and start is not None and start < total:
        raise TransientSourceError(f"arXiv API sent an empty page at {start} of {total} results")


def _int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None
