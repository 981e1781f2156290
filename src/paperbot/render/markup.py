"""The marks reply texts may use: ``**bold**``, ```code``` (and fenced blocks), ``[label](url)``."""

from __future__ import annotations

import re
from typing import Literal

Kind = Literal["text", "bold", "code", "pre", "link"]
_MARK = re.compile(
    r"```(?P<pre>.*?)```|`(?P<code>[^`\n]+)`|\*\*(?P<bold>[^*\n]+)\*\*"
    r"|\[(?P<label>[^\]\n]+)\]\((?P<url>https?://[^\s)]+)\)",
    re.DOTALL,
)


def link(label: str, url: str) -> str:
    """Markup for a link; brackets in the label would end it early, so they become parentheses."""
    return f"[{label.replace('[', '(').replace(']', ')')}]({url})"


def spans(text: str) -> list[tuple[Kind, str, str]]:
    """Split marked-up text into (kind, text, url) runs; unmatched marks stay as plain characters."""
    out: list[tuple[Kind, str, str]] = []
    position = 0
    for found in _MARK.finditer(text):
        if found.start() > position:
            out.append(("text", text[position : found.start()], ""))
        if found.group("pre") is not None:
            out.append(("pre", found.group("pre").strip("\n"), ""))
        elif found.group("code") is not None:
            out.append(("code", found.group("code"), ""))
        elif found.group("bold") is not None:
            out.append(("bold", found.group("bold"), ""))
        else:
            out.append(("link", found.group("label"), found.group("url")))
        position = found.end()
    if position < len(text):
        out.append(("text", text[position:], ""))
    return out


def plain(text: str) -> str:
    """The text without marks; a link shows its label (the console adds nothing: no clutter)."""
    return "".join(run for _, run, _ in spans(text))


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at paragraph, line, then word boundaries.

    A single word longer than the limit (a URL, say) is the only thing ever cut inside.
    """
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for part in text.split("\n\n"):
        candidate = f"{current}\n\n{part}" if current else part
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
            current = ""
        if len(part) <= limit:
            current = part
        else:
            smaller = _split_lines(part, limit)
            pieces.extend(smaller[:-1])
            current = smaller[-1]
    if current:
        pieces.append(current)
    return pieces


def _split_lines(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        for word in _words(line, limit):
            joiner = " " if current and not current.endswith("\n") else ""
            candidate = f"{current}{joiner}{word}"
            if len(candidate) <= limit:
                current = candidate
            else:
                pieces.append(current)
                current = word
        current += "\n"
    pieces.append(current.rstrip("\n"))
    return [p.rstrip() for p in pieces if p.strip()] or [""]


def _words(line: str, limit: int) -> list[str]:
    out: list[str] = []
    for word in line.split(" "):
        while len(word) > limit:
            out.append(word[:limit])
            word = word[limit:]
        out.append(word)
    return out
