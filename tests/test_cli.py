"""The ``paperbot`` command as a user runs it, on both storage backends."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.arxiv_server import FIXTURES, FakeArxiv, Fault
from tests.fakes.papers import make_paper
from tests.fakes.telegram_server import FakeTelegram

QUANT_PH = FIXTURES / "rss_quant-ph_2025-04-28_81items.rss.xml"


def run_paperbot(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "paperbot.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def cli_env(database_url: str, fake_arxiv: FakeArxiv, tmp_path: Path) -> dict[str, str]:
    # No .env from the developer's working directory may leak in: run from an empty folder.
    os.chdir(tmp_path)
    return {
        "PAPERBOT_DATABASE_URL": database_url,
        "PAPERBOT_ARXIV_API_URL": fake_arxiv.api_url,
        "PAPERBOT_ARXIV_FEED_URL": fake_arxiv.feed_url,
        "PAPERBOT_ARXIV_REQUEST_INTERVAL": "0",
        "PAPERBOT_ARXIV_BACKOFF_BASE": "0.01",
        # Every poll embeds what it stored; TF-IDF keeps that quick (tests/relevance cover the model).
        "PAPERBOT_EMBEDDING_MODEL": "tfidf",
    }


def test_ingest_quant_ph_stores_81_unique_papers_with_types(cli_env: dict[str, str]) -> None:
    first = run_paperbot("ingest", str(QUANT_PH), env=cli_env)
    assert first.returncode == 0, first.stderr
    assert (
        "81 announcements: new 40, cross-listed 10, replaced 22, replaced (cross-list) 9, already stored 0"
        in first.stdout
    )
    again = run_paperbot("ingest", str(QUANT_PH), env=cli_env)
    assert "new 0, cross-listed 0, replaced 0, replaced (cross-list) 0, already stored 81" in again.stdout


def test_ingest_reports_each_file_and_skips_bad_ones(cli_env: dict[str, str]) -> None:
    result = run_paperbot(
        "ingest",
        str(FIXTURES / "rssatom_cs.AI_2025-08-20_7entries.atom.xml"),
        str(FIXTURES / "api_error_400_bad_id.atom"),
        str(FIXTURES / "rss_empty_test-archive_2024-11-28.rss.xml"),
        "missing.xml",
        env=cli_env,
    )
    assert result.returncode == 1
    assert "7 announcements: new 2, cross-listed 5" in result.stdout
    assert (
        "api_error_400_bad_id.atom: skipped: this is an arXiv API error, not results: incorrect id format for abc"
        in result.stderr
    )
    assert "missing.xml: skipped: No such file or directory" in result.stderr
    assert "total: new 2, cross-listed 5" in result.stdout


def test_fetch_prints_what_was_new_crossed_and_replaced(cli_env: dict[str, str], fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.serve_fixture_feed("quant-ph", QUANT_PH.name)
    result = run_paperbot("fetch", "--archives", "quant-ph", "--no-enrich", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert "announcement of 2025-04-28:" in result.stdout
    assert "new                    2504.17830v1" in result.stdout
    assert "replaced               2112.14988v4" in result.stdout
    assert "new 40, cross-listed 10, replaced 22, replaced (cross-list) 9, already stored 0" in result.stdout


def test_fetch_from_a_recorded_file(cli_env: dict[str, str]) -> None:
    result = run_paperbot(
        "fetch", "--feed", str(FIXTURES / "rssatom_cs.AI_2025-08-20_7entries.atom.xml"), "--no-enrich", env=cli_env
    )
    assert result.returncode == 0, result.stderr
    assert "new 2, cross-listed 5" in result.stdout


def test_fetch_during_an_outage_fails_clearly(cli_env: dict[str, str], fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.fail_next(*[Fault.status_code(503)] * 3)
    result = run_paperbot("fetch", "--archives", "cs", env={**cli_env, "PAPERBOT_ARXIV_MAX_ATTEMPTS": "3"})
    assert result.returncode == 1
    assert "fetch failed, nothing was skipped; try again later" in result.stderr
    assert "HTTP 503" in result.stderr


def test_paper_shows_stored_then_looks_up_unknown(cli_env: dict[str, str], fake_arxiv: FakeArxiv) -> None:
    run_paperbot("ingest", str(QUANT_PH), env=cli_env)
    stored = run_paperbot("paper", "arXiv:2504.17830", env=cli_env)
    assert stored.returncode == 0, stored.stderr
    assert "2504.17830v1  Self-Adjoint Time Operator in a Weighted Energy Space" in stored.stdout
    assert "v1: new on 2025-04-28" in stored.stdout
    assert fake_arxiv.requests == [], "a stored paper needs no request"

    fake_arxiv.add_papers([make_paper("2505.14687", title="Looked up", comment="Code: https://github.com/o/r")])
    looked_up = run_paperbot("paper", "https://arxiv.org/abs/2505.14687v1", env=cli_env)
    assert looked_up.returncode == 0, looked_up.stderr
    assert "Looked up" in looked_up.stdout and "code:       https://github.com/o/r" in looked_up.stdout
    offline = run_paperbot("paper", "2505.14687", "--offline", env=cli_env)
    assert "Looked up" in offline.stdout, "the looked-up paper was stored"

    unknown = run_paperbot("paper", "2505.99999", env=cli_env)
    assert unknown.returncode == 1 and "no paper 2505.99999 on arXiv" in unknown.stderr
    bad = run_paperbot("paper", "not-an-id", env=cli_env)
    assert bad.returncode == 1 and "'not-an-id' is not an arXiv id" in bad.stderr


def test_bad_setting_is_named_without_its_value(cli_env: dict[str, str]) -> None:
    result = run_paperbot("fetch", env={**cli_env, "PAPERBOT_ARXIV_TIMEOUT": "soon"})
    assert result.returncode == 2
    assert "bad setting PAPERBOT_ARXIV_TIMEOUT" in result.stderr
    assert "soon" not in result.stderr


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram(max_long_poll=0.3).limits(enabled=False) as fake:
        yield fake


def test_run_polls_serves_telegram_then_stops_cleanly_on_sigterm(
    cli_env: dict[str, str], fake_arxiv: FakeArxiv, fake_telegram: FakeTelegram
) -> None:
    import select
    import signal
    import time

    fake_arxiv.serve_fixture_feed("quant-ph", QUANT_PH.name)
    env = {
        **os.environ,
        **cli_env,
        "PAPERBOT_ARXIV_ARCHIVES": "quant-ph",
        "PAPERBOT_ARXIV_MAX_ATTEMPTS": "1",
        "PAPERBOT_TELEGRAM_TOKEN": fake_telegram.token,
        "PAPERBOT_TELEGRAM_API_URL": fake_telegram.base_url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "paperbot.cli", "run"], env=env, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    seen = ""
    deadline = time.monotonic() + 60
    while "announcement of 2025-04-28 stored" not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 1.0)
        if ready:
            seen += process.stderr.readline()
    fake_telegram.push_message(1001, "/paper 2504.17830")
    deadline = time.monotonic() + 30
    while not fake_telegram.sent_messages(1001) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, rest = process.communicate(timeout=30)
    seen += rest
    assert "feed:quant-ph: announcement of 2025-04-28 stored: new 40, cross-listed 10" in seen
    assert "Self-Adjoint Time Operator" in fake_telegram.sent_messages(1001)[0].plain_text
    assert fake_telegram.token not in seen
    assert process.returncode == 0
    assert "stopped" in seen


def test_sigterm_during_a_long_backoff_stops_promptly(cli_env: dict[str, str], fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.fail_next(Fault.status_code(503, retry_after="600"))
    with FakeTelegram(max_long_poll=0.3) as fake_telegram:
        _stop_during_backoff(cli_env, fake_telegram)


def _stop_during_backoff(cli_env: dict[str, str], fake_telegram: FakeTelegram) -> None:
    import signal
    import time

    env = {
        **os.environ,
        **cli_env,
        "PAPERBOT_ARXIV_ARCHIVES": "quant-ph",
        "PAPERBOT_TELEGRAM_TOKEN": fake_telegram.token,
        "PAPERBOT_TELEGRAM_API_URL": fake_telegram.base_url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "paperbot.cli", "run"], env=env, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    line = ""
    deadline = time.monotonic() + 30
    while "retrying in" not in line and time.monotonic() < deadline:
        line = process.stderr.readline()
    assert "retrying in 600.0 s" in line
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, rest = process.communicate(timeout=20)
    assert process.returncode == 0
    assert time.monotonic() - started < 5
    assert "stopped" in rest


def test_search_prints_hits_and_query_errors_clearly(cli_env: dict[str, str]) -> None:
    run_paperbot("ingest", str(QUANT_PH), env=cli_env)
    found = run_paperbot("search", "ti:quantum cat:quant-ph", "--limit", "2", env=cli_env)
    assert found.returncode == 0, found.stderr
    lines = found.stdout.splitlines()
    assert len(lines) == 3
    assert "quantum (title)" in lines[0] and "cat:quant-ph (categories)" in lines[0]
    assert lines[-1].endswith("of 81 stored papers match ti:quantum cat:quant-ph (first 2 shown)")
    # A topic term is scored (TF-IDF in these settings), closest first, with its score.
    topical = run_paperbot(
        "search", '~"trapped ion quantum computing compiler" cat:quant-ph', "--limit", "3", env=cli_env
    )
    assert topical.returncode == 0, topical.stderr
    shown = topical.stdout.splitlines()
    assert shown[0].startswith("2504.17886  TrapSIMD")
    assert "close in meaning to 'trapped ion quantum computing compiler' (0." in shown[0]
    assert shown[-1].endswith('stored papers match ~"trapped ion quantum computing compiler" cat:quant-ph')
    broken = run_paperbot("search", 'cat:cs "unclosed', env=cli_env)
    assert broken.returncode == 1
    assert broken.stderr.strip() == 'paperbot: unclosed quote at column 8: add a closing " after the phrase'


def test_run_without_a_token_and_without_a_terminal_names_the_settings(cli_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "paperbot.cli", "run"],
        env={**os.environ, **cli_env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "PAPERBOT_TELEGRAM_TOKEN" in result.stderr and "PAPERBOT_DISCORD_TOKEN" in result.stderr


def test_run_in_a_terminal_without_a_token_opens_the_console(cli_env: dict[str, str], fake_arxiv: FakeArxiv) -> None:
    import pty
    import select
    import time

    fake_arxiv.serve_fixture_feed("quant-ph", QUANT_PH.name)
    controller, terminal = pty.openpty()
    env = {**os.environ, **cli_env, "PAPERBOT_ARXIV_ARCHIVES": "quant-ph"}
    process = subprocess.Popen(
        [sys.executable, "-m", "paperbot.cli", "run"], env=env, stdin=terminal, stdout=terminal, stderr=subprocess.PIPE
    )
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + 30

    def read_until(marker: bytes) -> None:
        nonlocal seen
        while marker not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.5)
            if ready:
                seen += os.read(controller, 65536)

    read_until(b"paperbot> ")
    os.write(controller, b"/subscribe qubit\n")
    read_until(b"Subscribed (#1): qubit")
    os.write(controller, b"/quit\n")
    process.wait(timeout=30)
    os.close(controller)
    assert b"paperbot console: type /help" in seen
    assert b"Subscribed (#1): qubit" in seen
    assert process.returncode == 0


def test_console_reads_commands_from_a_pipe(cli_env: dict[str, str]) -> None:
    run_paperbot("ingest", str(QUANT_PH), env=cli_env)
    result = subprocess.run(
        [sys.executable, "-m", "paperbot.cli", "console"],
        input="/subscribe qubit\n/list\n/paper 2504.17837\n",
        env={**os.environ, **cli_env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Subscribed (#1): qubit" in result.stdout
    assert "#1  qubit" in result.stdout
    assert "Statistical noise enhances quantumness benefits" in result.stdout
    assert "paperbot>" not in result.stdout, "no prompt when input is not a terminal"


def test_run_serves_healthz_and_metrics(
    cli_env: dict[str, str], fake_arxiv: FakeArxiv, fake_telegram: FakeTelegram
) -> None:
    import signal
    import socket
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fake_arxiv.serve_fixture_feed("quant-ph", QUANT_PH.name)
    env = {
        **os.environ,
        **cli_env,
        "PAPERBOT_ARXIV_ARCHIVES": "quant-ph",
        "PAPERBOT_TELEGRAM_TOKEN": fake_telegram.token,
        "PAPERBOT_TELEGRAM_API_URL": fake_telegram.base_url,
        "PAPERBOT_HTTP_PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "paperbot.cli", "run"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        metrics = ""
        deadline = time.monotonic() + 30
        while 'paperbot_polls_total{result="ok"} 1.0' not in metrics and time.monotonic() < deadline:
            time.sleep(0.2)
            try:
                metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.TransportError:
                continue
        assert 'paperbot_polls_total{result="ok"} 1.0' in metrics
        assert 'paperbot_papers_stored_total{announce_type="new"} 40.0' in metrics
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert health.status_code == 200 and health.json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=30)
    assert process.returncode == 0, rest
