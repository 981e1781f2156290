"""The offline TL;DR on real abstracts: expectations read against the abstracts by hand."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperbot.summary.extractive import clean_text, split_sentences, tldr, trim
from tests.summary.fixture_papers import all_papers, by_id

# Each was checked against its abstract: the first sentence is the paper's contribution
# (not the background the abstract opens with), the second its strongest result.
HAND_CHECKED = [
    # quant-ph feed. Opens with background on trapped-ion architectures; the number is in sentence 5.
    (
        "2504.17886",
        "We present FluxTrap, a SIMD-aware compiler framework that establishes a hardware-software co-design "
        "interface for TI systems. On NISQ benchmarks, FluxTrap reduces execution time by up to 3.82× and "
        "improves fidelity by several orders of magnitude.",
    ),
    # "Here, we demonstrate ..." is the claim; "-4.9(1)~dB" keeps its sign, digits and unit.
    (
        "2504.17944",
        "We demonstrate quantum squeezing of the motion of a single nanoparticle by rapidly varying its oscillation "
        "frequency. We reveal significant narrowing of the velocity variance to -4.9(1) dB of that of the ground "
        "state via free-expansion measurements.",
    ),
    (
        "2504.18111",
        "We propose a quantum teleportation-based speed meter for interferometric displacement sensing. Both "
        "implementations reduce quantum radiation pressure noise and surpass the standard quantum limit of "
        "measuring displacement.",
    ),
    # Both sentences do not fit: the result is cut at its clause boundary, not mid-phrase.
    (
        "2504.17881",
        "We present a full-state vector simulation algorithm and software implementation designed to perform HPC "
        "simulation of layers of rotations around a string of Pauli operators. The simulator significantly "
        "outperforms other high-performance libraries…",
    ),
    # query API page. "$25\%$" and "$0.001$" come out as plain numbers.
    (
        "2004.03322",
        "We present a method for efficient estimation of the prevalence of infection in a population with high "
        "accuracy using only a small number of tests. A measurement set with only 100 tests is shown to achieve "
        "25% accuracy over infection probabilities from 0.001 to 0.5.",
    ),
    # "In this paper, we present" loses its lead-in; the second sentence is the one with figures.
    (
        "2106.04735",
        "We present a novel solution that automatically generates test cases based on static warnings to validate "
        "true and false positives. We successfully built 68.5% code fragments and generated 1003 test cases.",
    ),
    (
        "2306.07400",
        "We present a model-based test generation approach that employs transformer-based Siamese neural networks "
        "(SNNs) to infer web application models more accurately. Our evaluation across nine web apps shows that "
        "SNNs outperform state-of-the-art techniques in near-duplicate…",
    ),
    # Superscripts from $\tilde{O}(\varepsilon^{-2})$; the citation key "[CRS15]" is dropped.
    (
        "2007.09895",
        "We prove that tolerant uniformity testing in the conditional sampling model can be solved using Õ(ε⁻²) "
        "queries, which is optimal and improves upon the Õ(ε⁻²⁰)-query algorithm of Canonne et al. We prove "
        "that tolerant identity testing in the conditional sampling model…",
    ),
    # cs.AI Atom feed: five sentences of background before "In this study, we propose".
    (
        "2508.13429",
        "We propose an AI-based strategy inspired by a classical investment paradigm: Value Investing. Our results "
        "indicate that the proposed approach outperforms major Brazilian market benchmarks.",
    ),
    # OAI-PMH page, 2007.
    (
        "0705.0262",
        "We prove an n-EXPTIME lower bound for the problem of deciding the winner in a reachability game on Higher "
        "Order Pushdown Automata (HPDA) of level n. This bound matches the known upper bound for parity games on "
        "HPDA.",
    ),
]


@pytest.mark.parametrize(("arxiv_id", "expected"), HAND_CHECKED, ids=[i for i, _ in HAND_CHECKED])
def test_tldr_of_real_abstracts(arxiv_id: str, expected: str) -> None:
    paper = by_id()[arxiv_id]
    assert tldr(paper.abstract, title=paper.title) == expected
    assert len(expected) <= 280


def test_the_contribution_comes_before_its_result_and_background_is_skipped() -> None:
    paper = by_id()["2504.17886"]
    summary = tldr(paper.abstract, title=paper.title)
    assert not summary.startswith("Modular trapped-ion")  # the abstract's opening, background
    assert summary.index("We present") < summary.index("3.82×")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (r"\textbf{GR}ouping", "GRouping"),
        (r"images of $8192\times 8192$ pixels", "images of 8192×8192 pixels"),
        (r"a speed-up of $3.82 \times$ on NISQ", "a speed-up of 3.82× on NISQ"),
        (r"the $^3$He isotope", "the ³He isotope"),
        (r"an error of $10^{-3}$ and Ca$^{2+}$ ions", "an error of 10⁻³ and Ca²⁺ ions"),
        (r"Schr\"odinger and R\'enyi", "Schrödinger and Rényi"),
        (r"up to 50\% faster $(p<0.05)$", "up to 50% faster (p<0.05)"),
        (r"as shown in \cite{smith20}, it works", "as shown in, it works"),
        (r"{\em robust} and \emph{fast}", "robust and fast"),
        (r"$T_c\approx 30$ K", "T_c ≈ 30 K"),
        ("ranges 10--100 and a pause --- here", "ranges 10–100 and a pause—here"),
        ("plain text stays   as it is", "plain text stays as it is"),
    ],
)
def test_latex_and_markup_are_cleaned(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_the_issues_latex_examples_in_a_summary() -> None:
    abstract = (
        r"Segmentation of large images is slow. We propose \textbf{GR}ouping, a method that segments "
        r"$8192\times 8192$ images of $^3$He bubbles in one pass. It achieves a 4$\times$ speed-up over U-Net "
        r"at equal accuracy."
    )
    assert tldr(abstract) == (
        "We propose GRouping, a method that segments 8192×8192 images of ³He bubbles in one pass. "
        "It achieves a 4× speed-up over U-Net at equal accuracy."
    )


def test_boilerplate_lead_ins_are_dropped_and_the_sentence_recapitalised() -> None:
    abstract = (
        "Graph problems are everywhere. In this paper, we introduce FastGraph, a solver for sparse graphs. "
        "Moreover, experiments show that FastGraph is 12% faster than METIS."
    )
    assert tldr(abstract) == (
        "We introduce FastGraph, a solver for sparse graphs. Experiments show that FastGraph is 12% faster than METIS."
    )


def test_structured_abstract_labels_are_not_in_the_summary() -> None:
    abstract = (
        "Context: Flaky tests waste developer time. Objective: We propose FlakeHunter, a detector for flaky "
        "tests. Results: FlakeHunter finds 93% of flaky tests with 2% false alarms."
    )
    assert tldr(abstract) == (
        "We propose FlakeHunter, a detector for flaky tests. FlakeHunter finds 93% of flaky tests with 2% false alarms."
    )


def test_a_code_availability_sentence_is_never_the_summary() -> None:
    abstract = (
        "We present Foo, a library for tensor networks. Foo is 3× faster than Bar on 20 benchmarks. "
        "Our code is publicly available at https://github.com/foo/foo."
    )
    assert "github" not in tldr(abstract)


def test_sentences_split_around_abbreviations_and_formulas() -> None:
    text = (
        "Smith et al. (2020) studied it, e.g. for graphs. We show $p<0.05$. Then $x = 1.5$ holds. "
        r"See \textit{et al.} for more."
    )
    assert split_sentences(text) == [
        "Smith et al. (2020) studied it, e.g. for graphs.",
        "We show $p<0.05$.",
        "Then $x = 1.5$ holds.",
        r"See \textit{et al.} for more.",
    ]


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("We reduce latency by 3.82× on all benchmarks.", 30, "We reduce latency by 3.82×…"),
        ("We reduce latency by 3.82× on all benchmarks.", 26, "We reduce latency…"),
        # "O(d log n)" is one expression: it goes whole or not at all.
        ("A randomized solution using O(d log n) bits exists.", 36, "A randomized solution using…"),
        ("A randomized solution using O(d log n) bits exists.", 40, "A randomized solution using O(d log n)…"),
        # A clause boundary late enough wins over the last word boundary.
        (
            "We propose X, a method for graphs, and show it is fast in practice.",
            50,
            "We propose X, a method for graphs…",
        ),
        ("The rate of the", 12, "The rate…"),
        ("short", 280, "short"),
        ("", 280, ""),
    ],
)
def test_trim_cuts_between_words_and_never_leaves_a_dangling_word(text: str, limit: int, expected: str) -> None:
    assert trim(text, limit) == expected
    assert len(trim(text, limit)) <= limit


def test_empty_and_one_sentence_abstracts() -> None:
    assert tldr("") == ""
    assert tldr("   ") == ""
    assert tldr("This paper has been withdrawn by the author.") == "This paper has been withdrawn by the author."


def test_the_same_abstract_always_gives_the_same_summary() -> None:
    paper = by_id()["2504.17944"]
    assert len({tldr(paper.abstract, title=paper.title) for _ in range(5)}) == 1


# -- properties over every fixture abstract ------------------------------------------------

_EDGES = "…,.;:!?()[]{}\"'“”‘’«»-–—/="


def _words(text: str) -> list[str]:
    return [w.strip(_EDGES).lower() for w in text.split() if w.strip(_EDGES)]


def _check(abstract: str, title: str, limit: int) -> None:
    summary = tldr(abstract, limit=limit, title=title)
    assert summary, "a paper with an abstract always gets a summary"
    assert len(summary) <= limit
    # Every word is a whole word of the abstract: nothing invented, no word or number cut in half.
    allowed = set(_words(clean_text(abstract)))
    assert [w for w in _words(summary) if w not in allowed] == []


def test_every_fixture_abstract_gets_a_summary_of_its_own_words() -> None:
    papers = [p for p in all_papers() if p.abstract.strip()]
    assert len(papers) > 2500
    for paper in papers:
        _check(paper.abstract, paper.title, 280)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    paper=st.sampled_from([p for p in all_papers() if p.abstract.strip()]),
    limit=st.integers(min_value=40, max_value=400),
)
def test_any_limit_is_respected_without_cutting_words(paper: object, limit: int) -> None:
    from paperbot.domain import Paper

    assert isinstance(paper, Paper)
    _check(paper.abstract, paper.title, limit)
