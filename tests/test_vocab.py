"""Corpus vocabulary: diacritic restoration and acronyms learnt from proper names."""

import datetime as dt

import pytest

from index.model import Document
from index.vocab import Vocab, build_vocab

DOCS = [
    Document(
        "a.txt",
        "Báo cáo công tác tổ chức quý I/2024 của Tỉnh ủy Quảng Trị",
        dt.date(2024, 3, 27),
        "Ban Tổ chức Tỉnh ủy Quảng Trị",
        (
            "Trong quý I, Ban Tổ chức Tỉnh ủy Quảng Trị hướng dẫn sắp xếp cán bộ dôi dư ở các xã.",
            "Các huyện ủy gửi phương án bố trí cán bộ dôi dư về Sở Nội vụ tỉnh Quảng Trị.",
            "Đoàn công tác làm việc với Hà Tĩnh và Quảng Ngãi về kinh nghiệm sắp xếp.",
            "Ban Tổ chức Tỉnh ủy Hà Tĩnh trao đổi với tỉnh Quảng Ngãi và tỉnh Bến Tre.",
        ),
    )
]


@pytest.fixture(scope="module")
def vocab() -> Vocab:
    return Vocab(build_vocab(DOCS))


@pytest.mark.parametrize(
    ("typed", "restored"),
    [
        ("can bo doi du", "cán bộ dôi dư"),
        ("phuong an bo tri", "phương án bố trí"),
        ("so noi vu", "sở nội vụ"),
        ("cán bộ doi du", "cán bộ dôi dư"),  # mixed: accented words kept, others restored
        ("xyz 2024", "xyz 2024"),  # unknown words and numbers unchanged
    ],
)
def test_restore(vocab: Vocab, typed: str, restored: str) -> None:
    assert vocab.restore(typed).lower() == restored


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("QT quý 1", "Quảng Trị"),
        ("HT báo cáo", "Hà Tĩnh"),
        ("QNg hạn nộp", "Quảng Ngãi"),
        ("BTre dôi dư", "Bến Tre"),
    ],
)
def test_acronyms_from_proper_names(vocab: Vocab, query: str, expected: str) -> None:
    assert expected in vocab.expand_acronyms(query)


def test_acronym_expansion_leaves_ordinary_words(vocab: Vocab) -> None:
    assert vocab.expand_acronyms("cán bộ dôi dư") == "cán bộ dôi dư"
    assert vocab.expand_acronyms("XYZW") == "XYZW"


def test_sentence_initial_capitals_are_not_names() -> None:
    v = build_vocab(DOCS)
    assert "Trong quý" not in v["names"]
    assert "Các huyện" not in v["names"]
