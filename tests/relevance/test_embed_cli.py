"""``paperbot embed`` and the vectors line of ``paperbot status``, as a user runs them, on both backends."""

from __future__ import annotations

from tests.fakes.arxiv_server import FIXTURES
from tests.test_cli import QUANT_PH, cli_env, run_paperbot

__all__ = ["cli_env"]  # the fixture, used by name below

CS_AI = FIXTURES / "rssatom_cs.AI_2025-08-20_7entries.atom.xml"


def test_embed_backfills_with_tfidf_and_status_names_it(cli_env: dict[str, str]) -> None:
    assert run_paperbot("ingest", str(QUANT_PH), env=cli_env).returncode == 0

    first = run_paperbot("embed", env=cli_env)
    assert first.returncode == 0, first.stderr
    assert "81 papers embedded (tfidf-" in first.stdout
    assert "embedded 81/81 (100.0%)" in first.stderr

    again = run_paperbot("embed", env=cli_env)
    assert "0 papers embedded" in again.stdout

    status = run_paperbot("status", env=cli_env)
    fit = first.stdout.split("(")[-1].rstrip(")\n")
    assert f"vectors: TF-IDF ({fit}, 768 dimensions)" in status.stdout, "the fit the vectors were made with"
    assert "81 of 81 papers embedded" in status.stdout


def test_embed_backfills_with_the_model(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "PAPERBOT_EMBEDDING_MODEL": "minilm", "PAPERBOT_EMBEDDING_THREADS": "1"}
    assert run_paperbot("ingest", str(CS_AI), env=env).returncode == 0

    result = run_paperbot("embed", env=env)
    assert result.returncode == 0, result.stderr
    assert "vectors: minilm-l6-int8 (all-MiniLM-L6-v2, int8 ONNX, 384 dimensions)" in result.stderr
    assert "7 papers embedded (minilm-l6-int8)" in result.stdout

    status = run_paperbot("status", env=env)
    assert "7 of 7 papers embedded" in status.stdout
