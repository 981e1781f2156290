"""A local Telegram Bot API on 127.0.0.1 that the real python-telegram-bot talks to.

Why a server and not mocks: the Telegram adapter's bugs live in the wire format (HTML that
Telegram refuses, callback data over 64 bytes, a 429 nobody retries, a chat that migrated to a
supergroup), so the unmodified python-telegram-bot (PTB) must send real HTTP and parse real
answers. This fake answers the methods paperbot uses, refuses what Telegram refuses with
Telegram's own error strings (PTB turns them into ``BadRequest``, ``Forbidden``,
``ChatMigrated``, ``RetryAfter``), rate-limits like Telegram, and records what the bot did::

    with FakeTelegram().set_admins(-100123, [42]) as tg:
        app = (
            Application.builder()
            .token(tg.token)
            .base_url(tg.bot_api_url)            # f"{tg.base_url}/bot"
            .base_file_url(tg.file_api_url)      # f"{tg.base_url}/file/bot"
            .build()
        )
        tg.push_message(42, "/start")
        ...
        assert tg.sent_messages(42)[0].text == "Welcome"

PTB posts ``{base_url}{token}/{method}`` as form data: string parameters as they are, every
other value JSON-encoded (so ``chat_id`` arrives as ``"42"`` and ``reply_markup`` as a JSON
string). The fake also takes JSON bodies, multipart bodies and query strings, as Telegram does.

Time: rate limits and ``flood`` use ``clock`` (``time.monotonic`` unless a test passes
``FakeClock().monotonic``); long polling always waits on the real clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import socket
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message as EmailMessage
from email.parser import BytesParser
from email.policy import HTTP as HTTP_POLICY
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qsl, unquote, urlsplit

JsonDict = dict[str, Any]
ChatType = Literal["private", "group", "supergroup", "channel"]
MemberStatus = Literal["creator", "administrator", "member", "restricted", "left", "kicked"]

DEFAULT_TOKEN = "123456789:AAFakeTokenForPaperbotTests_0123456789"
DEFAULT_USER_ID = 1001
"""Who speaks in groups and inline queries when a builder is not told ``user_id``."""

MAX_TEXT_LENGTH = 4096
"""Counted in Unicode code points after entity parsing: a live probe (FerroxLabs/wayland#934)
saw Telegram accept 4096 astral emoji, 8192 UTF-16 units. Entity offsets are UTF-16 units."""
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_RESULTS = 50
MAX_INLINE_RESULT_ID_BYTES = 64
MAX_NEXT_OFFSET_BYTES = 64
MAX_KEYBOARD_BUTTONS = 100
MAX_CALLBACK_ANSWER_TEXT = 200
MAX_COMMANDS = 100

_DEFAULT_UPDATE_TYPES_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
# Parameters that are free text: PTB sends them unencoded, so "123" or "true" must stay a string.
_TEXT_PARAMS = frozenset(
    {
        "text",
        "caption",
        "query",
        "next_offset",
        "url",
        "secret_token",
        "callback_query_id",
        "inline_query_id",
        "inline_message_id",
        "data",
        "parse_mode",
        "description",
        "short_description",
        "name",
        "language_code",
        "action",
        "ip_address",
        "title",
        "message_effect_id",
        "business_connection_id",
        "switch_pm_text",
        "switch_pm_parameter",
        "emoji",
        "custom_title",
    }
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_OLD_QUERY = "query is too old and response timeout expired or query ID is invalid"


# -- records ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeenRequest:
    """One Bot API call as the fake decoded it (nested JSON parsed) and what it answered."""

    method: str
    params: JsonDict
    time: float  # the fake's clock when the call arrived
    status: int
    description: str | None = None  # the error description, for failed calls


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the bot sent. ``text`` is what it sent; ``plain_text`` what users see."""

    chat_id: int
    message_id: int
    text: str
    plain_text: str
    parse_mode: str | None
    entities: list[JsonDict]
    reply_markup: JsonDict | None
    params: JsonDict
    time: float


@dataclass(frozen=True, slots=True)
class EditedMessage:
    """A successful editMessageText / editMessageReplyMarkup (``text`` is None for markup-only edits)."""

    method: str
    chat_id: int | None
    message_id: int | None
    inline_message_id: str | None
    text: str | None
    plain_text: str | None
    parse_mode: str | None
    reply_markup: JsonDict | None
    time: float


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    time: float


@dataclass(frozen=True, slots=True)
class InlineAnswer:
    inline_query_id: str
    results: list[JsonDict]
    next_offset: str
    cache_time: int | None
    is_personal: bool
    button: JsonDict | None
    time: float


@dataclass(frozen=True, slots=True)
class WebhookSetting:
    url: str
    secret_token: str | None
    allowed_updates: list[str] | None
    max_connections: int | None
    ip_address: str | None


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request, kept so a test can look at what was uploaded."""

    filename: str
    content: bytes


# -- errors ----------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answer: PTB picks the exception from ``code`` and ``parameters``."""

    def __init__(self, code: int, description: str, parameters: JsonDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> JsonDict:
        body: JsonDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _too_many(retry_after: int) -> ApiError:
    retry_after = max(1, retry_after)  # PTB raises RetryAfter only for a truthy retry_after
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


class HtmlError(ValueError):
    """Telegram would answer "can't parse entities" for this HTML."""


# -- Telegram's HTML -------------------------------------------------------------------------

_SPECIAL = re.compile(r"[<&]")
_CHAR_REF = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|([A-Za-z][A-Za-z0-9]*));")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:[^<>\"']|\"[^\"]*\"|'[^']*')*)>")
_ATTR = re.compile(r"\s*([A-Za-z_:][-A-Za-z0-9_:.]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+)))?")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_OPAQUE = frozenset({"code", "pre"})  # nothing may be nested inside these
_ATOMIC = frozenset({"code", "pre", "text_link", "custom_emoji"})  # none of these contain another
_QUOTES = frozenset({"blockquote", "expandable_blockquote"})


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode())


def _char_ref(match: re.Match[str]) -> str | None:
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        return _NAMED_REFS.get(name)
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _unescape_attr(value: str) -> str:
    return _CHAR_REF.sub(lambda m: _char_ref(m) or m.group(0), value)


@dataclass(slots=True)
class _OpenTag:
    name: str
    entity: JsonDict | None


def _parse_attrs(raw: str, tag: str, where: int) -> dict[str, str]:
    attrs: dict[str, str] = {}
    pos = 0
    while pos < len(raw):
        if raw[pos:].strip() == "":
            break
        match = _ATTR.match(raw, pos)
        if match is None or match.end() == pos:
            raise HtmlError(f'Can\'t parse attributes of tag "{tag}" at byte offset {where}')
        value = next((g for g in match.groups()[1:] if g is not None), "")
        attrs[match.group(1).lower()] = _unescape_attr(value)
        pos = match.end()
    return attrs


def _entity_for(tag: str, attrs: Mapping[str, str], where: int) -> JsonDict | None:
    """The entity a start tag opens; None for a tag Telegram accepts without formatting."""
    if tag in _TAG_ENTITY:
        return {"type": _TAG_ENTITY[tag]}
    if tag == "a":
        href = attrs.get("href")
        return {"type": "text_link", "url": href} if href else None
    if tag == "span":
        if attrs.get("class") != "tg-spoiler":
            raise HtmlError(f'Unsupported start tag "span" at byte offset {where}')
        return {"type": "spoiler"}
    if tag == "blockquote":
        return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
    if tag == "tg-emoji":
        emoji_id = attrs.get("emoji-id")
        if not emoji_id:
            raise HtmlError(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {where}')
        return {"type": "custom_emoji", "custom_emoji_id": emoji_id}
    raise HtmlError(f'Unsupported start tag "{tag}" at byte offset {where}')


def _may_nest(entity_type: str, stack: list[_OpenTag]) -> bool:
    """Telegram's nesting rules; it drops (does not refuse) an entity that breaks them."""
    outer = {open_tag.entity["type"] for open_tag in stack if open_tag.entity is not None}
    if outer & _OPAQUE:
        return False
    if entity_type in _ATOMIC and outer & _ATOMIC:
        return False
    return not (entity_type in _QUOTES and outer & _QUOTES)


def parse_html(source: str) -> tuple[str, list[JsonDict]]:
    """Parse text the way Telegram parses ``parse_mode=HTML``: the plain text and its entities.

    Accepts b/strong, i/em, u/ins, s/strike/del, a href, code, pre (with ``<code
    class="language-x">`` inside), tg-spoiler, span class="tg-spoiler", blockquote
    [expandable], tg-emoji; the references &lt; &gt; &amp; &quot; and numeric ones. Raises
    ``HtmlError`` for any other tag or reference, a bare ``<`` or ``&``, and unbalanced tags —
    stricter than Telegram about a bare ``&`` on purpose: one in our output is an escaping bug.
    """
    out: list[str] = []
    position = 0  # UTF-16 units emitted so far
    stack: list[_OpenTag] = []
    entities: list[JsonDict] = []
    pos = 0
    while True:
        special = _SPECIAL.search(source, pos)
        end = special.start() if special else len(source)
        if end > pos:
            chunk = source[pos:end]
            out.append(chunk)
            position += utf16_len(chunk)
        if special is None:
            break
        index = special.start()
        if source[index] == "&":
            ref = _CHAR_REF.match(source, index)
            char = _char_ref(ref) if ref else None
            if ref is None or char is None:
                raise HtmlError(
                    f'Unsupported HTML entity at byte offset {_byte_offset(source, index)}: write "&" as "&amp;"'
                )
            out.append(char)
            position += utf16_len(char)
            pos = ref.end()
            continue
        tag_match = _TAG.match(source, index)
        where = _byte_offset(source, index)
        if tag_match is None:
            raise HtmlError(f'Unexpected "<" at byte offset {where}: write "<" as "&lt;"')
        closing, tag, rest = tag_match.group(1) == "/", tag_match.group(2).lower(), tag_match.group(3)
        pos = tag_match.end()
        if closing:
            if rest.strip():
                raise HtmlError(f'Unexpected attributes in end tag "{tag}" at byte offset {where}')
            if not stack:
                raise HtmlError(f"Unexpected end tag at byte offset {where}")
            top = stack.pop()
            if top.name != tag:
                raise HtmlError(f'Unmatched end tag at byte offset {where}, expected "</{top.name}>", found "</{tag}>"')
            if top.entity is not None and position > top.entity["offset"]:
                top.entity["length"] = position - top.entity["offset"]
                entities.append(top.entity)
            continue
        if rest.rstrip().endswith("/"):
            raise HtmlError(f'Unsupported start tag "{tag}/" at byte offset {where}')
        attrs = _parse_attrs(rest, tag, where)
        entity = _entity_for(tag, attrs, where)
        if tag == "code" and stack and stack[-1].name == "pre" and stack[-1].entity is not None:
            language = attrs.get("class", "")
            if language.startswith("language-") and len(language) > len("language-"):
                stack[-1].entity["language"] = language[len("language-") :]
            entity = None  # <pre><code> is one pre entity
        elif entity is not None and not _may_nest(entity["type"], stack):
            entity = None
        if entity is not None:
            entity["offset"] = position
        stack.append(_OpenTag(tag, entity))
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _strip(text: str, entities: list[JsonDict]) -> tuple[str, list[JsonDict]]:
    """Telegram trims surrounding whitespace before counting; entities shift with the text."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept: list[JsonDict] = []
    for entity in entities:
        start = min(max(int(entity.get("offset", 0)) - lead, 0), total)
        stop = min(max(int(entity.get("offset", 0)) + int(entity.get("length", 0)) - lead, 0), total)
        if stop > start:
            kept.append({**entity, "offset": start, "length": stop - start})
    return stripped, kept


def _render_text(text: Any, parse_mode: Any, entities: Any) -> tuple[str, list[JsonDict]]:
    """What a message text becomes on Telegram's side, or the error Telegram gives for it."""
    if text is None:
        raise _bad("message text is empty")
    text = str(text)
    mode = str(parse_mode).lower() if parse_mode else ""
    if mode == "html":
        try:
            plain, parsed = parse_html(text)
        except HtmlError as err:
            raise _bad(f"can't parse entities: {err}") from None
    elif mode in ("markdown", "markdownv2"):
        raise _bad(f"can't parse entities: parse_mode {parse_mode} is not implemented by the fake Telegram; use HTML")
    elif mode:
        raise _bad("unsupported parse_mode")
    else:
        plain = text
        parsed = [dict(e) for e in entities if isinstance(e, dict)] if isinstance(entities, list) else []
    plain, parsed = _strip(plain, parsed)
    if not plain:
        raise _bad("message text is empty")
    if len(plain) > MAX_TEXT_LENGTH:
        raise _bad("message is too long")
    return plain, parsed


# -- keyboards and inline results ------------------------------------------------------------


def _check_reply_markup(markup: Any) -> JsonDict | None:
    """Validate ``reply_markup``; returns it when it is an inline keyboard (the part a Message echoes)."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return None  # reply keyboards, ReplyKeyboardRemove, ForceReply: accepted, not echoed
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad('can\'t parse inline keyboard button: field "inline_keyboard" must be an Array of Arrays')
    buttons = [button for row in rows for button in row]
    if len(buttons) > MAX_KEYBOARD_BUTTONS:
        raise _bad("reply markup is too long")
    for button in buttons:
        _check_inline_button(button)
    return markup


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _bad("can't parse inline keyboard button: Text must be non-empty")
    actions = [name for name in _BUTTON_ACTIONS if name in button]
    if not actions:
        raise _bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise _bad(f"can't parse inline keyboard button: exactly one optional field must be used, got {actions}")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not data or len(data.encode()) > MAX_CALLBACK_DATA_BYTES:
            raise _bad("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        split = urlsplit(url) if isinstance(url, str) else None
        if split is None or split.scheme not in ("http", "https", "tg") or not (split.netloc or split.path):
            raise _bad("BUTTON_URL_INVALID")


def _check_inline_results(results: Any) -> list[JsonDict]:
    if not isinstance(results, list):
        raise _bad("can't parse inline query results JSON object")
    if len(results) > MAX_INLINE_RESULTS:
        raise _bad("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for result in results:
        if not isinstance(result, dict) or not isinstance(result.get("type"), str):
            raise _bad('can\'t parse InlineQueryResult: field "type" must be of type String')
        result_id = result.get("id")
        if not isinstance(result_id, str) or not result_id or len(result_id.encode()) > MAX_INLINE_RESULT_ID_BYTES:
            raise _bad("RESULT_ID_INVALID")
        if result_id in seen:
            raise _bad("RESULT_ID_DUPLICATE")
        seen.add(result_id)
        content = result.get("input_message_content")
        if isinstance(content, dict) and "message_text" in content:
            _render_text(content["message_text"], content.get("parse_mode"), content.get("entities"))
        _check_reply_markup(result.get("reply_markup"))
    return results


_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


def _check_commands(commands: Any) -> list[dict[str, str]]:
    if not isinstance(commands, list):
        raise _bad("can't parse commands JSON object")
    if len(commands) > MAX_COMMANDS:
        raise _bad("BOT_COMMANDS_TOO_MUCH")
    checked: list[dict[str, str]] = []
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command", ""))):
            raise _bad("BOT_COMMAND_INVALID")
        description = command.get("description")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        checked.append({"command": str(command["command"]), "description": description})
    return checked


def scope_key(scope: Mapping[str, Any] | str | None) -> str:
    """A readable key for a BotCommandScope: ``default``, ``chat:42``, ``chat_member:-100:7``..."""
    if scope is None:
        return "default"
    if isinstance(scope, str):
        return scope
    kind = str(scope.get("type", "default"))
    if kind in ("chat", "chat_administrators"):
        return f"{kind}:{scope.get('chat_id')}"
    if kind == "chat_member":
        return f"chat_member:{scope.get('chat_id')}:{scope.get('user_id')}"
    return kind


# -- request decoding ------------------------------------------------------------------------


def _decode_form_value(key: str, raw: str) -> Any:
    """Undo PTB's encoding: JSON for everything except free-text parameters."""
    if key in _TEXT_PARAMS or not raw:
        return raw
    if raw[0] in "{[-0123456789" or raw in ("true", "false", "null"):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _decode_json_value(key: str, value: Any) -> Any:
    if isinstance(value, str) and key not in _TEXT_PARAMS and value[:1] in ("{", "["):
        return _decode_form_value(key, value)
    return value


def _decode_multipart(content_type: str, body: bytes) -> JsonDict:
    message = BytesParser(policy=HTTP_POLICY).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    params: JsonDict = {}
    parts = message.get_payload()
    if not isinstance(parts, list):
        return params
    for part in parts:
        if not isinstance(part, EmailMessage):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            params[name] = UploadedFile(filename, content)
        else:
            params[name] = _decode_form_value(name, content.decode("utf-8", "replace"))
    return params


def decode_params(content_type: str, body: bytes, query: str = "") -> JsonDict:
    """The parameters of a Bot API call, whichever way the client sent them."""
    params: JsonDict = {k: _decode_form_value(k, v) for k, v in parse_qsl(query, keep_blank_values=True)}
    kind = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return params
    if kind == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            raise _bad("can't parse JSON encoded request body") from None
        if isinstance(data, dict):
            params.update({str(k): _decode_json_value(str(k), v) for k, v in data.items()})
    elif kind == "multipart/form-data":
        params.update(_decode_multipart(content_type, body))
    else:
        text = body.decode("utf-8", "replace")
        params.update({k: _decode_form_value(k, v) for k, v in parse_qsl(text, keep_blank_values=True)})
    return params


def _int(params: Mapping[str, Any], key: str) -> int | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _bad(f"invalid {key} specified")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad(f"invalid {key} specified") from None


def _required_int(params: Mapping[str, Any], key: str) -> int:
    value = _int(params, key)
    if value is None:
        raise _bad(f"{key} is empty")
    return value


def _str(params: Mapping[str, Any], key: str) -> str | None:
    value = params.get(key)
    return None if value is None else str(value)


def _bool(params: Mapping[str, Any], key: str) -> bool:
    value = params.get(key)
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def _update_type(update: Mapping[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


# -- state -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Chat:
    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    forbidden: str | None = None  # the 403 description while the bot may not write here
    deleted: bool = False
    migrated_to: int | None = None
    flooded_until: float = 0.0
    creator: int | None = None
    admins: list[int] = field(default_factory=list)

    def as_json(self) -> JsonDict:
        chat: JsonDict = {"id": self.id, "type": self.type}
        if self.type == "private":
            chat["first_name"] = self.first_name or f"User {self.id}"
        else:
            chat["title"] = self.title or f"{self.type.capitalize()} {self.id}"
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass(frozen=True, slots=True)
class _Fault:
    method: str  # lower case
    error: ApiError


@dataclass(slots=True)
class _Limits:
    enabled: bool = True
    per_second: int = 30
    private_per_second: float = 1.0
    private_burst: int = 1
    group_per_minute: int = 20
    recent: deque[float] = field(default_factory=deque)  # all sends in the last second
    buckets: dict[int, tuple[float, float]] = field(default_factory=dict)  # chat -> (tokens, at)
    groups: dict[int, deque[float]] = field(default_factory=dict)  # chat -> sends in the last minute

    def take(self, chat: _Chat, now: float) -> None:
        """Count one send, or raise 429 (without counting it) if Telegram would refuse it."""
        if not self.enabled:
            return
        recent = self.recent
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        if len(recent) >= self.per_second:
            raise _too_many(math.ceil(recent[0] + 1.0 - now))
        if chat.type == "private":
            tokens, at = self.buckets.get(chat.id, (float(self.private_burst), now))
            tokens = min(float(self.private_burst), tokens + (now - at) * self.private_per_second)
            if tokens < 1.0 - 1e-9:
                raise _too_many(math.ceil((1.0 - tokens) / self.private_per_second))
            self.buckets[chat.id] = (tokens - 1.0, now)
        else:
            window = self.groups.setdefault(chat.id, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= self.group_per_minute:
                raise _too_many(math.ceil(window[0] + 60.0 - now))
            window.append(now)
        recent.append(now)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512  # a benchmark opens a pool of connections at once; 5 would drop SYNs


# -- the fake --------------------------------------------------------------------------------


class FakeTelegram:
    """The Bot API on 127.0.0.1:0, in a daemon thread; thread-safe; see the module docstring."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "paperbot_test_bot",
        bot_name: str = "paperbot",
        clock: Callable[[], float] = time.monotonic,
        max_long_poll: float = 1.0,
    ) -> None:
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 123456789
        self.bot_username = bot_username
        self.max_long_poll = max_long_poll
        self._clock = clock
        self._bot_user: JsonDict = {"id": self.bot_id, "is_bot": True, "first_name": bot_name, "username": bot_username}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._limits = _Limits()
        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, JsonDict] = {}
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JsonDict] = {}
        self._updates: deque[JsonDict] = deque()
        self._last_update_id = 0
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._open_callback_queries: set[str] = set()
        self._open_inline_queries: set[str] = set()
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._faults: list[_Fault] = []
        self._webhook: WebhookSetting | None = None
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._requests: list[SeenRequest] = []
        self._sent: list[SentMessage] = []
        self._edited: list[EditedMessage] = []
        self._deleted: list[tuple[int, int]] = []
        self._callback_answers: list[CallbackAnswer] = []
        self._inline_answers: list[InlineAnswer] = []
        self._too_many_requests = 0
        self._server_errors: list[str] = []
        self._connections: set[socket.socket] = set()
        self._connections_opened = 0
        self._stopping = False
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        # Documents users sent: file_id → (file_path, content), served by getFile and /file/bot.
        self._files: dict[str, tuple[str, bytes]] = {}
        self._methods: dict[str, tuple[str, Callable[[JsonDict], Any]]] = {
            name.lower(): (name, handler)
            for name, handler in (
                ("getMe", self._get_me),
                ("getUpdates", self._get_updates),
                ("setWebhook", self._set_webhook),
                ("deleteWebhook", self._delete_webhook),
                ("getWebhookInfo", self._get_webhook_info),
                ("setMyCommands", self._set_my_commands),
                ("getMyCommands", self._get_my_commands),
                ("deleteMyCommands", self._delete_my_commands),
                ("sendMessage", self._send_message),
                ("editMessageText", self._edit_message_text),
                ("editMessageReplyMarkup", self._edit_message_reply_markup),
                ("deleteMessage", self._delete_message),
                ("answerCallbackQuery", self._answer_callback_query),
                ("answerInlineQuery", self._answer_inline_query),
                ("sendChatAction", self._send_chat_action),
                ("getChat", self._get_chat),
                ("getChatMember", self._get_chat_member),
                ("getChatAdministrators", self._get_chat_administrators),
                ("getFile", self._get_file),
            )
        }

    # -- builders: chats and faults ------------------------------------------------------------

    def add_chat(
        self, chat_id: int, chat_type: ChatType, *, title: str | None = None, username: str | None = None
    ) -> Self:
        """Declare a chat; needed for channels (a negative id is taken for a group otherwise)."""
        with self._lock:
            chat = self._chat(chat_id, chat_type)
            chat.title = title or chat.title
            chat.username = username or chat.username
        return self

    def set_admins(self, chat_id: int, user_ids: Iterable[int]) -> Self:
        """Who getChatMember/getChatAdministrators report as admins; the first one is the creator.

        Include ``fake.bot_id`` to make the bot an administrator.
        """
        with self._lock:
            chat = self._chat(chat_id)
            chat.admins = list(user_ids)
            chat.creator = chat.admins[0] if chat.admins else None
        return self

    def limits(
        self,
        enabled: bool = True,
        *,
        per_second: int | None = None,
        private_per_second: float | None = None,
        private_burst: int | None = None,
        group_per_minute: int | None = None,
    ) -> Self:
        """Telegram's flood limits for sendMessage (on by default; ``limits(enabled=False)`` for fast tests).

        Defaults: 30 messages/s overall, 1/s per private chat with a burst of 1 (strict: a second
        immediate message is refused), 20/minute per group, supergroup or channel. Edits are not
        limited. Unset arguments keep their current value.
        """
        with self._lock:
            limits = self._limits
            limits.enabled = enabled
            limits.per_second = per_second if per_second is not None else limits.per_second
            limits.private_per_second = (
                private_per_second if private_per_second is not None else limits.private_per_second
            )
            limits.private_burst = private_burst if private_burst is not None else limits.private_burst
            limits.group_per_minute = group_per_minute if group_per_minute is not None else limits.group_per_minute
        return self

    def block_chat(self, chat_id: int, *, notify: bool = False) -> Self:
        """The user blocked the bot: sends get 403 "Forbidden: bot was blocked by the user".

        ``notify`` also queues the my_chat_member update (member -> kicked) Telegram sends then.
        """
        if notify:
            self.push_my_chat_member(chat_id, "kicked", old_status="member")
        with self._lock:
            self._chat(chat_id).forbidden = "Forbidden: bot was blocked by the user"
        return self

    def unblock_chat(self, chat_id: int) -> Self:
        """Undo block_chat / kick_from: the bot may write to the chat again."""
        with self._lock:
            self._chat(chat_id).forbidden = None
        return self

    def kick_from(self, chat_id: int, *, notify: bool = False) -> Self:
        """The bot was removed from a group: sends get 403 "Forbidden: bot was kicked from the group chat"."""
        if notify:
            self.push_my_chat_member(chat_id, "kicked", old_status="member")
        with self._lock:
            chat = self._chat(chat_id)
            chat.forbidden = f"Forbidden: bot was kicked from the {chat.type} chat"
        return self

    def delete_chat(self, chat_id: int) -> Self:
        """The chat is gone: every call naming it gets 400 "Bad Request: chat not found"."""
        with self._lock:
            self._chat(chat_id).deleted = True
        return self

    def migrate_chat(self, chat_id: int, new_chat_id: int) -> Self:
        """The group became a supergroup: calls naming the old id get 400 with ``migrate_to_chat_id``."""
        with self._lock:
            old = self._chat(chat_id, "group")
            old.migrated_to = new_chat_id
            new = self._chat(new_chat_id, "supergroup")
            new.title = old.title
            new.creator, new.admins = old.creator, list(old.admins)
        return self

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        count: int = 1,
    ) -> Self:
        """The next ``count`` calls of ``method`` get this error instead of being served."""
        parameters: JsonDict = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        fault = _Fault(method.lower(), ApiError(error_code, description, parameters or None))
        with self._lock:
            self._faults.extend([fault] * count)
        return self

    def flood(self, chat_id: int, retry_after: int) -> Self:
        """Flood control on one chat: sends get 429 for the next ``retry_after`` seconds (fake clock)."""
        with self._lock:
            self._chat(chat_id).flooded_until = self._clock() + retry_after
        return self

    # -- builders: updates ---------------------------------------------------------------------

    def push_update(self, update: Mapping[str, Any]) -> int:
        """Queue a raw Update (``update_id`` is assigned when missing); wakes a waiting getUpdates."""
        with self._lock:
            return self._enqueue(dict(update))

    def push_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: ChatType | None = None,
        username: str | None = None,
        first_name: str | None = None,
        title: str | None = None,
        reply_to: int | None = None,
        entities: list[JsonDict] | None = None,
    ) -> int:
        """A user writes ``text`` in a chat (a channel post for channels); returns the update_id.

        A leading ``/command`` or ``/command@botname`` gets its bot_command entity, as Telegram
        adds it; PTB's CommandHandler needs it. The chat type defaults to what the chat was
        declared as, else private for positive ids, supergroup for -100..., group otherwise.
        """
        with self._lock:
            chat = self._chat(chat_id, chat_type)
            if title is not None:
                chat.title = title
            user = self._user_for(chat, user_id, username, first_name)
            message: JsonDict = {
                "message_id": self._new_message_id(chat.id),
                "date": int(time.time()),
                "chat": chat.as_json(),
                "text": text,
            }
            if chat.type == "channel":
                message["sender_chat"] = chat.as_json()
            else:
                message["from"] = user
            found = entities if entities is not None else _command_entities(text)
            if found:
                message["entities"] = found
            if reply_to is not None:
                replied = self._messages.get((chat.id, reply_to))
                if replied is None:
                    raise ValueError(f"no message {reply_to} in chat {chat.id} to reply to")
                message["reply_to_message"] = replied
            self._messages[(chat.id, message["message_id"])] = message
            return self._enqueue({"channel_post" if chat.type == "channel" else "message": message})

    def push_document(
        self,
        chat_id: int,
        file_name: str,
        content: bytes,
        *,
        caption: str | None = None,
        user_id: int | None = None,
        mime_type: str = "text/plain",
    ) -> int:
        """A user sends a file (with an optional caption, e.g. ``/import``); returns the update_id.

        The bot fetches it as on Telegram: getFile gives a ``file_path``, and the file is
        then downloaded from ``{file_api_url}{token}/{file_path}``.
        """
        with self._lock:
            chat = self._chat(chat_id)
            file_id = f"doc{len(self._files) + 1}"
            self._files[file_id] = (f"documents/{file_id}_{file_name}", content)
            message: JsonDict = {
                "message_id": self._new_message_id(chat.id),
                "date": int(time.time()),
                "chat": chat.as_json(),
                "from": self._user_for(chat, user_id, None, None),
                "document": {
                    "file_id": file_id,
                    "file_unique_id": f"u{file_id}",
                    "file_name": file_name,
                    "mime_type": mime_type,
                    "file_size": len(content),
                },
            }
            if caption is not None:
                message["caption"] = caption
                if found := _command_entities(caption):
                    message["caption_entities"] = found
            self._messages[(chat.id, message["message_id"])] = message
            return self._enqueue({"message": message})

    def push_callback_query(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        username: str | None = None,
        first_name: str | None = None,
    ) -> int:
        """A user presses a button with ``data`` under message ``message_id``; returns the update_id.

        The update carries the message the fake knows (the bot's own, with its keyboard), or an
        InaccessibleMessage (date 0) as Telegram sends for messages it no longer has.
        """
        with self._lock:
            chat = self._chat(chat_id)
            user = self._user_for(chat, user_id, username, first_name)
            message = self._messages.get((chat.id, message_id)) or {
                "message_id": message_id,
                "chat": chat.as_json(),
                "date": 0,
            }
            query = {
                "id": str(next(self._query_ids)),
                "from": user,
                "message": message,
                "chat_instance": str(abs(hash((self.bot_id, chat.id)))),
                "data": data,
            }
            return self._enqueue({"callback_query": query})

    def push_inline_query(
        self,
        query: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        offset: str = "",
        chat_type: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
    ) -> int:
        """A user types ``@bot query``; returns the update_id."""
        with self._lock:
            inline: JsonDict = {
                "id": str(next(self._query_ids)),
                "from": self._user(user_id, username, first_name),
                "query": query,
                "offset": offset,
            }
            if chat_type is not None:
                inline["chat_type"] = chat_type
            return self._enqueue({"inline_query": inline})

    def push_my_chat_member(
        self,
        chat_id: int,
        new_status: MemberStatus,
        *,
        old_status: MemberStatus | None = None,
        user_id: int | None = None,
        chat_type: ChatType | None = None,
    ) -> int:
        """The bot's membership changed (added, promoted, removed, blocked); returns the update_id.

        The fake's state follows, as Telegram's does: "kicked" in a private chat blocks the bot,
        "kicked"/"left" in a group forbids sends, "member"/"administrator" allows them again.
        ``old_status`` defaults to "left" when joining and "member" when leaving.
        """
        joining = new_status in ("member", "administrator", "creator", "restricted")
        old = old_status or ("left" if joining else "member")
        with self._lock:
            chat = self._chat(chat_id, chat_type)
            user = self._user_for(chat, user_id, None, None)
            if joining:
                chat.forbidden = None
                if new_status == "administrator" and self.bot_id not in chat.admins:
                    chat.admins.append(self.bot_id)
            elif chat.type == "private":
                chat.forbidden = "Forbidden: bot was blocked by the user"
            elif new_status == "kicked":
                chat.forbidden = f"Forbidden: bot was kicked from the {chat.type} chat"
            else:
                chat.forbidden = f"Forbidden: bot is not a member of the {chat.type} chat"
            change = {
                "chat": chat.as_json(),
                "from": user,
                "date": int(time.time()),
                "old_chat_member": _member(self._bot_user, old),
                "new_chat_member": _member(self._bot_user, new_status),
            }
            return self._enqueue({"my_chat_member": change})

    # -- what happened ---------------------------------------------------------------------------

    @property
    def requests(self) -> list[SeenRequest]:
        with self._lock:
            return list(self._requests)

    def sent_messages(self, chat_id: int | None = None) -> list[SentMessage]:
        """The messages the bot sent successfully, in order (all chats, or one)."""
        with self._lock:
            return [m for m in self._sent if chat_id is None or m.chat_id == chat_id]

    @property
    def edited_messages(self) -> list[EditedMessage]:
        with self._lock:
            return list(self._edited)

    @property
    def deleted_messages(self) -> list[tuple[int, int]]:
        """(chat_id, message_id) of each message the bot deleted."""
        with self._lock:
            return list(self._deleted)

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        with self._lock:
            return list(self._callback_answers)

    @property
    def inline_answers(self) -> list[InlineAnswer]:
        with self._lock:
            return list(self._inline_answers)

    @property
    def commands(self) -> dict[tuple[str, str], list[dict[str, str]]]:
        """The command lists set, keyed by (``scope_key(scope)``, language_code)."""
        with self._lock:
            return {key: list(value) for key, value in self._commands.items()}

    def commands_for(self, scope: Mapping[str, Any] | str = "default", language_code: str = "") -> list[dict[str, str]]:
        """What getMyCommands would answer for this scope (``"default"``, ``"chat:42"``, or a scope dict)."""
        with self._lock:
            return list(self._commands.get((scope_key(scope), language_code), []))

    @property
    def webhook(self) -> WebhookSetting | None:
        with self._lock:
            return self._webhook

    @property
    def too_many_requests(self) -> int:
        """How many 429 answers the fake gave (limits, floods and injected ones alike)."""
        with self._lock:
            return self._too_many_requests

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._lock:
            return list(self._updates)

    @property
    def connections_opened(self) -> int:
        """TCP connections accepted so far: shows whether a client reuses keep-alive connections."""
        with self._lock:
            return self._connections_opened

    @property
    def server_errors(self) -> list[str]:
        """Tracebacks of bugs in the fake itself (answered 500); a test can assert it stays empty."""
        with self._lock:
            return list(self._server_errors)

    async def wait_for_sent(
        self, count: int = 1, *, chat_id: int | None = None, within: float = 5.0
    ) -> list[SentMessage]:
        """Yield to the event loop until the bot has sent ``count`` messages (to ``chat_id``)."""
        await self.wait_until(lambda: len(self.sent_messages(chat_id)) >= count, within=within, what="sent messages")
        return self.sent_messages(chat_id)

    async def wait_until(self, predicate: Callable[[], bool], *, within: float = 5.0, what: str = "condition") -> None:
        """Poll ``predicate`` without blocking the loop PTB runs on; TimeoutError after ``within`` seconds."""
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() >= deadline:
                raise TimeoutError(f"fake Telegram: {what} not reached within {within} s")
            await asyncio.sleep(0.005)

    # -- running ---------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def bot_api_url(self) -> str:
        """For PTB's ``base_url``: PTB appends the token, then ``/method``."""
        return self.base_url + "/bot"

    @property
    def file_api_url(self) -> str:
        """For PTB's ``base_file_url``: documents pushed with ``push_document`` are served there."""
        return self.base_url + "/file/bot"

    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so httpx reuses connections

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in one write, but a small answer after a small
                # answer would still wait for a delayed ACK without this.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                fake._connection_opened(self.connection)

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    fake._connection_closed(self.connection)

            def do_POST(self) -> None:
                fake._serve(self)

            def do_GET(self) -> None:
                fake._serve(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        with self._lock:
            self._stopping = False
        self._server = _Server(("127.0.0.1", 0), Handler)
        # A short poll interval: stop() waits up to one interval, and tests start a fake each.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-telegram", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: wakes long polls, closes keep-alive connections so no handler thread lingers."""
        with self._lock:
            self._stopping = True
            self._changed.notify_all()
        if self._server is not None:
            self._server.shutdown()
            with self._lock:
                connections = list(self._connections)
            for connection in connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- serving ---------------------------------------------------------------------------------

    def _connection_opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)
            self._connections_opened += 1

    def _connection_closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        try:
            body = _read_body(handler)
            download = re.fullmatch(r"/file/bot([^/]+)/(.+)", urlsplit(handler.path).path)
            if download is not None:
                self._download(handler, unquote(download.group(1)), unquote(download.group(2)))
                return
            status, payload = self._answer(handler, body)
            _write_json(handler, status, payload)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            handler.close_connection = True  # the client went away, e.g. PTB cancelled a long poll

    def _download(self, handler: BaseHTTPRequestHandler, token: str, file_path: str) -> None:
        """A file's bytes, as Telegram's file server sends them (404 for an unknown path or token)."""
        with self._lock:
            found = next((c for path, c in self._files.values() if path == file_path), None)
        if token != self.token or found is None:
            _write_json(handler, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(len(found)))
        handler.end_headers()
        handler.wfile.write(found)

    def _answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, JsonDict]:
        split = urlsplit(handler.path)
        route = re.fullmatch(r"/bot([^/]+)/([A-Za-z0-9_]+)/?", split.path)
        if route is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if route.group(1) != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        arrived = self._clock()
        name = route.group(2)
        try:
            params = decode_params(handler.headers.get("Content-Type", ""), body, split.query)
        except ApiError as err:
            return self._record(name, {}, arrived, err.code, err.body())
        return self._call(name, params, arrived)

    def _call(self, name: str, params: JsonDict, arrived: float) -> tuple[int, JsonDict]:
        key = name.lower()
        canonical, handler = self._methods.get(key, (name, None))
        with self._lock:
            try:
                fault = next((f for f in self._faults if f.method == key), None)
                if fault is not None:
                    self._faults.remove(fault)
                    raise fault.error
                if handler is None:
                    raise ApiError(404, "Not Found")
                result = handler(params)
            except ApiError as err:
                if err.code == 429:
                    self._too_many_requests += 1
                status, payload = err.code, err.body()
            except Exception:
                self._server_errors.append(traceback.format_exc())
                status = 500
                payload = {"ok": False, "error_code": 500, "description": "Internal Server Error: bug in the fake"}
            else:
                status, payload = 200, {"ok": True, "result": result}
            self._requests.append(SeenRequest(canonical, params, arrived, status, payload.get("description")))
        return status, payload

    def _record(
        self, name: str, params: JsonDict, arrived: float, status: int, payload: JsonDict
    ) -> tuple[int, JsonDict]:
        with self._lock:
            self._requests.append(SeenRequest(name, params, arrived, status, payload.get("description")))
        return status, payload

    # -- state helpers (call with the lock held) -------------------------------------------------

    def _chat(self, chat_id: int, chat_type: ChatType | None = None) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_type is None:
                chat_type = "private" if chat_id > 0 else "supergroup" if str(chat_id).startswith("-100") else "group"
            chat = self._chats[chat_id] = _Chat(chat_id, chat_type)
        elif chat_type is not None:
            chat.type = chat_type
        return chat

    def _user(self, user_id: int, username: str | None, first_name: str | None) -> JsonDict:
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
            user["language_code"] = "en"
        if first_name is not None:
            user["first_name"] = first_name
        if username is not None:
            user["username"] = username
        return dict(user)

    def _user_for(self, chat: _Chat, user_id: int | None, username: str | None, first_name: str | None) -> JsonDict:
        if chat.type == "private":
            if user_id is not None and user_id != chat.id:
                raise ValueError(f"private chat {chat.id} belongs to user {chat.id}, not {user_id}")
            user = self._user(chat.id, username, first_name)
            chat.first_name = user["first_name"]
            chat.username = user.get("username")
            return user
        return self._user(user_id if user_id is not None else DEFAULT_USER_ID, username, first_name)

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 0) + 1
        self._next_message_id[chat_id] = message_id
        return message_id

    def _enqueue(self, update: JsonDict) -> int:
        given = update.get("update_id")
        if isinstance(given, int):
            self._last_update_id = max(self._last_update_id, given)
        else:
            self._last_update_id += 1
            update = {"update_id": self._last_update_id, **update}
        if isinstance(update.get("callback_query"), dict):
            self._open_callback_queries.add(str(update["callback_query"].get("id")))
        if isinstance(update.get("inline_query"), dict):
            self._open_inline_queries.add(str(update["inline_query"].get("id")))
        self._updates.append(update)
        self._changed.notify_all()
        return int(update["update_id"])

    def _target(self, params: Mapping[str, Any]) -> _Chat:
        """The chat a call names, or the error Telegram gives for it (gone, migrated)."""
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            wanted = raw[1:].lower()
            chat = next((c for c in self._chats.values() if (c.username or "").lower() == wanted), None)
            if chat is None:
                raise _bad("chat not found")
        else:
            try:
                chat_id = int(raw)
            except (TypeError, ValueError):
                raise _bad("chat not found") from None
            chat = self._chat(chat_id)
        if chat.deleted:
            raise _bad("chat not found")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        return chat

    def _writable(self, params: Mapping[str, Any]) -> _Chat:
        chat = self._target(params)
        if chat.forbidden is not None:
            raise ApiError(403, chat.forbidden)
        return chat

    def _stored_message(self, chat: _Chat, params: Mapping[str, Any], missing: str) -> JsonDict:
        message_id = _required_int(params, "message_id")
        message = self._messages.get((chat.id, message_id))
        if message is None:
            raise _bad(missing)
        return message

    def _is_bots(self, message: Mapping[str, Any]) -> bool:
        sender = message.get("from")
        if isinstance(sender, dict):
            return bool(sender.get("id") == self.bot_id)
        return bool(message.get("chat", {}).get("type") == "channel")  # channel posts have no sender

    def _allowed(self) -> Callable[[str], bool]:
        wanted = set(self._allowed_updates or ())
        if wanted:
            return wanted.__contains__
        return lambda kind: kind not in _DEFAULT_UPDATE_TYPES_EXCLUDED

    def _confirm(self, offset: int | None) -> None:
        if not offset:
            return
        if offset > 0:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
        else:
            while len(self._updates) > -offset:
                self._updates.popleft()

    def _deliverable(self, limit: int) -> list[JsonDict]:
        allowed = self._allowed()
        kept = [update for update in self._updates if allowed(_update_type(update))]
        if len(kept) != len(self._updates):
            self._updates = deque(kept)  # updates of types the bot does not want are not kept
        return kept[:limit]

    # -- methods ---------------------------------------------------------------------------------

    def _get_me(self, params: JsonDict) -> JsonDict:
        return {
            **self._bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        """Long polling, lock held on entry; the wait releases it.

        A newer getUpdates ends a waiting one with 409, as Telegram does when two instances poll.
        The wait is capped at ``max_long_poll`` so an abandoned poll frees its thread soon.
        """
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._poll_generation += 1
        generation = self._poll_generation
        self._changed.notify_all()
        allowed_updates = params.get("allowed_updates")
        if isinstance(allowed_updates, list):
            self._allowed_updates = [str(kind) for kind in allowed_updates]
        self._confirm(_int(params, "offset"))
        limit = min(max(_int(params, "limit") or 100, 1), 100)
        try:
            timeout = max(float(params.get("timeout") or 0), 0.0)
        except (TypeError, ValueError):
            raise _bad("invalid timeout specified") from None
        deadline = time.monotonic() + min(timeout, self.max_long_poll)
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
            batch = self._deliverable(limit)
            remaining = deadline - time.monotonic()
            if batch or self._stopping or remaining <= 0:
                return batch
            self._changed.wait(remaining)

    def _set_webhook(self, params: JsonDict) -> bool:
        url = _str(params, "url") or ""
        if not url:
            self._webhook = None
            return True
        split = urlsplit(url)
        if split.scheme != "https" or not split.hostname:
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if (split.port or 443) not in (80, 88, 443, 8443):
            raise _bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = _str(params, "secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad("secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        allowed_list = [str(kind) for kind in allowed] if isinstance(allowed, list) else None
        if allowed_list is not None:
            self._allowed_updates = allowed_list
        if _bool(params, "drop_pending_updates"):
            self._updates.clear()
        self._webhook = WebhookSetting(
            url, secret, allowed_list, _int(params, "max_connections"), _str(params, "ip_address")
        )
        return True

    def _delete_webhook(self, params: JsonDict) -> bool:
        self._webhook = None
        if _bool(params, "drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: JsonDict) -> JsonDict:
        info: JsonDict = {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._updates)}
        if self._webhook is not None:
            info["url"] = self._webhook.url
            info["max_connections"] = self._webhook.max_connections or 40
            if self._webhook.ip_address:
                info["ip_address"] = self._webhook.ip_address
        if self._allowed_updates is not None:
            info["allowed_updates"] = self._allowed_updates
        return info

    def _commands_key(self, params: JsonDict) -> tuple[str, str]:
        scope = params.get("scope")
        if scope is not None and not isinstance(scope, dict):
            raise _bad("can't parse BotCommandScope JSON object")
        return scope_key(scope), _str(params, "language_code") or ""

    def _set_my_commands(self, params: JsonDict) -> bool:
        self._commands[self._commands_key(params)] = _check_commands(params.get("commands"))
        return True

    def _get_my_commands(self, params: JsonDict) -> list[dict[str, str]]:
        return list(self._commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: JsonDict) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _send_message(self, params: JsonDict) -> JsonDict:
        chat = self._writable(params)
        now = self._clock()
        if chat.flooded_until > now:
            raise _too_many(math.ceil(chat.flooded_until - now))
        text = params.get("text")
        parse_mode = _str(params, "parse_mode")
        plain, entities = _render_text(text, parse_mode, params.get("entities"))
        markup = params.get("reply_markup")
        inline_markup = _check_reply_markup(markup)
        replied = self._replied_message(chat, params)
        self._limits.take(chat, now)
        message: JsonDict = {"message_id": self._new_message_id(chat.id)}
        if chat.type == "channel":
            message["sender_chat"] = chat.as_json()
        else:
            message["from"] = self._bot_user
        message.update({"chat": chat.as_json(), "date": int(time.time()), "text": plain})
        if entities:
            message["entities"] = entities
        if replied is not None:
            message["reply_to_message"] = replied
        if inline_markup is not None:
            message["reply_markup"] = inline_markup
        self._messages[(chat.id, message["message_id"])] = message
        self._sent.append(
            SentMessage(
                chat_id=chat.id,
                message_id=message["message_id"],
                text=str(text),
                plain_text=plain,
                parse_mode=parse_mode,
                entities=entities,
                reply_markup=markup if isinstance(markup, dict) else None,
                params=params,
                time=now,
            )
        )
        return message

    def _replied_message(self, chat: _Chat, params: JsonDict) -> JsonDict | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id, lenient = reply.get("message_id"), bool(reply.get("allow_sending_without_reply"))
        else:
            message_id, lenient = _int(params, "reply_to_message_id"), _bool(params, "allow_sending_without_reply")
        if message_id is None:
            return None
        replied = self._messages.get((chat.id, int(message_id)))
        if replied is None and not lenient:
            raise _bad("message to be replied not found")
        return replied

    def _edit(self, method: str, params: JsonDict, text: tuple[str, list[JsonDict]] | None) -> JsonDict | bool:
        markup = params.get("reply_markup")
        inline_markup = _check_reply_markup(markup)
        parse_mode = _str(params, "parse_mode")
        raw_text = None if text is None else str(params.get("text"))
        inline_message_id = _str(params, "inline_message_id")
        now = self._clock()
        if inline_message_id:
            self._edited.append(
                EditedMessage(
                    method,
                    None,
                    None,
                    inline_message_id,
                    raw_text,
                    text[0] if text else None,
                    parse_mode,
                    inline_markup,
                    now,
                )
            )
            return True
        chat = self._writable(params)
        message = self._stored_message(chat, params, "message to edit not found")
        if not self._is_bots(message):
            raise _bad("message can't be edited")
        edited = dict(message)
        if text is not None:
            edited["text"] = text[0]
            edited.pop("entities", None)
            if text[1]:
                edited["entities"] = text[1]
        edited.pop("reply_markup", None)
        if inline_markup is not None:  # an edit without reply_markup removes the keyboard
            edited["reply_markup"] = inline_markup
        same = all(edited.get(k) == message.get(k) for k in ("text", "entities", "reply_markup"))
        if same:
            raise ApiError(400, _NOT_MODIFIED)
        edited["edit_date"] = int(time.time())
        self._messages[(chat.id, message["message_id"])] = edited
        self._edited.append(
            EditedMessage(
                method,
                chat.id,
                message["message_id"],
                None,
                raw_text,
                text[0] if text else None,
                parse_mode,
                inline_markup,
                now,
            )
        )
        return edited

    def _edit_message_text(self, params: JsonDict) -> JsonDict | bool:
        rendered = _render_text(params.get("text"), params.get("parse_mode"), params.get("entities"))
        return self._edit("editMessageText", params, rendered)

    def _edit_message_reply_markup(self, params: JsonDict) -> JsonDict | bool:
        return self._edit("editMessageReplyMarkup", params, None)

    def _delete_message(self, params: JsonDict) -> bool:
        chat = self._target(params)
        message = self._stored_message(chat, params, "message to delete not found")
        del self._messages[(chat.id, message["message_id"])]
        self._deleted.append((chat.id, message["message_id"]))
        return True

    def _answer_callback_query(self, params: JsonDict) -> bool:
        query_id = _str(params, "callback_query_id") or ""
        if query_id not in self._open_callback_queries:
            raise _bad(_OLD_QUERY)
        text = _str(params, "text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_TEXT:
            raise _bad("MESSAGE_TOO_LONG")
        self._open_callback_queries.discard(query_id)
        self._callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                text=text,
                show_alert=_bool(params, "show_alert"),
                url=_str(params, "url"),
                cache_time=_int(params, "cache_time"),
                time=self._clock(),
            )
        )
        return True

    def _answer_inline_query(self, params: JsonDict) -> bool:
        query_id = _str(params, "inline_query_id") or ""
        results = _check_inline_results(params.get("results"))
        next_offset = _str(params, "next_offset") or ""
        if len(next_offset.encode()) > MAX_NEXT_OFFSET_BYTES:
            raise _bad("NEXT_OFFSET_INVALID")
        if query_id not in self._open_inline_queries:
            raise _bad(_OLD_QUERY)
        self._open_inline_queries.discard(query_id)
        button = params.get("button")
        self._inline_answers.append(
            InlineAnswer(
                query_id,
                results,
                next_offset,
                _int(params, "cache_time"),
                _bool(params, "is_personal"),
                button if isinstance(button, dict) else None,
                self._clock(),
            )
        )
        return True

    def _send_chat_action(self, params: JsonDict) -> bool:
        self._writable(params)
        if _str(params, "action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _get_chat(self, params: JsonDict) -> JsonDict:
        chat = self._target(params)
        return {
            **chat.as_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _member_status(self, chat: _Chat, user_id: int) -> MemberStatus:
        if chat.creator == user_id:
            return "creator"
        if user_id in chat.admins:
            return "administrator"
        return "member"

    def _member_user(self, user_id: int) -> JsonDict:
        return self._bot_user if user_id == self.bot_id else self._user(user_id, None, None)

    def _get_chat_member(self, params: JsonDict) -> JsonDict:
        chat = self._target(params)
        user_id = _required_int(params, "user_id")
        if chat.type != "private" and chat.forbidden is not None:
            raise ApiError(403, chat.forbidden)
        return _member(self._member_user(user_id), self._member_status(chat, user_id))

    def _get_chat_administrators(self, params: JsonDict) -> list[JsonDict]:
        chat = self._target(params)
        if chat.type == "private":
            raise _bad("there are no administrators in the private chat")
        if chat.forbidden is not None:
            raise ApiError(403, chat.forbidden)
        return [_member(self._member_user(uid), self._member_status(chat, uid)) for uid in chat.admins]

    def _get_file(self, params: JsonDict) -> JsonDict:
        file_id = _str(params, "file_id")
        if file_id is None:
            raise _bad("file_id is required")
        if file_id not in self._files:
            raise _bad("invalid file_id")
        path, content = self._files[file_id]
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(content), "file_path": path}


# -- helpers ---------------------------------------------------------------------------------

_LEADING_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")


def _command_entities(text: str) -> list[JsonDict]:
    match = _LEADING_COMMAND.match(text)
    return [{"type": "bot_command", "offset": 0, "length": match.end()}] if match else []


def _member(user: JsonDict, status: MemberStatus) -> JsonDict:
    """A ChatMember of the given status with every field PTB requires for it."""
    member: JsonDict = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            dict.fromkeys(
                (
                    "can_be_edited",
                    "is_anonymous",
                    "can_promote_members",
                    "can_post_stories",
                    "can_edit_stories",
                    "can_delete_stories",
                ),
                False,
            )
        )
        member.update(
            dict.fromkeys(
                (
                    "can_manage_chat",
                    "can_delete_messages",
                    "can_manage_video_chats",
                    "can_restrict_members",
                    "can_change_info",
                    "can_invite_users",
                    "can_pin_messages",
                ),
                True,
            )
        )
    elif status == "restricted":
        member["until_date"] = 0
        member["is_member"] = True
        member.update(
            dict.fromkeys(
                (
                    "can_change_info",
                    "can_invite_users",
                    "can_pin_messages",
                    "can_send_messages",
                    "can_send_polls",
                    "can_send_other_messages",
                    "can_add_web_page_previews",
                    "can_manage_topics",
                    "can_send_audios",
                    "can_send_documents",
                    "can_send_photos",
                    "can_send_videos",
                    "can_send_video_notes",
                    "can_send_voice_notes",
                    "can_edit_tag",
                ),
                False,
            )
        )
    elif status == "kicked":
        member["until_date"] = 0
    return member


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        chunks: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length > 0 else b""


def _write_json(handler: BaseHTTPRequestHandler, status: int, payload: JsonDict) -> None:
    """One write per answer, with Content-Length, so the connection can be kept alive."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    head = f"HTTP/1.1 {status} {phrase}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    if handler.close_connection:
        head += "Connection: close\r\n"
    handler.wfile.write(head.encode("latin-1") + b"\r\n" + body)
