"""End to end: a follow-up written as a reply is read with the question it follows, in private chats and
groups, and after a restart (the exchange is in the database)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import build_application
from bot.db import QuestionMessageRow, QuestionRow
from tests.conftest import ADMIN_ID, ALLOWED_GROUP
from tests.fake_telegram import FakeTelegram, running_application

pytestmark = pytest.mark.usefixtures("bot")

UNDERSTOOD = "Hiểu câu hỏi là: "


def _to(chat_id: int) -> Any:
    return lambda c: c.params.get("chat_id") == chat_id


async def say(fake: FakeTelegram, chat_id: int, text: str, **kw: Any) -> dict[str, Any]:
    """Feed a message; return the bot's next message in that chat, once the bot stored it as an answer
    (it does so right after Telegram accepted it)."""
    before = len(fake.sent_messages(chat_id))
    fake.feed_message(chat_id, text, **kw)
    await fake.await_for("sendMessage", _to(chat_id), count=before + 1, timeout=10)
    answer = fake.sent_messages(chat_id)[before]
    await stored(chat_id, answer["message_id"])
    return answer


_SESSIONS: list[Any] = []


async def stored(chat_id: int, message_id: int, timeout: float = 5.0) -> None:
    """Wait (bounded) until the exchange of `message_id` is in the database."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        with _SESSIONS[-1]() as s:
            if s.get(QuestionMessageRow, (chat_id, message_id)) is not None:
                return
        if loop.time() > deadline:
            raise TimeoutError(f"answer {message_id} of chat {chat_id} not stored")
        await asyncio.sleep(0.02)


@pytest.fixture(autouse=True)
def _remember_sessions(bot_sessions: Any) -> Iterator[None]:
    _SESSIONS.append(bot_sessions)
    yield
    _SESSIONS.pop()


def questions(sessions: Any) -> list[str]:
    with sessions() as s:
        return list(s.scalars(select(QuestionRow.question).order_by(QuestionRow.id)))


async def test_followup_by_reply_replaces_the_province_and_keeps_the_topic(
    fake_telegram: FakeTelegram, bot_sessions: Any
) -> None:
    first = await say(fake_telegram, ADMIN_ID, "kế hoạch chuyển đổi số của Thái Bình năm 2024")
    assert "chuyển đổi số" in first["text"] and UNDERSTOOD not in first["text"]
    follow = await say(fake_telegram, ADMIN_ID, "còn ở Quảng Ngãi thì sao?", reply_to_message_id=first["message_id"])
    assert follow["text"].startswith(UNDERSTOOD + "kế hoạch chuyển đổi số của Quảng Ngãi năm 2024")
    assert "<i>Hiểu câu hỏi là:" in follow["html"]
    assert questions(bot_sessions)[-1] == "kế hoạch chuyển đổi số của Quảng Ngãi năm 2024"


async def test_followup_replying_to_the_question_itself(fake_telegram: FakeTelegram) -> None:
    """A reply to the question (not to the answer) is a follow-up of it too; a period replaces the period."""
    fake_telegram.feed_message(ADMIN_ID, "kết nạp đảng viên học sinh quý II/2024")
    await fake_telegram.await_for("sendMessage", _to(ADMIN_ID))
    question_id = 1  # the first message of the chat
    follow = await say(fake_telegram, ADMIN_ID, "thế còn quý III?", reply_to_message_id=question_id)
    assert follow["text"].startswith(UNDERSTOOD + "kết nạp đảng viên học sinh quý III/2024")


async def test_a_reply_that_asks_something_else_is_a_question_of_its_own(fake_telegram: FakeTelegram) -> None:
    first = await say(fake_telegram, ADMIN_ID, "kết nạp đảng viên học sinh")
    other = await say(fake_telegram, ADMIN_ID, "mức lương cơ sở từ 1/7/2024", reply_to_message_id=first["message_id"])
    assert UNDERSTOOD not in other["text"] and "2.340.000" in other["text"]


async def test_followup_in_a_group(fake_telegram: FakeTelegram, bot_sessions: Any) -> None:
    g = ALLOWED_GROUP
    first = await say(fake_telegram, g, "/hoi kết nạp đảng viên học sinh ở Lâm Đồng", user_id=501, chat_type="group")
    follow = await say(
        fake_telegram, g, "năm 2025 thì sao", user_id=502, chat_type="group", reply_to_message_id=first["message_id"]
    )
    assert follow["text"].startswith(UNDERSTOOD + "kết nạp đảng viên học sinh ở Lâm Đồng năm 2025")
    assert follow["reply_to_message"]["text"] == "năm 2025 thì sao"
    # a follow-up of the follow-up builds on what was understood
    again = await say(
        fake_telegram, g, "còn Bến Tre?", user_id=501, chat_type="group", reply_to_message_id=follow["message_id"]
    )
    assert again["text"].startswith(UNDERSTOOD + "kết nạp đảng viên học sinh ở Bến Tre năm 2025")


async def test_followup_after_a_restart(
    fake_telegram: FakeTelegram, bot: Any, bot_settings: Any, index_handle: Any, bot_sessions: Any
) -> None:
    first = await say(fake_telegram, ADMIN_ID, "kế hoạch chuyển đổi số của Thái Bình năm 2024")
    await bot.updater.stop()
    await bot.stop()
    again = build_application(bot_settings, index_handle, sessions=bot_sessions)
    async with running_application(again):
        follow = await say(fake_telegram, ADMIN_ID, "năm 2025 thì sao?", reply_to_message_id=first["message_id"])
    assert follow["text"].startswith(UNDERSTOOD + "kế hoạch chuyển đổi số của Thái Bình năm 2025")
