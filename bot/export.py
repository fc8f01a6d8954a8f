"""Tasks as files people keep them in: an Excel workbook (openpyxl), an iCalendar file (icalendar) whose
events carry the deadlines (a recurring task is one event with an RRULE), and CSV.

Pure: tasks in, bytes out; no queries, no Telegram. The columns are those staff keep in their own
sheets: mã, nội dung, đơn vị chủ trì, hạn, lặp lại, trạng thái, nguồn (văn bản và đoạn).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from bot.task_replies import REVIEW_VI, STATUS_VI, describe_recurrence
from bot.tasks import Task
from index.recurrence import parse_recurrence

FORMATS = ("xlsx", "ics", "csv")
COLUMNS = ("Mã", "Nội dung", "Đơn vị chủ trì", "Hạn", "Lặp lại", "Trạng thái", "Nguồn")
ICS_PRODID = "-//chidao//Nhac han cong viec//VI"
_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def status_text(task: Task, today: dt.date) -> str:
    state = STATUS_VI.get(task.status, task.status)
    if task.review != "accepted":
        state += f", {REVIEW_VI.get(task.review, task.review)}"
    if task.is_overdue(today):
        state += f", quá hạn {(today - task.deadline).days} ngày"  # type: ignore[operator]
    return state


def source_text(task: Task, titles: dict[str, str] | None = None) -> str:
    """ "<title> (<path>), đoạn 4" for an extracted task; "thêm trong Telegram" for a typed-in one."""
    if not task.source_doc:
        return "thêm bằng /task_add" if task.created_by is not None else ""
    title = (titles or {}).get(task.source_doc)
    where = f"{title} ({task.source_doc})" if title else task.source_doc
    return where + (f", đoạn {task.source_paragraph}" if task.source_paragraph else "")


def rows(tasks: Sequence[Task], today: dt.date, titles: dict[str, str] | None = None) -> list[tuple[Any, ...]]:
    """One row per task, in COLUMNS order; the deadline as a date (None without one)."""
    return [
        (
            t.id,
            t.text,
            t.owner or "",
            t.deadline,
            describe_recurrence(t.recurrence) or "",
            status_text(t, today),
            source_text(t, titles),
        )
        for t in tasks
    ]


def to_xlsx(tasks: Sequence[Task], today: dt.date, titles: dict[str, str] | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Công việc"
    ws.append(list(COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows(tasks, today, titles):
        ws.append(list(row))
    for cell in ws["D"][1:]:
        cell.number_format = "DD/MM/YYYY"
    for column, width in zip("ABCDEFG", (8, 70, 30, 12, 28, 24, 50), strict=True):
        ws.column_dimensions[column].width = width
    for cell in ws["B"][1:]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_csv(tasks: Sequence[Task], today: dt.date, titles: dict[str, str] | None = None) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Vietnamese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows(tasks, today, titles):
        writer.writerow([v.isoformat() if isinstance(v, dt.date) else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def rrule(recurrence: str | None, deadline: dt.date) -> dict[str, Any] | None:
    """The RRULE of a recurring task whose current occurrence falls on `deadline` (None: not recurring,
    or a rule iCalendar cannot say in one line)."""
    rec = parse_recurrence(recurrence)
    if rec is None:
        return None
    if rec.weeks:
        return {"FREQ": "WEEKLY", "INTERVAL": rec.weeks, "BYDAY": _BYDAY[deadline.weekday()]}
    if rec.dates:
        days = {d for _, d in rec.dates}
        if len(days) != 1:
            return None
        return {"FREQ": "YEARLY", "BYMONTH": sorted(m for m, _ in rec.dates), "BYMONTHDAY": days.pop()}
    if rec.months:
        rule: dict[str, Any] = {"FREQ": "MONTHLY", "INTERVAL": rec.months}
        rule["BYMONTHDAY"] = rec.day if rec.day is not None else -1  # -1: the last day of the month
        return rule
    return None


def to_ics(tasks: Sequence[Task], today: dt.date, now: dt.datetime, titles: dict[str, str] | None = None) -> bytes:
    """One all-day event per task with a deadline, on the deadline; recurring tasks repeat (RRULE)."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", ICS_PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Hạn công việc")
    for t in tasks:
        if t.deadline is None:
            continue
        ev = Event()
        ev.add("uid", f"task-{t.id}@chidao")
        ev.add("dtstamp", now.astimezone(dt.UTC))
        ev.add("summary", f"#{t.id} {t.text}")
        ev.add("dtstart", t.deadline)
        ev.add("dtend", t.deadline + dt.timedelta(days=1))
        details = [f"Đơn vị chủ trì: {t.owner}" if t.owner else "", f"Trạng thái: {status_text(t, today)}"]
        source = source_text(t, titles)
        if source:
            details.append(f"Nguồn: {source}")
        ev.add("description", "\n".join(d for d in details if d))
        rule = rrule(t.recurrence, t.deadline)
        if rule is not None:
            ev.add("rrule", rule)
        cal.add_component(ev)
    return cal.to_ical()


def export(
    kind: str, tasks: Sequence[Task], today: dt.date, now: dt.datetime, titles: dict[str, str] | None = None
) -> bytes:
    if kind == "xlsx":
        return to_xlsx(tasks, today, titles)
    if kind == "ics":
        return to_ics(tasks, today, now, titles)
    if kind == "csv":
        return to_csv(tasks, today, titles)
    raise ValueError(f"unknown export format {kind!r}: expected one of {', '.join(FORMATS)}")


def file_name(kind: str, today: dt.date) -> str:
    return f"cong-viec-{today.isoformat()}.{kind}"
