"""The chat-completions client against a local fake endpoint: request, answer checks, faults."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from paperbot.config import Settings
from paperbot.summary.llm import (
    ChatCompletionsClient,
    LlmConfig,
    SummaryModelError,
    build_messages,
    language_name,
    parse_answer,
)
from tests.fakes.llm_server import FakeChatCompletions, LlmFault
from tests.fakes.papers import make_paper

KEY = "sk-test-secret-key-4242"
PAPER = make_paper(
    "2504.17886",
    title=r"TrapSIMD: SIMD-Aware Compiler Optimization for $2$D Trapped-Ion Machines",
    abstract=r"We present FluxTrap. It reduces execution time by up to $3.82 \times$ on NISQ benchmarks.",
)


def config(server: FakeChatCompletions, *, key: str | None = KEY, timeout: float = 5.0) -> LlmConfig:
    return LlmConfig(
        base_url=server.base_url, model="tiny-model", api_key=SecretStr(key) if key else None, timeout=timeout
    )


def completion(content: object, *, finish_reason: str = "stop") -> bytes:
    message = {"role": "assistant", "content": content}
    return json.dumps({"choices": [{"index": 0, "message": message, "finish_reason": finish_reason}]}).encode()


async def test_one_request_with_the_prompt_the_model_and_the_key_in_the_header(
    fake_llm: FakeChatCompletions,
) -> None:
    fake_llm.answer("FluxTrap compiles for trapped ions and cuts execution time by up to 3.82×.")
    async with ChatCompletionsClient(config(fake_llm)) as client:
        text = await client.summarize(PAPER, "de", limit=280)
    assert text == "FluxTrap compiles for trapped ions and cuts execution time by up to 3.82×."
    [request] = fake_llm.requests
    assert request.path == "/v1/chat/completions"
    assert request.header("Authorization") == f"Bearer {KEY}"
    assert request.body["model"] == "tiny-model"
    assert request.body["max_tokens"] == 200
    assert request.body["stream"] is False
    assert "German" in request.system and "280 characters" in request.system
    # The model sees plain text, not LaTeX.
    assert "3.82×" in request.prompt and "\\times" not in request.prompt
    assert "Title: TrapSIMD: SIMD-Aware Compiler Optimization for 2D Trapped-Ion Machines" in request.prompt
    assert KEY not in json.dumps(request.body)


async def test_no_key_no_authorization_header(fake_llm: FakeChatCompletions) -> None:
    async with ChatCompletionsClient(config(fake_llm, key=None)) as client:
        await client.summarize(PAPER, "en")
    assert fake_llm.requests[0].header("Authorization") is None


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (LlmFault.status_code(500), "http"),
        (LlmFault.status_code(429, retry_after="30"), "http"),
        (LlmFault.malformed_json(), "malformed"),
        (LlmFault.not_an_object(), "malformed"),
        (LlmFault.no_content(), "malformed"),
        (LlmFault.empty_choices(), "empty"),
        (LlmFault.blank_answer(), "empty"),
        (LlmFault.too_long(600), "too_long"),
        (LlmFault.cut_off(), "too_long"),
    ],
)
async def test_every_unusable_answer_is_an_error_with_its_reason(
    fake_llm: FakeChatCompletions, fault: LlmFault, reason: str
) -> None:
    fake_llm.fail_next(fault)
    async with ChatCompletionsClient(config(fake_llm)) as client:
        with pytest.raises(SummaryModelError) as caught:
            await client.summarize(PAPER, "en", limit=280)
    assert caught.value.reason == reason
    assert KEY not in str(caught.value)


async def test_a_slow_model_times_out(fake_llm: FakeChatCompletions) -> None:
    fake_llm.fail_next(LlmFault.slow(2.0))
    async with ChatCompletionsClient(config(fake_llm, timeout=0.2)) as client:
        with pytest.raises(SummaryModelError) as caught:
            await client.summarize(PAPER, "en")
    assert caught.value.reason == "timeout"


async def test_an_unreachable_endpoint_is_a_connection_error() -> None:
    unreachable = LlmConfig(base_url="http://127.0.0.1:9/v1", model="m", api_key=SecretStr(KEY), timeout=2.0)
    async with ChatCompletionsClient(unreachable) as client:
        with pytest.raises(SummaryModelError) as caught:
            await client.summarize(PAPER, "en")
    assert caught.value.reason == "connection"
    assert KEY not in str(caught.value)


def test_answers_are_checked_strictly() -> None:
    assert parse_answer(completion("We propose X; it is 2× faster."), limit=280) == "We propose X; it is 2× faster."
    # What models add although asked not to: a label, wrapping quotes, line breaks.
    assert parse_answer(completion('TL;DR: "We propose X.\nIt works."'), limit=280) == "We propose X. It works."
    assert parse_answer(completion("**Summary:** Wir schlagen X vor."), limit=280) == "Wir schlagen X vor."
    with pytest.raises(SummaryModelError, match="not JSON"):
        parse_answer(b"<html>502 Bad Gateway</html>", limit=280)
    with pytest.raises(SummaryModelError, match="not a string"):
        parse_answer(completion(["We", "propose"]), limit=280)
    with pytest.raises(SummaryModelError, match="'choices'"):
        parse_answer(b'{"error": {"message": "model not found"}}', limit=280)
    with pytest.raises(SummaryModelError, match="more than 40"):
        parse_answer(completion("We propose a method that is described in far too many words."), limit=40)
    with pytest.raises(SummaryModelError, match="ran out of tokens"):
        parse_answer(completion("We propose a", finish_reason="length"), limit=280)


def test_the_prompt_asks_for_the_language_by_name() -> None:
    system, user = build_messages(PAPER, "pt-BR", limit=200)
    assert "in Portuguese" in system["content"] and "at most 200 characters" in system["content"]
    assert user["role"] == "user" and user["content"].startswith("Title: ")
    assert language_name("de") == "German"
    assert language_name("tlh") == "the language with code 'tlh'"


def test_config_from_settings_only_when_url_and_model_are_set() -> None:
    assert LlmConfig.from_settings(Settings(_env_file=None)) is None  # type: ignore[call-arg]
    assert LlmConfig.from_settings(Settings(_env_file=None, llm_base_url="http://x/v1")) is None  # type: ignore[call-arg]
    configured = LlmConfig.from_settings(
        Settings(  # type: ignore[call-arg]
            _env_file=None,
            llm_base_url="http://localhost:11434/v1/",
            llm_model="llama3.2",
            llm_api_key=SecretStr(KEY),
            llm_timeout=7.5,
            llm_max_tokens=120,
        )
    )
    assert configured is not None
    assert configured.endpoint == "http://localhost:11434/v1/chat/completions"
    assert (configured.model, configured.timeout, configured.max_tokens) == ("llama3.2", 7.5, 120)
    assert KEY not in repr(configured)
