"""Nothing lost, nothing sent twice, nothing jammed: the real Application (bot.app.build_application) long
polling a fake Bot API that fails the way real servers do (5xx, 429, read timeouts after the message was
accepted, connection refused, update ids restarting), on the shared `database_url` (SQLite, and PostgreSQL
in CI's second pass)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import reminders, tasks
from bot.app import build_application
from bot.reminder_job import sweep_job
from tests.conftest import ADMIN_ID, ALLOWED_GROUP
from tests.dbfixtures import Clock, vn
from tests.fake_telegram import FakeTelegram, running_application

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


async def until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Wait (bounded) until `predicate()` holds."""
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(predicate):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout}s")
        await asyncio.sleep(0.05)


def outbox(sessions: sessionmaker[Session]) -> list[reminders.OutboxItem]:
    with sessions() as s:
        return reminders.outbox(s)


# --------------------------------------------------------------------------------------------------
# B. One retry policy: a reminder whose sendMessage times out after Telegram accepted it goes out once


async def test_reminder_read_timeout_after_acceptance_is_delivered_once(
    bot_settings: Any, index_handle: Any, bot_sessions: sessionmaker[Session], fake_telegram: FakeTelegram,
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
