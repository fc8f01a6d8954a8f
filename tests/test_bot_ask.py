"""End to end: the real Application (bot.app.build_application) long polling the fake Bot API server,
answering from a real index of a tiny corpus."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from sqlalchemy import select

from bot import replies
from bot.app import build_application
from bot.db import AllowedChatRow, FeedbackRow, QuestionRow
from tests.conftest import ADMIN_ID, ALLOWED_GROUP, STRANGER_ID
from tests.fake_telegram import (
    BOT_USERNAME,
    Call,
    FakeTelegram,
    background_done,
    buttons,
    handled,
    running_application,
)
from tests.fake_telegram import say as ask

pytestmark = pytest.mark.usefixtures("bot")


def _to(chat_id: int) -> Any:
    return lambda c: c.params.get("chat_id") == chat_id


async def test_how_much_question_quotes_only_passages_stating_an_amount(fake_telegram: FakeTelegram) -> None:
    """Asked how much, the bot quotes the passage with the amount, not the neighbours that only talk
    about salaries (they rank below every passage that can answer, so under the display floor)."""
    msg = await ask(fake_telegram, ADMIN_ID, "Mức lương cơ sở từ 1/7/2024 là bao nhiêu?")
    assert msg["html"].startswith("<blockquote>") and "2.340.000 đồng/tháng" in msg["text"]
    assert msg["html"].count("<blockquote>") == 1
    assert "gửi Sở Nội vụ trước ngày 20/7/2024" not in msg["text"]


async def test_private_question_quoted_with_source(fake_telegram: FakeTelegram) -> None:
    msg = await ask(fake_telegram, ADMIN_ID, "mức lương cơ sở từ 1/7/2024")
    assert "2.340.000 đồng/tháng" in msg["text"]
    html = msg["html"]
    assert html.startswith("<blockquote>") and "<b>lương</b>" in html
    assert "<b>[1]</b> <i>Hướng dẫn thực hiện mức lương cơ sở từ ngày 01/7/2024</i>" in html
    assert "Sở Nội vụ tỉnh Quảng Ngãi — 08/07/2024 — đoạn 1" in html
    assert html.count("<blockquote>") == 3
    data = buttons(msg)
    assert {"Toàn văn [1]", "Toàn văn [2]", "Toàn văn [3]", "👍", "👎"} <= set(data)
    assert all(len(d.encode()) <= 64 for d in data.values())
    # Private answers are not threaded under the question.
    assert "reply_to_message" not in msg


async def test_question_without_diacritics(fake_telegram: FakeTelegram) -> None:
    msg = await ask(fake_telegram, ADMIN_ID, "muc luong co so la bao nhieu")
    assert "2.340.000" in msg["text"].split("\n")[0]
    assert "từ ngày 01/7/2024 <b>mức lương</b> cơ <b>sở</b> là" in msg["html"]


async def test_group_mention_reply_and_command(fake_telegram: FakeTelegram, bot: Any) -> None:
    g = ALLOWED_GROUP
    # Not addressed: ignored (privacy mode would not even deliver it; if it comes, stay silent).
    fake_telegram.feed_message(g, "kết nạp đảng viên học sinh", user_id=501, chat_type="group")
    msg = await ask(fake_telegram, g, f"@{BOT_USERNAME} kết nạp đảng viên học sinh", user_id=501, chat_type="group")
    assert "150 đảng viên" in msg["text"]
    assert msg["reply_to_message"]["text"].startswith(f"@{BOT_USERNAME}")
    msg = await ask(
        fake_telegram,
        g,
        "mật khẩu quản trị cổng thông tin",
        user_id=502,
        chat_type="group",
        reply_to_bot=True,
    )
    assert "mật khẩu quản trị" in msg["text"]
    msg = await ask(fake_telegram, g, "/hoi lương cơ sở bao nhiêu", user_id=503, chat_type="group")
    assert "2.340.000" in msg["text"]
    msg = await ask(fake_telegram, g, f"/ask@{BOT_USERNAME} chuyen doi so", user_id=503, chat_type="group")
    assert "chuyển đổi số" in msg["text"]
    msg = await ask(fake_telegram, g, "/hoi", user_id=503, chat_type="group")
    assert msg["text"].startswith("Anh/chị gõ câu hỏi ngay sau lệnh, ví dụ: /hoi ")
    await handled(fake_telegram, bot)
    assert len(fake_telegram.sent_messages(g)) == 5


def unsure_of_everything() -> Any:
    """An answerability model that judges every answer "low" (p_answer 0.5 between the thresholds 0.1 and
    0.9): what the bot does with the closest passages, whatever the question."""
    from index.answerability import AnswerModel
    from index.evidence import FEATURES

    n = len(FEATURES)
    return AnswerModel(FEATURES, (0.0,) * n, (1.0,) * n, (0.0,) * n, 0.0, 0.9, 0.1)


async def test_not_found_suggests_rephrasing_and_lists_the_documents(
    fake_telegram: FakeTelegram, bot_sessions: Any
) -> None:
    """Level "none": today's sentence, a suggestion to rephrase, the newest documents; no quote, no button
    when the reply lists every document."""
    msg = await ask(fake_telegram, ADMIN_ID, "giá vàng thế giới hôm nay")
    lines = msg["text"].split("\n")
    assert lines[0] == replies.NOT_FOUND
    assert "hỏi lại bằng từ ngữ khác" in lines[1]
    assert "<blockquote>" not in msg["html"] and "Các tài liệu đang có" in msg["text"]
    items = [x for x in lines if x.startswith("• ")]
    assert len(items) == 5 and "• Hướng dẫn thực hiện mức lương cơ sở từ ngày 01/7/2024 (08/07/2024)" in items
    assert "reply_markup" not in msg
    with bot_sessions() as s:
        [row] = s.scalars(select(QuestionRow)).all()
        assert not row.answered and row.hits == 0


async def test_not_found_button_pages_the_documents_list(
    fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the reply lists only the newest documents, its button sends the whole list, page by page."""
    monkeypatch.setattr(replies, "NOT_FOUND_DOCS", 2)
    monkeypatch.setattr(replies, "DOCS_PER_PAGE", 3)
    msg = await ask(fake_telegram, ADMIN_ID, "giá vàng thế giới hôm nay")
    assert msg["text"].count("\n• ") == 2 and "… và 3 tài liệu khác." in msg["text"]
    assert buttons(msg) == {replies.BTN_DOCS: "l:0"}
    fake_telegram.feed_callback(ADMIN_ID, msg["message_id"], "l:0")
    await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), count=2)
    page = fake_telegram.sent_messages(ADMIN_ID)[1]
    assert page["text"].startswith("Tài liệu đang có: 5 (trang 1/2)") and page["text"].count("\n• ") == 3
    assert "Sở Nội vụ tỉnh Quảng Ngãi — 08/07/2024" in page["text"]
    assert buttons(page) == {replies.BTN_NEXT: "L:1"}
    fake_telegram.feed_callback(ADMIN_ID, page["message_id"], "L:1")
    await fake_telegram.await_for("editMessageText")
    turned = fake_telegram.message(ADMIN_ID, page["message_id"])
    assert turned["text"].startswith("Tài liệu đang có: 5 (trang 2/2)") and turned["text"].count("\n• ") == 2
    assert buttons(turned) == {replies.BTN_PREV: "L:0"}
    assert len(fake_telegram.sent_messages(ADMIN_ID)) == 2  # turned in place


async def test_uncertain_answer_quotes_the_closest_two_under_the_caveat(
    fake_telegram: FakeTelegram, index_handle: Any, bot_sessions: Any
) -> None:
    """Level "low": one sentence saying no passage surely answers, then the two closest passages quoted
    with their sources, "Toàn văn" and 👍/👎, no "Xem thêm"."""
    index_handle.searcher.answer_model = unsure_of_everything()
    msg = await ask(fake_telegram, ADMIN_ID, "chuyển đổi số")
    html = msg["html"]
    assert html.startswith(replies.UNCERTAIN_MANY + "\n\n<blockquote>")
    assert msg["text"].split("\n")[0].startswith("⚠️ Chưa tìm thấy đoạn nào chắc chắn trả lời câu hỏi này;")
    assert html.count("<blockquote>") == 2 and "<b>[1]</b>" in html and "<b>[2]</b>" in html
    assert "<b>[3]</b>" not in html and "<b>chuyển đổi số</b>" in html  # quoted as answers are: matches in bold
    assert " — đoạn " in msg["text"]  # the sources
    data = buttons(msg)
    assert set(data) == {"Toàn văn [1]", "Toàn văn [2]", "👍", "👎"}
    fake_telegram.feed_callback(ADMIN_ID, msg["message_id"], data["Toàn văn [1]"])
    await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), count=2)
    assert fake_telegram.sent_messages(ADMIN_ID)[1]["html"].startswith("📄 <i>")
    with bot_sessions() as s:
        [row] = s.scalars(select(QuestionRow)).all()
        assert not row.answered and row.hits == 2  # quoted, but not as an answer


async def test_confident_answer_has_no_caveat(fake_telegram: FakeTelegram, index_handle: Any) -> None:
    """Level "high" (the same question, the tests' rule model): quoted as an answer, three passages and
    "Xem thêm"."""
    assert index_handle.searcher.search("chuyển đổi số", 12).confidence == "high"
    msg = await ask(fake_telegram, ADMIN_ID, "chuyển đổi số")
    assert msg["html"].startswith("<blockquote>") and "chắc chắn" not in msg["text"]
    assert msg["html"].count("<blockquote>") == 3 and "Xem thêm" in buttons(msg)


async def test_start_and_help_use_the_corpus(fake_telegram: FakeTelegram) -> None:
    msg = await ask(fake_telegram, ADMIN_ID, "/start")
    assert "Xin chào" in msg["text"] and "5 tài liệu" in msg["text"]
    # Example questions come from the indexed titles (newest first), plus one without diacritics.
    assert "Hướng dẫn thực hiện mức lương cơ sở từ ngày 01/7/2024 như thế nào?" in msg["text"]
    assert "huong dan thuc hien muc luong co so" in msg["text"]
    assert (await ask(fake_telegram, ADMIN_ID, "/help"))["text"] == msg["text"]


async def test_stranger_refused_with_chat_id(fake_telegram: FakeTelegram, bot_sessions: Any) -> None:
    msg = await ask(fake_telegram, STRANGER_ID, "mức lương cơ sở")
    assert str(STRANGER_ID) in msg["text"] and "quản trị viên" in msg["text"]
    assert "<blockquote>" not in msg["html"] and "2.340.000" not in msg["text"]
    other = STRANGER_ID + 1  # the first stranger was refused once already: refusals are rate-limited per chat
    msg = await ask(fake_telegram, other, "/start")
    assert str(other) in msg["text"] and "Ví dụ" not in msg["text"]
    # A group nobody allowed: refused with the group's id when addressed.
    msg = await ask(fake_telegram, -777, "/hoi lương cơ sở", user_id=STRANGER_ID, chat_type="group")
    assert "-777" in msg["text"] and "2.340.000" not in msg["text"]
    # An admin is served anywhere; a chat allowed in the database is served.
    msg = await ask(fake_telegram, -777, "/hoi lương cơ sở", user_id=ADMIN_ID, chat_type="group")
    assert "2.340.000" in msg["text"]
    await ask(fake_telegram, ADMIN_ID, f"/allow {STRANGER_ID}")
    with bot_sessions() as s:
        assert s.get(AllowedChatRow, STRANGER_ID) is not None
    msg = await ask(fake_telegram, STRANGER_ID, "mức lương cơ sở")
    assert "2.340.000" in msg["text"]


async def test_corpus_html_is_escaped(fake_telegram: FakeTelegram) -> None:
    msg = await ask(fake_telegram, ADMIN_ID, "mã độc cổng thông tin")
    # The fake server parsed it with Telegram's strict HTML rules and accepted it.
    assert "<script>alert('x')</script>" in msg["text"] and "tỷ lệ <b 5%" in msg["text"]
    assert "&lt;script&gt;" in msg["html"] and "&lt;b 5%" in msg["html"]
    assert "Công an tỉnh Bến Tre &amp; Sở" in msg["html"]
    assert not fake_telegram.calls_of("sendMessage", status=400)


async def test_button_more(fake_telegram: FakeTelegram) -> None:
    first = await ask(fake_telegram, ADMIN_ID, "chuyển đổi số")
    data = buttons(first)
    assert data["Xem thêm"].startswith("m:")
    fake_telegram.feed_callback(ADMIN_ID, first["message_id"], data["Xem thêm"])
    await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), count=2)
    second = fake_telegram.sent_messages(ADMIN_ID)[1]
    assert second["html"].count("<blockquote>") >= 1 and "<b>[4]</b>" in second["html"]
    assert "Toàn văn [4]" in buttons(second)
    # The pressed message loses its "Xem thêm" button; the query is answered.
    await fake_telegram.await_for("editMessageReplyMarkup")
    assert "Xem thêm" not in buttons(fake_telegram.message(ADMIN_ID, first["message_id"]))
    await fake_telegram.await_for("answerCallbackQuery")


async def test_button_full_text(fake_telegram: FakeTelegram) -> None:
    first = await ask(fake_telegram, ADMIN_ID, "Mức lương cơ sở từ 1/7/2024 là bao nhiêu?")
    fake_telegram.feed_callback(ADMIN_ID, first["message_id"], buttons(first)["Toàn văn [1]"])
    await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), count=2)
    full = fake_telegram.sent_messages(ADMIN_ID)[1]
    assert full["html"].startswith("📄 <i>Hướng dẫn thực hiện mức lương cơ sở từ ngày 01/7/2024</i>")
    assert "<blockquote>Căn cứ Nghị định số 73/2024/NĐ-CP" in full["html"]
    assert "Đoạn 2: Các cơ quan, đơn vị rà soát" in full["text"]


async def test_votes_are_stored(fake_telegram: FakeTelegram, bot_sessions: Any) -> None:
    first = await ask(fake_telegram, ADMIN_ID, "kết nạp đảng viên học sinh")
    fake_telegram.feed_callback(ADMIN_ID, first["message_id"], buttons(first)["👍"])
    # The bot handles updates concurrently: the second vote goes in once the first is acknowledged.
    await fake_telegram.await_for("answerCallbackQuery", count=1)
    fake_telegram.feed_callback(ADMIN_ID, first["message_id"], buttons(first)["👎"])
    calls = await fake_telegram.await_for("answerCallbackQuery", count=2)
    assert {c.params.get("text") for c in calls} == {replies.THANKS}
    with bot_sessions() as s:
        rows = s.scalars(select(FeedbackRow).order_by(FeedbackRow.id)).all()
    # one vote per user per answer: the second press turned it
    assert [r.vote for r in rows] == [-1]
    assert rows[0].question == "kết nạp đảng viên học sinh" and rows[0].chat_id == ADMIN_ID
    assert rows[0].message_id == first["message_id"] and rows[0].question_id is not None
    assert rows[0].passages[0] == {"doc": "ket_nap_dang_vien.txt", "paragraph": 2}
    assert len(rows[0].passages) == 3


async def test_a_vote_counts_once_per_user_per_answer(fake_telegram: FakeTelegram, bot_sessions: Any) -> None:
    """One user pressing 👍 eight times (some at once) counts once; another user counts too."""
    g = ALLOWED_GROUP
    first = await ask(fake_telegram, g, "/hoi kết nạp đảng viên học sinh", user_id=501, chat_type="group")
    up = buttons(first)["👍"]
    for _ in range(8):
        fake_telegram.feed_callback(g, first["message_id"], up, user_id=501)
    fake_telegram.feed_callback(g, first["message_id"], up, user_id=502)
    calls = await fake_telegram.await_for("answerCallbackQuery", count=9, timeout=15)
    texts = [c.params.get("text") for c in calls]
    assert texts.count(replies.THANKS) == 2 and texts.count(replies.VOTED) == 7
    with bot_sessions() as s:
        rows = s.scalars(select(FeedbackRow).order_by(FeedbackRow.user_id)).all()
    assert [(r.user_id, r.vote) for r in rows] == [(501, 1), (502, 1)]


async def test_double_tap_on_more_sends_the_page_once(fake_telegram: FakeTelegram, bot: Any) -> None:
    first = await ask(fake_telegram, ADMIN_ID, "chuyển đổi số")
    more = buttons(first)["Xem thêm"]
    fake_telegram.feed_callback(ADMIN_ID, first["message_id"], more)
    fake_telegram.feed_callback(ADMIN_ID, first["message_id"], more)
    calls = await fake_telegram.await_for("answerCallbackQuery", count=2, timeout=10)
    await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), count=2, timeout=10)
    await handled(fake_telegram, bot)
    sent = fake_telegram.sent_messages(ADMIN_ID)
    assert len(sent) == 2 and "<b>[4]</b>" in sent[1]["html"]
    assert sorted(str(c.params.get("text")) for c in calls) == sorted(["None", replies.PAGE_SENT])


async def test_more_only_in_the_chat_that_asked(fake_telegram: FakeTelegram, bot: Any) -> None:
    """A "Xem thêm" for another chat's question (forged data, or a forwarded keyboard) shows nothing."""
    private = await ask(fake_telegram, ADMIN_ID, "chuyển đổi số")
    in_group = await ask(fake_telegram, ALLOWED_GROUP, "/hoi chuyển đổi số", user_id=501, chat_type="group")
    fake_telegram.feed_callback(ALLOWED_GROUP, in_group["message_id"], buttons(private)["Xem thêm"], user_id=501)
    [call] = await fake_telegram.await_for("answerCallbackQuery")
    assert call.params["text"] == replies.GONE
    fake_telegram.feed_callback(ALLOWED_GROUP, in_group["message_id"], buttons(private)["👍"], user_id=501)
    calls = await fake_telegram.await_for("answerCallbackQuery", count=2)
    assert calls[1].params["text"] == replies.GONE
    await handled(fake_telegram, bot)
    assert len(fake_telegram.sent_messages(ALLOWED_GROUP)) == 1
    assert len(fake_telegram.sent_messages(ADMIN_ID)) == 1


async def test_stranger_cannot_press_buttons(fake_telegram: FakeTelegram, bot: Any) -> None:
    first = await ask(fake_telegram, ADMIN_ID, "kết nạp đảng viên học sinh")
    fake_telegram.feed_callback(ADMIN_ID, first["message_id"], buttons(first)["Toàn văn [1]"], user_id=STRANGER_ID)
    [call] = await fake_telegram.await_for("answerCallbackQuery")
    assert str(ADMIN_ID) in call.params["text"]
    await handled(fake_telegram, bot)
    assert len(fake_telegram.sent_messages(ADMIN_ID)) == 1


async def test_burst_of_429_loses_no_reply(fake_telegram: FakeTelegram) -> None:
    fake_telegram.inject("sendMessage", "429", 3, retry_after=1)
    chats = [ADMIN_ID]
    for i, chat in enumerate(chats):
        fake_telegram.feed_message(chat, "mức lương cơ sở", user_id=ADMIN_ID + i)
    fake_telegram.feed_message(ALLOWED_GROUP, "/hoi kết nạp đảng viên", user_id=9, chat_type="group")
    fake_telegram.feed_message(ALLOWED_GROUP, "/hoi chuyển đổi số", user_id=9, chat_type="group")
    await fake_telegram.await_for("sendMessage", count=3, timeout=20)
    statuses = [c.status for c in fake_telegram.calls_of("sendMessage", status=None)]
    assert statuses.count(429) == 3 and statuses.count(200) == 3
    assert len(fake_telegram.sent_messages(ALLOWED_GROUP)) == 2


async def test_500_then_success(fake_telegram: FakeTelegram) -> None:
    fake_telegram.inject("sendMessage", "500")
    fake_telegram.inject("sendMessage", "502")
    msg = await ask(fake_telegram, ADMIN_ID, "mức lương cơ sở")
    assert "2.340.000" in msg["text"]
    assert [c.status for c in fake_telegram.calls_of("sendMessage", status=None)] == [500, 502, 200]


async def test_connection_dropped_after_sending_is_not_sent_again(fake_telegram: FakeTelegram) -> None:
    """Telegram may have posted a message whose answer never came: the transport does not send it again."""
    fake_telegram.inject("sendMessage", "drop")  # connection closed without an answer
    fake_telegram.feed_message(ADMIN_ID, "mức lương cơ sở")
    await fake_telegram.await_for("sendMessage", status=0)
    msg = await ask(fake_telegram, ADMIN_ID, "kết nạp đảng viên học sinh")
    assert "đảng viên" in msg["text"]
    assert [c.status for c in fake_telegram.calls_of("sendMessage", status=None)] == [0, 200]


async def test_server_errors_on_one_reply_do_not_hold_up_others(fake_telegram: FakeTelegram) -> None:
    fake_telegram.inject("sendMessage", "500", 3)
    fake_telegram.feed_message(ADMIN_ID, "mức lương cơ sở")
    await fake_telegram.await_for("sendMessage", count=1, status=500)
    # The bot goes on with another chat's question while the first reply waits for its next try.
    msg = await ask(
        fake_telegram, ALLOWED_GROUP, "/hoi kết nạp đảng viên học sinh", user_id=ADMIN_ID, chat_type="group"
    )
    assert "đảng viên" in msg["text"]
    # ... and the first reply arrives once Telegram is well again.
    await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), timeout=20)
    assert len(fake_telegram.sent_messages(ADMIN_ID)) == 1


async def test_long_paragraph_cut_under_limit(fake_telegram: FakeTelegram) -> None:
    first = await ask(fake_telegram, ADMIN_ID, "xã thuộc diện sắp xếp")
    assert len(first["text"]) <= 4096
    quote = first["html"].split("</blockquote>")[0]
    assert quote.endswith("…") and "xã thuộc diện sắp xếp" in first["text"]
    fake_telegram.feed_callback(ADMIN_ID, first["message_id"], buttons(first)["Toàn văn [1]"])
    await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), count=3, timeout=10)
    full = fake_telegram.sent_messages(ADMIN_ID)[1:]
    assert all(len(m["text"]) <= 4096 for m in full)
    assert "xã số 399" in "".join(m["text"] for m in full)


async def test_typing_while_search_is_slow(fake_telegram: FakeTelegram, index_handle: Any) -> None:
    import time

    real = index_handle.searcher

    class Slow:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def search(self, query: str, k: int = 10) -> Any:
            time.sleep(0.8)
            return real.search(query, k)

    index_handle._searcher = Slow()
    msg = await ask(fake_telegram, ADMIN_ID, "mức lương cơ sở")
    [typing] = fake_telegram.calls_of("sendChatAction")
    assert typing.params == {"chat_id": ADMIN_ID, "action": "typing"}
    sent: Call = fake_telegram.calls_of("sendMessage")[0]
    assert typing.at < sent.at and "2.340.000" in msg["text"]


async def test_token_never_logged(fake_telegram: FakeTelegram, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("probe").info("calling %s/bot%s/getMe", fake_telegram.api_url, fake_telegram.token)
    fake_telegram.inject("sendMessage", "500")
    await ask(fake_telegram, ADMIN_ID, "mức lương cơ sở")
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "getMe" in text and fake_telegram.token not in text
    assert "sendMessage failed" in text  # the retry was logged, without the token
    # httpx would log every request URL (token included) at INFO.
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    assert not [r for r in caplog.records if r.name.startswith(("httpx", "httpcore"))]


async def test_restart_keeps_buttons_and_skips_handled_updates(
    fake_telegram: FakeTelegram, bot: Any, bot_settings: Any, index_handle: Any, bot_sessions: Any
) -> None:
    update_id = fake_telegram.feed_message(ADMIN_ID, "chuyển đổi số")
    await fake_telegram.await_for("sendMessage", _to(ADMIN_ID))
    first = fake_telegram.sent_messages(ADMIN_ID)[0]
    await bot.updater.stop()
    await bot.stop()
    fake_telegram.wait_confirmed(update_id)
    # Telegram offers the update again (as after a crash before the confirmation) and a button is pressed.
    fake_telegram.redeliver(update_id)
    fake_telegram.feed_callback(ADMIN_ID, first["message_id"], buttons(first)["Xem thêm"])
    again = build_application(bot_settings, index_handle, sessions=bot_sessions)
    async with running_application(again):
        await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), count=2, timeout=10)
        await handled(fake_telegram, again)
    sent = fake_telegram.sent_messages(ADMIN_ID)
    assert len(sent) == 2 and "<b>[4]</b>" in sent[1]["html"]
    with bot_sessions() as s:
        assert s.scalars(select(QuestionRow.question)).all() == ["chuyển đổi số"]


def slow_searcher(index_handle: Any, seconds: float) -> Any:
    """Make every search of the bot take `seconds` longer; `.done` is set each time one returns."""
    import threading
    import time

    real = index_handle.searcher

    class Slow:
        done = threading.Event()

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def search(self, query: str, k: int = 10) -> Any:
            time.sleep(seconds)
            answer = real.search(query, k)
            self.done.set()
            return answer

    slow = Slow()
    index_handle._searcher = slow
    return slow


@pytest.mark.parametrize("fault", ["500", "drop", "delay"])
async def test_failing_typing_action_does_not_delay_the_answer(
    fake_telegram: FakeTelegram, bot: Any, index_handle: Any, fault: str
) -> None:
    """sendChatAction failing (an error, a dropped connection, an answer 3 s late): the answer goes out
    within a second of the search, and the action is tried once, never retried."""
    slow = slow_searcher(index_handle, 0.8)
    fake_telegram.inject("sendChatAction", fault, 5, seconds=3.0)
    fake_telegram.feed_message(ADMIN_ID, "mức lương cơ sở")
    assert await asyncio.to_thread(slow.done.wait, 10)
    [sent] = await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), timeout=1.0)
    assert "2.340.000" in sent.params["text"]
    if fault != "delay":
        await fake_telegram.await_for("sendChatAction", status=None)
    # Once the question is handled no action is started; once the started one is over, none is retried.
    await handled(fake_telegram, bot)
    await background_done(f"typing-{ADMIN_ID}")
    assert len(fake_telegram.calls_of("sendChatAction", status=None)) <= 1


async def test_no_typing_action_when_the_answer_is_ready_in_time(fake_telegram: FakeTelegram, bot: Any) -> None:
    bot.bot_data["services"].settings.typing_after = 30.0
    msg = await ask(fake_telegram, ADMIN_ID, "mức lương cơ sở")
    assert "2.340.000" in msg["text"]
    assert fake_telegram.calls_of("sendChatAction", status=None) == []


async def test_burst_of_questions_in_a_group_shows_typing_once(
    fake_telegram: FakeTelegram, bot: Any, index_handle: Any
) -> None:
    """12 questions at once in one group: every one answered; one typing action, not one per question
    (the actions would eat the group's 20 messages a minute)."""
    bot.bot_data["services"].settings.typing_after = 0.1
    slow_searcher(index_handle, 0.3)
    questions = ["mức lương cơ sở", "kết nạp đảng viên học sinh", "chuyển đổi số", "mật khẩu quản trị"] * 3
    for i, q in enumerate(questions):
        fake_telegram.feed_message(ALLOWED_GROUP, f"/hoi {q}", user_id=600 + i, chat_type="group")
    await fake_telegram.await_for("sendMessage", _to(ALLOWED_GROUP), count=12, timeout=30)
    sent = fake_telegram.sent_messages(ALLOWED_GROUP)
    assert len(sent) == 12
    assert len({m["reply_to_message"]["message_id"] for m in sent}) == 12  # each question its answer
    typing = fake_telegram.calls_of("sendChatAction", status=None)
    assert len(typing) == 1 and typing[0].params["chat_id"] == ALLOWED_GROUP
