"""Digests with a ratings model and a library: most wanted first, interest shown, a library section."""

from __future__ import annotations

from datetime import UTC, date, datetime

from paperbot.digest import DigestItem, build_digest
from paperbot.store.chats import Subscription
from paperbot.store.outbox import Delivery
from tests.fakes.papers import make_paper

T0 = datetime(2025, 4, 28, 6, 0, tzinfo=UTC)
SUBSCRIPTIONS = [Subscription(1, 1, "qubit", "qubit", None, True, T0)]


def items(count: int) -> list[DigestItem]:
    return [
        DigestItem(Delivery(n, 1, f"2504.{n:05d}", "paper", (1,), 0, T0), make_paper(f"2504.{n:05d}"), "")
        for n in range(1, count + 1)
    ]


def test_papers_come_most_wanted_first_with_their_interest() -> None:
    interest = {"2504.00001": 0.1, "2504.00002": 0.9, "2504.00003": 0.5}
    text = build_digest(items(3), SUBSCRIPTIONS, day=date(2025, 4, 28), top=2, limit=4096, interest=interest)[0].text
    assert text.index("2504.00002") < text.index("2504.00003")
    assert "interest 90%" in text and "interest 50%" in text
    assert "(2504.00001)" not in text and "and 1 more" in text, "the least wanted is the one cut"


def test_without_a_model_the_order_is_the_queue_order() -> None:
    text = build_digest(items(3), SUBSCRIPTIONS, day=date(2025, 4, 28), top=3, limit=4096)[0].text
    assert text.index("2504.00001") < text.index("2504.00002") < text.index("2504.00003")
    assert "interest" not in text and "Close to your library" not in text


def test_close_to_your_library_is_a_last_section_owing_no_delivery() -> None:
    close = [(make_paper("2504.00900", title="A paper like my library"), 0.83)]
    messages = build_digest(items(2), SUBSCRIPTIONS, day=date(2025, 4, 28), top=3, limit=4096, close_to_library=close)
    text = messages[0].text
    assert text.endswith(
        "**Close to your library**\n\n• [A paper like my library](https://arxiv.org/abs/2504.00900) (2504.00900)"
        " · cs.LG · 2025-04-24 · similarity 0.83"
    )
    assert ": 2 new papers" in text, "the header counts the subscriptions' papers"
    assert sorted(i for m in messages for i in m.delivery_ids) == [1, 2]
