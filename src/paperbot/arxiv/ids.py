"""arXiv identifiers in every form users paste them.

New style: ``2505.14687``, ``0704.0002`` (four-digit numbers before 2015), with an
optional version ``v2``. Old style: ``hep-th/9901001``, ``math.GT/0309136``. Users
also paste ``arXiv:2505.14687``, abs/pdf/html URLs, and OAI identifiers
(``oai:arXiv.org:2504.17830v1``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paperbot.errors import InvalidArxivIdError

_NEW_STYLE = r"\d{4}\.\d{4,5}"
_OLD_STYLE = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
_ID = re.compile(rf"(?P<id>{_NEW_STYLE}|{_OLD_STYLE})(?:v(?P<version>\d+))?")
_PREFIXES = re.compile(
    r"^(?:"
    r"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/"
    r"|oai:arxiv\.org:"
    r"|arxiv:"
    r")",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ArxivId:
    """A parsed identifier: the versionless id and the version, if one was given."""

    id: str
    version: int | None = None

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse any accepted form; raise ``InvalidArxivIdError`` with a hint otherwise."""
    candidate = _PREFIXES.sub("", text.strip())
    candidate = candidate.removesuffix(".pdf").rstrip("/")
    found = _ID.fullmatch(candidate)
    if found is None:
        raise InvalidArxivIdError(
            f"{text.strip()!r} is not an arXiv id: expected something like 2505.14687, "
            "2505.14687v2, hep-th/9901001 or an arxiv.org/abs/... link"
        )
    version = found.group("version")
    return ArxivId(found.group("id"), int(version) if version else None)


def split_version(versioned: str) -> tuple[str, int]:
    """``2504.17830v3`` → (``2504.17830``, 3); an id without a version counts as v1."""
    parsed = parse_arxiv_id(versioned)
    return parsed.id, parsed.version or 1
