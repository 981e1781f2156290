"""Where a hit is in the text a user sees, for highlighting.

Matching works on folded keys and never keeps positions (it does not need them);
this module finds the spans again, only for the papers that are actually sent, by
walking the displayed text word by word and folding each word the same way.
"""

from __future__ import annotations

from paperbot.query.ast import Author, Category, Field, HasCode, Leaf, Like, Phrase, Prefix, Topic, Word
from paperbot.query.document import PaperDoc, category_keys
from paperbot.query.names import author_matches
from paperbot.query.text import COMPOUND, WORD, closed_compound, fold_shown, plural_key
from paperbot.query.topics import content_words

Span = tuple[int, int]


def field_text(doc: PaperDoc, field_name: str) -> str:
    """The displayed text of a field that spans refer to."""
    paper = doc.paper
    if field_name == "title":
        return doc.title.text
    if field_name == "abstract":
        return doc.abstract.text
    if field_name == "comment":
        return doc.comment.text
    if field_name == "authors":
        return ", ".join(paper.authors)
    if field_name == "categories":
        return " ".join(paper.categories)
    if field_name == "code":
        return " ".join(paper.code_links)
    raise ValueError(f"no field {field_name!r}")


def _words_with_spans(text: str) -> list[tuple[str, int, int]]:
    """(raw folded word, start, end) in order, as analysis would see the words."""
    out: list[tuple[str, int, int]] = []
    for visible in WORD.finditer(text):
        start, end = visible.span()
        if (
            start >= 2
            and text[start - 1] in "'\u2019"
            and visible.group().lower() == "s"
            and WORD.match(text[start - 2]) is not None
            and (end == len(text) or WORD.match(text[end]) is None)
        ):
            continue  # a possessive 's, which analysis drops
        for piece in WORD.findall(fold_shown(visible.group())):
            out.append((piece, start, end))
    return out


def _compound_spans(text: str, accept: str, prefix: bool) -> list[Span]:
    spans: list[Span] = []
    for compound in COMPOUND.finditer(text):
        closed = closed_compound(fold_shown(compound.group()))
        if closed.startswith(accept) if prefix else plural_key(closed) == accept:
            spans.append(compound.span())
    return spans


def _text_spans(leaf: Word | Phrase | Prefix, text: str) -> list[Span]:
    words = _words_with_spans(text)
    if isinstance(leaf, Word):
        key = plural_key(leaf.text)
        spans = [(s, e) for raw, s, e in words if plural_key(raw) == key]
        return spans + _compound_spans(text, key, prefix=False)
    if isinstance(leaf, Prefix):
        spans = [(s, e) for raw, s, e in words if raw.startswith(leaf.text)]
        return spans + _compound_spans(text, leaf.text, prefix=True)
    keys = [plural_key(word) for word in leaf.words]
    folded = [plural_key(raw) for raw, _, _ in words]
    size = len(keys)
    spans = [
        (words[i][1], words[i + size - 1][2]) for i in range(len(words) - size + 1) if folded[i : i + size] == keys
    ]
    compound = plural_key("".join(leaf.words))
    spans += [(s, e) for raw, s, e in words if plural_key(raw) == compound]
    return spans + _compound_spans(text, compound, prefix=False)


def _joined_spans(items: tuple[str, ...], wanted: list[bool], separator: str) -> list[Span]:
    spans: list[Span] = []
    offset = 0
    for item, keep in zip(items, wanted, strict=True):
        if keep:
            spans.append((offset, offset + len(item)))
        offset += len(item) + len(separator)
    return spans


def _topic_spans(leaf: Topic, text: str) -> list[Span]:
    """The words a paper shares with a topic's text: the visible part of "close in meaning"."""
    wanted = set(content_words(leaf.text))
    return [(s, e) for raw, s, e in _words_with_spans(text) if plural_key(raw) in wanted]


def leaf_spans(leaf: Leaf, doc: PaperDoc, field_name: str) -> list[Span]:
    """Spans of one hit term in ``field_text(doc, field_name)``; a topic term's hit
    (field ``meaning``) shows as the topic's words in the title and abstract."""
    paper = doc.paper
    if isinstance(leaf, Like):
        return []
    if isinstance(leaf, Topic):
        if field_name not in ("title", "abstract"):
            return []
        return _topic_spans(leaf, field_text(doc, field_name))
    if isinstance(leaf, Word | Phrase | Prefix):
        if leaf.field is not Field.ANY and field_name not in ("title", "abstract", "comment"):
            return []
        return _text_spans(leaf, field_text(doc, field_name))
    if isinstance(leaf, Author):
        wanted = [author_matches(leaf.parts, parts) for parts in doc.authors]
        return _joined_spans(paper.authors, wanted, ", ")
    if isinstance(leaf, Category):
        wanted = [leaf.id in category_keys((category,)) for category in paper.categories]
        return _joined_spans(paper.categories, wanted, " ")
    assert isinstance(leaf, HasCode)
    return _joined_spans(paper.code_links, [True] * len(paper.code_links), " ")
