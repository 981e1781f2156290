"""What command handlers may use; built once in the app and passed in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from paperbot.arxiv.source import ArxivSource
from paperbot.clock import Clock
from paperbot.config import Settings
from paperbot.relevance.embeddings import Embeddings
from paperbot.relevance.ratings import InterestModels
from paperbot.relevance.topic import TopicScorer
from paperbot.store.chats import ChatStore
from paperbot.store.feedback import FeedbackStore
from paperbot.store.held import HeldStore
from paperbot.store.library import LibraryStore
from paperbot.store.papers import PaperStore
from paperbot.summary.service import Summarizer


@dataclass(slots=True)
class Services:
    settings: Settings
    clock: Clock
    papers: PaperStore
    chats: ChatStore
    feedback: FeedbackStore
    source: ArxivSource
    summaries: Summarizer
    embeddings: Embeddings  # paper vectors: the MiniLM model, or TF-IDF when it is missing
    interest: InterestModels  # per-chat ratings models, trained on the vectors of ``embeddings``
    library: LibraryStore
    held: HeldStore
    topics: TopicScorer  # scores topic terms (~"...", like:) over ``embeddings``
    # Set by the app once everything exists: the operator's status text (see paperbot.status).
    status_report: Callable[[], Awaitable[str]] | None = None
