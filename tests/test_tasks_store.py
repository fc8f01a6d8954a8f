"""The task store: import of extracted candidates, review, user tasks, closing, recurrence, queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot import task_replies, tasks
from bot.db import AuditRow, TaskRow
from index.recurrence import (
    Recurrence,
    first_deadline,
    next_occurrence,
    parse_recurrence,
)

pytest_plugins = ["tests.dbfixtures"]

NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
D = dt.date


@dataclass(frozen=True)
class Cand:
    """Same shape as index.tasks.TaskCandidate."""

    doc: str
    paragraph: int
    text: str
    owner: str | None = None
    deadline: dt.date | None = None
    recurring: str | None = None
    deadline_text: str | None = None


DOC = "2026/ke-hoach-12.docx"


def _by_text(session, doc: str = DOC) -> dict[str, tasks.Task]:
    from bot.db import TaskRow

    rows = session.scalars(select(TaskRow).where(TaskRow.source_doc == doc)).all()
    return {r.text: tasks.get_task(session, r.id) for r in rows}  # type: ignore[misc]


def _deadline(session, task_id: int) -> dt.date | None:
    task = tasks.get_task(session, task_id)
    assert task is not None
    return task.deadline


# ------------------------------------------------------------------------------------------- import


def test_new_candidates_wait_for_review(session) -> None:
    res = tasks.import_candidates(
        session,
        DOC,
        [
            Cand(DOC, 3, "Các chi bộ nộp báo cáo sơ kết trước ngày 15/12/2026.", "Các chi bộ", D(2026, 12, 15)),
            Cand(DOC, 5, "Văn phòng tổng hợp danh sách đảng viên.", "Văn phòng"),
        ],
        NOW,
    )
    assert res == tasks.ImportResult(added=2)
    session.commit()
    got = _by_text(session)
    assert {t.review for t in got.values()} == {"candidate"}
    assert {t.status for t in got.values()} == {"open"}
    assert tasks.list_open(session, D(2026, 12, 1)) == []  # not accepted: not listed, no reminders
    assert len(tasks.list_candidates(session, DOC)) == 2


def test_reimport_is_idempotent_and_tolerates_spelling_variants(session) -> None:
    c = Cand(DOC, 3, "Nộp báo cáo công tác thủy lợi trước ngày 15/12/2026.", deadline=D(2026, 12, 15))
    tasks.import_candidates(session, DOC, [c], NOW)
    # Same sentence with the old tone placement and extra spaces: same task.
    again = Cand(DOC, 3, "Nộp  báo cáo công tác thuỷ lợi trước ngày 15/12/2026.", deadline=D(2026, 12, 15))
    assert tasks.import_candidates(session, DOC, [again, again], NOW) == tasks.ImportResult(unchanged=1)


def test_changed_document_updates_moves_cancels_and_reopens(session) -> None:
    a = Cand(DOC, 2, "Hoàn thành kiểm điểm tập thể trước 20/12/2026.", "Ban Thường vụ", D(2026, 12, 20))
    b = Cand(DOC, 4, "Báo cáo công tác phát triển đảng viên trước 25/12/2026.", None, D(2026, 12, 25))
    c = Cand(DOC, 6, "Tổ chức hội nghị tổng kết năm.", None, None)
    tasks.import_candidates(session, DOC, [a, b, c], NOW)
    ids = {t.text: t.id for t in _by_text(session).values()}
    tasks.accept(session, ids[a.text], user_id=7, now=NOW)

    # New version: a's deadline moved (same paragraph, edited sentence), b moved to paragraph 5,
    # c removed, d added.
    a2 = Cand(DOC, 2, "Hoàn thành kiểm điểm tập thể trước 31/12/2026.", "Ban Thường vụ", D(2026, 12, 31))
    b2 = Cand(DOC, 5, b.text, None, D(2026, 12, 25))
    d = Cand(DOC, 8, "Rà soát hồ sơ đảng viên.", None, None)
    later = NOW + dt.timedelta(days=1)
    res = tasks.import_candidates(session, DOC, [a2, b2, d], later)
    assert res == tasks.ImportResult(added=1, updated=2, cancelled=1)
    got = _by_text(session)
    assert got[a2.text].id == ids[a.text]
    assert got[a2.text].deadline == D(2026, 12, 31)
    assert got[a2.text].review == "accepted"  # an edited sentence keeps its review
    assert got[b2.text].id == ids[b.text] and got[b2.text].source_paragraph == 5
    assert got[c.text].status == "cancelled"
    assert got[d.text].review == "candidate"

    # c comes back in a third version: reopened, not duplicated.
    res = tasks.import_candidates(session, DOC, [a2, b2, c, d], later)
    assert res == tasks.ImportResult(unchanged=3, reopened=1)
    assert _by_text(session)[c.text].status == "open"
    assert _by_text(session)[c.text].id == ids[c.text]


def test_done_and_dropped_tasks_keep_their_state_on_reimport(session) -> None:
    a = Cand(DOC, 1, "Nộp báo cáo quý IV.", deadline=D(2026, 12, 20))
    b = Cand(DOC, 2, "Câu này không phải nhiệm vụ.")
    tasks.import_candidates(session, DOC, [a, b], NOW)
    ids = {t.text: t.id for t in _by_text(session).values()}
    tasks.accept(session, ids[a.text], 1, NOW)
    tasks.close_task(session, ids[a.text], 1, NOW)
    tasks.drop(session, ids[b.text], 1, NOW)
    tasks.import_candidates(session, DOC, [a, b], NOW)
    got = _by_text(session)
    assert got[a.text].status == "done"
    assert got[b.text].review == "dropped" and got[b.text].status == "open"


def test_cancel_doc_cancels_open_tasks_only_of_that_document(session) -> None:
    tasks.import_candidates(session, DOC, [Cand(DOC, 1, "Việc một."), Cand(DOC, 2, "Việc hai.")], NOW)
    tasks.import_candidates(session, "other.pdf", [Cand("other.pdf", 1, "Việc khác.")], NOW)
    assert tasks.cancel_doc(session, DOC, NOW) == 2
    assert {t.status for t in _by_text(session).values()} == {"cancelled"}
    assert {t.status for t in _by_text(session, "other.pdf").values()} == {"open"}
    assert tasks.cancel_doc(session, DOC, NOW) == 0


def test_reimport_keeps_a_rolled_recurring_deadline(session) -> None:
    c = Cand(
        DOC,
        1,
        "Báo cáo tình hình hằng tháng trước ngày 25.",
        deadline=D(2026, 11, 25),
        recurring="monthly, before day 25",
    )
    tasks.import_candidates(session, DOC, [c], NOW)
    t = next(iter(_by_text(session).values()))
    tasks.accept(session, t.id, 1, NOW)
    tasks.close_task(session, t.id, 1, NOW)
    assert _deadline(session, t.id) == D(2026, 12, 25)
    tasks.import_candidates(session, DOC, [c], NOW)
    assert _deadline(session, t.id) == D(2026, 12, 25)


# --------------------------------------------------------------------------------------- user tasks


def test_add_task_is_accepted_and_audited(session) -> None:
    t = tasks.add_task(
        session, "  Gửi   danh sách <đảng viên>  ", D(2026, 12, 10), None, user_id=42, chat_id=-100, now=NOW
    )
    assert t.review == "accepted" and t.status == "open"
    assert t.text == "Gửi danh sách <đảng viên>"
    assert (t.created_by, t.chat_id, t.source_doc) == (42, -100, None)
    assert [i.task.id for i in tasks.list_open(session, D(2026, 12, 1))] == [t.id]
    actions = session.scalars(select(AuditRow.action)).all()
    assert actions == ["task.add"]
    with pytest.raises(ValueError):
        tasks.add_task(session, "   ", None, None, 42, -100, now=NOW)


def test_close_one_off_task(session) -> None:
    t = tasks.add_task(session, "Nộp tờ trình", D(2026, 12, 10), None, 1, -1, now=NOW)
    closed = tasks.close_task(session, t.id, 1, NOW)
    assert closed.status == "done" and closed.done_at == NOW
    assert tasks.list_open(session, D(2026, 12, 1)) == []
    assert tasks.close_task(session, t.id, 1, NOW).status == "done"  # closing twice is harmless
    with pytest.raises(tasks.TaskNotFound):
        tasks.close_task(session, 999, 1, NOW)


@pytest.mark.parametrize(
    ("recurrence", "deadline", "after"),
    [
        ("monthly, before day 25", D(2026, 12, 25), D(2027, 1, 25)),
        ("monthly", D(2027, 1, 31), D(2027, 2, 28)),
        ("monthly", D(2027, 2, 28), D(2027, 3, 31)),  # end of month stays end of month
        ("quarterly", D(2026, 12, 31), D(2027, 3, 31)),
        ("quarterly", D(2027, 3, 31), D(2027, 6, 30)),
        ("every 6 months", D(2026, 6, 30), D(2026, 12, 31)),
        ("yearly", D(2026, 12, 15), D(2027, 12, 15)),
        ("yearly", D(2028, 2, 29), D(2029, 2, 28)),
        ("weekly", D(2026, 12, 4), D(2026, 12, 11)),
        ("hằng tháng, trước ngày 20", D(2026, 12, 20), D(2027, 1, 20)),
        ("hàng quý", D(2026, 12, 31), D(2027, 3, 31)),
        ("semiannual, before Jun 15 and Dec 15", D(2026, 12, 15), D(2027, 6, 15)),
        ("semiannual, before Jun 15 and Dec 15", D(2027, 6, 15), D(2027, 12, 15)),
        ("yearly, before Dec 15", D(2026, 12, 15), D(2027, 12, 15)),
        ("quarterly, before day 15 of the quarter's last month", D(2026, 12, 15), D(2027, 3, 15)),
        ("weekly, before Monday", D(2026, 12, 7), D(2026, 12, 14)),
        (None, D(2026, 12, 31), None),
        ("không rõ", D(2026, 12, 31), None),
    ],
)
def test_next_occurrence(recurrence: str | None, deadline: dt.date, after: dt.date | None) -> None:
    assert next_occurrence(deadline, recurrence) == after


@pytest.mark.parametrize(
    ("recurrence", "parsed"),
    [
        ("monthly, before day 25", Recurrence(months=1, day=25, month_slot=0)),
        ("quarterly", Recurrence(months=3, month_slot=2)),
        ("quarterly, before day 15 of the quarter's last month", Recurrence(months=3, day=15, month_slot=2)),
        (
            "quarterly, before day 5 of the next quarter's first month",
            Recurrence(months=3, day=5, month_slot=0),
        ),
        ("semiannual, before Jun 15 and Dec 15", Recurrence(months=6, dates=((6, 15), (12, 15)))),
        ("yearly, before Dec 15", Recurrence(months=12, dates=((12, 15),))),
        ("every 6 months", Recurrence(months=6, month_slot=5)),
        ("yearly", Recurrence(months=12, month_slot=11)),
        ("weekly", Recurrence(weeks=1)),
        ("weekly, before Monday", Recurrence(weeks=1, weekday=0)),
        ("every 2 weeks", Recurrence(weeks=2)),
        ("6 tháng một lần", Recurrence(months=6, month_slot=5)),
        ("hằng năm, trước ngày 15/12", Recurrence(months=12, dates=((12, 15),))),
        ("hằng tuần, trước thứ Sáu", Recurrence(weeks=1, weekday=4)),
        ("hằng tháng, trước ngày 20", Recurrence(months=1, day=20, month_slot=0)),
        ("daily", None),
        ("", None),
    ],
)
def test_parse_recurrence(recurrence: str, parsed: Recurrence | None) -> None:
    assert parse_recurrence(recurrence) == parsed


@pytest.mark.parametrize(
    ("recurrence", "today", "first"),
    [
        ("monthly, before day 25", D(2026, 12, 1), D(2026, 12, 25)),
        ("monthly, before day 25", D(2026, 12, 26), D(2027, 1, 25)),
        ("quarterly", D(2026, 11, 5), D(2026, 12, 31)),
        ("every 6 months", D(2026, 3, 1), D(2026, 6, 30)),
        ("yearly", D(2026, 12, 31), D(2026, 12, 31)),
        ("weekly", D(2026, 12, 1), D(2026, 12, 4)),  # Tuesday -> Friday
        ("weekly", D(2026, 12, 4), D(2026, 12, 4)),
        ("weekly, before Monday", D(2026, 12, 1), D(2026, 12, 7)),
        ("quarterly, before day 15 of the quarter's last month", D(2026, 12, 16), D(2027, 3, 15)),
        ("quarterly, before day 5 of the next quarter's first month", D(2026, 11, 27), D(2027, 1, 5)),
        ("semiannual, before Jun 15 and Dec 15", D(2026, 11, 27), D(2026, 12, 15)),
        ("semiannual, before Jun 15 and Dec 15", D(2026, 12, 16), D(2027, 6, 15)),
        ("yearly, before Dec 15", D(2026, 12, 15), D(2026, 12, 15)),
        ("every 2 months", D(2026, 11, 27), D(2026, 12, 31)),
        ("daily", D(2026, 11, 27), None),
    ],
)
def test_first_deadline(recurrence: str, today: dt.date, first: dt.date | None) -> None:
    assert first_deadline(recurrence, today) == first


@pytest.mark.parametrize(
    ("recurrence", "vietnamese"),
    [
        ("monthly, before day 25", "hằng tháng, trước ngày 25"),
        ("quarterly", "hằng quý"),
        ("quarterly, before day 15 of the quarter's last month", "hằng quý, trước ngày 15 tháng cuối quý"),
        ("quarterly, before day 5 of the next quarter's first month", "hằng quý, trước ngày 5 tháng đầu quý"),
        ("semiannual, before Jun 15 and Dec 15", "6 tháng một lần, trước ngày 15/6 và 15/12"),
        ("yearly, before Dec 15", "hằng năm, trước ngày 15/12"),
        ("every 2 months", "2 tháng một lần"),
        ("weekly, before Friday", "hằng tuần, trước thứ Sáu"),
        ("every 2 weeks", "2 tuần một lần"),
        ("daily", "daily"),
        (None, None),
    ],
)
def test_describe_recurrence_in_vietnamese(recurrence: str | None, vietnamese: str | None) -> None:
    assert task_replies.describe_recurrence(recurrence) == vietnamese


def test_close_recurring_task_rolls_to_next_occurrence(session) -> None:
    t = tasks.add_task(session, "Báo cáo tháng", D(2026, 12, 25), "monthly, before day 25", 1, -1, now=NOW)
    closed = tasks.close_task(session, t.id, 1, NOW)
    assert closed.status == "open"
    assert closed.deadline == D(2027, 1, 25)
    assert closed.done_at == NOW


def test_roll_recurring_keeps_a_missed_occurrence_overdue_until_the_next_one_nears(session) -> None:
    monthly = tasks.add_task(session, "Báo cáo tháng", D(2026, 11, 25), "monthly, before day 25", 1, -1, now=NOW)
    weekly = tasks.add_task(session, "Giao ban tuần", D(2026, 11, 27), "weekly", 1, -1, now=NOW)
    dateless = tasks.add_task(session, "Báo cáo quý", None, "quarterly", 1, -1, now=NOW)
    plain = tasks.add_task(session, "Việc một lần", D(2026, 11, 20), None, 1, -1, now=NOW)

    changed = tasks.roll_recurring(session, D(2026, 12, 1), lead_days=7, now=NOW)
    assert set(changed) == {weekly.id, dateless.id}
    assert _deadline(session, monthly.id) == D(2026, 11, 25)  # still overdue
    assert _deadline(session, weekly.id) == D(2026, 12, 4)
    assert _deadline(session, dateless.id) == D(2026, 12, 31)
    assert _deadline(session, plain.id) == D(2026, 11, 20)

    # 18/12: the 7-day reminder of the 25/12 occurrence is due, so the monthly task moves on.
    assert tasks.roll_recurring(session, D(2026, 12, 18), lead_days=7, now=NOW) == [monthly.id, weekly.id]
    assert _deadline(session, monthly.id) == D(2026, 12, 25)
    assert _deadline(session, weekly.id) == D(2026, 12, 18)


# ------------------------------------------------------------------------------------------ queries


def test_list_open_nearest_first_with_overdue_flag(session) -> None:
    late = tasks.add_task(session, "Quá hạn", D(2026, 11, 28), None, 1, -1, now=NOW)
    soon = tasks.add_task(session, "Sắp đến", D(2026, 12, 3), None, 1, -1, now=NOW)
    far = tasks.add_task(session, "Còn xa", D(2027, 1, 30), None, 1, -1, now=NOW)
    undated = tasks.add_task(session, "Không hạn", None, None, 1, -1, now=NOW)
    today_ = tasks.add_task(session, "Hôm nay", D(2026, 12, 1), None, 1, -1, now=NOW)
    items = tasks.list_open(session, D(2026, 12, 1))
    assert [i.task.id for i in items] == [late.id, today_.id, soon.id, far.id, undated.id]
    assert [i.overdue for i in items] == [True, False, False, False, False]
    assert [i.days_left for i in items] == [-3, 0, 2, 60, None]


def test_match_tasks_by_shared_words(session) -> None:
    a = tasks.add_task(session, "Báo cáo sơ kết công tác kiểm tra, giám sát", D(2026, 12, 10), None, 1, -1, now=NOW)
    b = tasks.add_task(session, "Nộp danh sách đảng viên được tặng Huy hiệu Đảng", D(2026, 12, 5), None, 1, -1, now=NOW)
    c = tasks.add_task(session, "Tổng hợp báo cáo tài chính đảng", D(2026, 12, 20), None, 1, -1, now=NOW)
    assert [t.id for t in tasks.match_tasks(session, "hạn nộp báo cáo sơ kết kiểm tra giám sát?")][0] == a.id
    assert [t.id for t in tasks.match_tasks(session, "huy hieu dang")] == [b.id]
    assert {t.id for t in tasks.match_tasks(session, "báo cáo")} == {a.id, c.id}
    assert tasks.match_tasks(session, "tuần này có việc gì đến hạn?") == []
    assert [t.id for t in tasks.match_tasks(session, ["tài", "chính"])] == [c.id]
    tasks.close_task(session, c.id, 1, NOW)
    assert tasks.match_tasks(session, "tài chính") == []


RULES = [
    "monthly, before day 25",
    "monthly",
    "quarterly",
    "quarterly, before day 15 of the quarter's last month",
    "quarterly, before day 5 of the next quarter's first month",
    "semiannual, before Jun 15 and Dec 15",
    "yearly, before Dec 15",
    "yearly",
    "every 2 months",
    "weekly",
    "weekly, before Monday",
    "every 2 weeks",
    "hằng tháng, trước ngày 31",
]


@given(st.sampled_from(RULES), st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31)))
def test_recurrence_properties(rule: str, today: dt.date) -> None:
    first = first_deadline(rule, today)
    assert first is not None and today <= first <= today + dt.timedelta(days=366)
    nxt = next_occurrence(first, rule)
    assert nxt is not None and first < nxt <= first + dt.timedelta(days=366)
    # The next occurrence is again a deadline of the same rule.
    assert first_deadline(rule, nxt) == nxt
    # And nothing of the rule falls strictly between two occurrences (a fortnightly rule has no
    # calendar phase: its series starts wherever the task's first deadline is).
    if rule != "every 2 weeks":
        assert first_deadline(rule, first + dt.timedelta(days=1)) == nxt


# ------------------------------------------------------------------------------------------ scope rules

GROUP, OTHER_GROUP, AUTHOR, OTHER = -100, -200, 7, 8


def _scoped(scope: str, chat_id: int | None, created_by: int | None = AUTHOR, owner: str | None = None) -> tasks.Task:
    return tasks.Task(1, "Việc", owner, D(2026, 12, 10), None, None, "open", "accepted",
                      "a.txt" if scope == "org" else None, None, created_by, chat_id, None, scope=scope)  # fmt: skip


@pytest.mark.parametrize(
    ("task", "viewer", "seen"),
    [
        (_scoped("personal", AUTHOR), tasks.Viewer(AUTHOR, AUTHOR, True), True),
        (_scoped("personal", AUTHOR), tasks.Viewer(GROUP, AUTHOR, False), False),  # not in a group
        (_scoped("personal", AUTHOR), tasks.Viewer(OTHER, OTHER, True), False),
        (_scoped("group", GROUP), tasks.Viewer(GROUP, OTHER, False), True),
        (_scoped("group", GROUP), tasks.Viewer(OTHER_GROUP, AUTHOR, False), False),
        (_scoped("group", GROUP), tasks.Viewer(OTHER, OTHER, True, frozenset({GROUP})), True),  # a member
        (_scoped("group", GROUP), tasks.Viewer(OTHER, OTHER, True), False),
        (_scoped("org", None, None), tasks.Viewer(OTHER_GROUP, OTHER, False), True),
    ],
)
def test_can_see(task: tasks.Task, viewer: tasks.Viewer, seen: bool) -> None:
    assert tasks.can_see(task, viewer) is seen


@pytest.mark.parametrize(
    ("task", "user", "bot_admin", "group_admin", "allowed"),
    [
        (_scoped("personal", AUTHOR), AUTHOR, False, False, True),
        (_scoped("personal", AUTHOR), OTHER, True, False, False),  # a bot admin does not close your notes
        (_scoped("group", GROUP), AUTHOR, False, False, True),
        (_scoped("group", GROUP), OTHER, False, False, False),
        (_scoped("group", GROUP), OTHER, False, True, True),
        (_scoped("group", GROUP), OTHER, True, False, True),
        (_scoped("org", None, None), OTHER, False, True, False),
        (_scoped("org", None, None), OTHER, True, False, True),
        (_scoped("group", GROUP), None, False, False, False),
    ],
)
def test_may_change(task: tasks.Task, user: int | None, bot_admin: bool, group_admin: bool, allowed: bool) -> None:
    assert tasks.may_change(task, user, bot_admin=bot_admin, group_admin=group_admin) is allowed


def test_listed_follows_the_units_for_organisation_tasks() -> None:
    from bot.following import Following

    home = _scoped("org", None, None, owner="Sở Nội vụ")
    finance = _scoped("org", None, None, owner="Sở Tài chính")
    own = _scoped("group", GROUP)
    viewer = tasks.Viewer(GROUP, OTHER, False)
    units = Following(True, False, ("Sở Nội vụ",), ("so noi vu",))
    assert [tasks.listed(t, viewer, units) for t in (home, finance, own)] == [True, False, True]
    everything = Following(True, True)
    assert [tasks.listed(t, viewer, everything) for t in (home, finance, own)] == [True, True, True]


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("this_week", D(2026, 12, 2), D(2026, 12, 6)),
        ("this_month", D(2026, 12, 2), D(2026, 12, 31)),
        ("overdue", None, D(2026, 12, 1)),
        ("tomorrow", D(2026, 12, 2), D(2026, 12, 3)),
        ("next_week", D(2026, 12, 7), D(2026, 12, 13)),
    ],
)
def test_period(name: str, first: dt.date | None, last: dt.date) -> None:
    p = tasks.period(name, D(2026, 12, 2))  # a Wednesday
    assert (p.first, p.last) == (first, last)


def test_edit_records_history_and_drops_planned_reminders(session) -> None:  # type: ignore[no-untyped-def]
    from bot.db import ReminderRow

    t = tasks.add_task(session, "Nộp báo cáo", D(2026, 12, 10), None, AUTHOR, GROUP, now=NOW, user_name="Chị Lan")
    session.add(ReminderRow(task_id=t.id, chat_id=GROUP, due_at=NOW, kind="offset-7", deadline=t.deadline,
                            status="pending", created_at=NOW, late=False, attempts=0))  # fmt: skip
    session.flush()
    edited = tasks.edit_task(session, t.id, OTHER, deadline=D(2026, 12, 20), now=NOW + dt.timedelta(hours=1))
    assert edited.deadline == D(2026, 12, 20)
    assert session.scalar(select(ReminderRow.status)) == "skipped"
    tasks.edit_task(session, t.id, OTHER, text="Nộp báo cáo năm", now=NOW + dt.timedelta(hours=2))
    tasks.close_task(session, t.id, AUTHOR, NOW + dt.timedelta(hours=3))
    history = tasks.history(session, t.id)
    assert [(e.action, e.user_id, e.detail) for e in history] == [
        ("created", AUTHOR, None),
        ("edited", OTHER, "deadline 2026-12-10 2026-12-20"),
        ("edited", OTHER, "text Nộp báo cáo"),
        ("done", AUTHOR, None),
    ]
    assert history[0].user_name == "Chị Lan"
    with pytest.raises(tasks.TaskNotOpen):
        tasks.edit_task(session, t.id, AUTHOR, deadline=D(2026, 12, 30))
    lines = [task_replies.event_text(e, dt.UTC) for e in history]
    link = f'<a href="tg://user?id={OTHER}">người dùng {OTHER}</a>'
    assert lines[1] == f"• 03:00 01/12/2026 — sửa hạn 10/12/2026 → 20/12/2026 ({link})"


def test_review_doc_by_document_and_overdue_at_import(session) -> None:  # type: ignore[no-untyped-def]
    old = [Cand("cu.txt", 1, "Gửi báo cáo quý I", deadline=D(2024, 4, 30)),
           Cand("cu.txt", 2, "Tổng kết năm", deadline=D(2026, 12, 31))]  # fmt: skip
    other = [Cand("khac.txt", 1, "Nộp hồ sơ", deadline=D(2024, 6, 30)), Cand("khac.txt", 2, "Rà soát")]
    tasks.import_candidates(session, "cu.txt", old, NOW)
    tasks.import_candidates(session, "khac.txt", other, NOW)
    groups = tasks.candidates_by_doc(session)
    assert [(g.doc, len(g.tasks), g.overdue_at_import) for g in groups] == [("cu.txt", 2, 1), ("khac.txt", 2, 1)]
    # Every document's candidates that were overdue when imported, at once.
    assert tasks.review_doc(session, None, False, AUTHOR, NOW, only_overdue_at_import=True) == 2
    assert [(g.doc, [t.text for t in g.tasks]) for g in tasks.candidates_by_doc(session)] == [
        ("cu.txt", ["Tổng kết năm"]),
        ("khac.txt", ["Rà soát"]),
    ]
    assert tasks.review_doc(session, "khac.txt", True, AUTHOR, NOW) == 1
    assert [g.doc for g in tasks.candidates_by_doc(session)] == ["cu.txt"]
    reviews = sorted((r.text, r.review) for r in session.scalars(select(TaskRow)))
    assert reviews == [
        ("Gửi báo cáo quý I", "dropped"),
        ("Nộp hồ sơ", "dropped"),
        ("Rà soát", "accepted"),
        ("Tổng kết năm", "candidate"),
    ]
