"""Our own send rates per platform, so that a bulk send never meets a 429.

Sliding windows on our clock: for each key (the platform, or one chat) at most
``count`` sends in any ``seconds``. ``wait`` sleeps (through the injected sleep, so
tests move a fake clock instead) until every window the send falls in has room.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from paperbot.clock import Clock
from paperbot.config import Settings
from paperbot.store.models import Platform, RecipientKind

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Window:
    count: int
    seconds: float


def _drop_newest(times: deque[float], granted: float) -> None:
    """Remove one ``granted`` from the sorted ``times``, if it is still in the window.

    Searched from the newest end: only the sends counted since this one started lie
    after it, a handful, where ``deque.remove`` would walk the whole window (a second's
    worth of sends, thousands at full speed) for every send.
    """
    for back, value in enumerate(reversed(times)):
        if value == granted:
            del times[-1 - back]
            return
        if value < granted:
            return  # sorted: it left the window already


class Pacer:
    def __init__(self, clock: Clock, sleep: Sleep, windows: dict[tuple[Platform, str], Window]) -> None:
        self._clock = clock
        self._sleep = sleep
        self._windows = windows
        self._sent: dict[tuple[Platform, str, str], deque[float]] = {}

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock, sleep: Sleep) -> Pacer:
        def per_second(rate: float) -> Window:
            # 30/s becomes 30 in any 1 s window; 0.5/s becomes 1 in any 2 s.
            return Window(max(1, int(rate)), max(1.0, 1.0 / rate) if rate < 1 else 1.0)

        return cls(
            clock,
            sleep,
            {
                (Platform.TELEGRAM, "all"): per_second(settings.telegram_rate_global),
                (Platform.TELEGRAM, "private"): per_second(settings.telegram_rate_chat),
                (Platform.TELEGRAM, "group"): Window(max(1, int(settings.telegram_rate_group_per_minute)), 60.0),
                (Platform.DISCORD, "all"): per_second(settings.discord_rate_global),
                (Platform.DISCORD, "private"): Window(max(1, int(settings.discord_rate_channel_per_5s)), 5.0),
                (Platform.DISCORD, "group"): Window(max(1, int(settings.discord_rate_channel_per_5s)), 5.0),
            },
        )

    def _keys(self, platform: Platform, chat_id: str, kind: RecipientKind) -> list[tuple[Platform, str, str]]:
        scope = "private" if kind is RecipientKind.PRIVATE else "group"
        keys = []
        if (platform, "all") in self._windows:
            keys.append((platform, "all", ""))
        if (platform, scope) in self._windows:
            keys.append((platform, scope, chat_id))
        return keys

    def _delay(self, keys: list[tuple[Platform, str, str]], now: float) -> float:
        delay = 0.0
        for key in keys:
            window = self._windows[(key[0], key[1])]
            times = self._sent.setdefault(key, deque())
            while times and times[0] <= now - window.seconds:
                times.popleft()
            if len(times) >= window.count:
                delay = max(delay, times[0] + window.seconds - now)
        return delay

    async def wait(self, platform: Platform, chat_id: str, kind: RecipientKind) -> float:
        """Wait for room in every window of this send, then count it; returns the time waited."""
        waited, _ = await self._acquire(self._keys(platform, chat_id, kind))
        return waited

    @asynccontextmanager
    async def sending(self, platform: Platform, chat_id: str, kind: RecipientKind) -> AsyncIterator[None]:
        """``wait``, then count the send from the moment it is over rather than from its start.

        The platform counts a message when it arrives, somewhere between our start and its
        answer. Windows kept on start times open a little before the platform's do, and
        network jitter then turns the 31st message of a second into a 429. Counted from the
        answer, our window never opens before the platform's.
        """
        keys = self._keys(platform, chat_id, kind)
        _, granted = await self._acquire(keys)
        try:
            yield
        finally:
            now = self._clock.monotonic()
            for key in keys:
                times = self._sent.get(key)
                if times is None:
                    continue
                _drop_newest(times, granted)
                times.append(now)  # every time in the deque is <= now: it stays sorted

    async def _acquire(self, keys: list[tuple[Platform, str, str]]) -> tuple[float, float]:
        waited = 0.0
        while (delay := self._delay(keys, self._clock.monotonic())) > 0:
            await self._sleep(delay)
            waited += delay
        now = self._clock.monotonic()
        for key in keys:
            self._sent.setdefault(key, deque()).append(now)
        return waited, now

    def forget_idle(self) -> None:
        """Drop the windows of chats that have not been written to lately (memory stays flat)."""
        now = self._clock.monotonic()
        for key in [k for k, times in self._sent.items() if not times or times[-1] < now - 120]:
            del self._sent[key]
