"""The offline TL;DR: one or two sentences picked from the abstract, never rewritten.

A researcher scanning a notification wants two things: what the paper contributes
("we propose / present / introduce ...") and how well it works (a number, "outperforms",
"achieves"). Abstracts nearly always say both, in their own words, in separate
sentences; background and motivation come first and are what we skip. So the summary
is extractive: score every sentence as a contribution and as a result, take the best
of each, keep the abstract's order, and shorten only when they do not fit.

Choices worth knowing:

* The text is the authors' words. We drop only lead-ins that carry nothing ("In this
  paper,", "Here,", "To this end,", "Moreover,") and re-capitalise what follows, so
  every word of a summary is a word of the (cleaned) abstract.
* When something must be shortened it is cut between words, at a clause boundary when
  there is one, never inside a word or a number, and ends with "…".
* Speed: scoring works on a lower-cased copy of each sentence, with set lookups first
  and a pattern only where a cheap test says it may match; LaTeX goes through ``latex_to_text`` island by
  island (a formula, a command, a brace group) instead of the whole sentence: pylatexenc
  spends its time tokenising, and most of a sentence is plain words. Only the chosen
  sentences are cleaned at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paperbot.latex import latex_to_text

ELLIPSIS = "…"
# Shorter than this, a trimmed second sentence says too little to be worth its "…".
_MIN_TRIMMED = 60


def _word_set(words: str) -> frozenset[str]:
    """A vocabulary written as prose-like lines: easier to read and extend than a list of strings."""
    return frozenset(words.split())


# -- LaTeX islands ---------------------------------------------------------------------------

# A nested brace group, three levels deep (deeper does not occur in metadata).
_GROUP = r"\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}"
# The pieces of an abstract that are LaTeX: formulas, commands with their arguments,
# accents and escapes, brace groups, non-breaking spaces. Lengths are capped so that a
# lone "$" (a price, a typo) cannot swallow the rest of the abstract.
_ISLAND = re.compile(
    r"\$\$.{1,800}?\$\$"
    r"|(?<!\\)\$[^$]{1,400}?(?<!\\)\$"
    r"|\\\(.{1,400}?\\\)|\\\[.{1,800}?\\\]"
    r"|\\[A-Za-z]+\*?(?:\s*\[[^\]]{0,80}\])?(?:\s*" + _GROUP + r")*"
    r"|\\[^A-Za-z\s](?:\{[^{}]{0,10}\}|[A-Za-z])?"
    r"|" + _GROUP + r"|~",
    re.DOTALL,
)
# Joins the islands of one text into a single pylatexenc call; a private-use character
# that pylatexenc passes through untouched and no abstract contains.
_SEPARATOR = "\ue000"
_LEFTOVER = re.compile(r"\\[A-Za-z]|(?<!\\)\$")


# "$n$", "$\\epsilon$", "\\'e" recur from paper to paper; a pylatexenc call costs ~0.1 ms
# however short its input. Bounded: emptied when full, which is simpler than LRU and as good.
_ISLAND_CACHE: dict[str, str] = {}
_ISLAND_CACHE_SIZE = 4096


def clear_cache() -> None:
    """Forget converted LaTeX (benchmarks call it so that each round starts cold)."""
    _ISLAND_CACHE.clear()


def _convert_islands(islands: list[str]) -> list[str]:
    cache = _ISLAND_CACHE
    missing = list(dict.fromkeys(island for island in islands if island not in cache))
    if missing:
        joined = latex_to_text(_SEPARATOR + _SEPARATOR.join(missing) + _SEPARATOR)
        pieces = joined.split(_SEPARATOR)[1:-1]
        if len(pieces) != len(missing):
            pieces = [latex_to_text(island) for island in missing]
        if len(cache) + len(missing) > _ISLAND_CACHE_SIZE:
            cache.clear()
        for island, piece in zip(missing, pieces, strict=True):
            # latex_to_text keeps its input when pylatexenc gives up; one bad island (an
            # odd \\href) must not keep the others raw, so those are retried one by one.
            if _LEFTOVER.search(piece) and piece == " ".join(island.split()):
                piece = latex_to_text(island)
            cache[island] = piece
    return [cache[island] for island in islands]


def _latex_to_plain(texts: list[str]) -> list[str]:
    """``texts`` with every LaTeX island converted, in a single pylatexenc call for all of them."""
    found = [list(_ISLAND.finditer(text)) if _LATEX_HINT.search(text) else [] for text in texts]
    islands = [match.group(0) for matches in found for match in matches]
    if not islands:
        return texts
    converted = iter(_convert_islands(islands))
    plain: list[str] = []
    for text, matches in zip(texts, found, strict=True):
        out: list[str] = []
        position = 0
        for match in matches:
            out.append(text[position : match.start()])
            out.append(next(converted))
            position = match.end()
        out.append(text[position:])
        plain.append("".join(out))
    return plain


# -- sentence splitting ------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?][\"”')\]]*\s+(?=[\"“'(\[]?[A-Z0-9\\$])")
# Periods that do not end a sentence: the word before them, lower-cased.
_ABBREVIATIONS = _word_set(
    """e.g i.e et al cf vs resp approx ca fig figs eq eqs ref refs sec secs thm lem prop def dr prof mr ms
    mrs st no nos vol pp ph inc ltd co jr sr corp univ dept viz ie eg etal wrt w.r.t a.k.a u.s i.i.d"""
)


_LATEX_HINT = re.compile(r"[\\$~{]")


def _masked(text: str) -> str:
    """Formulas and groups blanked: "$p<0.05$. We ..." and "\\textit{et al.}" hold periods."""
    if not _LATEX_HINT.search(text):
        return text
    return _ISLAND.sub(lambda m: "x" * len(m.group(0)), text)


def split_sentences(text: str) -> list[str]:
    """The abstract's sentences, raw (LaTeX kept), whitespace collapsed."""
    text = " ".join(text.split())
    masked = _masked(text)
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(masked):
        end = match.start() + 1
        word = masked[start:end].rsplit(" ", 1)[-1].rstrip(".").lower()
        # "et al. (2020)", "e.g. Smith": the period belongs to an abbreviation. A single
        # letter is not one: "... of a graph G. We show" is far more common in abstracts
        # than an author's initial.
        if word in _ABBREVIATIONS:
            continue
        sentence = text[start : match.end()].strip()
        if sentence:
            sentences.append(sentence)
        start = match.end()
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


# -- cleaning ------------------------------------------------------------------------------

_CITE = re.compile(r"\s*\(?<(?:cit\.|ref)>\)?")
_DOUBLE_PERIOD = re.compile(r"(?<!\.)\.\.(?!\.)")
# Citation keys typed into abstracts, "[CRS15]", "[Can15, ABC+20]"; numeric brackets stay: "[0, 1]" is an interval.
_CITATION_KEY = re.compile(r"\s*\[[A-Z][A-Za-z+]{0,8}\d{2}[a-z]?(?:\s*[,;]\s*[A-Z][A-Za-z+]{0,8}\d{2}[a-z]?)*\]")
_ANGLE_URL = re.compile(r"<(https?://[^\s<>]+)>")
_SUPERSCRIPT = str.maketrans("0123456789+-−", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻")
# "^3He", "10^-3", "Ca^2+" (what pylatexenc makes of $^3$He, $10^{-3}$, Ca$^{2+}$);
# "x^2.5" and "2^n" stay as they are rather than half-converted.
_POWER = re.compile(r"\^([+\-−]?\d+[+\-]?)(?![\d.,]\d)")
_TIMES = re.compile(r"(\d)\s*×\s*(?=\d)|(\d)\s+×(?![\w(])")
_RELATION = re.compile(r"[≈≤≥∼∝≪≫→]")
_RELATION_LEFT = re.compile(r"(?<=[^\s(\[])([≈≤≥∼∝≪≫→])(?= )")
_RELATION_RIGHT = re.compile(r"(?<= )([≈≤≥∝≪≫→])(?=[^\s)\]])")
_DASH_RANGE = re.compile(r"(?<=\d)--(?=\d)")
_EM_DASH = re.compile(r"\s*---\s*|(?<=\w)--(?=\w)")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)\]])")
_SPACES = re.compile(r"\s+")


def clean_text(raw: str) -> str:
    """Plain, readable text: ``latex_to_text`` plus the typography a card needs.

    pylatexenc leaves ``$^3$He`` as ``^3He`` and ``$8192\\times 8192$`` as ``8192× 8192``;
    superscript digits and a tight ``×`` read better in a chat message. Citations and
    references (``<cit.>``) mean nothing outside the paper and are dropped.
    """
    return clean_texts([raw])[0]


def clean_texts(raws: list[str]) -> list[str]:
    """``clean_text`` of several texts; their LaTeX is converted in one pylatexenc call."""
    return [_typography(text) for text in _latex_to_plain([" ".join(raw.split()) for raw in raws])]


def _typography(text: str) -> str:
    if "<" in text:
        text = _ANGLE_URL.sub(r"\1", _CITE.sub("", text))
    if "[" in text:
        cited = _CITATION_KEY.sub("", text)
        # "Canonne et al. [CRS15]." would end in "al..".
        text = _DOUBLE_PERIOD.sub(".", cited) if cited != text else text
    text = text.replace("``", "“").replace("''", "”")
    if "--" in text:
        text = _EM_DASH.sub("—", _DASH_RANGE.sub("–", text)).replace(" -- ", " – ")
    if "^" in text:
        text = _POWER.sub(lambda m: m.group(1).translate(_SUPERSCRIPT), text)
    if "×" in text:
        text = _TIMES.sub(lambda m: (m.group(1) or m.group(2)) + "×", text)
    if _RELATION.search(text):
        text = _RELATION_RIGHT.sub(r"\1 ", _RELATION_LEFT.sub(r" \1", text))
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


# -- vocabulary ------------------------------------------------------------------------------

_IRREGULAR = {
    "build": ("built",),
    "find": ("found",),
    "give": ("gave", "given"),
    "show": ("shown", "showed"),
    "prove": ("proven",),
    "undertake": ("undertook",),
}


def _forms(verbs: str) -> frozenset[str]:
    """Every form of each verb an abstract uses: "propose", "proposes", "proposed"."""
    forms: set[str] = set()
    for verb in verbs.split():
        forms.add(verb)
        forms.update(_IRREGULAR.get(verb, ()))
        if verb.endswith("y") and verb[-2] not in "aeiou":
            forms.update((verb[:-1] + "ies", verb[:-1] + "ied"))
        elif verb.endswith("e"):
            forms.update((verb + "s", verb + "d"))
        else:
            forms.update((verb + "s", verb + "es", verb + "ed"))
    return frozenset(forms)


_PROPOSE = _forms(
    """propose present introduce develop design devise construct build create formulate offer provide
    pioneer unveil release contribute implement put curate"""
)
_SHOW = _forms(
    """show demonstrate prove establish derive find report obtain identify reveal discover achieve solve
    characterize characterise compute calculate measure observe give generalize generalise extend exhibit
    uncover confirm verify validate resolve realize realise settle answer determine apply"""
)
_STUDY = _forms(
    """study investigate consider analyze analyse examine explore discuss address describe review compare
    evaluate test use employ focus revisit tackle adopt leverage exploit model simulate perform conduct
    carry undertake train benchmark assess quantify outline sketch survey collect compile assemble"""
)
# Words between the subject and its verb: "we here", "we have", "we aim to", "we for the first time".
_BETWEEN = _word_set(
    """here also first further then now newly briefly therefore thus hence additionally finally formally
    experimentally theoretically numerically systematically rigorously carefully explicitly successfully
    empirically analytically comprehensively thoroughly jointly subsequently instead have has had will
    can could would shall aim aims aimed seek seeks sought attempt attempts attempted try tries tried
    intend intends want wish set out to for the time"""
)
_PAPER_NOUNS = "paper work article letter study note thesis manuscript report chapter survey review contribution"
_PAPER = frozenset(_PAPER_NOUNS.split())
# "The paper shows" is this paper; "the study of" is not, so only these nouns count after "the".
_THE_PAPER = frozenset(("paper", "article", "chapter", "thesis", "manuscript"))
_AUXILIARIES = frozenset(("is", "are", "was", "were"))
_PASSIVE_STRONG = _word_set(
    """proposed presented introduced developed derived demonstrated designed constructed established
    reported devised formulated obtained shown proved proven implemented built described conducted
    performed carried"""
)
_PASSIVE_WEAK = _word_set(
    """applied employed used investigated studied analyzed analysed examined considered discussed explored
    evaluated addressed tested"""
)
_OUR_NOUNS = _word_set(
    """method approach model framework algorithm system technique scheme protocol design tool architecture
    pipeline result results analysis findings experiment experiments work contribution contributions
    benchmark dataset theory construction proof simulation simulations measurement measurements
    implementation solution estimator bound bounds methods models algorithms"""
)
_SELF_WORDS = _word_set(
    """we our us both experiments experiment simulations numerical empirical empirically proposed"""
)
_NOVEL = frozenset(["novel", "new", "simple", "efficient", "unified", "general"])
_ADDITIVE_START = _word_set(
    """moreover furthermore additionally also finally lastly besides further then second secondly third
    thirdly next"""
)
_ASIDE = _word_set("""application example illustration demonstration proof byproduct by consequence corollary case""")
_BACKGROUND_START = _word_set(
    """however despite although though while whereas recent recently existing current currently traditional
    known traditionally conventional conventionally many most several previous previously prior"""
)
_CHALLENGE = frozenset(["challenge", "problem", "question", "issue"])
_TO_MAIN = _word_set(
    """this fill address tackle overcome bridge close solve remedy mitigate alleviate resolve answer"""
)


def _phrases(pattern: str) -> re.Pattern[str]:
    """A pattern over the normalised sentence: lower case, words separated by single spaces."""
    return re.compile(r" (?:" + pattern + r")(?= )")


def _alternatives(words: str) -> str:
    return "|".join(words.split())


# The normalised sentence is " word word ... ": a phrase is surrounded by spaces; a cue
# ending in \w* matches a prefix ("outperform" finds "outperforms", "outperforming").
_THIS_PAPER = _phrases(r"(?:this|present) (?:" + _alternatives(_PAPER_NOUNS) + ")")
_IN_THIS_PAPER_WE = _phrases(r"in (?:this|the present) (?:" + _alternatives(_PAPER_NOUNS) + ") we")
_OPENS_IN_THIS_PAPER = re.compile(r"^ in (?:this|the present) (?:" + _alternatives(_PAPER_NOUNS) + ") ")
# "[23]", "\\cite{x}", "Smith et al. (2020)": a sentence about earlier work, not this paper's.
_CITATION = re.compile(r"\[\d+(?:\s*[,–-]\s*\d+)*\]|\\cite|\bet al\.?,? \(?(?:19|20)\d\d")
_WE_AGAIN = _phrases(r"we (?:also|further|then|additionally|finally|first)")
_SELF_PHRASE = _phrases(
    r"(?:this|the|these) (?:new |proposed )?(?:" + _alternatives(" ".join(_OUR_NOUNS)) + r"|compiler|simulator"
    r"|variants?|implementations?|protocols|schemes|frameworks)"
)
_BACKGROUND_OPENING = re.compile(r"^ (?:in recent years|over the past|it is (?:well )?known|one of the) ")
_OUTLOOK = _phrases(
    r"future (?:work|research|directions?|studies)|we (?:hope|believe|expect|anticipate)|pav(?:es|e|ing|ed) the"
    r"|opens? (?:up|new)|new avenues?|the stage|implications? for|may (?:be|prove|help)|could (?:be|help)"
    r"|potential applications?"
)
# A word each outlook phrase contains, to skip the pattern for most sentences.
_OUTLOOK_WORDS = _word_set(
    """future hope believe expect anticipate paves pave paving paved opens open avenues avenue stage
    implications implication may could potential"""
)
# Result cues: a leading space makes a prefix test ("outperform" finds "outperforms").
_STRONG_RESULT = _phrases(
    r"outperform\w*|surpass\w*|state of the art|sota|speedups?|speed ups?|faster|orders? of magnitude|exceed\w*"
    r"|beats|beating|superior|best|tight|record|sublinear|sub linear|polynomial\w*|exponential\w*|quadratic\w*"
    r"|optimal|match\w* the (?:known |best known )?(?:upper|lower) bounds?|matching (?:upper|lower) bounds?"
)
_RESULT = _phrases(
    r"achiev\w*|improv\w*|reduc\w*|better|boost\w*|gains?|accuracy|accuracies|fidelity|fidelities|precision"
    r"|recall|f1|bleu|error rates?|significant\w*|substantial\w*|competitive|match\w*|robust\w*|efficien\w*"
    r"|lower|higher|up to|at least|at most|yield\w*|results (?:show|demonstrate|indicate|reveal|confirm)"
    r"|experiments (?:show|demonstrate|on)|more (?:precise|accurate|efficient|robust|stable|expressive|scalable"
    r"|reliable)"
)
_RESULT = _phrases(
    r"achiev\w*|improv\w*|reduc\w*|better|boost\w*|gains?|accuracy|accuracies|fidelity|fidelities|precision"
    r"|recall|f1|bleu|error rates?|significant\w*|substantial\w*|competitive|match\w*|robust\w*|efficien\w*"
    r"|lower|higher|up to|at least|at most|yield\w*|results (?:show|demonstrate|indicate|reveal|confirm)"
    r"|experiments (?:show|demonstrate|on)|more (?:precise|accurate|efficient|robust|stable|expressive|scalable"
    r"|reliable)"
)
_STOPWORDS = _word_set(
    """a an the of to in on at by for with from and or nor but as that which who whom whose while whereas
    via into onto than then so such its their our his her this these those is are was were be been being
    has have had do does did can could may might will would should shall must not"""
)

# ASCII punctuation becomes a space; letters beyond ASCII stay (they are rare in cues).
_TO_SPACES = {code: " " for code in range(128) if not chr(code).isalnum() and chr(code) != "%"}
_DIGIT = re.compile(r"\d")
_GAIN = re.compile(r"\d\s*(?:\\?%|\\times|×|-?fold\b|x\b|times\b|dB\b)|\\times\s*\$?\s*\d|\bpercent\b", re.IGNORECASE)
# A number: "92.8", "$16\,384$", "40 qubits"; not "SU(3)", "2D", "H100", nor inside a formula.
_NUMBER = re.compile(r"(?<![\w^_])\d+(?:[.,]\d+)?(?![\w(])")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_FORMULA = re.compile(r"\$\$.{1,800}?\$\$|(?<!\\)\$[^$]{1,400}?(?<!\\)\$|\\\(.{1,400}?\\\)", re.DOTALL)
# What is left of a formula once these go tells whether it is a number or an equation.
_FORMULA_NOISE = re.compile(r"\\(?:,|;|!|%|times|pm|sim|approx|simeq|mathrm|text|rm)|[$\\{}\s~()]")
_LETTER = re.compile(r"[A-Za-z]")
# Sentences a card never wants: links (they are shown as facts), housekeeping, withdrawal.
_UNWANTED_HINTS = (
    "http",
    "www.",
    "github",
    "gitlab",
    "huggingface",
    "\\url",
    "available",
    "released",
    "open-source",
    "open source",
    "as follows",
    "rest of th",
)
# A withdrawn paper's abstract says so; that notice is the only summary worth showing.
_WITHDRAWN = re.compile(r"\b(?:paper|article|submission|manuscript|preprint)\b[^.]{0,40}\bwithdrawn\b", re.I)
_UNWANTED = re.compile(
    r"https?://|\bwww\.|\b(?:github|gitlab|huggingface)\.(?:com|co|io)\b|\\url\b"
    r"|\b(?:is|are|will be|has been|have been|was|were|be) (?:made )?(?:publicly |freely |openly )?"
    r"(?:available|released|open[- ]sourced?)\b|\bavailable (?:at|on|from|online|via|upon request)\b"
    r"|\b(?:is|are) organi[sz]ed as follows\b|\bthe rest of (?:this|the) (?:paper|article)\b",
    re.IGNORECASE,
)


# Structured abstracts ("Context: ... Objective: ... Results: ..."): the label says what
# the sentence is, and never belongs in a summary.
_LABEL = re.compile(
    r"^(?P<label>background|context|motivation|problem|objectives?|aims?|purpose|goals?|methods?|methodology"
    r"|approach|results?|findings|conclusions?|significance|keywords|key words|index terms)\s*:\s*",
    re.IGNORECASE,
)
_LABEL_SCORES = {
    "background": (-3.0, -2.0),
    "context": (-3.0, -2.0),
    "motivation": (-3.0, -2.0),
    "problem": (-3.0, -2.0),
    "objective": (1.5, 0.0),
    "objectives": (1.5, 0.0),
    "aim": (1.5, 0.0),
    "aims": (1.5, 0.0),
    "purpose": (1.5, 0.0),
    "goal": (1.5, 0.0),
    "goals": (1.5, 0.0),
    "result": (0.0, 2.0),
    "results": (0.0, 2.0),
    "findings": (0.0, 2.0),
}
_NOT_CONTENT = frozenset(("keywords", "key words", "index terms"))

# -- scoring -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Sentence:
    index: int
    raw: str
    contribution: float
    result: float
    unwanted: bool


def _subject_ends(tokens: list[str], words: set[str]) -> list[int]:
    """Where the words after each subject start: after "we", "this paper", "the article" ..."""
    ends: list[int] = []
    if "we" in words:
        index = -1
        while True:
            try:
                index = tokens.index("we", index + 1)
            except ValueError:
                break
            ends.append(index + 1)
    if not words.isdisjoint(_PAPER):
        for index in range(1, len(tokens)):
            noun = tokens[index]
            before = tokens[index - 1]
            if (noun in _PAPER and before in ("this", "present")) or (noun in _THE_PAPER and before == "the"):
                ends.append(index + 1)
    return ends


def _claim(tokens: list[str], words: set[str]) -> tuple[float, bool]:
    """How strongly the paper claims something here, and whether it is a "we show that" finding.

    "we propose" 4, "we demonstrate X" 3.5, "we show that" 3, "we study" 2, also after
    "this paper" and with words between ("we have recently developed", "we aim to study").
    """
    best = 0.0
    finding = False
    count = len(tokens)
    for start in _subject_ends(tokens, words):
        position = start
        while position < count and position - start < 6 and tokens[position] in _BETWEEN:
            position += 1
        if position >= count:
            continue
        verb = tokens[position]
        if verb in _PROPOSE:
            best = max(best, 4.0)
        elif verb in _SHOW:
            that = "that" in tokens[position + 1 : position + 3]
            finding = finding or that
            best = max(best, 3.0 if that else 3.5)
        elif verb in _STUDY:
            best = max(best, 2.0)
    return best, finding


def _passive(tokens: list[str], words: set[str]) -> float:
    """ "X is proposed" 2.5; "X is studied" 2. "has been proposed" is left out: it cites earlier work."""
    best = 0.0
    if words.isdisjoint(_AUXILIARIES):
        return best
    for index, token in enumerate(tokens[:-1]):
        if token not in ("is", "are", "was", "were"):
            continue
        following = tokens[index + 1]
        if following.endswith("ly") and index + 2 < len(tokens):
            following = tokens[index + 2]
        if following in _PASSIVE_STRONG:
            return 2.5
        if token in ("is", "are") and following in _PASSIVE_WEAK:
            best = 2.0
    return best


def _main_claim(tokens: list[str], normal: str) -> bool:
    """Authors flag their thesis: "Here, we", "In this paper, we", "To this end, we".

    Not "This paper proposes": that is the claim itself, already scored as one.
    """
    if not tokens:
        return False
    if tokens[0] in ("here", "herein") or _OPENS_IN_THIS_PAPER.match(normal):
        return True
    if tokens[0] == "to" and len(tokens) > 2 and tokens[1] in _TO_MAIN and "we" in tokens[2:14]:
        return True
    return "in" in tokens and "we" in tokens and bool(_IN_THIS_PAPER_WE.search(normal))


def _additive(tokens: list[str], normal: str) -> bool:
    """A secondary point: "Moreover, ...", "We also ...", "As an application, ..."."""
    if not tokens:
        return False
    if tokens[0] in _ADDITIVE_START or tokens[:2] == ["in", "addition"]:
        return True
    if tokens[0] == "as" and len(tokens) > 2 and tokens[1] in ("a", "an"):
        return not _ASIDE.isdisjoint(tokens[2:5])
    return "we" in tokens and bool(_WE_AGAIN.search(normal))


def _background(tokens: list[str], normal: str) -> bool:
    if not tokens:
        return False
    if tokens[0] in _BACKGROUND_START or _BACKGROUND_OPENING.match(normal):
        return True
    return tokens[0] == "a" and len(tokens) > 2 and tokens[2] in _CHALLENGE


def _numbers_text(raw: str) -> str:
    """The sentence with formulas blanked: "$n\\geq 6$" is not a result, "$92.8\\%$" is."""

    def keep_numbers(match: re.Match[str]) -> str:
        rest = _FORMULA_NOISE.sub("", match.group(0))
        return match.group(0) if rest and not _LETTER.search(rest) else " "

    return _FORMULA.sub(keep_numbers, raw) if "$" in raw or "\\(" in raw else raw


def _words(text: str) -> list[str]:
    return text.lower().translate(_TO_SPACES).split()


def _score(index: int, raw: str, title_words: frozenset[str], limit: int, *, may_be_unwanted: bool = True) -> _Sentence:
    label = _LABEL.match(raw)
    if label is not None:
        raw = raw[label.end() :]
    tokens = _words(raw)
    words = set(tokens)
    normal = " " + " ".join(tokens) + " "

    contribution, finding = _claim(tokens, words)
    has_claim = contribution >= 2
    if not has_claim:
        contribution = max(contribution, _passive(tokens, words))
    if contribution == 0 and "our" in words:
        for position, token in enumerate(tokens):
            if token == "our" and not _OUR_NOUNS.isdisjoint(tokens[position + 1 : position + 3]):
                contribution = 1.0  # "Our method reaches ...": about the paper, though not its thesis
                break
    if _main_claim(tokens, normal):
        contribution += 2
    if not words.isdisjoint(_NOVEL) or " the first " in normal:
        contribution += 0.5
    if _additive(tokens, normal):
        contribution -= 1
    self_reference = not words.isdisjoint(("we", "our", "us")) or (
        ("this" in words or "present" in words) and bool(_THIS_PAPER.search(normal))
    )
    if not self_reference and tokens and tokens[0] not in ("here", "herein"):
        contribution -= 1.5
    if title_words:
        contribution += 2 * len(words & title_words) / len(title_words)
    if len(raw) > limit * 1.2:
        contribution -= 1  # it would have to be cut

    strong = min(2, len(set(_STRONG_RESULT.findall(normal))))
    result = 1.5 * min(2, len(set(_RESULT.findall(normal))))
    if _DIGIT.search(raw):
        numeric = _numbers_text(raw)
        strong += min(2, len(_GAIN.findall(numeric)))
        result += min(3, max(0, len(_NUMBER.findall(numeric)) - len(_YEAR.findall(numeric))))
    result += 3.0 * strong
    if finding:
        result += 3.5  # "we show that ..." is a result by definition
    if not strong and words.isdisjoint(_SELF_WORDS) and not _SELF_PHRASE.search(normal):
        result -= 2  # "X enables Y" about the field, not about this paper

    if _background(tokens, normal) and contribution < 4:
        contribution -= 3
        result -= 1
    if not words.isdisjoint(_OUTLOOK_WORDS) and _OUTLOOK.search(normal):
        # "... and guide future research" at the end of a claim is a lesser fault than a pure outlook.
        contribution -= 0.5 if has_claim else 1.5
        result -= 2
    if ("[" in raw or "\\cite" in raw or "et al" in raw) and _CITATION.search(raw):
        contribution -= 2
        result -= 3
    if index == 0 and contribution < 2:
        # An opening sentence without "we ..." is nearly always background.
        contribution -= 1
        result -= 2
    unwanted = may_be_unwanted and bool(_UNWANTED.search(raw))
    if label is not None:
        name = label.group("label").lower()
        bonus, result_bonus = _LABEL_SCORES.get(name, (0.0, 0.0))
        contribution += bonus
        result += result_bonus
        unwanted = unwanted or name in _NOT_CONTENT
    return _Sentence(index, raw, contribution, result, unwanted)


def _title_words(title: str | None) -> frozenset[str]:
    if not title:
        return frozenset()
    return frozenset(w for w in _words(title) if len(w) > 2 and w not in _STOPWORDS and not w.isdigit())


# -- composing -----------------------------------------------------------------------------

# Lead-ins that add nothing to a two-sentence summary; what follows is re-capitalised.
_LEAD_IN = re.compile(
    r"^(?:(?:in|with) (?:this|the present|our) (?:paper|work|article|letter|study|note|manuscript|contribution"
    r"|thesis|report|chapter|communication)|here(?:in)?|to this end|to (?:address|tackle|overcome|solve|fill"
    r"|bridge|close|mitigate|remedy|resolve|handle|meet|answer|alleviate) (?:this|these|that|those|the|such)"
    r"(?: \w+){0,4}|in (?:this|that|these) (?:context|setting|regard|direction|spirit)|in particular"
    r"|specifically|moreover|furthermore|additionally|in addition|also|notably|importantly|finally|lastly"
    r"|overall|therefore|thus|hence|consequently|as a result|besides|further|then|second(?:ly)?|third(?:ly)?"
    r"|first(?:ly)?|next|indeed|interestingly|remarkably|crucially|concretely|accordingly|in summary"
    r"|in conclusion|to summari[sz]e|in short|altogether|as such|by contrast|in contrast|on the other hand)"
    r"(?:,\s*|\s+(?=we\b))",
    re.IGNORECASE,
)
# "We also observe ..." stands alone in a summary as "We observe ...".
_WE_ADVERB = re.compile(r"^we (?:also|further|additionally|then|finally|first|now|next) ", re.IGNORECASE)
_CAPITALISE = re.compile(r"^(a|[a-z]{2,})(?=[\s,;:])")
_CLAUSE_BREAK = re.compile(r"(?:[,;:]| [–—]) (?=\S)|\s(?=\()")
_TRAILING_PUNCTUATION = " ,;:([–—-/"


def _drop_lead_in(text: str) -> str:
    while True:
        shorter = _LEAD_IN.sub("", text, count=1)
        if shorter == text:
            break
        text = shorter
    text = _WE_ADVERB.sub("we ", text)
    # "we propose" -> "We propose"; "k-means is ..." and "iPhone ..." keep their case.
    return _CAPITALISE.sub(lambda m: m.group(1).capitalize(), text)


def _tidy(*raws: str) -> list[str]:
    return [_drop_lead_in(text) for text in clean_texts(list(raws))]


def _balanced(text: str) -> str:
    """Cut back before an unclosed bracket: "(up to 3" reads as a typo, "O(d" as half a formula."""
    for opening, closing in ("()", "[]"):
        if text.count(opening) == text.count(closing):
            continue
        depth = 0
        cut = None
        for position, char in enumerate(text):
            if char == opening:
                if depth == 0:
                    cut = position
                depth += 1
            elif char == closing and depth:
                depth -= 1
        if depth and cut is not None:
            # "O(d log n)" cut in the middle loses the "O" too: the whole token goes.
            start = text.rfind(" ", 0, cut) if cut > 0 and text[cut - 1] != " " else cut
            # When the text opens with the bracket, dropping the bracket beats dropping everything.
            text = text[:cut] + text[cut + 1 :] if start <= 0 else text[:start]
    return text


def _without_dangling_end(text: str) -> str:
    """No trailing "and", "of the", comma or dash: the cut must not read as a phrase left open."""
    while True:
        text = text.rstrip(_TRAILING_PUNCTUATION)
        head, _, last = text.rpartition(" ")
        if not head or last.lower() not in _STOPWORDS:
            return text
        text = head


def trim(text: str, limit: int) -> str:
    """``text`` if it fits, else its longest start that fits with "…", cut between words.

    A clause boundary (comma, semicolon, dash, parenthesis) in the last third is
    preferred to an arbitrary word boundary; a trailing "and", "of", "the" is dropped
    too, so the cut never reads as a sentence that stopped mid-phrase.
    """
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ""
    room = limit - len(ELLIPSIS)
    head = text[: room + 1]
    # Only whitespace is a safe cut: never inside a word, a number or "8192×8192". Nor
    # after "soc-", "CMOS/" or "G=": a space there is left over from the source's line breaks.
    space = head.rfind(" ")
    while space > 0 and head[space - 1] in "-/=+":
        space = head.rfind(" ", 0, space)
    head = head[:space] if space > 0 else ""
    clause = None
    for match in _CLAUSE_BREAK.finditer(head):
        if match.start() >= room * 2 // 3:
            clause = match.start()
    if clause is not None:
        head = head[:clause]
    head = _without_dangling_end(_balanced(head)).rstrip(" .")
    return head + ELLIPSIS if head else ""


def _compose(first: str, second: str, limit: int) -> str:
    """Both sentences if they fit; else the second shortened, if what remains still says something."""
    both = f"{first} {second}"
    if len(both) <= limit:
        return both
    room = limit - len(first) - 1
    if room >= _MIN_TRIMMED:
        shortened = trim(second, room)
        if len(shortened) >= _MIN_TRIMMED:
            return f"{first} {shortened}"
    return trim(first, limit)


def tldr(abstract: str, *, limit: int = 280, title: str | None = None) -> str:
    """A one- or two-sentence summary of ``abstract`` in at most ``limit`` characters.

    The best "we propose / present / introduce" sentence, with the strongest result
    sentence after it when both fit (in the abstract's order). ``title``, when given,
    helps find the contribution in abstracts that never say "we". Empty for an empty
    abstract; deterministic; no I/O.
    """
    raw_sentences = split_sentences(abstract)
    if not raw_sentences:
        return ""
    lower = abstract.lower()
    if "withdrawn" in lower:
        notice = next((s for s in raw_sentences if _WITHDRAWN.search(s)), None)
        if notice is not None:
            return trim(_tidy(notice)[0], limit)
    title_words = _title_words(title)
    may_be_unwanted = any(hint in lower for hint in _UNWANTED_HINTS)
    scored = [_score(i, s, title_words, limit, may_be_unwanted=may_be_unwanted) for i, s in enumerate(raw_sentences)]
    usable = [s for s in scored if not s.unwanted] or scored

    contribution = max(usable, key=lambda s: (s.contribution, -s.index))
    if contribution.contribution < 2:
        # No "we ..." anywhere: the sentence closest to the title, else the first.
        contribution = max(usable, key=lambda s: (s.contribution + max(0.0, s.result) / 4, -s.index))
    others = [s for s in usable if s is not contribution and s.result >= 3]
    # Results usually follow the claim; one before it is more likely context.
    result = max(
        others, key=lambda s: (s.result + (0.5 if s.index > contribution.index else 0), -s.index), default=None
    )

    if result is None:
        return trim(_tidy(contribution.raw)[0], limit)
    main, extra = _tidy(contribution.raw, result.raw)
    if result.index < contribution.index:
        # The result came first in the abstract; keep the abstract's order only if both fit.
        both = f"{extra} {main}"
        if len(both) <= limit:
            return both
    return _compose(main, extra, limit)
