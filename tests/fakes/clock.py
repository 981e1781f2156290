"""A clock that tests move by hand; ``sleep`` advances it at once and is recorded."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2025, 4, 28, 6, 0, tzinfo=UTC)
        self._monotonic = 1000.0
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._monotonic

    def sleep(self, seconds: float, wake: threading.Event | None = None) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._advance(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._advance(seconds)

    def _advance(self, seconds: float) -> None:
        if seconds > 0:
            self._monotonic += seconds
            self._now += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        with self._lock:
            self._monotonic += max(0.0, (when - self._now).total_seconds())
            self._now = when
