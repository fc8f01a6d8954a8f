"""Post-OCR correction of Vietnamese marks (index/ocr_words.py): pure text, the shipped model."""

from __future__ import annotations

import pytest

from index import ocr_words
from index.ocr_words import SyllableModel, Token, correct_words, default_model, mark_changes


def _line(text: str, confidence: float) -> list[tuple[str, float]]:
    return [(word, confidence) for word in text.split()]


@pytest.mark.parametrize(
    ("read", "confidence", "corrected"),
    [
        # tesseract's slips of a tone or a vowel mark, read back from the words around them
        ("kế hoạch tỉnh giản biên chế", 85, "kế hoạch tinh giản biên chế"),
        ("đội ngũ công chúc viên chức", 80, "đội ngũ công chức viên chức"),
        ("sinh hoạt chỉ bộ ở cơ sở", 80, "sinh hoạt chi bộ ở cơ sở"),
        ("người dôi dư", 60, "người dôi dư"),
        ("người đôi dư sau sắp xếp", 60, "người dôi dư sau sắp xếp"),
        # letter case and punctuation are kept
        ("KẾ HOẠCH TỈNH GIẢN BIÊN CHẾ", 85, "KẾ HOẠCH TINH GIẢN BIÊN CHẾ"),
        ("(công chúc),", 80, "(công chức),"),
        # a word tesseract is sure of stays, even where the model leans the other way
        ("trường hợp có vấn đề", 96, "trường hợp có vấn đề"),
        # a marked capital read as two letters: one is dropped, whatever the confidence
        ("ĐẢẲNG CỘNG SẢN VIỆT NAM", 90, "ĐẢNG CỘNG SẢN VIỆT NAM"),
        ("ĐẢNG CỘNG SẲẢN VIỆT NAM", 50, "ĐẢNG CỘNG SẢN VIỆT NAM"),
        ("TRIỂẾN KHAI NHIỆM VỤ", 90, "TRIỂN KHAI NHIỆM VỤ"),
        ("ở các xã THỰỤC hiện sắp xếp", 90, "ở các xã THỰC hiện sắp xếp"),
        ("cán bộ nghỉ hưu, ưu tiên", 96, "cán bộ nghỉ hưu, ưu tiên"),  # "ưu" is a rhyme, not a doubled letter
        # right words stay; a name the model does not know is never "corrected" ("nguyên văn" is a word)
        ("Nguyễn Văn Nam", 60, "Nguyễn Văn Nam"),
        ("huyện Krông Pa", 60, "huyện Krông Pa"),
        ("Tỉnh ủy Quảng Trị kết nạp 412 đảng viên mới", 70, "Tỉnh ủy Quảng Trị kết nạp 412 đảng viên mới"),
        ("Nghị quyết số 27-NQ/TW, quý I/2024", 60, "Nghị quyết số 27-NQ/TW, quý I/2024"),
        # not syllables: symbols, numbers, foreign words are left alone
        ("UBTVQH15 COVID-19 e-mail Internet", 40, "UBTVQH15 COVID-19 e-mail Internet"),
    ],
)
def test_correct_words(read: str, confidence: float, corrected: str) -> None:
    assert " ".join(correct_words(_line(read, confidence))) == corrected


def test_a_capitalised_word_inside_a_line_needs_more_evidence() -> None:
    """With the same evidence, "chỉ" becomes "chi" but "Chỉ" inside a line (more likely a name) stays."""
    model = SyllableModel.build(["chi bộ", "chỉ đạo", "các chi"], [["chỉ", "đạo"]] * 20)
    gain = model.score("chi", "các", "bộ") - model.score("chỉ", "các", "bộ")
    # a confidence at which the gain passes the margin of a lower-case word, not of a capitalised one
    confidence = 50 + (gain - ocr_words.MARGIN - ocr_words.CAPITAL_MARGIN / 2) / ocr_words.CONFIDENCE_WEIGHT
    assert 50 < confidence < 100
    assert correct_words([("các", 90.0), ("chỉ", confidence), ("bộ", 90.0)], model)[1] == "chi"
    assert correct_words([("các", 90.0), ("Chỉ", confidence), ("bộ", 90.0)], model)[1] == "Chỉ"
    # a much lower confidence lets the capitalised word be corrected too, in its case
    assert correct_words([("các", 90.0), ("Chỉ", 40.0), ("bộ", 90.0)], model)[1] == "Chi"


@pytest.mark.parametrize(
    ("a", "b", "changes"),
    [
        ("tỉnh", "tinh", 1),  # the tone
        ("chúc", "chức", 1),  # the horn of ư
        ("đảng", "dạng", 2),  # the stroke of đ and the tone
        ("hổ", "hồ", 1),
        ("quy", "quý", 1),
        ("ương", "uông", 2),  # two horns against a hat
    ],
)
def test_mark_changes(a: str, b: str, changes: int) -> None:
    assert mark_changes(a, b) == changes


@pytest.mark.parametrize(
    ("word", "parts", "syllable"),
    [
        ("(chức),", ("(", "chức", "),"), "chức"),
        ("TỈNH", ("", "TỈNH", ""), "tỉnh"),
        ("I/2024", ("", "I/2024", ""), None),
        ("27-NQ/TW", ("", "27-NQ/TW", ""), None),
        ("iPhone", ("", "iPhone", ""), None),
        ("…", ("…", "", ""), None),
    ],
)
def test_tokens(word: str, parts: tuple[str, str, str], syllable: str | None) -> None:
    token = Token.parse(word)
    assert (token.lead, token.core, token.trail) == parts
    assert token.syllable == syllable


def test_the_shipped_model_knows_the_genre() -> None:
    model = default_model()
    assert {"chi", "chỉ", "chì", "chí", "chị"} <= set(model.variants["chi"])
    assert model.bigrams.get(("tinh", "giản"), 0) > 0
    assert model.bigrams.get(("tỉnh", "giản"), 0) == 0
