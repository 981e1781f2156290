"""A TL;DR from a language model behind any OpenAI-compatible chat-completions endpoint.

OpenAI, a local Ollama (``http://localhost:11434/v1``), vLLM and llama.cpp's server all
answer ``POST {base_url}/chat/completions``. This client sends one request per summary,
checks the answer strictly and raises ``SummaryModelError`` for anything it would not
put on a card: the caller then uses the offline summary. The API key travels only in
the ``Authorization`` header; it is never logged, and no error message contains it.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self

import httpx
from pydantic import SecretStr

from paperbot.config import Settings
from paperbot.domain import Paper
from paperbot.errors import PaperbotError
from paperbot.summary.extractive import clean_text

FailureReason = Literal["timeout", "connection", "http", "malformed", "empty", "too_long"]

# Enough for a well-written abstract; longer ones are cut at a sentence so the prompt stays small.
_MAX_ABSTRACT_CHARS = 4000
_LANGUAGES = {
    "ar": "Arabic",
    "bg": "Bulgarian",
    "ca": "Catalan",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "hr": "Croatian",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sr": "Serbian",
    "sv": "Swedish",
    "th": "Thai",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "vi": "Vietnamese",
    "zh": "Chinese",
}
# Labels models put in front of an answer although asked not to.
_LABEL = re.compile(
    r"^\s*(?:\*\*)?(?:tl;?\s?dr|summary|zusammenfassung|résumé|resumen)(?:\*\*)?\s*[:：-]\s*(?:\*\*)?\s*", re.I
)
_WRAPPING_QUOTES = (('"', '"'), ("“", "”"), ("'", "'"), ("«", "»"), ("„", "“"))


class SummaryModelError(PaperbotError):
    """The model gave no usable summary; ``reason`` says why (for the failure counters)."""

    def __init__(self, reason: FailureReason, message: str) -> None:
        super().__init__(message)
        self.reason: FailureReason = reason


def language_name(code: str) -> str:
    """ "de" -> "German"; a code we do not know is passed on as it is (models know most)."""
    base = code.split("-", 1)[0].lower()
    return _LANGUAGES.get(base, f"the language with code {code!r}")


@dataclass(frozen=True, slots=True)
class LlmConfig:
    """Where and how to ask; build it with ``from_settings``."""

    base_url: str
    model: str
    api_key: SecretStr | None = None
    timeout: float = 30.0
    max_tokens: int = 200
    temperature: float = 0.2

    @classmethod
    def from_settings(cls, settings: Settings) -> LlmConfig | None:
        """None unless both a base URL and a model are configured: the LLM is optional."""
        if not settings.llm_base_url or not settings.llm_model:
            return None
        return cls(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout,
            max_tokens=settings.llm_max_tokens,
        )

    @property
    def endpoint(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"


def build_messages(paper: Paper, language: str, *, limit: int) -> list[dict[str, str]]:
    """The prompt: what a five-second reader needs, in ``language``, in at most ``limit`` characters."""
    name = language_name(language)
    system = (
        "You write TL;DRs of new research papers for researchers who decide in five seconds whether "
        "to open a paper. Reply with the TL;DR only: one or two plain sentences, at most "
        f"{limit} characters, in {name}. Say what the paper contributes and its strongest concrete "
        "result; keep numbers, units and names exactly as in the abstract. No preamble, no label, no "
        "quotation marks, no markdown, no links, no hashtags, no emoji."
    )
    abstract = clean_text(paper.abstract)
    if len(abstract) > _MAX_ABSTRACT_CHARS:
        cut = abstract.rfind(". ", 0, _MAX_ABSTRACT_CHARS)
        abstract = abstract[: cut + 1 if cut > 0 else _MAX_ABSTRACT_CHARS]
    user = f"Title: {clean_text(paper.title)}\n\nAbstract: {abstract}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def parse_answer(payload: bytes, *, limit: int) -> str:
    """The summary in a chat-completions response body, or ``SummaryModelError``.

    Strict on shape (an object with ``choices[0].message.content`` a string) and on
    content: empty, cut off by the token limit, or longer than ``limit`` is refused
    rather than trimmed, because a trimmed model sentence may no longer be true.
    """
    try:
        data: Any = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SummaryModelError("malformed", f"the answer is not JSON ({err.__class__.__name__})") from err
    if not isinstance(data, dict):
        raise SummaryModelError("malformed", "the answer is not a JSON object")
    choices = data.get("choices")
    if not isinstance(choices, list):
        raise SummaryModelError("malformed", "the answer has no 'choices' list")
    if not choices:
        raise SummaryModelError("empty", "the answer has no choices")
    choice = choices[0]
    message = choice.get("message") if isinstance(choice, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if content is None:
        raise SummaryModelError("malformed", "the first choice has no message content")
    if not isinstance(content, str):
        raise SummaryModelError("malformed", "the message content is not a string")
    text = _normalise(content)
    if not text:
        raise SummaryModelError("empty", "the model answered with an empty summary")
    if isinstance(choice, dict) and choice.get("finish_reason") == "length":
        raise SummaryModelError("too_long", "the model ran out of tokens before finishing the summary")
    if len(text) > limit:
        raise SummaryModelError("too_long", f"the summary has {len(text)} characters, more than {limit}")
    return text


def _normalise(content: str) -> str:
    text = " ".join(content.split())
    text = _LABEL.sub("", text, count=1)
    for opening, closing in _WRAPPING_QUOTES:
        if len(text) > 2 and text.startswith(opening) and text.endswith(closing):
            text = text[1:-1].strip()
    return text


class ChatCompletionsClient:
    """Asks the configured model for one TL;DR at a time; safe to share between tasks."""

    def __init__(self, config: LlmConfig, *, http: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self._own_http = http is None
        self._http = http or httpx.AsyncClient()

    @property
    def name(self) -> str:
        """The model's name, stored with each summary it writes."""
        return self.config.model

    async def summarize(self, paper: Paper, language: str, *, limit: int = 280) -> str:
        """One or two sentences about ``paper`` in ``language``; raises ``SummaryModelError``."""
        body = {
            "model": self.config.model,
            "messages": build_messages(paper, language, limit=limit),
            "max_tokens": self.config.max_tokens,
            "temperature": self.config.temperature,
            "stream": False,
        }
        headers = {"Accept": "application/json"}
        if self.config.api_key is not None and self.config.api_key.get_secret_value():
            headers["Authorization"] = f"Bearer {self.config.api_key.get_secret_value()}"
        try:
            # httpx's timeout applies to each read; a server that trickles bytes could
            # exceed it many times over, so the whole exchange has a deadline too.
            async with asyncio.timeout(self.config.timeout):
                response = await self._http.post(
                    self.config.endpoint, json=body, headers=headers, timeout=self.config.timeout
                )
        except (TimeoutError, httpx.TimeoutException) as err:
            raise SummaryModelError("timeout", f"no answer within {self.config.timeout:g} s") from err
        except httpx.HTTPError as err:
            # The class name only: some transports put the request (headers included) in str(err).
            raise SummaryModelError("connection", f"could not reach the model ({err.__class__.__name__})") from err
        if response.status_code != httpx.codes.OK:
            raise SummaryModelError("http", f"the model endpoint answered HTTP {response.status_code}")
        return parse_answer(response.content, limit=limit)

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
