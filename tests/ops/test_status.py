"""paperbot status: what an operator sees, in text and JSON, from the database alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.arxiv_server import FIXTURES, FakeArxiv, Fault

QUANT_PH = FIXTURES / "rss_quant-ph_2025-04-28_81items.rss.xml"


def _paperbot(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "paperbot.cli", *args],
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def env(database_url: str, fake_arxiv: FakeArxiv, tmp_path: Path) -> dict[str, str]:
    os.chdir(tmp_path)
    return {
        "PAPERBOT_DATABASE_URL": database_url,
        "PAPERBOT_ARXIV_API_URL": fake_arxiv.api_url,
        "PAPERBOT_ARXIV_FEED_URL": fake_arxiv.feed_url,
        "PAPERBOT_ARXIV_REQUEST_INTERVAL": "0",
        "PAPERBOT_ARXIV_BACKOFF_BASE": "0.01",
        "PAPERBOT_ARXIV_MAX_ATTEMPTS": "2",
        # A poll embeds what it stored; TF-IDF keeps that quick (tests/relevance cover the model).
        "PAPERBOT_EMBEDDING_MODEL": "tfidf",
    }


def test_status_after_a_poll_a_failure_and_a_subscription(env: dict[str, str], fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.serve_fixture_feed("quant-ph", QUANT_PH.name)
    assert _paperbot("fetch", "--archives", "quant-ph", "--no-enrich", env=env).returncode == 0
    fake_arxiv.fail_next(Fault.status_code(503), Fault.status_code(503))
    assert _paperbot("fetch", "--archives", "cs", "--no-enrich", env=env).returncode == 1
    _paperbot("console", env=env, stdin="/subscribe qubit\n/mode digest\n")

    text = _paperbot("status", env=env)
    assert text.returncode == 0, text.stderr
    out = text.stdout
    assert "feed:quant-ph" in out and "last announcement: 2025-04-28" in out
    assert "feed:cs" in out and "HTTP 503 (1 in a row)" in out
    assert "papers: 81 stored, 81 today" in out
    assert "console: 1 active, 0 inactive, 1 subscriptions" in out
    assert "outbox: 0 queued (0 retrying), 0 in flight, 0 sent today, 0 dead-lettered" in out
    assert "digest console:local:" in out
    assert "summaries: offline (extractive)" in out

    data = json.loads(_paperbot("status", "--json", env=env).stdout)
    assert data["papers_total"] == 81
    assert {s["name"] for s in data["sources"]} == {"feed:quant-ph", "feed:cs"}
    assert data["platforms"]["console"]["subscriptions"] == 1
    assert data["outbox"]["dead"] == 0


def test_status_in_chat_is_for_operators(env: dict[str, str]) -> None:
    shown = _paperbot("console", env=env, stdin="/status\n").stdout
    assert "paperbot status at" in shown, "the console user is the operator"
