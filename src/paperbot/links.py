"""Code repository links found in an abstract or a comment."""

from __future__ import annotations

import re

_URL = re.compile(r"https?://[^\s<>\"'{}\\|^`\]]+", re.IGNORECASE)
_BARE_CODE_HOST = re.compile(
    r"(?<![/\w.])((?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co|bitbucket\.org|codeberg\.org)/[^\s<>\"'{}\\|^`\]]+)",
    re.IGNORECASE,
)
CODE_HOSTS = (
    "github.com",
    "gitlab.com",
    "huggingface.co",
    "bitbucket.org",
    "codeberg.org",
    "sourceforge.net",
    "github.io",
)
_TRAILING = ".,;:!?'\""


def _clean(url: str) -> str:
    url = url.rstrip(_TRAILING)
    # A closing parenthesis belongs to the URL only when the URL opened one.
    while url.endswith(")") and url.count("(") < url.count(")"):
        url = url[:-1].rstrip(_TRAILING)
    return url


def _is_code_host(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].lower().removeprefix("www.")
    return any(host == h or host.endswith("." + h) for h in CODE_HOSTS)


def find_code_links(*texts: str | None) -> tuple[str, ...]:
    """Repository and project-page URLs in the given texts, in order, each once.

    Authors write ``https://github.com/x/y``, ``github.com/x/y`` without a scheme, and
    LaTeX's ``\\url{...}``; all three are found. Only code hosts count: a DOI or a
    journal link in a comment is not code.
    """
    found: list[str] = []
    for text in texts:
        if not text:
            continue
        candidates = [(m.start(), _clean(m.group(0))) for m in _URL.finditer(text)]
        candidates += [(m.start(), "https://" + _clean(m.group(1))) for m in _BARE_CODE_HOST.finditer(text)]
        for _, url in sorted(candidates):
            if _is_code_host(url) and url.count("/") >= 3 and url not in found:
                found.append(url)
    return tuple(found)


def find_urls(*texts: str | None) -> tuple[str, ...]:
    """Every http(s) URL in the given texts, in order, each once, trailing punctuation removed.

    For callers that judge a link by its context rather than its host (a project page
    introduced as "Project page: https://...").
    """
    found: list[str] = []
    for text in texts:
        if not text:
            continue
        for match in _URL.finditer(text):
            url = _clean(match.group(0))
            if url.count("/") >= 2 and url not in found:
                found.append(url)
    return tuple(found)
