"""LaTeX in arXiv metadata turned into Unicode text for people to read (cards, names).

Matching uses its own faster stripper (``paperbot.query.latex``), which keeps command
names as searchable words; here the aim is faithful display: ``\\hbar`` becomes ħ.

arXiv sends titles, abstracts and author names as their authors typed them:
``Schr\\"odinger``, ``S{\\o}ren``, ``$8192\\times 8192$``, ``\\textbf{GR}ouping``.
pylatexenc does the conversion; we only guard the two places where metadata is not
really LaTeX: a bare ``%`` (a percent sign, not a comment) and text that does not parse.
"""

from __future__ import annotations

import contextlib
import re
from functools import lru_cache

from pylatexenc import latex2text, latexwalker, macrospec

_BARE_PERCENT = re.compile(r"(?<!\\)%")
_SPACES = re.compile(r"\s+")
# Cheap test first: most author names and many titles hold no LaTeX at all.
_LATEX_HINT = re.compile(r"[\\$^_{}~]")


# Macros arXiv abstracts use that pylatexenc does not know; without them \tfrac12 reads "12".
_FRACTIONS = ("tfrac", "dfrac")
_DELIMITERS = {"lvert": "|", "rvert": "|", "lVert": "‖", "rVert": "‖"}


@lru_cache(maxsize=1)
def _contexts() -> tuple[latexwalker.LatexContextDb, latex2text.LatexNodes2Text]:
    """Parser and converter contexts, built once (building them costs more than converting)."""
    parsing = latexwalker.get_default_latex_context_db()
    parsing.add_context_category(
        "paperbot", macros=[macrospec.MacroSpec(name, "{{") for name in _FRACTIONS], prepend=True
    )
    text = latex2text.get_default_latex_context_db()
    fraction = text.get_macro_spec("frac").simplify_repl
    text.add_context_category(
        "paperbot",
        macros=[latex2text.MacroTextSpec(name, simplify_repl=fraction) for name in _FRACTIONS]
        + [latex2text.MacroTextSpec(name, simplify_repl=sign) for name, sign in _DELIMITERS.items()],
        prepend=True,
    )
    return parsing, latex2text.LatexNodes2Text(latex_context=text, math_mode="text", strict_latex_spaces=False)


def latex_to_text(text: str) -> str:
    """Plain text with accents as Unicode, markup commands dropped, spaces collapsed."""
    if _LATEX_HINT.search(text):
        escaped = _BARE_PERCENT.sub(r"\\%", text)
        # pylatexenc is tolerant, but metadata can be anything: keep the raw text then.
        parsing, converter = _contexts()
        with contextlib.suppress(Exception):
            nodes = latexwalker.LatexWalker(escaped, latex_context=parsing, tolerant_parsing=True).get_latex_nodes()[0]
            text = converter.nodelist_to_text(nodes)
    return _SPACES.sub(" ", text).strip()
