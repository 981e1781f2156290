"""Topic terms in chat: /subscribe ~"..." with related-term buttons, /broaden, /preview,
/search; the same scenario on every front end (console, Telegram, Discord) and backend."""

from __future__ import annotations

import re

import pytest

from paperbot.commands.services import Services
from tests.chat.frontends import Frontend

TOPIC = '~"quantum reservoir computing" cat:quant-ph'


async def test_a_topic_subscription_offers_related_terms_that_add_with_or(chat: Frontend, services: Services) -> None:
    shown = await chat.say('/subscribe ~"Quantum  reservoir computing" cat:quant-ph')
    assert f"Subscribed (#1): {TOPIC}" in shown.text
    assert re.search(r"\(\d{4}\.\d{5}\) · match 0\.\d\d", shown.text), shown.text
    found = re.search(r"Papers like these also say: (.+?)\. Add one with OR:", shown.text)
    assert found is not None, shown.text
    terms = found.group(1).split(", ")
    assert 1 <= len(terms) <= 3 and not {"reservoir", "computing", "quantum"} & set(terms), "the query has those"
    added = await chat.press(f"+ {terms[0]}")
    term = f'"{terms[0]}"' if " " in terms[0] else terms[0]
    wider = f'(~"quantum reservoir computing" OR {term}) cat:quant-ph'
    assert f"Subscription #1 is now {wider}" in added.text
    assert f"#1  {wider}" in (await chat.say("/list")).text
    assert "finds that already" in (await chat.say(f"/broaden 1 {terms[0]}")).text
    assert "no subscription #5" in (await chat.say("/broaden 5 qubits")).text
    assert "Usage: /broaden NUMBER TERM" in (await chat.say("/broaden qubits")).text


async def test_preview_shows_what_the_digest_would_hold_with_scores(chat: Frontend, services: Services) -> None:
    assert "no subscriptions to preview" in (await chat.say("/preview")).text
    await chat.say(f"/subscribe {TOPIC}")
    await chat.say("/subscribe qubit")
    one = await chat.say("/preview 1")
    assert "Preview: what would be delivered now from the last 7 announcement days" in one.text
    assert TOPIC in one.text and "\nqubit (" not in one.text
    scores = [float(s) for s in re.findall(r"match (0\.\d\d)", one.text)]
    assert scores and scores == sorted(scores, reverse=True), "closest first"
    both = await chat.say("/preview")
    assert TOPIC in both.text and "qubit (" in both.text
    assert "no subscription #9" in (await chat.say("/preview 9")).text
    assert "Usage: /preview [NUMBER]" in (await chat.say("/preview x")).text


async def test_search_with_a_topic_term_ranks_stored_papers_by_closeness(chat: Frontend) -> None:
    found = await chat.say('/search ~"quantum reservoir computing"')
    assert 'Found among stored papers for ~"quantum reservoir computing":' in found.text
    assert "reservoir" in found.text.lower().split("\n")[1], "the closest paper first"


async def test_tune_offers_the_matches_of_a_topic_subscription(chat: Frontend) -> None:
    await chat.say(f"/subscribe {TOPIC}")
    tune = await chat.say("/tune 1")
    assert f"A spread of recent matches of {TOPIC}:" in tune.text
    assert "reservoir" in tune.text.lower(), "the topic's own matches, not an empty pool"


async def test_preview_leaves_out_what_the_filter_would_hold_back(
    chat: Frontend, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = await services.papers.recent(limit=8)
    for paper in stored[:4]:
        await chat.say(f"/like {paper.arxiv_id}")
    for paper in stored[4:]:
        await chat.say(f"/dislike {paper.arxiv_id}")
    await chat.say("/subscribe qubit")
    followed = await services.papers.get("2504.17837")
    assert followed is not None
    await chat.say(f'/subscribe au:"{followed.authors[0]}"')
    await chat.say("/filter on")
    monkeypatch.setattr(services.settings, "filter_threshold", 1.01)  # every match is under it
    qubit = await chat.say("/preview 1")
    assert re.search(
        r"Nothing from the last 7 announcement days \(\d+ papers\) would be delivered now, \d+ held", qubit.text
    )
    by_author = await chat.say("/preview 2")
    assert "2504.17837" in by_author.text, "never held: a subscription names its author"
