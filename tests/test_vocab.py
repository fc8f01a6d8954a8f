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


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        # staff abbreviations become their full forms (lower or upper case, with or without đ)
        ("đk kết nạp đv", "điều kiện kết nạp đảng viên"),
        ("DK ket nap DV", "điều kiện ket nap đảng viên"),
        ("cb cc vc dôi dư", "cán bộ công chức viên chức dôi dư"),
        ("ubnd tỉnh", "ủy ban nhân dân tỉnh"),
        ("UBND tỉnh", "ủy ban nhân dân tỉnh"),
        ("Ubnd tỉnh", "ủy ban nhân dân tỉnh"),
        ("BTV tỉnh ủy", "ban thường vụ tỉnh ủy"),
        # one plain letter is left out; words of one letter with diacritics, "y" and roman numerals stay
        ("… đảng viên b điều kiện", "… đảng viên điều kiện"),
        ("cán bộ x dôi dư", "cán bộ dôi dư"),
        ("cán bộ dôi dư ở xã", "cán bộ dôi dư ở xã"),
        ("y tế, ý kiến", "y tế, ý kiến"),
        ("quý I/2024", "quý I/2024"),
        ("quý II năm 2024", "quý II năm 2024"),
        ("quy iii nam 2024", "quy iii nam 2024"),
        # unknown short forms (no syllable, no corpus word) are left out; syllables are kept
        ("hồ sơ kn (đv) gửi đâu?", "hồ sơ (đảng viên) gửi đâu?"),
        ("cán bộ dôi dư ko", "cán bộ dôi dư"),
        ("tu sửa", "tu sửa"),
        # acronyms of corpus names are read, then left out as short forms
        ("cán bộ dôi dư ở QT", "cán bộ dôi dư ở Quảng Trị"),
        # document numbers and symbols stay as typed
        ("Nghị quyết 27-NQ/TW", "Nghị quyết 27-NQ/TW"),
        ("NQ27 và QĐ 58", "NQ27 và quyết định 58"),
    ],
)
def test_read_query(vocab: Vocab, typed: str, read: str) -> None:
    assert vocab.read_query(typed) == read


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("đv bố trí cán bộ", "đơn vị bố trí cán bộ"),
        ("kết nạp đv mới", "kết nạp đảng viên mới"),
        ("đk kết nạp", "điều kiện kết nạp"),
        ("đk dự thi", "đăng ký dự thi"),
        # an abbreviation the corpus writes itself stays (the tokenizer adds its full forms)
        ("ubnd tỉnh", "ubnd tỉnh"),
        ("cb cc", "cán bộ công chức"),
    ],
)
def test_ambiguous_abbreviation_takes_the_corpus_form(typed: str, read: str) -> None:
    doc = Document(
        "b.txt",
        "Hướng dẫn",
        dt.date(2024, 1, 1),
        "Sở Nội vụ",
        (
            "Đơn vị bố trí cán bộ. Các đơn vị bố trí đủ người. Điều kiện kết nạp đảng viên mới.",
            "Điều kiện kết nạp đảng viên. Kết nạp đảng viên mới. Đăng ký dự thi. Người đăng ký dự thi.",
            "UBND tỉnh giao Sở Nội vụ. UBND huyện thực hiện.",
        ),
    )
    assert Vocab(build_vocab([doc])).read_query(typed) == read
