"""index.text: normalise, fold, split_sentences — tables for the known cases, hypothesis for the rest."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.text import fold, has_diacritics, normalise, split_sentences


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


# ---------------------------------------------------------------------------------------------
# normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # old-style tone placement on oa / oe / uy is moved to the first vowel
        ("hoà", "hòa"),
        ("hoá", "hóa"),
        ("hoả", "hỏa"),
        ("hoã", "hõa"),
        ("hoạ", "họa"),
        ("thuỷ", "thủy"),
        ("uỷ", "ủy"),
        ("Uỷ ban", "Ủy ban"),
        ("khoẻ", "khỏe"),
        ("xoè", "xòe"),
        ("tuỳ", "tùy"),
        ("Tỉnh uỷ", "Tỉnh ủy"),
        ("hoà hợp, thuỷ lợi", "hòa hợp, thủy lợi"),
        # upper case is covered too
        ("HOÀ", "HÒA"),
        ("THUỶ", "THỦY"),
        ("Hoà", "Hòa"),
        # already in the new form: unchanged
        ("hòa", "hòa"),
        ("thủy", "thủy"),
        # after q the u belongs to the consonant: the tone stays on y / the vowel after
        ("quý", "quý"),
        ("quỳ", "quỳ"),
        ("Quý II", "Quý II"),
        ("Quỳnh", "Quỳnh"),
        # closed syllables keep their tone where it is
        ("hoàng", "hoàng"),
        ("hoàn thành", "hoàn thành"),
        ("khuỷu", "khuỷu"),
        ("thuở", "thuở"),
        ("toàn tỉnh", "toàn tỉnh"),
        # invisible characters
        ("cán\u00adbộ", "cánbộ"),
        ("đảng\u200bviên", "đảngviên"),
        ("\ufeffNghị quyết", "Nghị quyết"),
        ("a\u200c\u200d\u2060b", "ab"),
        # an invisible character between a letter and its (decomposed) tone mark: NFC after removal
        ("a\u00ad\u0300", "à"),
        ("ho\u200ba\u0300", "hòa"),
        # spaces: runs folded, ends stripped per line, newlines kept
        ("a   b", "a b"),
        ("a\tb\u00a0c", "a b c"),
        ("  đầu dòng  ", "đầu dòng"),
        ("dòng 1\ndòng 2", "dòng 1\ndòng 2"),
        ("dòng 1  \n   dòng 2", "dòng 1\ndòng 2"),
        ("đoạn 1\n\nđoạn 2", "đoạn 1\n\nđoạn 2"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("", ""),
    ],
)
def test_normalise_table(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    "word", ["hoà", "thuỷ", "uỷ", "khoẻ", "Nghị quyết", "Đảng ủy", "quý", "hoàng", "Quảng Trị", "tỉnh Hà Tĩnh"]
)
def test_normalise_turns_nfd_into_nfc(word: str) -> None:
    decomposed = nfd(word)
    assert decomposed != unicodedata.normalize("NFC", word)  # the input really is decomposed
    out = normalise(decomposed)
    assert unicodedata.is_normalized("NFC", out)
    assert out == normalise(word)


def test_normalise_nfd_old_tone_placement() -> None:
    # decomposed AND old placement at once
    assert normalise(nfd("hoà thuỷ")) == "hòa thủy"


# ---------------------------------------------------------------------------------------------
# fold


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("đảng", "dang"),
        ("Đảng", "Dang"),
        ("ĐVHC", "DVHC"),
        ("Nghị quyết", "Nghi quyet"),
        # every tone on a
        ("a à á ả ã ạ", "a a a a a a"),
        # every vowel with its hat/horn/breve and a tone
        ("ầ ấ ẩ ẫ ậ ằ ắ ẳ ẵ ặ", "a a a a a a a a a a"),
        ("ề ế ể ễ ệ", "e e e e e"),
        ("ì í ỉ ĩ ị", "i i i i i"),
        ("ồ ố ổ ỗ ộ ờ ớ ở ỡ ợ", "o o o o o o o o o o"),
        ("ừ ứ ử ữ ự ù ú ủ ũ ụ", "u u u u u u u u u u"),
        ("ỳ ý ỷ ỹ ỵ", "y y y y y"),
        ("ĂÂÊÔƠƯ", "AAEOOU"),
        ("Ủy ban nhân dân", "Uy ban nhan dan"),
        ("quý II/2024", "quy II/2024"),
        ("27-NQ/TW", "27-NQ/TW"),
        ("", ""),
    ],
)
def test_fold_table(raw: str, expected: str) -> None:
    assert fold(raw) == expected


def test_fold_accepts_nfd_input() -> None:
    assert fold(nfd("Đồng chí Bí thư Tỉnh ủy")) == "Dong chi Bi thu Tinh uy"


@pytest.mark.parametrize(("text", "expected"), [("đảng", True), ("dang", False), ("Đ", True), ("27-NQ/TW", False)])
def test_has_diacritics(text: str, expected: bool) -> None:
    assert has_diacritics(text) is expected


# ---------------------------------------------------------------------------------------------
# split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Câu một. Câu hai.", ["Câu một.", "Câu hai."]),
        ("Có không? Có! Vậy thì… Được.", ["Có không?", "Có!", "Vậy thì…", "Được."]),
        ("Đạt 27,5% chỉ tiêu. 412 đảng viên mới.", ["Đạt 27,5% chỉ tiêu.", "412 đảng viên mới."]),
        ('Ông nói. "Phải làm ngay."', ["Ông nói.", '"Phải làm ngay."']),
        ("Xong. (Theo báo cáo.)", ["Xong.", "(Theo báo cáo.)"]),
        ("Đầu câu. Đảng ủy xã.", ["Đầu câu.", "Đảng ủy xã."]),
        # a lower-case word after a full stop does not start a sentence (v.v., 1.5)
        ("Các sở, ngành v.v. thực hiện.", ["Các sở, ngành v.v. thực hiện."]),
        ("Mức lương 2.340.000 đồng. Từ 01/7/2024.", ["Mức lương 2.340.000 đồng.", "Từ 01/7/2024."]),
        # a full stop without a following space is not an end
        ("Điều 1.Khoản 2", ["Điều 1.Khoản 2"]),
        ("  Một câu.  ", ["Một câu."]),
        ("", []),
        ("   ", []),
    ],
)
def test_split_sentences_table(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_split_sentences_keeps_city_abbreviation() -> None:
    assert split_sentences("Họp tại TP. Hồ Chí Minh ngày 5/3.") == ["Họp tại TP. Hồ Chí Minh ngày 5/3."]


# ---------------------------------------------------------------------------------------------
# properties

VIET_LETTERS = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
viet_text = st.lists(
    st.sampled_from(
        list(VIET_LETTERS + VIET_LETTERS.upper() + "0123456789 .,;:!?-/()\n\t")
        + ["\u00ad", "\u200b", "\u00a0", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323", "oà", "uỷ", "qu"]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(viet_text)
def test_fold_is_idempotent(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    assert not has_diacritics(once)


@settings(max_examples=300, deadline=None)
@given(viet_text)
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


@settings(max_examples=300, deadline=None)
@given(viet_text)
def test_fold_ignores_normalisation(text: str) -> None:
    # Moving a tone mark or composing characters never changes the folded letters; removed invisible
    # characters and folded spaces are the only difference, so compare word sequences.
    assert fold(normalise(text)).split() == fold(text).translate(_INVISIBLE_FOR_TEST).split()


_INVISIBLE_FOR_TEST = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)


@settings(max_examples=200, deadline=None)
@given(viet_text)
def test_normalise_output_is_nfc_and_clean(text: str) -> None:
    out = normalise(text)
    assert unicodedata.is_normalized("NFC", out)
    assert "\u00ad" not in out and "\u200b" not in out
    assert "  " not in out
    assert out.count("\n") == text.replace("\r\n", "\n").count("\n") + text.replace("\r\n", "\n").count("\r")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list(VIET_LETTERS + " ,")), min_size=1, max_size=30), max_size=6))
def test_split_sentences_loses_no_words(parts: list[str]) -> None:
    text = " ".join(p.strip().capitalize() + "." for p in parts if p.strip())
    assert " ".join(split_sentences(text)).split() == text.split()


viet_words = st.lists(
    st.lists(
        st.sampled_from(list(VIET_LETTERS + VIET_LETTERS.upper()) + ["oà", "uỷ", "oẻ", "quý"]), min_size=1, max_size=8
    ).map("".join),
    max_size=10,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(viet_words, st.booleans())
def test_fold_of_normalised_equals_fold_exactly(text: str, decompose: bool) -> None:
    raw = nfd(text) if decompose else text
    assert fold(normalise(raw)) == fold(raw) == fold(text)
