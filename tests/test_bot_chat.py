"""End to end: what a chat sends besides questions (photos, image files, stickers, unknown commands),
the command menus per scope and /help, through the real Application and the fake Bot API."""

from __future__ import annotations

from typing import Any

import pytest

from bot import replies
from bot.db import AllowedChatRow, utcnow
from bot.handlers import documents
from tests.conftest import ADMIN_ID, ALLOWED_GROUP, STRANGER_ID
from tests.fake_telegram import BOT_USERNAME, FakeTelegram, handled

pytestmark = pytest.mark.usefixtures("bot")

MEMBER = 777  # a non-admin user allowed in private (by /allow)


@pytest.fixture
def member(bot_sessions: Any) -> int:
    with bot_sessions() as s, s.begin():
        s.add(AllowedChatRow(chat_id=MEMBER, added_by=ADMIN_ID, added_at=utcnow()))
    return MEMBER


def _to(chat_id: int) -> Any:
    return lambda c: c.params.get("chat_id") == chat_id


async def next_message(fake: FakeTelegram, chat_id: int, feed: Any) -> dict[str, Any]:
    before = len(fake.sent_messages(chat_id))
    feed()
    await fake.await_for("sendMessage", _to(chat_id), count=before + 1, timeout=10)
    return fake.sent_messages(chat_id)[before]


async def silent(fake: FakeTelegram, application: Any, chat_id: int, feed: Any) -> bool:
    """True when the bot, once it handled what `feed()` fed (and every update before it), sent nothing to
    `chat_id`."""
    before = len(fake.sent_messages(chat_id))
    feed()
    await handled(fake, application)
    return len(fake.sent_messages(chat_id)) == before


async def test_photo_from_a_non_admin_gets_a_short_answer(fake_telegram: FakeTelegram, member: int) -> None:
    msg = await next_message(fake_telegram, member, lambda: fake_telegram.feed_photo(member))
    assert msg["text"] == replies.NOT_TEXT_PHOTO
    assert "quản trị viên" in msg["text"]
    # an image sent as a file: the same answer, not the admins' upload refusal
    msg = await next_message(
        fake_telegram, member, lambda: fake_telegram.feed_document(member, b"\xff\xd8\xff", "anh.jpg", "image/jpeg")
    )
    assert msg["text"] == replies.NOT_TEXT_PHOTO


async def test_photo_in_a_group_answered_only_when_addressed(fake_telegram: FakeTelegram, bot: Any) -> None:
    g = ALLOWED_GROUP
    assert await silent(
        fake_telegram, bot, g, lambda: fake_telegram.feed_photo(g, 501, caption="ảnh hội nghị", chat_type="group")
    )
    msg = await next_message(
        fake_telegram, g, lambda: fake_telegram.feed_photo(g, 501, f"@{BOT_USERNAME} xem giúp", "group")
    )
    assert msg["text"] == replies.NOT_TEXT_PHOTO and "reply_to_message" in msg


async def test_photo_from_a_stranger_is_refused(fake_telegram: FakeTelegram) -> None:
    msg = await next_message(fake_telegram, STRANGER_ID, lambda: fake_telegram.feed_photo(STRANGER_ID))
    assert str(STRANGER_ID) in msg["text"] and msg["text"] != replies.NOT_TEXT_PHOTO


async def test_admin_images_are_uploads(fake_telegram: FakeTelegram) -> None:
    """An admin's photo or image file in a private chat goes to the one upload path (bot.handlers.documents:
    downloaded, read by OCR); here the bytes are not an image, so the upload is refused with that reason.
    In a group the admin is told to send it in private."""
    msg = await next_message(fake_telegram, ADMIN_ID, lambda: fake_telegram.feed_photo(ADMIN_ID))
    assert msg["text"].startswith("❌ Không thêm tệp «ảnh»") and "ảnh bị hỏng" in msg["text"]
    assert len(fake_telegram.calls_of("getFile")) == 1  # only the largest size was fetched
    msg = await next_message(
        fake_telegram, ADMIN_ID, lambda: fake_telegram.feed_document(ADMIN_ID, b"\x89PNG", "so_do.png", "image/png")
    )
    assert msg["text"].startswith("❌ Không thêm tệp «so_do.png»") and "ảnh bị hỏng" in msg["text"]
    g = ALLOWED_GROUP
    msg = await next_message(
        fake_telegram, g, lambda: fake_telegram.feed_photo(g, ADMIN_ID, f"@{BOT_USERNAME} thêm văn bản", "group")
    )
    assert msg["text"] == documents.UPLOAD_IN_PRIVATE


async def test_sticker_gets_a_short_answer(fake_telegram: FakeTelegram, bot: Any, member: int) -> None:
    msg = await next_message(fake_telegram, member, lambda: fake_telegram.feed_sticker(member))
    assert msg["text"] == replies.NOT_TEXT_STICKER
    assert await silent(
        fake_telegram, bot, ALLOWED_GROUP, lambda: fake_telegram.feed_sticker(ALLOWED_GROUP, 501, "group")
    )


async def test_unknown_command_lists_the_commands(fake_telegram: FakeTelegram, member: int) -> None:
    msg = await next_message(fake_telegram, member, lambda: fake_telegram.feed_message(member, "/baocao quý 3"))
    text = msg["text"]
    assert text.startswith("Không có lệnh /baocao.")
    assert all(f"/{c.name}" in text for c in replies.USER_COMMANDS)
    assert "/reindex" not in text
    msg = await next_message(fake_telegram, ADMIN_ID, lambda: fake_telegram.feed_message(ADMIN_ID, "/xoa"))
    assert "Không có lệnh /xoa." in msg["text"] and "/reindex" in msg["text"] and "/allow" in msg["text"]


async def test_unknown_command_in_a_group_only_when_addressed(fake_telegram: FakeTelegram, bot: Any) -> None:
    g = ALLOWED_GROUP
    for text in ("/baocao", "/baocao@other_bot", "/hoi@other_bot lương cơ sở"):
        assert await silent(
            fake_telegram, bot, g, lambda t=text: fake_telegram.feed_message(g, t, user_id=501, chat_type="group")
        ), text
    msg = await next_message(
        fake_telegram, g, lambda: fake_telegram.feed_message(g, f"/baocao@{BOT_USERNAME}", 501, "group")
    )
    assert msg["text"].startswith("Không có lệnh /baocao.")


async def test_command_menus_per_scope(fake_telegram: FakeTelegram, bot: Any) -> None:
    await bot.post_init(bot)  # what run_polling / run_webhook call once the application is initialised
    menus = {k: [c["command"] for c in v] for k, v in fake_telegram.command_menus.items()}
    users = [c.name for c in replies.USER_COMMANDS]
    admins = users + [c.name for c in replies.ADMIN_COMMANDS]
    assert menus == {
        ("default", None): users,
        ("all_private_chats", None): users,
        ("all_group_chats", None): users,
        ("chat", ADMIN_ID): admins,
    }
    assert {"tasks", "task_add", "done"} <= set(users) and {"reindex", "subscribe", "allow"} <= set(admins)


async def test_help_lists_every_command_with_an_example(fake_telegram: FakeTelegram, member: int) -> None:
    msg = await next_message(fake_telegram, member, lambda: fake_telegram.feed_message(member, "/help"))
    text = msg["text"]
    for c in replies.USER_COMMANDS:
        assert f"/{c.name} — {c.description}; ví dụ: {c.example}" in text
    assert "/reindex" not in text and "nhắc hạn" in text.lower()
    msg = await next_message(fake_telegram, ADMIN_ID, lambda: fake_telegram.feed_message(ADMIN_ID, "/help"))
    for c in replies.USER_COMMANDS + replies.ADMIN_COMMANDS:
        assert f"/{c.name} — {c.description}; ví dụ: {c.example}" in msg["text"]
