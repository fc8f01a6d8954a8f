"""Pure formatting of the task messages (Telegram HTML): lists, details, the review page, the answer block.

No Telegram objects and no network. `tasks_block` reads the task store through the session it is given
(it decides which tasks a question is about); everything else only formats values.

Every piece of task or corpus text goes through `escape`; every message stays within Telegram's 4096
visible characters ("… và N việc khác" when a list is cut).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot.fit import Line, fit
from bot.reminders import days_phrase
from bot.replies import MAX_MESSAGE, cut, escape, source_line, visible_len
from bot.tasks import OpenTask, Task, describe_recurrence, due_within, list_open, match_tasks, words
from index.model import DocMeta

TEXT_CHARS = 300  # a task's text in a list is cut to this many characters
OWNER_CHARS = 120  # and its owner to this many
QUOTE_CHARS = 3000  # the source paragraph quoted under /task
BLOCK_ITEMS = 5  # tasks shown under an answer
BLOCK_LIMIT = 1200  # visible characters the answer block may take
REVIEW_PAGE = 5  # candidates per /tasks_review message
MAX_CALLBACK_DATA = 64

WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")

# --------------------------------------------------------------------------------------------------
# Fixed sentences

TASKS_USAGE = "Cách dùng: /tasks — danh sách công việc đang mở, hạn gần nhất trước."
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


def date_with_weekday(d: dt.date) -> str:
    """ "20/12/2026 (Chủ nhật)" """
    return f"{fmt_date(d)} ({weekday(d)})"


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
        line += f" — <i>{escape(short(task.owner, OWNER_CHARS))}</i>"
    return line


def _fit(head: list[str], lines: Sequence[str], limit: int, tail: Sequence[str] = ()) -> str:
    """head + as many whole lines as fit in `limit` visible units (then "… và N việc khác") + tail."""
    parts = (
        [Line(h, keep=True) for h in head] + [Line(x, cut=False) for x in lines] + [Line(t, keep=True) for t in tail]
    )
    return fit(parts, limit, more=lambda n: f"… và {n} việc khác")


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
            room = limit - visible_len("\n".join(lines)) - visible_len(source_line(meta, task.source_paragraph))
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
    # The quote is what may be cut; the task, its deadline and the source line are kept.
    return fit([Line(x, keep=not x.startswith("<blockquote>")) for x in lines], limit)


def subscribed_text(reminder_days: Sequence[int], reminder_time: dt.time, new: bool) -> str:
    before = sorted((d for d in reminder_days if d > 0), reverse=True)
    parts = []
    if before:
        parts.append("trước hạn " + ", ".join(str(d) for d in before) + " ngày")
    if 0 in reminder_days:
        parts.append("đúng ngày hạn chót")
    when = " và ".join(parts) or "theo lịch"
    head = "🔔 Đã đăng ký nhắc hạn công việc cho nhóm này." if new else "🔔 Nhóm này đã đăng ký nhắc hạn từ trước."
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
    m = re.fullmatch(r"tk:([ad]):(\d{1,18})", data)
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

# Folded cues that a question is about work and deadlines (whole words or phrases).
_CUES = ("han", "khi nao", "bao gio", "nhiem vu", "cong viec", "viec gi", "phai lam", "tien do")


@dataclass(frozen=True)
class Period:
    first: dt.date | None  # None: no lower bound (overdue tasks included)
    last: dt.date
    label: str  # "trong tuần này"


def question_period(question: str, today: dt.date) -> Period | None:
    """The period a question asks about ("tuần này", "tuần sau", "tháng này", "hôm nay", "ngày mai",
    "quá hạn"), else None."""
    q = " " + " ".join(words(question)) + " "
    monday = today - dt.timedelta(days=today.weekday())
    if " qua han " in q or " tre han " in q:
        return Period(None, today - dt.timedelta(days=1), "đã quá hạn")
    if " hom nay " in q:
        return Period(None, today, "đến hạn hôm nay")
    if " ngay mai " in q:
        return Period(None, today + dt.timedelta(days=1), "đến hạn đến hết ngày mai")
    if re.search(r" tuan (sau|toi) ", q):
        return Period(monday + dt.timedelta(days=7), monday + dt.timedelta(days=13), "đến hạn trong tuần sau")
    if " tuan nay " in q:
        return Period(None, monday + dt.timedelta(days=6), "đến hạn trong tuần này")
    if re.search(r" thang (sau|toi) ", q):
        first = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        return Period(first, last, "đến hạn trong tháng sau")
    if " thang nay " in q:
        last = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        return Period(None, last, "đến hạn trong tháng này")
    return None


def is_task_question(question: str) -> bool:
    q = " " + " ".join(words(question)) + " "
    return any(f" {cue} " in q for cue in _CUES)


def _in_period(task: Task, period: Period) -> bool:
    d = task.deadline
    return d is not None and d <= period.last and (period.first is None or d >= period.first)


def tasks_block(session: Session, question: str, today: dt.date, *, limit: int = BLOCK_LIMIT) -> str | None:
    """The open tasks a question about work and deadlines is about, to show under the quoted passages:
    each with its normalised deadline and the days left. None when the question is not about tasks or
    no task matches it (a question naming a period always gets an answer, "none" included).

    "tuần này có việc gì đến hạn?" lists the tasks due up to Sunday (overdue ones too); "hạn gửi phương án
    bố trí cán bộ dôi dư là khi nào?" lists the open tasks sharing its words (bot.tasks.match_tasks).
    """
    if not is_task_question(question):
        return None
    period = question_period(question, today)
    matched = match_tasks(session, question, limit=BLOCK_ITEMS * 4)
    if period is not None:
        if period.last < today:  # overdue only
            due = [i.task for i in list_open(session, today) if i.overdue]
        else:
            due = [i.task for i in due_within(session, today, (period.last - today).days)]
        due = [t for t in due if _in_period(t, period)]
        if matched:
            ids = {t.id for t in matched}
            narrowed = [t for t in due if t.id in ids]
            due = narrowed or due
        found = due
        head = f"📌 <b>Công việc {period.label}</b>"
        if not found:
            return f"{head}: không có."
    else:
        found = [t for t in matched if t.status == "open"]
        if not found:
            return None
        head = "📌 <b>Công việc liên quan</b>"
    lines = [task_line(t, today, 200) for t in found[:BLOCK_ITEMS]]
    if len(found) > BLOCK_ITEMS:
        lines.append(f"… và {len(found) - BLOCK_ITEMS} việc khác (xem /tasks)")
    return _fit([head], lines, limit)


def tasks_block_for(
    sessions: sessionmaker[Session], question: str, today: dt.date, *, limit: int = BLOCK_LIMIT
) -> str | None:
    """`tasks_block` in a session of its own (blocking: call it in a worker thread)."""
    with sessions() as session:
        return tasks_block(session, question, today, limit=limit)
