"""Platform-neutral chat commands: text and button presses in, ``Reply`` out.

Adapters (console, Telegram, Discord) build an ``Invocation`` from their update,
call ``CommandBot``, and render what comes back. No adapter decides anything here.
"""

from paperbot.commands.base import Action, ActionResult, Command, Context
from paperbot.commands.bot import CommandBot
from paperbot.commands.context import Invocation

__all__ = ["Action", "ActionResult", "Command", "CommandBot", "Context", "Invocation"]
