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

from bot.fit import Line, cut_plain, fit
from bot.following import Following
from bot.replies import MAX_MESSAGE, callback_data, cut, escape, page_nav, source_line, visible_len
from bot.tasks import DocCandidates, OpenTask, QuestionTasks, Task, TaskEvent, Window, overdue_at_import
from index.model import DocMeta
from index.recurrence import parse_recurrence

TEXT_CHARS = 300  # a task's text in a list is cut to this many characters
OWNER_CHARS = 120  # and its owner to this many
SHORT_LINE = 300  # a reminder's owner and source lines are shortened to this many units when too long
DIGEST_TEXT = 300  # a task's text in the overdue digest
QUOTE_CHARS = 3000  # the source paragraph quoted under /task
BLOCK_ITEMS = 5  # tasks shown under an answer
BLOCK_LIMIT = 1200  # visible characters the answer block may take

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
GROUP_ONLY = "Lệnh /{cmd} dùng trong nhóm hoặc chat riêng cần nhận (hoặc thôi nhận) nhắc hạn công việc."
ADMIN_ONLY = "Xin lỗi, chỉ quản trị viên của trợ lý mới đăng ký hoặc huỷ nhắc hạn cho nhóm."
UNSUBSCRIBED = "Đã huỷ nhắc hạn công việc cho nhóm này."
NOT_SUBSCRIBED = "Nhóm này chưa đăng ký nhắc hạn công việc."
UNSUBSCRIBED_PRIVATE = (
    "Đã tắt mọi nhắc hạn trong chat này, kể cả việc riêng của anh/chị. Bật lại: /subscribe (kèm việc chung) "
    "hoặc /subscribe &lt;đơn vị&gt;."
)
NOT_SUBSCRIBED_PRIVATE = "Nhắc hạn trong chat này đã tắt từ trước. Bật lại: /subscribe."
GONE = "Không còn tìm thấy nhiệm vụ này; anh/chị gõ /tasks_review để xem danh sách mới."
BTN_ACCEPT = "✅ Nhận #{id}"
BTN_DROP = "❌ Bỏ #{id}"
BTN_ACCEPT_DOC = "✅ Nhận cả văn bản ({n})"
BTN_DROP_DOC = "🗄 Lưu trữ cả văn bản ({n})"
BTN_DROP_LATE = "🗄 Lưu trữ {n} việc đã quá hạn khi nhập"
BTN_PREV = "◀ Văn bản trước"
BTN_NEXT = "Văn bản sau ▶"
EDIT_USAGE = (
    "Cách dùng: /task_edit &lt;mã&gt; &lt;hạn mới&gt; hoặc /task_edit &lt;mã&gt; text: &lt;nội dung mới&gt;, "
    "ví dụ: /task_edit 12 25/12/2026"
)
EDIT_NOT_OPEN = "Công việc #{id} đã đóng nên không sửa được nữa."
DELETE_USAGE = "Cách dùng: /task_delete &lt;mã công việc&gt;, ví dụ: /task_delete 12 (mã xem trong /tasks)."
BTN_DELETE = "🗑 Xoá #{id}"
BTN_KEEP = "Không xoá"
DELETE_KEPT = "Đã giữ lại công việc #{id}."
# Refusals: one polite sentence each.
REFUSE_GROUP = (
    "Xin lỗi, chỉ người thêm công việc #{id}, quản trị viên của nhóm hoặc quản trị viên của trợ lý mới "
    "được thay đổi công việc này."
)
REFUSE_ORG = "Xin lỗi, công việc #{id} là việc chung của cơ quan, chỉ quản trị viên của trợ lý mới được thay đổi."
REFUSE_PERSONAL = "Xin lỗi, công việc #{id} là việc riêng của người khác nên anh/chị không thay đổi được."
UNIT_UNKNOWN = "Không nhận ra tên đơn vị «{unit}»; anh/chị gõ ví dụ: /subscribe Sở Nội vụ hoặc /subscribe huyện ủy."
UNIT_NOT_FOLLOWED = "Nhóm này không theo dõi đơn vị «{unit}»; xem danh sách bằng /subscriptions."
EXPORT_EMPTY = "Không có công việc nào để xuất."
WINDOW_USAGE = "Cách dùng: /tasks [tuần này | tuần sau | tháng này | tháng sau | hôm nay | quá hạn]."


# --------------------------------------------------------------------------------------------------
# Small pieces


def fmt_date(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


def weekday(d: dt.date) -> str:
    return WEEKDAYS[d.weekday()]


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
        return out + (f", trước {WEEKDAYS[rec.weekday]}" if rec.weekday is not None else "")
    out = {1: "hằng tháng", 3: "hằng quý", 12: "hằng năm"}.get(rec.months, f"{rec.months} tháng một lần")
    if rec.dates:
        return out + ", trước ngày " + " và ".join(f"{d}/{m}" for m, d in rec.dates)
    if rec.day is not None:
        out += f", trước ngày {rec.day}"
        if rec.months > 1:
            if rec.month_slot == 0:
                out += " tháng đầu"
            elif rec.month_slot == rec.months - 1:
                out += " tháng cuối"
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
            f"Nếu chưa đúng: /task_edit {task.id} &lt;hạn mới&gt;, hoặc sửa chính tin nhắn /task_add vừa gửi.",
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
    state = status_text(task)
    return f"Công việc <b>#{task.id}</b> không còn mở (trạng thái: {state})."


STATUS_VI = {"open": "đang mở", "done": "đã xong", "cancelled": "đã huỷ (văn bản nguồn thay đổi)"}
DELETED_VI = "đã xoá"


def status_text(task: Task, events: Sequence[TaskEvent] = ()) -> str:
    """The task's state in words. A cancelled typed-in task was deleted (only a document's change cancels
    an extracted one, unless its history says it was deleted)."""
    if task.status == "cancelled" and (task.source_doc is None or any(e.action == "deleted" for e in events)):
        return DELETED_VI
    return STATUS_VI.get(task.status, task.status)
REVIEW_VI = {"candidate": "chờ duyệt", "accepted": "đã nhận", "dropped": "đã bỏ"}


SCOPE_VI = {"org": "việc chung của cơ quan", "group": "việc của nhóm", "personal": "việc riêng"}


def fmt_time(at: dt.datetime, tz: dt.tzinfo | None) -> str:
    return at.astimezone(tz or dt.UTC).strftime("%H:%M %d/%m/%Y")


def person(user_id: int | None, name: str | None) -> str:
    """A user as a mention link (their name when it was known)."""
    if user_id is None:
        return escape(name) if name else "hệ thống"
    return f'<a href="tg://user?id={user_id}">{escape(name or f"người dùng {user_id}")}</a>'


def event_text(event: TaskEvent, tz: dt.tzinfo | None) -> str:
    """One line of a task's history: "• 09:00 01/12/2026 — sửa hạn 20/12/2026 → 25/12/2026 (Nguyễn A)"."""
    what = {
        "created": "thêm",
        "imported": "trích từ văn bản",
        "accepted": "nhận nhiệm vụ",
        "archived": "lưu trữ (không theo dõi)",
        "done": "báo xong",
        "cancelled": "huỷ (văn bản nguồn thay đổi)",
        "deleted": "xoá",
    }.get(event.action, event.action)
    if event.action == "edited" and event.detail:
        kind, _, rest = event.detail.partition(" ")
        if kind == "deadline":
            old, _, new = rest.partition(" ")
            olds = fmt_date(dt.date.fromisoformat(old)) if old != "-" else "chưa có hạn"
            what = f"sửa hạn {olds} → {fmt_date(dt.date.fromisoformat(new))}"
        else:
            what = f"sửa nội dung (trước đó: «{escape(short(rest, 120))}»)"
    elif event.action == "done" and event.detail and event.detail.startswith("next "):
        what = f"báo xong kỳ này (kỳ sau hạn {fmt_date(dt.date.fromisoformat(event.detail[5:]))})"
    who = f" ({person(event.user_id, event.user_name)})" if event.user_id is not None else ""
    return f"• {fmt_time(event.at, tz)} — {what}{who}"


def task_detail_text(
    task: Task,
    today: dt.date,
    meta: DocMeta | None = None,
    paragraph: str | None = None,
    limit: int = MAX_MESSAGE,
    *,
    events: Sequence[TaskEvent] = (),
    tz: dt.tzinfo | None = None,
) -> str:
    """/task <id>: the task, its deadline and state, who added it (a typed-in task) or the quoted source
    paragraph with its source line (an extracted one), and its history."""
    lines = [f"📌 <b>Công việc #{task.id}</b>", escape(short(task.text, 1000))]
    lines.append(f"Thời hạn: {when_text(task, today)}")
    if task.deadline_text and task.deadline is not None and task.source_doc:
        lines.append(f"Văn bản ghi: «{escape(task.deadline_text)}»")
    if task.recurrence and task.deadline is not None:
        lines.append(f"Định kỳ: {escape(describe_recurrence(task.recurrence) or '')}")
    if task.owner:
        lines.append(f"Phụ trách: {escape(task.owner)}")
    state = status_text(task, events)
    if task.review != "accepted" and state != DELETED_VI:
        state += f", {REVIEW_VI.get(task.review, task.review)}"
    lines.append(f"Trạng thái: {state} ({SCOPE_VI.get(task.scope, task.scope)})")
    history = [event_text(e, tz) for e in events]
    if not task.source_doc and task.created_by is not None:
        created = next((e for e in events if e.action == "created"), None)
        name = created.user_name if created else None
        when = fmt_time(created.at if created else task.created_at or dt.datetime.now(dt.UTC), tz)
        lines.append(f"Người thêm: {person(task.created_by, name)}, lúc {when} (lệnh /task_add)")
    tail: list[str] = []
    if history:
        tail = ["", "<b>Lịch sử</b>", *history[-10:]]
        if len(history) > 10:
            tail.insert(2, f"… {len(history) - 10} thay đổi trước đó")
    if task.source_doc:
        if meta is not None and paragraph is not None and task.source_paragraph:
            used = visible_len("\n".join(lines + tail)) + visible_len(source_line(meta, task.source_paragraph))
            room = limit - used
            quote, _ = cut(paragraph, max(200, min(QUOTE_CHARS, room - 20)))
            lines += [
                "",
                f"<blockquote>{escape(quote)}</blockquote>",
                source_line(meta, task.source_paragraph),
            ]
        else:
            where = task.source_doc + (f", đoạn {task.source_paragraph}" if task.source_paragraph else "")
            lines.append(f"Nguồn: {escape(where)} (văn bản không còn trong chỉ mục)")
    # The quote and the older history may be cut; the task, its deadline and the source line are kept.
    keep = [Line(x, keep=not x.startswith("<blockquote>")) for x in lines]
    return fit(keep + [Line(x) for x in tail], limit)


def refusal(task: Task) -> str:
    """The one sentence for a user who may not change `task` (bot.tasks.may_change)."""
    text = {"org": REFUSE_ORG, "personal": REFUSE_PERSONAL}.get(task.scope, REFUSE_GROUP)
    return text.format(id=task.id)


def delete_question(task: Task) -> str:
    """/task_delete asks before deleting (the buttons: `encode_delete`)."""
    return (
        f"🗑 Xoá công việc <b>#{task.id}</b>: {escape(short(task.text))}?\n"
        "Việc đã xoá không còn trong danh sách, tệp xuất và nhắc hạn; lịch sử của việc vẫn được giữ."
    )


def task_deleted_text(task: Task) -> str:
    return f"🗑 Đã xoá công việc <b>#{task.id}</b>: {escape(short(task.text))}"


def task_edited_text(task: Task, today: dt.date, deadline_changed: bool) -> str:
    head = f"✏️ Đã sửa công việc <b>#{task.id}</b>: {escape(short(task.text))}"
    if deadline_changed and task.deadline is not None:
        return (
            f"{head}\nHạn mới: <b>{fmt_date(task.deadline)}</b> ({weekday(task.deadline)}) — "
            f"{days_phrase((task.deadline - today).days)}; nhắc hạn theo ngày mới."
        )
    return head


def window_text(win: Window, today: dt.date, limit: int = MAX_MESSAGE) -> str:
    """/tasks <window>: what falls due in the window; the overdue tasks apart, each with how late."""
    p = win.period
    span = f"{fmt_date(p.first)} – {fmt_date(p.last)}" if p.first is not None and p.first != p.last else ""
    head = f"📅 <b>Công việc {PERIOD_LABELS[p.name]}</b>" + (f" ({span})" if span else "")
    lines: list[str] = [task_line(i.task, today) for i in win.due]
    head += f": {len(lines)}" if lines else ": không có."
    if win.overdue:
        lines += ["", f"⚠️ <b>Đã quá hạn: {len(win.overdue)}</b> (không thuộc khoảng trên)"]
        lines += [task_line(i.task, today) for i in win.overdue]
    return _fit([head], lines, limit)


def subscribed_text(reminder_days: Sequence[int], reminder_time: dt.time, new: bool, private: bool = False) -> str:
    before = sorted((d for d in reminder_days if d > 0), reverse=True)
    parts = []
    if before:
        parts.append("trước hạn " + ", ".join(str(d) for d in before) + " ngày")
    if 0 in reminder_days:
        parts.append("đúng ngày hạn chót")
    when = " và ".join(parts) or "theo lịch"
    head = {  # (private chat, newly subscribed)
        (False, True): "🔔 Đã đăng ký nhắc hạn công việc cho nhóm này.",
        (False, False): "🔔 Nhóm này đã đăng ký nhắc hạn từ trước.",
        (True, True): "🔔 Đã đăng ký nhắc hạn công việc riêng của anh/chị (và việc chung) trong chat này.",
        (True, False): "🔔 Chat này đã đăng ký nhắc hạn từ trước.",
    }[private, new]
    return (
        f"{head} Nhắc lúc {reminder_time.strftime('%H:%M')} {when}; việc quá hạn được nhắc mỗi ngày "
        "một lần. Huỷ: /unsubscribe."
    )


def subscribed_unit_text(unit: str, new_unit: bool) -> str:
    if not new_unit:
        return f"🔔 Nhóm này đã theo dõi đơn vị «{escape(unit)}» từ trước. Xem: /subscriptions."
    return (
        f"🔔 Đã theo dõi đơn vị «{escape(unit)}»: nhóm được nhắc hạn các việc chung giao cho đơn vị này "
        "(và các việc của chính nhóm). Xem: /subscriptions; bỏ: /unsubscribe " + escape(unit) + "."
    )


def subscriptions_text(follow: Following | None, private: bool = False) -> str:
    """/subscriptions: what the chat is reminded of (bot.following.reminded; None: nothing)."""
    if private:
        return _private_subscriptions_text(follow)
    if follow is None or not follow.subscribed:
        return "Nhóm này chưa đăng ký nhắc hạn. Đăng ký: /subscribe (mọi việc chung) hoặc /subscribe &lt;đơn vị&gt;."
    lines = ["🔔 <b>Nhóm này được nhắc hạn:</b>", "• các việc của chính nhóm"]
    if follow.all_org:
        lines.append("• mọi việc chung của cơ quan (trích từ văn bản)")
    for unit in follow.units:
        lines.append(f"• việc chung giao cho: {escape(unit)}")
    lines += ["", "Bỏ một đơn vị: /unsubscribe &lt;đơn vị&gt;; huỷ hết: /unsubscribe."]
    return "\n".join(lines)


def _private_subscriptions_text(follow: Following | None) -> str:
    if follow is None:
        return (
            "Chat này đã tắt nhắc hạn, kể cả việc riêng của anh/chị. Bật lại: /subscribe (kèm mọi việc chung) "
            "hoặc /subscribe &lt;đơn vị&gt;."
        )
    lines = ["🔔 <b>Chat này được nhắc hạn:</b>", "• việc riêng của anh/chị (thêm bằng /task_add trong chat này)"]
    if follow.subscribed and follow.all_org:
        lines.append("• mọi việc chung của cơ quan (trích từ văn bản)")
    for unit in follow.units if follow.subscribed else ():
        lines.append(f"• việc chung giao cho: {escape(unit)}")
    lines.append("")
    if not follow.subscribed:
        lines.append("Nhận thêm việc chung: /subscribe hoặc /subscribe &lt;đơn vị&gt;; tắt mọi nhắc hạn: /unsubscribe.")
    else:
        lines.append("Bỏ một đơn vị: /unsubscribe &lt;đơn vị&gt;; tắt mọi nhắc hạn (cả việc riêng): /unsubscribe.")
    return "\n".join(lines)


def unsubscribed_unit_text(unit: str, still: Following, private: bool = False) -> str:
    if still.subscribed:
        return f"Đã thôi theo dõi đơn vị «{escape(unit)}». Xem: /subscriptions."
    if private:
        return f"Đã thôi theo dõi đơn vị «{escape(unit)}»; chat này chỉ còn nhắc hạn việc riêng của anh/chị."
    return f"Đã thôi theo dõi đơn vị «{escape(unit)}»; nhóm không còn đăng ký nhắc hạn nào."


def export_caption(count: int, kind: str) -> str:
    what = "Bảng tính Excel" if kind == "xlsx" else "Lịch (iCalendar: nhập vào Outlook/Google Calendar)"
    return f"{what}: {count} công việc đang mở mà nhóm/anh/chị xem được."


# --------------------------------------------------------------------------------------------------
# Review of extracted candidates: callback data "tk:a:<task id>" (accept) and "tk:d:<task id>" (drop)


@dataclass(frozen=True)
class ReviewAction:
    accept: bool
    task_id: int


def encode_review(accept: bool, task_id: int) -> str:
    return callback_data(f"tk:{'a' if accept else 'd'}:{task_id}")


def decode_review(data: str) -> ReviewAction | None:
    m = re.fullmatch(r"tk:([ad]):(\d{1,9})", data)  # a task id fits in 9 digits (an INTEGER column)
    return ReviewAction(m[1] == "a", int(m[2])) if m else None


@dataclass(frozen=True)
class DeleteAction:
    """A press on the /task_delete question: "td:y:<id>" deletes, "td:n:<id>" keeps the task."""

    confirm: bool
    task_id: int


def encode_delete(confirm: bool, task_id: int) -> str:
    return callback_data(f"td:{'y' if confirm else 'n'}:{task_id}")


def decode_delete(data: str) -> DeleteAction | None:
    m = re.fullmatch(r"td:([yn]):(\d{1,9})", data)
    return DeleteAction(m[1] == "y", int(m[2])) if m else None


def delete_buttons(task_id: int) -> list[list[tuple[str, str]]]:
    return [[(BTN_DELETE.format(id=task_id), encode_delete(True, task_id)), (BTN_KEEP, encode_delete(False, task_id))]]


@dataclass(frozen=True)
class ReviewPage:
    text: str
    buttons: list[list[tuple[str, str]]]  # rows of (label, callback data)


@dataclass(frozen=True)
class DocAction:
    """A button of the review by document: "tk:A:<id>" accept all / "tk:D:<id>" archive all candidates of
    the document of candidate <id>; "tk:L:<id>" archive the document's candidates overdue when imported
    ("tk:L:0": of every document); "tk:p:<n>" show document n."""

    kind: str  # "A", "D", "L", "p"
    value: int


def encode_doc_action(kind: str, value: int) -> str:
    return callback_data(f"tk:{kind}:{value}")


def decode_doc_action(data: str) -> DocAction | None:
    m = re.fullmatch(r"tk:([ADLp]):(\d{1,18})", data)
    return DocAction(m[1], int(m[2])) if m else None


DOC_PAGE_TASKS = 8  # candidates listed (with their own buttons) on a document's page


def review_doc_page(
    groups: Sequence[DocCandidates],
    page: int,
    today: dt.date,
    docs: dict[str, DocMeta] | None = None,
    note: str | None = None,
    limit: int = MAX_MESSAGE,
) -> ReviewPage:
    """/tasks_review: one document's candidates per page (the message is edited in place to turn pages),
    with buttons for the whole document, for the candidates overdue when imported, and per candidate."""
    head = [note, ""] if note else []
    if not groups:
        return ReviewPage("\n".join([*head, NO_CANDIDATES]), [])
    page = max(0, min(page, len(groups) - 1))
    group = groups[page]
    total = sum(len(g.tasks) for g in groups)
    late_all = sum(g.overdue_at_import for g in groups)
    meta = (docs or {}).get(group.doc)
    title = meta.title if meta else group.doc
    head.append(f"🗂 <b>Nhiệm vụ chờ duyệt: {total}</b> trong {len(groups)} văn bản")
    head.append(f"📄 Văn bản {page + 1}/{len(groups)}: <b>{escape(short(title, 200))}</b>")
    head.append(
        f"{len(group.tasks)} nhiệm vụ"
        + (f", {group.overdue_at_import} đã quá hạn khi nhập" if group.overdue_at_import else "")
    )
    shown = list(group.tasks[:DOC_PAGE_TASKS])
    blocks = []
    for t in shown:
        line = task_line(t, today, 300) + f" <i>(đoạn {t.source_paragraph or '?'})</i>"
        if overdue_at_import(t):
            line += " — <i>đã quá hạn khi nhập</i>"
        blocks.append(line)
    tail = [""]
    if len(group.tasks) > len(shown):
        tail.append(f"Còn {len(group.tasks) - len(shown)} nhiệm vụ nữa của văn bản này sau khi duyệt các việc trên.")
    tail.append("✅ nhận (các nhóm theo dõi sẽ được nhắc hạn), ❌/🗄 lưu trữ (không theo dõi).")
    text = _fit(head, blocks, limit, tail)
    listed = [t for t in shown if f"<b>#{t.id}</b>" in text]
    first = group.tasks[0].id
    rows: list[list[tuple[str, str]]] = [
        [
            (BTN_ACCEPT_DOC.format(n=len(group.tasks)), encode_doc_action("A", first)),
            (BTN_DROP_DOC.format(n=len(group.tasks)), encode_doc_action("D", first)),
        ]
    ]
    if group.overdue_at_import:
        rows.append(
            [(BTN_DROP_LATE.format(n=group.overdue_at_import) + " (văn bản này)", encode_doc_action("L", first))]
        )
    if late_all > group.overdue_at_import:
        rows.append([(BTN_DROP_LATE.format(n=late_all) + " (mọi văn bản)", encode_doc_action("L", 0))])
    rows += [
        [
            (BTN_ACCEPT.format(id=t.id), encode_review(True, t.id)),
            (BTN_DROP.format(id=t.id), encode_review(False, t.id)),
        ]
        for t in listed
    ]
    rows.append(page_nav(page, len(groups), (BTN_PREV, BTN_NEXT), lambda to: encode_doc_action("p", to)))
    return ReviewPage(text, [row for row in rows if row])


def bulk_note(count: int, accepted: bool, late_only: bool = False) -> str:
    if accepted:
        return f"✅ Đã nhận {count} nhiệm vụ; các nhóm theo dõi sẽ được nhắc hạn."
    what = " đã quá hạn khi nhập" if late_only else ""
    return f"🗄 Đã lưu trữ {count} nhiệm vụ{what}."


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
    lines: list[str] = []
    if found.period is not None:
        head = f"📌 <b>Công việc {PERIOD_LABELS[found.period.name]}</b>"
        if not found.tasks:
            head += ": không có."
            if not found.overdue:
                return head
    else:
        head = "📌 <b>Công việc liên quan</b>"
    lines += [task_line(t, today, 200) for t in found.tasks[:BLOCK_ITEMS]]
    if len(found.tasks) > BLOCK_ITEMS:
        lines.append(f"… và {len(found.tasks) - BLOCK_ITEMS} việc khác (xem /tasks)")
    if found.overdue:
        lines.append(f"⚠️ <b>Đã quá hạn: {len(found.overdue)}</b>")
        lines += [task_line(t, today, 200) for t in found.overdue[:BLOCK_ITEMS]]
        if len(found.overdue) > BLOCK_ITEMS:
            lines.append(f"… và {len(found.overdue) - BLOCK_ITEMS} việc quá hạn khác (xem /tasks quá hạn)")
    return _fit([head], lines, limit)


# ------------------------------------------------------------------------------------ reminder texts


def days_phrase(days_left: int) -> str:
    if days_left > 0:
        return f"còn {days_left} ngày"
    if days_left == 0:
        return "hôm nay là hạn chót"
    return f"quá hạn {-days_left} ngày"


def render_reminder(task: Task, today: dt.date, late: bool) -> str:
    """The Vietnamese HTML text of one reminder."""
    assert task.deadline is not None
    e = html.escape
    # The task's text is what gets cut; the deadline and the other short lines are kept (bot/fit.py).
    lines = [Line(f"⏰ <b>Nhắc hạn công việc #{task.id}</b>" + (" (nhắc muộn)" if late else ""), keep=True)]
    lines.append(Line(e(task.text, quote=False)))
    deadline = f"Hạn chót: <b>{fmt_date(task.deadline)}</b> — {days_phrase((task.deadline - today).days)}"
    lines.append(Line(deadline, keep=True))
    if task.owner:
        lines.append(Line(f"Phụ trách: {e(task.owner, quote=False)}", keep=True, shorten_to=SHORT_LINE))
    if task.recurrence:
        lines.append(Line(f"Định kỳ: {e(describe_recurrence(task.recurrence) or '', quote=False)}", keep=True))
    if task.source_doc:
        where = task.source_doc + (f", đoạn {task.source_paragraph}" if task.source_paragraph else "")
        lines.append(Line(f"Nguồn: {e(where, quote=False)}", keep=True, shorten_to=SHORT_LINE))
    return fit(lines, MAX_MESSAGE)


def render_digest(items: Sequence[OpenTask], today: dt.date, late: bool) -> str:
    """One message listing the overdue tasks, oldest deadline first; fitted to Telegram's limit."""
    e = html.escape
    head = f"📋 <b>Công việc quá hạn</b> ({fmt_date(today)})" + (" (nhắc muộn)" if late else "")
    lines = [Line(head, keep=True)]
    for item in items:
        t = item.task
        assert t.deadline is not None
        days = days_phrase((t.deadline - today).days)
        text = cut_plain(t.text, DIGEST_TEXT)  # each item keeps its deadline at the end of its line
        lines.append(Line(f"• #{t.id} {e(text, quote=False)} — hạn {fmt_date(t.deadline)}, {days}", cut=False))
    return fit(lines, MAX_MESSAGE, more=lambda n: f"… và {n} việc khác")
