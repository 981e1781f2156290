"""Telegram HTML (parse_mode=HTML), split under the 4096-character message limit.

Telegram counts the text after its HTML is parsed; we split on the unrendered text,
which is never shorter, so no rendered piece can be too long.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from paperbot.commands.cards import card_buttons
from paperbot.messages import Button, Card, Reply
from paperbot.render.common import highlight_spans, meta_line
from paperbot.render.markup import spans, split_text

MESSAGE_LIMIT = 4096
ABSTRACT_ROOM = 3000


@dataclass(frozen=True, slots=True)
class TelegramMessage:
    """One sendMessage: HTML text and inline keyboard rows (translated by the adapter)."""

    html: str
    buttons: tuple[tuple[Button, ...], ...] = ()


def _text(value: str) -> str:
    return escape(value, quote=False)


def _link(url: str, label: str) -> str:
    return f'<a href="{escape(url, quote=True)}">{_text(label)}</a>'


def markup_to_html(text: str) -> str:
    out = []
    for kind, run, url in spans(text):
        if kind == "link":
            out.append(_link(url, run))
        elif kind == "bold":
            out.append(f"<b>{_text(run)}</b>")
        elif kind == "code":
            out.append(f"<code>{_text(run)}</code>")
        elif kind == "pre":
            out.append(f"<pre>{_text(run)}</pre>")
        else:
            out.append(_text(run))
    return "".join(out)


def _highlighted(text: str, words: tuple[str, ...]) -> str:
    out = []
    position = 0
    for start, end in highlight_spans(text, words):
        out.append(_text(text[position:start]))
        out.append(f"<b>{_text(text[start:end])}</b>")
        position = end
    out.append(_text(text[position:]))
    return "".join(out)


def render_card(card: Card) -> TelegramMessage:
    if card.notice:
        html = f"↻ {_link(card.abs_url, card.title)} (v{card.version}): {_text(card.notice)}"
        return TelegramMessage(html, card_buttons(card))
    lines = [f"<b>{_link(card.abs_url, card.title)}</b>", _text(meta_line(card))]
    facts = []
    if card.code_url:
        facts.append("💻 " + _link(card.code_url, "Code"))
    if card.venue:
        facts.append("🏛 " + _text(card.venue))
    elif card.comment:
        facts.append("📝 " + _text(card.comment[:300]))
    if facts:
        lines.append(" · ".join(facts))
    if card.summary:
        lines.append("")
        lines.append(_highlighted(card.summary, card.highlight))
    if card.why:
        lines.append(f"<i>Matched: {_text('; '.join(card.why))}</i>")
    if card.abstract:
        abstract = card.abstract
        if len(abstract) > ABSTRACT_ROOM:
            abstract = abstract[: ABSTRACT_ROOM - 1].rsplit(" ", 1)[0] + "…"
        lines.append(f"<blockquote>{_highlighted(abstract, card.highlight)}</blockquote>")
    return TelegramMessage("\n".join(lines), card_buttons(card))


def render_reply(reply: Reply) -> list[TelegramMessage]:
    """The reply's text (split if long; buttons under the last piece), then one message per card."""
    messages: list[TelegramMessage] = []
    if reply.text:
        pieces = split_text(reply.text, MESSAGE_LIMIT)
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            messages.append(TelegramMessage(markup_to_html(piece), reply.buttons if last else ()))
    messages += [render_card(card) for card in reply.cards]
    return messages
