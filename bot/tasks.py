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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import TaskRow, audit, utcnow
from index.errors import ChidaoError
from index.recurrence import first_deadline, next_occurrence
from index.text import fold, normalise

if TYPE_CHECKING:
    from index.tasks import TaskCandidate


class TaskNotFound(ChidaoError):
    """No task with that id."""


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


def _to_task(row: TaskRow) -> Task:
    return Task(
        id=row.id,
        text=row.text,
        owner=row.owner,
        deadline=row.deadline,
        recurrence=row.recurrence,
        deadline_text=row.deadline_text,
        status=row.status,
        review=row.review,
        source_doc=row.source_doc,
        source_paragraph=row.source_paragraph,
        created_by=row.created_by,
        chat_id=row.chat_id,
        done_at=row.done_at,
    )


# ------------------------------------------------------------------------------------------ text keys

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Folded lower-case words (syllables) of a text: "Báo cáo" -> ["bao", "cao"]."""
    return _WORD.findall(fold(normalise(text)).lower())


def text_key(text: str) -> str:
    return " ".join(words(text))


# ---------------------------------------------------------------------------------------- recurrence


def roll_recurring(
    session: Session, today: dt.date, lead_days: int, now: dt.datetime | None = None
) -> list[int]:
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


def _find(rows: list[TaskRow], pred: object) -> TaskRow | None:
    for row in rows:
        if pred(row):  # type: ignore[operator]
            return row
    return None


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
    reopened. Done and dropped tasks keep their state. The rolled deadline of a recurring task is kept.
    """
    now = now or utcnow()
    existing = list(
        session.scalars(select(TaskRow).where(TaskRow.source_doc == doc_path).order_by(TaskRow.id))
    )
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
    pending: list[tuple[TaskCandidate, str]] = []
    for cand, key in wanted:
        row = _find(unmatched, lambda r, c=cand, k=key: r.source_paragraph == c.paragraph and r.text_key == k)
        if row is None:
            pending.append((cand, key))
            continue
        unmatched.remove(row)
        pairs.append((cand, key, row))
    still: list[tuple[TaskCandidate, str]] = []
    for cand, key in pending:
        row = _find(unmatched, lambda r, k=key: r.text_key == k)
        if row is None:
            still.append((cand, key))
            continue
        unmatched.remove(row)
        pairs.append((cand, key, row))
    for cand, key in still:
        same_par_rows = [r for r in unmatched if r.source_paragraph == cand.paragraph]
        same_par_cands = [c for c, _ in still if c.paragraph == cand.paragraph]
        row = same_par_rows[0] if len(same_par_rows) == 1 and len(same_par_cands) == 1 else None
        if row is not None:
            unmatched.remove(row)
        pairs.append((cand, key, row))

    added = updated = unchanged = reopened = cancelled = 0
    for cand, key, row in pairs:
        if row is None:
            session.add(
                TaskRow(
                    text=normalise(cand.text),
                    text_key=key,
                    owner=cand.owner,
                    deadline=cand.deadline,
                    recurrence=cand.recurring,
                    deadline_text=cand.deadline_text,
                    status="open",
                    review="candidate",
                    source_doc=doc_path,
                    source_paragraph=cand.paragraph,
                    created_at=now,
                    updated_at=now,
                )
            )
            added += 1
            continue
        deadline = cand.deadline
        if (
            cand.recurring
            and row.recurrence == cand.recurring
            and row.deadline is not None
            and (deadline is None or row.deadline > deadline)
        ):
            deadline = row.deadline  # already rolled on; keep the current occurrence
        new_values = {
            "text": normalise(cand.text),
            "text_key": key,
            "owner": cand.owner,
            "deadline": deadline,
            "recurrence": cand.recurring,
            "deadline_text": cand.deadline_text,
            "source_paragraph": cand.paragraph,
        }
        changed = False
        for attr, value in new_values.items():
            if getattr(row, attr) != value:
                setattr(row, attr, value)
                changed = True
        if row.status == "cancelled":
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
            cancelled += 1
    session.flush()
    return ImportResult(added, updated, unchanged, reopened, cancelled)


def cancel_doc(session: Session, doc_path: str, now: dt.datetime | None = None) -> int:
    """The document was removed from the corpus: cancel its open tasks. Returns how many."""
    return import_candidates(session, doc_path, [], now).cancelled


# ------------------------------------------------------------------------------------- user actions


def _row(session: Session, task_id: int) -> TaskRow:
    row = session.get(TaskRow, task_id)
    if row is None:
        raise TaskNotFound(f"no task #{task_id}")
    return row


def get_task(session: Session, task_id: int) -> Task | None:
    row = session.get(TaskRow, task_id)
    return None if row is None else _to_task(row)


def accept(session: Session, task_id: int, user_id: int | None, now: dt.datetime | None = None) -> Task:
    """Accept an extracted task: from now on it reminds the subscribed groups."""
    now = now or utcnow()
    row = _row(session, task_id)
    if row.review != "accepted":
        row.review = "accepted"
        row.accepted_at = now
        row.updated_at = now
        audit(session, now, user_id, "task.accept", f"#{task_id}")
    session.flush()
    return _to_task(row)


def drop(session: Session, task_id: int, user_id: int | None, now: dt.datetime | None = None) -> Task:
    """Reject an extracted task (not a real task): it never reminds and is kept out of lists."""
    now = now or utcnow()
    row = _row(session, task_id)
    if row.review != "dropped":
        row.review = "dropped"
        row.updated_at = now
        audit(session, now, user_id, "task.drop", f"#{task_id}")
    session.flush()
    return _to_task(row)


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
    now: dt.datetime | None = None,
) -> Task:
    """A task added by a user in a chat: accepted directly."""
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
        created_at=now,
        updated_at=now,
        accepted_at=now,
    )
    session.add(row)
    session.flush()
    audit(session, now, user_id, "task.add", f"#{row.id}")
    return _to_task(row)


def close_task(session: Session, task_id: int, user_id: int | None, now: dt.datetime | None = None) -> Task:
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
    session.flush()
    return _to_task(row)


# ---------------------------------------------------------------------------------------- queries


def _open_item(row: TaskRow, today: dt.date) -> OpenTask:
    task = _to_task(row)
    return OpenTask(task, task.days_left(today), task.is_overdue(today))


def _sort_key(item: OpenTask) -> tuple[int, dt.date, int]:
    d = item.task.deadline
    return (0, d, item.task.id) if d is not None else (1, dt.date.max, item.task.id)


def list_open(session: Session, today: dt.date, *, review: str = "accepted") -> list[OpenTask]:
    """Open tasks in a review state (default: accepted), nearest deadline first (overdue ones first of
    all), tasks without a date last."""
    rows = session.scalars(select(TaskRow).where(TaskRow.status == "open", TaskRow.review == review))
    return sorted((_open_item(r, today) for r in rows), key=_sort_key)


def list_candidates(session: Session, doc_path: str | None = None) -> list[Task]:
    """Extracted tasks waiting for review, by document and paragraph."""
    stmt = select(TaskRow).where(TaskRow.status == "open", TaskRow.review == "candidate")
    if doc_path is not None:
        stmt = stmt.where(TaskRow.source_doc == doc_path)
    stmt = stmt.order_by(TaskRow.source_doc, TaskRow.source_paragraph, TaskRow.id)
    return [_to_task(r) for r in session.scalars(stmt)]


def due_within(session: Session, today: dt.date, days: int) -> list[OpenTask]:
    """Accepted open tasks due on or before today + days, overdue ones included, nearest first."""
    last = today + dt.timedelta(days=days)
    return [
        item
        for item in list_open(session, today)
        if item.task.deadline is not None and item.task.deadline <= last
    ]


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
    first: dt.date | None  # None: no lower bound (overdue tasks included)
    last: dt.date
    name: str  # "this_week", "overdue", ... (bot.task_replies.PERIOD_LABELS words it)


def question_period(question: str, today: dt.date) -> Period | None:
    """The period a question asks about ("tuần này", "tuần sau", "tháng này", "hôm nay", "ngày mai",
    "quá hạn"), else None."""
    q = " " + " ".join(words(question)) + " "
    monday = today - dt.timedelta(days=today.weekday())
    if " qua han " in q or " tre han " in q:
        return Period(None, today - dt.timedelta(days=1), "overdue")
    if " hom nay " in q:
        return Period(None, today, "today")
    if " ngay mai " in q:
        return Period(None, today + dt.timedelta(days=1), "tomorrow")
    if re.search(r" tuan (sau|toi) ", q):
        return Period(monday + dt.timedelta(days=7), monday + dt.timedelta(days=13), "next_week")
    if " tuan nay " in q:
        return Period(None, monday + dt.timedelta(days=6), "this_week")
    if re.search(r" thang (sau|toi) ", q):
        first = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        return Period(first, last, "next_month")
    if " thang nay " in q:
        last = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        return Period(None, last, "this_month")
    return None


def is_task_question(question: str) -> bool:
    q = " " + " ".join(words(question)) + " "
    return any(f" {cue} " in q for cue in _CUES)


def _in_period(task: Task, period: Period) -> bool:
    d = task.deadline
    return d is not None and d <= period.last and (period.first is None or d >= period.first)


@dataclass(frozen=True)
class QuestionTasks:
    period: Period | None  # the period the question names, if any
    tasks: list[Task]  # the open tasks to list under the answer


def question_tasks(session: Session, question: str, today: dt.date, *, limit: int = 5) -> QuestionTasks | None:
    """The open tasks a question about work and deadlines is about (bot.task_replies.tasks_block words
    them); None when the question is not about tasks, or names no period and no task matches it.

    "tuần này có việc gì đến hạn?" finds the tasks due up to Sunday (overdue ones too); "hạn gửi phương án
    bố trí cán bộ dôi dư là khi nào?" the open tasks sharing its words (match_tasks). `limit` is the number
    of tasks the caller shows: word matches are looked for among four times as many."""
    if not is_task_question(question):
        return None
    period = question_period(question, today)
    matched = match_tasks(session, question, limit=limit * 4)
    if period is None:
        found = [t for t in matched if t.status == "open"]
        return QuestionTasks(None, found) if found else None
    if period.last < today:  # overdue only
        due = [i.task for i in list_open(session, today) if i.overdue]
    else:
        due = [i.task for i in due_within(session, today, (period.last - today).days)]
    due = [t for t in due if _in_period(t, period)]
    if matched:
        ids = {t.id for t in matched}
        due = [t for t in due if t.id in ids] or due
    return QuestionTasks(period, due)
