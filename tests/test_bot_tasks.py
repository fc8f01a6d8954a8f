"""Tasks and reminders on Telegram, end to end: the real Application (bot.app.build_application, with the
task handlers and the reminder sweep job) long polling the fake Bot API server, an injected clock
(build_application(clock=...)), on SQLite and (with CHIDAO_TEST_PG_URL) PostgreSQL. Plus the pure
formatting of bot.task_replies and the import of bot.task_import."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED  # python-telegram-bot[job-queue]
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot import reminders, task_replies, tasks
from bot.app import build_application
from bot.db import OVERDUE_DIGEST, ReminderRow, SubscriptionRow, TaskRow
from bot.reminder_job import START_JOB_NAME, run_sweep, sweep_job
from bot.reminders import dead_local_workers, release_dead_claims
from bot.task_import import import_documents, import_from_index, snapshot_documents
from bot.tasks import OpenTask, Task
from index.model import DocMeta, Document
from tests.conftest import ADMIN_ID, ALLOWED_GROUP
from tests.dbfixtures import Clock, vn
from tests.fake_telegram import FakeTelegram, buttons, running_application, say

pytest_plugins = ["tests.dbfixtures"]

MEMBER = 501  # a user of the allowed group who is not an admin
D = dt.date


def _to(chat_id: int) -> Callable[[Any], bool]:
    return lambda c: c.params.get("chat_id") == chat_id


async def in_group(fake: FakeTelegram, text: str, user_id: int = ADMIN_ID) -> dict[str, Any]:
    return await say(fake, ALLOWED_GROUP, text, user_id=user_id, chat_type="group")


@pytest.fixture
def make_app(
    bot_settings: Any, index_handle: Any, session_factory: sessionmaker[Session], clock: Clock
) -> Callable[[], Any]:
    def make() -> Any:
        return build_application(bot_settings, index_handle, sessions=session_factory, clock=clock)

    return make


STARTUP_SWEPT = "test:startup-swept"  # bot_data key: an asyncio.Event set once the start-up sweep ended


@asynccontextmanager
async def running(make_app: Callable[[], Any]) -> AsyncIterator[Any]:
    application = make_app()
    swept = application.bot_data[STARTUP_SWEPT] = asyncio.Event()
    [start] = application.job_queue.get_jobs_by_name(START_JOB_NAME)
    application.job_queue.scheduler.add_listener(
        lambda event: event.job_id == start.id and swept.set(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
    )
    async with running_application(application) as app:
        yield app


async def startup_swept(application: Any, timeout: float = 10.0) -> None:
    """Wait until the sweep that the application runs at start has ended."""
    await asyncio.wait_for(application.bot_data[STARTUP_SWEPT].wait(), timeout)


@pytest.fixture
async def app(make_app: Callable[[], Any]) -> AsyncIterator[Any]:
    async with running(make_app) as application:
        yield application


async def sweep(application: Any) -> None:
    """Run the installed sweep job now (it waits for a sweep already running, e.g. the start-up one)."""
    job = sweep_job(application)
    assert job is not None, "build_application installs the reminder sweep"
    await job.run(application)


def group_reminders(fake: FakeTelegram) -> list[dict[str, Any]]:
    return [m for m in fake.sent_messages(ALLOWED_GROUP) if "Nhắc hạn công việc #" in m["text"]]


# --------------------------------------------------------------------------------------------------
# /task_add, /tasks, /done, /task


async def test_task_add_parses_and_restates(
    app: Any, fake_telegram: FakeTelegram, session_factory: sessionmaker[Session]
) -> None:
    msg = await say(fake_telegram, ADMIN_ID, "/task_add 20/12/2026 Gửi báo cáo sơ kết <quý IV> & kiến nghị")
    assert "Đã thêm công việc #1" in msg["text"]
    assert "Gửi báo cáo sơ kết <quý IV> & kiến nghị" in msg["text"]  # escaped, parsed back by the fake
    assert "Hạn chót: 20/12/2026 (Chủ nhật) — còn 19 ngày." in msg["text"]
    # A date without a year is its next occurrence; other forms the parser knows.
    msg = await say(fake_telegram, ADMIN_ID, "/task_add 15/1 nộp hồ sơ thi đua")
    assert "Hạn chót: 15/01/2027 (thứ Sáu)" in msg["text"]
    msg = await in_group(fake_telegram, "/task_add cuối tháng 12 rà soát quy hoạch cán bộ", user_id=MEMBER)
    assert "Hạn chót: 31/12/2026 (thứ Năm) — còn 30 ngày." in msg["text"]
    assert msg["reply_to_message"]["text"].startswith("/task_add")  # threaded in a group
    with session_factory() as s:
        rows = s.scalars(select(TaskRow).order_by(TaskRow.id)).all()
        assert [(r.deadline, r.review, r.created_by, r.chat_id) for r in rows] == [
            (D(2026, 12, 20), "accepted", ADMIN_ID, ADMIN_ID),
            (D(2027, 1, 15), "accepted", ADMIN_ID, ADMIN_ID),
            (D(2026, 12, 31), "accepted", MEMBER, ALLOWED_GROUP),
        ]
        assert rows[2].text == "rà soát quy hoạch cán bộ" and rows[2].deadline_text == "cuối tháng 12"
    # Bad input: a one-line usage reply, nothing stored.
    for bad in ("/task_add", "/task_add gửi báo cáo", "/task_add 20/12/2026", "/task_add 31/4 việc gì đó"):
        msg = await say(fake_telegram, ADMIN_ID, bad)
        assert msg["text"].startswith("Cách dùng: /task_add <hạn> <nội dung>") and "\n" not in msg["text"]
    msg = await say(fake_telegram, ADMIN_ID, "/task_add 01/06/2026 việc đã qua")
    assert msg["text"] == "Hạn 01/06/2026 đã qua; anh/chị kiểm tra lại ngày (dd/mm/yyyy)."
    with session_factory() as s:
        assert len(s.scalars(select(TaskRow)).all()) == 3


async def test_tasks_nearest_first_with_overdue_marked(
    app: Any, fake_telegram: FakeTelegram, session_factory: sessionmaker[Session], clock: Clock
) -> None:
    with session_factory() as s:
        far = tasks.add_task(s, "Tổng kết năm", D(2027, 1, 10), None, ADMIN_ID, None, now=clock())
        late = tasks.add_task(s, "Nộp báo cáo tháng 11", D(2026, 11, 28), None, ADMIN_ID, None, now=clock())
        undated = tasks.add_task(s, "Cập nhật sổ tay", None, None, ADMIN_ID, None, now=clock())
        near = tasks.add_task(s, "Họp chi bộ", D(2026, 12, 5), None, ADMIN_ID, None, now=clock())
        s.commit()
    import_from_index(session_factory, [_directive()], clock())  # candidates: not listed before review
    msg = await in_group(fake_telegram, "/tasks", user_id=MEMBER)
    lines = msg["text"].splitlines()
    assert lines[0] == "📋 Công việc đang mở: 4 (ngày 01/12/2026) — 1 quá hạn"
    items = [line for line in lines if line.startswith("• ")]
    assert [int(re.match(r"• #(\d+)", line)[1]) for line in items] == [late.id, near.id, far.id, undated.id]
    assert "⚠️ QUÁ HẠN 3 ngày (hạn 28/11/2026, thứ Bảy)" in items[0]
    assert "hạn 05/12/2026 (thứ Bảy), còn 4 ngày" in items[1]
    assert "hạn 10/01/2027 (Chủ nhật), còn 40 ngày" in items[2]
    assert "chưa có hạn" in items[3]
    assert "<b>QUÁ HẠN 3 ngày</b>" in msg["html"]
    # The next day the counts move with the clock.
    clock.advance(days=1)
    msg = await say(fake_telegram, ADMIN_ID, "/tasks")
    assert "QUÁ HẠN 4 ngày" in msg["text"] and "còn 3 ngày" in msg["text"]


async def test_done(app: Any, fake_telegram: FakeTelegram, session_factory: sessionmaker[Session]) -> None:
    await in_group(fake_telegram, "/task_add 20/12/2026 Gửi báo cáo", user_id=MEMBER)
    await in_group(fake_telegram, "/task_add 22/12/2026 Họp giao ban", user_id=MEMBER)
    msg = await in_group(fake_telegram, "/done #1", user_id=MEMBER)
    assert msg["text"] == "✅ Đã đánh dấu hoàn thành công việc #1: Gửi báo cáo"
    msg = await in_group(fake_telegram, "/tasks", user_id=MEMBER)
    assert "#1 " not in msg["text"] and "#2 Họp giao ban" in msg["text"]
    msg = await in_group(fake_telegram, "/done 1", user_id=MEMBER)
    assert msg["text"] == "Công việc #1 không còn mở (trạng thái: đã xong)."
    msg = await say(fake_telegram, ADMIN_ID, "/done 99")
    assert msg["text"] == "Không tìm thấy công việc #99; anh/chị xem mã trong /tasks."
    msg = await say(fake_telegram, ADMIN_ID, "/done hai")
    assert msg["text"].startswith("Cách dùng: /done <mã công việc>")
    with session_factory() as s:
        assert tasks.get_task(s, 1).status == "done"  # type: ignore[union-attr]
        assert tasks.get_task(s, 2).status == "open"  # type: ignore[union-attr]


async def test_task_shows_the_source_quote(
    app: Any,
    fake_telegram: FakeTelegram,
    session_factory: sessionmaker[Session],
    index_handle: Any,
    clock: Clock,
) -> None:
    import_from_index(session_factory, index_handle.searcher.docs, clock())
    with session_factory() as s:
        [row] = s.scalars(select(TaskRow).where(TaskRow.source_doc == "luong_co_so.txt")).all()
        task_id = row.id
    # A candidate is for admins only until it is accepted.
    msg = await in_group(fake_telegram, f"/task {task_id}", user_id=MEMBER)
    assert msg["text"] == f"Không tìm thấy công việc #{task_id}; anh/chị xem mã trong /tasks."
    msg = await say(fake_telegram, ADMIN_ID, f"/task {task_id}")
    text, html = msg["text"], msg["html"]
    assert text.startswith(f"📌 Công việc #{task_id}\nCác cơ quan, đơn vị rà soát danh sách người hưởng lương")
    assert "QUÁ HẠN 864 ngày (hạn 20/07/2024, thứ Bảy)" in text
    assert "Văn bản ghi: «trước ngày 20/7/2024»" in text
    assert "Phụ trách: Các cơ quan, đơn vị" in text and "Trạng thái: đang mở, chờ duyệt" in text
    assert (
        "<blockquote>Các cơ quan, đơn vị rà soát danh sách người hưởng lương, gửi Sở Nội vụ trước ngày "
        "20/7/2024 để tổng hợp.</blockquote>" in html
    )
    assert "📄 <i>Hướng dẫn thực hiện mức lương cơ sở từ ngày 01/7/2024</i>" in html
    assert "Sở Nội vụ tỉnh Quảng Ngãi — 08/07/2024 — đoạn 2" in text
    with session_factory() as s:
        tasks.accept(s, task_id, ADMIN_ID)
        s.commit()
    msg = await in_group(fake_telegram, f"/task {task_id}", user_id=MEMBER)
    assert "<blockquote>Các cơ quan, đơn vị rà soát" in msg["html"] and "Trạng thái: đang mở" in msg["text"]
    # A task added by hand has no quote; bad ids get the usage line.
    await say(fake_telegram, ADMIN_ID, "/task_add 20/12/2026 Gửi báo cáo")
    msg = await say(fake_telegram, ADMIN_ID, "/task")
    assert msg["text"].startswith("Cách dùng: /task <mã công việc>")


# --------------------------------------------------------------------------------------------------
# /subscribe, /unsubscribe


async def test_subscribe_by_admin_refused_for_others(
    app: Any, fake_telegram: FakeTelegram, session_factory: sessionmaker[Session]
) -> None:
    msg = await in_group(fake_telegram, "/subscribe", user_id=MEMBER)
    assert msg["text"] == task_replies.ADMIN_ONLY
    with session_factory() as s:
        assert not reminders.is_subscribed(s, ALLOWED_GROUP)
    msg = await in_group(fake_telegram, "/subscribe")
    assert msg["text"].startswith("🔔 Đã đăng ký nhắc hạn công việc cho nhóm này. Nhắc lúc 08:00 trước hạn 7, 3, 1")
    assert "đúng ngày hạn chót" in msg["text"]
    msg = await in_group(fake_telegram, "/subscribe")
    assert msg["text"].startswith("🔔 Nhóm này đã đăng ký nhắc hạn từ trước.")
    with session_factory() as s:
        assert reminders.is_subscribed(s, ALLOWED_GROUP)
        assert s.get(SubscriptionRow, ALLOWED_GROUP).subscribed_by == ADMIN_ID  # type: ignore[union-attr]
    msg = await say(fake_telegram, ADMIN_ID, "/subscribe")  # a private chat: its own reminders
    assert msg["text"].startswith("🔔 Đã đăng ký nhắc hạn công việc riêng của anh/chị (và việc chung)")
    msg = await say(fake_telegram, 3003, "/subscribe")  # a stranger: the refusal, nothing stored
    assert "3003" in msg["text"] and "quản trị viên" in msg["text"]
    with session_factory() as s:
        assert reminders.is_subscribed(s, ADMIN_ID) and not reminders.is_subscribed(s, 3003)
    msg = await in_group(fake_telegram, "/unsubscribe", user_id=MEMBER)
    assert msg["text"] == task_replies.ADMIN_ONLY
    msg = await in_group(fake_telegram, "/unsubscribe")
    assert msg["text"] == task_replies.UNSUBSCRIBED
    msg = await in_group(fake_telegram, "/unsubscribe")
    assert msg["text"] == task_replies.NOT_SUBSCRIBED
    with session_factory() as s:
        assert not reminders.is_subscribed(s, ALLOWED_GROUP)


async def test_stranger_gets_the_refusal(app: Any, fake_telegram: FakeTelegram) -> None:
    msg = await say(fake_telegram, 3003, "/tasks")
    assert "3003" in msg["text"] and "quản trị viên" in msg["text"]
    # Refusals are rate-limited per chat (one per period): another stranger's chat for the second command.
    msg = await say(fake_telegram, 3004, "/task_add 20/12/2026 việc lạ")
    assert "3004" in msg["text"] and "Đã thêm" not in msg["text"]


# --------------------------------------------------------------------------------------------------
# Reminders: the sweep job with the real bot


async def test_reminder_sent_once_across_sweeps_and_a_restart(
    make_app: Callable[[], Any], fake_telegram: FakeTelegram, clock: Clock
) -> None:
    async with running(make_app) as application:
        await in_group(fake_telegram, "/subscribe")
        await in_group(fake_telegram, "/task_add 10/12/2026 Gửi phương án bố trí cán bộ dôi dư", user_id=MEMBER)
        await sweep(application)
        assert group_reminders(fake_telegram) == []  # nothing due yet
        clock.set(vn(2026, 12, 3, 8, 1))  # the 7-day reminder is due at 08:00
        await sweep(application)
        await sweep(application)
        [first] = group_reminders(fake_telegram)
        assert first["text"].splitlines()[:3] == [
            "⏰ Nhắc hạn công việc #1",
            "Gửi phương án bố trí cán bộ dôi dư",
            "Hạn chót: 10/12/2026 — còn 7 ngày",
        ]
    # A new Application on the same database: its start-up sweep and another one send nothing again.
    async with running(make_app) as application:
        await startup_swept(application)
        await sweep(application)
        assert len(group_reminders(fake_telegram)) == 1
        clock.set(vn(2026, 12, 7, 8, 0))  # the 3-day reminder
        await sweep(application)
        await sweep(application)
        assert [m["text"].splitlines()[2] for m in group_reminders(fake_telegram)] == [
            "Hạn chót: 10/12/2026 — còn 7 ngày",
            "Hạn chót: 10/12/2026 — còn 3 ngày",
        ]
    assert all(c.params.get("parse_mode") == "HTML" for c in fake_telegram.calls_of("sendMessage"))


async def test_reminder_due_during_downtime_goes_out_on_start_marked_late(
    make_app: Callable[[], Any],
    fake_telegram: FakeTelegram,
    clock: Clock,
    session_factory: sessionmaker[Session],
) -> None:
    async with running(make_app):
        await in_group(fake_telegram, "/subscribe")
        await in_group(fake_telegram, "/task_add 10/12/2026 Nộp hồ sơ đại hội chi bộ")
    # Down from 1/12 to 3/12 11:00; the 7-day reminder fell due at 08:00 on 3/12.
    clock.set(vn(2026, 12, 3, 11, 0))
    async with running(make_app):
        await fake_telegram.await_for("sendMessage", lambda c: "Nhắc hạn" in str(c.params.get("text")), timeout=10)
        [late] = group_reminders(fake_telegram)
        assert late["text"].startswith("⏰ Nhắc hạn công việc #1 (nhắc muộn)\nNộp hồ sơ đại hội chi bộ")
    with session_factory() as s:
        [row] = reminders.outbox(s, ALLOWED_GROUP)
        assert row.status == "sent" and row.late and row.kind == "offset-7"


async def test_batch_claimed_by_a_killed_process_goes_out_on_start(
    make_app: Callable[[], Any],
    fake_telegram: FakeTelegram,
    clock: Clock,
    session_factory: sessionmaker[Session],
) -> None:
    """A process of this host was killed in the middle of a batch: its claimed rows are sent on the next
    start at once, not after CLAIM_STALE_AFTER; rows it had marked sent are not sent again."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_worker = f"{socket.gethostname()}:{int(dead.stdout)}"
    with session_factory() as s:
        reminders.subscribe(s, ALLOWED_GROUP, ADMIN_ID, clock())
        for i in range(5):
            tasks.add_task(s, f"Việc {i}", D(2026, 12, 10), None, ADMIN_ID, None, now=clock())
        due = vn(2026, 12, 3, 8, 0)
        reminders.plan_due(s, due, reminders_settings())
        ids = reminders.claim_batch(s, dead_worker, 5, due)
        s.execute(update(ReminderRow).where(ReminderRow.id.in_(ids[:2])).values(status="sent", sent_at=due))
        s.commit()
    clock.set(due + dt.timedelta(minutes=1))  # restarted a minute later: the claims are not stale yet
    async with running(make_app) as application:
        await fake_telegram.await_for("sendMessage", _to(ALLOWED_GROUP), count=3, timeout=10)
        await startup_swept(application)
    assert sorted(int(re.search(r"#(\d+)", m["text"])[1]) for m in group_reminders(fake_telegram)) == [
        3,
        4,
        5,
    ]
    with session_factory() as s:
        assert {r.status for r in reminders.outbox(s)} == {"sent"}


async def test_an_outage_longer_than_five_sweeps_only_delays_the_reminder(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    from telegram.error import NetworkError

    with session_factory() as s:
        reminders.subscribe(s, ALLOWED_GROUP, ADMIN_ID, clock())
        tasks.add_task(s, "Gửi báo cáo", D(2026, 12, 10), None, ADMIN_ID, None, now=clock())
        s.commit()
    sent: list[str] = []
    down = {"sweeps": 8}

    async def send_message(chat_id: int, text: str, parse_mode: str) -> None:
        if down["sweeps"] > 0:
            raise NetworkError("Bad Gateway")
        sent.append(text)

    bot = SimpleNamespace(send_message=send_message)
    clock.set(vn(2026, 12, 3, 8, 0))
    for _ in range(8):  # eight minutes of outage
        report = await run_sweep(session_factory, reminders_settings(), "w", clock, bot)
        assert report is not None and not report.sent and not report.failed
        down["sweeps"] -= 1
        clock.advance(minutes=1)
    report = await run_sweep(session_factory, reminders_settings(), "w", clock, bot)
    assert report is not None and len(report.sent) == 1
    assert sent[0].startswith("⏰ <b>Nhắc hạn công việc #1</b>") and "Gửi báo cáo" in sent[0]


async def test_reminders_throttled_retried_and_blocked_group_skipped(
    app: Any, fake_telegram: FakeTelegram, clock: Clock, session_factory: sessionmaker[Session]
) -> None:
    """Through the application's rate limiter: a 429 and a 502 cost nothing; a chat Telegram answers
    "chat not found" for (the bot was removed) is marked blocked and skipped from then on."""
    gone = -9009
    with session_factory() as s:
        reminders.subscribe(s, ALLOWED_GROUP, ADMIN_ID, clock())
        reminders.subscribe(s, gone, ADMIN_ID, clock())
        for i in range(3):
            tasks.add_task(s, f"Việc {i}", D(2026, 12, 10), None, ADMIN_ID, None, now=clock())
        s.commit()
    fake_telegram.inject("sendMessage", "429", retry_after=1)
    fake_telegram.inject("sendMessage", "502")
    clock.set(vn(2026, 12, 3, 8, 0))
    real_send = fake_telegram._m_sendMessage

    def send_or_refuse(params: dict[str, Any]) -> dict[str, Any]:
        from tests.fake_telegram import TelegramAPIError

        if params.get("chat_id") == gone:
            raise TelegramAPIError(400, "Bad Request: chat not found")
        return real_send(params)

    fake_telegram._m_sendMessage = send_or_refuse  # type: ignore[method-assign]
    await sweep(app)
    assert sorted(int(re.search(r"#(\d+)", m["text"])[1]) for m in group_reminders(fake_telegram)) == [
        1,
        2,
        3,
    ]
    with session_factory() as s:
        assert not reminders.is_subscribed(s, gone)
        statuses = {(r.chat_id, r.status) for r in reminders.outbox(s)}
    assert statuses == {(ALLOWED_GROUP, "sent"), (gone, "skipped")}
    sent_to_gone = len([c for c in fake_telegram.calls_of("sendMessage", status=None) if c.params["chat_id"] == gone])
    clock.set(vn(2026, 12, 7, 8, 0))
    await sweep(app)
    assert len(group_reminders(fake_telegram)) == 6
    assert sent_to_gone == len(
        [c for c in fake_telegram.calls_of("sendMessage", status=None) if c.params["chat_id"] == gone]
    )


# --------------------------------------------------------------------------------------------------
# /tasks_review


def _directive() -> Document:
    return Document(
        "ket_luan_giao_ban.txt",
        "Kết luận giao ban Ban Thường vụ Tỉnh ủy",
        D(2026, 11, 20),
        "Tỉnh ủy",
        (
            "Ban Thường vụ Tỉnh ủy yêu cầu các huyện ủy gửi phương án bố trí cán bộ dôi dư về Ban Tổ chức "
            "Tỉnh ủy trước ngày 15/12/2026.",
            "Sở Nội vụ tổng hợp kết quả sắp xếp, báo cáo UBND tỉnh trước ngày 20/12/2026.",
        ),
    )


async def test_review_accept_plans_reminders_drop_does_not(
    app: Any, fake_telegram: FakeTelegram, clock: Clock, session_factory: sessionmaker[Session]
) -> None:
    import_from_index(session_factory, [_directive()], clock())
    await in_group(fake_telegram, "/subscribe")
    msg = await in_group(fake_telegram, "/tasks_review", user_id=MEMBER)
    assert msg["text"] == "Xin lỗi, chức năng này chỉ dành cho quản trị viên của trợ lý."
    page = await say(fake_telegram, ADMIN_ID, "/tasks_review")
    assert page["text"].startswith("🗂 Nhiệm vụ chờ duyệt: 2 trong 1 văn bản\n📄 Văn bản 1/1: ket_luan_giao_ban.txt")
    assert "#1 Ban Thường vụ Tỉnh ủy yêu cầu các huyện ủy gửi phương án" in page["text"]
    assert "hạn 15/12/2026 (thứ Ba), còn 14 ngày" in page["text"]
    data = buttons(page)
    assert data == {
        "✅ Nhận cả văn bản (2)": "tk:A:1",
        "🗄 Lưu trữ cả văn bản (2)": "tk:D:1",
        "✅ Nhận #1": "tk:a:1",
        "❌ Bỏ #1": "tk:d:1",
        "✅ Nhận #2": "tk:a:2",
        "❌ Bỏ #2": "tk:d:2",
    }
    # Only admins press the buttons.
    fake_telegram.feed_callback(ADMIN_ID, page["message_id"], data["✅ Nhận #1"], user_id=MEMBER)
    [refused] = await fake_telegram.await_for("answerCallbackQuery")
    assert refused.params["text"] == "Xin lỗi, chức năng này chỉ dành cho quản trị viên của trợ lý."
    fake_telegram.feed_callback(ADMIN_ID, page["message_id"], data["✅ Nhận #1"])
    await fake_telegram.await_for("editMessageText", count=1)
    fake_telegram.feed_callback(ADMIN_ID, page["message_id"], data["❌ Bỏ #2"])
    await fake_telegram.await_for("editMessageText", count=2)
    edited = fake_telegram.message(ADMIN_ID, page["message_id"])
    assert edited["text"].startswith("❌ Đã bỏ nhiệm vụ #2.")
    assert task_replies.NO_CANDIDATES in edited["text"] and "reply_markup" not in edited
    answers = [c.params.get("text") for c in fake_telegram.calls_of("answerCallbackQuery")]
    assert answers[1].startswith("✅ Đã nhận nhiệm vụ #1") and answers[2] == "❌ Đã bỏ nhiệm vụ #2."
    with session_factory() as s:
        assert [(r.id, r.review) for r in s.scalars(select(TaskRow).order_by(TaskRow.id))] == [
            (1, "accepted"),
            (2, "dropped"),
        ]
    # Due moments of both: only the accepted one reminds.
    # Sweeps at #2's due moments too (13/12 is its 7-day one, 20/12 its deadline).
    for when in (
        vn(2026, 12, 8, 8, 0),
        vn(2026, 12, 13, 8, 0),
        vn(2026, 12, 15, 8, 0),
        vn(2026, 12, 20, 8, 0),
    ):
        clock.set(when)
        await sweep(app)
    with session_factory() as s:
        planned = {(r.task_id, r.kind, r.status) for r in reminders.outbox(s)}
    assert planned == {
        (1, "offset-7", "sent"),
        (1, "offset-3", "sent"),  # 12/12 was missed; it goes out late on 13/12
        (1, "offset-0", "sent"),
        (None, OVERDUE_DIGEST, "sent"),  # on 20/12 #1 is overdue
    }
    texts = [m["text"] for m in fake_telegram.sent_messages(ALLOWED_GROUP) if m["text"].startswith(("⏰", "📋"))]
    assert len(texts) == 4 and all("#1" in t and "#2" not in t for t in texts)
    # The buttons carry only the task id: pressing an old one again is harmless.
    fake_telegram.feed_callback(ADMIN_ID, page["message_id"], data["✅ Nhận #1"])
    await fake_telegram.await_for("answerCallbackQuery", count=4)


async def test_review_pages_and_stale_buttons(
    app: Any, fake_telegram: FakeTelegram, clock: Clock, session_factory: sessionmaker[Session]
) -> None:
    doc = Document(
        "ke_hoach.txt",
        "Kế hoạch",
        D(2026, 11, 20),
        None,
        tuple(f"Sở Nội vụ báo cáo nội dung số {i} về UBND tỉnh trước ngày {i}/12/2026." for i in range(2, 9)),
    )
    import_from_index(session_factory, [doc], clock())
    page = await say(fake_telegram, ADMIN_ID, "/tasks_review")
    assert "chờ duyệt: 7" in page["text"] and "Còn" not in page["text"]
    assert len(buttons(page)) == 2 + 2 * 7
    fake_telegram.feed_callback(ADMIN_ID, page["message_id"], "tk:a:999")
    [answer] = await fake_telegram.await_for("answerCallbackQuery")
    assert answer.params["text"] == task_replies.GONE


# --------------------------------------------------------------------------------------------------
# Questions about deadlines


async def test_question_about_deadlines_shows_the_tasks_block_pure(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    today = D(2026, 12, 1)  # a Tuesday
    with session_factory() as s:
        import_documents(s, [_directive()], clock())
        for t in tasks.list_candidates(s):
            tasks.accept(s, t.id, ADMIN_ID, clock())
        tasks.add_task(s, "Họp chi bộ tháng 12", D(2026, 12, 4), None, MEMBER, ALLOWED_GROUP, now=clock())
        tasks.add_task(s, "Nộp báo cáo tháng 11", D(2026, 11, 30), None, MEMBER, ALLOWED_GROUP, now=clock())
        s.commit()

        def tasks_block(question: str) -> str | None:
            return task_replies.tasks_block(tasks.question_tasks(s, question, today), today)

        block = tasks_block("tuần này có việc gì đến hạn?")
        assert block is not None
        lines = block.splitlines()
        assert lines[0] == "📌 <b>Công việc đến hạn trong tuần này</b>"
        assert lines[1].startswith("• <b>#3</b> Họp chi bộ tháng 12 — hạn <b>04/12/2026</b> (thứ Sáu), còn 3 ngày")
        # The overdue one is apart, with how late it is.
        assert lines[2] == "⚠️ <b>Đã quá hạn: 1</b>"
        assert re.match(r"• <b>#4</b> Nộp báo cáo tháng 11 — ⚠️ <b>QUÁ HẠN 1 ngày</b>", lines[3])
        assert len(lines) == 4  # 15/12 and 20/12 are later

        block = tasks_block("Hạn gửi phương án bố trí cán bộ dôi dư là khi nào?")
        assert block is not None
        assert block.splitlines()[0] == "📌 <b>Công việc liên quan</b>"
        assert "<b>#1</b> Ban Thường vụ Tỉnh ủy yêu cầu các huyện ủy gửi phương án bố trí cán bộ dôi dư" in block
        assert "hạn <b>15/12/2026</b> (thứ Ba), còn 14 ngày" in block and "#2" not in block

        assert tasks_block("tuần sau có việc gì đến hạn") == (
            "📌 <b>Công việc đến hạn trong tuần sau</b>: không có.\n⚠️ <b>Đã quá hạn: 1</b>\n"
            + task_replies.task_line(tasks.get_task(s, 4), today, 200)  # type: ignore[arg-type]
        )
        assert "#2" in (tasks_block("tháng này phải làm những việc gì?") or "")
        assert tasks_block("mức lương cơ sở là bao nhiêu?") is None  # not about tasks
        assert tasks_block("hạn nộp hồ sơ thi đua khen thưởng") is None  # no such task


async def test_question_about_deadlines_shows_the_tasks_block(
    app: Any, fake_telegram: FakeTelegram, clock: Clock, session_factory: sessionmaker[Session]
) -> None:
    import_from_index(session_factory, [_directive()], clock())
    with session_factory() as s:
        tasks.accept(s, 1, ADMIN_ID, clock())
        s.commit()
    msg = await say(fake_telegram, ADMIN_ID, "hạn gửi phương án bố trí cán bộ dôi dư là khi nào?")
    assert "Công việc liên quan" in msg["text"]
    assert "#1 Ban Thường vụ Tỉnh ủy yêu cầu các huyện ủy gửi phương án bố trí cán bộ dôi dư" in msg["text"]
    assert "hạn 15/12/2026 (thứ Ba), còn 14 ngày" in msg["text"]
    msg = await say(fake_telegram, ADMIN_ID, "tuần này có việc gì đến hạn?")
    assert "Công việc đến hạn trong tuần này" in msg["text"]


# --------------------------------------------------------------------------------------------------
# Import after a (re)index


def test_import_from_index_snapshot_then_document_removed(
    session_factory: sessionmaker[Session], tiny_index: Any, clock: Clock
) -> None:
    docs = snapshot_documents(tiny_index)
    first = import_from_index(session_factory, docs, clock())
    assert first.documents == 5 and first.added == first.candidates == 4
    again = import_from_index(session_factory, docs, clock())
    assert again.added == again.cancelled == 0
    with session_factory() as s:
        assert {t.source_doc for t in tasks.list_candidates(s)} == {
            "an_ninh_mang.txt",
            "chuyen_doi_so.txt",
            "luong_co_so.txt",
        }
    gone = import_from_index(session_factory, [d for d in docs if d.path != "chuyen_doi_so.txt"], clock())
    assert gone.removed_documents == ["chuyen_doi_so.txt"] and gone.cancelled == 2
    with session_factory() as s:
        assert {t.source_doc for t in tasks.list_candidates(s)} == {"an_ninh_mang.txt", "luong_co_so.txt"}
    back = import_from_index(session_factory, docs, clock())
    assert back.reopened == 2 and back.added == 0


def test_import_keeps_tasks_of_a_document_whose_extraction_fails(
    session_factory: sessionmaker[Session], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_from_index(session_factory, [_directive()], clock())
    import bot.task_import as ti

    def broken(doc: Document) -> list[Any]:
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(ti, "extract_tasks", broken)
    summary = import_from_index(session_factory, [_directive()], clock())
    assert summary.failed_documents == ["ket_luan_giao_ban.txt"] and summary.cancelled == 0
    with session_factory() as s:
        assert len(tasks.list_candidates(s)) == 2


# --------------------------------------------------------------------------------------------------
# Pure pieces


def _task(id: int, text: str, deadline: D | None, **kw: Any) -> Task:
    values: dict[str, Any] = dict(
        owner=None, recurrence=None, deadline_text=None, status="open", review="accepted", source_doc=None,
        source_paragraph=None, created_by=1, chat_id=None, done_at=None,
    )  # fmt: skip
    values.update(kw)
    return Task(id=id, text=text, deadline=deadline, **values)


def test_long_task_list_is_cut_under_the_limit() -> None:
    today = D(2026, 12, 1)
    items = [
        OpenTask(_task(i, "Nội dung công việc rất dài <&> " * 20, D(2026, 12, 2)), 1, False) for i in range(1, 200)
    ]
    text = task_replies.task_list_text(items, today)
    from bot.replies import visible_len
    from tests.fake_telegram import parse_html

    assert visible_len(text) <= 4096 and len(parse_html(text)) <= 4096
    assert re.search(r"… và \d+ việc khác", text) and text.endswith("báo xong: /done &lt;mã&gt;.")


def test_review_callback_data() -> None:
    data = task_replies.encode_review(True, 10**9 - 1)
    assert len(data.encode()) <= 64 and task_replies.decode_review(data) == task_replies.ReviewAction(True, 10**9 - 1)
    assert task_replies.decode_review("tk:d:12") == task_replies.ReviewAction(False, 12)
    # A number no task id can be (the database would refuse it) is malformed data.
    for bad in ("tk:x:1", "tk:a:", "tk:a:1:2", "a:p:1", "tk:a:-1", f"tk:a:{10**17}"):
        assert task_replies.decode_review(bad) is None


@pytest.mark.parametrize(
    ("question", "first", "last"),
    [
        ("tuần này có việc gì đến hạn?", D(2026, 12, 1), D(2026, 12, 6)),
        ("tuan sau co viec gi", D(2026, 12, 7), D(2026, 12, 13)),
        ("việc nào đến hạn hôm nay", D(2026, 12, 1), D(2026, 12, 1)),
        ("tháng này", D(2026, 12, 1), D(2026, 12, 31)),
        ("thang nay", D(2026, 12, 1), D(2026, 12, 31)),
        ("tháng sau có nhiệm vụ gì", D(2027, 1, 1), D(2027, 1, 31)),
        ("việc gì quá hạn", None, D(2026, 11, 30)),
    ],
)
def test_question_period(question: str, first: D | None, last: D) -> None:
    period = tasks.question_period(question, D(2026, 12, 1))
    assert period is not None and (period.first, period.last) == (first, last)


def test_detail_without_the_index_names_the_source() -> None:
    t = _task(5, "Báo cáo", D(2026, 12, 3), source_doc="cu/da_xoa.docx", source_paragraph=4, created_by=None)
    text = task_replies.task_detail_text(t, D(2026, 12, 1))
    assert "Nguồn: cu/da_xoa.docx, đoạn 4 (văn bản không còn trong chỉ mục)" in text
    meta = DocMeta("a.txt", "Tiêu đề <x>", D(2026, 1, 2), None, 9)
    t2 = _task(6, "Báo cáo", D(2026, 12, 3), source_doc="a.txt", source_paragraph=4)
    html = task_replies.task_detail_text(t2, D(2026, 12, 1), meta, "Đoạn & nội dung " * 600)
    from bot.replies import visible_len

    assert visible_len(html) <= 4096 and "<blockquote>Đoạn &amp; nội dung" in html


def test_dead_claims_of_this_host_only() -> None:
    alive = {10, 20}.__contains__
    claimed = ["h:10", "h:11", "h:20", "other:11", "h:x", "h:30"]
    assert dead_local_workers(claimed, me="h:30", host="h", alive=alive) == ["h:11", "h:30"]


def test_release_dead_claims(session_factory: sessionmaker[Session], clock: Clock) -> None:
    with session_factory() as s:
        reminders.subscribe(s, ALLOWED_GROUP, ADMIN_ID, clock())
        for i in range(3):
            tasks.add_task(s, f"Việc {i}", D(2026, 12, 10), None, ADMIN_ID, None, now=clock())
        now = vn(2026, 12, 3, 8, 0)
        reminders.plan_due(s, now, reminders_settings())
        ids = reminders.claim_batch(s, "h:11", 2, now)
        s.commit()
        assert len(ids) == 2
        assert release_dead_claims(s, me="h:30", host="h", alive=lambda pid: pid != 11) == 2
        s.commit()
        assert s.scalars(select(ReminderRow.claimed_by).where(ReminderRow.claimed_by.is_not(None))).all() == []


def reminders_settings() -> Any:
    from tests.dbfixtures import make_settings

    return make_settings()
