"""Find and resolve deadline expressions in Vietnamese administrative text.

Three kinds of expression are recognised, with or without diacritics:

- dates: ``trước ngày 30/6/2024``, ``chậm nhất là ngày 15/8``, ``trong tháng 9/2024``, ``quý II/2024``,
  ``6 tháng đầu năm 2025``, ``cuối năm``, ``đầu/giữa/cuối tháng 7``, ``tại kỳ họp tháng 7/2024`` ...
  A period resolves to its last day; ``trước`` + a period (``trước tháng 9``) to the day before it starts.
- recurrences: ``định kỳ hằng tháng, trước ngày 25`` -> ``"monthly, before day 25"``, ``hằng quý`` ->
  ``"quarterly"``, ``6 tháng một lần`` -> ``"semiannual"``, ``trước ngày 15/12 hằng năm`` ->
  ``"yearly, before Dec 15"``. Their date is None.
- relative deadlines: ``trước Đại hội``, ``sau khi có hướng dẫn``, ``45 ngày sau khi nghị quyết có hiệu lực``.
  Kept as text, date None.

Year rule: a date or period written without a year takes the year of the reference date (the document's
date), even when that puts it before the reference date; without a reference date it is not resolved.
`parse_user_deadline` differs: for a user typing a deadline, a year-less date means its next occurrence.

Inside running text a date counts only after a cue word (``trước``, ``chậm nhất``, ``trong``, ``đến hết``
...): ``Nghị quyết 27-NQ/TW ngày 21/5/2018`` or ``từ ngày 1/7/2024`` are not deadlines. A bare expression is
accepted when it is the whole input (``parse_deadline("ngày 05 tháng 02 năm 2024", ref)``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

from index.recurrence import frequency
from index.text import fold

Kind = Literal["date", "recurring", "relative"]


@dataclass(frozen=True)
class Deadline:
    date: dt.date | None
    recurring: str | None
    text: str  # the matched expression as written


@dataclass(frozen=True)
class DeadlineMatch:
    """A deadline expression found in a text, with its place. `frame` marks a leading period adverbial
    (``Trong quý III/2024, ...``) that sets the scene of a sentence rather than a due date."""

    deadline: Deadline
    start: int
    end: int
    kind: Kind
    frame: bool = False
    year_written: bool = False  # the date's year is in the text, not taken from the reference date


@dataclass(frozen=True)
class UserDeadline:
    """A deadline typed by a user at the start of a command: its date and how much input it used."""

    date: dt.date
    consumed: int  # characters of the input used, including the spaces and separators after it
    text: str


# ---------------------------------------------------------------------------------------------------------
# Regex building blocks. Patterns run on a lower-cased copy of the text (same length, same offsets); every
# accented letter also accepts its unaccented form, so "trước" matches "trước" and "truoc" but not "trúc".


def flex(phrase: str) -> str:
    """A regex for a lower-case phrase that also accepts it without diacritics, with any run of spaces."""
    out = []
    for ch in phrase:
        if ch == " ":
            out.append(r"\s+")
        elif fold(ch) != ch:
            out.append(f"[{ch}{fold(ch)}]")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def flex_any(*phrases: str) -> str:
    """`flex` alternatives in one group, longest first."""
    return "(?:" + "|".join(flex(p) for p in sorted(phrases, key=len, reverse=True)) + ")"


_B = r"(?<![\w/])"  # start of a word (not inside a number like 35/2023)
_E = r"(?![\w/])"  # end of a word
_SEP = r"\s*[/.\-]\s*"
_NUM_WORDS = {
    "một": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "năm": 5,
    "sáu": 6,
    "bảy": 7,
    "tám": 8,
    "chín": 9,
    "mười": 10,
    "mười hai": 12,
}
_NUM = r"(?:\d{1,3}|" + flex_any(*_NUM_WORDS) + ")"
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}

NGAY, THANG, NAM, QUY = flex("ngày"), flex("tháng"), flex("năm"), flex("quý")
_DM = rf"(?P<d>\d{{1,2}}){_SEP}(?P<m>\d{{1,2}})(?:{_SEP}(?P<y>\d{{4}}))?(?![\d/])"
_DM_WORDS = rf"(?P<dw>\d{{1,2}})\s+{THANG}\s+(?P<mw>\d{{1,2}})(?:\s+{NAM}\s+(?P<yw>\d{{4}}))?{_E}"
_DATE = rf"(?:{NGAY}\s+)?(?:{_DM_WORDS}|{_DM})"
# "/2024", " năm 2024" or " năm nay" after a month or quarter
_YEAR_TAIL = rf"(?:{_SEP}(?P<y>\d{{4}})|\s+{NAM}\s+(?P<y2>\d{{4}})|\s+(?P<nay>{NAM}\s+nay))?{_E}"
_MONTH = rf"{THANG}\s+(?P<m>\d{{1,2}})(?![\d]){_YEAR_TAIL}"
_QUARTER = rf"{QUY}\s+(?P<q>iv|i{{1,3}}|[1-4])(?!\w){_YEAR_TAIL}"
_HALF = (
    rf"(?P<n>{_NUM})\s+{THANG}\s+(?P<part>{flex_any('đầu', 'cuối')})\s+{NAM}"
    rf"(?:\s+(?P<y>\d{{4}})|\s+(?P<nay>nay))?{_E}"
)
_YEAR_P = rf"{NAM}\s+(?:(?P<y>\d{{4}})|(?P<nay>nay)){_E}"

_LA = rf"(?:\s+{flex('là')})?"
_POINT_CUE = (
    r"(?:(?:"
    + flex_any("hoàn thành", "thực hiện xong", "xong")
    + r")\s+)?"
    + "(?:"
    + flex_any(
        "trước",
        "hạn chót",
        "thời hạn",
        "hạn cuối",
        "hạn",
        "đến hết",
        "đến",
        "tới",
        "trong",
        "không quá",
        "không muộn hơn",
    )
    + "|"
    + flex_any("chậm nhất", "muộn nhất")
    + _LA
    + rf"(?:\s+{flex('vào')})?"
    + ")"
)
_PERIOD_CUE = (
    "(?:"
    + flex_any(
        "trước", "trong", "trong suốt", "ngay trong", "đến hết", "tới hết", "hết", "đến", "tới", "trong vòng"
    )
    + "|"
    + flex_any("chậm nhất", "muộn nhất")
    + _LA
    + ")"
)
_PART = flex_any("đầu", "giữa", "cuối")
_SELF_CUE = "(?:" + flex_any("đến", "tới", "trước", "vào", "trong", "từ nay đến", "đến hết") + r"\s+)?"

_RECUR_UNITS = {"ngày": "daily", "tuần": "weekly", "tháng": "monthly", "quý": "quarterly", "năm": "yearly"}
_MONTHS_PER = {"tháng": 1, "quý": 3, "năm": 12}
_WEEKDAYS = {
    "thứ hai": "Monday",
    "thứ ba": "Tuesday",
    "thứ tư": "Wednesday",
    "thứ năm": "Thursday",
    "thứ sáu": "Friday",
    "thứ bảy": "Saturday",
    "chủ nhật": "Sunday",
}
_MONTH_ABBR = ["", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_HANG = "(?:h[ằàa]ng)"
_DINH_KY = r"(?:(?:theo\s+)?[đd][ịi]nh\s+k[ỳìyi])"
_UNIT = flex_any(*_RECUR_UNITS)
_ONCE = rf"(?:\s*/\s*{flex('lần')}|\s+(?:{flex('một')}|1)\s+{flex('lần')})"
_RECUR = (
    rf"(?:{_DINH_KY}\s+)?{_HANG}\s+(?P<unit>{_UNIT}){_E}"
    rf"|(?:{_DINH_KY}\s+)?{flex('mỗi')}\s+(?P<unit2>{_UNIT}){_ONCE}"
    rf"|{_DINH_KY}\s+(?P<n>{_NUM})\s+(?P<nunit>{flex_any('tuần', 'tháng', 'năm')}){_E}(?:{_ONCE})?"
    rf"|(?P<n2>{_NUM})\s+(?P<nunit2>{flex_any('tuần', 'tháng', 'năm')}){_ONCE}"
    rf"|(?P<half>{flex('nửa năm')}){_ONCE}"
    # "định kỳ quý", and "theo quý" / "theo tháng" when a "trước ngày ..." qualifier follows (`_recurring`)
    rf"|(?:{_DINH_KY}|(?P<theo>theo))\s+(?P<unit3>{flex_any('tuần', 'tháng', 'quý', 'năm')}){_E}"
)
# "trước ngày 25", "chậm nhất là vào ngày 25", and "vào ngày 25 hằng tháng" (the day it is due)
_Q_CUE = (
    "(?:" + flex_any("trước", "chậm nhất", "muộn nhất", "không quá") + _LA + rf"(?:\s+{flex('vào')})?|{flex('vào')})"
)
_Q_DAY = (
    rf"{_Q_CUE}\s+{NGAY}\s+(?P<day>\d{{1,2}})(?![\d/])"
    rf"(?:\s+(?:{flex_any('của', 'trong')}\s+)?{THANG}\s+(?P<which>{flex_any('cuối', 'đầu')})\s+"
    rf"(?:{flex('của')}\s+)?{QUY}(?P<next>\s+{flex_any('sau', 'tiếp theo')})?{_E}"
    rf"|\s+(?:{flex('của')}\s+)?{THANG}\s+(?P<nextm>{flex_any('sau', 'tiếp theo', 'kế tiếp')}){_E})?"
)
_Q_DMS = (
    rf"{_Q_CUE}\s+{NGAY}\s+(?P<dms>\d{{1,2}}{_SEP}\d{{1,2}}(?![\d/])"
    rf"(?:\s*(?:,|{flex('và')})\s*(?:{NGAY}\s+)?\d{{1,2}}{_SEP}\d{{1,2}}(?![\d/]))*)"
)
_Q_WEEKDAY = rf"{flex_any('trước', 'chậm nhất', 'vào')}\s+(?P<wd>{flex_any(*_WEEKDAYS)}){_E}"

_EVENTS = flex_any(
    "đại hội",
    "kỳ họp",
    "kì họp",
    "hội nghị",
    "kỳ thi",
    "ngày khai mạc",
    "khai mạc",
    "tết",
    "bầu cử",
    "ngày bầu cử",
)
_REST = r"[^,;.!?:()\n]*"
_REL_DUR = (
    r"(?:(?:"
    + flex_any("chậm nhất", "muộn nhất", "trong vòng", "trong thời hạn", "trong", "không quá", "sau")
    + rf"){_LA}\s+)?"
    rf"(?:{_NUM})\s+(?:{flex_any('ngày làm việc', 'ngày', 'tuần', 'tháng', 'năm')})\s+"
    + "(?:"
    + flex_any("kể từ ngày", "kể từ khi", "kể từ", "sau khi", "sau ngày", "sau")
    # "kết quả 6 tháng trước ngày 20/6/2024" states a date: "trước (ngày) 20/6" is not an event counted back from
    + "|"
    + flex_any("trước ngày", "trước")
    + rf"(?!\s+(?:{NGAY}\s+)?\d))\s+{_REST}"
)
_REL_AFTER = (
    rf"{flex('sau khi')}\s+(?:{flex_any('có', 'được', 'nhận được', 'nhận')}\s+{_REST}"
    rf"|[^,;.!?:()\n]*?\s{_NUM}\s+{flex_any('ngày làm việc', 'ngày', 'tuần', 'tháng')}{_E})"
)
_REL_EVENT = rf"{flex('trước')}\s+{_EVENTS}{_E}{_REST}"
# "Sau khi nghị quyết có hiệu lực, UBND cấp xã kiện toàn ... trong vòng 30 ngày": a bare duration counts
# from the event the clause opens with (without that opening, "tập huấn trong 3 ngày" is how long, not when)
_REL_OPENING = re.compile(rf"\s*(?:{flex_any('sau khi', 'kể từ khi', 'kể từ ngày')})\s[^,;.!?:()\n]+,", re.IGNORECASE)
_REL_SPAN = (
    rf"{flex_any('trong vòng', 'trong thời hạn', 'trong', 'chậm nhất', 'không quá')}{_LA}\s+(?:{_NUM})\s+"
    rf"{flex_any('ngày làm việc', 'ngày', 'tuần', 'tháng')}{_E}"
)


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(_B + "(?:" + pattern + ")", re.UNICODE)


# ---------------------------------------------------------------------------------------------------------
# Resolving a regex match to a date.


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _number(token: str) -> int:
    token = token.strip()
    if token.isdigit():
        return int(token)
    folded = fold(" ".join(token.split()))
    for word, value in _NUM_WORDS.items():
        if fold(word) == folded:
            return value
    raise ValueError(token)


def _year(m: re.Match[str], ref: dt.date | None) -> tuple[int | None, bool]:
    """The year written in the match, else the reference year. Second value: written explicitly."""
    gd = m.groupdict()
    for key in ("y", "y2", "yw"):
        if gd.get(key):
            return int(gd[key]), True
    return (ref.year if ref else None), False


# A date without its year is taken in the document's year, or the next when that would put it more than this
# many days before the document (a year-less date shortly before it is what was done: `index.tasks`).
WRAP_DAYS = 92


def _next_year(ref: dt.date) -> dt.date:
    return dt.date(ref.year + 1, ref.month, min(ref.day, 28))


def _before(start: dt.date) -> dt.date:
    return start - dt.timedelta(days=1)


def _cue_is_before(text: str) -> bool:
    """'trước tháng 9' ends the day before September; 'trước cuối tháng 9' is just 'cuối tháng 9'."""
    words = fold(text).lower().split()
    return len(words) > 1 and words[0] == "truoc" and words[1] not in ("dau", "giua", "cuoi")


def _resolve_point(m: re.Match[str], ref: dt.date | None) -> dt.date | None:
    year, _ = _year(m, ref)
    if year is None:
        return None
    gd = m.groupdict()
    return _safe_date(year, int(gd["m"] or gd["mw"]), int(gd["d"] or gd["dw"]))


def _resolve_month(m: re.Match[str], ref: dt.date | None, part: str | None = None) -> dt.date | None:
    month = int(m["m"])
    year, _ = _year(m, ref)
    if year is None or not 1 <= month <= 12:
        return None
    if part == "dau":
        return dt.date(year, month, 1)
    if part == "giua":
        return dt.date(year, month, 15)
    if part is None and _cue_is_before(m.group(0)):
        return _before(dt.date(year, month, 1))
    return _last_day(year, month)


def _resolve_quarter(m: re.Match[str], ref: dt.date | None) -> dt.date | None:
    q = m["q"]
    quarter = int(q) if q.isdigit() else _ROMAN[q]
    year, _ = _year(m, ref)
    if year is None:
        return None
    if _cue_is_before(m.group(0)):
        return _before(dt.date(year, 3 * quarter - 2, 1))
    return _last_day(year, 3 * quarter)


def _resolve_half(m: re.Match[str], ref: dt.date | None) -> dt.date | None:
    n = _number(m["n"])
    year, _ = _year(m, ref)
    if year is None or not 1 <= n <= 11:
        return None
    if fold(m["part"]) == "cuoi":
        return dt.date(year, 12, 31)
    return _last_day(year, n)


def _resolve_year(m: re.Match[str], ref: dt.date | None) -> dt.date | None:
    year, _ = _year(m, ref)
    if year is None:
        return None
    if _cue_is_before(m.group(0)):
        return dt.date(year - 1, 12, 31)
    return dt.date(year, 12, 31)


def _part_of(m: re.Match[str]) -> str:
    return fold(m["part"]).lower()


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    resolve: Callable[[re.Match[str], dt.date | None], dt.date | None]
    not_after: re.Pattern[str] | None = None  # skip a match when the text before it ends like this


# "Thời hạn hoàn thành: 30/9/2025", "Thời gian thực hiện: Quý IV/2025" (plans laid out as tables)
_LABEL_CUE = (
    "(?:"
    + flex_any("thời gian", "thời hạn")
    + r"(?:\s+"
    + flex_any("hoàn thành", "thực hiện", "nộp", "gửi", "báo cáo", "triển khai")
    # "Hạn chót nộp hồ sơ: 15/7/2025", "Hạn gửi báo cáo: 20/10" (not "Hạn chế: ...")
    + rf")?|{flex_any('hạn chót', 'hạn cuối', 'hạn')}(?!\s+{flex('chế')}{_E})(?:\s+[^\s:;,.]+){{0,4}}?)"
    + rf"\s*:\s*(?:{flex('trong')}\s+)?"
)
_DATE_RULES: tuple[_Rule, ...] = (
    _Rule(_compile(rf"{_LABEL_CUE}{_DATE}"), _resolve_point),
    _Rule(_compile(rf"{_LABEL_CUE}{_MONTH}"), _resolve_month),
    _Rule(_compile(rf"{_LABEL_CUE}{_QUARTER}"), _resolve_quarter),
    _Rule(_compile(rf"{_LABEL_CUE}{_HALF}"), _resolve_half),
    _Rule(_compile(rf"{_LABEL_CUE}{_YEAR_P}"), _resolve_year),
    _Rule(_compile(rf"{_POINT_CUE}\s+{_DATE}"), _resolve_point),
    _Rule(_compile(rf"{_PERIOD_CUE}\s+{_MONTH}"), _resolve_month),
    _Rule(_compile(rf"{_PERIOD_CUE}\s+{_QUARTER}"), _resolve_quarter),
    _Rule(_compile(rf"{_PERIOD_CUE}\s+{_HALF}"), _resolve_half),
    # "đến năm 2030" is a horizon, not a deadline: bare "đến/tới" is not a cue for a year.
    _Rule(
        _compile(
            "(?:"
            + flex_any("trước", "trong", "trong suốt", "ngay trong", "đến hết", "tới hết", "hết")
            + rf")\s+{_YEAR_P}"
        ),
        _resolve_year,
    ),
    _Rule(
        _compile(rf"(?:{flex('tại')}\s+)?{flex_any('kỳ họp', 'kì họp')}(?:\s+[\wÀ-ỹ]+){{0,2}}?\s+{_MONTH}"),
        _resolve_month,
    ),
    _Rule(
        _compile(rf"{_SELF_CUE}(?P<part>{_PART})\s+{_MONTH}"),
        lambda m, ref: _resolve_month(m, ref, _part_of(m)),
    ),
    _Rule(_compile(rf"{_SELF_CUE}{flex('cuối')}\s+{_QUARTER}"), _resolve_quarter),
    _Rule(
        _compile(rf"{_SELF_CUE}{flex('cuối năm')}(?:\s+(?P<y>\d{{4}})|\s+(?P<nay>nay))?{_E}"),
        _resolve_year,
        not_after=re.compile(rf"{THANG}\s*$"),
    ),  # not the tail of "6 tháng cuối năm"
)
# Bare forms, accepted only when they are the whole input.
_BARE_RULES: tuple[_Rule, ...] = (
    _Rule(_compile(_DATE), _resolve_point),
    _Rule(_compile(_MONTH), _resolve_month),
    _Rule(_compile(_QUARTER), _resolve_quarter),
    _Rule(_compile(_HALF), _resolve_half),
    _Rule(_compile(_YEAR_P), _resolve_year),
)
_RECUR_RE = _compile(_RECUR)
_Q_DAY_RE = _compile(_Q_DAY)
_Q_DMS_RE = _compile(_Q_DMS)
_Q_WEEKDAY_RE = _compile(_Q_WEEKDAY)
_REL_RES = (_compile(_REL_DUR), _compile(_REL_AFTER), _compile(_REL_EVENT))
_REL_SPAN_RE = _compile(_REL_SPAN)
_DM_ITEM_RE = re.compile(rf"(\d{{1,2}}){_SEP}(\d{{1,2}})")


# ---------------------------------------------------------------------------------------------------------
# Scanning.


def _lower(text: str) -> str:
    """Lower-case without changing length or offsets."""
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)


def _frequency(m: re.Match[str]) -> str | None:
    gd = m.groupdict()
    unit = gd.get("unit") or gd.get("unit2") or gd.get("unit3")
    if unit:
        return _RECUR_UNITS[_unit_key(unit)]
    if gd.get("half"):
        return "semiannual"
    n_text, n_unit = gd.get("n") or gd.get("n2"), gd.get("nunit") or gd.get("nunit2")
    if not n_text or not n_unit:
        return None
    n, unit_key = _number(n_text), _unit_key(n_unit)
    if unit_key == "tuần":
        return frequency(weeks=n)
    return frequency(months=n * _MONTHS_PER[unit_key])


def _unit_key(unit: str) -> str:
    folded = fold(" ".join(unit.split()))
    return next(k for k in _RECUR_UNITS if fold(k) == folded)


def _qualifier(freq: str, low: str, lo: int, hi: int) -> tuple[str, int, int] | None:
    """The 'before day N' part of a recurrence between lo and hi: (phrase, start, end)."""
    m = _Q_DMS_RE.search(low, lo, hi)
    if m:
        items = [(int(d), int(mo)) for d, mo in _DM_ITEM_RE.findall(m["dms"])]
        if all(_safe_date(2024, mo, d) for d, mo in items):
            dates = " and ".join(
                f"{_MONTH_ABBR[mo]} {d}" for d, mo in sorted(items, key=lambda x: (x[1], x[0]))
            )
            return f"before {dates}", m.start(), m.end()
    m = _Q_DAY_RE.search(low, lo, hi)
    if m and 1 <= int(m["day"]) <= 31:
        phrase = f"before day {int(m['day'])}"
        if m["which"]:
            which = "last" if fold(m["which"]) == "cuoi" else "first"
            whose = "the next quarter's" if m["next"] else "the quarter's"
            phrase += f" of {whose} {which} month"
        elif m["nextm"]:
            phrase += " of the next month"
        return phrase, m.start(), m.end()
    m = _Q_WEEKDAY_RE.search(low, lo, hi)
    if m and freq == "weekly":
        wd = next(v for k, v in _WEEKDAYS.items() if fold(k) == fold(" ".join(m["wd"].split())))
        return f"before {wd}", m.start(), m.end()
    return None


def _span_text(text: str, parts: list[tuple[int, int]]) -> tuple[str, int, int]:
    parts = sorted(parts)
    start, end = parts[0][0], max(e for _, e in parts)
    pieces: list[tuple[int, int]] = []
    for s, e in parts:
        if pieces and s - pieces[-1][1] <= 3:
            pieces[-1] = (pieces[-1][0], max(pieces[-1][1], e))
        else:
            pieces.append((s, e))
    written = " … ".join(text[s:e] for s, e in pieces)
    return written, start, end


def _recurring(text: str, low: str, lo: int, hi: int) -> DeadlineMatch | None:
    """One recurrence for the clause text[lo:hi], with its 'before ...' qualifier when present."""
    found = [(m, f) for m in _RECUR_RE.finditer(low, lo, hi) if (f := _frequency(m))]
    # "theo quý" alone is a manner ("báo cáo theo quý" without a day may be any report by quarter)
    found = [(m, f) for m, f in found if not m["theo"] or _qualifier(f, low, m.end(), min(hi, m.end() + 60))]
    if not found:
        # "trước ngày 5 của tháng đầu quý sau" says quarterly by itself
        day = _Q_DAY_RE.search(low, lo, hi)
        if day and day["which"] and (qual := _qualifier("quarterly", low, lo, hi)):
            phrase, qs, qe = qual
            return DeadlineMatch(Deadline(None, f"quarterly, {phrase}", text[qs:qe]), qs, qe, "recurring")
        return None
    # "định kỳ 6 tháng, trước ngày 15/6 và ngày 15/12 hằng năm": the most frequent rule is the rule.
    order = ["daily", "weekly", "monthly", "quarterly", "semiannual", "yearly"]
    m, freq = min(found, key=lambda mf: order.index(mf[1]) if mf[1] in order else 2)
    parts = [(m.start(), m.end())]
    recurring = freq
    qual = _qualifier(freq, low, lo, hi)
    if qual:
        phrase, qs, qe = qual
        recurring = f"{freq}, {phrase}"
        parts.append((qs, qe))
    parts += [(o.start(), o.end()) for o, _ in found if o is not m and _near(o, parts)]
    written, start, end = _span_text(text, parts)
    return DeadlineMatch(Deadline(None, recurring, written), start, end, "recurring")


def _near(m: re.Match[str], parts: list[tuple[int, int]]) -> bool:
    return any(abs(m.start() - e) <= 3 or abs(s - m.end()) <= 3 for s, e in parts)


def _is_frame(low: str, start: int, end: int) -> bool:
    """A 'trong <period>' adverbial standing alone between commas at the head of a clause."""
    if not fold(low[start:end]).startswith("trong"):
        return False
    before = low[:start].rstrip()
    after = low[end:].lstrip()
    head = not before or before[-1] in ",:;.!?"
    return head and after.startswith(",")


def _strip_trailing(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in " \t":
        end -= 1
    return end


def _dated(text: str, low: str, lo: int, hi: int, ref: dt.date | None) -> Iterator[DeadlineMatch]:
    for rule in _DATE_RULES:
        for m in rule.pattern.finditer(low, lo, hi):
            if rule.not_after and rule.not_after.search(low, max(lo, m.start() - 12), m.start()):
                continue
            date = rule.resolve(m, ref)
            if date is None:
                continue
            written = _year(m, None)[1]
            if not written and ref and (ref - date).days > WRAP_DAYS:
                # "trước ngày 15/01" in a plan of November: next January
                date = rule.resolve(m, _next_year(ref)) or date
            deadline = Deadline(date, None, text[m.start() : m.end()])
            frame = _is_frame(low, m.start(), m.end())
            yield DeadlineMatch(deadline, m.start(), m.end(), "date", frame, year_written=written)


def _relative(text: str, low: str, lo: int, hi: int) -> Iterator[DeadlineMatch]:
    for pattern in _REL_RES:
        for m in pattern.finditer(low, lo, hi):
            end = _strip_trailing(text, m.start(), m.end())
            yield DeadlineMatch(Deadline(None, None, text[m.start() : end]), m.start(), end, "relative")
    opening = _REL_OPENING.match(low, lo, hi)
    if opening:
        for m in _REL_SPAN_RE.finditer(low, opening.end(), hi):
            yield DeadlineMatch(Deadline(None, None, text[m.start() : m.end()]), m.start(), m.end(), "relative")


def _drop_overlaps(matches: list[DeadlineMatch]) -> list[DeadlineMatch]:
    """A date or recurrence wins over a relative expression it overlaps ("kết quả 6 tháng trước ngày
    20/6/2024" states a date, not six months before something); otherwise longer expressions win over
    the shorter ones they overlap, and ties go to the earlier one."""
    kept: list[DeadlineMatch] = []
    for m in sorted(matches, key=lambda x: (x.kind == "relative", -(x.end - x.start), x.start)):
        if all(m.end <= k.start or m.start >= k.end for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda x: x.start)


def find_deadlines(
    text: str, ref: dt.date | None, start: int = 0, end: int | None = None
) -> list[DeadlineMatch]:
    """Every deadline expression in the clause text[start:end], in order. Offsets index `text`.

    A recurrence absorbs the 'trước ngày 25' / 'trước ngày 15/12' that qualifies it; at most one recurrence
    is reported per call, so call it per clause.
    """
    # Work on the range (plus one character, for the word-start look-behind), then shift back.
    offset = max(0, start - 1)
    sub = text[offset:end]
    low = _lower(sub)
    lo, hi = start - offset, len(sub)
    found: list[DeadlineMatch] = []
    recur = _recurring(sub, low, lo, hi)
    dated = list(_dated(sub, low, lo, hi, ref))
    if recur:
        found.append(recur)
        # year-less dates next to a recurrence are its qualifiers, not one-off dates
        dated = [d for d in dated if not _inside(d, recur) and d.year_written]
    found += dated
    found += _relative(sub, low, lo, hi)
    return [replace(m, start=m.start + offset, end=m.end + offset) for m in _drop_overlaps(found)]


def _inside(m: DeadlineMatch, outer: DeadlineMatch) -> bool:
    return not (m.end <= outer.start or m.start >= outer.end)


def choose(matches: list[DeadlineMatch]) -> DeadlineMatch | None:
    """The deadline of a clause: a recurrence first, then the last non-frame expression, then a frame."""
    if not matches:
        return None
    for m in matches:
        if m.kind == "recurring":
            return m
    plain = [m for m in matches if not m.frame]
    return (plain or matches)[-1]


def parse_deadline(text: str, ref: dt.date | None) -> Deadline | None:
    """The deadline stated in a sentence (or a bare expression), relative to the document date `ref`."""
    text = unicodedata.normalize("NFC", text)
    best = choose(find_deadlines(text, ref))
    if best:
        return best.deadline
    bare = bare_deadline(text, ref)
    return bare.deadline if bare else None


def bare_deadline(
    text: str, ref: dt.date | None, start: int = 0, end: int | None = None
) -> DeadlineMatch | None:
    """text[start:end] read as nothing but a date or period, without a cue word: "quý II/2024",
    "ngày 05 tháng 02 năm 2024", "6 tháng đầu năm 2025" (a table cell, a bare command argument)."""
    hi = len(text) if end is None else end
    low = _lower(text[:hi])
    lead = start + len(low[start:]) - len(low[start:].lstrip())
    for rule in _BARE_RULES:
        m = rule.pattern.match(low, lead)
        if not m or low[m.end() :].strip(" .,;") != "":
            continue
        date = rule.resolve(m, ref)
        if date:
            deadline = Deadline(date, None, text[m.start() : m.end()])
            return DeadlineMatch(deadline, m.start(), m.end(), "date", year_written=_year(m, None)[1])
    return None


# ---------------------------------------------------------------------------------------------------------
# Deadlines typed by users.

_TODAY_WORDS = ((_compile(flex_any("hôm nay") + _E), 0), (_compile(flex_any("ngày mai", "mai") + _E), 1))
_AFTER_EXPR = re.compile(r"[\s,;:\-–]*")


def parse_user_deadline(text: str, today: dt.date) -> UserDeadline | None:
    """A deadline at the start of `text` ("30/6/2024 nộp báo cáo", "15/8 ...", "cuối tháng 7 ...").

    A date or period without a year is its next occurrence on or after `today`. Recurring and relative
    expressions have no date and are refused (None), as are impossible dates (31/4).
    """
    text = unicodedata.normalize("NFC", text)
    low = _lower(text)
    lead = len(low) - len(low.lstrip())
    for pattern, days in _TODAY_WORDS:
        m = pattern.match(low, lead)
        if m:
            return _user(text, today + dt.timedelta(days=days), m.start(), m.end())
    candidates: list[tuple[re.Match[str], _Rule]] = []
    for rule in _DATE_RULES + _BARE_RULES:
        m = rule.pattern.match(low, lead)
        if m:
            candidates.append((m, rule))
    if not candidates:
        return None
    m, rule = max(candidates, key=lambda mr: mr[0].end())  # the longest reading: "30/6/2024" over "30/6"
    if _year(m, None)[1] or m.groupdict().get("nay"):
        date = rule.resolve(m, today)
    else:
        # the next occurrence; 29/2 may be up to eight years ahead
        date = next(
            (
                d
                for year in range(today.year, today.year + 9)
                if (d := rule.resolve(m, dt.date(year, 1, 1))) and d >= today
            ),
            None,
        )
    return _user(text, date, m.start(), m.end()) if date else None


def _user(text: str, date: dt.date, start: int, end: int) -> UserDeadline:
    tail = _AFTER_EXPR.match(text, end)
    consumed = tail.end() if tail else end
    return UserDeadline(date, consumed, text[start:end])
