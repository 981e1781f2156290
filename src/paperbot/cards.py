"""Paper → ``Card``: what a notification or a lookup shows about a paper.

Sources parse and renderers render; this is the step between, shared by every front end.
"""

from __future__ import annotations

from paperbot.domain import Paper
from paperbot.latex import latex_to_text
from paperbot.messages import Card


def build_card(
    paper: Paper,
    summary: str,
    *,
    venue: str | None = None,
    why: tuple[str, ...] = (),
    highlight: tuple[str, ...] = (),
    subscription_ids: tuple[int, ...] = (),
    with_abstract: bool = False,
) -> Card:
    """A card with LaTeX-free text; the abstract only when the reader asked for it."""
    return Card(
        arxiv_id=paper.arxiv_id,
        version=paper.version,
        title=latex_to_text(paper.title),
        authors=paper.authors,
        primary_category=paper.primary_category,
        announced=paper.first_announced or (paper.submitted.date() if paper.submitted else None),
        summary=summary,
        abs_url=paper.abs_url,
        pdf_url=paper.pdf_url,
        code_url=paper.code_links[0] if paper.code_links else None,
        comment=latex_to_text(paper.comment) if paper.comment else None,
        venue=venue,
        abstract=latex_to_text(paper.abstract) if with_abstract else None,
        why=why,
        highlight=highlight,
        subscription_ids=subscription_ids,
    )
