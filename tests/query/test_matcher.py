"""Matching one query against one paper: what hits, what does not, and why."""

from __future__ import annotations

import pytest

from paperbot.domain import Paper
from paperbot.query import Hit, Match, analyse, format_result, match, parse, search
from paperbot.query.compile import compile_node


def paper(
    title: str = "A title",
    abstract: str = "An abstract.",
    *,
    authors: tuple[str, ...] = ("A. Author",),
    categories: tuple[str, ...] = ("cs.LG",),
    comment: str | None = None,
    code_links: tuple[str, ...] = (),
    arxiv_id: str = "2501.00001",
) -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        version=1,
        title=title,
        authors=authors,
        abstract=abstract,
        primary_category=categories[0],
        categories=categories,
        comment=comment,
        code_links=code_links,
    )


DIFFUSION = paper(
    title=r"S$^3$-Attention: Efficient Diffusion Models for Schr\"odinger Bridges",
    abstract=(
        r"We study \textbf{state-space} models and statespace samplers. 95% of the time "
        r"inference is fast, and a time operator \(T_w\) helps. Transformers are used."
    ),
    authors=("Y. Hua", "Jakob Günther", "Mei Ling Chen"),
    categories=("cs.LG", "stat.ML", "math.IT"),
    comment="Accepted at ICML 2025; 12 pages",
    code_links=("https://github.com/example/s3",),
)

STATISTICS = paper(
    title="Efficient estimators for interference in networks",
    abstract="We propose an efficient estimator; statistical inference follows.",
    categories=("stat.ME",),
)


def hits(query: str, target: Paper = DIFFUSION) -> list[tuple[str, str]]:
    found = match(query, target)
    assert found is not None, f"{query!r} should match"
    return [(hit.term, hit.field) for hit in found.hits]


def misses(query: str, target: Paper = DIFFUSION) -> bool:
    return match(query, target) is None


def test_all_words_are_required_which_keeps_precision():
    assert hits("Efficient Diffusion Models") == [
        ("efficient", "title"),
        ("diffusion", "title"),
        ("models", "title"),
        ("models", "abstract"),
    ]
    assert misses("Efficient Diffusion Models", STATISTICS)


def test_words_are_whole_words():
    assert misses("inference", STATISTICS) is False
    assert misses("interference", DIFFUSION)
    assert misses("infer")
    assert misses("fast inference", STATISTICS)


def test_plurals_fold_both_ways():
    assert hits("model") == [("model", "title"), ("model", "abstract")]
    assert hits("transformer") == [("transformer", "abstract")]
    assert hits("bridge") == [("bridge", "title")]
    assert misses("modeling")


def test_case_and_accents_fold_and_latex_is_stripped_from_the_paper():
    assert hits("schrödinger") == [("schrodinger", "title")]
    assert hits("schrodinger") == [("schrodinger", "title")]
    assert hits("SCHRÖDINGER bridges") == [("schrodinger", "title"), ("bridges", "title")]
    assert hits("S3-Attention") == [('"s3 attention"', "title")]
    assert hits("s3 attention") == [("s3", "title"), ("attention", "title")]
    assert hits("tw") == [("tw", "abstract")]


def test_hyphen_space_and_closed_forms_are_equal():
    assert hits("state-space") == [('"state space"', "abstract")]
    assert hits('"state space"') == [('"state space"', "abstract")]
    assert hits("statespace") == [("statespace", "abstract")]
    hyphenless = paper(abstract="Linear state space layers.")
    assert hits("state-space", hyphenless) == [('"state space"', "abstract")]
    closed = paper(abstract="A statespace view.")
    assert hits("state-space", closed) == [('"state space"', "abstract")]
    assert misses("state-space", paper(abstract="The state of the space."))


def test_exact_phrase_needs_the_words_in_order():
    assert hits('"efficient diffusion"') == [('"efficient diffusion"', "title")]
    assert misses('"diffusion efficient"')
    assert misses('"models inference"')


def test_or_not_and_parentheses():
    assert hits("quantum OR diffusion") == [("diffusion", "title")]
    assert misses("quantum OR chemistry")
    assert misses("diffusion NOT bridges")
    assert misses("diffusion -bridges")
    assert hits("diffusion -survey") == [("diffusion", "title")]
    assert hits("(quantum OR efficient) (survey OR bridges)") == [
        ("efficient", "title"),
        ("bridges", "title"),
    ]
    assert match("NOT survey", DIFFUSION) == Match((parse("NOT survey").root, analyse(DIFFUSION), ()))
    assert match("NOT survey", DIFFUSION).hits == ()  # type: ignore[union-attr]


def test_only_satisfied_branches_report_hits():
    assert hits("(efficient quantum) OR bridges") == [("bridges", "title")]


def test_prefixes_match_word_beginnings_before_plural_folding():
    quantised = paper(abstract="Quantization and quantized weights.")
    assert hits("quantiz*", quantised) == [("quantiz*", "abstract")]
    assert hits("transformers*") == [("transformers*", "abstract")]
    assert misses("quantiz*")
    assert hits("ti:schr*") == [("ti:schr*", "title")]
    assert hits("statesp*") == [("statesp*", "abstract")]


def test_title_abstract_and_comment_fields():
    assert hits("ti:diffusion") == [("ti:diffusion", "title")]
    assert misses("ti:inference")
    assert hits("abs:inference") == [("abs:inference", "abstract")]
    assert misses("abs:bridges")
    assert hits("co:ICML") == [("co:icml", "comment")]
    assert hits('co:"icml 2025"') == [('co:"icml 2025"', "comment")]
    assert misses("co:neurips")
    assert misses("icml"), "the comment is not searched without co:"


def test_authors_tolerate_initials_accents_and_order():
    assert hits('au:"Yang Hua"') == [('au:"yang hua"', "authors")]
    assert hits('au:"Hua Yang"', paper(authors=("Yang Hua",))) == [('au:"hua yang"', "authors")]
    assert hits("au:hua") == [("au:hua", "authors")]
    assert hits("au:Gunther") == [("au:gunther", "authors")]
    assert hits("au:Günther") == [("au:gunther", "authors")]
    assert hits('au:"J. Günther"') == [('au:"j. gunther"', "authors")]
    assert hits('au:"Mei Chen"') == [('au:"mei chen"', "authors")]
    assert misses('au:"Yang Liu"')
    assert misses('au:"Hua Liu"')
    assert misses("au:yang"), "an initial alone does not make a full-name match"
    assert misses("hua"), "authors are not searched without au:"


def test_categories_cover_cross_lists_archives_and_aliases():
    assert hits("cat:cs.LG") == [("cat:cs.LG", "categories")]
    assert hits("cat:stat.ML") == [("cat:stat.ML", "categories")]
    assert hits("cat:stat") == [("cat:stat", "categories")]
    assert hits("cat:cs") == [("cat:cs", "categories")]
    assert hits("cat:cs.IT") == [("cat:cs.IT", "categories")], "math.IT is cs.IT"
    assert misses("cat:cs.CV")
    assert misses("cat:physics")
    legacy = paper(categories=("chao-dyn",))
    assert hits("cat:nlin.CD", legacy) == [("cat:nlin.CD", "categories")]
    assert hits("cat:nlin", legacy) == [("cat:nlin", "categories")]


def test_has_code():
    assert hits("has:code") == [("has:code", "code")]
    assert misses("has:code", STATISTICS)


def test_a_match_explains_itself_and_highlights_the_words():
    found = match("efficient diffusion model state-space au:hua", DIFFUSION)
    assert found is not None
    assert found.paper is DIFFUSION
    assert found.terms == ("efficient", "diffusion", "model", '"state space"', "au:hua")
    assert found.explain() == (
        'efficient (title); diffusion (title); model (title, abstract); "state space" (abstract); au:hua (authors)'
    )
    assert found.text("title") == "S3-Attention: Efficient Diffusion Models for Schrödinger Bridges"
    assert found.highlight("title") == (
        "S3-Attention: <b>Efficient</b> <b>Diffusion</b> <b>Models</b> for Schrödinger Bridges"
    )
    assert found.highlight("abstract", "[", "]").startswith(
        "We study [state-space] [models] and [statespace] samplers."
    )
    assert found.highlight("authors", "*", "*") == "*Y. Hua*, Jakob Günther, Mei Ling Chen"
    assert found.words == ("Efficient", "Diffusion", "Models", "state-space", "models", "statespace", "Y. Hua")


def test_spans_point_into_the_displayed_text():
    found = match('"time operator" cat:stat has:code', DIFFUSION)
    assert found is not None
    text = found.text("abstract")
    assert [text[start:end] for start, end in found.spans("abstract")] == ["time operator"]
    assert [found.text("categories")[s:e] for s, e in found.spans("categories")] == ["stat.ML"]
    assert [found.text("code")[s:e] for s, e in found.spans("code")] == ["https://github.com/example/s3"]
    assert found.spans("title") == ()


def test_possessives_do_not_break_phrases_or_highlights():
    target = paper(title="Schrödinger's equation revisited")
    found = match('"schrodinger equation"', target)
    assert found is not None
    assert found.highlight("title") == "<b>Schrödinger's equation</b> revisited"


def test_prefix_highlights_the_whole_word():
    found = match("quantiz*", paper(abstract="Quantization helps."))
    assert found is not None
    assert found.highlight("abstract") == "<b>Quantization</b> helps."


def test_matches_compare_by_paper_and_hits():
    first = match("diffusion", DIFFUSION)
    again = match("diffusion", analyse(DIFFUSION))
    assert first == again
    assert hash(first) == hash(again)
    assert first != match("efficient", DIFFUSION)
    assert first != match("diffusion", paper(title="Diffusion", arxiv_id="2501.99999"))
    assert first.hits == (Hit("diffusion", "title", parse("diffusion").root),)  # type: ignore[union-attr]


def test_queries_may_be_given_as_text_or_parsed():
    assert match(parse("diffusion"), DIFFUSION) == match("diffusion", DIFFUSION)


def test_search_returns_matching_papers_in_order():
    papers = [STATISTICS, DIFFUSION, paper(title="Efficient samplers", arxiv_id="2501.00003")]
    found = search("efficient -interference", papers)
    assert [p.arxiv_id for p, _ in found] == ["2501.00001", "2501.00003"]
    line = format_result(*found[0])
    assert line.startswith("2501.00001  S3-Attention: Efficient Diffusion Models")
    assert line.endswith("[efficient (title)]")


@pytest.mark.parametrize(
    "query",
    [
        "quantum",
        "quantum channel",
        '"quantum channel" OR codes',
        "network* -wireless",
        "ti:(graph OR graphs) cat:cs",
        'abs:"lower bound" NOT ti:quantum',
        'au:chen OR au:"Y. Zhang"',
        "cat:math -cat:cs",
        "co:pages learning",
        "has:code OR NOT algorithm",
        '"large scale" state-of-the-art',
        "ti:net* abs:codes*",
    ],
)
def test_the_compiled_test_agrees_with_the_reference_on_real_papers(query, papers):
    parsed = parse(query)
    test = compile_node(parsed.root)
    for target in papers[::7]:
        doc = analyse(target)
        assert test(doc) == (match(parsed, doc) is not None), (query, target.arxiv_id)
