"""Tokens for the lexical side: folded syllables, syllable bigrams, and genre tokens.

Every text (passage, title, query) goes through `analyse`, so both sides agree by construction.
Genre tokens are written with a `#` so they never collide with words:
- `#nq27`      a document number: "Nghị quyết số 27-NQ/TW", "NQ 27", "nghị quyết 27", "27-NQ/TW"
- `#q2y2024`   a period: "quý II/2024", "quý 2 năm 2024"; also `#q2` alone
- `#h1y2025`   "6 tháng đầu năm 2025"; `#m9y2024` "tháng 9/2024"
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.abbreviations import expand_abbreviations
from index.text import fold

TOKENIZER_VERSION = 6

_WORD = re.compile(r"[0-9a-z]+", re.IGNORECASE)

# Kinds of document that carry numbers, with the code used in their symbols ("27-NQ/TW").
DOC_KINDS: dict[str, str] = {
    "nghi quyet": "nq",
    "nghi dinh": "nd",
    "quyet dinh": "qd",
    "quy dinh": "qd",
    "chi thi": "ct",
    "ket luan": "kl",
    "thong tu": "tt",
    "thong bao": "tb",
    "huong dan": "hd",
    "ke hoach": "kh",
    "de an": "da",
    "cong van": "cv",
    "to trinh": "ttr",
    "bao cao": "bc",
    "luat": "luat",
}
_KIND_WORDS = "|".join(sorted(DOC_KINDS, key=len, reverse=True))
_CODES = "|".join(sorted(set(DOC_KINDS.values()) | {"ubtvqh", "qh", "nd-cp", "tt-btc"}, key=len, reverse=True))
# "nghi quyet so 27", "NQ 27", "chi thi 35"
_KIND_NUM = re.compile(rf"\b(?:({_KIND_WORDS})\s*(?:so\s*)?|({_CODES})\s+(?:so\s*)?)(\d{{1,4}})\b")
# "NQ27", "QD58": a code glued to its number
_CODE_GLUED = re.compile(r"\b(nq|nd|qd|ct|kl)(\d{1,4})\b")
# "27-NQ/TW", "35/2023/UBTVQH15", "29/2023/ND-CP", "58-QD/TW"
_NUM_SYMBOL = re.compile(r"\b(\d{1,4})\s*[-/]\s*(?:(?:19|20)\d\d\s*/\s*)?([a-z]{2,8})\d{0,2}\b")

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_QUARTER = re.compile(r"\bquy\s+(iv|iii|ii|i|[1-4])\b(?:\s*(?:/|nam)\s*((?:19|20)\d\d))?")
_HALF = re.compile(r"\b6\s+thang\s+(dau|cuoi)\s+nam(?:\s+((?:19|20)\d\d))?")
_MONTH = re.compile(r"\bthang\s+(1[0-2]|0?[1-9])\s*(?:/|nam)\s*((?:19|20)\d\d)\b")


@dataclass(frozen=True)
class Analysed:
    unigrams: tuple[str, ...]
    bigrams: tuple[str, ...]
    symbols: tuple[str, ...]

    def all(self) -> list[str]:
        return [*self.unigrams, *self.bigrams, *self.symbols]


def words(text: str) -> list[str]:
    """Folded, lower-case syllables and numbers."""
    return _WORD.findall(fold(text).lower())


def symbols(folded: str) -> list[str]:
    """Genre tokens (document numbers, periods) found in folded lower-case text."""
    out: list[str] = []
    for m in _KIND_NUM.finditer(folded):
        if 1900 <= int(m[3]) <= 2100 and folded[m.end() : m.end() + 1] not in ("/", "-"):
            continue  # "kế hoạch 2024", "báo cáo 2023": a year, not a document number
        kind = DOC_KINDS[m[1]] if m[1] else m[2].replace("-", "")
        out.append(f"#{kind}{int(m[3])}")
    for m in _CODE_GLUED.finditer(folded):
        out.append(f"#{m[1]}{int(m[2])}")
    for m in _NUM_SYMBOL.finditer(folded):
        code = m[2]
        if code in {"nq", "nd", "qd", "ct", "kl", "tt", "tb", "hd", "kh", "da", "ubtvqh", "qh", "ttg"}:
            out.append(f"#{code}{int(m[1])}")
    for m in _QUARTER.finditer(folded):
        q = _ROMAN.get(m[1]) or int(m[1])
        out.append(f"#q{q}")
        if m[2]:
            out.append(f"#q{q}y{m[2]}")
    for m in _HALF.finditer(folded):
        h = 1 if m[1] == "dau" else 2
        out.append(f"#h{h}")
        if m[2]:
            out.append(f"#h{h}y{m[2]}")
    for m in _MONTH.finditer(folded):
        out.append(f"#m{int(m[1])}y{m[2]}")
    return list(dict.fromkeys(out))


def analyse(text: str, *, bigrams: bool = True, with_symbols: bool = True) -> Analysed:
    """Unigrams, syllable bigrams (unless `bigrams` is False) and genre symbols (unless `with_symbols` is
    False: their patterns are a third of the cost, and some callers use only the words)."""
    expanded = expand_abbreviations(text)
    folded = fold(expanded).lower()
    # Punctuation joins nothing: bigrams are taken within runs of words, not across "," or ".".
    uni: list[str] = []
    bi: list[str] = []
    for chunk in re.split(r"[,.;:!?()\[\]\"“”…–—]+|\s-\s", folded):
        ws = _WORD.findall(chunk)
        uni.extend(ws)
        if bigrams:
            bi.extend(f"{a}_{b}" for a, b in zip(ws, ws[1:], strict=False))
    return Analysed(tuple(uni), tuple(bi), tuple(symbols(folded)) if with_symbols else ())
