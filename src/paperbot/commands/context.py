"""Who asked, where: what an adapter tells the command layer about an update."""

from __future__ import annotations

from dataclasses import dataclass

from paperbot.store.models import Platform, RecipientKind


@dataclass(frozen=True, slots=True)
class Invocation:
    """One command or button press.

    ``user_is_admin`` is the platform's answer to "may this user change this chat's
    subscriptions": always True in a private chat, the chat administrators in a group
    or channel (Discord: Manage Server). The adapter asks the platform; we only read it.
    """

    platform: Platform
    chat_id: str
    chat_kind: RecipientKind
    user_id: str
    user_name: str = ""
    chat_title: str | None = None
    user_is_admin: bool = True

    @property
    def is_private(self) -> bool:
        return self.chat_kind is RecipientKind.PRIVATE
