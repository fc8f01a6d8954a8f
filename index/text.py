"""Pure Vietnamese text functions: normalisation, diacritic folding, sentence splitting, tokens."""

from __future__ import annotations

import re
import unicodedata

# Invisible characters that break matching: soft hyphen, zero-width space/joiners, BOM, word joiner.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")

# Two tone placements are in use for the open rhymes oa, oe, uy: "hoà", "thuỷ", "uỷ" (on the second
# vowel) and "hòa", "thủy", "ủy" (on the first). Government texts mix them, so every text is brought to
# the first-vowel form ("hòa"). Built from the decomposed tone marks so every tone and case is covered.
_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
_OLD_TONE: dict[str, str] = {}
for _a, _b in (("o", "a"), ("o", "e"), ("u", "y")):
    for _case_a in (_a, _a.upper()):
        for _case_b in (_b, _b.upper()):
            for _t in _TONES:
                old = unicodedata.normalize("NFC", _case_a + _case_b + _t)
                new = unicodedata.normalize("NFC", _case_a + _t + _case_b)
                _OLD_TONE[old] = new
_OLD_TONE_RE = re.compile("(" + "|".join(map(re.escape, _OLD_TONE)) + r")(?![a-zA-Zà-ỹÀ-Ỹđ])")
# After q the u belongs to the consonant ("quý", "quỳ"): the tone stays on y.
_Q_BEFORE = re.compile(r"[qQ]$")


def _fix_tone(match: re.Match[str]) -> str:
    start = match.start()
    if match.group(1)[0] in "uU" and start > 0 and _Q_BEFORE.search(match.string[start - 1 : start]):
        return match.group(1)
    return _OLD_TONE[match.group(1)]


def normalise(text: str) -> str:
    """NFC, one tone-mark placement, invisible characters removed, runs of spaces folded.

    Newlines are kept so callers can still split paragraphs.
    """
    text = unicodedata.normalize("NFC", text.translate(_INVISIBLE))
    text = _OLD_TONE_RE.sub(_fix_tone, text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(lines)


def _fold_slow(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


# Latin letters with diacritics (Vietnamese and the rest of Latin-1/Extended/Extended Additional) to
# their base letters, combining marks to nothing: the same as `_fold_slow`, as one str.translate.
_FOLD_TABLE: dict[int, str | None] = {
    cp: _fold_slow(chr(cp))
    for cp in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00))
    if _fold_slow(chr(cp)) != chr(cp)
}
_FOLD_TABLE.update(dict.fromkeys(range(0x300, 0x370)))


def fold(text: str) -> str:
    """Strip Vietnamese diacritics (đ→d, Đ→D included); case is kept."""
    if text.isascii():
        return text
    out = text.translate(_FOLD_TABLE)
    if out.isascii() or unicodedata.is_normalized("NFD", out):
        return out
    return _fold_slow(out)  # other scripts' composed letters: the general path


def has_diacritics(text: str) -> bool:
    return fold(text) != text


# A sentence ends at . ! ? … followed by space and an upper-case letter, digit, quote or bracket.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"“(\[]?[A-ZÀ-ỸĐ0-9])")


# Abbreviations written with a full stop that do not end a sentence: "TP. Hồ Chí Minh", "TS. Nguyễn…".
_DOTTED = frozenset({"tp", "tx", "tt", "q", "p", "ts", "ths", "pgs", "gs", "bs", "ks", "st", "nxb", "v.v"})


def split_sentences(text: str) -> list[str]:
    pieces = [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]
    out: list[str] = []
    for piece in pieces:
        if out and out[-1].endswith(".") and out[-1][:-1].rsplit(" ", 1)[-1].lower() in _DOTTED:
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` cut to at most `limit` characters at a word boundary (when one lies in the second half),
    ending with `ellipsis`; unchanged when it is short enough."""
    if len(text) <= limit:
        return text
    head = text[: max(limit - len(ellipsis), 0)]
    space = head.rfind(" ")
    if text[len(head)] != " " and space >= limit // 2:  # not already at the end of a word
        head = head[:space]
    return head.rstrip(" ,;:–-") + ellipsis
