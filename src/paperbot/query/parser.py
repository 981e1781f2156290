"""Tokens → AST, with every mistake reported as one line naming the column and the fix.

Grammar, loosest binding first::

    query   := and_expr END
    and_expr:= or_expr ( [AND] or_expr )*          several terms are all required
    or_expr := unary ( OR unary )*
    unary   := (NOT | '-') unary | primary
    primary := '(' and_expr ')' | FIELD value | '~' topic | value
    value   := WORD | QUOTED | '(' and_expr ')'    a group distributes its field
    topic   := WORD | QUOTED                        ~"free text": close in meaning

``like:`` is a field whose value is one or more arXiv ids separated by commas
(``like:2411.17712,2405.01234``): papers close to any of them. Topic terms combine
with the rest like any term (``~"faster inference" cat:cs -survey``).

``OR`` binds tighter than ``AND``, as in web search engines: ``efficient diffusion
OR flow`` is ``efficient AND (diffusion OR flow)``. That reading keeps more words
required, which is what the precision goal wants, and the canonical form always
prints the parentheses so nobody has to remember the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from paperbot import taxonomy
from paperbot.arxiv.ids import parse_arxiv_id
from paperbot.errors import InvalidArxivIdError
from paperbot.query.ast import (
    And,
    Author,
    Category,
    Field,
    HasCode,
    Leaf,
    Like,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Topic,
    Word,
)
from paperbot.query.errors import QueryError
from paperbot.query.lexer import Kind, Token, tokenize
from paperbot.query.text import name_parts, words

MAX_LENGTH = 500
"""Characters in a query; a subscription is a topic, not a document."""
MAX_TERMS = 30
"""Words, phrases and filters in a query; each costs matching time on every paper."""
MAX_DEPTH = 8
"""Nested parentheses."""
MIN_PREFIX = 3
"""Letters before a trailing ``*``: ``a*`` would match most of arXiv."""
MAX_LIKE_IDS = 10
"""Papers in one ``like:`` term."""

_TEXT_FIELDS = {None: Field.ANY, "ti": Field.TI, "abs": Field.ABS, "co": Field.CO}


@dataclass(frozen=True, slots=True)
class _Value:
    text: str
    quoted: bool
    column: int


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._pos = 0
        self._terms = 0

    # -- token stream ---------------------------------------------------------------

    def _peek(self) -> Token:
        return self._tokens[self._pos]

    def _next(self) -> Token:
        token = self._tokens[self._pos]
        self._pos += 1
        return token

    # -- grammar --------------------------------------------------------------------

    def parse(self) -> Node:
        node = self._and_expr(None, 0)
        token = self._peek()
        if token.kind is Kind.RPAREN:
            raise QueryError(
                f"unexpected ')' at column {token.column}: remove it or add a matching '(' before it",
                token.column,
            )
        return node

    def _and_expr(self, field: str | None, depth: int) -> Node:
        self._no_dangling_operator(self._peek(), "before")
        children = [self._or_expr(field, depth)]
        while self._peek().kind not in (Kind.END, Kind.RPAREN):
            if self._peek().kind is Kind.AND:
                operator = self._next()
                self._needs_term_after(operator)
            children.append(self._or_expr(field, depth))
        return _flatten(And, children)

    def _or_expr(self, field: str | None, depth: int) -> Node:
        children = [self._unary(field, depth)]
        while self._peek().kind is Kind.OR:
            operator = self._next()
            self._needs_term_after(operator)
            children.append(self._unary(field, depth))
        return _flatten(Or, children)

    def _unary(self, field: str | None, depth: int) -> Node:
        token = self._peek()
        if token.kind in (Kind.NOT, Kind.MINUS):
            self._next()
            self._needs_term_after(token)
            return Not(self._unary(field, depth), column=token.column)
        return self._primary(field, depth)

    def _primary(self, field: str | None, depth: int) -> Node:
        token = self._next()
        if token.kind is Kind.LPAREN:
            return self._group(token, field, depth)
        if token.kind is Kind.FIELD:
            if field is not None:
                raise QueryError(
                    f"field {token.text}: at column {token.column} is inside {field}:( ... ); "
                    "a term has one field, so move it out of the parentheses",
                    token.column,
                )
            return self._field_value(token, depth)
        if token.kind is Kind.TILDE:
            return self._topic(token, field)
        if token.kind is Kind.WORD:
            return self._leaf(field, _Value(token.text, False, token.column))
        if token.kind is Kind.QUOTED:
            return self._leaf(field, _Value(token.text, True, token.column))
        if token.kind is Kind.RPAREN:
            raise QueryError(
                f"unexpected ')' at column {token.column}: remove it or add a matching '(' before it",
                token.column,
            )
        self._no_dangling_operator(token, "before")
        raise AssertionError(f"unhandled token {token}")  # pragma: no cover

    def _group(self, opening: Token, field: str | None, depth: int) -> Node:
        if depth + 1 > MAX_DEPTH:
            raise QueryError(
                f"parentheses nested too deeply at column {opening.column}: the limit is {MAX_DEPTH} levels",
                opening.column,
            )
        if self._peek().kind is Kind.RPAREN:
            raise QueryError(
                f"empty parentheses at column {opening.column}: put a term inside or remove them",
                opening.column,
            )
        if self._peek().kind is Kind.END:
            raise QueryError(
                f"unclosed parenthesis at column {opening.column}: add a closing ')'",
                opening.column,
            )
        node = self._and_expr(field, depth + 1)
        if self._next().kind is not Kind.RPAREN:
            raise QueryError(
                f"unclosed parenthesis at column {opening.column}: add a closing ')'",
                opening.column,
            )
        return node

    def _field_value(self, field_token: Token, depth: int) -> Node:
        field = field_token.text
        token = self._next()
        if token.kind is Kind.LPAREN:
            return self._group(token, field, depth)
        if token.kind in (Kind.WORD, Kind.QUOTED):
            return self._leaf(field, _Value(token.text, token.kind is Kind.QUOTED, token.column))
        if token.kind is Kind.TILDE:
            raise _topic_in_field(field, token.column)
        if field == "like":
            raise QueryError(
                f"like: at column {field_token.column} has no value; "
                "write like:2411.17712 or like:2411.17712,2405.01234",
                field_token.column,
            )
        raise QueryError(
            f"{field}: at column {field_token.column} has no value; write {field}:word, "
            f'{field}:"a phrase" or {field}:(one OR other)',
            field_token.column,
        )

    # -- operator placement -----------------------------------------------------------

    def _needs_term_after(self, operator: Token) -> None:
        following = self._peek()
        if following.kind in (Kind.END, Kind.RPAREN, Kind.AND, Kind.OR):
            name = "'-'" if operator.kind is Kind.MINUS else operator.kind.value
            raise QueryError(
                f"{name} at column {operator.column} needs a term after it",
                operator.column,
            )

    def _no_dangling_operator(self, token: Token, side: str) -> None:
        if token.kind in (Kind.AND, Kind.OR):
            raise QueryError(
                f"{token.kind.value} at column {token.column} needs a term {side} it",
                token.column,
            )

    # -- leaves ---------------------------------------------------------------------

    def _count_term(self, column: int) -> None:
        self._terms += 1
        if self._terms > MAX_TERMS:
            raise QueryError(
                f"too many terms: the limit is {MAX_TERMS} (term {self._terms} starts at "
                f"column {column}); split the query into several subscriptions",
                column,
            )

    def _topic(self, tilde: Token, field: str | None) -> Topic:
        if field is not None:
            raise _topic_in_field(field, tilde.column)
        value = self._next()
        if value.kind not in (Kind.WORD, Kind.QUOTED):
            raise QueryError(
                f"'~' at column {tilde.column} must be followed by the topic, as in ~\"speeding up inference\"",
                tilde.column,
            )
        self._count_term(tilde.column)
        return _topic(value.text, tilde.column)

    def _leaf(self, field: str | None, value: _Value) -> Leaf:
        self._count_term(value.column)
        if field == "like":
            return _like(value)
        if field == "au":
            return _author(value)
        if field == "cat":
            return _category(value)
        if field == "has":
            return _has(value)
        return _text_leaf(_TEXT_FIELDS[field], value)


def _flatten(kind: type[And] | type[Or], children: list[Node]) -> Node:
    """One child is itself; nested nodes of the same kind merge (``a (b c)`` = ``a b c``)."""
    if len(children) == 1:
        return children[0]
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else (child,))
    return kind(tuple(flat))


def _text_leaf(field: Field, value: _Value) -> Leaf:
    text, column = value.text, value.column
    if not value.quoted and text.lower() in ("or", "not"):
        upper = text.upper()
        raise QueryError(
            f"'{text}' at column {column}: write {upper} in capitals to use it as an "
            f'operator, or "{text.lower()}" in quotes to search for the word',
            column,
        )
    star = text.find("*")
    if star >= 0 and value.quoted:
        raise QueryError(
            f"'*' inside the phrase at column {column}: a phrase matches whole words; remove the quotes or the *",
            column,
        )
    if star >= 0 and star != len(text) - 1:
        raise QueryError(
            f"'*' at column {column + star}: only a trailing * is allowed, as in quantiz*",
            column + star,
        )
    if star >= 0:
        return _prefix(field, text[:-1], column)
    folded = words(text)
    if not folded:
        what = "phrase" if value.quoted else f"'{text}'"
        raise QueryError(
            f"{what} at column {column} has no letters or digits to search for; remove it or type a word",
            column,
        )
    if len(folded) == 1:
        return Word(field, folded[0], column=column)
    return Phrase(field, tuple(folded), column=column)


def _prefix(field: Field, body: str, column: int) -> Prefix:
    folded = words(body)
    if len(folded) != 1:
        raise QueryError(
            f"prefix '{body}*' at column {column} must be a single word, as in quantiz*",
            column,
        )
    if len(folded[0]) < MIN_PREFIX:
        raise QueryError(
            f"prefix '{body}*' at column {column} is too short: use at least {MIN_PREFIX} letters before the *",
            column,
        )
    return Prefix(field, folded[0], column=column)


def _author(value: _Value) -> Author:
    column = value.column
    if "*" in value.text:
        raise QueryError(
            f"au: at column {column} does not take a '*'; write the full surname, as in au:hua or au:\"Yang Hua\"",
            column,
        )
    parts = name_parts(value.text)
    if not any(len(part) > 1 for part in parts):
        raise QueryError(
            f'au:{_quoted(value)} at column {column} needs a name, not only initials, as in au:hua or au:"Y. Hua"',
            column,
        )
    return Author(parts, column=column)


def _category(value: _Value) -> Category:
    column = value.column
    typed = value.text.strip()
    if "*" in typed:
        raise QueryError(
            f"cat: at column {column} does not take a '*'; an archive covers its "
            "categories already, as in cat:cs for every cs.* category",
            column,
        )
    known = taxonomy.canonical_id(typed)
    if known is None:
        guess = taxonomy.suggest(typed)
        fix = f"did you mean {guess}?" if guess else "see arxiv.org/category_taxonomy"
        raise QueryError(f"unknown category '{typed}' at column {column}; {fix}", column)
    return Category(known, column=column)


def _has(value: _Value) -> HasCode:
    if value.text.strip().lower() != "code":
        raise QueryError(
            f"has:{_quoted(value)} at column {value.column} is not supported; the only one is has:code",
            value.column,
        )
    return HasCode(column=value.column)


def _topic_in_field(field: str, column: int) -> QueryError:
    return QueryError(
        f"~ at column {column} is inside {field}:; a topic is matched by meaning over the whole "
        f'paper, so write it on its own, as in ~"speeding up inference"',
        column,
    )


def _topic(text: str, column: int) -> Topic:
    # Backslashes go: a topic is plain prose, and one before the closing quote would
    # read as TeX's \" when the canonical form is parsed again.
    folded = " ".join(text.replace("\\", " ").lower().split())
    if not any(char.isalnum() for char in folded):
        raise QueryError(
            f'the topic at column {column} has no letters or digits; describe it in words, as in ~"faster inference"',
            column,
        )
    return Topic(folded, column=column)


def _like(value: _Value) -> Like:
    column = value.column
    ids: list[str] = []
    for part in value.text.replace(",", " ").split():
        try:
            ids.append(parse_arxiv_id(part).id)
        except InvalidArxivIdError:
            raise QueryError(
                f"like: at column {column} takes arXiv ids, as in like:2411.17712 or "
                f"like:2411.17712,2405.01234; '{part}' is not one",
                column,
            ) from None
    if not ids:
        raise QueryError(f"like: at column {column} needs an arXiv id, as in like:2411.17712", column)
    distinct = tuple(sorted(set(ids)))
    if len(distinct) > MAX_LIKE_IDS:
        raise QueryError(
            f"like: at column {column} names {len(distinct)} papers; the limit is {MAX_LIKE_IDS}",
            column,
        )
    return Like(distinct, column=column)


def _quoted(value: _Value) -> str:
    return f'"{value.text}"' if value.quoted else value.text


def parse_node(text: str) -> Node:
    """The AST of a query; raises ``QueryError`` with a one-line message otherwise."""
    if len(text) > MAX_LENGTH:
        raise QueryError(
            f"query is {len(text)} characters long; the limit is {MAX_LENGTH} "
            f"(it goes past the limit at column {MAX_LENGTH + 1})",
            MAX_LENGTH + 1,
        )
    if not text.strip():
        raise QueryError("empty query: type at least one word to look for")
    return _Parser(tokenize(text)).parse()
