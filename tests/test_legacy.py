"""TCVN3 and VNI detection and conversion."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from index.legacy import (
    TCVN3_TO_UNICODE,
    VNI_TO_UNICODE,
    convert,
    detect_legacy,
    is_vietnamese_syllable,
)

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

# Inverse tables, to write Unicode text the way an ABC or VNI keyboard would have.
_TO_TCVN3 = {letter: byte for byte, letter in TCVN3_TO_UNICODE.items()}
_TO_VNI = {
    letter: seq
    for seq, letter in VNI_TO_UNICODE.items()
    # the canonical spelling: mark bytes in the case of the base letter
    if seq[1:] == (seq[1:].upper() if seq[0].isupper() else seq[1:].lower())
}


def to_tcvn3(text: str) -> str:
    """Unicode → TCVN3 mojibake (as read through cp1252). Raises KeyError for letters ABC cannot write."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char.isascii() or char in "–—…“”‘’":
            out.append(char)
        else:
            out.append(_TO_TCVN3[char])
    return "".join(out)


def to_vni(text: str) -> str:
    return "".join(_TO_VNI.get(char, char) for char in unicodedata.normalize("NFC", text))


def corpus_paragraphs() -> list[str]:
    lines: list[str] = []
    for path in sorted(CORPUS.glob("*.txt")):
        lines.extend(line for line in path.read_text(encoding="utf-8").splitlines()[4:] if line)
    return lines


def tcvn3_writable(text: str) -> bool:
    try:
        to_tcvn3(text)
    except KeyError:
        return False
    return True


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        ("Céng hßa x· héi chñ nghÜa ViÖt Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
        ("§éc lËp - Tù do - H¹nh phóc", "Độc lập - Tự do - Hạnh phúc"),
        # 0xAD (soft hyphen in cp1252) is "ư" in TCVN3
        ("QuyÕt ®Þnh cña Bé tr\u00adëng Bé Tµi chÝnh", "Quyết định của Bộ trưởng Bộ Tài chính"),
        ("B¶o Th¾ng, M\u00adêng Kh\u00ad¬ng", "Bảo Thắng, Mường Khương"),
        ("Ban Tæ chøc TØnh ñy", "Ban Tổ chức Tỉnh ủy"),
        ("¡n ¢m £m ¤m ¥m ¦m", "Ăn Âm Êm Ôm Ơm Ưm"),
        ("h\u03bcnh", "hành"),  # µ turned into Greek mu by a PDF text layer
        ("25°C ± 2", "25°C ± 2"),  # loose tone-mark bytes are left alone
    ],
)
def test_convert_tcvn3_known_words(legacy: str, expected: str) -> None:
    assert convert(legacy, "tcvn3") == expected


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        ("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
        ("COÄNG HOØA XAÕ HOÄI CHUÛ NGHÓA VIEÄT NAM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        ("Ñoäc laäp - Töï do - Haïnh phuùc", "Độc lập - Tự do - Hạnh phúc"),
        ("Caên cöù Luaät Toå chöùc HÑND vaø UBND", "Căn cứ Luật Tổ chức HĐND và UBND"),
        ("Xin chaøo caùc baïn", "Xin chào các bạn"),
        ("Ban Toå chöùc Tænh uûy", "Ban Tổ chức Tỉnh ủy"),
        ("ngöôøi, möôïn, thuôû, khuyeán", "người, mượn, thuở, khuyến"),
        ("AÊn, AÁp, Ôû, Öù, Yù, Î", "Ăn, Ấp, Ở, Ứ, Ý, Ỵ"),
    ],
)
def test_convert_vni_known_words(legacy: str, expected: str) -> None:
    assert convert(legacy, "vni") == expected


def test_convert_unknown_encoding() -> None:
    with pytest.raises(ValueError):
        convert("abc", "viscii")  # type: ignore[arg-type]


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_corpus_round_trip(encoding: str) -> None:
    paragraphs = corpus_paragraphs()
    if encoding == "tcvn3":
        # ABC has no capitals with tones outside the .VnTimeH font; keep paragraphs it can write.
        paragraphs = [p for p in paragraphs if tcvn3_writable(p)]
    encode = to_tcvn3 if encoding == "tcvn3" else to_vni
    assert len(paragraphs) > 200
    for paragraph in paragraphs:
        legacy = encode(paragraph)
        assert legacy != paragraph
        assert detect_legacy(legacy) == encoding, legacy
        assert convert(legacy, encoding) == paragraph  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Céng hßa x· héi chñ nghÜa ViÖt Nam", "tcvn3"),
        ("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "vni"),
        ("QuyÕt ®Þnh", "tcvn3"),
        ("Quyeát ñònh", "vni"),
        # already Unicode Vietnamese
        ("Cộng hòa xã hội chủ nghĩa Việt Nam", None),
        ("Tôi là sinh viên", None),  # only Latin-1 letters, but valid as it is
        ("Ông bà về quê", None),
        # not Vietnamese at all
        ("The quick brown fox", None),
        ("Le café est très bon à Paris, où l'été dure", None),
        ("Müller straße Größe Übung", None),
        ("El año pasado fuimos a España", None),
        ("", None),
        ("12 × 3 ± 4 °C", None),
    ],
)
def test_detect_legacy(text: str, expected: str | None) -> None:
    assert detect_legacy(text) == expected


def test_detect_unicode_corpus_is_not_legacy() -> None:
    for paragraph in corpus_paragraphs():
        assert detect_legacy(paragraph) is None, paragraph


@pytest.mark.parametrize(
    ("word", "valid"),
    [
        ("nghiêng", True),
        ("Người", True),
        ("QUYẾT", True),
        ("khuyến", True),
        ("giữa", True),
        ("oà", True),
        ("cafộ", False),  # no f in Vietnamese
        ("lỔ", False),  # mixed case
        ("aủo", False),  # no such vowel cluster
        ("hàá", False),  # two tones
        ("straße", False),
    ],
)
def test_is_vietnamese_syllable(word: str, valid: bool) -> None:
    assert is_vietnamese_syllable(word) is valid


def _iconv_knows_tcvn() -> bool:
    if shutil.which("iconv") is None:
        return False
    result = subprocess.run(["iconv", "-l"], capture_output=True, text=True, check=False)
    return "TCVN5712-1" in result.stdout


@pytest.mark.skipif(not _iconv_knows_tcvn(), reason="needs glibc iconv with TCVN5712-1")
def test_tcvn3_table_agrees_with_glibc() -> None:
    source = "".join(TCVN3_TO_UNICODE).encode("latin-1")
    # "x" before each byte keeps glibc from combining letters with each other
    spaced = b"".join(b"x" + bytes([b]) for b in source)
    result = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=spaced, capture_output=True, check=True)
    decoded = unicodedata.normalize("NFC", result.stdout.decode("utf-8"))
    assert decoded == "".join("x" + letter for letter in TCVN3_TO_UNICODE.values())
