"""Discord messages: Markdown content and embed dicts, cut to Discord's limits.

Discord refuses (400) a message over any of its limits instead of trimming it, so every
piece is measured *after* rendering: escaping adds backslashes, and a reply that fits
as neutral text can be too long as Discord Markdown. Text replies (and digests, which
the delivery worker sends as text) go out as message content, split across messages;
a paper card is one embed with its buttons under it. The adapter turns the dicts into
``discord.Embed.from_dict`` and the neutral buttons into components; nothing here
imports discord, so all of this is tested without it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from paperbot.commands.cards import card_buttons
from paperbot.messages import Button, Card, Reply
from paperbot.render.common import highlight_spans, meta_line
from paperbot.render.markup import spans

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000  # all embeds of one message together
EMBEDS_PER_MESSAGE = 10  # never approached: one card a message, its buttons under it
ROWS_PER_MESSAGE = 5
BUTTONS_PER_ROW = 5
LABEL_LIMIT = 80
CUSTOM_ID_LIMIT = 100
CUSTOM_ID_PREFIX = "pb:"

# What the delivery worker packs a digest message to: below CONTENT_LIMIT, so that the
# backslashes escaping adds rarely push a digest message over and into a second one.
TEXT_LIMIT = 1900
ARXIV_RED = 0xB31B1B
COMMENT_ROOM = 300

_ESCAPED = re.compile(r"([\\*_~`|<>\[\]])")
_LINE_MARK = re.compile(r"^(\s*)(#{1,3}(?=\s)|-#(?=\s)|-(?=\s)|(\d+)\.(?=\s))", re.MULTILINE)
_URL = re.compile(r"https?://[^\s<>]+")
_FENCE = "```"

Embed = dict[str, Any]


@dataclass(frozen=True, slots=True)
class DiscordMessage:
    """One message: content, embeds (as dicts for ``discord.Embed.from_dict``) and button rows."""

    content: str = ""
    embeds: tuple[Embed, ...] = ()
    buttons: tuple[tuple[Button, ...], ...] = ()


# -- Markdown -------------------------------------------------------------------------------


def _escape_plain(text: str) -> str:
    escaped = _ESCAPED.sub(r"\\\1", text)

    def line_start(found: re.Match[str]) -> str:
        indent, mark, number = found.group(1), found.group(2), found.group(3)
        return f"{indent}{number}\\." if number is not None else f"{indent}\\{mark}"

    return _LINE_MARK.sub(line_start, escaped)


def escape(text: str) -> str:
    """Text shown as written: Markdown marks, mentions and line-start marks are escaped.

    URLs stay as they are: Discord links them whole, and a backslash would end up in them.
    """
    out: list[str] = []
    position = 0
    for found in _URL.finditer(text):
        out.append(_escape_plain(text[position : found.start()]))
        out.append(found.group())
        position = found.end()
    out.append(_escape_plain(text[position:]))
    return "".join(out)


def _link(label: str, url: str, *, preview: bool) -> str:
    # ``(<url>)`` keeps Discord from unfurling the link under the message (there is no
    # per-message switch as on Telegram); embeds never unfurl, so they need no brackets.
    target = url if preview else f"<{url}>"
    return f"[{escape(label)}]({target})"


def markup_to_discord(text: str, *, in_embed: bool = False) -> str:
    """Our markup (``**bold**``, `` `code` ``, fenced blocks, ``[label](url)``) as Discord Markdown."""
    out: list[str] = []
    for kind, run, url in spans(text):
        if kind == "link":
            out.append(_link(run, url, preview=in_embed))
        elif kind == "bold":
            out.append(f"**{escape(run)}**")
        elif kind == "code":
            out.append(f"`{run}`")
        elif kind == "pre":
            # A fence of its own line: text right after ``` would be taken for a language name.
            out.append(f"{_FENCE}\n{run}\n{_FENCE}")
        else:
            out.append(escape(run))
    return "".join(out)


def _highlighted(text: str, words: tuple[str, ...]) -> str:
    out: list[str] = []
    position = 0
    for start, end in highlight_spans(text, words):
        out.append(escape(text[position:start]))
        out.append(f"**{escape(text[start:end])}**")
        position = end
    out.append(escape(text[position:]))
    return "".join(out)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


# -- cutting to size ------------------------------------------------------------------------


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word when one is near, ending in "…"."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    cut = text[: limit - 1]
    word_end = cut.rfind(" ")
    if word_end >= limit * 0.8:
        cut = cut[:word_end]
    # A backslash left at the end would escape the ellipsis and show itself.
    if (len(cut) - len(cut.rstrip("\\"))) % 2:
        cut = cut[:-1]
    return cut.rstrip() + "…"


def render_within(source: str, render: Callable[[str], str], limit: int) -> str:
    """``render(source)``, with the source shortened until the rendering fits ``limit``.

    Cutting the source rather than the rendering keeps escapes and marks whole.
    """
    rendered = render(source)
    size = len(source)
    while len(rendered) > limit and size > 0:
        size = min(size - 1, size * limit // len(rendered))
        rendered = render(shorten(source, max(size, 0)))
    return rendered if len(rendered) <= limit else shorten(rendered, limit)


def _split(text: str, limit: int, separators: tuple[str, ...] = ("\n\n", "\n", " ")) -> list[str]:
    """Pieces of at most ``limit``: whole paragraphs where they fit, else whole lines, else words.

    Lines matter in a fenced block: a query of /export cut in two would not import back.
    Only a word longer than the limit (a URL, say) is ever cut inside.
    """
    if len(text) <= limit:
        return [text]
    if not separators:
        return [text[start : start + limit] for start in range(0, len(text), limit)]
    separator, smaller = separators[0], separators[1:]
    out: list[str] = []
    current = ""
    for part in text.split(separator):
        candidate = f"{current}{separator}{part}" if current else part
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            out.append(current)
        if len(part) <= limit:
            current = part
        else:
            *done, current = _split(part, limit, smaller)
            out += done
    if current:
        out.append(current)
    return out


def _balanced_fences(pieces: list[str]) -> list[str]:
    """A fenced block cut in two is closed at the end of one piece and reopened in the next."""
    out: list[str] = []
    carry = False
    for piece in pieces:
        text = f"{_FENCE}\n{piece}" if carry else piece
        carry = text.count(_FENCE) % 2 == 1
        out.append(f"{text}\n{_FENCE}" if carry else text)
    return out


def text_pieces(text: str, limit: int = CONTENT_LIMIT) -> list[str]:
    """Marked-up text as Discord Markdown, in pieces of at most ``limit`` characters."""
    budget = limit - 2 * (len(_FENCE) + 1)  # room to close and reopen a cut fenced block
    out: list[str] = []
    pending = [text]
    while pending:
        source = pending.pop(0)
        rendered = markup_to_discord(source)
        if len(rendered) <= limit:
            out.append(rendered)
            continue
        size = min(budget, max(1, len(source) * limit // len(rendered) - 1))
        if size >= len(source):
            size = len(source) - 1
        if size < 1:
            out.append(shorten(rendered, limit))
            continue
        pending[:0] = _balanced_fences(_split(source, size))
    return [piece for piece in out if piece.strip()]


def _field_size(field: Embed) -> int:
    return len(str(field.get("name", "")).strip()) + len(str(field.get("value", "")).strip())


def embed_size(embed: Embed) -> int:
    """The characters Discord counts against the 6000 of a message."""
    size = sum(len(str(embed.get(key) or "").strip()) for key in ("title", "description"))
    size += len(str((embed.get("author") or {}).get("name") or "").strip())
    size += len(str((embed.get("footer") or {}).get("text") or "").strip())
    return size + sum(_field_size(field) for field in embed.get("fields") or [])


def fit_embed(embed: Embed, room: int = EMBED_TOTAL_LIMIT) -> Embed:
    """The embed within every per-part limit and within ``room`` characters in all.

    The safety net under the card renderer, which already measures its parts: here
    extra fields are dropped and overlong parts shortened (the description first,
    as it is the longest and the least essential part).
    """
    fitted: Embed = dict(embed)
    for key, limit in (("title", TITLE_LIMIT), ("description", DESCRIPTION_LIMIT)):
        if fitted.get(key):
            fitted[key] = shorten(str(fitted[key]), limit)
    for key, part, limit in (("author", "name", AUTHOR_LIMIT), ("footer", "text", FOOTER_LIMIT)):
        if fitted.get(key):
            section = dict(fitted[key])
            section[part] = shorten(str(section.get(part) or ""), limit)
            fitted[key] = section
    fields = [
        {
            **field,
            "name": shorten(str(field.get("name") or "\u200b"), FIELD_NAME_LIMIT),
            "value": shorten(str(field.get("value") or "\u200b"), FIELD_VALUE_LIMIT),
        }
        for field in (fitted.get("fields") or [])[:FIELDS_LIMIT]
    ]
    if fields:
        fitted["fields"] = fields
    over = embed_size(fitted) - room
    if over > 0 and fitted.get("description"):
        description = str(fitted["description"])
        fitted["description"] = shorten(description, max(1, len(description.strip()) - over))
    while embed_size(fitted) > room and fitted.get("fields"):
        fitted["fields"] = fitted["fields"][:-1]
    over = embed_size(fitted) - room
    if over > 0 and fitted.get("title"):
        title = str(fitted["title"])
        fitted["title"] = shorten(title, max(1, len(title.strip()) - over))
    return fitted


# -- buttons -----------------------------------------------------------------------------


def custom_id(action: str) -> str:
    """The component id of an action button: our payload, prefixed so we know it for ours."""
    return f"{CUSTOM_ID_PREFIX}{action}"


def button_pages(rows: Sequence[Sequence[Button]]) -> list[tuple[tuple[Button, ...], ...]]:
    """Button rows within Discord's 5 rows of 5 a message; the rows of each message in turn.

    Rows are kept as given when they fit; a long list of one-button rows (one per
    subscription under /unsubscribe) is laid out five to a row, 25 to a message.
    """
    buttons: list[Button] = []
    seen: set[str] = set()
    shaped_rows: list[list[Button]] = []
    for row in rows:
        shaped: list[Button] = []
        for button in row:
            key = button.action or button.url or ""
            if key in seen:
                continue  # Discord refuses two components with one custom_id
            seen.add(key)
            label = shorten(button.label, LABEL_LIMIT) or "…"
            fitted = Button(label, action=button.action, url=button.url, command=button.command)
            shaped.append(fitted)
            buttons.append(fitted)
        if shaped:
            shaped_rows.append(shaped)
    if not buttons:
        return []
    if len(shaped_rows) <= ROWS_PER_MESSAGE and all(len(row) <= BUTTONS_PER_ROW for row in shaped_rows):
        return [tuple(tuple(row) for row in shaped_rows)]
    per_message = ROWS_PER_MESSAGE * BUTTONS_PER_ROW
    pages = []
    for start in range(0, len(buttons), per_message):
        chunk = buttons[start : start + per_message]
        pages.append(tuple(tuple(chunk[i : i + BUTTONS_PER_ROW]) for i in range(0, len(chunk), BUTTONS_PER_ROW)))
    return pages


# -- cards and replies ----------------------------------------------------------------------


def _notice_embed(card: Card) -> Embed:
    return fit_embed(
        {
            "title": render_within(f"↻ {card.title}", escape, TITLE_LIMIT),
            "url": card.abs_url,
            "description": render_within(f"v{card.version}: {card.notice}", escape, DESCRIPTION_LIMIT),
            "color": ARXIV_RED,
        }
    )


def card_embed(card: Card) -> Embed:
    """A paper card as one embed: meta line, linked title, summary, abstract quoted, facts as fields.

    The same content as the Telegram card: "💻 Code" link, "🏛 venue" or "📝 comment",
    what matched; the abstract (when asked for) is what gives way when space runs out.
    """
    if card.notice:
        return _notice_embed(card)
    fields: list[Embed] = []
    if card.code_url:
        fields.append({"name": "💻 Code", "value": _link("Code", card.code_url, preview=True), "inline": True})
    if card.venue:
        fields.append(
            {"name": "🏛 Venue", "value": render_within(card.venue, escape, FIELD_VALUE_LIMIT), "inline": True}
        )
    elif card.comment:
        comment = shorten(card.comment, COMMENT_ROOM)
        fields.append({"name": "📝 Comment", "value": render_within(comment, escape, FIELD_VALUE_LIMIT)})
    if card.why:
        matched = render_within("; ".join(card.why), escape, FIELD_VALUE_LIMIT)
        fields.append({"name": "Matched", "value": matched})
    embed: Embed = {
        "title": render_within(card.title, escape, TITLE_LIMIT),
        "url": card.abs_url,
        "author": {"name": shorten(meta_line(card), AUTHOR_LIMIT)},
        "footer": {"text": f"arXiv:{card.arxiv_id}v{card.version}"},
        "color": ARXIV_RED,
    }
    if fields:
        embed["fields"] = fields
    room = min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - embed_size(embed))
    summary = render_within(card.summary, lambda s: _highlighted(s, card.highlight), room) if card.summary else ""
    description = summary
    if card.abstract:
        left = room - len(summary) - 2
        if left > 40:
            abstract = render_within(card.abstract, lambda a: _quote(_highlighted(a, card.highlight)), left)
            description = f"{summary}\n\n{abstract}" if summary else abstract
    if description:
        embed["description"] = description
    return fit_embed(embed)


def render_card(card: Card) -> DiscordMessage:
    return DiscordMessage(embeds=(card_embed(card),), buttons=card_buttons(card))


def render_text(text: str, buttons: Sequence[Sequence[Button]] = ()) -> list[DiscordMessage]:
    """Text as messages of at most 2000 characters; the buttons under the last one.

    More buttons than one message holds continue in messages of their own.
    """
    pieces = text_pieces(text) or ["…"]
    pages = button_pages(buttons)
    messages = [DiscordMessage(content=piece) for piece in pieces[:-1]]
    messages.append(DiscordMessage(content=pieces[-1], buttons=pages[0] if pages else ()))
    messages += [DiscordMessage(content="…", buttons=page) for page in pages[1:]]
    return messages


def render_reply(reply: Reply) -> list[DiscordMessage]:
    """The reply's text (split if long), then one message per card, each with its buttons."""
    messages: list[DiscordMessage] = []
    if reply.text or reply.buttons:
        messages += render_text(reply.text, reply.buttons)
    messages += [render_card(card) for card in reply.cards]
    return messages
