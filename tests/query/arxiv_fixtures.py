"""Real papers from the recorded arXiv responses in shared/, for tests and the benchmark.

A deliberately small loader (not the production parsers, which another module owns):
it only needs titles, abstracts, authors, categories, comments and code links. It
reads every file format there: the query API's Atom, the RSS and Atom announcement
feeds, and OAI-PMH ListRecords pages.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from paperbot.domain import Paper
from paperbot.query.latex import strip_latex

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "arxiv"

_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "ax": "http://arxiv.org/OAI/arXiv/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
_CODE = re.compile(r"https?://(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org)/[^\s,;)]+")
_ID = re.compile(r"(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v(\d+))?")
_ANNOUNCE = re.compile(r"^arXiv:\S+\s+Announce Type:\s*\S+\s*Abstract:\s*", re.S)


def _text(element: etree._Element | None) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _paper(
    ident: str,
    title: str,
    authors: list[str],
    abstract: str,
    categories: list[str],
    comment: str | None,
) -> Paper | None:
    found = _ID.search(ident)
    if found is None or not categories:
        return None
    links = tuple(dict.fromkeys(_CODE.findall(f"{abstract} {comment or ''}")))
    return Paper(
        arxiv_id=found.group(1),
        version=int(found.group(2) or 1),
        title=title,
        authors=tuple(strip_latex(name) for name in authors if name.strip()),
        abstract=abstract,
        primary_category=categories[0],
        categories=tuple(dict.fromkeys(categories)),
        comment=comment or None,
        code_links=links,
    )


def _split_creators(text: str) -> list[str]:
    return [name.strip() for name in re.split(r",\s*|\s+and\s+", text) if name.strip()]


def _oai(root: etree._Element) -> list[Paper | None]:
    papers = []
    for meta in root.iterfind(".//ax:arXiv", _NS):
        authors = [
            f"{_text(a.find('ax:forenames', _NS))} {_text(a.find('ax:keyname', _NS))}".strip()
            for a in meta.iterfind("ax:authors/ax:author", _NS)
        ]
        papers.append(
            _paper(
                _text(meta.find("ax:id", _NS)),
                _text(meta.find("ax:title", _NS)),
                authors,
                (meta.findtext("ax:abstract", "", _NS) or "").strip(),
                _text(meta.find("ax:categories", _NS)).split(),
                _text(meta.find("ax:comments", _NS)) or None,
            )
        )
    return papers


def _atom(root: etree._Element) -> list[Paper | None]:
    papers = []
    for entry in root.iterfind("atom:entry", _NS):
        primary = entry.find("arxiv:primary_category", _NS)
        categories = [c.get("term", "") for c in entry.iterfind("atom:category", _NS)]
        if primary is not None:
            categories.insert(0, primary.get("term", ""))
        creators = entry.find("dc:creator", _NS)
        authors = (
            _split_creators(_text(creators))
            if creators is not None
            else [_text(a.find("atom:name", _NS)) for a in entry.iterfind("atom:author", _NS)]
        )
        abstract = _ANNOUNCE.sub("", (entry.findtext("atom:summary", "", _NS) or "").strip())
        papers.append(
            _paper(
                _text(entry.find("atom:id", _NS)),
                _text(entry.find("atom:title", _NS)),
                authors,
                abstract,
                [c for c in categories if c],
                _text(entry.find("arxiv:comment", _NS)) or None,
            )
        )
    return papers


def _rss(root: etree._Element) -> list[Paper | None]:
    papers = []
    for item in root.iterfind(".//item"):
        papers.append(
            _paper(
                _text(item.find("link")),
                _text(item.find("title")),
                _split_creators(_text(item.find("dc:creator", _NS))),
                _ANNOUNCE.sub("", (item.findtext("description") or "").strip()),
                [_text(c) for c in item.iterfind("category")],
                None,
            )
        )
    return papers


def load_papers(folder: Path = FIXTURES) -> list[Paper]:
    """Every paper in the recorded responses, once each (first occurrence wins)."""
    found: dict[str, Paper] = {}
    for path in sorted(folder.glob("*.xml")) + sorted(folder.glob("*.atom")):
        root = etree.parse(str(path)).getroot()
        tag = etree.QName(root).localname
        if tag == "OAI-PMH":
            papers = _oai(root)
        elif tag == "rss":
            papers = _rss(root)
        else:
            papers = _atom(root)
        for paper in papers:
            if paper is not None and paper.title and paper.arxiv_id not in found:
                found[paper.arxiv_id] = paper
    return list(found.values())
