"""Fixtures for the query tests: real papers from shared/fixtures/arxiv."""

from __future__ import annotations

import pytest

from paperbot.domain import Paper

from .arxiv_fixtures import FIXTURES, load_papers

_CACHE: list[Paper] = []


def real_papers() -> list[Paper]:
    """All fixture papers, loaded once per test session."""
    if not _CACHE:
        _CACHE.extend(load_papers())
    return _CACHE


@pytest.fixture(scope="session")
def papers() -> list[Paper]:
    loaded = real_papers()
    if not loaded:
        pytest.fail(f"no fixture papers found in {FIXTURES}")
    return loaded
