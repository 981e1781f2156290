"""What the bot says, before any platform shapes it: replies, paper cards, buttons.

Command handlers and the digest builder produce these; each chat adapter renders them
(Telegram HTML, Discord embeds, plain text in the console). Text may carry two marks,
``**bold**`` and ```code```; renderers escape everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

MAX_ACTION_BYTES = 64  # Telegram's callback_data limit; Discord's custom_id allows 100.


@dataclass(frozen=True, slots=True)
class Button:
    """A button: an action the bot handles (``action``), or a link (``url``).

    ``command`` is the same action typed as text, for front ends without buttons
    (the console prints it as a hint).
    """

    label: str
    action: str | None = None
    url: str | None = None
    command: str | None = None

    def __post_init__(self) -> None:
        if (self.action is None) == (self.url is None):
            raise ValueError("a button has either an action or a url")
        if self.action is not None and len(self.action.encode()) > MAX_ACTION_BYTES:
            raise ValueError(f"button action {self.action!r} is over {MAX_ACTION_BYTES} bytes")


@dataclass(frozen=True, slots=True)
class Card:
    """One paper as a notification shows it.

    ``why`` lists what matched (``"sparse autoencoder" in title``); ``highlight`` the
    words to emphasise. ``notice`` is set for a one-line revision notice instead of a
    full card.
    """

    arxiv_id: str
    version: int
    title: str
    authors: tuple[str, ...]
    primary_category: str
    announced: date | None
    summary: str
    abs_url: str
    pdf_url: str
    code_url: str | None = None
    comment: str | None = None
    venue: str | None = None
    abstract: str | None = None
    why: tuple[str, ...] = ()
    highlight: tuple[str, ...] = ()
    subscription_ids: tuple[int, ...] = ()
    notice: str | None = None
    # How much the chat's ratings model thinks the chat wants the paper (0..1); None without one.
    interest: float | None = None

    @property
    def authors_short(self) -> str:
        """The first three authors, then "et al."."""
        if len(self.authors) <= 3:
            return ", ".join(self.authors)
        return ", ".join(self.authors[:3]) + " et al."


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply to a command: text, then cards, then rows of buttons under the text."""

    text: str = ""
    cards: tuple[Card, ...] = ()
    buttons: tuple[tuple[Button, ...], ...] = ()
