import pytest

from paperbot.arxiv.ids import ArxivId, parse_arxiv_id, split_version
from paperbot.errors import InvalidArxivIdError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2505.14687", ArxivId("2505.14687")),
        ("2505.14687v2", ArxivId("2505.14687", 2)),
        ("  arXiv:2505.14687v12 ", ArxivId("2505.14687", 12)),
        ("0704.0002", ArxivId("0704.0002")),
        ("hep-th/9901001", ArxivId("hep-th/9901001")),
        ("math.GT/0309136v1", ArxivId("math.GT/0309136", 1)),
        ("https://arxiv.org/abs/2505.14687", ArxivId("2505.14687")),
        ("http://export.arxiv.org/abs/2505.14687v3", ArxivId("2505.14687", 3)),
        ("https://arxiv.org/pdf/2505.14687v2.pdf", ArxivId("2505.14687", 2)),
        ("https://arxiv.org/pdf/2505.14687", ArxivId("2505.14687")),
        ("https://www.arxiv.org/abs/hep-th/9901001/", ArxivId("hep-th/9901001")),
        ("oai:arXiv.org:2504.17830v1", ArxivId("2504.17830", 1)),
    ],
)
def test_accepts_every_form_users_paste(text: str, expected: ArxivId) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text", ["", "abc", "2505.146", "25051.14687", "https://example.org/abs/2505.14687", "2505.14687v"]
)
def test_rejects_non_ids_with_a_hint(text: str) -> None:
    with pytest.raises(InvalidArxivIdError, match=r"expected something like 2505\.14687"):
        parse_arxiv_id(text)


def test_split_version_defaults_to_v1() -> None:
    assert split_version("2504.17830v3") == ("2504.17830", 3)
    assert split_version("hep-th/9901001") == ("hep-th/9901001", 1)
    assert str(ArxivId("2504.17830", 3)) == "2504.17830v3"
