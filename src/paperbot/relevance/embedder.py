"""What turns text into vectors: the interface every embedding backend meets.

Vectors are float32 rows of unit length, so a dot product is the cosine similarity.
``embed`` is CPU-bound and synchronous; callers on the event loop run it in a worker
thread (``asyncio.to_thread``) so polling and chat stay responsive.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float32]


class Embedder(Protocol):
    """An embedding backend. ``name`` is stored with every vector it made."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit-length float32 row per text, in order (shape ``(len(texts), dim)``)."""
        ...


def paper_text(title: str, abstract: str) -> str:
    """The text a paper is embedded from: its title, then its abstract."""
    title = title.strip().rstrip(".")
    return f"{title}. {abstract.strip()}"
