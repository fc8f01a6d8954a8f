"""The reminder engine with an injected clock and a fake `send`, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ExtBot

from bot import reminders, tasks
from bot.db import ReminderRow, SubscriptionRow, make_engine, make_session_factory
from bot.fit import visible_len
from bot.ratelimit import rate_limiter
from bot.reminders import claim_batch, due_moment, plan_due, sweep
from bot.settings import Settings
from bot.task_replies import render_digest, render_reminder
from index.model import Document
from index.tasks import TaskCandidate, extract_tasks
from tests.dbfixtures import Clock, make_settings, vn
from tests.fake_telegram import FakeTelegram

pytest_plugins = ["tests.dbfixtures"]

D = dt.date
CHAT = -1001
OTHER = -1002
DEADLINE = D(2026, 12, 20)


class FakeSend:
    """Records what was sent (with the clock time); raises queued faults first."""

    def __init__(self, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.clock = clock
        self.sent: list[tuple[int, str]] = []
        self.at: list[dt.datetime | None] = []
        self.faults: list[tuple[int | None, Exception]] = []
        self.calls = 0

    def fail(self, exc: Exception, chat_id: int | None = None, times: int = 1) -> None:
        self.faults.extend([(chat_id, exc)] * times)

    async def __call__(self, chat_id: int, text: str) -> None:
        self.calls += 1
        for i, (target, exc) in enumerate(self.faults):
            if target is None or target == chat_id:
                del self.faults[i]
                raise exc
        self.sent.append((chat_id, text))
        self.at.append(self.clock() if self.clock else None)

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [t for c, t in self.sent if chat_id is None or c == chat_id]


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def run(
    factory: sessionmaker[Session],
    send: FakeSend,
    clock: Clock,
    settings: Settings | None = None,
    worker: str = "w1",
    sleeps: Sleeps | None = None,
    **kw: Any,
) -> reminders.SweepReport:
    return asyncio.run(
        sweep(
            factory,
            send,
            clock,
            settings or make_settings(),
            worker,
            sleep=sleeps if sleeps is not None else Sleeps(),
            **kw,
        )
    )


def setup_chat_and_task(
    factory: sessionmaker[Session],
    clock: Clock,
    deadline: dt.date = DEADLINE,
    chats: tuple[int, ...] = (CHAT,),
    text: str = "Nộp báo cáo sơ kết",
    recurrence: str | None = None,
) -> int:
    with factory() as s:
        for chat in chats:
            reminders.subscribe(s, chat, 7, clock())
        t = tasks.add_task(s, text, deadline, recurrence, 7, None, now=clock())  # organisation task
        s.commit()
        return t.id


def outbox(factory: sessionmaker[Session]) -> list[reminders.OutboxItem]:
    with factory() as s:
        return reminders.outbox(s)


# ------------------------------------------------------------------------------------ due moments


@pytest.mark.parametrize(
    ("reminder_time", "day", "utc"),
    [
        (dt.time(8, 0), D(2026, 12, 10), dt.datetime(2026, 12, 10, 1, 0, tzinfo=dt.UTC)),
        (dt.time(0, 0), D(2026, 12, 10), dt.datetime(2026, 12, 9, 17, 0, tzinfo=dt.UTC)),  # previous UTC day
        (dt.time(6, 59), D(2026, 12, 10), dt.datetime(2026, 12, 9, 23, 59, tzinfo=dt.UTC)),
        (dt.time(23, 59), D(2026, 12, 10), dt.datetime(2026, 12, 10, 16, 59, tzinfo=dt.UTC)),
        (dt.time(0, 0), D(2027, 1, 1), dt.datetime(2026, 12, 31, 17, 0, tzinfo=dt.UTC)),  # previous UTC year
    ],
)
def test_due_moment_is_local_time_in_utc(reminder_time: dt.time, day: dt.date, utc: dt.datetime) -> None:
    assert due_moment(day, make_settings(reminder_time=reminder_time)) == utc


# ------------------------------------------------------------------------------------------ sweeps


def test_each_offset_fires_once_on_time(session_factory, clock: Clock) -> None:
    task_id = setup_chat_and_task(session_factory, clock)
    send = FakeSend(clock)
    end = vn(2026, 12, 21, 12, 0)
    while clock() < end:
        run(session_factory, send, clock)
        clock.advance(minutes=30)
    texts = send.texts(CHAT)
    offsets = [t for t in texts if "Nhắc hạn" in t]
    assert len(offsets) == 4
    assert ["còn 7 ngày" in offsets[0], "còn 3 ngày" in offsets[1], "còn 1 ngày" in offsets[2]] == [True] * 3
    assert "hôm nay là hạn chót" in offsets[3]
    assert all(f"#{task_id}" in t and "20/12/2026" in t and "nhắc muộn" not in t for t in offsets)
    # Sent at the first sweep after 08:00 local on 13/12, 17/12, 19/12, 20/12.
    assert send.at[:4] == [vn(2026, 12, d, 8, 0) for d in (13, 17, 19, 20)]
    # The day after the deadline: the overdue digest, once.
    assert len(texts) == 5 and "Công việc quá hạn" in texts[4] and "quá hạn 1 ngày" in texts[4]
    rows = outbox(session_factory)
    assert sorted(r.kind for r in rows) == ["offset-0", "offset-1", "offset-3", "offset-7", "overdue-digest"]
    assert {r.status for r in rows} == {"sent"} and not any(r.late for r in rows)


def test_second_sweep_and_second_worker_send_nothing_again(session_factory, clock: Clock) -> None:
    setup_chat_and_task(session_factory, clock)
    send = FakeSend()
    clock.set(vn(2026, 12, 13, 8, 1))
    assert len(run(session_factory, send, clock).sent) == 1
    assert run(session_factory, send, clock).sent == []
    assert run(session_factory, send, clock, worker="w2").sent == []
    clock.advance(hours=5)
    assert run(session_factory, send, clock).sent == []
    assert len(send.sent) == 1


def test_restart_between_due_and_sent(migrated_url: str, clock: Clock) -> None:
    settings = make_settings()
    engine = make_engine(migrated_url)
    factory = make_session_factory(engine)
    setup_chat_and_task(factory, clock)
    clock.set(vn(2026, 12, 13, 8, 0))
    with factory() as s:  # planned, then the process dies before sending
        assert plan_due(s, clock(), settings) == 1
        s.commit()
    engine.dispose()

    engine = make_engine(migrated_url)  # restarted process
    factory = make_session_factory(engine)
    send = FakeSend()
    clock.advance(minutes=3)
    assert len(run(factory, send, clock, settings).sent) == 1
    engine.dispose()

    engine = make_engine(migrated_url)  # and again: nothing already sent goes out twice
    factory = make_session_factory(engine)
    assert run(factory, send, clock, settings).sent == []
    assert len(send.sent) == 1
    engine.dispose()


def test_claim_of_a_dead_worker_is_taken_over_after_the_stale_timeout(session_factory, clock: Clock) -> None:
    setup_chat_and_task(session_factory, clock)
    clock.set(vn(2026, 12, 13, 8, 0))
    with session_factory() as s:
        plan_due(s, clock(), make_settings())
        assert len(claim_batch(s, "dead-worker", 10, clock())) == 1
        s.commit()
    send = FakeSend()
    clock.advance(minutes=5)
    assert run(session_factory, send, clock, worker="w2").sent == []  # still held by the dead worker
    clock.advance(minutes=6)  # older than CLAIM_STALE_AFTER (10 minutes)
    assert len(run(session_factory, send, clock, worker="w2").sent) == 1
    (row,) = outbox(session_factory)
    assert row.status == "sent"
    assert row.late is False  # 11 minutes after the due moment is within LATE_AFTER


def test_downtime_across_due_moments_sends_only_the_latest_marked_late(session_factory, clock: Clock) -> None:
    setup_chat_and_task(session_factory, clock)
    send = FakeSend()
    clock.set(vn(2026, 12, 12, 9, 0))
    assert run(session_factory, send, clock).sent == []
    clock.set(vn(2026, 12, 19, 10, 30))  # down across the 7-, 3- and 1-day moments
    report = run(session_factory, send, clock)
    assert len(report.sent) == 1
    (text,) = send.texts()
    assert "còn 1 ngày" in text and "(nhắc muộn)" in text
    (row,) = outbox(session_factory)
    assert row.kind == "offset-1" and row.late and row.status == "sent"
    clock.set(vn(2026, 12, 20, 8, 5))
    run(session_factory, send, clock)
    assert len(send.sent) == 2 and "hôm nay là hạn chót" in send.texts()[1]
    assert "nhắc muộn" not in send.texts()[1]


def test_downtime_across_the_deadline_leaves_it_to_the_overdue_digest(session_factory, clock: Clock) -> None:
    setup_chat_and_task(session_factory, clock)
    send = FakeSend()
    clock.set(vn(2026, 12, 23, 7, 0))  # before today's digest moment
    assert run(session_factory, send, clock).sent == []
    clock.set(vn(2026, 12, 23, 8, 0))
    run(session_factory, send, clock)
    assert len(send.sent) == 1 and "quá hạn 3 ngày" in send.texts()[0]


@pytest.mark.parametrize(
    ("reminder_time", "before", "at"),
    [
        # 00:00 local on 10/12 is 17:00 UTC on 9/12.
        (
            dt.time(0, 0),
            dt.datetime(2026, 12, 9, 16, 59, 59, tzinfo=dt.UTC),
            dt.datetime(2026, 12, 9, 17, 0, tzinfo=dt.UTC),
        ),
        (
            dt.time(8, 0),
            dt.datetime(2026, 12, 10, 0, 59, tzinfo=dt.UTC),
            dt.datetime(2026, 12, 10, 1, 0, tzinfo=dt.UTC),
        ),
        (
            dt.time(23, 59),
            dt.datetime(2026, 12, 10, 16, 58, tzinfo=dt.UTC),
            dt.datetime(2026, 12, 10, 16, 59, tzinfo=dt.UTC),
        ),
    ],
)
def test_local_midnight_edges(
    session_factory, clock: Clock, reminder_time: dt.time, before: dt.datetime, at: dt.datetime
) -> None:
    settings = make_settings(reminder_days=[1, 0], reminder_time=reminder_time)
    setup_chat_and_task(session_factory, clock, deadline=D(2026, 12, 10))
    send = FakeSend()
    clock.set(at - dt.timedelta(days=1, seconds=1))
    run(session_factory, send, clock, settings)
    assert send.sent == []
    clock.set(at - dt.timedelta(days=1))  # the day-before reminder, on the local 9/12
    run(session_factory, send, clock, settings)
    assert len(send.sent) == 1 and "còn 1 ngày" in send.texts()[0] and "nhắc muộn" not in send.texts()[0]
    n = len(send.sent)
    clock.set(before)
    run(session_factory, send, clock, settings)
    assert len(send.sent) == n
    clock.set(at)
    run(session_factory, send, clock, settings)
    assert len(send.sent) == n + 1
    assert "hôm nay là hạn chót" in send.texts()[-1] and "10/12/2026" in send.texts()[-1]


def test_blocked_group_is_marked_and_skipped(session_factory, clock: Clock) -> None:
    setup_chat_and_task(session_factory, clock, chats=(CHAT, OTHER))
    send = FakeSend()
    send.fail(Forbidden("Forbidden: bot was kicked from the supergroup chat"), chat_id=CHAT)
    clock.set(vn(2026, 12, 13, 8, 0))
    report = run(session_factory, send, clock)
    assert report.blocked_chats == [CHAT]
    assert [c for c, _ in send.sent] == [OTHER]
    with session_factory() as s:
        sub = s.get(SubscriptionRow, CHAT)
        assert sub is not None and sub.blocked_at == clock()
        assert not reminders.is_subscribed(s, CHAT) and reminders.is_subscribed(s, OTHER)
    clock.set(vn(2026, 12, 17, 8, 0))
    run(session_factory, send, clock)
    assert [c for c, _ in send.sent] == [OTHER, OTHER]
    assert send.calls == 3  # nothing more was attempted for the blocked chat
    # Re-adding the bot and subscribing again starts afresh.
    with session_factory() as s:
        assert reminders.subscribe(s, CHAT, 7, clock())
        s.commit()
    clock.set(vn(2026, 12, 19, 8, 0))
    run(session_factory, send, clock)
    assert sorted(c for c, _ in send.sent[2:]) == sorted([CHAT, OTHER])


def test_chat_not_found_blocks_and_skips_its_pending_rows(session_factory, clock: Clock) -> None:
    setup_chat_and_task(session_factory, clock)
    with session_factory() as s:
        tasks.add_task(s, "Việc thứ hai", DEADLINE, None, 7, None, now=clock())
        s.commit()
    send = FakeSend()
    send.fail(BadRequest("Chat not found"), chat_id=CHAT)
    clock.set(vn(2026, 12, 13, 8, 0))
    report = run(session_factory, send, clock)
    assert send.sent == [] and report.blocked_chats == [CHAT]
    assert {r.status for r in outbox(session_factory)} == {"skipped"}
    assert send.calls == 1


def test_other_bad_request_fails_the_row_only(session_factory, clock: Clock) -> None:
    setup_chat_and_task(session_factory, clock)
    send = FakeSend()
    send.fail(BadRequest("Can't parse entities: unsupported start tag"))
    clock.set(vn(2026, 12, 13, 8, 0))
    report = run(session_factory, send, clock)
    assert len(report.failed) == 1 and send.sent == []
    with session_factory() as s:
        assert reminders.is_subscribed(s, CHAT)


def test_flood_control_waits_and_loses_nothing(session_factory, clock: Clock) -> None:
    setup_chat_and_task(session_factory, clock, chats=(CHAT, OTHER))
    send = FakeSend()
    send.fail(RetryAfter(7))
    sleeps = Sleeps()
    clock.set(vn(2026, 12, 13, 8, 0))
    report = run(session_factory, send, clock, sleeps=sleeps)
    assert sleeps == [7.0]
    assert sorted(c for c, _ in send.sent) == sorted([CHAT, OTHER])
    assert len(send.sent) == 2 and len(report.sent) == 2
    assert {r.attempts for r in outbox(session_factory)} == {1}


def test_long_flood_control_leaves_rows_for_the_next_sweep(session_factory, clock: Clock) -> None:
    setup_chat_and_task(session_factory, clock, chats=(CHAT, OTHER))
    send = FakeSend()
    send.fail(RetryAfter(600))
    clock.set(vn(2026, 12, 13, 8, 0))
    report = run(session_factory, send, clock)
    assert send.sent == [] and len(report.retry_later) == 2
    assert {(r.status, r.attempts) for r in outbox(session_factory)} == {("pending", 0)}
    clock.advance(minutes=10)
    assert len(run(session_factory, send, clock).sent) == 2


@pytest.mark.parametrize(
    "error",
    [NetworkError("Bad Gateway"), NetworkError("httpx.ConnectError: [Errno 111] Connection refused")],
)
def test_undelivered_row_is_left_for_the_next_sweep_without_retries_of_its_own(
    session_factory, clock: Clock, error: Exception
) -> None:
    """The transport (bot.ratelimit) already retried with backoff: the sweep does not retry on top."""
    setup_chat_and_task(session_factory, clock)
    send = FakeSend()
    send.fail(error)
    sleeps = Sleeps()
    clock.set(vn(2026, 12, 13, 8, 0))
    report = run(session_factory, send, clock, sleeps=sleeps)
    assert send.sent == [] and send.calls == 1 and len(report.retry_later) == 1
    assert sleeps == []
    (row,) = outbox(session_factory)
    assert (row.status, row.attempts) == ("pending", 1) and str(error) in (row.last_error or "")
    clock.advance(minutes=1)  # no stale wait: the failed row was released
    assert len(run(session_factory, send, clock).sent) == 1
    (row,) = outbox(session_factory)
    assert (row.status, row.attempts) == ("sent", 2)


def _read_timeout() -> TimedOut:
    try:
        try:
            raise httpx.ReadTimeout("timed out")
        except httpx.ReadTimeout as cause:
            raise TimedOut("Timed out") from cause
    except TimedOut as exc:
        return exc


def test_read_timeout_counts_as_sent_unconfirmed_and_is_never_sent_again(session_factory, clock: Clock) -> None:
    setup_chat_and_task(session_factory, clock)
    send = FakeSend()
    send.fail(_read_timeout())
    clock.set(vn(2026, 12, 13, 8, 0))
    report = run(session_factory, send, clock)
    assert send.calls == 1 and report.sent == report.unconfirmed and len(report.sent) == 1
    (row,) = outbox(session_factory)
    assert row.status == "sent" and (row.last_error or "").startswith("unconfirmed: TimedOut")
    clock.advance(minutes=1)
    assert run(session_factory, send, clock).sent == [] and send.calls == 1


def test_row_fails_after_max_attempts(session_factory, clock: Clock) -> None:
    setup_chat_and_task(session_factory, clock)
    send = FakeSend()
    send.fail(NetworkError("Connection refused"), times=3)
    clock.set(vn(2026, 12, 13, 8, 0))
    for _ in range(3):
        run(session_factory, send, clock, max_attempts=3)
        clock.advance(minutes=1)
    (row,) = outbox(session_factory)
    assert (row.status, row.attempts) == ("failed", 3)
    assert run(session_factory, send, clock, max_attempts=3).sent == []


def test_candidate_tasks_remind_only_once_accepted(session_factory, clock: Clock) -> None:
    with session_factory() as s:
        reminders.subscribe(s, CHAT, 7, clock())
        extracted = TaskCandidate("kh.docx", 1, "Nộp báo cáo", None, DEADLINE, None, "trước 20/12/2026")
        tasks.import_candidates(s, "kh.docx", [extracted], clock())
        s.commit()
        (cand,) = tasks.list_candidates(s)
    send = FakeSend()
    clock.set(vn(2026, 12, 13, 8, 0))
    assert run(session_factory, send, clock).sent == []
    clock.set(vn(2026, 12, 15, 12, 0))
    with session_factory() as s:
        tasks.accept(s, cand.id, 7, clock())
        s.commit()
    # The 7-day moment was before the acceptance: not sent late. The 3-day one is.
    assert run(session_factory, send, clock).sent == []
    clock.set(vn(2026, 12, 17, 8, 0))
    run(session_factory, send, clock)
    assert len(send.sent) == 1 and "còn 3 ngày" in send.texts()[0] and "kh.docx, đoạn 1" in send.texts()[0]


def test_task_closed_or_deadline_moved_after_planning_is_not_sent(session_factory, clock: Clock) -> None:
    task_id = setup_chat_and_task(session_factory, clock)
    other_id = setup_chat_and_task(session_factory, clock, text="Việc khác")
    clock.set(vn(2026, 12, 13, 8, 0))
    with session_factory() as s:
        assert plan_due(s, clock(), make_settings()) == 2
        tasks.close_task(s, task_id, 7, clock())
        from bot.db import TaskRow

        s.execute(update(TaskRow).where(TaskRow.id == other_id).values(deadline=D(2026, 12, 30)))
        s.commit()
    send = FakeSend()
    report = run(session_factory, send, clock)
    assert send.sent == [] and len(report.skipped) == 2


def test_recurring_task_rolls_and_reminds_for_the_next_occurrence(session_factory, clock: Clock) -> None:
    settings = make_settings(reminder_days=[1])
    task_id = setup_chat_and_task(session_factory, clock, deadline=D(2026, 12, 25), recurrence="monthly, before day 25")
    send = FakeSend()
    clock.set(vn(2026, 12, 24, 8, 0))
    run(session_factory, send, clock, settings)
    assert "25/12/2026" in send.texts()[-1]
    with session_factory() as s:
        assert tasks.close_task(s, task_id, 7, clock()).deadline == D(2027, 1, 25)
        s.commit()
    clock.set(vn(2027, 1, 24, 8, 0))
    run(session_factory, send, clock, settings)
    assert len(send.sent) == 2 and "25/01/2027" in send.texts()[-1] and "Định kỳ" in send.texts()[-1]
    # Nobody closes the January occurrence: overdue digest on 26/1, then it rolls when February's
    # reminder is due (24/2) and that reminder goes out.
    clock.set(vn(2027, 1, 26, 8, 0))
    run(session_factory, send, clock, settings)
    assert "Công việc quá hạn" in send.texts()[-1]
    clock.set(vn(2027, 2, 24, 8, 0))
    run(session_factory, send, clock, settings)
    assert "25/02/2027" in send.texts()[-1] and "còn 1 ngày" in send.texts()[-1]
    with session_factory() as s:
        assert tasks.get_task(s, task_id).deadline == D(2027, 2, 25)  # type: ignore[union-attr]


def test_overdue_digest_once_per_group_per_day(session_factory, clock: Clock) -> None:
    with session_factory() as s:
        for chat in (CHAT, OTHER):
            reminders.subscribe(s, chat, 7, clock())
        a = tasks.add_task(s, "Việc A", D(2026, 11, 28), None, 7, None, now=clock())
        b = tasks.add_task(s, "Việc <B> & C", D(2026, 11, 30), None, 7, None, now=clock())
        tasks.add_task(s, "Việc chưa đến hạn", D(2027, 3, 1), None, 7, None, now=clock())
        s.commit()
    send = FakeSend()
    clock.set(vn(2026, 12, 2, 8, 0))
    run(session_factory, send, clock)
    run(session_factory, send, clock)
    assert sorted(c for c, _ in send.sent) == sorted([CHAT, OTHER])
    text = send.texts(CHAT)[0]
    assert text.index(f"#{a.id}") < text.index(f"#{b.id}")
    assert "quá hạn 4 ngày" in text and "quá hạn 2 ngày" in text and "Việc &lt;B&gt; &amp; C" in text
    assert "chưa đến hạn" not in text
    clock.set(vn(2026, 12, 3, 7, 59))
    assert run(session_factory, send, clock).sent == []
    clock.set(vn(2026, 12, 3, 8, 0))
    run(session_factory, send, clock)
    assert len(send.sent) == 4
    with session_factory() as s:
        tasks.close_task(s, a.id, 7, clock())
        tasks.close_task(s, b.id, 7, clock())
        s.commit()
    clock.set(vn(2026, 12, 4, 8, 0))
    assert run(session_factory, send, clock).sent == []


def test_reminder_text() -> None:
    task = tasks.Task(
        id=12, text="Nộp <b>báo cáo</b> & danh sách", owner="Văn phòng", deadline=D(2026, 12, 20),
        recurrence=None, deadline_text="trước 20/12", status="open", review="accepted", source_doc=None,
        source_paragraph=None, created_by=1, chat_id=-1, done_at=None,
    )  # fmt: skip
    text = render_reminder(task, D(2026, 12, 17), late=False)
    assert "#12" in text and "20/12/2026" in text and "còn 3 ngày" in text
    assert "Nộp &lt;b&gt;báo cáo&lt;/b&gt; &amp; danh sách" in text and "Phụ trách: Văn phòng" in text
    assert "nhắc muộn" not in text
    assert "hôm nay là hạn chót" in render_reminder(task, D(2026, 12, 20), late=False)
    assert "(nhắc muộn)" in render_reminder(task, D(2026, 12, 19), late=True)
    long = tasks.Task(**{**task.__dict__, "text": "x" * 5000})
    assert visible_len(render_reminder(long, D(2026, 12, 17), late=False)) <= 4096


def test_digest_is_cut_to_telegram_length() -> None:
    items = [
        tasks.OpenTask(
            tasks.Task(i, "Việc rất dài " * 20, None, D(2026, 11, 1), None, None, "open", "accepted",
                       None, None, 1, -1, None),
            -30,
            True,
        )
        for i in range(1, 200)
    ]  # fmt: skip
    text = render_digest(items, D(2026, 12, 1), late=False)
    assert len(text) <= 4096 and text.endswith("việc khác")


# ------------------------------------------------------------------------------------- concurrency


def test_claim_skips_rows_locked_by_another_transaction(pg_url: str, clock: Clock) -> None:
    from bot.db import upgrade

    upgrade(pg_url)
    factory = make_session_factory(pg_url)
    with factory() as s:
        reminders.subscribe(s, CHAT, 7, clock())
        for i in range(4):
            tasks.add_task(s, f"Việc {i}", DEADLINE, None, 7, None, now=clock())
        s.commit()
    clock.set(vn(2026, 12, 13, 8, 0))
    with factory() as s:
        plan_due(s, clock(), make_settings())
        s.commit()
    a, b = factory(), factory()
    try:
        first = claim_batch(a, "a", 2, clock())  # not committed: rows stay locked
        second = claim_batch(b, "b", 10, clock())  # does not wait, takes the others
        assert len(first) == 2 and len(second) == 2 and not set(first) & set(second)
        b.commit()
        a.commit()
    finally:
        a.close()
        b.close()
        factory.kw["bind"].dispose()


def test_two_sweepers_on_one_database_send_each_reminder_once(migrated_url: str, clock: Clock) -> None:
    factory = make_session_factory(migrated_url)
    with factory() as s:
        for chat in (CHAT, OTHER):
            reminders.subscribe(s, chat, 7, clock())
        for i in range(15):
            tasks.add_task(s, f"Việc số {i}", DEADLINE, None, 7, None, now=clock())
        s.commit()
    factory.kw["bind"].dispose()
    clock.set(vn(2026, 12, 13, 8, 0))
    sent: list[tuple[int, str, str]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker(name: str) -> None:
        engine = make_engine(migrated_url)
        start.wait(30)

        async def send(chat_id: int, text: str) -> None:
            await asyncio.sleep(0.003)
            with lock:
                sent.append((chat_id, text, name))

        try:
            for _ in range(3):
                asyncio.run(sweep(make_session_factory(engine), send, clock, make_settings(), name, batch_size=3))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    keys = [(c, t) for c, t, _ in sent]
    assert len(keys) == 30 and len(set(keys)) == 30
    assert {name for *_, name in sent} == {"w0", "w1"}  # both really took part
    engine = make_engine(migrated_url)
    with make_session_factory(engine)() as s:
        rows = s.scalars(select(ReminderRow)).all()
        assert len(rows) == 30 and {r.status for r in rows} == {"sent"}
    engine.dispose()


# ------------------------------------------------------------------- the real Bot against a fake server


def _due_tasks(factory: sessionmaker[Session], clock: Clock, n: int, chats: tuple[int, ...] = (CHAT,)) -> None:
    with factory() as s:
        for chat in chats:
            reminders.subscribe(s, chat, 7, clock())
        for i in range(n):
            tasks.add_task(s, f"Việc <số> {i} & báo cáo", DEADLINE, None, 7, None, now=clock())  # organisation task
        s.commit()


def _task_ids_sent(fake: FakeTelegram) -> list[int]:
    ids = []
    for call in fake.calls_of("sendMessage"):
        m = re.search(r"công việc #(\d+)", str(call.params.get("text")))
        assert m, call.params
        ids.append(int(m[1]))
    return ids


def test_real_bot_send_message_with_flood_control_and_bad_gateway(
    session_factory, clock: Clock, fake_telegram: FakeTelegram
) -> None:
    _due_tasks(session_factory, clock, 6)
    clock.set(vn(2026, 12, 13, 8, 0))
    fake_telegram.inject("sendMessage", "429", retry_after=1)
    fake_telegram.inject("sendMessage", "502")

    async def main() -> reminders.SweepReport:
        # The bot's own transport: 429 waited out and 502 retried there, not by the sweep.
        bot = ExtBot(fake_telegram.token, base_url=f"{fake_telegram.api_url}/bot", rate_limiter=rate_limiter())
        async with bot:
            send = functools.partial(bot.send_message, parse_mode=ParseMode.HTML)
            return await sweep(session_factory, send, clock, make_settings(), "w1")

    report = asyncio.run(main())
    assert len(report.sent) == 6 and not report.failed
    assert sorted(_task_ids_sent(fake_telegram)) == list(range(1, 7))
    texts = [m["text"] for m in fake_telegram.sent_messages(CHAT)]  # parsed by the fake: the HTML is valid
    assert all("Việc <số>" in t and "& báo cáo" in t and "còn 7 ngày" in t for t in texts)
    assert [c.status for c in fake_telegram.calls_of("sendMessage", status=None)][:2] == [429, 502]


_SWEEPER = """
import asyncio, datetime as dt, sys
from telegram import Bot
from telegram.constants import ParseMode
from telegram.ext import ExtBot
from bot.db import make_session_factory
from bot.reminders import sweep
from tests.dbfixtures import make_settings

url, api, token, now_iso = sys.argv[1:5]
now = dt.datetime.fromisoformat(now_iso)


async def main() -> None:
    bot = Bot(token, base_url=api + "/bot")
    async with bot:
        async def send(chat_id: int, text: str) -> None:
            await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)

        factory = make_session_factory(url)
        while True:
            report = await sweep(factory, send, lambda: now, make_settings(), "sweeper", batch_size=5)
            if not (report.sent or report.retry_later or report.skipped):
                break
    print("done", flush=True)


asyncio.run(main())
"""


def test_sigkill_during_a_batch_loses_nothing_and_duplicates_at_most_one(
    migrated_url: str, clock: Clock, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    factory = make_session_factory(migrated_url)
    _due_tasks(factory, clock, 24)
    factory.kw["bind"].dispose()
    script = tmp_path / "sweeper.py"
    script.write_text(_SWEEPER, encoding="utf-8")
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    due = vn(2026, 12, 13, 8, 0)
    fake_telegram.inject("sendMessage", "delay", count=24, seconds=0.15)  # a slow Telegram

    def start(now: dt.datetime) -> subprocess.Popen[str]:
        args = [
            sys.executable,
            str(script),
            migrated_url,
            fake_telegram.api_url,
            fake_telegram.token,
            now.isoformat(),
        ]
        return subprocess.Popen(args, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    proc = start(due)
    deadline = time.monotonic() + 60
    while len(fake_telegram.calls_of("sendMessage")) < 8:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the sweeper sent nothing"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    delivered_at_kill = len(fake_telegram.calls_of("sendMessage"))
    assert delivered_at_kill < 24  # killed in the middle of the run

    # Restarted later than the claim timeout, so the dead process's claims are taken over.
    proc = start(due + reminders.CLAIM_STALE_AFTER + dt.timedelta(minutes=1))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "done" in out

    ids = _task_ids_sent(fake_telegram)
    assert set(ids) == set(range(1, 25))  # every reminder delivered
    assert len(ids) - len(set(ids)) <= 1  # at most one duplicate: the one in flight when killed
    engine = make_engine(migrated_url)
    with make_session_factory(engine)() as s:
        assert {r.status for r in reminders.outbox(s)} == {"sent"}
    engine.dispose()


def test_group_upgraded_to_supergroup_follows_the_new_chat_id(session_factory, clock: Clock) -> None:
    setup_chat_and_task(session_factory, clock)
    send = FakeSend()
    send.fail(ChatMigrated(-1009999), chat_id=CHAT)
    clock.set(vn(2026, 12, 13, 8, 0))
    run(session_factory, send, clock)
    assert [c for c, _ in send.sent] == [-1009999]
    with session_factory() as s:
        assert reminders.is_subscribed(s, -1009999) and not reminders.is_subscribed(s, CHAT)
    clock.set(vn(2026, 12, 17, 8, 0))
    run(session_factory, send, clock)
    assert [c for c, _ in send.sent] == [-1009999, -1009999]


def test_claims_are_renewed_during_a_long_batch(session_factory, clock: Clock) -> None:
    """A batch that takes longer than the stale timeout: a second worker never sends a row the first
    one is sending (the claim is renewed before each send)."""
    _due_tasks(session_factory, clock, 5)
    clock.set(vn(2026, 12, 13, 8, 0))
    log: list[tuple[str, int]] = []
    other = FakeSend()

    async def slow_send(chat_id: int, text: str) -> None:
        m = re.search(r"#(\d+)", text)
        assert m
        log.append(("w1", int(m[1])))
        clock.advance(minutes=4)
        if len(log) == 4:  # 16 minutes into the batch, another process sweeps
            report = await sweep(session_factory, other, clock, make_settings(), "w2", sleep=Sleeps())
            log.extend(("w2", int(re.search(r"#(\d+)", t)[1])) for t in other.texts())  # type: ignore[index]
            assert len(report.sent) == 1  # only the one row whose claim went stale while waiting

    asyncio.run(sweep(session_factory, slow_send, clock, make_settings(), "w1", sleep=Sleeps(), batch_size=5))
    ids = [i for _, i in log]
    assert sorted(ids) == [1, 2, 3, 4, 5]
    assert {r.status for r in outbox(session_factory)} == {"sent"}


def test_extracted_document_tasks_end_to_end(session_factory, clock: Clock) -> None:
    """extract_tasks -> import_candidates -> accept -> reminders, for a dated and a recurring task."""
    doc = Document(
        "kh/ke-hoach-01.txt",
        "Kế hoạch",
        D(2026, 11, 1),
        "Huyện ủy",
        (
            "Ban Tuyên giáo chủ trì xây dựng báo cáo sơ kết, hoàn thành trước ngày 15/12/2026.",
            "Văn phòng Huyện ủy tổng hợp báo cáo tình hình hằng tháng, gửi trước ngày 25 hằng tháng.",
        ),
    )
    with session_factory() as s:
        reminders.subscribe(s, CHAT, 7, clock())
        assert tasks.import_candidates(s, doc.path, extract_tasks(doc), clock()).added == 2
        for cand in tasks.list_candidates(s, doc.path):
            tasks.accept(s, cand.id, 7, clock())
        s.commit()
    send = FakeSend()
    clock.set(vn(2026, 12, 8, 8, 0))
    run(session_factory, send, clock)
    (text,) = send.texts()
    assert "15/12/2026" in text and "còn 7 ngày" in text and "Phụ trách: Ban Tuyên giáo" in text
    assert "kh/ke-hoach-01.txt, đoạn 1" in text
    clock.set(vn(2026, 12, 18, 8, 0))  # the monthly task got its first deadline, 25/12
    run(session_factory, send, clock)
    # The dated task is overdue by now: it is in the digest.
    (digest,) = [t for t in send.texts()[1:] if "quá hạn" in t]
    (monthly,) = [t for t in send.texts()[1:] if "quá hạn" not in t]
    assert "Công việc quá hạn" in digest and "quá hạn 3 ngày" in digest
    assert "25/12/2026" in monthly and "Định kỳ: hằng tháng, trước ngày 25" in monthly


def test_pruning_old_rows_brings_no_reminder_back(session_factory, clock: Clock) -> None:
    from bot.db import prune, record_update

    task_id = setup_chat_and_task(session_factory, clock)
    send = FakeSend()
    with session_factory() as s:
        assert record_update(s, 1, clock())
        s.commit()
    for day in (13, 17, 19, 20):
        clock.set(vn(2026, 12, day, 8, 0))
        run(session_factory, send, clock)
    with session_factory() as s:
        tasks.close_task(s, task_id, 7, clock())
        s.commit()
    assert len(send.sent) == 4
    clock.set(vn(2027, 3, 25, 8, 0))
    with session_factory() as s:
        assert prune(s, clock()) == (1, 4)
        assert prune(s, clock()) == (0, 0)
        s.commit()
        assert record_update(s, 1, clock())  # forgotten: Telegram would not send it again anyway
    run(session_factory, send, clock)
    assert len(send.sent) == 4


def test_migration_to_a_chat_that_already_has_the_reminder_sends_it_once(session_factory, clock: Clock) -> None:
    new_id = -1009999
    setup_chat_and_task(session_factory, clock, chats=(CHAT, new_id))
    send = FakeSend()
    send.fail(ChatMigrated(new_id), chat_id=CHAT)
    clock.set(vn(2026, 12, 13, 8, 0))
    run(session_factory, send, clock)
    run(session_factory, send, clock)
    assert [c for c, _ in send.sent] == [new_id]
    assert sorted(r.status for r in outbox(session_factory)) == ["sent", "skipped"]


def test_a_group_upgrade_handled_by_several_threads_at_once_moves_it_once(migrated_url: str, clock: Clock) -> None:
    """Both service messages of an upgrade (and a send that met ChatMigrated) may move a chat at the same
    moment. Each move must succeed: before insert-or-skip, the slower one failed on the unique key of the new
    allowlist entry or subscription (seen as an apology instead of an answer in the bot tests)."""
    from bot.db import AllowedChatRow

    factory = make_session_factory(migrated_url)
    pairs = [(-5000 - i, -1000000005000 - i) for i in range(6)]
    with factory() as s:
        for old, _ in pairs:
            s.add(AllowedChatRow(chat_id=old, added_by=7, added_at=clock()))
            reminders.subscribe(s, old, 7, clock())
        s.commit()
    factory.kw["bind"].dispose()
    threads = 4
    errors: list[BaseException] = []
    for old, new in pairs:
        start = threading.Barrier(threads)

        def move(old: int = old, new: int = new, start: threading.Barrier = start) -> None:
            engine = make_engine(migrated_url)
            try:
                with make_session_factory(engine)() as s:
                    start.wait(30)
                    reminders.migrate_chat(s, old, new, clock())
                    s.commit()
            except BaseException as e:  # noqa: BLE001 - collected and reported below
                errors.append(e)
            finally:
                engine.dispose()

        workers = [threading.Thread(target=move) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
    assert errors == []
    with factory() as s:
        for old, new in pairs:
            assert s.get(AllowedChatRow, old) is None and s.get(AllowedChatRow, new) is not None
            assert reminders.is_subscribed(s, new) and not reminders.is_subscribed(s, old)
    factory.kw["bind"].dispose()
