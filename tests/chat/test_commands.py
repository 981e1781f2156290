"""Every command, the same test on every front end (console and Telegram)."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.commands.services import Services
from paperbot.store.db import session_factory
from paperbot.store.held import HeldPaper
from paperbot.store.models import DeliveryMode
from paperbot.store.outbox import Outbox
from tests.chat.frontends import Frontend
from tests.fakes.arxiv_server import FakeArxiv, Fault
from tests.fakes.clock import FakeClock
from tests.fakes.papers import make_paper


async def _recipient(services: Services, chat: Frontend):  # type: ignore[no-untyped-def]
    found = await services.chats.find(chat.platform, chat.external_id)
    assert found is not None
    return found


async def test_start_and_help(chat: Frontend) -> None:
    start = await chat.say("/start")
    assert "I follow arXiv for you" in start.text
    assert '/subscribe "sparse autoencoder" cat:cs.LG' in start.text
    help_all = await chat.say("/help")
    for name in (
        "subscribe",
        "unsubscribe",
        "list",
        "mode",
        "time",
        "timezone",
        "pause",
        "resume",
        "paper",
        "search",
        "author",
        "export",
        "import",
        "forget",
        "language",
        "like",
        "dislike",
        "more",
        "tune",
        "filter",
        "held",
    ):
        assert f"/{name}" in help_all.text, name
    assert "Query language" in help_all.text
    one = await chat.say("/help subscribe")
    assert 'e.g. /subscribe "sparse autoencoder" cat:cs.LG' in one.text
    assert "has:code" in one.text


async def test_subscribe_shows_canonical_form_and_preview(chat: Frontend, services: Services) -> None:
    shown = await chat.say('/subscribe "QUANTUM reservoir" OR qubit* cat:quant-ph')
    assert 'Subscribed (#1): ("quantum reservoir" OR qubit*) cat:quant-ph' in shown.text
    assert "In the last 7 announcement days it would have caught" in shown.text
    assert shown.text.count("• ") == 2, "two papers as a preview"
    again = await chat.say('/subscribe ("quantum reservoir" OR qubit*) cat:quant-ph')
    assert "Already subscribed (#1)" in again.text
    recipient = await _recipient(services, chat)
    assert [s.canonical for s in await services.chats.subscriptions(recipient.id)] == [
        '("quantum reservoir" OR qubit*) cat:quant-ph'
    ]


async def test_subscribe_errors_are_clear_and_store_nothing(chat: Frontend, services: Services) -> None:
    assert (await chat.say('/subscribe cat:cs "unclosed')).text == (
        'unclosed quote at column 8: add a closing " after the phrase'
    )
    assert "did you mean" in (await chat.say("/subscribe cat:cs.LX")).text.lower()
    assert "Usage: /subscribe QUERY" in (await chat.say("/subscribe")).text
    recipient = await _recipient(services, chat)
    assert await services.chats.subscriptions(recipient.id) == []


async def test_quota_has_a_clear_reply(chat: Frontend, services: Services) -> None:
    services.settings.subscription_quota = 2
    await chat.say("/subscribe alpha")
    await chat.say("/subscribe beta")
    third = await chat.say("/subscribe gamma")
    assert "This chat has 2 subscriptions, the most allowed (2). Remove one with /unsubscribe first." in third.text


async def test_list_unsubscribe_by_button_and_by_number(chat: Frontend, services: Services) -> None:
    await chat.say("/subscribe qubit")
    await chat.say('/subscribe au:"Christoph Simon"')
    listed = await chat.say("/list")
    assert "Subscriptions (2 of 50):" in listed.text
    assert "#1  qubit" in listed.text and '#2  au:"christoph simon"' in listed.text
    assert "Delivery: a daily digest at 08:00 UTC." in listed.text
    buttons = await chat.say("/unsubscribe")
    assert "Which subscription should go?" in buttons.text
    pressed = await chat.press("✖ qubit")
    assert "Unsubscribed from qubit." in pressed.text
    assert "no subscription #7" in (await chat.say("/unsubscribe 7")).text
    assert 'Unsubscribed from au:"christoph simon".' in (await chat.say("/unsubscribe #2")).text
    assert "no subscriptions" in (await chat.say("/unsubscribe")).text


async def test_export_then_import_round_trips(chat: Frontend, services: Services) -> None:
    await chat.say('/subscribe "state-space" model')
    await chat.say("/subscribe cat:quant-ph -noise")
    exported = await chat.say("/export")
    body = exported.text.rsplit("/import", 1)[1]
    assert '"state space" model' in body and "cat:quant-ph NOT noise" in body
    recipient = await _recipient(services, chat)
    for subscription in await services.chats.subscriptions(recipient.id):
        await services.chats.remove_subscription(recipient.id, subscription.id)
    imported = await chat.say("/import" + body + '\n"broken')
    assert "Imported 2 subscriptions." in imported.text
    assert "line 3: unclosed quote at column 1" in imported.text
    assert len(await services.chats.subscriptions(recipient.id)) == 2


async def test_delivery_settings(chat: Frontend, services: Services) -> None:
    assert "each paper as soon as it is announced" in (await chat.say("/mode instant")).text
    assert "Quiet from 22:00 to 07:00 UTC" in (await chat.say("/quiet 22:00-07:00")).text
    assert "quiet 22:00-07:00 UTC" in (await chat.say("/list")).text
    assert "Usage: /quiet" in (await chat.say("/quiet soon")).text
    assert "No more notices" in (await chat.say("/revisions off")).text
    assert "weekly digest on Mondays at 08:00 UTC" in (await chat.say("/mode weekly mon")).text
    await chat.say("/mode instant")
    assert "Usage: /mode instant" in (await chat.say("/mode sometimes")).text
    assert "The digest comes at 07:30 UTC" in (await chat.say("/time 7:30")).text
    assert "Usage: /time HH:MM" in (await chat.say("/time 25:00")).text
    assert "Time zone set to Europe/Berlin" in (await chat.say("/timezone europe/berlin")).text
    assert "Time zone set to Asia/Tokyo" in (await chat.say("/timezone Tokyo")).text
    near_miss = await chat.say("/timezone Europe/Berln")
    assert "not a time zone I know" in near_miss.text and "Did you mean Europe/Berlin" in near_miss.text
    assert "Paused" in (await chat.say("/pause")).text
    assert "(paused: /resume)" in (await chat.say("/list")).text
    assert "Resumed" in (await chat.say("/resume")).text
    assert "Summaries for this chat will be in de" in (await chat.say("/language de")).text
    recipient = await _recipient(services, chat)
    assert recipient.delivery_mode is DeliveryMode.INSTANT
    assert (recipient.digest_time.hour, recipient.digest_time.minute) == (7, 30)
    assert (recipient.timezone, recipient.paused, recipient.language) == ("Asia/Tokyo", False, "de")
    assert (recipient.quiet_start, recipient.revision_notices, recipient.digest_weekday) == (time(22, 0), False, 0)


async def test_paper_card_from_the_store_with_abstract_button(chat: Frontend) -> None:
    shown = await chat.say("/paper https://arxiv.org/abs/2504.17837v1")
    card = shown.text
    assert "Statistical noise enhances quantumness benefits" in card
    assert "Youssef Kora, Christoph Simon · quant-ph · 2025-04-28" in card
    assert "reservoirs which enjoy a finite degree of quantum entanglement" in card, "the summary"
    expanded = await chat.press("Abstract")
    assert "Quantum reservoir computing offers a promising approach" in expanded.text


async def test_paper_looked_up_on_arxiv_and_unknown_and_invalid(chat: Frontend, fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add_papers(
        [
            make_paper(
                "2505.14687",
                title="Sparse autoencoders find <features> & more",
                authors=("A. One", "B. Two", "C. Three", "D. Four"),
                comment="Accepted at ICML 2025. Code: https://github.com/o/sae",
                abstract="We propose X. It achieves 9% gains.",
            )
        ]
    )
    found = await chat.say("/paper 2505.14687v1")
    assert "Sparse autoencoders find <features> & more" in found.text
    assert "A. One, B. Two, C. Three et al." in found.text
    assert "ICML 2025" in found.text
    assert "No paper 2505.99999 on arXiv" in (await chat.say("/paper 2505.99999")).text
    assert "'not-an-id' is not an arXiv id" in (await chat.say("/paper not-an-id")).text


async def test_arxiv_outage_gets_a_clear_reply(chat: Frontend, fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.fail_next(Fault.status_code(503), Fault.status_code(503))
    assert "arXiv is not answering right now" in (await chat.say("/paper 2505.11111")).text


async def test_search_stored_then_arxiv(chat: Frontend, fake_arxiv: FakeArxiv) -> None:
    stored = await chat.say("/search ti:reservoir")
    assert "Found among stored papers for ti:reservoir" in stored.text
    assert "2504.17837" in stored.text
    fake_arxiv.add_papers([make_paper("2401.00001", title="Gaussian splatting for everyone")])
    remote = await chat.say('/search "gaussian splatting"')
    assert 'Found on arXiv for "gaussian splatting"' in remote.text
    assert "Gaussian splatting for everyone" in remote.text
    api = [r for r in fake_arxiv.requests if r.path == "/api/query"][-1]
    assert api.query["search_query"] == ['all:"gaussian splatting"']


async def test_author_lists_papers_and_offers_a_subscription(chat: Frontend, services: Services) -> None:
    shown = await chat.say("/author Christoph Simon")
    assert "1 stored paper by Christoph Simon (quant-ph 1)" in shown.text
    subscribed = await chat.press('Subscribe to au:"christoph simon"')
    assert 'Subscribed (#1): au:"christoph simon"' in subscribed.text
    assert "No stored papers by Nobody Known" in (await chat.say("/author Nobody Known")).text


async def test_like_dislike_and_feedback_buttons(chat: Frontend, services: Services) -> None:
    assert "👍 Noted" in (await chat.say("/like 2504.17837")).text
    await chat.say("/paper 2504.17830")
    pressed = await chat.press("👎")
    assert "👎 Noted" in pressed.text or any("👎 Noted" in t for t in pressed.toasts)
    recipient = await _recipient(services, chat)
    assert await services.feedback.ratings(recipient.id) == {"2504.17837": 1, "2504.17830": -1}


async def test_forget_asks_first_then_deletes_everything(chat: Frontend, services: Services) -> None:
    await chat.say("/subscribe qubit")
    assert await services.chats.find(chat.platform, chat.external_id) is not None
    asked = await chat.say("/forget")
    assert "Delete everything stored about this chat" in asked.text
    done = await chat.press("Yes, forget this chat")
    assert "nothing about this chat is stored any more" in done.text
    assert await services.chats.find(chat.platform, chat.external_id) is None


async def test_commands_per_minute_are_limited(chat: Frontend, services: Services, clock: FakeClock) -> None:
    services.settings.command_rate_limit = 3
    for _ in range(3):
        assert "Delivery:" in (await chat.say("/list")).text
    slowed = await chat.say("/list")
    assert "Slow down: at most 3 commands a minute. Try again in" in slowed.text
    clock.advance(61)
    assert "Slow down" not in (await chat.say("/list")).text


@pytest.mark.parametrize("text", ["/frobnicate", "/subscribe@paperbot_test_bot qubit"])
async def test_unknown_and_addressed_commands(chat: Frontend, text: str) -> None:
    shown = await chat.say(text)
    if "frobnicate" in text:
        assert "There is no /frobnicate command" in shown.text
    else:
        assert "Subscribed (#1): qubit" in shown.text


# -- relevance: more like this, libraries, ratings ---------------------------------------------


async def test_more_like_this_by_command_and_by_card_button(chat: Frontend) -> None:
    shown = await chat.say("/more 2504.17837")
    assert "Closest to Statistical noise enhances quantumness benefits" in shown.text
    assert "among the papers of the last 90 days" in shown.text
    assert shown.text.count("similarity 0.") >= 3
    assert "2504.17837," not in shown.text.split("\n", 1)[1], "the paper itself is left out"
    await chat.say("/paper 2504.17830")
    pressed = await chat.press("More like this")
    assert "Closest to" in pressed.text and "(2504.17830)" in pressed.text
    assert "Usage: /more ID" in (await chat.say("/more")).text
    assert "'nonsense' is not an arXiv id" in (await chat.say("/more nonsense")).text


LIBRARY_BIBTEX = """/import
@article{kora2025, title = {Statistical noise enhances quantumness benefits},
  eprint = {2504.17837}, archivePrefix = {arXiv}}
@article{fetched, title = {Fetched from arXiv}, doi = {10.48550/arXiv.2501.00042}}
@book{knuth, title = {The Art of Computer Programming}, publisher = {Addison-Wesley}}
@misc{gone, title = {Never existed}, url = {https://arxiv.org/abs/2501.99999}}"""


async def test_import_a_bibtex_library(chat: Frontend, services: Services, fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.add_papers([make_paper("2501.00042", title="Fetched from arXiv")])
    shown = await chat.say(LIBRARY_BIBTEX)
    assert "Imported 2 papers from BibTeX into this chat's library (1 fetched from arXiv)." in shown.text
    assert "Not on arXiv:\n• 2501.99999" in shown.text
    assert "Not recognised (no arXiv id):\n• The Art of Computer Programming" in shown.text
    recipient = await _recipient(services, chat)
    assert await services.library.arxiv_ids(recipient.id) == ["2504.17837", "2501.00042"]
    assert await services.chats.subscriptions(recipient.id) == [], "a library is no list of queries"
    again = await chat.say("/import\n2504.17837\nhttps://arxiv.org/abs/2504.17830v1")
    assert "Imported 1 paper from a list of arXiv ids" in again.text and "1 were in it already" in again.text
    assert "The library holds 3" in again.text


async def test_tune_rate_and_score_on_cards(chat: Frontend, services: Services) -> None:
    first = await chat.say("/tune")
    assert "No ratings yet. A spread of recent matches of recent papers" in first.text
    assert first.text.count("quant-ph · 2025-04-28") == 8, "eight cards to rate"
    rated = await chat.press("👍")
    assert "👍 Noted" in rated.text or any("👍 Noted" in t for t in rated.toasts)
    await chat.say("/dislike 2504.17830")
    second = await chat.say("/tune")
    assert "least sure about (only 1 👍 and 1 👎 so far" in second.text
    assert "interest " in second.text, "each card shows the model's interest"
    card = await chat.say("/paper 2504.17837")
    assert "interest " in card.text
    assert "Usage: /more" not in card.text
    assert "no subscription #9" in (await chat.say("/tune 9")).text


async def test_filter_and_held_papers(
    chat: Frontend, services: Services, engine: AsyncEngine, clock: FakeClock
) -> None:
    off = await chat.say("/filter")
    assert "Filter is off" in off.text and "No ratings yet" in off.text
    on = await chat.say("/filter on")
    assert "Filter on: matches the model gives less than 20% interest are held back" in on.text
    recipient = await _recipient(services, chat)
    assert await services.held.filtering([recipient.id]) == {recipient.id}
    assert "Nothing is held back" in (await chat.say("/held")).text
    await services.held.hold([HeldPaper(recipient.id, "2504.17837", (), 0.07)])
    listed = await chat.say("/held")
    assert "Held back (1), newest first:" in listed.text
    assert "Statistical noise enhances quantumness benefits" in listed.text and "interest 7%" in listed.text
    released = await chat.press("Send 2504.17837")
    assert "2504.17837 is on its way" in released.text or any("on its way" in t for t in released.toasts)
    assert await services.held.held(recipient.id) == []
    queued = await Outbox(session_factory(engine), clock).claim_for(recipient.id)
    assert [d.arxiv_id for d in queued] == ["2504.17837"]
    assert "is not held back here" in (await chat.say("/held release 2504.17837")).text
    assert "Filter off" in (await chat.say("/filter off")).text
    assert await services.held.filtering([recipient.id]) == set()
