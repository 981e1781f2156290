"""The query language: every construct, its canonical form, and every error."""

from __future__ import annotations

import pytest

from paperbot.query import MAX_DEPTH, MAX_LENGTH, MAX_TERMS, MIN_PREFIX, QueryError, parse
from paperbot.query.ast import And, Author, Category, Field, HasCode, Not, Or, Phrase, Prefix, Word


def test_words_are_all_required_and_folded():
    query = parse("Efficient Diffusion Models")
    assert query.root == And((Word(Field.ANY, "efficient"), Word(Field.ANY, "diffusion"), Word(Field.ANY, "models")))
    assert str(query) == "efficient diffusion models"


def test_accents_and_latex_are_folded_in_the_query_too():
    assert parse("Schrödinger").root == Word(Field.ANY, "schrodinger")
    assert parse(r"Schr\"odinger").root == Word(Field.ANY, "schrodinger")
    assert parse("S$^3$-Attention").root == Phrase(Field.ANY, ("s3", "attention"))


def test_quoted_phrase_and_hyphenated_word_are_the_same_phrase():
    assert parse('"state space"').root == Phrase(Field.ANY, ("state", "space"))
    assert parse("state-space").root == parse('"state space"').root
    assert str(parse("state-space")) == '"state space"'


def test_a_quoted_single_word_is_a_word():
    assert parse('"transformer"').root == Word(Field.ANY, "transformer")


def test_or_binds_tighter_than_and_and_the_canonical_form_shows_it():
    query = parse("efficient diffusion OR flow")
    assert query.root == And(
        (Word(Field.ANY, "efficient"), Or((Word(Field.ANY, "diffusion"), Word(Field.ANY, "flow"))))
    )
    assert str(query) == "efficient (diffusion OR flow)"


def test_parentheses_group_and_and_or_nest():
    query = parse("(a b) OR c")
    assert query.root == Or((And((Word(Field.ANY, "a"), Word(Field.ANY, "b"))), Word(Field.ANY, "c")))
    assert str(query) == "(a b) OR c"


def test_explicit_and_is_the_implicit_one():
    assert parse("llm AND agents").root == parse("llm agents").root
    assert parse("llm and agents").root == parse("llm agents").root
    assert str(parse("llm AND agents")) == "llm agents"


def test_not_and_leading_minus():
    assert parse("diffusion NOT survey").root == parse("diffusion -survey").root
    assert parse("-survey").root == Not(Word(Field.ANY, "survey"))
    assert str(parse("diffusion -survey")) == "diffusion NOT survey"
    assert parse("-(a OR b)").root == Not(Or((Word(Field.ANY, "a"), Word(Field.ANY, "b"))))
    assert parse('-"state space"').root == Not(Phrase(Field.ANY, ("state", "space")))


def test_trailing_star_is_a_prefix():
    assert parse("quantiz*").root == Prefix(Field.ANY, "quantiz")
    assert parse("ti:Quantiz*").root == Prefix(Field.TI, "quantiz")


def test_text_fields():
    assert parse("ti:diffusion").root == Word(Field.TI, "diffusion")
    assert parse('abs:"state space"').root == Phrase(Field.ABS, ("state", "space"))
    assert parse("co:ICML").root == Word(Field.CO, "icml")
    assert parse("TI:diffusion").root == Word(Field.TI, "diffusion")


def test_a_field_applies_to_a_parenthesised_group():
    assert parse("ti:(diffusion OR flow)").root == Or((Word(Field.TI, "diffusion"), Word(Field.TI, "flow")))
    assert str(parse("ti:(diffusion OR flow)")) == "ti:diffusion OR ti:flow"
    assert parse("cat:(cs.LG OR stat.ML)").root == Or((Category("cs.LG"), Category("stat.ML")))


def test_authors():
    assert parse('au:"Yang Hua"').root == Author(("yang", "hua"))
    assert parse("au:Hua").root == Author(("hua",))
    assert parse('au:"Y. Hua"').root == Author(("y", "hua"))
    assert parse("au:del_maestro").root == Author(("del", "maestro"))
    assert parse("au:Günther").root == Author(("gunther",))
    assert str(parse('au:"Y. Hua"')) == 'au:"y. hua"'


def test_categories_are_checked_and_spelled_as_arxiv_does():
    assert parse("cat:cs.lg").root == Category("cs.LG")
    assert parse("cat:CS").root == Category("cs")
    assert parse("cat:quant-ph").root == Category("quant-ph")
    assert str(parse("cat:cs.lg")) == "cat:cs.LG"


def test_has_code():
    assert parse("has:code").root == HasCode()
    assert parse("has:CODE").root == HasCode()


def test_positions_are_kept_but_not_compared():
    query = parse("a  ti:b")
    assert isinstance(query.root, And)
    assert [child.column for child in query.root.children if isinstance(child, Word)] == [1, 7]
    assert query == parse("a ti:b")


@pytest.mark.parametrize(
    "text",
    [
        "efficient diffusion models",
        '"state space" OR statespace -survey',
        'ti:(diffusion OR flow) au:"Yang Hua" cat:cs.LG has:code',
        "quantiz* co:icml",
        "NOT (a OR b) c",
        "(a b) OR (c d) OR e",
        '"or" "and" "not" word',
        "a (b OR (c NOT d))",
        "NOT NOT a",
        'abs:"large language model" -ti:survey',
        "cat:cs -cat:cs.CV",
        'au:"J.-P. Serre" OR au:hua',
        r"Schr\"odinger's equation",
        "S$^3$-Attention",
    ],
)
def test_canonical_form_parses_back_to_the_same_query(text):
    query = parse(text)
    assert parse(str(query)) == query
    assert str(parse(str(query))) == str(query)


ERRORS = [
    ('diffusion "state space', 'unclosed quote at column 11: add a closing " after the phrase', 11),
    ("a (b OR c", "unclosed parenthesis at column 3: add a closing ')'", 3),
    ("a (", "unclosed parenthesis at column 3: add a closing ')'", 3),
    ("a b)", "unexpected ')' at column 4: remove it or add a matching '(' before it", 4),
    ("()", "empty parentheses at column 1: put a term inside or remove them", 1),
    ("OR a", "OR at column 1 needs a term before it", 1),
    ("a OR", "OR at column 3 needs a term after it", 3),
    ("a OR OR b", "OR at column 3 needs a term after it", 3),
    ("AND a", "AND at column 1 needs a term before it", 1),
    ("a AND", "AND at column 3 needs a term after it", 3),
    ("a NOT", "NOT at column 3 needs a term after it", 3),
    ("a (NOT)", "NOT at column 4 needs a term after it", 4),
    (
        "a - b",
        "'-' at column 3 must be followed directly by the term to leave out, as in -survey",
        3,
    ),
    (
        "a or b",
        "'or' at column 3: write OR in capitals to use it as an operator, or \"or\" in quotes to search for the word",
        3,
    ),
    (
        "a not b",
        "'not' at column 3: write NOT in capitals to use it as an operator, or \"not\" in quotes "
        "to search for the word",
        3,
    ),
    (
        "foo:bar",
        "unknown field 'foo:' at column 1; use ti:, abs:, au:, co:, cat:, has: or like:, or put the text in quotes",
        1,
    ),
    ("x title:y", "unknown field 'title:' at column 3; did you mean ti:?", 3),
    ("author:hua", "unknown field 'author:' at column 1; did you mean au:?", 1),
    ("ti:", 'ti: at column 1 has no value; write ti:word, ti:"a phrase" or ti:(one OR other)', 1),
    ("a ti: b", 'ti: at column 3 has no value; write ti:word, ti:"a phrase" or ti:(one OR other)', 3),
    (
        "ti:(abs:x)",
        "field abs: at column 5 is inside ti:( ... ); a term has one field, so move it out of the parentheses",
        5,
    ),
    ("cat:cs.LF", "unknown category 'cs.LF' at column 5; did you mean cs.LG?", 5),
    ("cat:chao-dyn", "unknown category 'chao-dyn' at column 5; did you mean nlin.CD?", 5),
    ("cat:zzzzzz", "unknown category 'zzzzzz' at column 5; see arxiv.org/category_taxonomy", 5),
    (
        "cat:cs*",
        "cat: at column 5 does not take a '*'; an archive covers its categories already, as in "
        "cat:cs for every cs.* category",
        5,
    ),
    ("has:pdf", "has:pdf at column 5 is not supported; the only one is has:code", 5),
    ("qu*", f"prefix 'qu*' at column 1 is too short: use at least {MIN_PREFIX} letters before the *", 1),
    ("qu*nt", "'*' at column 3: only a trailing * is allowed, as in quantiz*", 3),
    ("x quantum-comp*", "prefix 'quantum-comp*' at column 3 must be a single word, as in quantiz*", 3),
    (
        '"quantum comput*"',
        "'*' inside the phrase at column 1: a phrase matches whole words; remove the quotes or the *",
        1,
    ),
    ("au:hua*", "au: at column 4 does not take a '*'; write the full surname, as in au:hua or au:\"Yang Hua\"", 4),
    ('au:"Y. H."', 'au:"Y. H." at column 4 needs a name, not only initials, as in au:hua or au:"Y. Hua"', 4),
    ("a %%", "'%%' at column 3 has no letters or digits to search for; remove it or type a word", 3),
    ('a ""', "phrase at column 3 has no letters or digits to search for; remove it or type a word", 3),
]


@pytest.mark.parametrize(("text", "message", "column"), ERRORS)
def test_every_error_is_one_line_with_its_column_and_fix(text, message, column):
    with pytest.raises(QueryError) as caught:
        parse(text)
    assert str(caught.value) == message
    assert caught.value.message == message
    assert caught.value.column == column
    assert "\n" not in str(caught.value)


def test_empty_query():
    for text in ("", "   "):
        with pytest.raises(QueryError) as caught:
            parse(text)
        assert str(caught.value) == "empty query: type at least one word to look for"
        assert caught.value.column is None


def test_query_error_is_a_value_error():
    with pytest.raises(ValueError, match="unclosed quote"):
        parse('"x')


def test_length_limit_names_its_number():
    parse("x" * MAX_LENGTH)
    with pytest.raises(QueryError) as caught:
        parse("x" * (MAX_LENGTH + 12))
    assert str(caught.value) == (
        f"query is {MAX_LENGTH + 12} characters long; the limit is {MAX_LENGTH} "
        f"(it goes past the limit at column {MAX_LENGTH + 1})"
    )
    assert caught.value.column == MAX_LENGTH + 1


def test_term_limit_names_its_number_and_the_column_of_the_first_extra_term():
    parse(" ".join(["w"] * MAX_TERMS))
    with pytest.raises(QueryError) as caught:
        parse(" ".join(["w"] * (MAX_TERMS + 1)))
    column = 2 * MAX_TERMS + 1
    assert str(caught.value) == (
        f"too many terms: the limit is {MAX_TERMS} (term {MAX_TERMS + 1} starts at column {column}); "
        "split the query into several subscriptions"
    )
    assert caught.value.column == column


def test_nesting_limit_names_its_number():
    parse("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH)
    with pytest.raises(QueryError) as caught:
        parse("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1))
    assert str(caught.value) == (
        f"parentheses nested too deeply at column {MAX_DEPTH + 1}: the limit is {MAX_DEPTH} levels"
    )
    assert caught.value.column == MAX_DEPTH + 1


def test_a_field_group_counts_towards_the_nesting_limit():
    with pytest.raises(QueryError, match="nested too deeply"):
        parse("ti:" + "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1))
