"""A chat's library as people export it: BibTeX, Zotero CSV, RIS, or a list of arXiv ids.

Only the arXiv id of each entry matters here (the paper itself is read from arXiv).
It is found where reference managers put it: BibTeX ``eprint`` (with ``archivePrefix``
arXiv, or an id-shaped value), ``url`` (an arxiv.org link), ``doi`` (arXiv's DOIs are
``10.48550/arXiv.XXXX``) and ``journal`` ("arXiv preprint arXiv:XXXX"); Zotero's CSV
columns ``Url``, ``DOI`` and ``Extra``; RIS ``UR``, ``DO``, ``JO``/``T2`` and ``N1``.
Entries without one are listed back as not recognised, by title.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from paperbot.arxiv.ids import parse_arxiv_id
from paperbot.errors import InvalidArxivIdError

BIBTEX = "bibtex"
ZOTERO_CSV = "zotero-csv"
RIS = "ris"
IDS = "ids"

_ID_TEXT = r"(?:\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?"
# An id only where the text says it is arXiv's: a link, arXiv's DOI, or "arXiv:" before it.
_ARXIV_MENTION = re.compile(
    rf"arxiv\.org/(?:abs|pdf|html)/(?P<link>{_ID_TEXT})"
    rf"|10\.48550/arxiv\.(?P<doi>{_ID_TEXT})"
    rf"|arxiv(?:\s+preprint)?\s*(?::|\s|abs/)\s*(?:arxiv:\s*)?(?P<named>{_ID_TEXT})",
    re.IGNORECASE,
)
_BIBTEX_ENTRY = re.compile(r"^\s*@(?P<type>[A-Za-z]+)\s*[{(]", re.MULTILINE)
_RIS_LINE = re.compile(r"^(?P<tag>[A-Z][A-Z0-9])  -(?: (?P<value>.*))?$")
_BULLET = re.compile(r"^[\s•*\-–]+")
_SEPARATORS = re.compile(r"[\s,;]+")
_SPACE = re.compile(r"\s+")

# Where each format keeps an id, most trusted first; any other field is read last.
_BIBTEX_FIELDS = ("eprint", "url", "doi", "journal", "journaltitle", "note", "howpublished", "volume")
_CSV_COLUMNS = ("DOI", "Url", "Extra", "Archive Location", "Publication Title")
_RIS_TAGS = ("DO", "UR", "L1", "L2", "JO", "JF", "T2", "N1", "M3", "AN")


@dataclass(frozen=True, slots=True)
class Library:
    """What an export held: its format, the arXiv ids found (each once, in order), the rest by name."""

    format: str
    arxiv_ids: list[str] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)


def _valid(candidate: str) -> str | None:
    try:
        return parse_arxiv_id(candidate.strip().rstrip(".,;")).id
    except InvalidArxivIdError:
        return None


def mentioned_arxiv_id(text: str) -> str | None:
    """The first arXiv id the text names as arXiv's (link, DOI, ``arXiv:``), else None."""
    for found in _ARXIV_MENTION.finditer(text):
        candidate = found.group("link") or found.group("doi") or found.group("named")
        if (valid := _valid(candidate)) is not None:
            return valid
    return None


def _first_id(fields: Mapping[str, str], order: Iterable[str]) -> str | None:
    ordered = list(order)
    rest = [name for name in fields if name not in ordered]
    for name in [*ordered, *rest]:
        value = fields.get(name)
        if value and (found := mentioned_arxiv_id(value)) is not None:
            return found
    return None


def _label(title: str | None, fallback: str) -> str:
    text = _SPACE.sub(" ", (title or "").replace("{", "").replace("}", "")).strip()
    return text[:100] or fallback


def _collect(format_name: str, entries: Iterable[tuple[str | None, str]]) -> Library:
    library = Library(format_name)
    seen: set[str] = set()
    for arxiv_id, label in entries:
        if arxiv_id is None:
            library.unrecognised.append(label)
        elif arxiv_id not in seen:
            seen.add(arxiv_id)
            library.arxiv_ids.append(arxiv_id)
    return library


# -- BibTeX ---------------------------------------------------------------------------------


def _bibtex_bodies(text: str) -> Iterable[tuple[str, str]]:
    """(entry type, body between the outer delimiters) of each ``@type{...}``, nesting balanced."""
    for start in _BIBTEX_ENTRY.finditer(text):
        opening = text[start.end() - 1]
        closing = "}" if opening == "{" else ")"
        depth = 1
        position = start.end()
        while position < len(text) and depth:
            char = text[position]
            depth += 1 if char == opening else -1 if char == closing else 0
            position += 1
        yield start.group("type").lower(), text[start.end() : position - 1]


def _bibtex_fields(body: str) -> tuple[str, dict[str, str]]:
    """The citation key and the fields (names lower-cased, outer braces or quotes removed)."""
    key, _, rest = body.partition(",")
    fields: dict[str, str] = {}
    position = 0
    name_pattern = re.compile(r"\s*,?\s*(?P<name>[A-Za-z][\w\-:]*)\s*=\s*")
    while (found := name_pattern.match(rest, position)) is not None:
        position = found.end()
        value, position = _bibtex_value(rest, position)
        fields[found.group("name").lower()] = _SPACE.sub(" ", value).strip()
    return key.strip(), fields


def _bibtex_value(text: str, position: int) -> tuple[str, int]:
    """One value: ``{...}`` (nested), ``"..."``, or a bare word or number; and where it ends."""
    if position >= len(text) or text[position] not in '{"':
        end = text.find(",", position)
        end = len(text) if end == -1 else end
        return text[position:end], end
    quoted = text[position] == '"'
    depth = 0 if quoted else 1
    position += 1
    start = position
    while position < len(text):
        char = text[position]
        if quoted and char == '"' and depth == 0:
            break
        depth += 1 if char == "{" else -1 if char == "}" else 0
        if not quoted and depth == 0:
            break
        position += 1
    return text[start:position].replace("{", "").replace("}", ""), position + 1


def _bibtex_arxiv_id(fields: Mapping[str, str]) -> str | None:
    eprint = fields.get("eprint", "")
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "").lower()
    if eprint and prefix in ("", "arxiv") and (found := _valid(eprint)) is not None:
        return found
    journal = fields.get("journal", "")
    # Semantic Scholar writes journal = {ArXiv}, volume = {abs/2301.00001}.
    in_volume = mentioned_arxiv_id(f"{journal} {fields.get('volume', '')}") if "arxiv" in journal.lower() else None
    if in_volume is not None:
        return in_volume
    return _first_id(fields, _BIBTEX_FIELDS)


def parse_bibtex(text: str) -> Library:
    entries = []
    for entry_type, body in _bibtex_bodies(text):
        if entry_type in ("comment", "preamble", "string"):
            continue
        key, fields = _bibtex_fields(body)
        entries.append((_bibtex_arxiv_id(fields), _label(fields.get("title"), key or "an entry without a key")))
    return _collect(BIBTEX, entries)


# -- Zotero CSV -----------------------------------------------------------------------------


def parse_zotero_csv(text: str) -> Library:
    rows = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    entries = []
    for number, row in enumerate(rows, start=2):
        fields = {name.strip(): value or "" for name, value in row.items() if name}
        entries.append((_first_id(fields, _CSV_COLUMNS), _label(fields.get("Title"), f"row {number}")))
    return _collect(ZOTERO_CSV, entries)


# -- RIS ------------------------------------------------------------------------------------


def parse_ris(text: str) -> Library:
    entries: list[tuple[str | None, str]] = []
    fields: dict[str, str] = {}
    for line in text.splitlines():
        found = _RIS_LINE.match(line.rstrip())
        if found is None:
            continue
        tag, value = found.group("tag"), (found.group("value") or "").strip()
        if tag == "TY":
            fields = {}
        elif tag == "ER":
            title = fields.get("TI") or fields.get("T1")
            entries.append((_first_id(fields, _RIS_TAGS), _label(title, f"entry {len(entries) + 1}")))
            fields = {}
        elif tag in fields:
            fields[tag] += " " + value  # repeated tags (several URLs, notes)
        else:
            fields[tag] = value
    return _collect(RIS, entries)


# -- a list of ids --------------------------------------------------------------------------


def _line_ids(line: str) -> list[str] | None:
    """The ids of a line made only of arXiv ids and links (``2505.14687, arXiv:2501.00001``)."""
    tokens = [t for t in _SEPARATORS.split(_BULLET.sub("", line)) if t]
    found = [_valid(t) for t in tokens]
    if not tokens or any(f is None for f in found):
        return None
    return [f for f in found if f is not None]


def parse_id_list(text: str) -> Library:
    entries: list[tuple[str | None, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        ids = _line_ids(line) or ([found] if (found := mentioned_arxiv_id(line)) else None)
        if ids is None:
            entries.append((None, _label(line, line.strip())))
        else:
            entries += [(arxiv_id, arxiv_id) for arxiv_id in ids]
    return _collect(IDS, entries)


# -- which one ------------------------------------------------------------------------------


def _looks_like_zotero_csv(text: str) -> bool:
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))), [])
    names = {name.strip() for name in header}
    return "Title" in names and bool(names & {"Item Type", "Url", "DOI", "Key"})


def detect_format(text: str) -> str | None:
    """Which export this is; None for text that is none of them (e.g. subscription queries)."""
    if _BIBTEX_ENTRY.search(text):
        return BIBTEX
    if any(line.startswith("TY  -") for line in text.splitlines()):
        return RIS
    if _looks_like_zotero_csv(text):
        return ZOTERO_CSV
    lines = [line for line in text.splitlines() if line.strip()]
    id_lines = sum(1 for line in lines if _line_ids(line) is not None)
    if lines and id_lines * 2 > len(lines):
        return IDS
    return None


PARSERS = {BIBTEX: parse_bibtex, ZOTERO_CSV: parse_zotero_csv, RIS: parse_ris, IDS: parse_id_list}


def parse_library(text: str) -> Library | None:
    """The library in an export of any known format, or None if the text is not one."""
    format_name = detect_format(text)
    return PARSERS[format_name](text) if format_name is not None else None
