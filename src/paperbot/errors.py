"""One exception family per integration, all under ``PaperbotError``.

Callers catch the family they can act on (retry a ``TransientSourceError``, show a
``QueryError`` to the user) and let the rest surface with a clear message.
"""

from __future__ import annotations


class PaperbotError(Exception):
    """Anything paperbot itself reports; ``str()`` is a message fit for a person."""


class ConfigError(PaperbotError):
    """A setting is missing or inconsistent."""


class StorageError(PaperbotError):
    """The database could not be reached or migrated."""


class SourceError(PaperbotError):
    """Talking to arXiv (feeds or query API) failed."""


class TransientSourceError(SourceError):
    """A failure that may pass: 429, 5xx, a dropped connection, a cut-off or empty page.

    ``retry_after`` carries the server's Retry-After, in seconds, when it sent one.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SourceUnavailableError(SourceError):
    """Transient failures went on past the retry budget; the caller tries again later."""


class ArxivRequestError(SourceError):
    """arXiv rejected the request itself (HTTP 4xx other than 429); retrying cannot help."""


class FeedParseError(SourceError):
    """A document that is well-formed XML but not an arXiv feed or API response."""


class UnknownPaperError(PaperbotError):
    """No paper has this id, neither stored nor on arXiv."""


class InvalidArxivIdError(PaperbotError, ValueError):
    """Text that is not an arXiv identifier or abs/pdf URL."""


class DeliveryError(PaperbotError):
    """Sending to a chat failed in a way that may pass (network trouble, a server error)."""


class RecipientUnavailable(DeliveryError):
    """The platform says we may not write to this chat (blocked, kicked, deleted): permanent."""


class RateLimited(DeliveryError):
    """The platform asked us to wait ``retry_after`` seconds before sending again."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
