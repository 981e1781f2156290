"""Key facts for a paper's card: code, project page, venue, and the size of the paper.

All of it comes from what authors type in the abstract and the free-text comment
("12 pages, 5 figures. Accepted at ICML 2025. Code: https://github.com/..."). The
comment has no grammar, so every extractor here is conservative: a venue is reported
only after an acceptance cue ("accepted at", "to appear in", "published in", "in
proceedings of") or as a well-known acronym with a year, never from "submitted to" or
"under review", and never from the venue of an earlier version ("a preliminary version
appeared in ..."). A missing fact is better than a wrong one on a card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paperbot.domain import Paper
from paperbot.latex import latex_to_text
from paperbot.links import find_code_links, find_urls


def _word_set(words: str) -> frozenset[str]:
    """A vocabulary written as prose-like lines: easier to read and extend than a list of strings."""
    return frozenset(words.split())


# Hosts whose pages are a project's site rather than its repository.
_PAGE_HOSTS = ("github.io", "gitlab.io", "pages.dev", "netlify.app", "vercel.app", "readthedocs.io")
# Text that introduces a project page on any host: "Project page: https://...".
_PAGE_CUE = re.compile(
    r"\b(?:project (?:page|website|webpage|site|homepage)|home ?page|web ?site|web ?page|demos?|videos?"
    r"|visuali[sz]ations?|interactive)\b[^.;]{0,40}$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class PaperFacts:
    """What a reader checks before opening a paper; ``None`` when the metadata does not say.

    ``code_links`` are repositories and model/data hubs (GitHub, GitLab, Hugging Face,
    Bitbucket, Codeberg, SourceForge); ``project_pages`` are sites (``*.github.io``, or a
    link introduced as "project page", "website", "demo"). ``venue`` is normalised:
    ``"ICML 2025"`` from "Accepted at the 42nd International Conference on Machine
    Learning (ICML 2025)".
    """

    code_links: tuple[str, ...] = ()
    project_pages: tuple[str, ...] = ()
    venue: str | None = None
    pages: int | None = None
    figures: int | None = None
    tables: int | None = None


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0].lower().removeprefix("www.")


def _is_page_host(url: str) -> bool:
    host = _host(url)
    return any(host == h or host.endswith("." + h) for h in _PAGE_HOSTS)


def _link_text(text: str) -> str:
    """Text to look for links in: raw unless LaTeX could hide part of a URL (``foo\\_bar``).

    pylatexenc is slow, so it only runs when an abstract has both a link and a backslash.
    """
    lowered = text.lower()
    has_link = "http" in lowered or any(host in lowered for host in ("github", "gitlab", "huggingface", "codeberg"))
    return latex_to_text(text) if has_link and "\\" in text else text


_LINK_HINTS = ("http", "www.", "github", "gitlab", "huggingface", "bitbucket", "codeberg", "sourceforge")


def _may_link(text: str | None) -> bool:
    """Cheap test first: the link patterns are slow, and most abstracts hold no link."""
    if not text:
        return False
    lowered = text.lower()
    return any(hint in lowered for hint in _LINK_HINTS)


def _links(paper: Paper) -> tuple[tuple[str, ...], tuple[str, ...]]:
    abstract = _link_text(paper.abstract) if _may_link(paper.abstract) else ""
    comment = paper.comment if _may_link(paper.comment) else None
    found = list(dict.fromkeys([*find_code_links(abstract, comment), *paper.code_links]))
    code = [url for url in found if not _is_page_host(url)]
    pages: list[str] = []
    for text in (abstract, comment):
        if not text or "http" not in text:
            continue
        for url in find_urls(text):
            if url in pages or url in code:
                continue
            if _is_page_host(url) or _PAGE_CUE.search(text[: text.find(url)][-80:]):
                pages.append(url)
    pages += [url for url in found if _is_page_host(url) and url not in pages]
    return tuple(code), tuple(pages)


# -- size ------------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "no": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_COUNT = r"(\d{1,4}|" + "|".join(_NUMBER_WORDS) + r")"
# "12 pages", "12+4 pages", "11 double-column pages", "12 pp."
_PAGES = re.compile(
    r"(?<![\w.])(\d{1,4})(?:\s*\+\s*(\d{1,4}))?\s*(?:(?:double|two|single|one)[- ]column\s+|A4\s+)?"
    r"(?:pages?\b|pp\b)",
    re.IGNORECASE,
)
# "5 figures", "25 ps figures", "1 eps figure", "no figures", "two tables".
_KINDS = r"(?:(?:ps|eps|postscript|colou?r(?:ed)?|png|jpe?g|pdf|embedded|main|new|additional|supplementary)\s+)?"
_FIGURES = re.compile(r"(?<![\w.])" + _COUNT + r"\s+" + _KINDS + r"(?:figures?|figs?\b)", re.IGNORECASE)
_TABLES = re.compile(r"(?<![\w.])" + _COUNT + r"\s+" + _KINDS + r"tables?\b", re.IGNORECASE)


def _count(pattern: re.Pattern[str], text: str, maximum: int) -> int | None:
    match = pattern.search(text)
    if match is None:
        return None
    word = match.group(1).lower()
    value = _NUMBER_WORDS[word] if word in _NUMBER_WORDS else int(word)
    return value if value <= maximum else None


def _pages(comment: str) -> int | None:
    match = _PAGES.search(comment)
    if match is None:
        return None
    # "9+12 pages" is 9 pages of paper and 12 of appendix: the reader gets 21.
    total = int(match.group(1)) + int(match.group(2) or 0)
    return total if 0 < total <= 2000 else None


# -- venue -----------------------------------------------------------------------------------

# Venues well enough known to be recognised without a cue ("NeurIPS 2024 (Spotlight)").
KNOWN_VENUES = _word_set(
    """AAAI AAMAS ACL AISTATS ASE BMVC CAV CCS CHI CIKM COLING COLT CoRL CRYPTO CVPR DAC DCC ECCV ECIR ECML
    EMNLP ESA ESEC EUROCRYPT FOCS FSE GECCO HPCA ICALP ICASSP ICC ICCV ICDE ICDM ICLR ICML ICRA ICSE
    ICST IJCAI INFOCOM INTERSPEECH Interspeech IROS ISCA ISIT ISSTA ITW KDD LICS MICCAI MLSys NAACL NDSS
    NeurIPS NIPS NSDI OOPSLA OSDI PLDI PODC PODS POPL RecSys SIGCOMM SIGGRAPH SIGIR SIGMOD SODA SOSP
    STACS STOC UAI UIST USENIX VLDB WACV WSDM WWW"""
)
_KNOWN = "|".join(sorted(KNOWN_VENUES, key=len, reverse=True))
_YEAR = r"(?:19|20)\d\d"
# An acronym with its year: "ICML 2025", "ISIT'07", "ICST2023", "MET'21", "DLT'2007".
_ACRONYM_YEAR = re.compile(
    r"\(\s*([A-Z][A-Za-z0-9&@+/\-]*?[A-Z][A-Za-z0-9&@+/\-]*?)\s*['’]?\s*(" + _YEAR + r"|\d\d)\s*\)"
)
# "(ICST) 2023", "(ISSTA), 2020"
_ACRONYM_THEN_YEAR = re.compile(r"\(\s*([A-Z][A-Za-z0-9&@+/\-]*[A-Z][A-Za-z0-9&@+/\-]*)\s*\)\s*,?\s*(" + _YEAR + r")\b")
_ACRONYM_ALONE = re.compile(r"\(\s*([A-Z][A-Za-z&@+/\-]*[A-Z][A-Za-z&@+/\-]*)\s*\)")
_KNOWN_YEAR = re.compile(r"(?<![\w@])(" + _KNOWN + r")\s*['’]?\s*(" + _YEAR + r"|\d\d)(?!\d)(?!\s*[Ww]orkshop)")
_ANY_YEAR = re.compile(r"(?<!\d)(" + _YEAR + r")(?!\d)")
_NOT_ACRONYMS = frozenset(("IEEE", "ACM", "LNCS", "SIAM", "AMS", "IOP", "APS", "LIPICS", "LIPIcs", "PMLR", "JMLR"))

# What follows says the paper is (to be) published there.
_CUE = re.compile(
    r"\b(?:accepted|to appear|to (?:be )?(?:published|presented|present)|will (?:be )?(?:appear|published|presented)"
    r"|published|appear(?:s|ed)?|presented|in press|forthcoming|camera[- ]ready(?: version)?"
    r"|(?:in )?proc(?:eedings|\.)? (?:of|in))\b",
    re.IGNORECASE,
)
# ... unless it is about another version or only a submission.
_EARLIER_WORDS = (
    r"\b(?:preliminary|earlier|previous(?:ly)?|prior|short(?:er)?|conference (?:version|paper|form)|conference"
    r"|extended abstract|part of this|portions?|in part|parts? of this|companion|related|first version|older"
    r"|original version)\b"
)
_EARLIER = re.compile(_EARLIER_WORDS + r"[^.;]{0,150}$", re.IGNORECASE)
_EARLIER_IN_SENTENCE = re.compile(_EARLIER_WORDS, re.IGNORECASE)
_SUBMITTED = re.compile(r"\b(?:submitted|under review|under submission|in preparation|in review)\b", re.IGNORECASE)
# Words between the cue and the venue: "accepted for publication in", "accepted as a poster at".
_FILLER = re.compile(
    r"^(?:\s*(?:for publication|for presentation|as an? [\w\- ]{0,30}?(?:paper|poster|talk|oral|spotlight|presentation"
    r"|contribution|article)|and (?:to be |will be )?presented|and published|on the [\w\- ]{1,40}?(?:track|session)"
    r"(?: of)?|with minor revisions?|in (?:its )?(?:final|revised) form|,)\s*)*",
    re.IGNORECASE,
)
_PREPOSITION = re.compile(r"^\s*(?::|\b(?:at|to|by|in|for|on|into|of|as part of)\b)\s*", re.IGNORECASE)
# "Proceedings of the ...", "Proc. 8th ..." go; "Proc. R. Soc. Lond." is a journal's name and stays.
_PROCEEDINGS = re.compile(
    r"^(?:the\s+)?(?:(?:proceedings|proc\.?)\s+(?:of\s+|in\s+)?(?:the\s+)?(?=\d|[A-Z][A-Za-z\-&]+(?![.\w])))?",
    re.IGNORECASE,
)
_ORDINAL = re.compile(
    r"^(?:\d{1,3}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth)"
    r"\s+(?:annual\s+)?",
    re.IGNORECASE,
)
_LEADING_YEAR = re.compile(r"^(?:" + _YEAR + r")\s+")
_URL = re.compile(r"\(?\s*(?:https?://|www\.)\S+\s*\)?", re.IGNORECASE)
_MEETING = re.compile(r"\b(?:conference|symposium|workshop|congress|meeting|colloquium|school|summit|forum)\b", re.I)
_NOT_A_VENUE = re.compile(
    r"^special issue|\b(?:submitted|review|book|thesis|dissertation|report|preprint|arxiv"
    r"|this (?:paper|article|version)|a (?:journal|conference|workshop)|the (?:journal|conference)$)\b",
    re.IGNORECASE,
)
# Abbreviations that end in a period inside a journal name ("Phys. Rev. Lett.", "IEEE Trans. Inform. Theory").
_LONG_ABBREVIATIONS = _word_set(
    """inform commun comput theor technol electron astrophys statist probab mathem optim worksh sympos
    confer"""
)
_MAX_VENUE = 80


def _until_sentence_end(text: str) -> str:
    """Up to the end of the sentence, a period after an abbreviation ("Phys. Rev.") not being one."""
    for match in re.finditer(r"\.(?=\s|$)|;", text):
        if match.group(0) == ";":
            return text[: match.start()]
        word = re.search(r"([A-Za-z]+)$", text[: match.start()])
        if word is None:
            return text[: match.start()]
        letters = word.group(1)
        # "Phys.", "Rev.", "comp." abbreviate; "PRL." and "QIC." are acronyms ending a sentence.
        if _abbreviated(letters):
            if _name_goes_on(text[match.end() :]):
                continue
            if len(letters) > 1:
                return text[: match.end()]  # "Phys. Rev. Lett." keeps its last period; "Phys. Rev. A" has none
        return text[: match.start()]
    return text


def _abbreviated(letters: str) -> bool:
    """ "J", "Phys", "Rev", "comp", "Inform" abbreviate; "PRL" and "QIC" are acronyms ending a sentence."""
    if len(letters) > 1 and letters.isupper():
        return False
    return len(letters) <= 5 or letters.lower() in _LONG_ABBREVIATIONS


_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?"
    r"|nov(?:ember)?|dec(?:ember)?)"
)
# Where a venue's name ends and something else (place, date, note) begins.
_NAME_END = re.compile(
    r"\s+\(|\s+-{1,2}\s+|\s+[–—]\s+|:\s|\s+co-located|\s+held\b|\s+http|[\"“”]|\s+by the\b"
    r"|\s+and (?:has|have|will|is|was|to be)\b|\s+but\b|\s+as\s|\s+for (?:presentation|publication)\b"
    r"|\s+(?:in|on)\s+(?:the\s+)?(?:spring|summer|fall|autumn|winter)\b"
    r"|,?\s+(?:(?:on|in)\s+)?" + _MONTH + r"\.?(?:\s*\d|\s*$|,)|\s+\d+\s*(?:pages|figures|tables)\b"
    r"|,?\s+vol\b|,?\s+special issue"
    # a volume, "Phys. Rev. Lett. 134, 123401"; a year stays: "Privacy Enhancing Technologies 2007"
    r"|\s+(?!(?:19|20)\d\d\b)\d{1,5}(?=\s*[,:(]|\s*$)",
    re.IGNORECASE,
)
# "in Nice, France" after a conference name is where it met, not part of the name.
_PLACE = re.compile(r"\s+in\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?$")
_GENERIC = _word_set(
    """international conference workshop symposium annual ieee acm proceedings journal of on the and in for"""
)
# "AAAI-14", "FUN '14", "ISC'14", "JCDL'07": an acronym and a short year.
# "Conferences on Intelligent Computer Mathematics CICM2014", "IEEE ICT 2014": the acronym says it.
_TRAILING_ACRONYM_YEAR = re.compile(r"(?<![\w/])([A-Z]{2,}[A-Za-z/&]*)\s*['’-]?\s*(" + _YEAR + r")$")
_SHORT_YEAR_NAME = re.compile(r"^([A-Z][A-Za-z&]*[A-Z][A-Za-z&]*)\s*[-'’]?\s*(\d\d|" + _YEAR + r")$")


_FUNCTION_WORDS = frozenset(
    ["of", "on", "in", "and", "the", "for", "de", "des", "der", "und", "di", "du", "la", "le", "et"]
)


def _name_goes_on(after: str) -> bool:
    """After "Lett." or "comp.": more of a name ("Rev. Lett.", "of the IEEE"), not a new sentence.

    Prose starts with a capitalised word followed by a lower-case one ("Minor corrections",
    "Supplementary material"); names go on with function words, capitals, digits and
    more abbreviations.
    """
    words = after.split()[:2]
    if not words:
        return False
    first = words[0]
    if first[:1].islower():
        return first.endswith(".") or first.strip(".,;:") in _FUNCTION_WORDS
    if not first[:1].isupper():
        return first[:1].isdigit()
    if len(words) == 1:
        return True
    second = words[1]
    return not (second[:1].islower() and second.strip(".,;:") not in _FUNCTION_WORDS)


def _cut_name(segment: str) -> str:
    """The venue's name from the text after the cue: up to where a place, date or note starts.

    "Software Testing, Verification and Validation" is one name: a comma followed by a
    run of capitalised words that ends in "and ..." continues it; "Signal Processing,
    2007" and "Information Theory, Nice, France" end it.
    """
    end = _NAME_END.search(segment)
    name = segment[: end.start()] if end else segment
    parts = re.split(r",\s*", name)
    kept = parts[0]
    index = 1
    while index < len(parts):
        run = index
        while run < len(parts) and _listed(parts[run]) and not parts[run].lower().startswith("and "):
            run += 1
        if run < len(parts) and parts[run].lower().startswith("and ") and _listed(parts[run][4:]):
            kept = ", ".join([kept, *parts[index : run + 1]])
            index = run + 1
        elif run > index and run < len(parts) and " and " in parts[run - 1]:
            kept = ", ".join([kept, *parts[index:run]])
            index = run
        elif index < len(parts) and " and " in parts[index] and _listed(parts[index]):
            kept = ", ".join([kept, parts[index]])
            index += 1
        else:
            break
    if _MEETING.search(kept):
        kept = _PLACE.sub("", kept)
    kept = kept.strip(" ,:;'\"`’‘“”")
    last = re.search(r"([A-Za-z]+)\.$", kept)
    return kept if last and len(last.group(1)) > 1 and _abbreviated(last.group(1)) else kept.rstrip(" .")


def _listed(part: str) -> bool:
    """One item of a list inside a name: a few capitalised words, no digits ("Verification")."""
    words = part.split()
    return 0 < len(words) <= 5 and not any(c.isdigit() for c in part) and words[-1][:1].isupper()


def _from_segment(segment: str) -> str | None:
    """A venue from the words after an acceptance cue, or None if they do not name one."""
    segment = _until_sentence_end(segment).strip()
    if not segment or _SUBMITTED.search(segment):
        return None
    for pattern in (_ACRONYM_YEAR, _ACRONYM_THEN_YEAR):
        match = pattern.search(segment)
        acronym = match.group(1).rstrip("-") if match else ""
        if match and acronym not in _NOT_ACRONYMS:
            return f"{acronym} {_full_year(match.group(2))}"
    known = _KNOWN_YEAR.search(segment)
    if known:
        return f"{known.group(1)} {_full_year(known.group(2))}"
    alone = _ACRONYM_ALONE.search(segment)
    year = _ANY_YEAR.search(segment)
    if alone and alone.group(1) not in _NOT_ACRONYMS and len(alone.group(1)) <= 12:
        return f"{alone.group(1)} {year.group(1)}" if year else alone.group(1)
    name = _cut_name(segment.strip(" '\"`‘“"))
    name = _PROCEEDINGS.sub("", name, count=1)
    name = re.sub(r"\s+journal$", "", name)  # "Reliability journal"; "Malaria Journal" is a name
    name = _ORDINAL.sub("", name, count=1)
    name = _LEADING_YEAR.sub("", name, count=1)
    name = _ORDINAL.sub("", name, count=1).strip(" ,:'\"`’‘“”")
    if " at " in name and len(name) > _MAX_VENUE:
        name = name.split(" at ", 1)[0]
    short = _SHORT_YEAR_NAME.match(name) or _TRAILING_ACRONYM_YEAR.search(name)
    if short and short.group(1) not in _NOT_ACRONYMS:
        return f"{short.group(1)} {_full_year(short.group(2))}"
    if name.count(")") > name.count("("):
        name = name.replace(")", "").strip()
    if not _plausible(name):
        return None
    if year and _MEETING.search(name) and year.group(1) not in name:
        name = f"{name} {year.group(1)}"
    return name if len(name) <= _MAX_VENUE else None


def _plausible(name: str) -> bool:
    if len(name) < 3 or len(name) > _MAX_VENUE or not name[0].isupper():
        return False
    if _NOT_A_VENUE.search(name):
        return False
    if all(word.lower().strip(".,&") in _GENERIC or word.isdigit() for word in name.split()):
        return False  # "International Conference": the name itself was cut off
    # A name has at least one capitalised word of two letters or more.
    return any(len(word) > 1 and word[0].isupper() for word in name.split())


def _full_year(year: str) -> str:
    if len(year) == 4:
        return year
    # "ISIT'07" is 2007, "STOC'98" 1998: arXiv began in 1991.
    return ("19" if int(year) > 90 else "20") + year


def venue_of(comment: str | None) -> str | None:
    """The venue a comment says the paper is accepted at or published in, normalised.

    ``"Accepted at the 42nd International Conference on Machine Learning (ICML 2025)"``
    gives ``"ICML 2025"``; ``"To appear in Phys. Rev. Lett."`` gives ``"Phys. Rev. Lett."``;
    ``"Submitted to NeurIPS 2025"`` gives None.
    """
    if not comment:
        return None
    text = " ".join(_URL.sub(" ", comment).split())
    for cue in _CUE.finditer(text):
        clause_start = max(text.rfind(";", 0, cue.start()), text.rfind(". ", 0, cue.start()))
        before = text[clause_start + 1 : cue.start()]
        if _EARLIER.search(before) or _SUBMITTED.search(before):
            continue
        rest = text[cue.end() :]
        is_in_press = cue.group(0).lower() in ("in press", "forthcoming") or cue.group(0).lower().startswith(
            ("proc", "in proc")
        )
        rest = _FILLER.sub("", rest, count=1)
        if re.match(r"\s*in part\b", rest, re.IGNORECASE):
            continue  # "presented in part at ...": an earlier talk, not the venue
        preposition = _PREPOSITION.match(rest)
        if preposition is None and cue.group(0).lower() == "to appear" and re.match(r"\s+[A-Z]", rest):
            preposition = re.match(r"\s*", rest)  # "to appear IEEE Transactions on ..."
        if preposition is None and not is_in_press:
            continue
        while preposition is not None:
            # "Published in at the Annals of ..." (a URL was there), "accepted to appear in".
            rest = rest[preposition.end() :]
            rest = _FILLER.sub("", re.sub(r"^(?:appear|be published|be presented)\b", "", rest), count=1)
            preposition = _PREPOSITION.match(rest)
        found = _from_segment(rest)
        if found:
            return found
    return _venue_first(text)


_ITEM = re.compile(r"(?:[^,;.]|\.(?!\s))+")


def _venue_first(text: str) -> str | None:
    """Comments that name the venue first: "ISIT 2007, to appear", "NeurIPS 2024 (Spotlight)"."""
    items = [(m.start(), m.group(0).strip()) for m in _ITEM.finditer(text) if m.group(0).strip()]
    for index, (start, item) in enumerate(items):
        sentence_start = text.rfind(". ", 0, start) + 1
        before = text[sentence_start:start]
        if _EARLIER_IN_SENTENCE.search(before) or _SUBMITTED.search(before):
            continue  # "Portions previously published in conference form (DCC 2006; ISIT 2006)"
        if item.lower() in ("to appear", "accepted", "in press", "forthcoming") and index > 0:
            previous = items[index - 1][1]
            if not _PAGES.search(previous) and not _FIGURES.search(previous):
                found = _from_segment(previous)
                if found:
                    return found
        known = _KNOWN_YEAR.match(item)
        if known and not _EARLIER.search(item) and not _SUBMITTED.search(item):
            return f"{known.group(1)} {_full_year(known.group(2))}"
    return None


def facts_of(paper: Paper) -> PaperFacts:
    """Code links, project pages, venue and page/figure/table counts of ``paper``."""
    code, pages = _links(paper)
    comment = paper.comment or ""
    return PaperFacts(
        code_links=code,
        project_pages=pages,
        venue=venue_of(comment),
        pages=_pages(comment) if comment else None,
        figures=_count(_FIGURES, comment, 500) if comment else None,
        tables=_count(_TABLES, comment, 500) if comment else None,
    )
