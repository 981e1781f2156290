"""Discord rendering without Discord: every message within Discord's limits, nothing lost."""

from __future__ import annotations

from datetime import date

import pytest

from paperbot.messages import Button, Card, Reply
from paperbot.render.discord import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELD_VALUE_LIMIT,
    FIELDS_LIMIT,
    TEXT_LIMIT,
    TITLE_LIMIT,
    DiscordMessage,
    button_pages,
    card_embed,
    embed_size,
    escape,
    fit_embed,
    markup_to_discord,
    render_reply,
    shorten,
    text_pieces,
)
from paperbot.render.markup import plain
from tests.chat.frontends import discord_plain


def _card(**fields: object) -> Card:
    base: dict[str, object] = {
        "arxiv_id": "2505.14687",
        "version": 2,
        "title": "Sparse autoencoders find <features> & *more*",
        "authors": ("A. One", "B. Two", "C. Three", "D. Four"),
        "primary_category": "cs.LG",
        "announced": date(2025, 5, 21),
        "summary": "We find sparse features.",
        "abs_url": "https://arxiv.org/abs/2505.14687",
        "pdf_url": "https://arxiv.org/pdf/2505.14687",
    }
    return Card(**{**base, **fields})  # type: ignore[arg-type]


def _within_limits(message: DiscordMessage) -> None:
    assert len(message.content) <= CONTENT_LIMIT
    assert len(message.embeds) <= 10
    assert sum(embed_size(e) for e in message.embeds) <= EMBED_TOTAL_LIMIT
    for embed in message.embeds:
        assert len(embed.get("title", "")) <= TITLE_LIMIT
        assert len(embed.get("description", "")) <= DESCRIPTION_LIMIT
        assert len(embed.get("fields", [])) <= FIELDS_LIMIT
        assert all(len(f["value"]) <= FIELD_VALUE_LIMIT and len(f["name"]) <= 256 for f in embed.get("fields", []))
    assert len(message.buttons) <= 5 and all(len(row) <= 5 for row in message.buttons)
    assert all(len(b.label) <= 80 for row in message.buttons for b in row)


def test_markup_becomes_markdown_and_the_rest_is_escaped() -> None:
    text = "**Subscriptions** (1 of 50):\n#1  `qubit*`\n- not a list, *not* _italic_ <@123> [x](y)"
    rendered = markup_to_discord(text)
    assert rendered.startswith("**Subscriptions** (1 of 50):\n#1  `qubit*`\n\\- not a list, \\*not\\* \\_italic\\_")
    assert "\\<@123\\>" in rendered, "no mention"
    assert discord_plain(rendered) == plain(text)
    assert markup_to_discord("# heading?") == "\\# heading?"
    assert markup_to_discord("1. first") == "1\\. first"


def test_links_keep_their_url_and_do_not_unfurl_in_content() -> None:
    assert markup_to_discord("see [the paper](https://arxiv.org/abs/2505.14687)") == (
        "see [the paper](<https://arxiv.org/abs/2505.14687>)"
    )
    assert markup_to_discord("[a](https://x.org/a_b)", in_embed=True) == "[a](https://x.org/a_b)"
    assert escape("code at https://github.com/o/my_repo_x *now*") == "code at https://github.com/o/my_repo_x \\*now\\*"


def test_fenced_block_is_on_its_own_line() -> None:
    assert markup_to_discord("Send this back:\n\n```/import\nqubit```") == "Send this back:\n\n```\n/import\nqubit\n```"


@pytest.mark.parametrize("marks", ["plain ", "**bold** ", "*_~|<> "])
def test_long_text_is_split_under_the_content_limit_after_escaping(marks: str) -> None:
    text = "\n\n".join(f"Paragraph {n}: " + marks * 120 + "end." for n in range(20))
    pieces = text_pieces(text)
    assert len(pieces) >= 3
    assert all(len(p) <= CONTENT_LIMIT for p in pieces)
    shown = "\n\n".join(discord_plain(p) for p in pieces)
    assert all(f"Paragraph {n}: " in shown for n in range(20))
    assert shown.count("end.") == 20


def test_a_long_fenced_block_is_closed_and_reopened_across_messages() -> None:
    body = "\n".join(f'"query number {n}" cat:cs.LG' for n in range(150))
    pieces = text_pieces(f"Send this back:\n\n```/import\n{body}```")
    assert len(pieces) >= 2
    assert all(len(p) <= CONTENT_LIMIT and p.count("```") % 2 == 0 for p in pieces)
    shown = "\n".join(discord_plain(p) for p in pieces)
    assert all(f'"query number {n}" cat:cs.LG' in shown for n in range(150))


def test_one_huge_word_is_cut() -> None:
    pieces = text_pieces("x" * 5000)
    assert len(pieces) == 3 and all(len(p) <= CONTENT_LIMIT for p in pieces)
    assert "".join(pieces) == "x" * 5000


def test_card_embed_has_the_telegram_cards_content() -> None:
    card = _card(
        code_url="https://github.com/o/sae",
        venue="ICML 2025",
        why=('"sparse autoencoder" in title',),
        highlight=("sparse",),
    )
    embed = card_embed(card)
    assert embed["title"] == "Sparse autoencoders find \\<features\\> & \\*more\\*"
    assert embed["url"] == "https://arxiv.org/abs/2505.14687"
    assert embed["author"]["name"] == "A. One, B. Two, C. Three et al. · cs.LG · 2025-05-21"
    assert embed["description"] == "We find **sparse** features."
    assert embed["fields"] == [
        {"name": "💻 Code", "value": "[Code](https://github.com/o/sae)", "inline": True},
        {"name": "🏛 Venue", "value": "ICML 2025", "inline": True},
        {"name": "Matched", "value": '"sparse autoencoder" in title'},
    ]
    assert embed["footer"] == {"text": "arXiv:2505.14687v2"}
    message = render_reply(Reply(cards=(card,)))[0]
    labels = [b.label for row in message.buttons for b in row]
    assert labels == ["Abstract", "PDF", "Code", "More like this", "👍", "👎"]


def test_over_limit_title_and_abstract_are_cut_to_fit() -> None:
    card = _card(
        title="A very long title about *things* " * 20,
        summary="A summary. " * 100,
        abstract="An abstract with *stars* and_underscores. " * 200,
        comment="A comment " * 200,
        why=tuple(f"reason {n}" for n in range(300)),
    )
    embed = card_embed(card)
    assert len(embed["title"]) <= TITLE_LIMIT and embed["title"].endswith("…")
    assert not embed["title"].endswith("\\…")
    assert len(embed["description"]) <= DESCRIPTION_LIMIT
    assert embed_size(embed) <= EMBED_TOTAL_LIMIT
    assert embed["description"].startswith("A summary. A summary.")
    assert "\n\n> An abstract with \\*stars\\* and\\_underscores." in embed["description"]
    assert embed["description"].endswith("…")
    assert discord_plain(embed["description"]).count("*") == discord_plain(embed["description"]).count("*stars*") * 2
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert len(fields["📝 Comment"]) <= 301 and len(fields["Matched"]) <= FIELD_VALUE_LIMIT
    _within_limits(render_reply(Reply(cards=(card,)))[0])


def test_an_abstract_gives_way_to_a_long_summary() -> None:
    card = _card(summary="word " * 1000, abstract="The abstract.")
    embed = card_embed(card)
    assert len(embed["description"]) <= DESCRIPTION_LIMIT
    assert "The abstract." not in embed["description"]


def test_fit_embed_is_the_safety_net_for_any_embed() -> None:
    embed = {
        "title": "t" * 300,
        "description": "d" * 5000,
        "author": {"name": "a" * 300},
        "footer": {"text": "f" * 3000},
        "fields": [{"name": f"n{i}", "value": "v" * 2000} for i in range(30)],
    }
    fitted = fit_embed(embed)
    assert len(fitted["title"]) == TITLE_LIMIT
    assert len(fitted["description"]) <= DESCRIPTION_LIMIT
    assert len(fitted["author"]["name"]) == 256 and len(fitted["footer"]["text"]) <= 2048
    assert len(fitted["fields"]) <= FIELDS_LIMIT
    assert all(len(f["value"]) <= FIELD_VALUE_LIMIT for f in fitted["fields"])
    assert embed_size(fitted) <= EMBED_TOTAL_LIMIT
    assert fitted["fields"][0]["name"] == "n0", "the first fields are kept"


def test_notice_card_is_one_short_embed() -> None:
    embed = card_embed(_card(notice="the abstract changed"))
    assert embed["title"] == "↻ Sparse autoencoders find \\<features\\> & \\*more\\*"
    assert embed["description"] == "v2: the abstract changed"


def test_a_digest_is_split_across_messages_and_nothing_is_lost() -> None:
    entries = [
        f"• [Paper number {n} with a_long_title](https://arxiv.org/abs/2505.{n:05d}) (2505.{n:05d}) · cs.LG\n"
        f"  {'A summary with *marks* and words. ' * 6}"
        for n in range(40)
    ]
    digest = "**Your arXiv digest for 2025-05-21**: 40 new papers\n\n" + "\n\n".join(entries)
    messages = render_reply(Reply(text=digest))
    assert len(messages) >= 4
    for message in messages:
        _within_limits(message)
    shown = "\n\n".join(discord_plain(m.content) for m in messages)
    assert all(f"Paper number {n} with a_long_title" in shown for n in range(40))
    assert "[Paper number 3 with a\\_long\\_title](<https://arxiv.org/abs/2505.00003>)" in messages[0].content
    assert TEXT_LIMIT < CONTENT_LIMIT


def test_buttons_fit_five_rows_of_five_and_overflow_into_more_messages() -> None:
    rows = tuple((Button(f"✖ subscription {n} " + "x" * 80, action=f"unsub:{n}"),) for n in range(30))
    messages = render_reply(Reply(text="Which subscription should go?", buttons=rows))
    assert [m.content for m in messages] == ["Which subscription should go?", "…"]
    assert [sum(len(r) for r in m.buttons) for m in messages] == [25, 5]
    for message in messages:
        _within_limits(message)
    kept = button_pages(((Button("A", action="a"), Button("PDF", url="https://x.org")), (Button("B", action="b"),)))
    assert [[b.label for b in row] for row in kept[0]] == [["A", "PDF"], ["B"]], "rows that fit are kept"
    assert button_pages(((Button("A", action="a"), Button("A again", action="a")),)) == [
        ((Button("A", action="a"),),)
    ], "one custom_id once"


def test_shorten_never_leaves_a_dangling_escape() -> None:
    assert shorten("abc\\*def", 5) == "abc…"
    assert shorten("short", 10) == "short"
    assert shorten("one two three four", 16) == "one two three…"
    assert shorten("one two three four", 12) == "one two thr…", "no word end near: cut inside the word"
