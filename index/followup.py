"""Follow-up questions: "còn ở Sóc Trăng thì sao?" written as a reply to an answer is read together with
the question it follows.

What the follow-up names (a province, a period, a unit, a document) replaces the same kind of thing in
the earlier question; what it does not name is kept. A period is two parts, the quarter, half or month
and the year: "thế còn quý III?" after "… quý I/2024" asks about quý III/2024, "năm 2025 thì sao" after
"… quý I/2024" about quý I/2025. A message that names none of these, or says more than a few words
besides them, is a question of its own (`merge` returns None).

Pure text: no index, no Telegram.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.places import PROVINCES
from index.text import fold, normalise

KINDS = ("province", "period", "unit", "document")
MAX_OTHER_WORDS = 3  # words a follow-up may say besides what it names and the filler words

# Filler of a follow-up ("còn … thì sao?", "thế còn …", "vậy … có gì không"), folded.
_FILLER = frozenset(
    "con o thi sao the vay nao tai cua voi nhu va cho nhi a ah hoi ve trong co gi khong duoc ra "
    "neu truong hop doi rieng tinh thanh pho tp hay".split()
)
_YEAR = r"((?:19|20)\d\d)"
_QUARTER = re.compile(rf"\bquy\s+(iv|iii|ii|i|[1-4])\b(?:\s*(?:/|nam)\s*{_YEAR}\b)?")
_HALF = re.compile(rf"\b6\s+thang\s+(dau|cuoi)\s+nam\b(?:\s+{_YEAR}\b)?")
_MONTH = re.compile(rf"\bthang\s+(1[0-2]|0?[1-9])\b(?:\s*(?:/|nam)\s*{_YEAR}\b)?")
_BARE_YEAR = re.compile(rf"\b(?:nam\s+)?{_YEAR}\b")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_ROMAN_OUT = {1: "I", 2: "II", 3: "III", 4: "IV"}

_DOC_KINDS = (
    "nghi quyet|nghi dinh|quyet dinh|quy dinh|chi thi|ket luan|ke hoach|huong dan|thong tu|thong bao|"
    "cong van|de an|to trinh|nq|nd|qd|ct|kl|kh|hd|tt|cv"
)
_DOCUMENT = re.compile(
    rf"\b(?:(?:{_DOC_KINDS})\s*(?:so\s*)?\d{{1,4}}(?:\s*[-/]\s*[a-z0-9]+(?:\s*[-/]\s*[a-z0-9]+)*)?"
    rf"|\d{{1,4}}\s*[-/]\s*(?:(?:19|20)\d\d\s*/\s*)?(?:nq|nd|qd|ct|kl|kh|hd|tt)(?:\s*[-/]\s*[a-z0-9]+)*)\b"
)
# Heads of a unit's name, matched with diacritics ("sở" is not "số"); the name follows.
_UNIT_HEADS = ("sở", "ban", "huyện", "thị xã", "thành phố", "quận", "xã", "phường", "công an", "ubnd", "ủy ban")
# Words that end a unit's name, with diacritics ("tại" ends it, "Tài chính" does not).
_UNIT_STOP = frozenset(
    "thì sao thế nào còn có đã được là về ở trong của và gì bao khi tỉnh như tại với cho hay không ra đang "
    "sẽ nhỉ ạ".split()
)
_PROVINCES = tuple(sorted((fold(p).lower() for p in PROVINCES), key=len, reverse=True))
_PROVINCE = re.compile(r"\b(?:(?:tinh|thanh pho|tp\.?)\s+)?(" + "|".join(re.escape(p) for p in _PROVINCES) + r")\b")


@dataclass(frozen=True)
class Span:
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Period:
    part: tuple[str, int] | None  # ("quarter", 3), ("half", 1), ("month", 9)
    year: int | None
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Merged:
    question: str  # the follow-up read as a whole question
    replaced: tuple[str, ...]  # the kinds the follow-up named, in KINDS order


def _folded(text: str) -> tuple[str, str]:
    """(text, its folded lower-case twin of the same length)."""
    text = normalise(text)
    folded = fold(text).lower()
    if len(folded) != len(text):  # letters outside Vietnamese: work on the folded text alone
        return folded, folded
    return text, folded


def periods(folded: str) -> Period:
    part: tuple[str, int] | None = None
    year: int | None = None
    spans: list[Span] = []
    for pattern, kind in ((_QUARTER, "quarter"), (_HALF, "half"), (_MONTH, "month")):
        m = pattern.search(folded)
        if m:
            value = _ROMAN.get(m[1]) or (1 if m[1] == "dau" else 2 if m[1] == "cuoi" else int(m[1]))
            part, spans = (kind, value), [Span("period", m.start(), m.end())]
            year = int(m[2]) if m[2] else None
            break
    if year is None:
        taken = spans[0] if spans else None
        for m in _BARE_YEAR.finditer(folded):
            if taken and taken.start <= m.start() < taken.end:
                continue
            if folded[m.end() : m.end() + 1] in ("/", "-") or folded[max(0, m.start() - 1) : m.start()] in ("/", "-"):
                continue  # part of a date or a document symbol
            year = int(m[1])
            spans.append(Span("period", m.start(), m.end()))
            break
    return Period(part, year, tuple(spans))


def _render(period: Period) -> str:
    if period.part is None:
        return f"năm {period.year}" if period.year else ""
    kind, value = period.part
    year = period.year
    if kind == "quarter":
        return f"quý {_ROMAN_OUT[value]}" + (f"/{year}" if year else "")
    if kind == "half":
        return f"6 tháng {'đầu' if value == 1 else 'cuối'} năm" + (f" {year}" if year else "")
    return f"tháng {value}" + (f"/{year}" if year else "")


def _spans(text: str, folded: str) -> list[Span]:
    """Where `text` names a province, a document or a unit (periods: see `periods`)."""
    out = [Span("province", m.start(), m.end()) for m in _PROVINCE.finditer(folded)]
    for m in _DOCUMENT.finditer(folded):
        number = re.search(r"\d+", m[0])
        rest = folded[m.end() : m.end() + 1]
        if number and 1900 <= int(number[0]) <= 2100 and m[0].strip().endswith(number[0]) and rest not in "/-":
            continue  # "kế hoạch 2024": a year, not a number
        out.append(Span("document", m.start(), m.end()))
    lower = text.lower()
    for head in _UNIT_HEADS:
        for m in re.finditer(rf"(?<!\w){re.escape(head)}(?!\w)", lower):
            if any(sp.start <= m.start() < sp.end for sp in out):
                continue
            pos, words = m.end(), 0
            while words < 4:
                w = re.match(r"[ \t]+(\w+)", lower[pos:])
                if not w or w[1] in _UNIT_STOP or w[1].isdigit():
                    break
                if words == 0 and not text[pos + w.start(1)].isupper() and (head != "sở" or w[1] == "ngành"):
                    break  # "các xã", "cấp huyện": no name follows; chat may write "sở nội vụ" in lower case
                pos += w.end()
                words += 1
            if words:
                out.append(Span("unit", m.start(), pos))
    return sorted(out, key=lambda s: s.start)


def _other_words(folded: str, taken: list[Span]) -> list[str]:
    kept = list(folded)
    for span in taken:
        kept[span.start : span.end] = " " * (span.end - span.start)
    return [w for w in re.findall(r"\w+", "".join(kept)) if w not in _FILLER]


def merge(previous: str, followup: str) -> Merged | None:
    """`followup` read with the `previous` question it replies to; None when it is a question of its own."""
    ftext, ffold = _folded(followup)
    fspans = _spans(ftext, ffold)
    fperiod = periods(ffold)
    named = {s.kind for s in fspans} | ({"period"} if fperiod.spans else set())
    if not named or len(_other_words(ffold, [*fspans, *fperiod.spans])) > MAX_OTHER_WORDS:
        return None
    ptext, pfold = _folded(previous)
    pspans = _spans(ptext, pfold)
    pperiod = periods(pfold)
    # Edits on the previous question: (start, end, replacement), applied from the end.
    edits: list[tuple[int, int, str]] = []
    appended: list[str] = []
    for kind in ("province", "unit", "document"):
        new = [ftext[s.start : s.end] for s in fspans if s.kind == kind]
        if not new:
            continue
        old = [s for s in pspans if s.kind == kind]
        value = " và ".join(dict.fromkeys(new))
        if old:
            edits.append((old[0].start, old[0].end, value))
            edits += [(s.start, s.end, "") for s in old[1:]]
        else:
            appended.append(value)
    if fperiod.spans:
        merged = Period(fperiod.part or pperiod.part, fperiod.year or pperiod.year, ())
        if fperiod.part and pperiod.part and fperiod.part[0] != pperiod.part[0] and not fperiod.year:
            merged = Period(fperiod.part, pperiod.year, ())
        rendered = _render(merged)
        if pperiod.spans:
            first, *rest = sorted(pperiod.spans, key=lambda s: s.start)
            edits.append((first.start, first.end, rendered))
            edits += [(s.start, s.end, "") for s in rest]
        else:
            appended.append(rendered)
    out = ptext
    for start, end, value in sorted(edits, reverse=True):
        out = out[:start] + value + out[end:]
    out = out.rstrip(" ?.!")
    if appended:
        out += " " + " ".join(appended)
    out = " ".join(out.split())
    out = re.sub(r"\s+([,.;:?!])", r"\1", out)
    question_mark = "?" if previous.rstrip().endswith("?") else ""
    return Merged(out + question_mark, tuple(k for k in KINDS if k in named))
