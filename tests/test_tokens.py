"""index.tokens.analyse and index.abbreviations: genre symbols and abbreviation expansion."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.abbreviations import expand_abbreviations, known_abbreviation
from index.text import fold
from index.tokens import analyse, words


def syms(text: str) -> set[str]:
    return set(analyse(text).symbols)


# ---------------------------------------------------------------------------------------------
# document numbers


@pytest.mark.parametrize(
    "text",
    [
        "nghi quyet 27",
        "Nghị quyết 27",
        "Nghị quyết số 27-NQ/TW",
        "nghị quyết số 27",
        "NQ 27",
        "nq 27",
        "NQ số 27",
        "27-NQ/TW",
        "theo Nghị quyết 27-NQ/TW ngày 21/5/2018 của Ban Chấp hành Trung ương",
    ],
)
def test_resolution_27_forms_share_one_symbol(text: str) -> None:
    assert "#nq27" in syms(text)


@pytest.mark.parametrize(
    ("text", "symbol"),
    [
        ("35/2023/UBTVQH15", "#ubtvqh35"),
        ("Nghị quyết số 35/2023/UBTVQH15", "#ubtvqh35"),
        ("Nghị định số 73/2024/NĐ-CP", "#nd73"),
        ("nghi dinh 73", "#nd73"),
        ("NĐ 73", "#nd73"),
        ("Chỉ thị 35-CT/TW", "#ct35"),
        ("chi thi so 35", "#ct35"),
        ("Kết luận 137-KL/TW", "#kl137"),
        ("Quyết định 58-QĐ/TW", "#qd58"),
        ("Quy định số 58", "#qd58"),
        ("Hướng dẫn 05-HD/BTCTW", "#hd5"),
        ("Thông tư 01/2024/TT-BNV", "#tt1"),
    ],
)
def test_document_number_symbols(text: str, symbol: str) -> None:
    assert symbol in syms(text)


@pytest.mark.parametrize(
    ("a", "b"),
    [("Nghị quyết 27", "Nghị quyết 28"), ("NQ 27", "Chỉ thị 27"), ("27-NQ/TW", "27-CT/TW")],
)
def test_different_documents_do_not_share_a_symbol(a: str, b: str) -> None:
    doc_syms = {s for s in syms(a) if not s.startswith(("#q", "#h", "#m"))}
    assert doc_syms and not doc_syms & syms(b)


@pytest.mark.parametrize(
    "text",
    ["ngày 27 tháng 3", "27 đảng viên", "đạt 27,5% chỉ tiêu", "năm 2024", "2.340.000 đồng", "số 27"],
)
def test_plain_numbers_make_no_document_symbol(text: str) -> None:
    assert not {s for s in syms(text) if not s.startswith(("#q", "#h", "#m"))}


# ---------------------------------------------------------------------------------------------
# periods


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("quý II/2024", {"#q2", "#q2y2024"}),
        ("quy 2 nam 2024", {"#q2", "#q2y2024"}),
        ("Quý 2 năm 2024", {"#q2", "#q2y2024"}),
        ("quý II năm 2024", {"#q2", "#q2y2024"}),
        ("quý I/2024", {"#q1", "#q1y2024"}),
        ("quý III/2024", {"#q3", "#q3y2024"}),
        ("quý IV/2025", {"#q4", "#q4y2025"}),
        ("quý 4 năm 2025", {"#q4", "#q4y2025"}),
        ("quý II", {"#q2"}),
        ("6 tháng đầu năm 2025", {"#h1", "#h1y2025"}),
        ("6 thang dau nam 2025", {"#h1", "#h1y2025"}),
        ("6 tháng cuối năm 2024", {"#h2", "#h2y2024"}),
        ("6 tháng đầu năm", {"#h1"}),
        ("tháng 9/2024", {"#m9y2024"}),
        ("tháng 12 năm 2024", {"#m12y2024"}),
    ],
)
def test_period_symbols(text: str, expected: set[str]) -> None:
    assert syms(text) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("quý II/2024", "quý III/2024"),
        ("quý II/2024", "quý II/2025"),
        ("6 tháng đầu năm 2025", "6 tháng cuối năm 2025"),
    ],
)
def test_periods_differ(a: str, b: str) -> None:
    full = {s for s in syms(a) if "y" in s}
    assert full and not full & syms(b)


def test_quarter_word_without_number_is_not_a_period() -> None:
    # "quý" as in "quý báu" (precious) or "quý" alone
    assert syms("kinh nghiệm quý báu") == set()


# ---------------------------------------------------------------------------------------------
# words and bigrams


@pytest.mark.parametrize(
    ("text", "unigrams"),
    [
        ("Đảng ủy xã", ("dang", "uy", "xa")),
        ("Hòa bình", ("hoa", "binh")),
        ("hoà bình", ("hoa", "binh")),  # old tone placement folds the same
        ("412 đảng viên", ("412", "dang", "vien")),
    ],
)
def test_unigrams_are_folded_lower_case(text: str, unigrams: tuple[str, ...]) -> None:
    assert analyse(text).unigrams == unigrams


def test_bigrams_do_not_cross_punctuation() -> None:
    an = analyse("cán bộ, công chức")
    assert "can_bo" in an.bigrams and "cong_chuc" in an.bigrams
    assert "bo_cong" not in an.bigrams


def test_bigrams_can_be_turned_off() -> None:
    assert analyse("cán bộ công chức", bigrams=False).bigrams == ()


@pytest.mark.parametrize("text", ["Quảng Trị", "quang tri", "QUẢNG TRỊ", "Quang Tri"])
def test_with_and_without_diacritics_analyse_alike(text: str) -> None:
    assert analyse(text).all() == ["quang", "tri", "quang_tri"]


# ---------------------------------------------------------------------------------------------
# abbreviations: both ways


@pytest.mark.parametrize(
    ("abbreviated", "full"),
    [
        ("BTV Tỉnh ủy", "Ban Thường vụ Tỉnh ủy"),
        ("btv tỉnh ủy", "ban thường vụ tỉnh ủy"),
        ("CB-CC-VC", "cán bộ công chức viên chức"),
        ("cb-cc-vc", "cán bộ công chức viên chức"),
        ("CBCCVC", "cán bộ, công chức, viên chức"),
        ("MTTQ", "Mặt trận Tổ quốc"),
        ("HĐND tỉnh", "Hội đồng nhân dân tỉnh"),
        ("HDND tỉnh", "Hội đồng nhân dân tỉnh"),
        ("hdnd tinh", "hoi dong nhan dan tinh"),
        ("UBND tỉnh", "Ủy ban nhân dân tỉnh"),
        ("ĐVHC cấp xã", "đơn vị hành chính cấp xã"),
        ("DVHC cấp xã", "đơn vị hành chính cấp xã"),
        ("dvhc cap xa", "don vi hanh chinh cap xa"),
        ("BCH Đảng bộ", "Ban Chấp hành Đảng bộ"),
        ("CCHC", "cải cách hành chính"),
    ],
)
def test_abbreviation_query_matches_full_form_passage(abbreviated: str, full: str) -> None:
    """Every unigram and bigram of the full form is produced for the abbreviation, so a question with
    the abbreviation finds a passage with the full form."""
    a, f = analyse(abbreviated), analyse(full)
    assert set(f.unigrams) <= set(a.unigrams)
    assert set(f.bigrams) <= set(a.bigrams)


@pytest.mark.parametrize(
    ("full_passage", "abbreviated_query"),
    [
        ("Ban Thường vụ Tỉnh ủy đã ban hành 14 văn bản", "BTV"),
        ("đội ngũ cán bộ, công chức, viên chức cấp xã", "CB-CC-VC"),
        ("Ủy ban Mặt trận Tổ quốc tỉnh", "MTTQ"),
        ("sắp xếp đơn vị hành chính cấp xã", "ĐVHC"),
    ],
)
def test_full_form_passage_contains_abbreviation_meaning(full_passage: str, abbreviated_query: str) -> None:
    """The other direction: the query's expansion words all occur in the full-form passage."""
    expansion = set(analyse(abbreviated_query).unigrams) - set(words(abbreviated_query.replace("-", " ")))
    assert expansion and expansion <= set(analyse(full_passage).unigrams)


def test_abbreviations_in_passage_match_full_form_query() -> None:
    passage = analyse("BTV TU giao BTC TU chủ trì")
    query = analyse("ban thường vụ tỉnh ủy, ban tổ chức")
    assert set(query.unigrams) <= set(passage.unigrams)
    assert {"ban_thuong", "thuong_vu", "tinh_uy", "ban_to", "to_chuc"} <= set(passage.bigrams)


@pytest.mark.parametrize(
    ("text", "expanded"),
    [
        ("BTV", "BTV ban thường vụ"),
        ("btv", "btv ban thường vụ"),
        ("TU", "TU tỉnh ủy"),
        ("HĐND", "HĐND hội đồng nhân dân"),
        ("HDND", "HDND hội đồng nhân dân"),
        ("CB-CC-VC", "CB-CC-VC cán bộ công chức viên chức"),
    ],
)
def test_expand_abbreviations_table(text: str, expanded: str) -> None:
    assert expand_abbreviations(text) == expanded


@pytest.mark.parametrize(
    "text",
    [
        "tu",  # a real syllable ("tu dưỡng"), not TU = tỉnh ủy
        "Tu",
        "hu",  # a real syllable, not HU = huyện ủy
        "tu dưỡng đạo đức",
        "cong chuc",
    ],
)
def test_lower_case_syllables_are_not_expanded(text: str) -> None:
    assert expand_abbreviations(text) == text
    assert not {"tinh", "huyen", "chuc"} & set(analyse(text).unigrams) - set(words(text))


@pytest.mark.parametrize(("text", "word"), [("Btv tỉnh ủy họp", "thuong"), ("Hdnd tỉnh", "hoi"), ("Dvhc", "hanh")])
def test_capitalised_abbreviation_expands(text: str, word: str) -> None:
    """Phones capitalise the first letter of a message: "Btv" is typed for "btv"/"BTV"."""
    assert word in analyse(text).unigrams


def test_abbreviation_inside_a_word_or_code_is_not_expanded() -> None:
    assert expand_abbreviations("UBTVQH15") == "UBTVQH15"
    assert expand_abbreviations("BTVX") == "BTVX"
    # a hyphenated abbreviation expands as a whole, not as its parts (CT = chỉ thị)
    assert expand_abbreviations("CT-XH") == "CT-XH chính trị xã hội"


@pytest.mark.parametrize(
    ("token", "known"), [("BTV", True), ("btv", True), ("HDND", True), ("tu", False), ("XYZ", False)]
)
def test_known_abbreviation(token: str, known: bool) -> None:
    assert known_abbreviation(token) is known


# ---------------------------------------------------------------------------------------------
# properties

text_strategy = st.lists(
    st.sampled_from(
        "Nghị quyết số 27-NQ/TW quý II/2024 BTV Tỉnh ủy CB-CC-VC đảng viên 6 tháng đầu năm 2025 , . tu hoà "
        "35/2023/UBTVQH15 nq 27 xã Quảng Trị".split()
    ),
    max_size=25,
).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(text_strategy)
def test_analyse_is_insensitive_to_diacritics_and_case(text: str) -> None:
    assert analyse(fold(text)).symbols == analyse(text).symbols
    assert analyse(text.upper()).symbols == analyse(text).symbols


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_analyse_never_fails_and_tokens_are_clean(text: str) -> None:
    an = analyse(text)
    for tok in an.unigrams:
        # (not necessarily ASCII: re.IGNORECASE lets [a-z] match "ı", "ſ")
        assert tok and tok == tok.lower() and tok.isalnum()
    for tok in an.bigrams:
        assert tok.count("_") == 1
    for tok in an.symbols:
        assert tok.startswith("#") and tok[1:].isascii()


@pytest.mark.parametrize(
    ("text", "symbols"),
    [
        ("kế hoạch 2024 luân chuyển cán bộ", set()),  # a year after a kind of document is no number
        ("báo cáo năm 2023", set()),
        ("Kế hoạch số 2024/KH-UBND", {"#kh2024"}),
        ("Quyết định 2150/QĐ-UBND", {"#qd2150"}),
    ],
)
def test_years_are_not_document_numbers(text: str, symbols: set[str]) -> None:
    periods = re.compile(r"#[qh]\d(y\d{4})?|#m\d+y\d{4}")
    assert {s for s in analyse(text).symbols if not periods.fullmatch(s)} == symbols


@pytest.mark.parametrize(
    ("typed", "forms"),
    [
        ("đk", ("điều kiện", "đăng ký")),
        ("ĐK", ("điều kiện", "đăng ký")),
        ("dk", ("điều kiện", "đăng ký")),
        ("đv", ("đảng viên", "đơn vị")),
        ("DV", ("đảng viên", "đơn vị")),
        ("cb", ("cán bộ",)),
        ("CC", ("công chức",)),
        ("vc", ("viên chức",)),
        ("ubnd", ("ủy ban nhân dân",)),
        ("UBND", ("ủy ban nhân dân",)),
        ("hđnd", ("hội đồng nhân dân",)),
        ("btv", ("ban thường vụ",)),
        # lower case that could be a Vietnamese syllable is a word, not an abbreviation
        ("tu", ()),
        ("da", ()),
        ("pa", ()),
        ("tb", ("thông báo",)),
    ],
)
def test_abbreviations_both_ways(typed: str, forms: tuple[str, ...]) -> None:
    from index.abbreviations import full_forms

    assert full_forms(typed) == forms
    for form in forms:
        assert form in expand_abbreviations(f"có {typed} ở đây")


@pytest.mark.parametrize(
    ("word", "syllable"),
    [
        ("tu", True),
        ("nghiêng", True),
        ("quý", True),
        ("khi", True),
        ("ubnd", False),
        ("btv", False),
        ("ko", False),
        ("kn", False),
        ("đk", False),
        ("y", True),
    ],
)
def test_is_syllable(word: str, syllable: bool) -> None:
    from index.abbreviations import is_syllable

    assert is_syllable(word) is syllable


def test_analysis_without_symbols_has_the_same_words() -> None:
    text = "Theo NQ 27-NQ/TW, quý II/2024 các xã hoàn thành sắp xếp; trước ngày 30/6/2024 báo cáo Sở Nội vụ."
    full, words_only = analyse(text), analyse(text, with_symbols=False)
    assert full.symbols and words_only.symbols == ()
    assert (words_only.unigrams, words_only.bigrams) == (full.unigrams, full.bigrams)
