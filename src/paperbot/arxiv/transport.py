"""Polite HTTP to arXiv: one request at a time, spaced, timed out, retried with backoff.

arXiv asks for at most one request every three seconds and one connection at a time
across its API and feeds. Every arXiv request of the process goes through the one
``ArxivTransport`` built at start, so that rule holds however many tasks ask at once.
All of this is blocking code (``requests``, which the ``arxiv`` package also uses); it
runs in worker threads, never on the event loop.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import requests

from paperbot import __version__
from paperbot.arxiv.api_xml import api_error_message
from paperbot.clock import Clock
from paperbot.errors import ArxivRequestError, SourceUnavailableError, TransientSourceError

log = logging.getLogger(__name__)

USER_AGENT = f"paperbot/{__version__} (+https://github.com/paperbot-dev/paperbot)"
_RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter: ``base * 2**n``, capped, scaled by 0.5 to 1."""

    max_attempts: int = 6
    base: float = 5.0
    cap: float = 300.0

    def delay(self, failures: int, rng: random.Random, retry_after: float | None) -> float:
        backoff: float = min(self.cap, self.base * 2 ** (failures - 1)) * rng.uniform(0.5, 1.0)
        if retry_after is not None:
            # The server's word wins when it asks for longer; never retry sooner than told.
            return max(retry_after, backoff)
        return backoff


class RequestGate:
    """At most one request in flight, and ``interval`` seconds from one's end to the next's start."""

    def __init__(self, interval: float, clock: Clock, wake: threading.Event) -> None:
        self._interval = interval
        self._clock = clock
        self._wake = wake
        self._lock = threading.Lock()
        self._last_end: float | None = None

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._lock:
            if self._last_end is not None:
                wait = self._last_end + self._interval - self._clock.monotonic()
                if wait > 0:
                    self._clock.sleep(wait, self._wake)
            if self._wake.is_set():
                raise SourceUnavailableError("not sending to arXiv: paperbot is shutting down")
            try:
                yield
            finally:
                self._last_end = self._clock.monotonic()


def _retry_after_seconds(headers: Mapping[str, str], clock: Clock) -> float | None:
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - clock.now()).total_seconds())
    except (TypeError, ValueError):
        return None


class ArxivTransport:
    """The process's single way to arXiv; see the module docstring."""

    def __init__(
        self,
        *,
        clock: Clock,
        interval: float = 3.0,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.clock = clock
        self.timeout = timeout
        self.retry_policy = retry or RetryPolicy()
        # Set by close(): ends waits and backoffs at once so that shutdown is prompt.
        self._closing = threading.Event()
        self._gate = RequestGate(interval, clock, self._closing)
        self._rng = rng or random.Random()
        self._session = requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT

    def close(self) -> None:
        """Stop: pending waits end, new requests fail fast, the connection pool closes."""
        self._closing.set()
        self._session.close()

    def send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One paced attempt; a response other than 2xx becomes an exception.

        Retryable statuses (429, 5xx) and connection trouble raise
        ``TransientSourceError``; other 4xx raise ``ArxivRequestError``.
        """
        kwargs.setdefault("timeout", self.timeout)
        with self._gate.slot():
            try:
                response = self._session.request(method, url, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as err:
                raise TransientSourceError(f"could not reach {_host(url)}: {type(err).__name__}") from err
            except requests.RequestException as err:
                raise TransientSourceError(f"request to {_host(url)} failed: {err}") from err
        if response.status_code in _RETRYABLE_STATUS:
            raise TransientSourceError(
                f"{_host(url)} answered HTTP {response.status_code}",
                retry_after=_retry_after_seconds(response.headers, self.clock),
            )
        if response.status_code >= 400:
            raise ArxivRequestError(
                f"{_host(url)} refused the request with HTTP {response.status_code}: {_error_summary(response.content)}"
            )
        return response

    def get_bytes(self, url: str) -> bytes:
        """The body of one GET (or of a ``file://`` URL, read without the network)."""
        if url.startswith("file:"):
            return _read_file_url(url)
        return self.send("GET", url).content

    def with_retries(self, attempt: Callable[[], T], *, what: str) -> T:
        """Run ``attempt`` until it succeeds, backing off on ``TransientSourceError``.

        After the last attempt the failure is raised as ``SourceUnavailableError`` so
        the caller never mistakes an outage for "nothing new".
        """
        policy = self.retry_policy
        for failures in range(1, policy.max_attempts + 1):
            try:
                return attempt()
            except TransientSourceError as err:
                if failures == policy.max_attempts:
                    raise SourceUnavailableError(
                        f"{what}: gave up after {failures} attempts; last error: {err}"
                    ) from err
                delay = policy.delay(failures, self._rng, err.retry_after)
                log.warning(
                    "%s failed (attempt %d of %d: %s); retrying in %.1f s",
                    what,
                    failures,
                    policy.max_attempts,
                    err,
                    delay,
                )
                self.clock.sleep(delay, self._closing)
                if self._closing.is_set():
                    raise SourceUnavailableError(f"{what}: abandoned, paperbot is shutting down") from err
        raise AssertionError("unreachable: the loop returns or raises")


class GatedSession(requests.Session):
    """A ``requests.Session`` for the ``arxiv`` package that routes through our transport.

    The package paces and retries on its own, without backoff or timeout; we switch that
    off (``delay_seconds=0``, ``num_retries=0``) and hand it this session instead. ``check``
    validates each body so that a cut-off or empty page surfaces as a retryable error
    rather than as a short result list.
    """

    def __init__(self, transport: ArxivTransport, check: Callable[[bytes], None]) -> None:
        super().__init__()
        self._transport = transport
        self._check = check

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if args:
            raise TypeError("GatedSession takes keyword arguments only")
        method_text = method.decode() if isinstance(method, bytes) else method
        url_text = url.decode() if isinstance(url, bytes) else url
        response = self._transport.send(method_text, url_text, **kwargs)
        self._check(response.content)
        return response


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _read_file_url(url: str) -> bytes:
    path = Path(unquote(urlsplit(url).path))
    try:
        return path.read_bytes()
    except OSError as err:
        raise ArxivRequestError(f"cannot read recorded feed {path}: {err.strerror}") from err


def _error_summary(content: bytes) -> str:
    return api_error_message(content) or "no explanation given"
