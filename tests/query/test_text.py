"""Normalisation shared by queries and papers: LaTeX, case, accents, plurals, names."""

from __future__ import annotations

import pytest

from paperbot.query.latex import strip_latex
from paperbot.query.text import closed_compounds, fold, name_parts, normalise, plural_key, words


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("S$^3$-Attention", "S3-Attention"),
        (r"\textbf{Bold} and \emph{emphasised} words", "Bold and emphasised words"),
        (r"Schr\"odinger", "Schrödinger"),
        (r"Schr\"{o}dinger", "Schrödinger"),
        (r"{\"o}", "ö"),
        (r"Erd\H{o}s and Pe\~na and \c{C}elik and G\"{u}nther", "Erdős and Peña and Çelik and Günther"),
        (r"Ha\v{s}ek and \'{\i}", "Hašek and í"),
        (r"a time operator \(T_w\) on \(L^2\)", "a time operator Tw on L2"),
        ("95% of the data", "95% of the data"),
        (r"5\% better", "5% better"),
        (r"$\mathcal{O}(n \log n)$ time", "O(n log n) time"),
        (r"$\alpha$-divergence", "alpha -divergence"),
        (r"as shown in \cite{smith2020} it works", "as shown in it works"),
        ("  spread\nover   lines ", "spread over lines"),
        (r"Stra\ss e and \o{}re", "Straße and øre"),
    ],
)
def test_latex_is_stripped_to_plain_text(raw, plain):
    assert strip_latex(raw) == plain


def test_fold_lowers_case_and_drops_accents():
    assert fold("Schrödinger") == "schrodinger"
    assert fold("Straße") == "strasse"
    assert fold("Łukasz Øre") == "lukasz ore"
    assert fold("ﬁne x³") == "fine x3"


@pytest.mark.parametrize(
    ("word", "key"),
    [
        ("models", "model"),
        ("model", "model"),
        ("transformers", "transformer"),
        ("strategies", "strategy"),
        ("approaches", "approach"),
        ("classes", "class"),
        ("boxes", "box"),
        ("llms", "llm"),
        ("networks", "network"),
        ("class", "class"),
        ("analysis", "analysis"),
        ("analyses", "analysis"),
        ("status", "status"),
        ("bias", "bias"),
        ("biases", "bias"),
        ("caches", "cache"),
        ("series", "series"),
        ("matrices", "matrix"),
        ("gas", "gas"),
        ("gpt4s", "gpt4s"),
        ("modeling", "modeling"),
        ("inference", "inference"),
        ("efficiency", "efficiency"),
    ],
)
def test_plural_folding_is_conservative(word, key):
    assert plural_key(word) == key


def test_words_split_on_anything_but_letters_and_digits():
    assert words("State-of-the-art LLMs (2025): Schrödinger's cat, dog") == [
        "state", "of", "the", "art", "llms", "2025", "schrodinger", "cat", "dog",
    ]  # fmt: skip
    # A subscript mark goes like the rest of TeX markup, on both sides alike.
    assert words("$T_w$ and T_w") == ["tw", "and", "tw"]
    assert words("Ελληνικά κείμενα") == ["ελληνικα", "κειμενα"]


def test_closed_compounds_join_hyphenated_words():
    assert closed_compounds(normalise("state-space models and mixture-of-experts, non -linear")) == [
        "statespace",
        "mixtureofexperts",
    ]
    assert closed_compounds("no hyphen here") == []
    assert closed_compounds("state\u2010space") == ["statespace"]


def test_name_parts_fold_and_split_names():
    assert name_parts("Y. Hua") == ("y", "hua")
    assert name_parts("Jakob Günther") == ("jakob", "gunther")
    assert name_parts("J.-P. Serre") == ("j", "p", "serre")
    assert name_parts("Conan O'Brien Jr.") == ("conan", "obrien")
    assert name_parts(r"G\"unther") == ("gunther",)
    assert name_parts("del_maestro") == ("del", "maestro")
