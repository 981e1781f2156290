"""Summaries for cards and digests: an offline TL;DR by default, a language model's when configured.

``Summarizer`` is what cards and digests call; ``tldr`` and ``facts_of`` are the
offline parts, pure functions usable anywhere.
"""

from paperbot.summary.extractive import clean_text, tldr
from paperbot.summary.facts import PaperFacts, facts_of, venue_of
from paperbot.summary.llm import ChatCompletionsClient, LlmConfig, SummaryModelError
from paperbot.summary.service import Summarizer, Summary, SummaryKind, SummaryModel, offline_summary

__all__ = [
    "ChatCompletionsClient",
    "LlmConfig",
    "PaperFacts",
    "Summarizer",
    "Summary",
    "SummaryKind",
    "SummaryModel",
    "SummaryModelError",
    "clean_text",
    "facts_of",
    "offline_summary",
    "tldr",
    "venue_of",
]
