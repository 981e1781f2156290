"""arXiv's taxonomy, shipped as data: ids, names, archives, typo suggestions."""

from __future__ import annotations

from paperbot import taxonomy


def test_archives_and_categories_carry_arxiv_names():
    assert taxonomy.ARCHIVES["cs"] == "Computer Science"
    assert taxonomy.ARCHIVES["hep-th"] == "High Energy Physics - Theory"
    assert taxonomy.CATEGORIES["cs.LG"] == "Machine Learning"
    assert taxonomy.CATEGORIES["astro-ph.CO"] == "Cosmology and Nongalactic Astrophysics"
    assert taxonomy.CATEGORIES["physics.optics"] == "Optics"
    assert taxonomy.GROUPS["physics"] == "Physics"


def test_every_archive_of_the_taxonomy_page_is_there():
    expected = {
        "astro-ph", "cond-mat", "cs", "econ", "eess", "gr-qc", "hep-ex", "hep-lat", "hep-ph",
        "hep-th", "math", "math-ph", "nlin", "nucl-ex", "nucl-th", "physics", "q-bio", "q-fin",
        "quant-ph", "stat",
    }  # fmt: skip
    assert set(taxonomy.ARCHIVES) == expected
    assert len(taxonomy.CATEGORIES) == 155


def test_single_category_archives_are_categories_too():
    for archive in ("quant-ph", "gr-qc", "hep-th", "math-ph", "nucl-ex"):
        assert archive in taxonomy.ARCHIVES
        assert archive in taxonomy.CATEGORIES
        assert taxonomy.categories_in(archive) == (archive,)


def test_categories_in_an_archive():
    assert "cs.LG" in taxonomy.categories_in("cs")
    assert len(taxonomy.categories_in("cs")) == 40
    assert taxonomy.categories_in("nope") == ()


def test_archive_of():
    assert taxonomy.archive_of("cs.LG") == "cs"
    assert taxonomy.archive_of("cond-mat.str-el") == "cond-mat"
    assert taxonomy.archive_of("quant-ph") == "quant-ph"
    assert taxonomy.archive_of("cs.LG.extra") == "cs"


def test_is_known_is_exact_and_canonical_id_folds_case():
    assert taxonomy.is_known("cs")
    assert taxonomy.is_known("cs.LG")
    assert not taxonomy.is_known("cs.lg")
    assert not taxonomy.is_known("cs.XX")
    assert taxonomy.canonical_id("CS.lg") == "cs.LG"
    assert taxonomy.canonical_id("cs.XX") is None


def test_suggestions_for_typos():
    assert taxonomy.suggest("cs.LF") == "cs.LG"
    assert taxonomy.suggest("quantph") == "quant-ph"
    assert taxonomy.suggest("stat.ml") == "stat.ML"
    assert taxonomy.suggest("chao-dyn") == "nlin.CD"  # a defunct archive: its successor
    assert taxonomy.suggest("zzzzzz") is None


def test_aliases_and_defunct_archives_are_equivalents():
    assert taxonomy.equivalents("math.IT") == ("math.IT", "cs.IT")
    assert taxonomy.equivalents("cs.IT") == ("cs.IT", "math.IT")
    assert taxonomy.equivalents("chao-dyn") == ("chao-dyn", "nlin.CD")
    assert taxonomy.equivalents("cs.LG") == ("cs.LG",)


def test_mappings_are_read_only_views():
    assert "cs" in taxonomy.ARCHIVES
    assert len(taxonomy.ARCHIVES) == 20
    assert "entries" in repr(taxonomy.CATEGORIES)
