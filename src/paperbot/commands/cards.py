"""Cards and their buttons, as commands and notifications show them."""

from __future__ import annotations

from dataclasses import replace

from paperbot.cards import build_card
from paperbot.commands.services import Services
from paperbot.domain import Paper
from paperbot.messages import Button, Card
from paperbot.store.chats import Subscription
from paperbot.summary.facts import facts_of

LABEL_LENGTH = 40


def subscription_label(subscription: Subscription) -> str:
    text = subscription.canonical
    return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1] + "…"


async def paper_card(
    services: Services,
    paper: Paper,
    language: str,
    *,
    with_abstract: bool = False,
    why: tuple[str, ...] = (),
    highlight: tuple[str, ...] = (),
    subscription_ids: tuple[int, ...] = (),
    interest: float | None = None,
) -> Card:
    summary = await services.summaries.summary_for(paper, language)
    card = build_card(
        paper,
        summary.text,
        venue=facts_of(paper).venue,
        why=why,
        highlight=highlight,
        subscription_ids=subscription_ids,
        with_abstract=with_abstract,
    )
    return replace(card, interest=interest) if interest is not None else card


async def chat_interest(services: Services, recipient_id: int, paper: Paper) -> float | None:
    """The chat's ratings model's interest in one paper, for its card; None before any rating."""
    scores = await services.interest.scores(recipient_id, [paper])
    return scores.by_id.get(paper.arxiv_id) if scores is not None else None


def card_buttons(card: Card) -> tuple[tuple[Button, ...], ...]:
    """Abstract (or Hide), PDF, Code, More like this; 👍/👎; Unsubscribe from the query that matched."""
    if card.abstract is None:
        expand = Button("Abstract", action=f"abs:{card.arxiv_id}", command=f"/paper {card.arxiv_id} --abstract")
    else:
        expand = Button("Hide abstract", action=f"card:{card.arxiv_id}")
    first = [expand, Button("PDF", url=card.pdf_url)]
    if card.code_url:
        first.append(Button("Code", url=card.code_url))
    first.append(Button("More like this", action=f"more:{card.arxiv_id}", command=f"/more {card.arxiv_id}"))
    second = [
        Button("👍", action=f"fb:+:{card.arxiv_id}", command=f"/like {card.arxiv_id}"),
        Button("👎", action=f"fb:-:{card.arxiv_id}", command=f"/dislike {card.arxiv_id}"),
    ]
    if card.subscription_ids:
        sub = card.subscription_ids[0]
        second.append(Button("Unsubscribe", action=f"unsubc:{sub}", command=f"/unsubscribe {sub}"))
    return (tuple(first), tuple(second))
