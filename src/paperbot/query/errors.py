"""The one error a user can get from a query: what is wrong, where, and how to fix it."""

from __future__ import annotations

from paperbot.errors import PaperbotError


class QueryError(PaperbotError, ValueError):
    """A query that cannot be parsed or is out of limits.

    ``str(err)`` is one line fit to send back to the user as is; ``column`` is the
    1-based character position the message points at, or None when the problem is
    the query as a whole (empty, too long).
    """

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column

    def __str__(self) -> str:
        return self.message
