"""Query text → tokens, each with the 1-based column it starts at.

The lexer only knows the shape of the text: parentheses, quotes, a leading ``-``,
a leading ``~`` (a topic term), ``field:`` prefixes and the operator words. Whether a word is a valid category, a
long enough prefix and so on is the parser's business.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from paperbot.query.errors import QueryError

FIELDS = ("ti", "abs", "au", "co", "cat", "has", "like")
"""Field names, as arXiv's own search spells them (plus ``has:`` and ``like:``)."""

# What people type when they mean one of our fields.
_FIELD_HINTS = {
    "title": "ti",
    "abstract": "abs",
    "summary": "abs",
    "author": "au",
    "authors": "au",
    "comment": "co",
    "comments": "co",
    "category": "cat",
    "categories": "cat",
    "code": "has",
    "similar": "like",
    "related": "like",
}

_FIELD_PREFIX = re.compile(r"([A-Za-z]+):")
_STOP = frozenset(' \t\n\r\f\v()"')


class Kind(enum.Enum):
    WORD = "word"
    QUOTED = "quoted"
    FIELD = "field"
    LPAREN = "("
    RPAREN = ")"
    MINUS = "-"
    TILDE = "~"
    AND = "AND"
    OR = "OR"
    NOT = "NOT"
    END = "end"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    column: int


def _unknown_field(name: str, column: int) -> QueryError:
    hint = _FIELD_HINTS.get(name.lower())
    fields = "ti:, abs:, au:, co:, cat:, has: or like:"
    fix = f"did you mean {hint}:?" if hint else f"use {fields}, or put the text in quotes"
    return QueryError(f"unknown field '{name}:' at column {column}; {fix}", column)


def _is_accent_quote(text: str, index: int) -> bool:
    """``\\"o`` is TeX for ö (users paste ``Schr\\"odinger``), not the start of a phrase."""
    return text[index] == '"' and index > 0 and text[index - 1] == "\\"


def _closing_quote(text: str, start: int) -> int:
    end = text.find('"', start)
    while end > 0 and _is_accent_quote(text, end):
        end = text.find('"', end + 1)
    return end


def tokenize(text: str) -> list[Token]:
    """Split a query into tokens; raises ``QueryError`` for unclosed quotes and the like."""
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        column = i + 1
        if char.isspace():
            i += 1
        elif char == "(":
            tokens.append(Token(Kind.LPAREN, char, column))
            i += 1
        elif char == ")":
            tokens.append(Token(Kind.RPAREN, char, column))
            i += 1
        elif char == '"':
            end = _closing_quote(text, i + 1)
            if end < 0:
                raise QueryError(
                    f'unclosed quote at column {column}: add a closing " after the phrase',
                    column,
                )
            tokens.append(Token(Kind.QUOTED, text[i + 1 : end], column))
            i = end + 1
        elif char == "-" and (i + 1 >= n or text[i + 1].isspace() or text[i + 1] == ")"):
            raise QueryError(
                f"'-' at column {column} must be followed directly by the term to leave out, as in -survey",
                column,
            )
        elif char == "-":
            tokens.append(Token(Kind.MINUS, char, column))
            i += 1
        elif char == "~":
            if i + 1 >= n or text[i + 1].isspace() or text[i + 1] in "()~":
                raise QueryError(
                    f"'~' at column {column} must be followed directly by the topic, as in ~\"speeding up inference\"",
                    column,
                )
            tokens.append(Token(Kind.TILDE, char, column))
            i += 1
        else:
            end = i
            while end < n and (text[end] not in _STOP or _is_accent_quote(text, end)):
                end += 1
            _bare(text, i, end, tokens)
            i = end
    tokens.append(Token(Kind.END, "", n + 1))
    return tokens


def _bare(text: str, start: int, end: int, tokens: list[Token]) -> None:
    """A run without spaces, parentheses or quotes: field prefixes, an operator or a word."""
    while True:
        run = text[start:end]
        column = start + 1
        prefix = _FIELD_PREFIX.match(run)
        if prefix is None:
            break
        name = prefix.group(1)
        if name.lower() not in FIELDS:
            raise _unknown_field(name, column)
        tokens.append(Token(Kind.FIELD, name.lower(), column))
        start += prefix.end()
        if start == end:
            following = text[end] if end < len(text) else ""
            if following in ('"', "("):
                return
            if name.lower() == "like":
                raise QueryError(
                    f"like: at column {column} has no value; write like:2411.17712 or like:2411.17712,2405.01234",
                    column,
                )
            raise QueryError(
                f"{name.lower()}: at column {column} has no value; write {name.lower()}:word, "
                f'{name.lower()}:"a phrase" or {name.lower()}:(one OR other)',
                column,
            )
    if run.startswith("~") and tokens and tokens[-1].kind is Kind.FIELD:
        field = tokens[-1].text
        raise QueryError(
            f"~ at column {column} follows {field}:; a topic is matched by meaning over the whole "
            'paper, so write it on its own, as in ~"speeding up inference"',
            column,
        )
    if run in ("AND", "OR", "NOT"):
        tokens.append(Token(Kind[run], run, column))
    elif run.lower() == "and":
        # A lowercase "and" can only mean what the implicit AND already does.
        tokens.append(Token(Kind.AND, run, column))
    else:
        tokens.append(Token(Kind.WORD, run, column))
