"""Nothing lost, nothing sent twice, nothing jammed: the real Application (bot.app.build_application) long
polling a fake Bot API that fails the way real servers do (5xx, 429, read timeouts after the message was
accepted, connection refused, update ids restarting), on the shared `database_url` (SQLite, and PostgreSQL
in CI's second pass)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import reminders, tasks
from bot.app import build_application
from bot.db import AllowedChatRow, ProcessedUpdateRow, ReminderRow
from bot.reminder_job import sweep_job
from tests.conftest import ADMIN_ID, ALLOWED_GROUP, STRANGER_ID
from tests.dbfixtures import Clock, vn
from tests.fake_telegram import FakeTelegram, running_application, say, until

D = dt.date
QUESTION = "mức lương cơ sở từ ngày 01/7/2024 là bao nhiêu?"


def _to(chat_id: int) -> Callable[[Any], bool]:
    return lambda c: c.params.get("chat_id") == chat_id


@pytest.fixture
def clock() -> Clock:
    return Clock(vn(2026, 12, 1, 9, 0))


@asynccontextmanager
async def running(
    settings: Any, index_handle: Any, sessions: sessionmaker[Session], clock: Clock
) -> AsyncIterator[Any]:
    application = build_application(settings, index_handle, sessions=sessions, clock=clock)
    async with running_application(application) as app:
        yield app


def outbox(sessions: sessionmaker[Session]) -> list[reminders.OutboxItem]:
    with sessions() as s:
        return reminders.outbox(s)


# --------------------------------------------------------------------------------------------------
# B. One retry policy: a reminder whose sendMessage times out after Telegram accepted it goes out once


async def test_reminder_read_timeout_after_acceptance_is_delivered_once(
    bot_settings: Any,
    index_handle: Any,
    bot_sessions: sessionmaker[Session],
    fake_telegram: FakeTelegram,
    clock: Clock,
) -> None:
    settings = bot_settings.model_copy(update={"telegram_read_timeout": 1.0})
    with bot_sessions() as s:
        reminders.subscribe(s, ALLOWED_GROUP, ADMIN_ID, clock())
        tasks.add_task(s, "Gửi báo cáo sơ kết", D(2026, 12, 10), None, ADMIN_ID, None, now=clock())
        s.commit()
    clock.set(vn(2026, 12, 3, 8, 0))  # the 7-day reminder is due
    # Telegram posts the message, but its answer comes after the bot stopped waiting (a read timeout).
    fake_telegram.inject("sendMessage", "accept_then_stall", seconds=2.5)
    async with running(settings, index_handle, bot_sessions, clock) as app:
        await until(lambda: [r.status for r in outbox(bot_sessions)] == ["sent"], what="reminder marked sent")
        job = sweep_job(app)
        assert job is not None
        await job.run(app)  # a later sweep: nothing to send again
        clock.advance(minutes=5)
        await job.run(app)
    sent = fake_telegram.calls_of("sendMessage")
    assert len([c for c in sent if c.params["chat_id"] == ALLOWED_GROUP]) == 1
    (row,) = outbox(bot_sessions)
    assert row.status == "sent" and (row.last_error or "").startswith("unconfirmed: TimedOut")


# --------------------------------------------------------------------------------------------------
# A. A Bot API server that restarted its update ids, with an old database: every update answered


def answers_to(fake: FakeTelegram, chat_id: int) -> list[dict[str, Any]]:
    return [m for m in fake.sent_messages(chat_id) if "2.340.000" in m["text"] or "đảng viên" in m["text"]]


async def test_update_ids_restarting_with_an_old_database_every_update_answered(
    bot_settings: Any,
    index_handle: Any,
    bot_sessions: sessionmaker[Session],
    fake_telegram: FakeTelegram,
    clock: Clock,
) -> None:
    questions = ["mức lương cơ sở", "kết nạp đảng viên học sinh"] * 4
    async with running(bot_settings, index_handle, bot_sessions, clock):
        for q in questions:
            fake_telegram.feed_message(ADMIN_ID, q)
        await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), count=len(questions), timeout=20)
    # The Bot API server lost its state (or a new one took over): update ids start from 1 again.
    fake_telegram.restart_update_ids()
    clock.advance(hours=3)
    async with running(bot_settings, index_handle, bot_sessions, clock):
        for q in questions:
            fake_telegram.feed_message(ADMIN_ID, q)
        await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), count=2 * len(questions), timeout=20)
        # A redelivery of the same update (the confirmation was lost) is still not answered twice.
        fake_telegram.redeliver(1)
        fake_telegram.feed_message(ADMIN_ID, "mức lương cơ sở")
        await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), count=2 * len(questions) + 1, timeout=20)
    assert len(answers_to(fake_telegram, ADMIN_ID)) == 2 * len(questions) + 1
    with bot_sessions() as s:
        states = s.scalars(select(ProcessedUpdateRow.state)).all()
    assert set(states) == {"done"}


async def test_prune_on_a_schedule_deletes_old_update_ids_and_finished_reminders(
    bot_settings: Any,
    index_handle: Any,
    bot_sessions: sessionmaker[Session],
    fake_telegram: FakeTelegram,
    clock: Clock,
) -> None:
    from bot.reminder_job import prune_job

    settings = bot_settings.model_copy(update={"prune_updates_days": 3, "prune_outbox_days": 30})
    with bot_sessions() as s:
        task = tasks.add_task(s, "Việc cũ", D(2026, 10, 1), None, ADMIN_ID, None, now=clock() - dt.timedelta(days=70))
        for days, status in [(40, "sent"), (40, "skipped"), (40, "failed"), (10, "sent")]:
            s.add(
                ReminderRow(
                    task_id=task.id, chat_id=ALLOWED_GROUP, due_at=clock() - dt.timedelta(days=days),
                    kind=f"offset-{days}-{status}", status=status, created_at=clock(),
                )
            )  # fmt: skip
        for update_id, days in [(1, 5), (2, 4), (3, 1)]:
            s.add(ProcessedUpdateRow(update_id=update_id, at=clock() - dt.timedelta(days=days), state="done"))
        s.commit()
    async with running(settings, index_handle, bot_sessions, clock) as app:
        job = prune_job(app)
        assert job is not None and job.job.trigger.interval.total_seconds() == 3600  # scheduled hourly
        await job.run(app)
    with bot_sessions() as s:
        assert s.scalars(select(ProcessedUpdateRow.update_id)).all() == [3]
        left = {(r.kind, r.status) for r in s.scalars(select(ReminderRow))}
    assert left == {("offset-10-sent", "sent")}


# --------------------------------------------------------------------------------------------------
# C. No update lost: questions fetched just before an outage are answered once after it


class _Retries(logging.Handler):
    """Counts the transport's failed tries of sendMessage (the bot's own log lines)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.changed = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("sendMessage failed"):
            self.count += 1
            self.changed.set()


async def test_questions_fetched_before_an_outage_are_answered_once_after_it(
    bot_settings: Any,
    index_handle: Any,
    bot_sessions: sessionmaker[Session],
    fake_telegram: FakeTelegram,
    clock: Clock,
) -> None:
    members = [601, 602, 603, 604, 605]
    retries = _Retries()
    logging.getLogger().addHandler(retries)
    try:
        async with running(bot_settings, index_handle, bot_sessions, clock):
            fake_telegram.go_down_after_next_updates()
            asked = [
                fake_telegram.feed_message(ALLOWED_GROUP, f"/hoi {QUESTION}", user_id=m, chat_type="group")
                for m in members
            ]
            await until(lambda: fake_telegram.outages == 1, what="the outage")
            # The outage lasts until every reply was refused more often than a transport that gives up after
            # four retries would try (the bot of the issue lost these answers that way).
            await until(lambda: retries.count >= 5 * len(members), timeout=60, what="retries during the outage")
            fake_telegram.come_up()
            await fake_telegram.await_for("sendMessage", _to(ALLOWED_GROUP), count=len(members), timeout=60)
            await until(lambda: _all_done(bot_sessions, asked), what="updates marked done")
    finally:
        logging.getLogger().removeHandler(retries)
    replies = fake_telegram.sent_messages(ALLOWED_GROUP)
    answered = sorted(m["reply_to_message"]["from"]["id"] for m in replies)
    assert answered == members  # each question answered, exactly once
    assert all("2.340.000" in m["text"] for m in replies)


def _all_done(sessions: sessionmaker[Session], update_ids: list[int]) -> bool:
    with sessions() as s:
        rows = s.scalars(select(ProcessedUpdateRow).where(ProcessedUpdateRow.update_id.in_(update_ids))).all()
        return len(rows) == len(update_ids) and all(r.state == "done" for r in rows)


async def test_pending_update_of_a_crashed_process_is_answered_at_the_next_start(
    bot_settings: Any,
    index_handle: Any,
    bot_sessions: sessionmaker[Session],
    fake_telegram: FakeTelegram,
    clock: Clock,
) -> None:
    """A process fetched and confirmed a question, could not deliver its answer, and died: the next start
    answers it from the database (Telegram will not send it again)."""
    from telegram import Update

    from bot.db import claim_update, update_digest

    update_id = fake_telegram.feed_message(ADMIN_ID, QUESTION)
    with fake_telegram._lock:  # the update as the dead process received it; Telegram forgot it (confirmed)
        payload = dict(fake_telegram._history[update_id])
        fake_telegram._updates.clear()
    digest = update_digest(Update.de_json(payload, None).to_dict())  # type: ignore[arg-type]
    with bot_sessions() as s:
        assert claim_update(s, update_id, digest, payload, clock() - dt.timedelta(minutes=5)) == "new"
        s.commit()
    async with running(bot_settings, index_handle, bot_sessions, clock):
        await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), timeout=20)
        await until(lambda: _all_done(bot_sessions, [update_id]), what="the update marked done")
    assert len(answers_to(fake_telegram, ADMIN_ID)) == 1


# --------------------------------------------------------------------------------------------------
# D. Access is one decision


MEMBER = 501


def reminders_to(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [m["text"] for m in fake.sent_messages(chat_id) if "Nhắc hạn công việc #" in m["text"]]


async def test_deny_ends_the_chats_reminders_and_allow_does_not_bring_them_back(
    bot_settings: Any,
    index_handle: Any,
    bot_sessions: sessionmaker[Session],
    fake_telegram: FakeTelegram,
    clock: Clock,
) -> None:
    group = -4004
    async with running(bot_settings, index_handle, bot_sessions, clock) as app:
        assert "Đã cấp quyền" in (await say(fake_telegram, ADMIN_ID, f"/allow {group}"))["text"]
        with bot_sessions() as s:
            reminders.subscribe(s, group, ADMIN_ID, clock())
            tasks.add_task(s, "Gửi báo cáo sơ kết", D(2026, 12, 10), None, ADMIN_ID, None, now=clock())
            s.commit()
        msg = await say(fake_telegram, ADMIN_ID, f"/deny {group}")
        assert "Đã thu hồi quyền" in msg["text"] and "Đã dừng nhắc hạn công việc" in msg["text"]
        msg = await say(fake_telegram, ADMIN_ID, f"/allow {group}")
        assert "Đã cấp quyền" in msg["text"] and "vẫn đang dừng" in msg["text"] and "/subscribe" in msg["text"]
        # Allowed again: its members are served; its reminders stay ended.
        msg = await say(fake_telegram, group, f"/hoi {QUESTION}", user_id=MEMBER, chat_type="group")
        assert "2.340.000" in msg["text"]
        clock.set(vn(2026, 12, 3, 8, 0))  # the 7-day reminder is due
        job = sweep_job(app)
        assert job is not None
        await job.run(app)
    assert reminders_to(fake_telegram, group) == []
    with bot_sessions() as s:
        assert not reminders.is_subscribed(s, group) and reminders.outbox(s, group) == []


async def test_admins_list_and_end_any_chats_subscription_from_anywhere(
    bot_settings: Any,
    index_handle: Any,
    bot_sessions: sessionmaker[Session],
    fake_telegram: FakeTelegram,
    clock: Clock,
) -> None:
    with bot_sessions() as s:
        reminders.subscribe(s, ALLOWED_GROUP, ADMIN_ID, clock())
        s.commit()
    async with running(bot_settings, index_handle, bot_sessions, clock):
        msg = await say(fake_telegram, ADMIN_ID, "/chat_subscriptions")
        assert f"{ALLOWED_GROUP}: đang nhận nhắc hạn" in msg["text"]
        # A member of the group is no admin: refused, nothing changes.
        msg = await say(
            fake_telegram, ALLOWED_GROUP, f"/unsubscribe_chat {ALLOWED_GROUP}", user_id=MEMBER, chat_type="group"
        )
        assert "quản trị" in msg["text"]
        with bot_sessions() as s:
            assert reminders.is_subscribed(s, ALLOWED_GROUP)
        msg = await say(fake_telegram, ADMIN_ID, f"/unsubscribe_chat {ALLOWED_GROUP}")
        assert "Đã dừng nhắc hạn" in msg["text"]
        msg = await say(fake_telegram, ADMIN_ID, f"/chat_subscriptions {ALLOWED_GROUP}")
        assert f"{ALLOWED_GROUP}: đã dừng nhắc hạn" in msg["text"]
        msg = await say(fake_telegram, ADMIN_ID, "/unsubscribe_chat 99999999999999999999")
        assert msg["text"].startswith("Cách dùng")
    with bot_sessions() as s:
        assert not reminders.is_subscribed(s, ALLOWED_GROUP)


async def test_admins_see_the_private_chats_reminded_by_default(
    bot_settings: Any,
    index_handle: Any,
    bot_sessions: sessionmaker[Session],
    fake_telegram: FakeTelegram,
    clock: Clock,
) -> None:
    """Personal tasks remind their author's private chat without /subscribe (issue 12): /chat_subscriptions
    lists those chats too, until their person says /unsubscribe."""
    author, quitter, idle = 7001, 7002, 7003
    with bot_sessions() as s:
        reminders.subscribe(s, ALLOWED_GROUP, ADMIN_ID, clock())
        for user, text in [(author, "Nộp bản kiểm điểm cá nhân"), (author, "Đọc tài liệu họp"), (quitter, "Gọi điện")]:
            tasks.add_task(s, text, D(2026, 12, 10), None, user, user, now=clock())
        s.commit()
    by_default = "tin nhắn riêng, nhận nhắc hạn {n} việc riêng đang mở theo mặc định (không cần /subscribe)"
    async with running(bot_settings, index_handle, bot_sessions, clock):
        text = (await say(fake_telegram, ADMIN_ID, "/chat_subscriptions"))["text"]
        assert f"{ALLOWED_GROUP}: đang nhận nhắc hạn" in text
        assert f"{author}: {by_default.format(n=2)}" in text and f"{quitter}: {by_default.format(n=1)}" in text
        assert str(idle) not in text
        text = (await say(fake_telegram, ADMIN_ID, f"/chat_subscriptions {author}"))["text"]
        assert text == f"• {author}: {by_default.format(n=2)}"
        # The quitter turns their reminders off: no longer listed, and shown as stopped.
        await say(fake_telegram, ADMIN_ID, f"/allow {quitter}")
        await say(fake_telegram, quitter, "/unsubscribe")
        text = (await say(fake_telegram, ADMIN_ID, "/chat_subscriptions"))["text"]
        assert f"{author}: {by_default.format(n=2)}" in text and str(quitter) not in text
        text = (await say(fake_telegram, ADMIN_ID, f"/chat_subscriptions {quitter}"))["text"]
        assert text == f"• {quitter}: đã dừng nhắc hạn"
        text = (await say(fake_telegram, ADMIN_ID, f"/chat_subscriptions {idle}"))["text"]
        assert text == (
            f"{idle} chưa từng đăng ký nhận nhắc hạn. Việc riêng người này thêm sau sẽ được nhắc trong tin nhắn "
            "riêng theo mặc định."
        )


@pytest.mark.parametrize("allowed_by", ["allow", "settings"])
async def test_group_upgraded_to_a_supergroup_keeps_its_access_and_reminders(
    bot_settings: Any,
    index_handle: Any,
    bot_sessions: sessionmaker[Session],
    fake_telegram: FakeTelegram,
    clock: Clock,
    allowed_by: str,
) -> None:
    from bot.access import chat_allowed

    old = ALLOWED_GROUP if allowed_by == "settings" else -5005
    new = -1000000005005
    with bot_sessions() as s:
        if allowed_by == "allow":
            s.add(AllowedChatRow(chat_id=old, added_by=ADMIN_ID, added_at=clock()))
        reminders.subscribe(s, old, ADMIN_ID, clock())
        tasks.add_task(s, "Gửi báo cáo sơ kết", D(2026, 12, 10), None, ADMIN_ID, None, now=clock())
        s.commit()
    async with running(bot_settings, index_handle, bot_sessions, clock) as app:
        # The group is used before its upgrade (its access is cached by the bot).
        assert (
            "2.340.000"
            in (await say(fake_telegram, old, f"/hoi {QUESTION}", user_id=MEMBER, chat_type="group"))["text"]
        )
        fake_telegram.feed_migration(old, new, user_id=MEMBER)

        def moved() -> bool:
            with bot_sessions() as s:
                return chat_allowed(s, new) and reminders.is_subscribed(s, new)

        await until(moved, what="the allowlist entry and the subscription moved")
        msg = await say(fake_telegram, new, f"/hoi {QUESTION}", user_id=MEMBER, chat_type="supergroup")
        assert "2.340.000" in msg["text"]
        clock.set(vn(2026, 12, 3, 8, 0))
        job = sweep_job(app)
        assert job is not None
        await job.run(app)
    assert len(reminders_to(fake_telegram, new)) == 1 and reminders_to(fake_telegram, old) == []
    with bot_sessions() as s:
        assert not reminders.is_subscribed(s, old)


# --------------------------------------------------------------------------------------------------
# E. Strangers' floods never delay answers


async def test_stranger_flood_during_a_real_question(
    bot_settings: Any,
    index_handle: Any,
    bot_sessions: sessionmaker[Session],
    fake_telegram: FakeTelegram,
    clock: Clock,
) -> None:
    strangers = [STRANGER_ID, STRANGER_ID + 1, -7007]
    async with running(bot_settings, index_handle, bot_sessions, clock):
        await say(fake_telegram, ADMIN_ID, "mức lương cơ sở")  # the bot is up and has answered once
        for i in range(600):
            chat = strangers[i % 3]
            text = f"@{fake_telegram.bot_username} cho hỏi {i}" if chat < 0 else f"cho hỏi {i}"
            fake_telegram.feed_message(chat, text, user_id=STRANGER_ID, chat_type="group" if chat < 0 else "private")
        fake_telegram.feed_message(ADMIN_ID, QUESTION)
        await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), count=2, timeout=2.0)  # within 2 s
        # Each stranger's chat got one refusal; the rest of the flood, silence.
        await fake_telegram.await_for("sendMessage", lambda c: c.params["chat_id"] in strangers, count=3)
        last = fake_telegram.feed_message(ADMIN_ID, "kết nạp đảng viên học sinh")
        await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), count=3, timeout=10)
        fake_telegram.wait_confirmed(last - 1)
    refusals = [c for c in fake_telegram.calls_of("sendMessage") if c.params["chat_id"] in strangers]
    assert sorted(c.params["chat_id"] for c in refusals) == sorted(strangers)
    assert all(str(c.params["chat_id"]) in c.params["text"] for c in refusals)
    with bot_sessions() as s:  # strangers' updates cost the database nothing
        assert len(s.scalars(select(ProcessedUpdateRow)).all()) == 3


# --------------------------------------------------------------------------------------------------
# F. A changed reminder time does not send the day's reminders again


async def test_changed_reminder_time_and_restart_the_same_day_sends_nothing_again(
    bot_settings: Any,
    index_handle: Any,
    bot_sessions: sessionmaker[Session],
    fake_telegram: FakeTelegram,
    clock: Clock,
) -> None:
    with bot_sessions() as s:
        reminders.subscribe(s, ALLOWED_GROUP, ADMIN_ID, clock())
        for i in range(3):
            tasks.add_task(s, f"Việc {i}", D(2026, 12, 4 + i), None, ADMIN_ID, None, now=clock())
        s.commit()
    clock.set(vn(2026, 12, 3, 8, 0))  # CHIDAO_REMINDER_TIME=08:00: three reminders and none overdue
    async with running(bot_settings, index_handle, bot_sessions, clock) as app:
        await fake_telegram.await_for("sendMessage", _to(ALLOWED_GROUP), count=3, timeout=20)
    assert len(reminders_to(fake_telegram, ALLOWED_GROUP)) == 3
    for later in (dt.time(9, 30), dt.time(7, 0)):  # moved later, then earlier, each with a restart
        clock.set(vn(2026, 12, 3, 10, 0))
        settings = bot_settings.model_copy(update={"reminder_time": later})
        async with running(settings, index_handle, bot_sessions, clock) as app:
            job = sweep_job(app)
            assert job is not None
            await job.run(app)  # after the start-up sweep
    assert len(reminders_to(fake_telegram, ALLOWED_GROUP)) == 3
    clock.set(vn(2026, 12, 4, 7, 0))  # the next day, at the new time: that day's reminders go out
    async with running(settings, index_handle, bot_sessions, clock) as app:
        await fake_telegram.await_for("sendMessage", _to(ALLOWED_GROUP), count=4, timeout=20)


# --------------------------------------------------------------------------------------------------
# G. Inputs that crashed handlers get a clear reply


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_inputs_that_crashed_handlers_get_a_clear_reply(
    bot_settings: Any,
    index_handle: Any,
    bot_sessions: sessionmaker[Session],
    fake_telegram: FakeTelegram,
    clock: Clock,
) -> None:
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    try:
        async with running(bot_settings, index_handle, bot_sessions, clock):
            answer = await say(fake_telegram, ADMIN_ID, "mức lương\x00 cơ sở")  # NUL: PostgreSQL refuses it
            assert "2.340.000" in answer["text"]
            big = "9" * 20
            for data in (f"m:{big}:0", f"f:{big}:+:", f"tk:a:{big}", f"t:0123abcd:{big}"):
                fake_telegram.feed_callback(ADMIN_ID, answer["message_id"], data)
            await fake_telegram.await_for("answerCallbackQuery", count=4, timeout=10)
            for text in (f"/allow {big}", f"/deny -{big}", "/done 99999999999", "/task_add 20/12/2026 \u200b"):
                msg = await say(fake_telegram, ADMIN_ID, text)
                assert msg["text"].startswith("Cách dùng"), (text, msg["text"])
    finally:
        logging.getLogger().removeHandler(errors)
    assert [r.getMessage() for r in errors.records] == []
    with bot_sessions() as s:
        assert s.scalars(select(AllowedChatRow)).all() == []


async def test_debug_logs_keep_only_a_prefix_of_message_texts(
    bot_settings: Any,
    index_handle: Any,
    bot_sessions: sessionmaker[Session],
    fake_telegram: FakeTelegram,
    clock: Clock,
) -> None:
    import io

    from bot.logs import TEXT_PREFIX, setup_logging

    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.level
    handler = setup_logging(bot_settings.model_copy(update={"log_level": "DEBUG"}), stream=stream)
    question = "chế độ phụ cấp đặc thù cho cán bộ ban tổ chức cấp tỉnh năm 2024 thế nào"
    try:
        async with running(bot_settings, index_handle, bot_sessions, clock):
            await say(fake_telegram, ADMIN_ID, question)
            await say(fake_telegram, ADMIN_ID, "mức lương cơ sở")
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)
    logs = stream.getvalue()
    assert "level=debug" in logs and question[:TEXT_PREFIX] in logs  # debug lines were written, with a prefix
    assert question[: TEXT_PREFIX + 1] not in logs
    assert "2.340.000 đồng/tháng, áp dụng cho cán bộ" not in logs  # nor the full answer
