"""Plain text, for the console: no markup, buttons shown as the commands they stand for."""

from __future__ import annotations

from paperbot.commands.cards import card_buttons
from paperbot.messages import Button, Card, Reply
from paperbot.render.common import meta_line
from paperbot.render.markup import plain


def _button_hints(rows: tuple[tuple[Button, ...], ...]) -> list[str]:
    hints = [f"[{b.label}: {b.command}]" for row in rows for b in row if b.command]
    return ["  " + " ".join(hints)] if hints else []


def render_card(card: Card) -> str:
    if card.notice:
        return f"↻ {card.title} ({card.arxiv_id}v{card.version}): {card.notice}"
    lines = [f"{card.title} ({card.arxiv_id}v{card.version})", f"  {meta_line(card)}"]
    if card.summary:
        lines.append(f"  {card.summary}")
    facts = []
    if card.venue:
        facts.append(f"Venue: {card.venue}")
    if card.code_url:
        facts.append(f"Code: {card.code_url}")
    if facts:
        lines.append("  " + "   ".join(facts))
    if card.comment:
        lines.append(f"  Comment: {card.comment}")
    if card.why:
        lines.append(f"  Matched: {'; '.join(card.why)}")
    if card.abstract:
        lines.append("")
        lines.append(f"  {card.abstract}")
        lines.append("")
    lines.append(f"  {card.abs_url}   PDF: {card.pdf_url}")
    lines += _button_hints(card_buttons(card))
    return "\n".join(lines)


def render_reply(reply: Reply) -> str:
    """The whole reply as one block of text."""
    blocks = []
    if reply.text:
        blocks.append("\n".join([plain(reply.text), *_button_hints(reply.buttons)]))
    blocks += [render_card(card) for card in reply.cards]
    return "\n\n".join(blocks)
