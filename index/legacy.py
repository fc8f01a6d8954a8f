"""Legacy Vietnamese 8-bit encodings (TCVN3/ABC and VNI) to Unicode.

(Windows-1258 needs no table here: Python decodes it; `looks_vietnamese` tells whether that worked.)

Older government files were typed with the ABC (.VnTime, TCVN3) or VNI (VNI-Times) fonts. Their bytes
are not UTF-8; decoded as cp1252/latin-1 (or pulled out of a .docx, where Word stores them the same way)
they read as mojibake: "Céng hßa x· héi chñ nghÜa ViÖt Nam" (TCVN3) or "Coäng hoøa xaõ hoäi chuû nghóa
Vieät Nam" (VNI). `detect_legacy` recognises such text, `convert` turns it into Unicode.

Work on the text before `index.text.normalise`: TCVN3 uses the soft hyphen (0xAD) for "ư", which
normalise would delete.

TCVN3 table: TCVN 5712:1993 (as in glibc's TCVN5712-1) for bytes 0xA1-0xFF. Deliberately left out: the
loose tone marks 0xB0-0xB4 (° ± ² ³ ´ are far more often real symbols) and the capitals at 0x01-0x17 and
0x80-0x9F (cp1252 puts quotes, dashes and "…" there). ABC documents write capitals with tones in the
separate .VnTimeH font, whose bytes are the lower-case ones, so such capitals come out lower-case.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

LegacyEncoding = Literal["tcvn3", "vni"]

# --- TCVN3 -------------------------------------------------------------------------------------------

_TCVN3_SOURCE = bytes([*range(0xA1, 0xB0), *range(0xB5, 0x100)]).decode("latin-1")
_TCVN3_TARGET = (
    "ĂÂÊÔƠƯĐăâêôơưđẰ"  # A1-AF
    "àảãáạẲằẳẵắẴ"  # B5-BF
    "ẮẦẨẪẤỀặầẩẫấậèỂẻẽ"  # C0-CF
    "éẹềểễếệìỉỄẾỒĩíịò"  # D0-DF
    "Ổỏõóọồổỗốộờởỡớợù"  # E0-EF
    "ỖủũúụừửữứựỳỷỹýỵỐ"  # F0-FF
)
assert len(_TCVN3_SOURCE) == len(_TCVN3_TARGET)
TCVN3_TO_UNICODE: dict[str, str] = dict(zip(_TCVN3_SOURCE, _TCVN3_TARGET, strict=True))
# PDF text layers often turn µ (0xB5, "à") into the Greek mu.
_TCVN3_TRANSLATE = str.maketrans({**TCVN3_TO_UNICODE, "\u03bc": "à"})

# --- VNI ---------------------------------------------------------------------------------------------
# VNI writes a base letter followed by one byte for the tone and/or the vowel mark: "a" + "ù" = "á",
# "a" + "á" = "ấ" (circumflex and acute), "o" + "â" = "ô". ư, ơ, đ and the tones of i are single bytes.

_TONES = {"acute": "\u0301", "grave": "\u0300", "hook": "\u0309", "tilde": "\u0303", "dot": "\u0323"}
_TONE_BYTES = {"ù": "acute", "ø": "grave", "û": "hook", "õ": "tilde", "ï": "dot"}
_CIRCUMFLEX_BYTES = {"â": None, "á": "acute", "à": "grave", "å": "hook", "ã": "tilde", "ä": "dot"}
_BREVE_BYTES = {"ê": None, "é": "acute", "è": "grave", "ú": "hook", "ü": "tilde", "ë": "dot"}
_SINGLE_VNI = {
    "ô": "ơ", "ö": "ư", "ñ": "đ", "î": "ỵ",
    "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị",
}  # fmt: skip


def _compose(base: str, *marks: str) -> str:
    return unicodedata.normalize("NFC", base + "".join(marks))


def _vni_sequences() -> dict[str, str]:
    """Every VNI sequence (lower and upper case) to its Unicode letter."""
    lower: dict[str, str] = {}
    for base in "aeouy":
        for byte, tone in _TONE_BYTES.items():
            if base == "y" and tone == "dot":
                continue  # ỵ is the single byte î
            lower[base + byte] = _compose(base, _TONES[tone])
    for base in "aeo":
        for byte, mark_tone in _CIRCUMFLEX_BYTES.items():
            lower[base + byte] = _compose(base, "\u0302", _TONES[mark_tone] if mark_tone else "")
    for byte, mark_tone in _BREVE_BYTES.items():
        lower["a" + byte] = _compose("a", "\u0306", _TONES[mark_tone] if mark_tone else "")
    for single, letter in (("ô", "ơ"), ("ö", "ư")):
        for byte, tone in _TONE_BYTES.items():
            lower[single + byte] = _compose(letter, _TONES[tone])
    lower.update(_SINGLE_VNI)
    table: dict[str, str] = {}
    for seq, letter in lower.items():
        table[seq] = letter
        # Capitals: upper-case base; the mark byte may be written in either case.
        upper_base = seq[0].upper()
        for rest in {seq[1:], seq[1:].upper()}:
            table.setdefault(upper_base + rest, letter.upper())
    return table


VNI_TO_UNICODE: dict[str, str] = _vni_sequences()
_VNI_MARKS = "".join(sorted({seq[1] for seq in VNI_TO_UNICODE if len(seq) == 2}))
_VNI_BASES = "".join(sorted({seq[0] for seq in VNI_TO_UNICODE if len(seq) == 2}))
_VNI_SINGLES = "".join(sorted(seq for seq in VNI_TO_UNICODE if len(seq) == 1))
# No mark byte is also a base or a single letter, so "base + mark, else single" is a longest match.
assert not set(_VNI_MARKS) & (set(_VNI_BASES) | set(_VNI_SINGLES))
_VNI_RE = re.compile(f"[{re.escape(_VNI_BASES)}][{re.escape(_VNI_MARKS)}]|[{re.escape(_VNI_SINGLES)}]")


def _vni_letter(match: re.Match[str]) -> str:
    seq = match.group(0)
    letter = VNI_TO_UNICODE.get(seq)
    if letter is not None:
        return letter
    # a base and a mark that do not combine ("y" + "â"): the base alone, the mark as it is
    return VNI_TO_UNICODE.get(seq[0], seq[0]) + seq[1:]


def convert(text: str, encoding: LegacyEncoding) -> str:
    """Legacy-encoded text (decoded as cp1252/latin-1) to Unicode NFC."""
    if encoding == "tcvn3":
        out = text.translate(_TCVN3_TRANSLATE)
    elif encoding == "vni":
        out = _VNI_RE.sub(_vni_letter, text)
    else:
        raise ValueError(f"unknown legacy encoding {encoding!r}")
    return unicodedata.normalize("NFC", out)


# --- Detection ---------------------------------------------------------------------------------------
# Convert with each table and count the words that became valid Vietnamese syllables with diacritics.
# Text that already holds letters only Unicode Vietnamese has (ơ, ư, đ, ạ ... ỹ) is left alone.

_VIETNAMESE_ONLY = re.compile("[ăĂđĐĩĨũŨơƠưƯ\u1ea0-\u1ef9\u0300-\u036f]")
_WORD = re.compile(r"[^\W\d_]+")
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_SYLLABLE = re.compile(
    r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
    r"(?:iêu|yêu|oai|oao|oay|oeo|uây|uôi|uya|uyê|uyu|ươi|ươu"
    r"|ai|ao|au|ay|âu|ây|eo|êu|ia|iê|iu|oa|oă|oe|oi|oo|ôi|ơi|ua|uâ|uê|ui|uô|uơ|uy|ưa|ưi|ươ|ưu|yê"
    r"|[aăâeêioôơuưy])"
    r"(?:ch|ng|nh|[cmnpt])?$"
)
MIN_VALID_WORDS = 2
MIN_VALID_SHARE = 0.8
# Detection looks at this many characters at most (the start of the text): enough words, bounded time.
DETECT_SAMPLE_CHARS = 50_000


def is_vietnamese_syllable(word: str) -> bool:
    """A well-formed Vietnamese syllable: onset, vowel nucleus, coda, at most one tone, sane case."""
    if not (word.islower() or word.isupper() or word.istitle()):
        return False
    decomposed = unicodedata.normalize("NFD", word.lower())
    if sum(c in _TONE_MARKS for c in decomposed) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    return bool(_SYLLABLE.match(bare))


def _score(text: str) -> tuple[int, int]:
    """(valid Vietnamese words with diacritics, all words with non-ASCII letters)."""
    valid = total = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        total += 1
        valid += is_vietnamese_syllable(word)
    return valid, total


def looks_vietnamese(text: str) -> bool:
    """Whether the non-ASCII words of the text are mostly well-formed Vietnamese syllables."""
    valid, total = _score(unicodedata.normalize("NFC", text[:DETECT_SAMPLE_CHARS]))
    return valid >= MIN_VALID_WORDS and valid >= MIN_VALID_SHARE * total


def detect_legacy(text: str) -> LegacyEncoding | None:
    """'tcvn3' or 'vni' when the text is confidently legacy mojibake, else None.

    Only the first DETECT_SAMPLE_CHARS characters are looked at.
    """
    text = text[:DETECT_SAMPLE_CHARS]
    if text.isascii():
        return None
    if len(_VIETNAMESE_ONLY.findall(text)) > max(2, len(text) // 1000):
        return None  # already Unicode Vietnamese
    orig_valid, _ = _score(text)
    best: tuple[int, LegacyEncoding] | None = None
    for encoding in ("tcvn3", "vni"):
        valid, total = _score(convert(text, encoding))
        if valid < MIN_VALID_WORDS or valid < MIN_VALID_SHARE * total or valid <= 2 * orig_valid:
            continue
        if best is None or valid > best[0]:
            best = (valid, encoding)
    return best[1] if best else None
