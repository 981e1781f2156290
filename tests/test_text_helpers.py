from datetime import UTC, date, datetime

import pytest

from paperbot.arxiv.calendar import latest_feed_date, missed_feed_days
from paperbot.config import async_database_url
from paperbot.latex import latex_to_text
from paperbot.links import find_code_links


def test_code_links_in_order_once_and_only_code_hosts() -> None:
    abstract = (
        "Code: https://github.com/foo/bar. Data at https://doi.org/10.1/2 and "
        "\\url{https://gitlab.com/a/b}; models on huggingface.co/org/model), see https://foo.github.io/proj/."
    )
    comment = "Accepted at ICML 2025. Code: https://github.com/foo/bar"
    assert find_code_links(abstract, comment) == (
        "https://github.com/foo/bar",
        "https://gitlab.com/a/b",
        "https://huggingface.co/org/model",
        "https://foo.github.io/proj/",
    )
    assert find_code_links(None, "", "no links here; see github.com alone") == ()
    assert find_code_links("(https://github.com/x/y_(v2))") == ("https://github.com/x/y_(v2)",)


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ('Schr\\"odinger', "Schrödinger"),
        ("S{\\o}ren Stobbe", "Søren Stobbe"),
        ("\\textbf{GR}ouping", "GRouping"),
        ("a 50% gain and \\% kept", "a 50% gain and % kept"),
        ("plain  title\n with   spaces", "plain title with spaces"),
    ],
)
def test_latex_to_text(raw: str, plain: str) -> None:
    assert latex_to_text(raw) == plain


def test_feed_days_are_weekdays_in_eastern_time() -> None:
    # Monday 02:00 UTC is still Sunday evening in New York: the newest feed is Friday's.
    assert latest_feed_date(datetime(2025, 4, 28, 2, 0, tzinfo=UTC)) == date(2025, 4, 25)
    assert latest_feed_date(datetime(2025, 4, 28, 6, 0, tzinfo=UTC)) == date(2025, 4, 28)
    assert latest_feed_date(datetime(2025, 4, 27, 12, 0, tzinfo=UTC)) == date(2025, 4, 25)
    assert missed_feed_days(date(2025, 4, 24), date(2025, 4, 28)) == [date(2025, 4, 25)]
    assert missed_feed_days(date(2025, 4, 25), date(2025, 4, 28)) == []


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db"),
        ("postgresql+asyncpg://h/db", "postgresql+asyncpg://h/db"),
    ],
)
def test_database_urls_get_async_drivers(given: str, used: str) -> None:
    assert async_database_url(given) == used


def test_latex_fractions_and_delimiters_arxiv_uses() -> None:
    assert latex_to_text(r"\(\tfrac12\) and \(\dfrac{a}{b}\)") == "1/2 and a/b"
    assert latex_to_text(r"\(i\hbar\,\partial_E\)") == "iħ ∂_E"
