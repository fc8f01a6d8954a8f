"""Pure formatting of the task messages (Telegram HTML): lists, details, the review page, the answer block,
the reminders and the overdue digest the outbox sends, the Vietnamese wording of recurrences.

No Telegram objects, no network, no queries: values in, HTML out (the task store, bot.tasks, decides
which tasks a question is about).

Every piece of task or corpus text goes through `escape`; every message stays within Telegram's 4096
visible characters ("… và N việc khác" when a list is cut).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.replies import MAX_MESSAGE, cut, escape, source_line, visible_len
from bot.tasks import OpenTask, QuestionTasks, Task
from index.model import DocMeta
from index.recurrence import parse_recurrence

TEXT_CHARS = 300  # a task's text in a list is cut to this many characters
QUOTE_CHARS = 3000  # the source paragraph quoted under /task
BLOCK_ITEMS = 5  # tasks shown under an answer
BLOCK_LIMIT = 1200  # visible characters the answer block may take
REVIEW_PAGE = 5  # candidates per /tasks_review message
MAX_CALLBACK_DATA = 64

WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")

# --------------------------------------------------------------------------------------------------
# Fixed sentences

ADD_USAGE = (
    "Cách dùng: /task_add &lt;hạn&gt; &lt;nội dung&gt;, ví dụ: /task_add 20/12/2026 Gửi báo cáo "
    "sơ kết quý IV về Ban Tổ chức"
)
ADD_PAST = "Hạn {date} đã qua; anh/chị kiểm tra lại ngày (dd/mm/yyyy)."
DONE_USAGE = "Cách dùng: /done &lt;mã công việc&gt;, ví dụ: /done 12 (mã xem trong /tasks)."
TASK_USAGE = "Cách dùng: /task &lt;mã công việc&gt;, ví dụ: /task 12 (mã xem trong /tasks)."
NOT_FOUND = "Không tìm thấy công việc #{id}; anh/chị xem mã trong /tasks."
NO_TASKS = "Hiện không có công việc nào đang mở."
NO_CANDIDATES = "Không có nhiệm vụ mới nào trích từ văn bản cần duyệt."
GROUP_ONLY = "Lệnh /{cmd} dùng trong nhóm cần nhận (hoặc thôi nhận) nhắc hạn công việc."
ADMIN_ONLY = "Xin lỗi, chỉ quản trị viên của trợ lý mới đăng ký hoặc huỷ nhắc hạn cho nhóm."
UNSUBSCRIBED = "Đã huỷ nhắc hạn công việc cho nhóm này."
NOT_SUBSCRIBED = "Nhóm này chưa đăng ký nhắc hạn công việc."
GONE = "Không còn tìm thấy nhiệm vụ này; anh/chị gõ /tasks_review để xem danh sách mới."
BTN_ACCEPT = "✅ Nhận #{id}"
BTN_DROP = "❌ Bỏ #{id}"


# --------------------------------------------------------------------------------------------------
# Small pieces


def fmt_date(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


def weekday(d: dt.date) -> str:
    return WEEKDAYS[d.weekday()]


_VI_WEEKDAY = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def describe_recurrence(recurrence: str | None) -> str | None:
    """Vietnamese wording of a recurrence for messages: "monthly, before day 25" -> "hằng tháng, trước
    ngày 25". Text that is not a schedulable rule is returned as it is."""
    if not recurrence:
        return None
    rec = parse_recurrence(recurrence)
    if rec is None:
        return recurrence
    if rec.weeks:
        out = "hằng tuần" if rec.weeks == 1 else f"{rec.weeks} tuần một lần"
        return out + (f", trước {_VI_WEEKDAY[rec.weekday]}" if rec.weekday is not None else "")
    out = {1: "hằng tháng", 3: "hằng quý", 12: "hằng năm"}.get(rec.months, f"{rec.months} tháng một lần")
    if rec.dates:
        return out + ", trước ngày " + " và ".join(f"{d}/{m}" for m, d in rec.dates)
    if rec.day is not None:
        out += f", trước ngày {rec.day}"
        if rec.months > 1:
            out += (
                " tháng đầu"
                if rec.month_slot == 0
                else " tháng cuối"
                if rec.month_slot == rec.months - 1
                else ""
            )
            out += " quý" if rec.months == 3 else " kỳ" if rec.month_slot in (0, rec.months - 1) else ""
    return out


def short(text: str, limit: int = TEXT_CHARS) -> str:
    return cut(text, limit)[0]


def when_text(task: Task, today: dt.date) -> str:
    """ "hạn <b>20/12/2026</b> (Chủ nhật), còn 19 ngày", "⚠️ QUÁ HẠN 3 ngày (hạn …)", "chưa có hạn"."""
    if task.deadline is None:
        rec = describe_recurrence(task.recurrence)
        if rec:
            return f"định kỳ: {escape(rec)}"
        if task.deadline_text:
            return f"hạn: {escape(task.deadline_text)}"
        return "chưa có hạn"
    days = (task.deadline - today).days
    if days < 0:
        return f"⚠️ <b>QUÁ HẠN {-days} ngày</b> (hạn {fmt_date(task.deadline)}, {weekday(task.deadline)})"
    return f"hạn <b>{fmt_date(task.deadline)}</b> ({weekday(task.deadline)}), {days_phrase(days)}"


def task_line(task: Task, today: dt.date, text_chars: int = TEXT_CHARS) -> str:
    line = f"• <b>#{task.id}</b> {escape(short(task.text, text_chars))} — {when_text(task, today)}"
    if task.owner:
        line += f" — <i>{escape(task.owner)}</i>"
    return line


def _fit(head: list[str], lines: Sequence[str], limit: int, tail: Sequence[str] = ()) -> str:
    """head + as many lines as fit in `limit` visible characters (then "… và N việc khác") + tail."""
    out = list(head)
    reserve = visible_len("\n… và 99999 việc khác") + sum(visible_len(t) + 1 for t in tail)
    used = visible_len("\n".join(out))
    for i, line in enumerate(lines):
        size = visible_len(line) + 1
        more = i < len(lines) - 1
        if used + size + (reserve if more else sum(visible_len(t) + 1 for t in tail)) > limit:
            out.append(f"… và {len(lines) - i} việc khác")
            break
        out.append(line)
        used += size
    out.extend(tail)
    return "\n".join(out)


# --------------------------------------------------------------------------------------------------
# Messages


def task_list_text(items: Sequence[OpenTask], today: dt.date, limit: int = MAX_MESSAGE) -> str:
    """/tasks: open tasks, nearest deadline first (overdue ones first of all, marked), undated last."""
    if not items:
        return NO_TASKS
    overdue = sum(1 for i in items if i.overdue)
    head = f"📋 <b>Công việc đang mở: {len(items)}</b> (ngày {fmt_date(today)})"
    if overdue:
        head += f" — <b>{overdue} quá hạn</b>"
    tail = ["", "Xem chi tiết: /task &lt;mã&gt;; báo xong: /done &lt;mã&gt;."]
    return _fit([head], [task_line(i.task, today) for i in items], limit, tail)


def task_added_text(task: Task, today: dt.date) -> str:
    """The /task_add reply: restates the parsed date with its weekday, so a wrong reading shows."""
    assert task.deadline is not None
    days = (task.deadline - today).days
    return "\n".join(
        [
            f"✅ Đã thêm công việc <b>#{task.id}</b>: {escape(short(task.text))}",
            f"Hạn chót: <b>{fmt_date(task.deadline)}</b> ({weekday(task.deadline)}) — {days_phrase(days)}.",
            f"Nếu ngày chưa đúng: /done {task.id} rồi thêm lại với ngày dạng dd/mm/yyyy.",
        ]
    )


def task_done_text(task: Task, today: dt.date) -> str:
    if task.status == "open" and task.recurrence and task.deadline is not None:
        return (
            f"✅ Công việc <b>#{task.id}</b> đã xong kỳ này. Kỳ tiếp theo: hạn "
            f"<b>{fmt_date(task.deadline)}</b> ({weekday(task.deadline)}), "
            f"{days_phrase((task.deadline - today).days)}."
        )
    return f"✅ Đã đánh dấu hoàn thành công việc <b>#{task.id}</b>: {escape(short(task.text))}"


def not_open_text(task: Task) -> str:
    state = STATUS_VI.get(task.status, task.status)
    return f"Công việc <b>#{task.id}</b> không còn mở (trạng thái: {state})."


STATUS_VI = {"open": "đang mở", "done": "đã xong", "cancelled": "đã huỷ (văn bản nguồn thay đổi)"}
REVIEW_VI = {"candidate": "chờ duyệt", "accepted": "đã nhận", "dropped": "đã bỏ"}


def task_detail_text(
    task: Task,
    today: dt.date,
    meta: DocMeta | None = None,
    paragraph: str | None = None,
    limit: int = MAX_MESSAGE,
) -> str:
    """/task <id>: the task, its deadline and state, and the quoted source paragraph with its source line."""
    lines = [f"📌 <b>Công việc #{task.id}</b>", escape(short(task.text, 1000))]
    lines.append(f"Thời hạn: {when_text(task, today)}")
    if task.deadline_text and task.deadline is not None:
        lines.append(f"Văn bản ghi: «{escape(task.deadline_text)}»")
    if task.recurrence and task.deadline is not None:
        lines.append(f"Định kỳ: {escape(describe_recurrence(task.recurrence) or '')}")
    if task.owner:
        lines.append(f"Phụ trách: {escape(task.owner)}")
    state = STATUS_VI.get(task.status, task.status)
    if task.review != "accepted":
        state += f", {REVIEW_VI.get(task.review, task.review)}"
    lines.append(f"Trạng thái: {state}")
    if task.source_doc:
        if meta is not None and paragraph is not None and task.source_paragraph:
            room = (
                limit - visible_len("\n".join(lines)) - visible_len(source_line(meta, task.source_paragraph))
            )
            quote, _ = cut(paragraph, max(200, min(QUOTE_CHARS, room - 20)))
            lines += [
                "",
                f"<blockquote>{escape(quote)}</blockquote>",
                source_line(meta, task.source_paragraph),
            ]
        else:
            where = task.source_doc + (f", đoạn {task.source_paragraph}" if task.source_paragraph else "")
            lines.append(f"Nguồn: {escape(where)} (văn bản không còn trong chỉ mục)")
    elif task.created_by is not None:
        lines.append("Nguồn: thêm bằng lệnh /task_add")
    return "\n".join(lines)


def subscribed_text(reminder_days: Sequence[int], reminder_time: dt.time, new: bool) -> str:
    before = sorted((d for d in reminder_days if d > 0), reverse=True)
    parts = []
    if before:
        parts.append("trước hạn " + ", ".join(str(d) for d in before) + " ngày")
    if 0 in reminder_days:
        parts.append("đúng ngày hạn chót")
    when = " và ".join(parts) or "theo lịch"
    head = (
        "🔔 Đã đăng ký nhắc hạn công việc cho nhóm này."
        if new
        else "🔔 Nhóm này đã đăng ký nhắc hạn từ trước."
    )
    return (
        f"{head} Nhắc lúc {reminder_time.strftime('%H:%M')} {when}; việc quá hạn được nhắc mỗi ngày "
        "một lần. Huỷ: /unsubscribe."
    )


# --------------------------------------------------------------------------------------------------
# Review of extracted candidates: callback data "tk:a:<task id>" (accept) and "tk:d:<task id>" (drop)


@dataclass(frozen=True)
class ReviewAction:
    accept: bool
    task_id: int


def encode_review(accept: bool, task_id: int) -> str:
    data = f"tk:{'a' if accept else 'd'}:{task_id}"
    if len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def decode_review(data: str) -> ReviewAction | None:
    m = re.fullmatch(r"tk:([ad]):(\d{1,9})", data)  # a task id fits in 9 digits (an INTEGER column)
    return ReviewAction(m[1] == "a", int(m[2])) if m else None


@dataclass(frozen=True)
class ReviewPage:
    text: str
    buttons: list[list[tuple[str, str]]]  # rows of (label, callback data)


def review_page(
    candidates: Sequence[Task],
    today: dt.date,
    docs: dict[str, DocMeta] | None = None,
    note: str | None = None,
    limit: int = MAX_MESSAGE,
) -> ReviewPage:
    """The first REVIEW_PAGE candidates with an accept and a drop button each; `note` says what the last
    button press did."""
    head = [note, ""] if note else []
    if not candidates:
        return ReviewPage("\n".join([*head, NO_CANDIDATES]), [])
    shown = list(candidates[:REVIEW_PAGE])
    head.append(f"🗂 <b>Nhiệm vụ trích từ văn bản chờ duyệt: {len(candidates)}</b>")
    blocks = []
    for t in shown:
        block = task_line(t, today, 400)
        if t.source_doc:
            meta = (docs or {}).get(t.source_doc)
            title = meta.title if meta else t.source_doc
            block += f"\n    <i>{escape(short(title, 120))}</i>, đoạn {t.source_paragraph or '?'}"
        blocks.append(block)
    tail = ["", "Bấm ✅ để nhận (nhóm đã đăng ký sẽ được nhắc hạn), ❌ nếu không phải nhiệm vụ."]
    if len(candidates) > len(shown):
        tail.insert(1, f"Còn {len(candidates) - len(shown)} nhiệm vụ nữa sau khi duyệt trang này.")
    text = _fit(head, blocks, limit, tail)
    listed = [t for t in shown if f"<b>#{t.id}</b>" in text]
    rows = [
        [
            (BTN_ACCEPT.format(id=t.id), encode_review(True, t.id)),
            (BTN_DROP.format(id=t.id), encode_review(False, t.id)),
        ]
        for t in listed
    ]
    return ReviewPage(text, rows)


def review_note(task: Task, accepted: bool) -> str:
    if accepted:
        return f"✅ Đã nhận nhiệm vụ <b>#{task.id}</b>; các nhóm đã đăng ký sẽ được nhắc hạn."
    return f"❌ Đã bỏ nhiệm vụ <b>#{task.id}</b>."


# --------------------------------------------------------------------------------------------------
# The block under an answer: open tasks the question is about

# Vietnamese wording of the periods a question can name (bot.tasks.question_period).
PERIOD_LABELS = {
    "overdue": "đã quá hạn",
    "today": "đến hạn hôm nay",
    "tomorrow": "đến hạn đến hết ngày mai",
    "next_week": "đến hạn trong tuần sau",
    "this_week": "đến hạn trong tuần này",
    "next_month": "đến hạn trong tháng sau",
    "this_month": "đến hạn trong tháng này",
}


def tasks_block(found: QuestionTasks | None, today: dt.date, *, limit: int = BLOCK_LIMIT) -> str | None:
    """The block under the quoted passages listing the tasks a question is about (bot.tasks.question_tasks):
    each with its normalised deadline and the days left. None when the question is not about tasks or
    no task matches it (a question naming a period always gets an answer, "none" included)."""
    if found is None:
        return None
    if found.period is not None:
        head = f"📌 <b>Công việc {PERIOD_LABELS[found.period.name]}</b>"
        if not found.tasks:
            return f"{head}: không có."
    else:
        head = "📌 <b>Công việc liên quan</b>"
    lines = [task_line(t, today, 200) for t in found.tasks[:BLOCK_ITEMS]]
    if len(found.tasks) > BLOCK_ITEMS:
        lines.append(f"… và {len(found.tasks) - BLOCK_ITEMS} việc khác (xem /tasks)")
    return _fit([head], lines, limit)


# ------------------------------------------------------------------------------------ reminder texts


def days_phrase(days_left: int) -> str:
    if days_left > 0:
        return f"còn {days_left} ngày"
    if days_left == 0:
        return "hôm nay là hạn chót"
    return f"quá hạn {-days_left} ngày"


def _cut_message(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def render_reminder(task: Task, today: dt.date, late: bool) -> str:
    """The Vietnamese HTML text of one reminder."""
    assert task.deadline is not None
    e = html.escape
    lines = [f"⏰ <b>Nhắc hạn công việc #{task.id}</b>" + (" (nhắc muộn)" if late else "")]
    lines.append(e(task.text, quote=False))
    lines.append(f"Hạn chót: <b>{fmt_date(task.deadline)}</b> — {days_phrase((task.deadline - today).days)}")
    if task.owner:
        lines.append(f"Phụ trách: {e(task.owner, quote=False)}")
    if task.recurrence:
        lines.append(f"Định kỳ: {e(describe_recurrence(task.recurrence) or '', quote=False)}")
    if task.source_doc:
        where = (
            f"{task.source_doc}, đoạn {task.source_paragraph}" if task.source_paragraph else task.source_doc
        )
        lines.append(f"Nguồn: {e(where, quote=False)}")
    return _cut_message("\n".join(lines))


def render_digest(items: Sequence[OpenTask], today: dt.date, late: bool) -> str:
    """One message listing the overdue tasks, oldest deadline first; cut to Telegram's 4096 characters."""
    e = html.escape
    head = f"📋 <b>Công việc quá hạn</b> ({fmt_date(today)})" + (" (nhắc muộn)" if late else "")
    lines = [head]
    size = len(head)
    reserve = len("\n… và 99999 việc khác")
    for i, item in enumerate(items):
        t = item.task
        assert t.deadline is not None
        days = days_phrase((t.deadline - today).days)
        line = f"• #{t.id} {e(t.text, quote=False)} — hạn {fmt_date(t.deadline)}, {days}"
        more = i < len(items) - 1
        if size + 1 + len(line) + (reserve if more else 0) > MAX_MESSAGE:
            lines.append(f"… và {len(items) - i} việc khác")
            break
        lines.append(line)
        size += 1 + len(line)
    return _cut_message("\n".join(lines))
