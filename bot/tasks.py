"""The task store: tasks extracted from documents (reviewed before they remind anyone) and tasks added by
users, their deadlines and recurrences.

Recurring tasks. `deadline` is always the deadline of the *current* occurrence:
- `close_task` on a recurring task marks the current occurrence done: `done_at` is set, the status stays
  "open" and the deadline moves to the next occurrence.
- An occurrence that nobody closed stays overdue (it is listed in the daily overdue digest) until the
  first reminder of the next occurrence comes due; then the task rolls on by itself (`roll_recurring`,
  called by the reminder sweep). A weekly task with a 7-day reminder therefore rolls the day after its
  deadline; a monthly one stays overdue for about three weeks.
- A recurring task without a date ("quarterly") gets its first deadline from the calendar (see
  `parse_recurrence`, `first_deadline`): the named day and month when the text gives them ("monthly,
  before day 25", "before Jun 15 and Dec 15", "of the quarter's last month"), else the last day of the
  period (month, quarter, half-year, year; periods start in January); "weekly" means Friday unless a
  weekday is named. "daily" is not scheduled (no reminders).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.db import ReminderRow, TaskEventRow, TaskRow, audit, utcnow
from bot.following import UNSUBSCRIBED, Following
from bot.following import following as following_of
from index.errors import ChidaoError
from index.recurrence import first_deadline, next_occurrence
from index.text import fold, normalise

if TYPE_CHECKING:
    from index.tasks import TaskCandidate


class TaskNotFound(ChidaoError):
    """No task with that id."""


class TaskNotOpen(ChidaoError):
    """The task is done or cancelled: it cannot be edited."""


@dataclass(frozen=True)
class Task:
    id: int
    text: str
    owner: str | None
    deadline: dt.date | None
    recurrence: str | None
    deadline_text: str | None
    status: str
    review: str
    source_doc: str | None
    source_paragraph: int | None
    created_by: int | None
    chat_id: int | None
    done_at: dt.datetime | None
    scope: str = "org"  # bot.db.TASK_SCOPES
    created_at: dt.datetime | None = None
    source_message_id: int | None = None

    def days_left(self, today: dt.date) -> int | None:
        return None if self.deadline is None else (self.deadline - today).days

    def is_overdue(self, today: dt.date) -> bool:
        return self.status == "open" and self.deadline is not None and self.deadline < today


@dataclass(frozen=True)
class OpenTask:
    task: Task
    days_left: int | None  # negative when overdue; None without a date
    overdue: bool


@dataclass(frozen=True)
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    reopened: int = 0
    cancelled: int = 0


_TASK_FIELDS = tuple(f.name for f in fields(Task))  # each a column of TaskRow


def _to_task(row: TaskRow) -> Task:
    values = {name: getattr(row, name) for name in _TASK_FIELDS}
    return Task(**{**values, "scope": row.scope or "org"})


def scope_of(chat_id: int | None) -> str:
    """The scope of a task typed in chat `chat_id`: a group's (negative ids), a person's own (private
    chats), the organisation's (no chat: the command line)."""
    if chat_id is None:
        return "org"
    return "group" if chat_id < 0 else "personal"


# ---------------------------------------------------------------------------------------- history


@dataclass(frozen=True)
class TaskEvent:
    at: dt.datetime
    user_id: int | None
    user_name: str | None
    action: str  # created, imported, accepted, archived, edited, done, cancelled, deleted
    detail: str | None  # edited: "deadline <old iso> <new iso>" or "text <old text>"; done: "next <iso>"


def record(session: Session, task_id: int, action: str, user_id: int | None, now: dt.datetime,
           detail: str | None = None, user_name: str | None = None) -> None:  # fmt: skip
    session.add(
        TaskEventRow(task_id=task_id, at=now, user_id=user_id, user_name=(user_name or None) and user_name[:200],
                     action=action, detail=detail)
    )  # fmt: skip


def history(session: Session, task_id: int) -> list[TaskEvent]:
    rows = session.scalars(
        select(TaskEventRow).where(TaskEventRow.task_id == task_id).order_by(TaskEventRow.at, TaskEventRow.id)
    )
    return [TaskEvent(r.at, r.user_id, r.user_name, r.action, r.detail) for r in rows]


# ------------------------------------------------------------------------------------------ text keys

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Folded lower-case words (syllables) of a text: "Báo cáo" -> ["bao", "cao"]."""
    return _WORD.findall(fold(normalise(text)).lower())


def text_key(text: str) -> str:
    return " ".join(words(text))


# ---------------------------------------------------------------------------------------- recurrence


def roll_recurring(session: Session, today: dt.date, lead_days: int, now: dt.datetime | None = None) -> list[int]:
    """Give dateless recurring tasks their first deadline and move missed occurrences on once the next
    occurrence's first reminder (lead_days before it) is due. Returns the ids changed."""
    now = now or utcnow()
    changed: list[int] = []
    rows = session.scalars(
        select(TaskRow).where(
            TaskRow.status == "open",
            TaskRow.review == "accepted",
            TaskRow.recurrence.is_not(None),
        )
    ).all()
    for row in rows:
        old = row.deadline
        new = old if old is not None else first_deadline(row.recurrence, today)
        while new is not None and new < today:
            nxt = next_occurrence(new, row.recurrence)
            if nxt is None or nxt <= new or today < nxt - dt.timedelta(days=lead_days):
                break
            new = nxt
        if new != old:
            row.deadline = new
            row.updated_at = now
            changed.append(row.id)
    session.flush()
    return changed


# ---------------------------------------------------------------------------------- document import


# A task first extracted from a document: it waits for review (and reminds nobody until accepted).
_CANDIDATE = {"status": "open", "review": "candidate", "scope": "org"}

# How a candidate finds its task again, pass after pass: the same paragraph and text, then the same text.
_SAME_TASK: tuple[Callable[[TaskRow, TaskCandidate, str], bool], ...] = (
    lambda r, c, k: r.source_paragraph == c.paragraph and r.text_key == k,
    lambda r, c, k: r.text_key == k,
)


def import_candidates(
    session: Session,
    doc_path: str,
    candidates: Iterable[TaskCandidate],
    now: dt.datetime | None = None,
) -> ImportResult:
    """Bring the tasks of one document in line with freshly extracted candidates.

    A candidate is matched to an existing task of the document by (paragraph, folded text), then by
    folded text alone (the paragraph moved), then by paragraph alone when exactly one task of that
    paragraph is left on both sides (the sentence was edited: its text and deadline are updated, its
    review state kept). New candidates start in review state "candidate" and remind nobody until
    accepted. Open tasks whose candidate disappeared are cancelled; a cancelled one that comes back is
    reopened, unless it was archived (a deleted task: `delete_task`). Done and dropped tasks keep their
    state. The rolled deadline of a recurring task is kept.
    """
    now = now or utcnow()
    existing = list(session.scalars(select(TaskRow).where(TaskRow.source_doc == doc_path).order_by(TaskRow.id)))
    unmatched = list(existing)

    wanted: list[tuple[TaskCandidate, str]] = []
    seen: set[tuple[int, str]] = set()
    for cand in candidates:
        key = text_key(cand.text)
        if not key or (cand.paragraph, key) in seen:
            continue
        seen.add((cand.paragraph, key))
        wanted.append((cand, key))

    pairs: list[tuple[TaskCandidate, str, TaskRow | None]] = []
    still = wanted
    for same in _SAME_TASK:  # each pass takes the candidates the previous one left
        left = []
        for cand, key in still:
            row = next((r for r in unmatched if same(r, cand, key)), None)
            if row is None:
                left.append((cand, key))
            else:
                unmatched.remove(row)
                pairs.append((cand, key, row))
        still = left
    for cand, key in still:
        same_par_rows = [r for r in unmatched if r.source_paragraph == cand.paragraph]
        same_par_cands = [c for c, _ in still if c.paragraph == cand.paragraph]
        row = same_par_rows[0] if len(same_par_rows) == 1 and len(same_par_cands) == 1 else None
        if row is not None:
            unmatched.remove(row)
        pairs.append((cand, key, row))

    added = updated = unchanged = reopened = cancelled = 0
    new_rows: list[TaskRow] = []
    for cand, key, row in pairs:
        new_values = {
            "text": normalise(cand.text),
            "text_key": key,
            "owner": cand.owner,
            "deadline": cand.deadline,
            "recurrence": cand.recurring,
            "deadline_text": cand.deadline_text,
            "source_paragraph": cand.paragraph,
        }
        if row is None:
            new_rows.append(TaskRow(**new_values, **_CANDIDATE, source_doc=doc_path, created_at=now, updated_at=now))
            added += 1
            continue
        if (
            cand.recurring
            and row.recurrence == cand.recurring
            and row.deadline is not None
            and (cand.deadline is None or row.deadline > cand.deadline)
        ):
            new_values["deadline"] = row.deadline  # already rolled on; keep the current occurrence
        changed = False
        for attr, value in new_values.items():
            if getattr(row, attr) != value:
                setattr(row, attr, value)
                changed = True
        if row.status == "cancelled" and row.review != "dropped":  # a deleted task stays deleted
            row.status = "open"
            reopened += 1
            changed = True
        elif changed:
            updated += 1
        else:
            unchanged += 1
        if changed:
            row.updated_at = now
    for row in unmatched:
        if row.status == "open":
            row.status = "cancelled"
            row.updated_at = now
            record(session, row.id, "cancelled", None, now)
            cancelled += 1
    session.add_all(new_rows)
    session.flush()
    for row in new_rows:
        record(session, row.id, "imported", None, now)
    session.flush()
    return ImportResult(added, updated, unchanged, reopened, cancelled)


def cancel_doc(session: Session, doc_path: str, now: dt.datetime | None = None) -> int:
    """The document was removed from the corpus: cancel its open tasks. Returns how many."""
    return import_candidates(session, doc_path, [], now).cancelled


# ------------------------------------------------------------------------------------- user actions


def _row(session: Session, task_id: int, *, open_only: bool = False) -> TaskRow:
    """The task's row; TaskNotFound when there is none, TaskNotOpen when `open_only` and it is closed."""
    row = session.get(TaskRow, task_id)
    if row is None:
        raise TaskNotFound(f"no task #{task_id}")
    if open_only and row.status != "open":
        raise TaskNotOpen(f"task #{task_id} is {row.status}")
    return row


def _skip_pending_reminders(session: Session, task_id: int, why: str) -> None:
    session.execute(
        update(ReminderRow)
        .where(ReminderRow.task_id == task_id, ReminderRow.status == "pending")
        .values(status="skipped", last_error=why)
    )


def get_task(session: Session, task_id: int) -> Task | None:
    row = session.get(TaskRow, task_id)
    return None if row is None else _to_task(row)


def _set_review(session: Session, task_id: int, review: str, user_id: int | None, now: dt.datetime | None) -> Task:
    now = now or utcnow()
    row = _row(session, task_id)
    if row.review != review:
        row.review = review
        if review == "accepted":
            row.accepted_at = now
        row.updated_at = now
        audit(session, now, user_id, "task.accept" if review == "accepted" else "task.drop", f"#{task_id}")
        record(session, task_id, "accepted" if review == "accepted" else "archived", user_id, now)
    session.flush()
    return _to_task(row)


def accept(session: Session, task_id: int, user_id: int | None, now: dt.datetime | None = None) -> Task:
    """Accept an extracted task: from now on it reminds the subscribed groups."""
    return _set_review(session, task_id, "accepted", user_id, now)


def drop(session: Session, task_id: int, user_id: int | None, now: dt.datetime | None = None) -> Task:
    """Reject an extracted task (not a real task): it never reminds and is kept out of lists."""
    return _set_review(session, task_id, "dropped", user_id, now)


def add_task(
    session: Session,
    text: str,
    deadline: dt.date | None,
    recurrence: str | None,
    user_id: int,
    chat_id: int | None,
    *,
    owner: str | None = None,
    deadline_text: str | None = None,
    source_message_id: int | None = None,
    user_name: str | None = None,
    now: dt.datetime | None = None,
) -> Task:
    """A task added by a user in a chat: accepted directly. It belongs to that chat (`scope_of`)."""
    now = now or utcnow()
    clean = normalise(text).strip()
    if not clean:
        raise ValueError("empty task text")
    row = TaskRow(
        text=clean,
        text_key=text_key(clean),
        owner=owner,
        deadline=deadline,
        recurrence=recurrence or None,
        deadline_text=deadline_text,
        status="open",
        review="accepted",
        created_by=user_id,
        chat_id=chat_id,
        scope=scope_of(chat_id),
        source_message_id=source_message_id,
        created_at=now,
        updated_at=now,
        accepted_at=now,
    )
    session.add(row)
    session.flush()
    audit(session, now, user_id, "task.add", f"#{row.id}")
    record(session, row.id, "created", user_id, now, user_name=user_name)
    return _to_task(row)


def move_chat(session: Session, old: int, new: int) -> int:
    """A group became a supergroup (new chat id): its tasks follow it. Returns how many moved."""
    result = session.execute(update(TaskRow).where(TaskRow.chat_id == old).values(chat_id=new))
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def task_from_message(session: Session, chat_id: int, message_id: int) -> Task | None:
    """The task typed in with message `message_id` of chat `chat_id` (None if there is none)."""
    row = session.scalar(select(TaskRow).where(TaskRow.chat_id == chat_id, TaskRow.source_message_id == message_id))
    return None if row is None else _to_task(row)


def edit_task(
    session: Session,
    task_id: int,
    user_id: int | None,
    *,
    deadline: dt.date | None = None,
    deadline_text: str | None = None,
    text: str | None = None,
    user_name: str | None = None,
    now: dt.datetime | None = None,
) -> Task:
    """Change an open task's deadline and/or text; the change goes into its history. Reminders already
    planned for the old deadline are dropped (the sweep plans the new deadline's). Raises TaskNotOpen."""
    now = now or utcnow()
    row = _row(session, task_id, open_only=True)
    if deadline is not None and deadline != row.deadline:
        old = row.deadline.isoformat() if row.deadline else "-"
        record(session, task_id, "edited", user_id, now, f"deadline {old} {deadline.isoformat()}", user_name)
        audit(session, now, user_id, "task.edit", f"#{task_id} deadline {old} -> {deadline.isoformat()}")
        row.deadline = deadline
        row.deadline_text = deadline_text
        _skip_pending_reminders(session, task_id, "deadline changed")
    if text is not None:
        clean = normalise(text).strip()
        if not clean:
            raise ValueError("empty task text")
        if clean != row.text:
            record(session, task_id, "edited", user_id, now, f"text {row.text}", user_name)
            audit(session, now, user_id, "task.edit", f"#{task_id} text")
            row.text = clean
            row.text_key = text_key(clean)
    row.updated_at = now
    session.flush()
    return _to_task(row)


def close_task(
    session: Session,
    task_id: int,
    user_id: int | None,
    now: dt.datetime | None = None,
    *,
    user_name: str | None = None,
) -> Task:
    """Mark a task done. A recurring task with a date stays open with the next occurrence's deadline.

    Closing an already closed (or cancelled) task changes nothing.
    """
    now = now or utcnow()
    row = _row(session, task_id)
    if row.status != "open":
        return _to_task(row)
    nxt = next_occurrence(row.deadline, row.recurrence) if row.deadline is not None else None
    if nxt is not None:
        row.deadline = nxt
        detail = f"#{task_id} -> {nxt.isoformat()}"
    else:
        row.status = "done"
        detail = f"#{task_id}"
    row.done_at = now
    row.updated_at = now
    audit(session, now, user_id, "task.close", detail)
    record(session, task_id, "done", user_id, now, f"next {nxt.isoformat()}" if nxt is not None else None, user_name)
    session.flush()
    return _to_task(row)


def delete_task(
    session: Session,
    task_id: int,
    user_id: int | None,
    now: dt.datetime | None = None,
    *,
    user_name: str | None = None,
) -> Task:
    """Delete an open task: it leaves every list, export and reminder (status "cancelled", a "deleted" event
    in its history; the row and its history stay). Its pending reminders are skipped. A task extracted from
    a document is also archived (review "dropped"), so that importing the document again does not bring it
    back. Raises TaskNotOpen for a task that is done or already cancelled."""
    now = now or utcnow()
    row = _row(session, task_id, open_only=True)
    row.status = "cancelled"
    if row.source_doc is not None:
        row.review = "dropped"
    row.updated_at = now
    _skip_pending_reminders(session, task_id, "task deleted")
    audit(session, now, user_id, "task.delete", f"#{task_id}")
    record(session, task_id, "deleted", user_id, now, user_name=user_name)
    session.flush()
    return _to_task(row)


# ------------------------------------------------------------------------------- who sees, who changes


@dataclass(frozen=True)
class Viewer:
    """Who looks at tasks, and from which chat. `groups`: in a private chat, the groups the person is
    known to be a member of (the handler asks Telegram)."""

    chat_id: int
    user_id: int | None
    private: bool
    groups: frozenset[int] = frozenset()


def can_see(task: Task, viewer: Viewer) -> bool:
    """A group's task in that group (and in the private chats of its members); a personal task in its
    author's private chat only; an organisation task anywhere."""
    if task.scope == "personal":
        return viewer.private and viewer.user_id is not None and task.created_by == viewer.user_id
    if task.scope == "group":
        return task.chat_id == viewer.chat_id or (viewer.private and task.chat_id in viewer.groups)
    return True


def listed(task: Task, viewer: Viewer, following: Following = UNSUBSCRIBED) -> bool:
    """Whether /tasks in the viewer's chat lists the task: it can see it and, for an organisation task,
    the chat follows it (bot.following)."""
    if not can_see(task, viewer):
        return False
    return task.scope != "org" or following.selects(task.owner)


def may_change(task: Task, user_id: int | None, *, bot_admin: bool, group_admin: bool = False) -> bool:
    """Who may close, edit or delete a task: a personal task its author; a group's task its author, an
    administrator of that group (`group_admin`, asked of Telegram) or a bot admin; an organisation task
    a bot admin."""
    if task.scope == "personal":
        return user_id is not None and task.created_by == user_id
    if task.scope == "group":
        return bot_admin or group_admin or (user_id is not None and task.created_by == user_id)
    return bot_admin


def group_chats(session: Session) -> list[int]:
    """The groups that have open tasks (whose membership decides what a private chat lists)."""
    rows = session.scalars(
        select(TaskRow.chat_id)
        .where(TaskRow.scope == "group", TaskRow.status == "open", TaskRow.chat_id.is_not(None))
        .distinct()
    ).all()
    return sorted(int(c) for c in rows if c is not None)


# ---------------------------------------------------------------------------------------- queries


def _open_item(row: TaskRow, today: dt.date) -> OpenTask:
    task = _to_task(row)
    return OpenTask(task, task.days_left(today), task.is_overdue(today))


def _sort_key(item: OpenTask) -> tuple[int, dt.date, int]:
    d = item.task.deadline
    return (0, d, item.task.id) if d is not None else (1, dt.date.max, item.task.id)


def list_open(
    session: Session,
    today: dt.date,
    *,
    review: str = "accepted",
    viewer: Viewer | None = None,
    following: Following = UNSUBSCRIBED,
) -> list[OpenTask]:
    """Open tasks in a review state (default: accepted), nearest deadline first (overdue ones first of
    all), tasks without a date last; with a `viewer`, only those its chat lists (`listed`)."""
    rows = session.scalars(select(TaskRow).where(TaskRow.status == "open", TaskRow.review == review))
    items = (_open_item(r, today) for r in rows)
    if viewer is not None:
        items = (i for i in items if listed(i.task, viewer, following))
    return sorted(items, key=_sort_key)


def list_candidates(session: Session, doc_path: str | None = None) -> list[Task]:
    """Extracted tasks waiting for review, by document and paragraph."""
    stmt = select(TaskRow).where(TaskRow.status == "open", TaskRow.review == "candidate")
    if doc_path is not None:
        stmt = stmt.where(TaskRow.source_doc == doc_path)
    stmt = stmt.order_by(TaskRow.source_doc, TaskRow.source_paragraph, TaskRow.id)
    return [_to_task(r) for r in session.scalars(stmt)]


# ------------------------------------------------------------------------------- review by document


def overdue_at_import(task: Task) -> bool:
    """The deadline had passed before the task was extracted (an old document imported late)."""
    return task.deadline is not None and task.created_at is not None and task.deadline < task.created_at.date()


@dataclass(frozen=True)
class DocCandidates:
    doc: str
    tasks: list[Task]  # by paragraph

    @property
    def overdue_at_import(self) -> int:
        return sum(1 for t in self.tasks if overdue_at_import(t))


def candidates_by_doc(session: Session) -> list[DocCandidates]:
    """Candidates waiting for review, grouped by document (documents by path)."""
    groups: dict[str, list[Task]] = {}
    for task in list_candidates(session):
        groups.setdefault(task.source_doc or "", []).append(task)
    return [DocCandidates(doc, items) for doc, items in sorted(groups.items())]


def review_doc(
    session: Session,
    doc: str | None,
    accept_all: bool,
    user_id: int | None,
    now: dt.datetime | None = None,
    *,
    only_overdue_at_import: bool = False,
) -> int:
    """Accept (or archive) every candidate of document `doc` (None: of every document); with
    `only_overdue_at_import`, only the candidates already overdue when imported. Returns how many."""
    now = now or utcnow()
    done = 0
    for task in list_candidates(session, doc):
        if only_overdue_at_import and not overdue_at_import(task):
            continue
        (accept if accept_all else drop)(session, task.id, user_id, now)
        done += 1
    return done


# Folded function words and question words that say nothing about which task is meant.
_STOP = frozenset(
    """
    va la cua cac nhung mot co khong cho trong tren duoi voi ve den tu theo tai nay do kia thi ma
    de bi duoc se da dang con gi nao sao bao nhieu khi nao may ai dau ho toi chung ta minh ban
    viec cong han hoan thanh phai can lam nhiem vu tuan thang nam ngay hom truoc sau
    """.split()
)


def match_tasks(session: Session, query: str | Sequence[str], *, limit: int = 10) -> list[Task]:
    """Accepted open tasks that share words with the query, best match first.

    `query` is a text or already folded tokens. Function words and words that every task question
    has ("việc", "hạn", "tuần") are ignored; a task matches if it shares a two-word phrase with the
    query, or at least two words, or the query's only remaining word.
    """
    q_words = words(query) if isinstance(query, str) else [w for t in query for w in words(t)]
    q_content = [w for w in q_words if w not in _STOP]
    if not q_content:
        return []
    q_set = set(q_content)
    q_bigrams = set(zip(q_words, q_words[1:], strict=False))
    scored: list[tuple[int, int, Task]] = []
    for row in session.scalars(select(TaskRow).where(TaskRow.status == "open", TaskRow.review == "accepted")):
        t_words = row.text_key.split()
        shared = q_set & set(t_words)
        bigrams = {b for b in zip(t_words, t_words[1:], strict=False) if b in q_bigrams and b[0] not in _STOP}
        if not (bigrams or len(shared) >= 2 or (len(q_set) == 1 and shared)):
            continue
        scored.append((-(len(shared) + 2 * len(bigrams)), row.id, _to_task(row)))
    scored.sort(key=lambda s: (s[0], s[2].deadline or dt.date.max, s[1]))
    return [t for _, _, t in scored[:limit]]


# ------------------------------------------------------------------------ the tasks a question is about


# Folded cues that a question is about work and deadlines (whole words or phrases).
_CUES = ("han", "khi nao", "bao gio", "nhiem vu", "cong viec", "viec gi", "phai lam", "tien do")


@dataclass(frozen=True)
class Period:
    first: dt.date | None  # None: no lower bound (the "overdue" period)
    last: dt.date
    name: str  # "this_week", "overdue", ... (bot.task_replies.PERIOD_LABELS words it)

    @property
    def overdue_only(self) -> bool:
        return self.first is None


def _month_end(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


# Folded names of the windows /tasks takes and questions name, with the period name they mean.
WINDOWS = (
    ("qua han", "overdue"),
    ("tre han", "overdue"),
    ("hom nay", "today"),
    ("ngay mai", "tomorrow"),
    ("tuan sau", "next_week"),
    ("tuan toi", "next_week"),
    ("tuan nay", "this_week"),
    ("thang sau", "next_month"),
    ("thang toi", "next_month"),
    ("thang nay", "this_month"),
)


def period(name: str, today: dt.date) -> Period:
    """The dates a window names. "this week" is today to Sunday, "this month" today to the month's
    end: they list what falls due in them; what is already overdue is the "overdue" window (and its own
    section beside them)."""
    monday = today - dt.timedelta(days=today.weekday())
    if name == "overdue":
        return Period(None, today - dt.timedelta(days=1), name)
    if name == "today":
        return Period(today, today, name)
    if name == "tomorrow":
        return Period(today, today + dt.timedelta(days=1), name)
    if name == "next_week":
        return Period(monday + dt.timedelta(days=7), monday + dt.timedelta(days=13), name)
    if name == "this_week":
        return Period(today, monday + dt.timedelta(days=6), name)
    if name == "next_month":
        first = _month_end(today) + dt.timedelta(days=1)
        return Period(first, _month_end(first), name)
    if name == "this_month":
        return Period(today, _month_end(today), name)
    raise ValueError(f"unknown period {name!r}")


def question_period(question: str, today: dt.date) -> Period | None:
    """The period a question (or a /tasks argument) names ("tuần này", "tuần sau", "tháng này", "hôm
    nay", "ngày mai", "quá hạn"), else None."""
    q = " " + " ".join(words(question)) + " "
    for phrase, name in WINDOWS:
        if f" {phrase} " in q:
            return period(name, today)
    return None


@dataclass(frozen=True)
class Window:
    """The tasks of a period, and apart from them the tasks already overdue."""

    period: Period
    due: list[OpenTask]  # due within the period (none overdue unless the period is "overdue")
    overdue: list[OpenTask]  # overdue, oldest first (empty for the "overdue" period itself)


def window(
    session: Session, period: Period, today: dt.date, *, viewer: Viewer | None = None,
    following: Following = UNSUBSCRIBED,
) -> Window:  # fmt: skip
    items = list_open(session, today, viewer=viewer, following=following)
    overdue = [i for i in items if i.overdue]
    if period.overdue_only:
        return Window(period, overdue, [])
    due = [i for i in items if not i.overdue and _in_period(i.task, period)]
    return Window(period, due, overdue)


def is_task_question(question: str) -> bool:
    q = " " + " ".join(words(question)) + " "
    return any(f" {cue} " in q for cue in _CUES)


def _in_period(task: Task, period: Period) -> bool:
    d = task.deadline
    return d is not None and d <= period.last and (period.first is None or d >= period.first)


@dataclass(frozen=True)
class QuestionTasks:
    period: Period | None  # the period the question names, if any
    tasks: list[Task]  # the open tasks to list under the answer (none overdue for a forward period)
    overdue: list[Task] = field(default_factory=list)  # for a forward period: the overdue ones, apart


def question_tasks(
    session: Session,
    question: str,
    today: dt.date,
    *,
    limit: int = 5,
    viewer: Viewer | None = None,
) -> QuestionTasks | None:
    """The open tasks a question about work and deadlines is about (bot.task_replies.tasks_block words
    them); None when the question is not about tasks, or names no period and no task matches it.

    "tuần này có việc gì đến hạn?" finds the tasks due from today to Sunday, and apart from them the
    overdue ones; "hạn gửi phương án bố trí cán bộ dôi dư là khi nào?" the open tasks sharing its words
    (match_tasks). `limit` is the number of tasks the caller shows: word matches are looked for among four
    times as many. With a `viewer`, only the tasks its chat lists (`listed`, with the chat's following)."""
    if not is_task_question(question):
        return None
    period = question_period(question, today)
    follow = following_of(session, viewer.chat_id) if viewer is not None else UNSUBSCRIBED
    matched = [
        t for t in match_tasks(session, question, limit=limit * 4)
        if viewer is None or listed(t, viewer, follow)
    ]  # fmt: skip
    if period is None:
        found = [t for t in matched if t.status == "open"]
        return QuestionTasks(None, found) if found else None
    win = window(session, period, today, viewer=viewer, following=follow)
    due = [i.task for i in win.due]
    overdue = [i.task for i in win.overdue]
    if matched:
        ids = {t.id for t in matched}
        due = [t for t in due if t.id in ids] or due
        overdue = [t for t in overdue if t.id in ids] or overdue
    return QuestionTasks(period, due, overdue)
