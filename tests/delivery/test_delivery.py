"""Match → outbox → send: once, on time, with retries and dead letters; on both backends."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from paperbot.domain import AnnounceType
from paperbot.errors import DeliveryError, RateLimited, RecipientUnavailable
from paperbot.store.chats import Recipient
from paperbot.store.models import DeliveryMode, DeliveryStatus, Platform, RecipientKind
from tests.delivery.conftest import Harness
from tests.fakes.papers import announce, make_paper

DAY = date(2025, 4, 28)


async def _chat(h: Harness, name: str, *queries: str, mode: DeliveryMode = DeliveryMode.INSTANT) -> Recipient:
    chat = await h.chats.ensure(Platform.CONSOLE, name, RecipientKind.PRIVATE)
    for query in queries:
        await h.chats.add_subscription(chat.id, query, query, "me", quota=50)
    return await h.chats.update_settings(chat.id, delivery_mode=mode)


async def _announce(h: Harness, *papers_and_types: tuple) -> None:  # type: ignore[type-arg]
    await h.papers.ingest([announce(p, t, DAY) for p, t in papers_and_types], source="test")


QUBIT = make_paper("2504.00001", title="A qubit paper", abstract="We propose a qubit. It achieves 99% fidelity.")
NOISE = make_paper("2504.00002", title="Noise in qubit arrays", abstract="We study noise.")
OTHER = make_paper("2504.00003", title="Unrelated topology", abstract="We study knots.")


async def test_each_match_is_queued_once_and_sent_once(harness: Harness) -> None:
    h = harness
    await h.dispatcher.dispatch()  # first run: sets the cursor, sends nothing old
    ada = await _chat(h, "ada", "qubit", "noise")
    await _announce(h, (QUBIT, AnnounceType.NEW), (NOISE, AnnounceType.CROSS), (OTHER, AnnounceType.NEW))
    report = await h.dispatcher.dispatch()
    assert (report.announcements, report.matches, report.queued) == (3, 3, 2)
    assert (await h.dispatcher.dispatch()).queued == 0, "a second run finds nothing new"
    run = await h.worker.run_once()
    assert (run.messages, run.papers) == (2, 2)
    texts = h.messenger.texts("ada")
    assert "A qubit paper" in texts[0] and "Matched: qubit (title, abstract)" in texts[0]
    assert "Noise in qubit arrays" in texts[1]
    assert (await h.worker.run_once()).messages == 0
    assert (await h.outbox.counts())[DeliveryStatus.SENT] == 2
    # The same papers announced again (another feed, a re-run) are not news.
    await _announce(h, (QUBIT, AnnounceType.CROSS))
    assert (await h.dispatcher.dispatch()).queued == 0
    assert ada.delivery_mode is DeliveryMode.INSTANT


async def test_revision_notice_goes_to_chats_that_got_the_paper(harness: Harness) -> None:
    h = harness
    await h.dispatcher.dispatch()
    await _chat(h, "ada", "qubit")
    await _chat(h, "bob", "knots")
    await _announce(h, (QUBIT, AnnounceType.NEW))
    await h.dispatcher.dispatch()
    await h.worker.run_once()
    v2 = replace(QUBIT, version=2, comment="Accepted at ICML 2025")
    await h.papers.ingest([announce(v2, AnnounceType.REPLACE, date(2025, 5, 5), complete=True)], source="test")
    report = await h.dispatcher.dispatch()
    assert report.revisions == 1 and report.matches == 0, "a revision is never sent as new"
    await h.worker.run_once()
    notice = h.messenger.texts("ada")[-1]
    assert notice.startswith("↻ A qubit paper (2504.00001v2): new version v2: Accepted at ICML 2025")
    assert h.messenger.texts("bob") == []


async def test_paused_and_quiet_chats_wait(harness: Harness) -> None:
    h = harness
    await h.dispatcher.dispatch()
    paused = await _chat(h, "paused", "qubit")
    await h.chats.update_settings(paused.id, paused=True)
    quiet = await _chat(h, "quiet", "qubit")
    await h.chats.update_settings(quiet.id, quiet_hours=(time(5, 0), time(9, 0)))  # now is 06:00 UTC
    await _announce(h, (QUBIT, AnnounceType.NEW))
    await h.dispatcher.dispatch()
    await h.worker.run_once()
    assert h.messenger.sent == [], "paused: nothing queued; quiet: waits"
    h.clock.advance(3 * 3600 + 1)
    await h.worker.run_once()
    assert [chat for chat, _ in h.messenger.sent] == ["quiet"]


async def test_transient_errors_retry_with_backoff_then_dead_letter(harness: Harness) -> None:
    h = harness
    await h.dispatcher.dispatch()
    await _chat(h, "ada", "qubit")
    await _announce(h, (QUBIT, AnnounceType.NEW))
    await h.dispatcher.dispatch()
    h.messenger.fail("ada", DeliveryError("telegram unreachable: boom"), DeliveryError("again"), DeliveryError("3rd"))
    run = await h.worker.run_once()
    assert run.failed == 1 and h.messenger.sent == []
    assert (await h.worker.run_once()).messages == 0, "not due before its backoff"
    h.clock.advance(10)
    assert (await h.worker.run_once()).failed == 1
    h.clock.advance(20)
    run = await h.worker.run_once()
    assert run.dead == 1
    dead = await h.outbox.dead_letters()
    assert [(d.arxiv_id, error) for d, error in dead] == [("2504.00001", "3rd")]


async def test_blocked_chat_and_rate_limit_lose_nothing(harness: Harness) -> None:
    h = harness
    await h.dispatcher.dispatch()
    ada = await _chat(h, "ada", "qubit")
    await _announce(h, (QUBIT, AnnounceType.NEW))
    await h.dispatcher.dispatch()
    h.messenger.fail("ada", RateLimited("slow down", retry_after=30))
    await h.worker.run_once()
    h.clock.advance(31)
    h.messenger.fail("ada", RecipientUnavailable("bot was blocked by the user"))
    await h.worker.run_once()
    await h.chats.deactivate(ada.id, "blocked")  # what the real adapter does on a 403
    assert (await h.outbox.counts())[DeliveryStatus.QUEUED] == 1, "kept for when the chat comes back"
    h.clock.advance(3601)
    await h.worker.run_once()
    assert h.messenger.sent == [], "an inactive chat is skipped"
    await h.chats.ensure(Platform.CONSOLE, "ada", RecipientKind.PRIVATE)  # it writes again
    h.clock.advance(3601)
    await h.worker.run_once()
    assert len(h.messenger.texts("ada")) == 1


async def test_abandoned_claim_is_sent_again_after_the_lease(harness: Harness) -> None:
    h = harness
    await h.dispatcher.dispatch()
    await _chat(h, "ada", "qubit")
    await _announce(h, (QUBIT, AnnounceType.NEW))
    await h.dispatcher.dispatch()
    claimed = await h.outbox.claim_instant(10)  # a worker claims it, then dies before sending
    assert len(claimed) == 1
    assert await h.outbox.claim_instant(10) == [], "a live claim is not taken twice"
    await h.worker.run_once()
    assert h.messenger.sent == []
    h.clock.advance(61)
    await h.worker.run_once()
    assert len(h.messenger.texts("ada")) == 1


async def test_digest_groups_by_query_once_per_paper_at_local_time(harness: Harness) -> None:
    h = harness
    h.clock.set(datetime(2025, 4, 27, 20, 0, tzinfo=UTC))  # the chat exists since Sunday evening
    await h.dispatcher.dispatch()
    ada = await _chat(h, "ada", "qubit", "noise", mode=DeliveryMode.DIGEST)
    await h.chats.update_settings(ada.id, digest_time=time(8, 0), timezone="Europe/Berlin")
    await h.worker.run_once()
    assert h.messenger.sent == [], "before the slot"
    h.clock.set(datetime(2025, 4, 28, 6, 0, tzinfo=UTC))
    many = [make_paper(f"2504.1{n:04d}", title=f"Qubit study {n}") for n in range(5)]
    await _announce(h, (QUBIT, AnnounceType.NEW), (NOISE, AnnounceType.NEW), *[(p, AnnounceType.NEW) for p in many])
    await h.dispatcher.dispatch()
    await h.worker.run_once()  # 06:00 UTC = 08:00 Berlin: the slot has just come
    digests = h.messenger.texts("ada")
    assert len(digests) == 1
    digest = digests[0]
    assert digest.startswith("Your arXiv digest for 2025-04-28: 7 new papers")
    assert digest.count("Noise in qubit arrays") == 1, "matched by both queries, listed once"
    assert "also matched: noise" in digest
    assert "qubit (7)" in digest and "and 4 more: /search qubit" in digest, "top 3 per query, then a count"
    assert (await h.outbox.counts())[DeliveryStatus.SENT] == 7
    h.clock.advance(3600)
    await h.worker.run_once()
    assert len(h.messenger.texts("ada")) == 1, "one digest per slot"


async def test_missed_slots_give_one_digest_and_empty_days_say_why(harness: Harness) -> None:
    h = harness
    h.clock.set(datetime(2025, 4, 27, 20, 0, tzinfo=UTC))
    await h.dispatcher.dispatch()
    ada = await _chat(h, "ada", "qubit", mode=DeliveryMode.DIGEST)
    await h.chats.update_settings(ada.id, digest_time=time(5, 0))
    h.clock.set(datetime(2025, 4, 28, 6, 0, tzinfo=UTC))
    h.stored_day[0] = DAY
    await h.worker.run_once()  # Monday 06:00: slot passed, announcement stored, nothing matched
    assert h.messenger.texts("ada") == ["Nothing in arXiv's announcement of 2025-04-28 matched your subscriptions."]
    # Down until Sunday 06:00: the slots of Tue..Sat missed; one digest on start, not five.
    await _announce(h, (QUBIT, AnnounceType.NEW))
    await h.dispatcher.dispatch()
    h.clock.set(datetime(2025, 5, 4, 6, 0, tzinfo=UTC))
    h.stored_day[0] = date(2025, 5, 2)
    await h.worker.run_once()
    await h.worker.run_once()
    assert len(h.messenger.texts("ada")) == 2 and "A qubit paper" in h.messenger.texts("ada")[1]
    h.clock.advance(timedelta(days=1).total_seconds())  # Monday 2025-05-05, the feed not in yet
    await h.worker.run_once()
    assert "could not be fetched yet" in h.messenger.texts("ada")[-1]
    h.clock.set(datetime(2025, 5, 10, 6, 0, tzinfo=UTC))  # a Saturday after Friday's digest
    h.stored_day[0] = date(2025, 5, 9)
    ada = await h.chats.update_settings(ada.id)
    await h.chats.record_digest(ada.id, datetime(2025, 5, 9, 6, 0, tzinfo=UTC))
    await h.worker.run_once()
    assert "arXiv did not announce since the last one (weekend or holiday)" in h.messenger.texts("ada")[-1]
