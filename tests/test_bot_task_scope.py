"""Tasks that belong to someone, end to end through the fake Bot API on the shared `database_url` (so the
second CI pass runs them on PostgreSQL): scope of lists and reminders, following units, who may close and
edit, /task_edit moving reminders, the edited /task_add message, review by document, windows, export, and
the 0004 migration of a database populated at 0001."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from bot import db, reminders, task_replies, tasks
from bot.app import build_application
from bot.db import ReminderRow, TaskEventRow, TaskRow
from bot.reminder_job import sweep_job
from bot.task_import import import_documents
from index.model import Document
from tests.conftest import ADMIN_ID, ALLOWED_GROUP
from tests.dbfixtures import Clock, vn
from tests.fake_telegram import FakeTelegram, running_application, say

pytest_plugins = ["tests.dbfixtures"]

D = dt.date
MEMBER = 501  # writes in ALLOWED_GROUP; its private chat is allowed too
OTHER_MEMBER = 502  # also in ALLOWED_GROUP
GROUP_ADMIN = 503  # an administrator of ALLOWED_GROUP (not a bot admin)
OUTSIDER = 504  # allowed in private, in no group
OTHER_GROUP = -3003


@pytest.fixture
def settings(make_bot_settings: Callable[..., Any]) -> Any:
    return make_bot_settings(allowed_chats=[ALLOWED_GROUP, OTHER_GROUP, MEMBER, OUTSIDER])


@pytest.fixture
def sessions(settings: Any) -> Iterator[sessionmaker[Session]]:
    engine = db.make_engine(settings.database_url)
    db.upgrade(engine)
    yield db.make_session_factory(engine)
    engine.dispose()


@pytest.fixture
async def app(
    settings: Any, index_handle: Any, sessions: sessionmaker[Session], clock: Clock, fake_telegram: FakeTelegram
) -> AsyncIterator[Any]:
    fake_telegram.set_member(ALLOWED_GROUP, GROUP_ADMIN, "administrator")
    application = build_application(settings, index_handle, sessions=sessions, clock=clock)
    async with running_application(application) as running:
        yield running


def _to(chat_id: int) -> Callable[[Any], bool]:
    return lambda c: c.params.get("chat_id") == chat_id


async def sweep(application: Any) -> None:
    job = sweep_job(application)
    assert job is not None
    await job.run(application)


def reminder_texts(fake: FakeTelegram, chat_id: int) -> list[str]:
    starts = ("⏰", "📋 Công việc quá hạn")  # a reminder or the overdue digest
    return [m["text"] for m in fake.sent_messages(chat_id) if m.get("text", "").startswith(starts)]


def reminded_ids(fake: FakeTelegram, chat_id: int) -> list[int]:
    out = []
    for t in reminder_texts(fake, chat_id):
        out += [int(i) for i in re.findall(r"#(\d+)", t)]
    return sorted(out)


def directive(year: int = 2026) -> Document:
    return Document(
        "chi_dao.txt",
        "Chỉ đạo của Ban Thường vụ",
        D(year, 11, 20),
        "Tỉnh ủy",
        (
            f"Các huyện ủy, thị ủy, thành ủy gửi báo cáo sơ kết công tác tổ chức trước ngày 10/12/{year}.",
            f"Sở Nội vụ tổng hợp kết quả sắp xếp bộ máy, báo cáo UBND tỉnh trước ngày 10/12/{year}.",
            f"Sở Tài chính bố trí kinh phí thực hiện chế độ chính sách trước ngày 10/12/{year}.",
        ),
    )


def import_and_accept(sessions: sessionmaker[Session], doc: Document, now: dt.datetime) -> list[tasks.Task]:
    with sessions() as s:
        import_documents(s, [doc], now)
        out = [tasks.accept(s, t.id, ADMIN_ID, now) for t in tasks.list_candidates(s)]
        s.commit()
        return out


# --------------------------------------------------------------------------------------------------
# Scope


async def test_private_task_invisible_to_a_group(
    app: Any, fake_telegram: FakeTelegram, sessions: sessionmaker[Session], clock: Clock
) -> None:
    await say(fake_telegram, ALLOWED_GROUP, "/subscribe", ADMIN_ID)
    await say(fake_telegram, MEMBER, "/subscribe")  # the person's own reminders
    msg = await say(fake_telegram, MEMBER, "/task_add 05/12/2026 Khám sức khỏe định kỳ")
    assert "Đã thêm công việc #1" in msg["text"]
    msg = await say(fake_telegram, ALLOWED_GROUP, "/tasks", MEMBER)
    assert msg["text"] == task_replies.NO_TASKS
    for command in ("/task 1", "/done 1", "/task_edit 1 20/12/2026"):
        msg = await say(fake_telegram, ALLOWED_GROUP, command, MEMBER)
        assert msg["text"] == "Không tìm thấy công việc #1; anh/chị xem mã trong /tasks."
    # Nor does another allowed user see it in private; its author does.
    msg = await say(fake_telegram, OUTSIDER, "/tasks")
    assert msg["text"] == task_replies.NO_TASKS
    msg = await say(fake_telegram, MEMBER, "/tasks")
    assert "#1 Khám sức khỏe định kỳ" in msg["text"]
    # The subscribed group is not reminded of it.
    clock.set(vn(2026, 12, 2, 8, 1))
    await sweep(app)
    clock.set(vn(2026, 12, 6, 8, 1))
    await sweep(app)
    assert reminder_texts(fake_telegram, ALLOWED_GROUP) == []
    reminder, digest = reminder_texts(fake_telegram, MEMBER)  # in the person's own chat only
    assert reminder.startswith("⏰ Nhắc hạn công việc #1\nKhám sức khỏe định kỳ\nHạn chót: 05/12/2026 — còn 3 ngày")
    assert digest.splitlines()[1] == "• #1 Khám sức khỏe định kỳ — hạn 05/12/2026, quá hạn 1 ngày"
    with sessions() as s:
        assert [r.scope for r in s.scalars(select(TaskRow))] == ["personal"]
        assert s.scalars(select(ReminderRow).where(ReminderRow.chat_id == ALLOWED_GROUP)).all() == []


async def test_personal_task_reminds_its_author_without_subscribing(
    app: Any, fake_telegram: FakeTelegram, sessions: sessionmaker[Session], clock: Clock, settings: Any
) -> None:
    """A personal task reminds its author's private chat with no /subscribe; /unsubscribe there turns every
    reminder off (personal ones too) until /subscribe; the last unit unfollowed goes back to personal only;
    a person who blocked the bot is not reminded again."""
    org = import_and_accept(sessions, directive(), clock())  # due 10/12: not for a private chat that never asked
    msg = await say(fake_telegram, MEMBER, "/task_add 05/12/2026 Nộp hồ sơ thi đua")
    own = int(re.findall(r"#(\d+)", msg["text"])[0])
    msg = await say(fake_telegram, MEMBER, "/subscriptions")
    assert msg["text"].splitlines() == [
        "🔔 Chat này được nhắc hạn:",
        "• việc riêng của anh/chị (thêm bằng /task_add trong chat này)",
        "",
        "Nhận thêm việc chung: /subscribe hoặc /subscribe <đơn vị>; tắt mọi nhắc hạn: /unsubscribe.",
    ]
    for when in (vn(2026, 12, 2, 8, 1), vn(2026, 12, 3, 8, 1)):  # the 3-day reminder; the org tasks' 7-day
        clock.set(when)
        await sweep(app)
    [reminder] = reminder_texts(fake_telegram, MEMBER)
    assert reminder.startswith(f"⏰ Nhắc hạn công việc #{own}\nNộp hồ sơ thi đua\nHạn chót: 05/12/2026 — còn 3 ngày")
    with sessions() as s:
        assert s.get(db.SubscriptionRow, MEMBER) is None  # nothing was written to remind the author
    # /unsubscribe: the reminder already planned is dropped and nothing more comes, not even the digest.
    clock.set(vn(2026, 12, 4, 8, 0))
    with sessions() as s:
        assert reminders.plan_due(s, clock(), settings) == 1
        s.commit()
    msg = await say(fake_telegram, MEMBER, "/unsubscribe")
    assert msg["text"] == task_replies.UNSUBSCRIBED_PRIVATE.replace("&lt;", "<").replace("&gt;", ">")
    msg = await say(fake_telegram, MEMBER, "/unsubscribe")
    assert msg["text"] == task_replies.NOT_SUBSCRIBED_PRIVATE
    msg = await say(fake_telegram, MEMBER, "/subscriptions")
    assert msg["text"].startswith("Chat này đã tắt nhắc hạn, kể cả việc riêng của anh/chị.")
    for when in (vn(2026, 12, 4, 8, 1), vn(2026, 12, 6, 8, 1)):
        clock.set(when)
        await sweep(app)
    assert len(reminder_texts(fake_telegram, MEMBER)) == 1
    with sessions() as s:
        assert [(r.kind, r.status, r.last_error) for r in reminders.outbox(s, MEMBER)][-1] == (
            "offset-1",
            "skipped",
            "unsubscribed",
        )
    # /subscribe <unit> turns reminders on again (the overdue personal task's digest, the unit's task).
    msg = await say(fake_telegram, MEMBER, "/subscribe Sở Nội vụ")
    assert msg["text"].startswith("🔔 Đã theo dõi đơn vị «Sở Nội vụ»")
    clock.set(vn(2026, 12, 7, 8, 1))
    await sweep(app)
    unit_reminder, digest = sorted(reminder_texts(fake_telegram, MEMBER)[1:])  # "⏰ …" before "📋 …"
    assert digest.splitlines()[1].startswith(f"• #{own} Nộp hồ sơ thi đua — hạn 05/12/2026, quá hạn 2 ngày")
    assert unit_reminder.startswith(f"⏰ Nhắc hạn công việc #{org[1].id}\nSở Nội vụ tổng hợp")
    # Unfollowing the last unit goes back to the default: personal tasks only.
    msg = await say(fake_telegram, MEMBER, "/unsubscribe so noi vu")
    assert msg["text"] == "Đã thôi theo dõi đơn vị «so noi vu»; chat này chỉ còn nhắc hạn việc riêng của anh/chị."
    msg = await say(fake_telegram, MEMBER, "/subscriptions")
    assert msg["text"].splitlines()[1] == "• việc riêng của anh/chị (thêm bằng /task_add trong chat này)"
    clock.set(vn(2026, 12, 8, 8, 1))
    await sweep(app)
    [digest] = reminder_texts(fake_telegram, MEMBER)[3:]
    assert re.findall(r"#(\d+)", digest) == [str(own)]  # the Sở Nội vụ task (due 10/12) not any more
    # A person who blocked the bot: the refusal is recorded, nothing is planned for them again.
    msg = await say(fake_telegram, OUTSIDER, "/task_add 20/12/2026 Hoàn thiện bản kiểm điểm cá nhân")
    real_send = fake_telegram._m_sendMessage

    def refuse_outsider(params: dict[str, Any]) -> dict[str, Any]:
        from tests.fake_telegram import TelegramAPIError

        if params.get("chat_id") == OUTSIDER:
            raise TelegramAPIError(403, "Forbidden: bot was blocked by the user")
        return real_send(params)

    fake_telegram._m_sendMessage = refuse_outsider  # type: ignore[method-assign]
    clock.set(vn(2026, 12, 13, 8, 1))
    await sweep(app)
    clock.set(vn(2026, 12, 17, 8, 1))
    await sweep(app)
    with sessions() as s:
        assert [(r.kind, r.status) for r in reminders.outbox(s, OUTSIDER)] == [("offset-7", "skipped")]
        sub = s.get(db.SubscriptionRow, OUTSIDER)
        assert sub is not None and sub.blocked_at is not None and not sub.active


async def test_group_task_invisible_to_another_group(
    app: Any, fake_telegram: FakeTelegram, sessions: sessionmaker[Session], clock: Clock
) -> None:
    await say(fake_telegram, OTHER_GROUP, "/subscribe", ADMIN_ID)
    await say(fake_telegram, ALLOWED_GROUP, "/subscribe", ADMIN_ID)
    await say(fake_telegram, ALLOWED_GROUP, "/task_add 10/12/2026 Chuẩn bị hội nghị chi bộ", MEMBER)
    msg = await say(fake_telegram, OTHER_GROUP, "/tasks", ADMIN_ID)
    assert msg["text"] == task_replies.NO_TASKS
    msg = await say(fake_telegram, OTHER_GROUP, "/task 1", ADMIN_ID)
    assert msg["text"] == "Không tìm thấy công việc #1; anh/chị xem mã trong /tasks."
    msg = await say(fake_telegram, ALLOWED_GROUP, "/tasks", OTHER_MEMBER)
    assert "#1 Chuẩn bị hội nghị chi bộ" in msg["text"]
    # In private: the group's members see it (Telegram says they are members), others do not.
    msg = await say(fake_telegram, MEMBER, "/tasks")
    assert "#1 Chuẩn bị hội nghị chi bộ" in msg["text"]
    msg = await say(fake_telegram, OUTSIDER, "/tasks")
    assert msg["text"] == task_replies.NO_TASKS
    assert any(
        c.params["chat_id"] == ALLOWED_GROUP and c.params["user_id"] == OUTSIDER
        for c in fake_telegram.calls_of("getChatMember")
    )
    clock.set(vn(2026, 12, 3, 8, 1))
    await sweep(app)
    assert reminded_ids(fake_telegram, ALLOWED_GROUP) == [1]
    assert reminder_texts(fake_telegram, OTHER_GROUP) == []


async def test_group_following_one_unit_gets_only_that_units_reminders(
    app: Any, fake_telegram: FakeTelegram, sessions: sessionmaker[Session], clock: Clock
) -> None:
    districts, home_affairs, finance = import_and_accept(sessions, directive(), clock())
    assert (districts.owner, home_affairs.owner, finance.owner) == (
        "Các huyện ủy, thị ủy, thành ủy",
        "Sở Nội vụ",
        "Sở Tài chính",
    )
    msg = await say(fake_telegram, ALLOWED_GROUP, "/subscribe Huyện ủy Đức Trọng", ADMIN_ID)
    assert msg["text"].startswith("🔔 Đã theo dõi đơn vị «Huyện ủy Đức Trọng»")
    msg = await say(fake_telegram, ALLOWED_GROUP, "/subscribe khong dau: so noi vu", MEMBER)
    assert msg["text"] == task_replies.ADMIN_ONLY
    await say(fake_telegram, OTHER_GROUP, "/subscribe", ADMIN_ID)  # everything
    await say(fake_telegram, ALLOWED_GROUP, "/task_add 10/12/2026 Họp chi bộ tháng 12", MEMBER)  # its own
    msg = await say(fake_telegram, ALLOWED_GROUP, "/subscriptions", MEMBER)
    assert msg["text"].splitlines() == [
        "🔔 Nhóm này được nhắc hạn:",
        "• các việc của chính nhóm",
        "• việc chung giao cho: Huyện ủy Đức Trọng",
        "",
        "Bỏ một đơn vị: /unsubscribe <đơn vị>; huỷ hết: /unsubscribe.",
    ]
    # /tasks in the group lists what it follows.
    msg = await say(fake_telegram, ALLOWED_GROUP, "/tasks", MEMBER)
    listed = {int(i) for i in re.findall(r"• #(\d+)", msg["text"])}
    assert listed == {districts.id, 4}
    clock.set(vn(2026, 12, 3, 8, 1))
    await sweep(app)
    assert reminded_ids(fake_telegram, ALLOWED_GROUP) == [districts.id, 4]
    assert reminded_ids(fake_telegram, OTHER_GROUP) == [districts.id, home_affairs.id, finance.id]
    # A second unit is added to the first.
    msg = await say(fake_telegram, ALLOWED_GROUP, "/subscribe sở nội vụ", ADMIN_ID)
    assert "Đã theo dõi đơn vị «sở nội vụ»" in msg["text"]
    clock.set(vn(2026, 12, 7, 8, 1))
    await sweep(app)
    texts = reminder_texts(fake_telegram, ALLOWED_GROUP)[2:]
    assert sorted(int(re.search(r"#(\d+)", t)[1]) for t in texts) == [districts.id, home_affairs.id, 4]  # type: ignore[index]
    msg = await say(fake_telegram, ALLOWED_GROUP, "/unsubscribe Huyen uy Duc Trong", ADMIN_ID)
    assert msg["text"] == "Đã thôi theo dõi đơn vị «Huyen uy Duc Trong». Xem: /subscriptions."
    msg = await say(fake_telegram, ALLOWED_GROUP, "/unsubscribe Sở Y tế", ADMIN_ID)
    assert msg["text"] == "Nhóm này không theo dõi đơn vị «Sở Y tế»; xem danh sách bằng /subscriptions."
    # Asking for the organisation-wide ones too: "/subscribe" without a unit adds everything.
    msg = await say(fake_telegram, ALLOWED_GROUP, "/subscribe", ADMIN_ID)
    assert msg["text"].startswith("🔔 Nhóm này đã đăng ký nhắc hạn từ trước.")
    msg = await say(fake_telegram, ALLOWED_GROUP, "/subscriptions", MEMBER)
    assert "• mọi việc chung của cơ quan (trích từ văn bản)" in msg["text"].splitlines()
    clock.set(vn(2026, 12, 9, 8, 1))  # the 1-day reminders of 10/12
    await sweep(app)
    texts = reminder_texts(fake_telegram, ALLOWED_GROUP)[5:]
    assert sorted(int(re.search(r"#(\d+)", t)[1]) for t in texts) == [  # type: ignore[index]
        districts.id,
        home_affairs.id,
        finance.id,
        4,
    ]


# --------------------------------------------------------------------------------------------------
# Who may do what


async def test_non_creator_done_refused(
    app: Any, fake_telegram: FakeTelegram, sessions: sessionmaker[Session], clock: Clock
) -> None:
    [org_task, *_] = import_and_accept(sessions, directive(), clock())
    await say(fake_telegram, ALLOWED_GROUP, "/task_add 10/12/2026 Rà soát hồ sơ đảng viên", MEMBER)
    await say(fake_telegram, ALLOWED_GROUP, "/task_add 11/12/2026 Chuẩn bị phòng họp", MEMBER)
    own = 4
    msg = await say(fake_telegram, ALLOWED_GROUP, f"/done {own}", OTHER_MEMBER)
    assert msg["text"] == (
        f"Xin lỗi, chỉ người thêm công việc #{own}, quản trị viên của nhóm hoặc quản trị viên của trợ lý mới "
        "được thay đổi công việc này."
    )
    msg = await say(fake_telegram, ALLOWED_GROUP, f"/task_edit {own} 20/12/2026", OTHER_MEMBER)
    assert msg["text"].startswith("Xin lỗi, chỉ người thêm công việc")
    msg = await say(fake_telegram, ALLOWED_GROUP, f"/done {org_task.id}", MEMBER)
    assert msg["text"] == (
        f"Xin lỗi, công việc #{org_task.id} là việc chung của cơ quan, chỉ quản trị viên của trợ lý mới được thay đổi."
    )
    with sessions() as s:
        assert tasks.get_task(s, own).status == "open"  # type: ignore[union-attr]
        assert tasks.get_task(s, org_task.id).status == "open"  # type: ignore[union-attr]
    # A group administrator (getChatMember) may; so may the creator and a bot admin.
    msg = await say(fake_telegram, ALLOWED_GROUP, f"/done {own}", GROUP_ADMIN)
    assert msg["text"] == f"✅ Đã đánh dấu hoàn thành công việc #{own}: Rà soát hồ sơ đảng viên"
    msg = await say(fake_telegram, ALLOWED_GROUP, "/done 5", MEMBER)
    assert msg["text"].startswith("✅ Đã đánh dấu hoàn thành công việc #5")
    msg = await say(fake_telegram, ALLOWED_GROUP, f"/done {org_task.id}", ADMIN_ID)
    assert msg["text"].startswith(f"✅ Đã đánh dấu hoàn thành công việc #{org_task.id}")
    msg = await say(fake_telegram, ALLOWED_GROUP, f"/task {own}", OTHER_MEMBER)
    assert f"báo xong (Người dùng {GROUP_ADMIN})" in msg["text"]


# --------------------------------------------------------------------------------------------------
# Editing


async def test_task_edit_moves_the_reminders(
    app: Any, fake_telegram: FakeTelegram, sessions: sessionmaker[Session], clock: Clock, settings: Any
) -> None:
    await say(fake_telegram, ALLOWED_GROUP, "/subscribe", ADMIN_ID)
    await say(fake_telegram, ALLOWED_GROUP, "/task_add 10/12/2026 Nộp báo cáo tổng kết", MEMBER)
    clock.set(vn(2026, 12, 7, 8, 0))  # the 3-day reminder of 10/12 is due: planned, not yet sent
    with sessions() as s:
        assert reminders.plan_due(s, clock(), settings) == 1
        s.commit()
    msg = await say(fake_telegram, ALLOWED_GROUP, "/task_edit 1 20/12/2026", MEMBER)
    assert msg["text"] == (
        "✏️ Đã sửa công việc #1: Nộp báo cáo tổng kết\n"
        "Hạn mới: 20/12/2026 (Chủ nhật) — còn 13 ngày; nhắc hạn theo ngày mới."
    )
    with sessions() as s:
        [old] = reminders.outbox(s, ALLOWED_GROUP)
        assert (old.status, old.last_error) == ("skipped", "deadline changed")
    for when in (vn(2026, 12, 7, 8, 1), vn(2026, 12, 9, 8, 1), vn(2026, 12, 10, 8, 1), vn(2026, 12, 13, 8, 1)):
        clock.set(when)
        await sweep(app)
    [reminder] = reminder_texts(fake_telegram, ALLOWED_GROUP)
    assert reminder.splitlines()[2] == "Hạn chót: 20/12/2026 — còn 7 ngày"
    msg = await say(fake_telegram, ALLOWED_GROUP, "/task_edit 1 text: Nộp báo cáo tổng kết năm 2026", MEMBER)
    assert msg["text"] == "✏️ Đã sửa công việc #1: Nộp báo cáo tổng kết năm 2026"
    msg = await say(fake_telegram, ALLOWED_GROUP, "/task 1", OTHER_MEMBER)
    detail = msg["text"]
    assert f"Người thêm: Người dùng {MEMBER}, lúc 09:00 01/12/2026 (lệnh /task_add)" in detail
    assert "Văn bản ghi" not in detail
    history = detail[detail.index("Lịch sử") :].splitlines()[1:]
    assert history == [
        f"• 09:00 01/12/2026 — thêm (Người dùng {MEMBER})",
        f"• 08:00 07/12/2026 — sửa hạn 10/12/2026 → 20/12/2026 (Người dùng {MEMBER})",
        f"• 08:01 13/12/2026 — sửa nội dung (trước đó: «Nộp báo cáo tổng kết») (Người dùng {MEMBER})",
    ]
    for bad in ("/task_edit", "/task_edit 1", "/task_edit 1 ngày nào đó", "/task_edit 1 text:   "):
        msg = await say(fake_telegram, ALLOWED_GROUP, bad, MEMBER)
        assert msg["text"].startswith("Cách dùng: /task_edit <mã> <hạn mới>")


async def test_edited_task_add_message_edits_that_task(
    app: Any, fake_telegram: FakeTelegram, sessions: sessionmaker[Session]
) -> None:
    await say(fake_telegram, ALLOWED_GROUP, "/task_add 20/12/2026 Gửi danh sách đề nghị khen thưởng", MEMBER)
    [command] = [m for (c, _), m in fake_telegram._messages.items() if c == ALLOWED_GROUP and m["from"]["id"] == MEMBER]
    before = len(fake_telegram.sent_messages(ALLOWED_GROUP))
    fake_telegram.feed_edit(ALLOWED_GROUP, command["message_id"], "/task_add 22/12/2026 Gửi danh sách khen thưởng")
    await fake_telegram.await_for("sendMessage", _to(ALLOWED_GROUP), count=before + 1, timeout=10)
    reply = fake_telegram.sent_messages(ALLOWED_GROUP)[before]
    assert reply["text"].startswith("✏️ Đã sửa công việc #1: Gửi danh sách khen thưởng\nHạn mới: 22/12/2026")
    with sessions() as s:
        [row] = s.scalars(select(TaskRow)).all()
        assert (row.text, row.deadline, row.source_message_id) == (
            "Gửi danh sách khen thưởng",
            D(2026, 12, 22),
            command["message_id"],
        )


# --------------------------------------------------------------------------------------------------
# Deleting


async def test_task_delete_asks_then_drops_the_task_everywhere(
    app: Any, fake_telegram: FakeTelegram, sessions: sessionmaker[Session], clock: Clock, settings: Any
) -> None:
    await say(fake_telegram, ALLOWED_GROUP, "/subscribe", ADMIN_ID)
    await say(fake_telegram, ALLOWED_GROUP, "/task_add 10/12/2026 Gửi danh sách dự hội nghị", MEMBER)
    clock.set(vn(2026, 12, 7, 8, 0))  # the 3-day reminder is planned, not yet sent
    with sessions() as s:
        assert reminders.plan_due(s, clock(), settings) == 1
        s.commit()
    for bad in ("/task_delete", "/task_delete abc", "/task_delete 1 2"):
        msg = await say(fake_telegram, ALLOWED_GROUP, bad, MEMBER)
        assert msg["text"] == "Cách dùng: /task_delete <mã công việc>, ví dụ: /task_delete 12 (mã xem trong /tasks)."
    msg = await say(fake_telegram, ALLOWED_GROUP, "/task_delete 1", OTHER_MEMBER)
    assert msg["text"].startswith("Xin lỗi, chỉ người thêm công việc #1, quản trị viên của nhóm")

    async def press(message: dict[str, Any], data: str, user_id: int) -> dict[str, Any]:
        answers = len(fake_telegram.calls_of("answerCallbackQuery"))
        fake_telegram.feed_callback(ALLOWED_GROUP, message["message_id"], data, user_id=user_id)
        await fake_telegram.await_for("answerCallbackQuery", count=answers + 1, timeout=10)
        return fake_telegram.calls_of("answerCallbackQuery")[answers].params

    # The author asks, then keeps it.
    question = await say(fake_telegram, ALLOWED_GROUP, "/task_delete #1", MEMBER)
    assert question["text"].splitlines()[0] == "🗑 Xoá công việc #1: Gửi danh sách dự hội nghị?"
    buttons = [[b["text"], b["callback_data"]] for row in question["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == [["🗑 Xoá #1", "td:y:1"], ["Không xoá", "td:n:1"]]
    await press(question, "td:n:1", MEMBER)
    await fake_telegram.await_for("editMessageText", count=1, timeout=10)
    assert fake_telegram.message(ALLOWED_GROUP, question["message_id"])["text"] == "Đã giữ lại công việc #1."
    # Asked again: another member pressing "Xoá" is refused (the presser's rights are checked).
    question = await say(fake_telegram, ALLOWED_GROUP, "/task_delete 1", MEMBER)
    answer = await press(question, "td:y:1", OTHER_MEMBER)
    assert answer["text"].startswith("Xin lỗi, chỉ người thêm công việc #1")
    with sessions() as s:
        assert tasks.get_task(s, 1).status == "open"  # type: ignore[union-attr]
    # A group administrator may (getChatMember).
    answer = await press(question, "td:y:1", GROUP_ADMIN)
    assert answer["text"] == "🗑 Đã xoá công việc #1: Gửi danh sách dự hội nghị"
    await fake_telegram.await_for("editMessageText", count=2, timeout=10)
    shown = fake_telegram.message(ALLOWED_GROUP, question["message_id"])
    assert shown["text"] == "🗑 Đã xoá công việc #1: Gửi danh sách dự hội nghị" and not shown.get("reply_markup")
    with sessions() as s:
        [row] = reminders.outbox(s, ALLOWED_GROUP)
        assert (row.status, row.last_error) == ("skipped", "task deleted")
        assert [e.action for e in tasks.history(s, 1)] == ["created", "deleted"]
    # Out of every list, export and reminder; its detail says who deleted it.
    for chat, user in ((ALLOWED_GROUP, MEMBER), (MEMBER, MEMBER)):
        msg = await say(fake_telegram, chat, "/tasks", user)
        assert msg["text"] == task_replies.NO_TASKS
        msg = await say(fake_telegram, chat, "/tasks tuần sau", user)
        assert "Gửi danh sách" not in msg["text"]
        msg = await say(fake_telegram, chat, "/export", user)
        assert msg["text"] == task_replies.EXPORT_EMPTY
    for when in (vn(2026, 12, 7, 8, 1), vn(2026, 12, 9, 8, 1), vn(2026, 12, 12, 8, 1)):  # offsets and digest
        clock.set(when)
        await sweep(app)
    assert reminder_texts(fake_telegram, ALLOWED_GROUP) == []
    msg = await say(fake_telegram, ALLOWED_GROUP, "/task 1", OTHER_MEMBER)
    assert "Trạng thái: đã xoá (việc của nhóm)" in msg["text"]
    assert msg["text"].splitlines()[-1] == f"• 08:00 07/12/2026 — xoá (Người dùng {GROUP_ADMIN})"
    msg = await say(fake_telegram, ALLOWED_GROUP, "/task_delete 1", MEMBER)
    assert msg["text"] == "Công việc #1 không còn mở (trạng thái: đã xoá)."
    for command in ("/done 1", "/task_edit 1 30/12/2026"):
        msg = await say(fake_telegram, ALLOWED_GROUP, command, MEMBER)
        assert "không" in msg["text"] and not msg["text"].startswith(("✅", "✏️"))
    # A stale or forged button changes nothing.
    answer = await press(question, "td:y:99", GROUP_ADMIN)
    assert answer["text"] == "Không tìm thấy công việc #99; anh/chị xem mã trong /tasks."


async def test_organisation_task_deleted_by_a_bot_admin_stays_deleted_on_reimport(
    app: Any, fake_telegram: FakeTelegram, sessions: sessionmaker[Session], clock: Clock
) -> None:
    [districts, *_] = import_and_accept(sessions, directive(), clock())
    msg = await say(fake_telegram, ALLOWED_GROUP, f"/task_delete {districts.id}", MEMBER)
    assert msg["text"] == (
        f"Xin lỗi, công việc #{districts.id} là việc chung của cơ quan, chỉ quản trị viên của trợ lý mới được thay đổi."
    )
    question = await say(fake_telegram, ADMIN_ID, f"/task_delete {districts.id}")
    fake_telegram.feed_callback(ADMIN_ID, question["message_id"], f"td:y:{districts.id}")
    await fake_telegram.await_for("editMessageText", count=1, timeout=10)
    with sessions() as s:
        import_documents(s, [directive()], clock() + dt.timedelta(days=1))  # the document imported again
        s.commit()
        row = s.get(TaskRow, districts.id)
        assert (row.status, row.review) == ("cancelled", "dropped")  # type: ignore[union-attr]
    msg = await say(fake_telegram, ALLOWED_GROUP, "/tasks", MEMBER)
    assert f"#{districts.id} " not in msg["text"] and "Sở Nội vụ" in msg["text"]
    msg = await say(fake_telegram, ADMIN_ID, f"/task {districts.id}")
    assert "Trạng thái: đã xoá (việc chung của cơ quan)" in msg["text"]


# --------------------------------------------------------------------------------------------------
# Review by document


def old_report() -> Document:
    """A 2024 document imported in 2026: two of its three tasks were overdue when imported."""
    return Document(
        "bao_cao_2024.txt",
        "Báo cáo giao ban quý I/2024",
        D(2024, 3, 30),
        "Tỉnh ủy",
        (
            "Ban Tổ chức Tỉnh ủy hoàn thành thẩm định hồ sơ quy hoạch trước ngày 30/4/2024.",
            "Sở Nội vụ trình đề án vị trí việc làm trước ngày 30/6/2024.",
            "Các huyện ủy tổ chức tổng kết công tác tổ chức xây dựng Đảng trước ngày 31/12/2026.",
        ),
    )


async def test_bulk_accept_and_archive_of_a_documents_candidates(
    app: Any, fake_telegram: FakeTelegram, sessions: sessionmaker[Session], clock: Clock
) -> None:
    with sessions() as s:
        import_documents(s, [old_report(), directive()], clock())
        s.commit()
        by_doc = {g.doc: [t.id for t in g.tasks] for g in tasks.candidates_by_doc(s)}
    assert {k: len(v) for k, v in by_doc.items()} == {"bao_cao_2024.txt": 3, "chi_dao.txt": 3}
    page = await say(fake_telegram, ADMIN_ID, "/tasks_review")
    lines = page["text"].splitlines()
    assert lines[:3] == [
        "🗂 Nhiệm vụ chờ duyệt: 6 trong 2 văn bản",
        "📄 Văn bản 1/2: bao_cao_2024.txt",
        "3 nhiệm vụ, 2 đã quá hạn khi nhập",
    ]
    assert page["text"].count("đã quá hạn khi nhập") == 3  # the count and two of the lines
    first_old = by_doc["bao_cao_2024.txt"][0]
    first_new = by_doc["chi_dao.txt"][0]
    labels = {label for row in page["reply_markup"]["inline_keyboard"] for label in [b["text"] for b in row]}
    assert {"✅ Nhận cả văn bản (3)", "🗄 Lưu trữ cả văn bản (3)", "Văn bản sau ▶"} <= labels
    assert "🗄 Lưu trữ 2 việc đã quá hạn khi nhập (văn bản này)" in labels
    message_id = page["message_id"]

    async def press(data: str, edits: int) -> dict[str, Any]:
        fake_telegram.feed_callback(ADMIN_ID, message_id, data)
        await fake_telegram.await_for("editMessageText", count=edits, timeout=10)
        return fake_telegram.message(ADMIN_ID, message_id)

    # Turning the page edits the same message.
    shown = await press("tk:p:1", 1)
    assert "📄 Văn bản 2/2: chi_dao.txt" in shown["text"]
    shown = await press("tk:p:0", 2)
    assert "📄 Văn bản 1/2: bao_cao_2024.txt" in shown["text"]
    # Archive what was overdue when imported, then accept the rest of the document at once.
    shown = await press(f"tk:L:{first_old}", 3)
    assert shown["text"].startswith("🗄 Đã lưu trữ 2 nhiệm vụ đã quá hạn khi nhập.")
    assert "📄 Văn bản 1/2: bao_cao_2024.txt" in shown["text"] and "1 nhiệm vụ" in shown["text"]
    shown = await press(f"tk:A:{first_old}", 4)
    assert shown["text"].startswith("✅ Đã nhận 1 nhiệm vụ")
    assert "📄 Văn bản 1/1: chi_dao.txt" in shown["text"]
    shown = await press(f"tk:D:{first_new}", 5)
    assert shown["text"].startswith("🗄 Đã lưu trữ 3 nhiệm vụ.") and task_replies.NO_CANDIDATES in shown["text"]
    assert len(fake_telegram.sent_messages(ADMIN_ID)) == 1  # paged by editing, not by sending
    with sessions() as s:
        review = {r.id: r.review for r in s.scalars(select(TaskRow))}
        archived_events = s.scalars(select(TaskEventRow).where(TaskEventRow.action == "archived")).all()
    old_ids = by_doc["bao_cao_2024.txt"]
    assert [review[i] for i in old_ids] == ["dropped", "dropped", "accepted"]
    assert [review[i] for i in by_doc["chi_dao.txt"]] == ["dropped"] * 3
    assert len(archived_events) == 5


# --------------------------------------------------------------------------------------------------
# Windows


async def test_this_week_lists_no_overdue_items(
    app: Any, fake_telegram: FakeTelegram, sessions: sessionmaker[Session], clock: Clock
) -> None:
    with sessions() as s:  # today is Tuesday 1/12/2026
        for text_, deadline in (
            ("Nộp báo cáo tháng 11", D(2026, 11, 28)),
            ("Họp chi bộ", D(2026, 12, 4)),
            ("Tổng kết năm", D(2026, 12, 15)),
            ("Việc cũ từ năm 2024", D(2024, 4, 30)),
        ):
            tasks.add_task(s, text_, deadline, None, MEMBER, ALLOWED_GROUP, now=clock())
        s.commit()
    msg = await say(fake_telegram, ALLOWED_GROUP, "/tasks tuần này", MEMBER)
    lines = msg["text"].splitlines()
    assert lines[0] == "📅 Công việc đến hạn trong tuần này (01/12/2026 – 06/12/2026): 1"
    assert lines[1].startswith("• #2 Họp chi bộ — hạn 04/12/2026")
    assert lines[2:4] == ["", "⚠️ Đã quá hạn: 2 (không thuộc khoảng trên)"]
    assert lines[4].startswith("• #4 Việc cũ từ năm 2024 — ⚠️ QUÁ HẠN 945 ngày")
    assert lines[5].startswith("• #1 Nộp báo cáo tháng 11 — ⚠️ QUÁ HẠN 3 ngày")
    assert "Tổng kết năm" not in msg["text"]
    msg = await say(fake_telegram, ALLOWED_GROUP, "/tasks thang nay", MEMBER)
    assert msg["text"].splitlines()[0] == "📅 Công việc đến hạn trong tháng này (01/12/2026 – 31/12/2026): 2"
    msg = await say(fake_telegram, ALLOWED_GROUP, "/tasks quá hạn", MEMBER)
    assert msg["text"].splitlines()[0] == "📅 Công việc đã quá hạn: 2"
    msg = await say(fake_telegram, ALLOWED_GROUP, "/tasks năm ngoái", MEMBER)
    assert msg["text"] == "Cách dùng: /tasks [tuần này | tuần sau | tháng này | tháng sau | hôm nay | quá hạn]."


# --------------------------------------------------------------------------------------------------
# Export


def _expected_rows(sessions: sessionmaker[Session]) -> list[tasks.Task]:
    with sessions() as s:
        return [tasks.get_task(s, i) for i in (1, 2, 3, 4, 5)]  # type: ignore[misc]


async def test_export_files_cell_by_cell_and_event_by_event(
    app: Any, fake_telegram: FakeTelegram, sessions: sessionmaker[Session], clock: Clock
) -> None:
    from icalendar import Calendar
    from openpyxl import load_workbook

    import_and_accept(sessions, directive(), clock())  # #1-#3, organisation tasks
    with sessions() as s:
        tasks.add_task(s, "Báo cáo giao ban <tháng> & kiến nghị", D(2026, 12, 25), "monthly, before day 25",
                       MEMBER, ALLOWED_GROUP, now=clock())  # fmt: skip
        tasks.add_task(s, "Việc riêng", D(2026, 12, 9), None, MEMBER, MEMBER, now=clock())
        s.commit()
    before = len(fake_telegram.sent_documents(ALLOWED_GROUP))
    fake_telegram.feed_message(ALLOWED_GROUP, "/export", user_id=MEMBER, chat_type="group")
    await fake_telegram.await_for("sendDocument", _to(ALLOWED_GROUP), count=before + 2, timeout=15)
    xlsx, ics = fake_telegram.sent_documents(ALLOWED_GROUP)
    assert xlsx["file_name"] == "cong-viec-2026-12-01.xlsx" and ics["file_name"] == "cong-viec-2026-12-01.ics"
    assert xlsx["caption"] == "Bảng tính Excel: 4 công việc đang mở mà nhóm/anh/chị xem được."

    ws = load_workbook(io.BytesIO(xlsx["data"])).active
    got = [[c.value for c in row] for row in ws.iter_rows()]
    assert got[0] == ["Mã", "Nội dung", "Đơn vị chủ trì", "Hạn", "Lặp lại", "Trạng thái", "Nguồn"]
    assert [r[0] for r in got[1:]] == [1, 2, 3, 4]  # nearest deadline first; the private task is not there
    assert got[1] == [
        1,
        "Các huyện ủy, thị ủy, thành ủy gửi báo cáo sơ kết công tác tổ chức trước ngày 10/12/2026.",
        "Các huyện ủy, thị ủy, thành ủy",
        dt.datetime(2026, 12, 10),
        None,
        "đang mở",
        "chi_dao.txt, đoạn 1",
    ]
    assert got[4] == [
        4,
        "Báo cáo giao ban <tháng> & kiến nghị",
        None,
        dt.datetime(2026, 12, 25),
        "hằng tháng, trước ngày 25",
        "đang mở",
        "thêm bằng /task_add",
    ]
    assert ws["D2"].number_format == "DD/MM/YYYY"

    cal = Calendar.from_ical(ics["data"])
    events = {str(e.get("uid")): e for e in cal.walk("VEVENT")}
    assert set(events) == {"task-1@chidao", "task-2@chidao", "task-3@chidao", "task-4@chidao"}
    first = events["task-1@chidao"]
    assert first.decoded("dtstart") == D(2026, 12, 10) and first.decoded("dtend") == D(2026, 12, 11)
    assert str(first.get("summary")).startswith("#1 Các huyện ủy, thị ủy, thành ủy gửi báo cáo")
    assert "rrule" not in first
    monthly = events["task-4@chidao"]
    assert str(monthly.get("summary")) == "#4 Báo cáo giao ban <tháng> & kiến nghị"
    assert monthly.decoded("dtstart") == D(2026, 12, 25)
    assert dict(monthly.get("rrule")) == {"FREQ": ["MONTHLY"], "INTERVAL": [1], "BYMONTHDAY": [25]}
    # In the private chat the person's own task is exported too.
    fake_telegram.feed_message(MEMBER, "/export", user_id=MEMBER)
    await fake_telegram.await_for("sendDocument", _to(MEMBER), count=2, timeout=15)
    private_ws = load_workbook(io.BytesIO(fake_telegram.sent_documents(MEMBER)[0]["data"])).active
    assert [row[0].value for row in private_ws.iter_rows(min_row=2)] == [5, 1, 2, 3, 4]


def test_cli_export(
    settings: Any, sessions: sessionmaker[Session], clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from icalendar import Calendar
    from openpyxl import load_workbook

    from bot.cli import main

    now = dt.datetime.now(dt.UTC)
    soon = (now + dt.timedelta(days=30)).date()
    with sessions() as s:
        tasks.add_task(s, "Tổng hợp báo cáo quý", soon, "quarterly", ADMIN_ID, None, now=now)
        tasks.add_task(s, "Việc của nhóm", soon, None, MEMBER, ALLOWED_GROUP, now=now)
        s.commit()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHIDAO_DATABASE_URL", settings.database_url)
    assert main(["tasks", "export", "--format", "xlsx", "-o", str(tmp_path / "t.xlsx")]) == 0
    assert "1 công việc ->" in capsys.readouterr().out
    ws = load_workbook(tmp_path / "t.xlsx").active
    assert [[c.value for c in r][:2] for r in ws.iter_rows(min_row=2)] == [[1, "Tổng hợp báo cáo quý"]]
    assert main(["tasks", "export", "--format", "ics", "--chat", str(ALLOWED_GROUP), "-o", "g.ics"]) == 0
    cal = Calendar.from_ical((tmp_path / "g.ics").read_bytes())
    rules = {str(e.get("uid")): e.get("rrule") for e in cal.walk("VEVENT")}
    assert set(rules) == {"task-1@chidao", "task-2@chidao"}
    assert dict(rules["task-1@chidao"])["FREQ"] == ["MONTHLY"] and dict(rules["task-1@chidao"])["INTERVAL"] == [3]
    assert rules["task-2@chidao"] is None
    assert main(["tasks", "export", "--format", "csv", "-o", "t.csv"]) == 0
    csv_text = (tmp_path / "t.csv").read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0] == "Mã,Nội dung,Đơn vị chủ trì,Hạn,Lặp lại,Trạng thái,Nguồn"
    assert csv_text.splitlines()[1].startswith(f"1,Tổng hợp báo cáo quý,,{soon.isoformat()},hằng quý,")


# --------------------------------------------------------------------------------------------------
# Migration of a database populated at 0001


def test_upgrade_from_0001_keeps_tasks_and_subscriptions_meaningful(database_url: str) -> None:
    engine = db.make_engine(database_url)
    try:
        db.upgrade(engine, "0001")
        at = "2026-11-30 02:00:00"
        with engine.begin() as conn:
            for sql in (
                "INSERT INTO tasks (id, text, text_key, deadline, status, review, source_doc, source_paragraph,"
                " created_by, chat_id, created_at, updated_at, owner)"
                f" VALUES (1, 'Từ văn bản', 'tu van ban', '2026-12-10', 'open', 'accepted', 'a.txt', 2, NULL,"
                f" NULL, '{at}', '{at}', 'Sở Nội vụ')",
                "INSERT INTO tasks (id, text, text_key, deadline, status, review, created_by, chat_id, created_at,"
                f" updated_at) VALUES (2, 'Của nhóm', 'cua nhom', '2026-12-10', 'open', 'accepted', 501, -2002,"
                f" '{at}', '{at}')",
                "INSERT INTO tasks (id, text, text_key, deadline, status, review, created_by, chat_id, created_at,"
                f" updated_at, done_at) VALUES (3, 'Riêng', 'rieng', '2026-12-10', 'done', 'accepted', 501, 501,"
                f" '{at}', '{at}', '{at}')",
                "INSERT INTO tasks (id, text, text_key, deadline, status, review, created_by, chat_id, created_at,"
                f" updated_at) VALUES (4, 'Từ dòng lệnh', 'tu dong lenh', '2026-12-10', 'open', 'accepted', 1001,"
                f" NULL, '{at}', '{at}')",
                f"INSERT INTO subscriptions (chat_id, subscribed_by, created_at, active) VALUES (-2002, 1001, '{at}',"
                " TRUE)",
            ):
                conn.execute(text(sql))
        db.upgrade(engine)
        assert db.is_current(engine)
        factory = db.make_session_factory(engine)
        with factory() as s:
            scopes = {r.id: r.scope for r in s.scalars(select(TaskRow))}
            assert scopes == {1: "org", 2: "group", 3: "personal", 4: "org"}
            events = [(e.task_id, e.action) for e in s.scalars(select(TaskEventRow).order_by(TaskEventRow.id))]
            assert events == [(1, "imported"), (2, "created"), (3, "created"), (4, "created"), (3, "done")]
            from bot.following import following

            follow = following(s, -2002)
            assert follow.subscribed and follow.all_org  # as before: every organisation task
            from tests.dbfixtures import make_settings

            reminders.plan_due(s, vn(2026, 12, 3, 8, 0), make_settings())
            s.commit()
            assert sorted(r.task_id for r in reminders.outbox(s, -2002)) == [1, 2, 4]
        # And back down to 0001, and up again.
        db.downgrade(engine, "0001")
        db.upgrade(engine)
        assert db.is_current(engine)
    finally:
        engine.dispose()


def test_group_upgraded_to_supergroup_keeps_its_tasks_and_units(sessions: sessionmaker[Session], clock: Clock) -> None:
    import asyncio

    from telegram.error import ChatMigrated

    from bot import following
    from tests.dbfixtures import make_settings

    new_id = -1009999
    with sessions() as s:
        reminders.subscribe(s, ALLOWED_GROUP, ADMIN_ID, clock())
        following.set_all(s, ALLOWED_GROUP, False)
        following.add_unit(s, ALLOWED_GROUP, "Sở Nội vụ", ADMIN_ID, clock())
        own = tasks.add_task(s, "Việc của nhóm", D(2026, 12, 10), None, MEMBER, ALLOWED_GROUP, now=clock())
        s.commit()
    sent: list[tuple[int, str]] = []

    async def send(chat_id: int, text_: str) -> None:
        if chat_id == ALLOWED_GROUP:
            raise ChatMigrated(new_id)
        sent.append((chat_id, text_))

    clock.set(vn(2026, 12, 3, 8, 1))
    asyncio.run(reminders.sweep(sessions, send, clock, make_settings(), "w1"))
    assert [c for c, _ in sent] == [new_id] and f"#{own.id}" in sent[0][1]
    with sessions() as s:
        assert tasks.get_task(s, own.id).chat_id == new_id  # type: ignore[union-attr]
        follow = following.following(s, new_id)
        assert follow.subscribed and not follow.all_org and follow.units == ("Sở Nội vụ",)
        assert following.following(s, ALLOWED_GROUP).units == ()
