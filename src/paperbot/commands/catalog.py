"""Every command and button of the bot, in the order /help lists them."""

from __future__ import annotations

from paperbot.commands import chat_settings, general, lookup, preview, related_terms, relevance, subscriptions
from paperbot.commands.base import Action, Command
from paperbot.commands.bot import CommandBot
from paperbot.commands.services import Services

ALL_COMMANDS: list[Command] = [
    *general.COMMANDS[:2],
    *subscriptions.COMMANDS,
    *related_terms.COMMANDS,
    *preview.COMMANDS,
    *chat_settings.COMMANDS,
    *lookup.COMMANDS,
    *relevance.COMMANDS,
    *general.COMMANDS[2:],
]
ALL_ACTIONS: list[Action] = [
    *subscriptions.ACTIONS,
    *related_terms.ACTIONS,
    *lookup.ACTIONS,
    *relevance.ACTIONS,
    *general.ACTIONS,
]


def build_command_bot(services: Services) -> CommandBot:
    return CommandBot(services, ALL_COMMANDS, ALL_ACTIONS)
