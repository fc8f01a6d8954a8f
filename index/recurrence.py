"""The recurrence format: the one owner of the strings `index.deadlines` writes into
`Deadline.recurring` (and the task store keeps in `tasks.recurrence`), and of what they mean.

Written by the extractor (English, fixed vocabulary)::

    monthly | quarterly | semiannual | yearly | weekly | daily | every N months | every N weeks
    optionally followed by ", before day 25", ", before day 15 of the quarter's last month",
    ", before Jun 15 and Dec 15", ", before Friday"

Typed by users in /task_add (Vietnamese): "hằng tháng, trước ngày 20", "hằng quý", "6 tháng một lần",
"hằng năm, trước 15/12". `parse_recurrence` reads both into a `Recurrence`; `next_occurrence` and
`first_deadline` schedule it. The Vietnamese wording for messages is bot.task_replies.describe_recurrence.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from index.text import fold, normalise

# Frequency names by the number of months in one period (the extractor's vocabulary).
FREQUENCY_BY_MONTHS = {1: "monthly", 3: "quarterly", 6: "semiannual", 12: "yearly"}


def frequency(*, months: int = 0, weeks: int | None = None) -> str:
    """The name of a period of `weeks` weeks or `months` months: "weekly", "every 2 weeks", "monthly",
    "every 2 months"."""
    if weeks is not None:
        return "weekly" if weeks == 1 else f"every {weeks} weeks"
    return FREQUENCY_BY_MONTHS.get(months, f"every {months} months")


@dataclass(frozen=True)
class Recurrence:
    """When the occurrences of a recurring task fall due.

    Weekly rules: every `weeks` weeks on `weekday` (0 = Monday; Friday when the text names none).
    Monthly rules: every `months` months, in the months whose index (counted from January) leaves
    `month_slot` as remainder (0 = the first month of each period), on `day` (None = the last day).
    Or a fixed list of (month, day) `dates` in every year ("before Jun 15 and Dec 15").
    """

    months: int = 0
    weeks: int = 0
    day: int | None = None
    month_slot: int | None = None
    weekday: int | None = None
    dates: tuple[tuple[int, int], ...] = ()


_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_WEEKDAY_NAMES = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_WEEKDAYS_VI = {
    "thu hai": 0,
    "thu ba": 1,
    "thu tu": 2,
    "thu nam": 3,
    "thu sau": 4,
    "thu bay": 5,
    "chu nhat": 6,
}
_EVERY_N = re.compile(r"(?:every|moi)\s+(\d+)\s+(months?|weeks?|thang|tuan)\b")
_N_MONTHS = re.compile(r"(?:dinh ky\s+)?(\d+)\s+thang\b")
_DAY = re.compile(r"\b(?:day|ngay)\s+(\d{1,2})\b(?!\s*/)")
_MONTH_DAY = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\s+(\d{1,2})\b")
_VI_DAY_MONTH = re.compile(r"\b(\d{1,2})\s*/\s*(\d{1,2})\b(?!\s*/)")


def _period(t: str) -> tuple[int, int] | None:
    """(months, weeks) of a folded recurrence text."""
    m = _EVERY_N.search(t)
    if m:
        n = int(m[1])
        if n <= 0:
            return None
        return (0, n) if m[2].startswith(("week", "tuan")) else (n, 0)
    if re.search(r"\bdaily\b|(hang|moi) ngay", t):
        return None  # a daily routine is not a deadline anyone needs reminding of
    if re.search(r"\bweekly\b|(hang|moi) tuan", t):
        return (0, 1)
    if re.search(r"\bquarterly\b|(hang|moi) quy", t):
        return (3, 0)
    if re.search(r"half[- ]?year|semi[- ]?annual|nua nam|\b6 thang\b", t):
        return (6, 0)
    if re.search(r"\b(yearly|annually|annual)\b|(hang|moi) nam", t):
        return (12, 0)
    if re.search(r"\bmonthly\b|(hang|moi) thang", t):
        return (1, 0)
    m = _N_MONTHS.search(t)
    if m and int(m[1]) > 0:
        return (int(m[1]), 0)
    return None


def parse_recurrence(text: str | None) -> Recurrence | None:
    """The rule of a recurrence text as index.tasks writes it ("monthly, before day 25", "quarterly,
    before day 15 of the quarter's last month", "semiannual, before Jun 15 and Dec 15", "weekly,
    before Friday", "every 2 months") or as a user types it ("hằng tháng, trước ngày 20", "hằng quý",
    "6 tháng một lần", "hằng năm, trước 15/12"). None when it is not a rule we can schedule ("daily")."""
    if not text:
        return None
    t = fold(normalise(text)).lower()
    period = _period(t)
    if period is None:
        return None
    months, weeks = period
    if weeks:
        weekday = next((i for name, i in _WEEKDAY_NAMES.items() if name in t), None)
        if weekday is None:
            weekday = next((i for name, i in _WEEKDAYS_VI.items() if name in t), None)
        return Recurrence(weeks=weeks, weekday=weekday)
    pairs = [(_MONTHS[mo], int(d)) for mo, d in _MONTH_DAY.findall(t)]
    pairs += [(int(mo), int(d)) for d, mo in _VI_DAY_MONTH.findall(t)]
    dates = tuple(sorted({(mo, d) for mo, d in pairs if 1 <= mo <= 12 and 1 <= d <= 31}))
    if dates and months >= 6:
        return Recurrence(months=months, dates=dates)
    m = _DAY.search(t)
    day = int(m[1]) if m and 1 <= int(m[1]) <= 31 else None
    if "next quarter's first month" in t or "thang dau quy sau" in t:
        slot = 0
    elif "first month" in t or "thang dau" in t:
        slot = 0
    elif "last month" in t or "thang cuoi" in t:
        slot = months - 1
    else:
        slot = 0 if months == 1 else months - 1  # the period's last month ("quarterly" = end of quarter)
    return Recurrence(months=months, day=day, month_slot=slot)


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _add_months(d: dt.date, months: int, day: int | None) -> dt.date:
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if day is None:
        # Keep "end of month" sticky: 31/3 -> 30/6 -> 30/9 -> 31/12.
        day = 31 if d.day == _last_day(d.year, d.month) else d.day
    return dt.date(year, month, min(day, _last_day(year, month)))


def _on(year: int, month: int, day: int | None) -> dt.date:
    return dt.date(year, month, min(day or 31, _last_day(year, month)))


def _next_fixed_date(dates: tuple[tuple[int, int], ...], after: dt.date, inclusive: bool) -> dt.date:
    for year in (after.year, after.year + 1):
        for month, day in dates:
            d = _on(year, month, day)
            if d > after or (inclusive and d == after):
                return d
    raise AssertionError("unreachable: a date in the next year always exists")


def next_occurrence(deadline: dt.date, recurrence: str | None) -> dt.date | None:
    """The deadline of the occurrence after the one due on `deadline`; None if not recurring."""
    rec = parse_recurrence(recurrence)
    if rec is None:
        return None
    if rec.weeks:
        return deadline + dt.timedelta(weeks=rec.weeks)
    if rec.dates:
        return _next_fixed_date(rec.dates, deadline, inclusive=False)
    return _add_months(deadline, rec.months, rec.day)


def first_deadline(recurrence: str | None, today: dt.date) -> dt.date | None:
    """The first deadline on or after `today` of a recurring task that came without a date."""
    rec = parse_recurrence(recurrence)
    if rec is None:
        return None
    if rec.weeks:
        weekday = 4 if rec.weekday is None else rec.weekday  # Friday: the end of the working week
        return today + dt.timedelta(days=(weekday - today.weekday()) % 7)
    if rec.dates:
        return _next_fixed_date(rec.dates, today, inclusive=True)
    slot = rec.month_slot or 0
    index = today.year * 12 + today.month - 1
    for i in range(index, index + rec.months + 2):
        if i % rec.months == slot % rec.months:  # month index counted from January of year 0
            year, month0 = divmod(i, 12)
            d = _on(year, month0 + 1, rec.day)
            if d >= today:
                return d
    raise AssertionError("unreachable: every period has a slot month")
