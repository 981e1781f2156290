"""Real papers from the shared recorded arXiv responses, read with our own parsers.

Feeds go through ``parse_feed`` and API pages through ``parse_api_page``, so the
summaries are tested on exactly what the pipeline stores. OAI-PMH pages have no
production parser (the bot never harvests); a few lines of lxml read them here, for
volume: they hold ~2,500 real abstracts and comments.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from paperbot.arxiv.api import parse_api_page
from paperbot.arxiv.feeds import parse_feed
from paperbot.domain import Paper
from paperbot.links import find_code_links

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "arxiv"

QUANT_PH_RSS = "rss_quant-ph_2025-04-28_81items.rss.xml"
CS_AI_ATOM = "rssatom_cs.AI_2025-08-20_7entries.atom.xml"
API_TESTING = "api_query_all-testing_100entries_2026-04-12.atom"
API_ONE = "api_id_list_one_found.atom"
OAI_PAGES = (
    "oai_listrecords_set-cs_page1_2016-03-01_1000records.xml",
    "oai_listrecords_set-cs_page60_2016-03_1000records.xml",
    "oai_listrecords_set-cs_lastpage_2016-03-09_538records.xml",
)

_OAI = "{http://www.openarchives.org/OAI/2.0/}"
_AX = "{http://arxiv.org/OAI/arXiv/}"


def _flat(text: str | None) -> str:
    return " ".join((text or "").split())


def feed_papers(name: str) -> list[Paper]:
    return [a.paper for a in parse_feed((FIXTURES / name).read_bytes()).announcements]


def api_papers(name: str) -> list[Paper]:
    return parse_api_page((FIXTURES / name).read_bytes())


def oai_papers(name: str) -> list[Paper]:
    """Records of one ListRecords page; only what summaries read (abstract, comment, journal ref)."""
    papers = []
    root = etree.parse(str(FIXTURES / name)).getroot()
    for meta in root.iter(f"{_AX}arXiv"):
        categories = tuple(_flat(meta.findtext(f"{_AX}categories")).split())
        abstract = _flat(meta.findtext(f"{_AX}abstract"))
        comment = _flat(meta.findtext(f"{_AX}comments")) or None
        papers.append(
            Paper(
                arxiv_id=_flat(meta.findtext(f"{_AX}id")),
                version=1,
                title=_flat(meta.findtext(f"{_AX}title")),
                authors=(),
                abstract=abstract,
                primary_category=categories[0] if categories else "cs",
                categories=categories,
                comment=comment,
                journal_ref=_flat(meta.findtext(f"{_AX}journal-ref")) or None,
                doi=_flat(meta.findtext(f"{_AX}doi")) or None,
                code_links=find_code_links(abstract, comment),
            )
        )
    return papers


@cache
def all_papers() -> tuple[Paper, ...]:
    """Every fixture paper, once per id (the first file that has it wins)."""
    found: dict[str, Paper] = {}
    sources = [feed_papers(QUANT_PH_RSS), feed_papers(CS_AI_ATOM), api_papers(API_TESTING), api_papers(API_ONE)]
    sources += [oai_papers(name) for name in OAI_PAGES]
    for papers in sources:
        for paper in papers:
            found.setdefault(paper.arxiv_id, paper)
    return tuple(found.values())


@cache
def by_id() -> dict[str, Paper]:
    return {paper.arxiv_id: paper for paper in all_papers()}
