"""A local OpenAI-compatible chat-completions endpoint on 127.0.0.1, with faults on demand.

Build one with the builder methods, start it, point ``llm_base_url`` at ``base_url``::

    with FakeChatCompletions().answer("We propose X.").fail_next(LlmFault.slow(2.0)) as llm:
        ...

It answers ``POST /v1/chat/completions`` the way OpenAI, Ollama and vLLM do, and records
every request (headers and parsed body), so tests can check the Authorization header,
the prompt, and how many requests were in flight at once.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

Answer = Callable[["SeenRequest"], str]
# (status, body, extra headers)
_Response = tuple[int, bytes, dict[str, str]]


@dataclass(frozen=True, slots=True)
class LlmFault:
    """One misbehaviour, applied to the next request (or to every request, see ``always``)."""

    kind: str
    status: int = 200
    delay: float = 0.0
    retry_after: str | None = None
    length: int = 0

    @classmethod
    def status_code(cls, status: int, *, retry_after: str | None = None) -> LlmFault:
        """An error status (500, 429 ...) with an OpenAI-style JSON error body."""
        return cls("status", status=status, retry_after=retry_after)

    @classmethod
    def slow(cls, delay: float) -> LlmFault:
        """The normal answer, after ``delay`` seconds."""
        return cls("slow", delay=delay)

    @classmethod
    def malformed_json(cls) -> LlmFault:
        return cls("malformed")

    @classmethod
    def not_an_object(cls) -> LlmFault:
        """Valid JSON of the wrong shape (a list)."""
        return cls("list")

    @classmethod
    def empty_choices(cls) -> LlmFault:
        return cls("empty_choices")

    @classmethod
    def no_content(cls) -> LlmFault:
        """A choice whose message has no ``content`` (as with a tool call)."""
        return cls("no_content")

    @classmethod
    def blank_answer(cls) -> LlmFault:
        return cls("blank")

    @classmethod
    def too_long(cls, length: int = 600) -> LlmFault:
        """A summary of ``length`` characters, far over any card's limit."""
        return cls("too_long", length=length)

    @classmethod
    def cut_off(cls) -> LlmFault:
        """``finish_reason: length``: the model ran out of tokens mid-sentence."""
        return cls("cut_off")


@dataclass(frozen=True, slots=True)
class SeenRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    arrived: float  # time.monotonic() on the server
    status: int

    @property
    def system(self) -> str:
        return str(self.body["messages"][0]["content"])

    @property
    def prompt(self) -> str:
        """The user message: the paper's title and abstract."""
        return str(self.body["messages"][-1]["content"])

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(slots=True)
class _State:
    answer: Answer = field(default=lambda request: "We propose a method; it works.")
    faults: list[LlmFault] = field(default_factory=list)
    always: LlmFault | None = None
    requests: list[SeenRequest] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0


class FakeChatCompletions:
    def __init__(self, *, model: str = "fake-model") -> None:
        self.model = model
        self._state = _State()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- builders -------------------------------------------------------------------

    def answer(self, text: str) -> Self:
        """Every successful answer is ``text``."""
        self._state.answer = lambda request: text
        return self

    def answer_with(self, make: Answer) -> Self:
        """Answers computed from the request (e.g. echoing the language asked for)."""
        self._state.answer = make
        return self

    def fail_next(self, *faults: LlmFault) -> Self:
        with self._lock:
            self._state.faults.extend(faults)
        return self

    def always(self, fault: LlmFault | None) -> Self:
        """Apply ``fault`` to every request (after the queued ones); None to stop."""
        with self._lock:
            self._state.always = fault
        return self

    # -- what happened ----------------------------------------------------------------

    @property
    def requests(self) -> list[SeenRequest]:
        with self._lock:
            return list(self._state.requests)

    @property
    def max_in_flight(self) -> int:
        with self._lock:
            return self._state.max_in_flight

    # -- running --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What ``llm_base_url`` is set to: the API root, ``/chat/completions`` is appended."""
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:
                fake._write(self, 404, b'{"error": {"message": "not found"}}', {})

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for it, and every test stops a server.
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.02), name="fake-llm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a "slow" fault
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- serving --------------------------------------------------------------------

    def _take_fault(self) -> LlmFault | None:
        with self._lock:
            if self._state.faults:
                return self._state.faults.pop(0)
            return self._state.always

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self._state.in_flight += 1
            self._state.max_in_flight = max(self._state.max_in_flight, self._state.in_flight)
        arrived = time.monotonic()
        headers = {name.lower(): value for name, value in handler.headers.items()}
        body: dict[str, Any] = {}
        response: _Response = (500, b'{"error": {"message": "the fake broke"}}', {})
        try:
            raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
            try:
                parsed = json.loads(raw)
                body = parsed if isinstance(parsed, dict) else {}
            except json.JSONDecodeError:
                body = {}
            if handler.path.rstrip("/") != "/v1/chat/completions":
                response = (404, json.dumps({"error": {"message": "not found"}}).encode(), {})
            else:
                fault = self._take_fault()
                if fault is not None and fault.kind == "slow":
                    self._stopping.wait(fault.delay)
                response = self._respond(SeenRequest(handler.path, headers, body, arrived, 0), fault)
        finally:
            # Recorded before the answer goes out: a test that has its answer sees its request.
            with self._lock:
                self._state.in_flight -= 1
                self._state.requests.append(SeenRequest(handler.path, headers, body, arrived, response[0]))
        # A client that gave up (a timeout test) is not answered.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._write(handler, *response)

    def _respond(self, request: SeenRequest, fault: LlmFault | None) -> _Response:
        kind = fault.kind if fault is not None else "ok"
        if fault is not None and kind == "status":
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            error = {"error": {"message": "the fake is failing on purpose", "type": "server_error"}}
            return fault.status, json.dumps(error).encode(), extra
        if kind == "malformed":
            return 200, b'{"choices": [{"message": {"content": "We prop', {}
        if kind == "list":
            return 200, json.dumps([{"message": {"content": "We propose X."}}]).encode(), {}
        if kind == "empty_choices":
            return 200, json.dumps(self._completion([])).encode(), {}
        text = self._state.answer(request)
        finish = "stop"
        if kind == "blank":
            text = "   \n "
        elif kind == "too_long" and fault is not None:
            text = ("We propose a method that is described at far too great a length. " * 20)[: fault.length]
        elif kind == "cut_off":
            finish = "length"
            text = text[: max(1, len(text) // 2)]
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if kind == "no_content":
            message = {"role": "assistant", "tool_calls": []}
        choice = {"index": 0, "message": message, "finish_reason": finish}
        return 200, json.dumps(self._completion([choice])).encode(), {}

    def _completion(self, choices: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-fake-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": choices,
            "usage": {"prompt_tokens": 100, "completion_tokens": 30, "total_tokens": 130},
        }

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, status: int, body: bytes, extra: dict[str, str]) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
