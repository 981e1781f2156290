"""Libraries as reference managers export them: each format, and what is not recognised."""

from __future__ import annotations

import pytest

from paperbot.relevance.library import (
    BIBTEX,
    IDS,
    RIS,
    ZOTERO_CSV,
    detect_format,
    mentioned_arxiv_id,
    parse_library,
)

BIBTEX_EXPORT = r"""
% Exported by a reference manager
@article{vaswani2017attention,
  title   = {Attention Is {All} You Need},
  author  = {Vaswani, Ashish and Shazeer, Noam},
  journal = {arXiv preprint arXiv:1706.03762},
  year    = 2017,
}
@misc{kora2025noise, title="Statistical noise {enhances} quantumness (benefits)",
  eprint = {2504.17837}, archivePrefix = {arXiv}, primaryClass = {quant-ph}}
@inproceedings{nature2020, title = {A journal paper}, booktitle = {NeurIPS}, doi = {10.1000/xyz.123}}
@article{viadoi, title = {Via arXiv's DOI}, doi = {10.48550/arXiv.2505.14687}}
@article{viaurl, title = {Via a link}, url = {https://arxiv.org/abs/hep-th/9901001v2}}
@article{s2, title = {Semantic Scholar style}, journal = {ArXiv}, volume = {abs/2301.00001}}
@article{other, title = {Another archive}, eprint = {1234.5678}, archivePrefix = {HAL}}
@comment{jabref-meta: nothing here}
@article{duplicate, title = {Attention again}, eprint = {1706.03762v5}}
"""

RIS_EXPORT = """TY  - JOUR
TI  - Attention Is All You Need
AU  - Vaswani, Ashish
UR  - http://arxiv.org/abs/1706.03762v7
ER  -

TY  - JOUR
T1  - No arXiv id here
DO  - 10.1000/abc
ER  -

TY  - GEN
TI  - In the notes
N1  - arXiv: 2504.17837
ER  -
"""

ZOTERO_EXPORT = (
    '\ufeff"Key","Item Type","Publication Year","Author","Title","Publication Title","DOI","Url","Extra"\n'
    '"AB12","preprint","2025","Kora, Y.","Statistical noise","","10.48550/arXiv.2504.17837",'
    '"http://arxiv.org/abs/2504.17837v1","arXiv:2504.17837 [quant-ph]"\n'
    '"CD34","journalArticle","2020","Doe, J.","A journal article","Nature","10.1038/x","",""\n'
    '"EF56","preprint","2025","Roe, R.","Only in Extra","","","","arXiv: 2505.14687"\n'
)


def test_bibtex_ids_come_from_eprint_url_doi_and_journal() -> None:
    library = parse_library(BIBTEX_EXPORT)
    assert library is not None and library.format == BIBTEX
    assert library.arxiv_ids == ["1706.03762", "2504.17837", "2505.14687", "hep-th/9901001", "2301.00001"]
    assert library.unrecognised == ["A journal paper", "Another archive"]


def test_ris_ids_come_from_links_and_notes() -> None:
    library = parse_library(RIS_EXPORT)
    assert library is not None and library.format == RIS
    assert library.arxiv_ids == ["1706.03762", "2504.17837"]
    assert library.unrecognised == ["No arXiv id here"]


def test_zotero_csv_ids_come_from_doi_url_and_extra() -> None:
    library = parse_library(ZOTERO_EXPORT)
    assert library is not None and library.format == ZOTERO_CSV
    assert library.arxiv_ids == ["2504.17837", "2505.14687"]
    assert library.unrecognised == ["A journal article"]


def test_a_list_of_ids_and_links() -> None:
    text = "2504.17837\n• https://arxiv.org/pdf/2505.14687v2.pdf, arXiv:2501.00001\nsome title I pasted\n2504.17837v3"
    library = parse_library(text)
    assert library is not None and library.format == IDS
    assert library.arxiv_ids == ["2504.17837", "2505.14687", "2501.00001"]
    assert library.unrecognised == ["some title I pasted"]


@pytest.mark.parametrize(
    "queries", ["cat:quant-ph qubit\nau:Hua", '"sparse autoencoder" cat:cs.LG', "2504.17837 qubit"]
)
def test_subscription_queries_are_no_library(queries: str) -> None:
    assert detect_format(queries) is None
    assert parse_library(queries) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("arXiv preprint arXiv:1706.03762", "1706.03762"),
        ("https://arxiv.org/abs/2504.17837v2", "2504.17837"),
        ("10.48550/ARXIV.2505.14687", "2505.14687"),
        ("Proceedings page 1234.5678", None),
        ("arXiv:hep-th/9901001", "hep-th/9901001"),
    ],
)
def test_ids_only_where_the_text_says_arxiv(text: str, expected: str | None) -> None:
    assert mentioned_arxiv_id(text) == expected
