"""Related terms: what the papers closest to a subscription share and its query lacks."""

from __future__ import annotations

import pytest

from paperbot.query import QueryError, parse
from paperbot.query.ast import Field, Phrase, Word
from paperbot.relevance.related import broaden, paper_terms, query_words, related_terms, term_node
from tests.fakes.papers import make_paper

SPLATTING = [
    make_paper(
        f"2504.{n:05d}",
        title=f"Gaussian splatting for scene {n}",
        abstract="We render radiance fields with 3D Gaussian splatting, for novel view synthesis in real time.",
    )
    for n in range(1, 6)
]
NERF = make_paper(
    "2504.00009",
    title="Neural radiance fields, revisited",
    abstract="Neural radiance fields give novel view synthesis; we study their training.",
)
BACKGROUND = [
    make_paper(f"2504.{n:05d}", title=f"Training language models {n}", abstract="We study training in real time.")
    for n in range(100, 140)
]


def test_terms_the_close_papers_share_and_the_query_lacks_best_first() -> None:
    query = parse('~"neural radiance fields"')
    terms = related_terms(query, [*SPLATTING, NERF], [*BACKGROUND, *SPLATTING, NERF])
    # The longest phrase the papers share wins over its words ("view", "novel"), and a
    # phrase over a shorter one in the same papers ("gaussian splatting").
    assert [t.text for t in terms] == ["novel view synthesis", "3d gaussian splatting", "render radiance fields"]
    assert [t.papers for t in terms] == [6, 5, 5]
    shown = [t.text for t in terms]
    assert not any(word in ("radiance", "fields", "radiance fields") for word in shown), "the query has those"
    assert "real time" not in shown, "common in papers at large"
    assert "training" not in shown
    assert terms[0].score >= terms[1].score >= terms[2].score


def test_nothing_is_offered_without_close_papers_or_shared_terms() -> None:
    assert related_terms(parse("x"), [], BACKGROUND) == []
    one = make_paper("2504.00200", title="A lone paper", abstract="Unusual words here.")
    assert related_terms(parse("x"), [one], BACKGROUND) == []


def test_a_paper_terms_are_runs_of_content_words_inside_clauses() -> None:
    paper = make_paper("2504.00300", title="Sparse autoencoders, at scale", abstract="Features of the model (toy).")
    terms = set(paper_terms(paper).values())
    assert {"sparse", "autoencoders", "sparse autoencoders", "scale", "features", "toy"} <= terms
    assert "autoencoders scale" not in terms, "a comma ends a run"
    assert "model" not in terms, "too common to offer alone"
    assert query_words(parse('~"neural radiance fields" "state space" quantiz* -survey').root) >= {
        "neural",
        "radiance",
        "field",
        "state",
        "space",
        "quantiz",
    }


@pytest.mark.parametrize(
    ("query", "term", "wider"),
    [
        (
            '"sparse autoencoder" cat:cs.LG',
            "dictionary learning",
            '("sparse autoencoder" OR "dictionary learning") cat:cs.LG',
        ),
        ('~"neural radiance fields"', "gaussian splatting", '~"neural radiance fields" OR "gaussian splatting"'),
        ("nerf OR splatting", "3dgs", "nerf OR splatting OR 3dgs"),
        (
            "efficient diffusion -survey cat:cs",
            "flow matching",
            '((efficient diffusion) OR "flow matching") NOT survey cat:cs',
        ),
        ("au:hua", "qubit", "au:hua OR qubit"),
        ("nerf OR splatting", "Splatting", "nerf OR splatting"),
    ],
)
def test_broaden_adds_the_term_as_an_alternative_and_keeps_the_filters(query: str, term: str, wider: str) -> None:
    assert str(broaden(parse(query), term)) == wider


def test_a_term_is_a_word_or_a_phrase() -> None:
    assert term_node("Splatting") == Word(Field.ANY, "splatting")
    assert term_node("gaussian splatting") == Phrase(Field.ANY, ("gaussian", "splatting"))
    with pytest.raises(QueryError, match="no letters or digits"):
        term_node("--")
