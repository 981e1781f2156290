"""LaTeX in arXiv metadata turned into plain Unicode text.

arXiv sends titles, abstracts and author names as their authors typed them:
``Schr\\"odinger``, ``S{\\o}ren``, ``$8192\\times 8192$``, ``\\textbf{GR}ouping``.
pylatexenc does the conversion; we only guard the two places where metadata is not
really LaTeX: a bare ``%`` (a percent sign, not a comment) and text that does not parse.
"""

from __future__ import annotations

import contextlib
import re
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

_BARE_PERCENT = re.compile(r"(?<!\\)%")
_SPACES = re.compile(r"\s+")
# Cheap test first: most author names and many titles hold no LaTeX at all.
_LATEX_HINT = re.compile(r"[\\$^_{}~]")


@lru_cache(maxsize=1)
def _converter() -> LatexNodes2Text:
    return LatexNodes2Text(math_mode="text", strict_latex_spaces=False)


def latex_to_text(text: str) -> str:
    """Plain text with accents as Unicode, markup commands dropped, spaces collapsed."""
    if _LATEX_HINT.search(text):
        escaped = _BARE_PERCENT.sub(r"\\%", text)
        # pylatexenc is tolerant, but metadata can be anything: keep the raw text then.
        with contextlib.suppress(Exception):
            text = _converter().latex_to_text(escaped)
    return _SPACES.sub(" ", text).strip()
