"""The embedding model, loaded once for the whole test session (it takes a few tenths of a second)."""

from __future__ import annotations

import pytest

from paperbot.relevance.minilm import MiniLmEmbedder


@pytest.fixture(scope="session")
def minilm() -> MiniLmEmbedder:
    return MiniLmEmbedder(threads=1)
