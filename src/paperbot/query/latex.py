"""LaTeX markup to plain text, fast enough to run on every paper of a day.

arXiv titles and abstracts are raw TeX (``S$^3$-Attention``, ``\\textbf{...}``,
``Schr\\"odinger``, ``\\(T_w\\)``). pylatexenc converts them faithfully but takes about
5 ms per abstract, which alone would spend the matcher's whole time budget for a
day of papers; these few regular expressions do what matching needs in a few
microseconds: accents become Unicode, formatting commands disappear while their
argument stays, math delimiters and sub/superscript marks go, and other commands
(``\\alpha``, ``\\log``) leave their name as a word so that they can still be searched.

A bare ``%`` (as in "95% accuracy") is kept as text; in TeX it would start a
comment, but arXiv's metadata is not a TeX document and authors mean the sign.
"""

from __future__ import annotations

import re
import unicodedata

_COMBINING = {
    '"': "\u0308",
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "c": "\u0327",
    "v": "\u030c",
    "H": "\u030b",
    "u": "\u0306",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
}

_LETTERS = {
    "ss": "ß",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "o": "ø",
    "O": "Ø",
    "l": "ł",
    "L": "Ł",
    "i": "i",
    "j": "j",
}

_ESCAPES = {"%": "%", "&": "&", "#": "#", "_": " ", "$": "", "{": "", "}": ""}

# Symbol accents take their letter directly or in braces: \"o, \"{o}, \'{\i}.
_SYMBOL_ACCENT = re.compile(r"""\\(["'`^~=.])\s*(?:\{\s*(\\?[A-Za-z])\s*\}|(\\?[A-Za-z]))""")
# Letter accents need braces or a space, otherwise \c would eat \cdot, \v \vec, \u \url.
_LETTER_ACCENT = re.compile(r"\\([cvHukrdb])(?:\{\s*(\\?[A-Za-z])\s*\}|\s+([A-Za-z]))")
# TeX swallows the spaces after a control word: "Stra\ss e" is "Straße".
_SPECIAL_LETTER = re.compile(r"\\(ss|ae|AE|oe|OE|aa|AA|o|O|l|L|i|j)(?![A-Za-z])[ \t]*")
_ESCAPE = re.compile(r"\\([%&#_${}])")
_DROP_WITH_ARGUMENT = re.compile(r"\\(?:cite[pt]?|ref|eqref|label|footnote)\*?\{[^{}]*\}")
_FORMATTING = re.compile(
    r"\\(?:text(?:bf|it|rm|sf|tt|sc|up|md|normal)?|emph|math(?:rm|bf|it|sf|tt|cal|bb|frak|scr)"
    r"|operatorname|boldsymbol|bm|mbox|hbox|rm|bf|it|em|sc|tt|sf|cal|mathnormal"
    r"|left|right|[Bb]igg?[lr]?|displaystyle|textstyle|scriptstyle|limits|nolimits"
    r"|underline|overline|widetilde|widehat|tilde|hat|bar|vec|dot|ddot)(?![A-Za-z])"
)
_NAMED_COMMAND = re.compile(r"\\([A-Za-z]+)\*?")
_OTHER_COMMAND = re.compile(r"\\.")
_MARKUP = re.compile(r"[${}^_]")
_NEEDS_WORK = re.compile(r"[${}^_~]")


def _accent(match: re.Match[str]) -> str:
    base = match.group(2) or match.group(3)
    if base.startswith("\\"):
        base = base[1:]  # \i and \j are the dotless letters that carry accents
    return unicodedata.normalize("NFC", base + _COMBINING[match.group(1)])


def strip_latex(text: str) -> str:
    """Plain, NFC-normalised, single-spaced text from arXiv's TeX-flavoured metadata.

    >>> strip_latex(r"S$^3$-Attention for Schr\\"odinger \\textbf{bridges}")
    'S3-Attention for Schrödinger bridges'
    """
    if "\\" in text:
        text = _SYMBOL_ACCENT.sub(_accent, text)
        text = _LETTER_ACCENT.sub(_accent, text)
        text = _SPECIAL_LETTER.sub(lambda m: _LETTERS[m.group(1)], text)
        text = _ESCAPE.sub(lambda m: _ESCAPES[m.group(1)], text)
        text = _DROP_WITH_ARGUMENT.sub("", text)
        text = _FORMATTING.sub("", text)
        text = _NAMED_COMMAND.sub(r" \1 ", text)
        text = _OTHER_COMMAND.sub(" ", text)
    if _NEEDS_WORK.search(text) is not None:
        text = _MARKUP.sub("", text).replace("~", " ")
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())
