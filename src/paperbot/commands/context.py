"""Who asked, where: what an adapter tells the command layer about an update."""

from __future__ import annotations

from dataclasses import dataclass

from paperbot.store.models import Platform, RecipientKind

MAX_ATTACHMENT_BYTES = 5_000_000  # a library of thousands of entries; bigger files are refused unread
TOO_LARGE = f"That file is over {MAX_ATTACHMENT_BYTES // 1_000_000} MB; send a smaller export (or several)."


def attachment_text(data: bytes) -> str:
    """A downloaded file as text: UTF-8 (a byte-order mark dropped), undecodable bytes replaced."""
    return data.decode("utf-8-sig", errors="replace")


@dataclass(frozen=True, slots=True)
class Invocation:
    """One command or button press.

    ``user_is_admin`` is the platform's answer to "may this user change this chat's
    subscriptions": always True in a private chat, the chat administrators in a group
    or channel (Discord: Manage Server). The adapter asks the platform; we only read it.
    ``attachment`` is what an adapter downloaded, decoded as text (``/import`` reads it).
    """

    platform: Platform
    chat_id: str
    chat_kind: RecipientKind
    user_id: str
    user_name: str = ""
    chat_title: str | None = None
    user_is_admin: bool = True
    # The text of a file sent with the command (a Telegram document, a Discord attachment).
    attachment: str | None = None

    @property
    def is_private(self) -> bool:
        return self.chat_kind is RecipientKind.PRIVATE
