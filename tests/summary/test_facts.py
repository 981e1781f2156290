"""Card facts from real comments: venue, size, code and project pages."""

from __future__ import annotations

from dataclasses import replace

import pytest

from paperbot.summary.facts import PaperFacts, facts_of, venue_of
from tests.fakes.papers import make_paper
from tests.summary.fixture_papers import all_papers, by_id

# (arxiv id, venue, pages, figures, tables): each read off the paper's comment by hand.
REAL_COMMENTS = [
    # "Accepted by the ACM SIGSOFT International Symposium on Software Testing and Analysis (ISSTA 2020)"
    ("2005.14124", "ISSTA 2020", None, None, None),
    # "13 pages, 6 figures, In Proceedings of the 31st ACM SIGSOFT ... (ISSTA) 2022"
    ("2204.08348", "ISSTA 2022", 13, 6, None),
    # "2023 IEEE International Conference on ... Workshops (ICSTW), 8 pages, 2 tables, 6 figures": no cue, no venue.
    ("2302.03287", None, 8, 6, 2),
    # "Accepted at the 16th IEEE International Conference on ... (ICST) 2023"
    ("2301.13615", "ICST 2023", None, None, None),
    # "(v0), Submitted to IEEE International Workshop on ... (AIST 2020)": a submission is not a venue.
    ("2007.10224", None, None, None, None),
    # "26 pages, 1 figure, submitted to Software Testing, Vertification and Reliability journal"
    ("2504.04921", None, 26, 1, None),
    # "53 pages. Added result on monotonicity testing. Abridged version to appear in Symposium on Discrete
    # Algorithms (SODA), 2021"
    ("2007.09895", "SODA 2021", 53, None, None),
    # No acronym: the full name, its list of topics kept together.
    (
        "1809.08100",
        "IEEE International Conference on Software Testing, Verification and Validation",
        None,
        None,
        None,
    ),
    # '14 pages; to appear in "Algorithmica". Part of this work has been presented at the ICALP 2011 ...'
    ("1306.4664", "Algorithmica", 14, None, None),
    # OAI pages (2007). "Portions previously published in conference form (DCC 2006; ISIT 2006)": earlier versions.
    ("0704.1818", None, None, None, None),
    # "45 pages, 3 figures, a preliminary version was presented at AAMAS06"
    ("0704.2014", None, 45, 3, None),
    ("0704.1455", "ISIT 2007", None, None, None),  # "ISIT 2007, to appear"
    ("0704.1873", "ISIT 2007", 5, 2, None),  # "5 pages, 2 figures, accepted by ISIT'07"
    ("0704.2505", "ISIT 2007", 5, 0, None),  # "5 pages, no figures. To appear in Proceedings of IEEE ISIT 2007, ..."
    # "Published in at http://dx.doi.org/... the Annals of Applied Probability (http://...) by the Institute ..."
    ("0708.0224", "Annals of Applied Probability", None, None, None),
    ("0704.1524", "IEEE Transactions on Signal Processing", 30, 6, None),
    # "Accepted for publication in IEEE Trans. Inform. Theory, 24 pages": abbreviations are not sentence ends.
    ("0707.3584", "IEEE Trans. Inform. Theory", 24, None, None),
    ("0708.1962", "New Generation Computing", 20, 4, None),  # "..., New Generation Computing, accepted, 2007"
    ("0707.0748", "International Journal of Medical Informatics", 18, 5, 2),  # "In press International Journal ..."
    # "Parts of this work were presented at ISIT 2013 in Istanbul, Turkey. To appear in IEEE Transactions ..."
    ("1404.6723", "IEEE Transactions on Information Theory", None, None, None),
    # "a preliminary version appeared in FOCS 2000. This is the journal version, which will appear in Algorithmica"
    ("quant-ph/0007021", "Algorithmica", 19, None, None),
]


@pytest.mark.parametrize(("arxiv_id", "venue", "pages", "figures", "tables"), REAL_COMMENTS)
def test_facts_from_real_comments(
    arxiv_id: str, venue: str | None, pages: int | None, figures: int | None, tables: int | None
) -> None:
    facts = facts_of(by_id()[arxiv_id])
    assert (facts.venue, facts.pages, facts.figures, facts.tables) == (venue, pages, figures, tables)


@pytest.mark.parametrize(
    ("comment", "venue"),
    [
        ("Accepted at ICML 2025", "ICML 2025"),
        ("To appear in NeurIPS 2024", "NeurIPS 2024"),
        ("Published in Phys. Rev. Lett.", "Phys. Rev. Lett."),
        ("Published in Phys. Rev. Lett. 134, 123401 (2025)", "Phys. Rev. Lett."),
        ("Accepted at the 42nd International Conference on Machine Learning (ICML 2025)", "ICML 2025"),
        ("NeurIPS 2024 (Spotlight). 10 pages", "NeurIPS 2024"),
        ("Accepted as a poster at ICLR 2025", "ICLR 2025"),
        ("Camera-ready version for EMNLP 2024 Findings", "EMNLP 2024"),
        ("Accepted at the ICML 2025 Workshop on Efficient Systems", "ICML 2025 Workshop on Efficient Systems"),
        ("12 pages, 5 figures, accepted to AAAI-25", "AAAI 2025"),
        ("Accepted in Nature Physics", "Nature Physics"),
        ("Submitted to NeurIPS 2025", None),
        ("Under review at ICLR 2026", None),
        ("An extended abstract appeared at STOC 2023", None),
        ("Work in progress; comments welcome", None),
        ("", None),
        (None, None),
    ],
)
def test_venue_is_normalised_and_conservative(comment: str | None, venue: str | None) -> None:
    assert venue_of(comment) == venue


def test_code_and_project_pages_from_abstract_and_comment() -> None:
    paper = make_paper(
        abstract=(
            r"We propose X, 3$\times$ faster than Y. Code: \url{https://github.com/foo/my\_repo}. "
            "Project page: https://example.org/proj/x."
        ),
        comment="Accepted at CVPR 2025. Weights on https://huggingface.co/org/model; demo at https://foo.github.io/x/",
    )
    facts = facts_of(paper)
    assert facts == PaperFacts(
        code_links=("https://github.com/foo/my_repo", "https://huggingface.co/org/model"),
        project_pages=("https://example.org/proj/x", "https://foo.github.io/x/"),
        venue="CVPR 2025",
    )


def test_real_code_links_and_pages_from_the_fixtures() -> None:
    # 1706.00679: "... available at https://github.com/ydecastro/super-resolution-testing"
    assert facts_of(by_id()["1706.00679"]).code_links == ("https://github.com/ydecastro/super-resolution-testing",)
    # 2507.10541: the project's site on GitHub Pages is a page, not a repository.
    rest = facts_of(by_id()["2507.10541"])
    assert (rest.code_links, rest.project_pages) == ((), ("https://opendatalab.github.io/REST",))


def test_links_that_are_neither_code_nor_a_project_page_are_left_out() -> None:
    paper = make_paper(comment="Published at http://dx.doi.org/10.1214/07-AAP463 in the Annals of Applied Probability")
    assert facts_of(paper) == PaperFacts(venue="Annals of Applied Probability")


def test_stored_code_links_are_kept() -> None:
    paper = replace(make_paper(), code_links=("https://gitlab.com/a/b",))
    assert facts_of(paper).code_links == ("https://gitlab.com/a/b",)


def test_no_comment_no_facts() -> None:
    assert facts_of(make_paper(comment=None)) == PaperFacts()


def test_every_fixture_paper_gives_plausible_facts() -> None:
    papers = all_papers()
    facts = [facts_of(p) for p in papers]
    venues = [f.venue for f in facts if f.venue]
    assert len(venues) > 300  # the OAI pages are full of accepted conference papers
    assert all(3 <= len(v) <= 80 and not v.lower().startswith(("submitted", "the ")) for v in venues)
    assert all(f.pages is None or 0 < f.pages <= 2000 for f in facts)
