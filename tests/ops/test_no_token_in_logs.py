"""A representative run of the ``paperbot`` command, logging at DEBUG, prints no token.

Run as a user would, in a subprocess from an empty folder, with every secret set: the
logging set-up, the settings and the error paths are all the real ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.arxiv_server import FIXTURES

TELEGRAM = "123456789:AAH-no-token-in-logs_telegram"
DISCORD = "MTA5.no-token-in-logs.discord-token"
LLM = "sk-no-token-in-logs-llm-key-0123"
SECRETS = (TELEGRAM, DISCORD, LLM)
QUANT_PH = FIXTURES / "rss_quant-ph_2025-04-28_81items.rss.xml"


def run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "paperbot.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_run_at_debug_prints_no_token(tmp_path: Path, log_format: str) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("PAPERBOT_")}
    env.update(
        {
            "PAPERBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'paperbot.db'}",
            "PAPERBOT_TELEGRAM_TOKEN": TELEGRAM,
            "PAPERBOT_DISCORD_TOKEN": DISCORD,
            "PAPERBOT_LLM_API_KEY": LLM,
            "PAPERBOT_LOG_LEVEL": "DEBUG",
            "PAPERBOT_LOG_FORMAT": log_format,
        }
    )
    runs = [
        run("ingest", str(QUANT_PH), env=env, cwd=tmp_path),
        run("paper", "2504.17830", "--offline", env=env, cwd=tmp_path),
        run("paper", "2504.99999", "--offline", env=env, cwd=tmp_path),
        run("status", env=env, cwd=tmp_path),
    ]
    assert [result.returncode for result in runs] == [0, 0, 1, 0], [result.stderr for result in runs]
    assert "Self-Adjoint Time Operator in a Weighted Energy Space" in runs[1].stdout
    stderr = "".join(result.stderr for result in runs)
    for result in runs:
        for secret in SECRETS:
            assert secret not in result.stdout
            assert secret not in result.stderr
    log_lines = [line for line in stderr.splitlines() if line.startswith("{") or " DEBUG " in line]
    assert log_lines, "logging at DEBUG happened (else this test proves nothing)"
    if log_format == "json":
        levels = {json.loads(line)["level"] for line in log_lines}
        assert "DEBUG" in levels
