"""The canonical printed form of a query, shown back on /subscribe and /list.

It is what the bot understood, written so that parsing it again gives the same
query: field names in lower case, words folded as they are matched (case and
accents, not plurals), quotes only where needed, a hyphenated word shown as the
phrase it means, ``AND`` never written (it is the default) and parentheses around
every ``OR`` that sits inside an ``AND`` and vice versa, so that the grouping is
visible whichever precedence the reader has in mind.
"""

from __future__ import annotations

from paperbot.query.ast import (
    And,
    Author,
    Category,
    Field,
    HasCode,
    Like,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Topic,
    Word,
)

_OPERATOR_WORDS = frozenset({"and", "or", "not"})


def _field(field: Field) -> str:
    return "" if field is Field.ANY else f"{field.value}:"


def _author(parts: tuple[str, ...]) -> str:
    if len(parts) == 1:
        return f"au:{parts[0]}"
    shown = " ".join(f"{part}." if len(part) == 1 else part for part in parts)
    return f'au:"{shown}"'


def canonical(node: Node) -> str:
    """``Efficient  Diffusion OR flow -TI:survey`` → ``efficient (diffusion OR flow) NOT ti:survey``."""
    if isinstance(node, Word):
        text = f'"{node.text}"' if node.text in _OPERATOR_WORDS else node.text
        return _field(node.field) + text
    if isinstance(node, Phrase):
        return f'{_field(node.field)}"{" ".join(node.words)}"'
    if isinstance(node, Prefix):
        return f"{_field(node.field)}{node.text}*"
    if isinstance(node, Author):
        return _author(node.parts)
    if isinstance(node, Category):
        return f"cat:{node.id}"
    if isinstance(node, HasCode):
        return "has:code"
    if isinstance(node, Topic):
        return f'~"{node.text}"'
    if isinstance(node, Like):
        return "like:" + ",".join(node.ids)
    if isinstance(node, Not):
        return f"NOT {_grouped(node.child)}"
    if isinstance(node, And):
        return " ".join(_grouped(child) for child in node.children)
    return " OR ".join(_grouped(child) for child in node.children)


def _grouped(node: Node) -> str:
    text = canonical(node)
    return f"({text})" if isinstance(node, And | Or) else text
