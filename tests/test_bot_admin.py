"""End to end: the admin features of the real Application (bot.app.build_application) against the fake
Bot API server, with a real index of a private copy of the tiny corpus (rebuilt by the bot itself).

The encoder is the deterministic HashEncoder, slowed down on demand for passages (not for questions) so
a rebuild lasts long enough to ask questions and send a second /reindex meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import reindex, replies, task_replies
from bot.corpus import Waiting, path_key
from bot.db import AllowedChatRow, TaskRow
from bot.handlers import admin, documents
from bot.handlers import ask as ask_handlers
from index.model import DocMeta
from tests.conftest import ADMIN_ID, ALLOWED_GROUP, STRANGER_ID
from tests.fake_telegram import FakeTelegram, background_done, buttons, handled
from tests.fake_telegram import say as ask
from tests.fakes import HashEncoder
from tests.filebytes import MB, blank_pdf, docx_bytes, zip_bomb
from tests.private_corpus import (  # fixtures and helpers: a private corpus and index per test
    MAX_FILE_MB,
    NEW_DOC,
    NEW_DOC_FACT,
    NEW_DOC_QUESTION,
    SlowEncoder,
    audit_rows,
    bot_settings,
    corpus_dir,
    corpus_state,
    encoder,
    final_status,
    index_dir,
    index_handle,
    status_message,
    status_messages,
)

pytestmark = pytest.mark.usefixtures("bot")

# --------------------------------------------------------------------------------------------------
# Helpers (the private corpus and its fixtures are in tests/private_corpus.py)


def _to(chat_id: int) -> Any:
    return lambda c: c.params.get("chat_id") == chat_id


async def reply_to_document(
    fake: FakeTelegram, data: bytes, name: str, *, user_id: int = ADMIN_ID, mime: str = "text/plain"
) -> dict[str, Any]:
    """Send a file to the bot in a private chat; return the bot's first reply."""
    before = len(fake.sent_messages(user_id))
    fake.feed_document(user_id, data, name, mime, user_id=user_id)
    await fake.await_for("sendMessage", _to(user_id), count=before + 1, timeout=15)
    return fake.sent_messages(user_id)[before]


# --------------------------------------------------------------------------------------------------
# /reindex


async def test_reindex_runs_in_background_once_at_a_time(
    fake_telegram: FakeTelegram, corpus_dir: Path, encoder: SlowEncoder, bot_sessions: Any
) -> None:
    (corpus_dir / "thien_tai.txt").write_text(NEW_DOC, encoding="utf-8")
    encoder.delay = 0.8  # 6 passages: about 5 s of embedding
    started = await ask(fake_telegram, ADMIN_ID, "/reindex")
    assert started["text"] == reindex.STARTED
    # A second /reindex while the first runs is refused.
    busy = await ask(fake_telegram, ADMIN_ID, "/reindex")
    assert busy["text"] == reindex.BUSY
    # Other chats are answered meanwhile, from the old index.
    msg = await ask(fake_telegram, ALLOWED_GROUP, "/hoi lương cơ sở bao nhiêu", user_id=501, chat_type="group")
    assert "2.340.000" in msg["text"]
    msg = await ask(fake_telegram, ALLOWED_GROUP, f"/hoi {NEW_DOC_QUESTION}", user_id=501, chat_type="group")
    assert NEW_DOC_FACT not in msg["text"]
    assert fake_telegram.message(ADMIN_ID, started["message_id"])["text"].startswith("⏳")

    summary = await final_status(fake_telegram, ADMIN_ID, started["message_id"])
    # The tasks of the new snapshot were imported for review (bot.task_import).
    assert summary.endswith("\n📋 Việc cần làm: 4 việc mới chờ duyệt (/tasks_review).")
    with bot_sessions() as s:
        assert s.scalar(select(func.count()).select_from(TaskRow).where(TaskRow.review == "candidate")) == 4
    assert summary.startswith("✅ Đã cập nhật chỉ mục: thêm 1, sửa 0, xoá 0, bỏ qua 0, giữ nguyên 5 tệp; 6 tài liệu")
    # Progress was shown by editing the one status message, at most every PROGRESS_EVERY seconds.
    edits = fake_telegram.calls_of("editMessageText")
    assert edits and all(e.params["message_id"] == started["message_id"] for e in edits)
    assert any("Bước: tạo vector cho đoạn văn" in e.params["text"] for e in edits[:-1])
    gaps = [b.at - a.at for a, b in zip(edits[:-1], edits[1:-1], strict=False)]
    assert all(g >= reindex.PROGRESS_EVERY - 0.3 for g in gaps)
    # The new snapshot is live: the new document is quoted.
    msg = await ask(fake_telegram, ALLOWED_GROUP, f"/hoi {NEW_DOC_QUESTION}", user_id=501, chat_type="group")
    assert NEW_DOC_FACT in msg["text"] and "Kế hoạch phòng chống thiên tai năm 2025" in msg["text"]
    # One rebuild, recorded with its counts; a new /reindex is accepted again and finds nothing to do.
    [row] = audit_rows(bot_sessions, admin.A_REINDEX)
    assert row.user_id == ADMIN_ID and '"added": 1' in (row.detail or "")
    again = await ask(fake_telegram, ADMIN_ID, "/reindex")
    assert again["text"] == reindex.STARTED
    text = await final_status(fake_telegram, ADMIN_ID, again["message_id"])
    assert text.startswith("✅ Chỉ mục đã mới nhất, không có gì thay đổi: thêm 0")


async def test_failed_rebuild_keeps_the_old_index(
    fake_telegram: FakeTelegram, corpus_dir: Path, encoder: SlowEncoder, bot_sessions: Any, caplog: Any
) -> None:
    (corpus_dir / "thien_tai.txt").write_text(NEW_DOC, encoding="utf-8")
    encoder.broken = True
    started = await ask(fake_telegram, ADMIN_ID, "/reindex")
    text = await final_status(fake_telegram, ADMIN_ID, started["message_id"])
    assert text.startswith("❌ Không cập nhật được chỉ mục. Bot vẫn trả lời theo chỉ mục cũ")
    assert "model crashed" not in text and "model crashed" in caplog.text
    msg = await ask(fake_telegram, ADMIN_ID, "mức lương cơ sở")
    assert "2.340.000" in msg["text"]
    [row] = audit_rows(bot_sessions, admin.A_REINDEX)
    assert "error" in (row.detail or "")
    # The failure released the coordinator: the next /reindex runs and succeeds.
    encoder.broken = False
    again = await ask(fake_telegram, ADMIN_ID, "/reindex")
    assert again["text"] == reindex.STARTED
    assert (await final_status(fake_telegram, ADMIN_ID, again["message_id"])).startswith(
        "✅ Đã cập nhật chỉ mục: thêm 1"
    )
    stats = (await ask(fake_telegram, ADMIN_ID, "/stats"))["text"]
    assert "Lần cập nhật chỉ mục gần nhất:" in stats and "thêm 1" in stats


async def test_upload_during_a_rebuild_is_indexed_right_after(
    fake_telegram: FakeTelegram, corpus_dir: Path, encoder: SlowEncoder
) -> None:
    (corpus_dir / "thien_tai.txt").write_text(NEW_DOC, encoding="utf-8")
    encoder.delay = 0.4
    started = await ask(fake_telegram, ADMIN_ID, "/reindex")
    text = (
        "Thông báo lịch tiếp công dân tháng 3/2025\nNgày: 01/03/2025\n\n"
        "Chủ tịch UBND xã tiếp công dân vào thứ Năm hằng tuần tại trụ sở.\n"
    )
    reply = await reply_to_document(fake_telegram, text.encode(), "tiep_dan.txt")
    assert reply["text"].startswith("📥 Đã thêm vào kho: «Thông báo lịch tiếp công dân tháng 3/2025»")
    await fake_telegram.await_for("sendMessage", lambda c: c.params.get("text") == reindex.QUEUED, timeout=5)
    first = await final_status(fake_telegram, ADMIN_ID, started["message_id"])
    assert first.startswith("✅")
    # A second build follows and takes the uploaded file in.
    second = await status_message(fake_telegram, ADMIN_ID, 2)
    assert (await final_status(fake_telegram, ADMIN_ID, second["message_id"])).startswith(
        "✅ Đã cập nhật chỉ mục: thêm 1"
    )
    msg = await ask(fake_telegram, ADMIN_ID, "tiếp công dân vào thứ Năm")
    assert "thứ Năm hằng tuần" in msg["text"]


# --------------------------------------------------------------------------------------------------
# Uploads


async def test_upload_txt_is_added_reindexed_and_answerable(
    fake_telegram: FakeTelegram, corpus_dir: Path, bot_sessions: Any
) -> None:
    reply = await reply_to_document(fake_telegram, NEW_DOC.encode(), "Kế hoạch thiên tai 2025.txt")
    head, *details = reply["text"].split("\n")
    assert head == (
        "📥 Đã thêm vào kho: «Kế hoạch phòng chống thiên tai năm 2025» (ngày 12/02/2025, 6 đoạn), "
        f"lưu tại uploads/Kế_hoạch_thiên_tai_2025.txt (mã {path_key('uploads/Kế_hoạch_thiên_tai_2025.txt')})."
    )
    # What the bot read: date, issuer, the first lines, the tasks it found.
    assert details[:3] == [
        "• Ngày ban hành: 12/02/2025",
        "• Cơ quan ban hành: UBND tỉnh Quảng Trị",
        "• Những dòng đầu:",
    ]
    assert details[3] == "Các xã ven biển rà soát phương án sơ tán dân khỏi vùng nguy hiểm trước mùa mưa bão."
    assert details[-1] == "• Không tìm thấy việc cần làm có thời hạn."
    assert (corpus_dir / "uploads" / "Kế_hoạch_thiên_tai_2025.txt").read_text("utf-8") == NEW_DOC
    status = await status_message(fake_telegram, ADMIN_ID)
    text = await final_status(fake_telegram, ADMIN_ID, status["message_id"])
    assert text.startswith("✅ Đã cập nhật chỉ mục: thêm 1,") and "6 tài liệu" in text
    msg = await ask(fake_telegram, ADMIN_ID, NEW_DOC_QUESTION)
    assert NEW_DOC_FACT in msg["text"]
    [row] = audit_rows(bot_sessions, admin.A_UPLOAD)
    assert row.user_id == ADMIN_ID and "uploads/Kế_hoạch_thiên_tai_2025.txt" in (row.detail or "")

    # The same file again: nothing to do. Another file under the same name: kept beside it.
    reply = await reply_to_document(fake_telegram, NEW_DOC.encode(), "Kế hoạch thiên tai 2025.txt")
    assert "có cùng nội dung với tài liệu «Kế hoạch phòng chống thiên tai năm 2025»" in reply["text"]
    assert "không thêm lần nữa" in reply["text"]
    other = NEW_DOC.replace("42 điểm", "57 điểm")
    reply = await reply_to_document(fake_telegram, other.encode(), "Kế hoạch thiên tai 2025.txt")
    assert "uploads/Kế_hoạch_thiên_tai_2025-2.txt" in reply["text"]
    assert (corpus_dir / "uploads" / "Kế_hoạch_thiên_tai_2025.txt").read_text("utf-8") == NEW_DOC
    text = await final_status(fake_telegram, ADMIN_ID, (await status_message(fake_telegram, ADMIN_ID, 2))["message_id"])
    assert text.startswith("✅ Đã cập nhật chỉ mục: thêm 1,") and "7 tài liệu" in text


async def test_upload_docx(fake_telegram: FakeTelegram, corpus_dir: Path) -> None:
    data = docx_bytes(
        "Kết luận của Ban Thường vụ Tỉnh ủy về công tác cán bộ",
        "Ngày: 05/03/2025",
        "Cơ quan: Tỉnh ủy Nghệ An",
        "",
        "Ban Thường vụ thống nhất luân chuyển 12 cán bộ trẻ về cơ sở trong năm 2025.",
        "Ban Tổ chức Tỉnh ủy hướng dẫn quy trình đánh giá cán bộ luân chuyển hằng năm.",
    )
    mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    reply = await reply_to_document(fake_telegram, data, "ket-luan.docx", mime=mime)
    assert reply["text"].startswith(
        "📥 Đã thêm vào kho: «Kết luận của Ban Thường vụ Tỉnh ủy về công tác cán bộ» (ngày 05/03/2025, 2 đoạn)"
    )
    assert (corpus_dir / "uploads" / "ket-luan.docx").read_bytes() == data
    await final_status(fake_telegram, ADMIN_ID, (await status_message(fake_telegram, ADMIN_ID))["message_id"])
    msg = await ask(fake_telegram, ADMIN_ID, "luân chuyển cán bộ trẻ về cơ sở")
    assert "luân chuyển 12 cán bộ trẻ" in msg["text"] and "Tỉnh ủy Nghệ An" in msg["text"]


BAD_UPLOADS = [
    # (file name, data, words of the reason, downloaded before refusing)
    ("bang-luong.xlsx", b"PK\x03\x04 spreadsheet", "định dạng .xlsx không được hỗ trợ", False),
    ("qua-lon.txt", ("Dòng văn bản tiếng Việt có dấu.\n" * 40_000).encode(), "vượt giới hạn 1 MB", False),
    ("hong.docx", b"PK\x03\x04 this is not a zip archive at all", "tệp .docx bị hỏng", True),
    ("bom.docx", zip_bomb(11 * MB), "bom nén", True),
    ("nhi-phan.txt", bytes(range(256)) * 8, "không phải văn bản", True),
    ("ban-quet.pdf", blank_pdf(), "không nhận dạng được chữ nào", True),
]


@pytest.mark.parametrize(("name", "data", "reason", "downloaded"), BAD_UPLOADS, ids=[b[0] for b in BAD_UPLOADS])
async def test_bad_upload_refused_with_reason(
    fake_telegram: FakeTelegram,
    bot: Any,
    corpus_dir: Path,
    bot_sessions: Any,
    name: str,
    data: bytes,
    reason: str,
    downloaded: bool,
) -> None:
    before = corpus_state(corpus_dir)
    reply = await reply_to_document(fake_telegram, data, name, mime="application/octet-stream")
    assert reply["text"].startswith(f"❌ Không thêm tệp «{name}»: ")
    assert reason in reply["text"]
    assert reply["reply_to_message"]["document"]["file_name"] == name
    # Size and type are checked before downloading.
    assert bool(fake_telegram.calls_of("getFile")) is downloaded
    await handled(fake_telegram, bot)
    await background_done("reindex")
    assert corpus_state(corpus_dir) == before
    assert len(fake_telegram.sent_messages(ADMIN_ID)) == 1  # no reindex
    [row] = audit_rows(bot_sessions, admin.A_UPLOAD_REFUSED)
    assert name in (row.detail or "")


async def test_upload_path_traversal_stays_inside_the_corpus(
    fake_telegram: FakeTelegram, corpus_dir: Path, tmp_path: Path
) -> None:
    name = "../../etc/x.txt"
    # The fake server derives its download path from the file name ("documents/<id>_../../etc/x.txt"),
    # which the HTTP client would normalise away; Telegram's own paths are "documents/file_<n>.<ext>".
    with fake_telegram._lock:
        fake_telegram.feed_document(ADMIN_ID, NEW_DOC.encode(), name, "text/plain")
        for f in fake_telegram._files.values():
            if f.path.endswith(name):
                f.path = "documents/file_1.txt"
    await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), timeout=15)
    reply = fake_telegram.sent_messages(ADMIN_ID)[0]
    assert "lưu tại uploads/x.txt" in reply["text"]
    assert (corpus_dir / "uploads" / "x.txt").read_text("utf-8") == NEW_DOC
    assert not (tmp_path / "etc").exists() and not (corpus_dir.parent / "etc").exists()
    assert set(tmp_path.rglob("x.txt")) == {corpus_dir / "uploads" / "x.txt"}
    text = await final_status(fake_telegram, ADMIN_ID, (await status_message(fake_telegram, ADMIN_ID))["message_id"])
    assert text.startswith("✅ Đã cập nhật chỉ mục: thêm 1,")


# --------------------------------------------------------------------------------------------------
# Non-admins


async def test_non_admins_are_refused(
    fake_telegram: FakeTelegram, bot: Any, corpus_dir: Path, bot_sessions: Any
) -> None:
    before = corpus_state(corpus_dir)
    # A stranger's chat is refused once per period, then silence: one stranger per command.
    strangers = [STRANGER_ID + i for i in range(7)]
    commands = ("/reindex", "/docs", "/docs_remove 1", "/stats", f"/allow {STRANGER_ID}", "/deny")
    for stranger, command in zip(strangers, commands, strict=False):
        msg = await ask(fake_telegram, stranger, command)
        assert msg["text"] == replies.NOT_ADMIN, command
    msg = await reply_to_document(fake_telegram, NEW_DOC.encode(), "a.txt", user_id=strangers[-1])
    assert msg["text"] == replies.NOT_ADMIN
    # A member of an allowed group may ask questions but not run admin commands.
    msg = await ask(fake_telegram, ALLOWED_GROUP, "/reindex", user_id=501, chat_type="group")
    assert msg["text"] == replies.NOT_ADMIN
    msg = await ask(fake_telegram, ALLOWED_GROUP, "/allow", user_id=501, chat_type="group")
    assert msg["text"] == replies.NOT_ADMIN
    fake_telegram.feed_message(STRANGER_ID, "/stats")  # a second admin command from the same stranger: silence
    await handled(fake_telegram, bot)
    await background_done("reindex")
    assert [len(fake_telegram.sent_messages(s)) for s in strangers] == [1] * len(strangers)
    assert not fake_telegram.calls_of("getFile") and not fake_telegram.calls_of("editMessageText")
    assert corpus_state(corpus_dir) == before
    with bot_sessions() as s:
        assert s.scalars(select(AllowedChatRow)).all() == []
    assert audit_rows(bot_sessions) == []
    # An admin's /docs buttons do nothing for someone else.
    docs = await ask(fake_telegram, ADMIN_ID, "/docs")
    key = path_key("an_ninh_mang.txt")
    fake_telegram.feed_callback(ADMIN_ID, docs["message_id"], buttons(docs)[f"🗑 {key}"], user_id=STRANGER_ID)
    [answer] = await fake_telegram.await_for("answerCallbackQuery")
    assert answer.params["text"] == replies.NOT_ADMIN
    assert corpus_state(corpus_dir) == before


# --------------------------------------------------------------------------------------------------
# /allow and /deny


async def test_allow_and_deny(fake_telegram: FakeTelegram, bot_sessions: Any) -> None:
    msg = await ask(fake_telegram, STRANGER_ID, "mức lương cơ sở")
    assert "2.340.000" not in msg["text"]
    msg = await ask(fake_telegram, ADMIN_ID, f"/allow {STRANGER_ID}")
    assert msg["text"] == f"✅ Đã cấp quyền sử dụng trợ lý cho {STRANGER_ID}."
    msg = await ask(fake_telegram, STRANGER_ID, "mức lương cơ sở")
    assert "2.340.000" in msg["text"]
    msg = await ask(fake_telegram, ADMIN_ID, f"/allow {STRANGER_ID}")
    assert "đã được cấp quyền từ trước" in msg["text"]
    msg = await ask(fake_telegram, ADMIN_ID, f"/deny {STRANGER_ID}")
    assert msg["text"] == f"🚫 Đã thu hồi quyền sử dụng trợ lý của {STRANGER_ID}."
    msg = await ask(fake_telegram, STRANGER_ID, "mức lương cơ sở")
    assert "2.340.000" not in msg["text"] and str(STRANGER_ID) in msg["text"]

    # In a group, without an argument: the group itself.
    group = -5005
    msg = await ask(fake_telegram, group, "/hoi lương cơ sở", user_id=777, chat_type="group")
    assert "2.340.000" not in msg["text"]
    msg = await ask(fake_telegram, group, "/allow", user_id=ADMIN_ID, chat_type="group")
    assert str(group) in msg["text"] and "Đã cấp quyền" in msg["text"]
    msg = await ask(fake_telegram, group, "/hoi lương cơ sở", user_id=777, chat_type="group")
    assert "2.340.000" in msg["text"]
    with bot_sessions() as s:
        row = s.get(AllowedChatRow, group)
        assert row is not None and row.added_by == ADMIN_ID

    # Usage in a private chat without an argument; a chat allowed in the configuration is explained.
    msg = await ask(fake_telegram, ADMIN_ID, "/allow")
    assert msg["text"].startswith("Cách dùng: gõ /allow trong nhóm cần cấp quyền")
    msg = await ask(fake_telegram, ADMIN_ID, f"/deny {ALLOWED_GROUP}")
    assert "CHIDAO_ALLOWED_CHATS" in msg["text"]
    actions = [(r.action, r.detail) for r in audit_rows(bot_sessions)]
    assert actions == [
        (admin.A_ALLOW, str(STRANGER_ID)),
        (admin.A_DENY, str(STRANGER_ID)),
        (admin.A_ALLOW, str(group)),
    ]


# --------------------------------------------------------------------------------------------------
# /stats


async def test_stats_counts(fake_telegram: FakeTelegram, index_handle: Any) -> None:
    answered = await ask(fake_telegram, ADMIN_ID, "kết nạp đảng viên học sinh")
    await ask(fake_telegram, ADMIN_ID, "giá vàng thế giới hôm nay")
    in_group = await ask(fake_telegram, ALLOWED_GROUP, "/hoi chuyển đổi số", user_id=9, chat_type="group")
    fake_telegram.feed_callback(ADMIN_ID, answered["message_id"], buttons(answered)["👍"])
    fake_telegram.feed_callback(ADMIN_ID, answered["message_id"], buttons(answered)["👍"])  # counted once
    fake_telegram.feed_callback(ALLOWED_GROUP, in_group["message_id"], buttons(in_group)["👍"], user_id=9)
    fake_telegram.feed_callback(ALLOWED_GROUP, in_group["message_id"], buttons(in_group)["👎"], user_id=10)
    await fake_telegram.await_for("answerCallbackQuery", count=4)
    await ask(fake_telegram, ADMIN_ID, "/allow 4242")

    text = (await ask(fake_telegram, ADMIN_ID, "/stats"))["text"]
    passages = index_handle.searcher.passage_count
    assert f"Tài liệu trong chỉ mục: 5 ({passages} đoạn trích)" in text
    assert "Câu hỏi đã nhận: 3 (có trích dẫn trả lời: 2)" in text
    assert "Góp ý: 👍 2 · 👎 1" in text
    assert "1 qua lệnh /allow, 1 trong cấu hình" in text
    assert "Chỉ mục hiện tại lập lúc:" in text
    assert "Chưa cập nhật chỉ mục qua bot lần nào" in text

    started = await ask(fake_telegram, ADMIN_ID, "/reindex")
    await final_status(fake_telegram, ADMIN_ID, started["message_id"])
    text = (await ask(fake_telegram, ADMIN_ID, "/stats"))["text"]
    assert "Lần cập nhật chỉ mục gần nhất:" in text
    assert "thêm 0, sửa 0, xoá 0, bỏ qua 0, giữ nguyên 5 tệp; 5 tài liệu" in text


# --------------------------------------------------------------------------------------------------
# /docs and removal: stable keys, confirmation, the trash


def _confirm_and_wait_removed(fake: FakeTelegram, confirm: dict[str, Any]) -> Any:
    """Press 🗑 Xoá under a confirmation; wait for the bot to say the file went to the trash."""

    def removed(c: Any) -> bool:
        return str(c.params.get("text", "")).startswith("🗑 Đã chuyển vào thùng rác")

    before = len([c for c in fake.calls_of("sendMessage") if removed(c)])
    fake.feed_callback(ADMIN_ID, confirm["message_id"], buttons(confirm)["🗑 Xoá"])
    return fake.await_for("sendMessage", removed, count=before + 1, timeout=10)


async def test_docs_list_and_remove_by_button(
    fake_telegram: FakeTelegram, corpus_dir: Path, bot_sessions: Any, bot_settings: Any
) -> None:
    docs = await ask(fake_telegram, ADMIN_ID, "/docs")
    text = docs["text"]
    key = path_key("luong_co_so.txt")
    assert text.startswith("Tài liệu trong chỉ mục: 5")
    assert f"{key} Hướng dẫn thực hiện mức lương cơ sở từ ngày 01/7/2024 — 08/07/2024 — 3 đoạn" in text
    assert set(buttons(docs)) == {f"🗑 {path_key(p.name)}" for p in corpus_dir.glob("*.txt")}

    fake_telegram.feed_callback(ADMIN_ID, docs["message_id"], buttons(docs)[f"🗑 {key}"])
    await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), count=2)
    confirm = fake_telegram.sent_messages(ADMIN_ID)[1]
    assert confirm["text"].startswith("Xoá tài liệu «Hướng dẫn thực hiện mức lương cơ sở")
    assert "có sẵn trong kho" in confirm["text"]  # shipped with the corpus, not uploaded: said so
    assert (corpus_dir / "luong_co_so.txt").exists()  # nothing happens before the confirmation
    await _confirm_and_wait_removed(fake_telegram, confirm)
    assert not (corpus_dir / "luong_co_so.txt").exists()
    [trashed] = list(bot_settings.trash_dir.glob("*/luong_co_so.txt"))
    assert trashed.read_text("utf-8").startswith("Hướng dẫn thực hiện mức lương cơ sở")
    text = await final_status(fake_telegram, ADMIN_ID, (await status_message(fake_telegram, ADMIN_ID))["message_id"])
    assert text.startswith("✅ Đã cập nhật chỉ mục: thêm 0, sửa 0, xoá 1")
    msg = await ask(fake_telegram, ADMIN_ID, "Mức lương cơ sở từ 1/7/2024 là bao nhiêu?")
    assert "2.340.000" not in msg["text"]
    assert "Tài liệu trong chỉ mục: 4" in (await ask(fake_telegram, ADMIN_ID, "/docs"))["text"]
    [row] = audit_rows(bot_sessions, documents.A_REMOVE)
    assert "luong_co_so.txt" in (row.detail or "") and row.user_id == ADMIN_ID


async def test_docs_remove_with_a_renumbered_list_and_restore(
    fake_telegram: FakeTelegram, corpus_dir: Path, bot_settings: Any
) -> None:
    """Issue 15 item 3: `/docs_remove 3` then `/docs_remove 4` used to delete an unintended document."""
    shown = (await ask(fake_telegram, ADMIN_ID, "/docs"))["text"]
    names = sorted(p.name for p in corpus_dir.glob("*.txt"))
    keys = {name: path_key(name) for name in names}
    assert all(key in shown for key in keys.values())
    # An admin reads the list, removes the third document by its key...
    msg = await ask(fake_telegram, ADMIN_ID, f"/docs_remove {keys[names[2]]}")
    assert msg["text"].startswith("Xoá tài liệu «Hướng dẫn kết nạp đảng viên") and keys[names[2]] in msg["text"]
    await _confirm_and_wait_removed(fake_telegram, msg)
    await final_status(fake_telegram, ADMIN_ID, (await status_message(fake_telegram, ADMIN_ID))["message_id"])
    # ... then types a position from the list they read: refused, nothing deleted.
    before = corpus_state(corpus_dir)
    msg = await ask(fake_telegram, ADMIN_ID, "/docs_remove 4")
    assert msg["text"] == documents.NOT_A_POSITION.format(arg="4")
    assert "reply_markup" not in msg or not msg["reply_markup"]
    # The key of the fourth document of the old list still names that document, not another one.
    msg = await ask(fake_telegram, ADMIN_ID, f"/docs_remove {keys[names[3]]}")
    assert "Hướng dẫn thực hiện mức lương cơ sở" in msg["text"]
    assert corpus_state(corpus_dir) == before  # asked, not done
    fake_telegram.feed_callback(ADMIN_ID, msg["message_id"], buttons(msg)["Huỷ"])
    await fake_telegram.await_for("editMessageText", lambda c: c.params.get("text") == documents.CANCELLED)
    assert corpus_state(corpus_dir) == before
    assert sorted(p.name for p in corpus_dir.glob("*.txt")) == [n for n in names if n != names[2]]

    # The trash lists the removed document; /docs_restore puts it back and it is indexed again.
    trash_list = (await ask(fake_telegram, ADMIN_ID, "/docs_trash"))["text"]
    assert trash_list.startswith("Thùng rác: 1 tài liệu") and keys[names[2]] in trash_list
    msg = await ask(fake_telegram, ADMIN_ID, f"/docs_restore {keys[names[2]]}")
    assert msg["text"].startswith("♻️ Đã khôi phục «Hướng dẫn kết nạp đảng viên")
    assert (corpus_dir / names[2]).read_text("utf-8").startswith("Hướng dẫn kết nạp đảng viên")
    text = await final_status(fake_telegram, ADMIN_ID, (await status_message(fake_telegram, ADMIN_ID, 2))["message_id"])
    assert text.startswith("✅ Đã cập nhật chỉ mục: thêm 1")
    assert (await ask(fake_telegram, ADMIN_ID, "/docs_trash"))["text"] == documents.TRASH_EMPTY
    msg = await ask(fake_telegram, ADMIN_ID, "kết nạp đảng viên học sinh sinh viên")
    assert "150 đảng viên" in msg["text"]


async def test_trash_is_emptied_by_command(fake_telegram: FakeTelegram, corpus_dir: Path, bot_settings: Any) -> None:
    msg = await ask(fake_telegram, ADMIN_ID, "/docs_trash_empty")
    assert msg["text"] == documents.TRASH_EMPTY
    msg = await ask(fake_telegram, ADMIN_ID, f"/docs_remove {path_key('an_ninh_mang.txt')}")
    await _confirm_and_wait_removed(fake_telegram, msg)
    assert list(bot_settings.trash_dir.glob("*/an_ninh_mang.txt"))
    await final_status(fake_telegram, ADMIN_ID, (await status_message(fake_telegram, ADMIN_ID))["message_id"])
    msg = await ask(fake_telegram, ADMIN_ID, "/docs_trash_empty")
    assert msg["text"].startswith("Xoá hẳn 1 tài liệu trong thùng rác?")
    fake_telegram.feed_callback(ADMIN_ID, msg["message_id"], buttons(msg)["Xoá hẳn"])
    await fake_telegram.await_for(
        "editMessageText", lambda c: "Đã xoá hẳn 1 tài liệu" in str(c.params.get("text")), timeout=10
    )
    assert not list(bot_settings.trash_dir.glob("*/an_ninh_mang.txt"))
    msg = await ask(fake_telegram, ADMIN_ID, f"/docs_restore {path_key('an_ninh_mang.txt')}")
    assert "trong thùng rác" in msg["text"] and not (corpus_dir / "an_ninh_mang.txt").exists()


async def test_docs_remove_command(fake_telegram: FakeTelegram, corpus_dir: Path) -> None:
    msg = await ask(fake_telegram, ADMIN_ID, "/docs_remove")
    assert msg["text"].startswith("Cách dùng: /docs_remove <mã tài liệu>")
    msg = await ask(fake_telegram, ADMIN_ID, "/docs_remove 99")
    assert "là số thứ tự" in msg["text"]
    msg = await ask(fake_telegram, ADMIN_ID, "/docs_remove ../../etc/passwd")
    assert "Không có tài liệu" in msg["text"]
    msg = await ask(fake_telegram, ADMIN_ID, "/docs_remove an_ninh_mang")  # a file name is stable too
    assert msg["text"].startswith("Xoá tài liệu «Báo cáo công tác bảo đảm an ninh mạng quý I/2024»")
    await _confirm_and_wait_removed(fake_telegram, msg)
    assert not (corpus_dir / "an_ninh_mang.txt").exists()
    await final_status(fake_telegram, ADMIN_ID, (await status_message(fake_telegram, ADMIN_ID))["message_id"])
    msg = await ask(fake_telegram, ADMIN_ID, f"/docs_remove {path_key('chuyen_doi_so.txt')}")
    assert "Kế hoạch chuyển đổi số tỉnh Thái Bình năm 2024" in msg["text"]
    await _confirm_and_wait_removed(fake_telegram, msg)
    text = await final_status(fake_telegram, ADMIN_ID, (await status_message(fake_telegram, ADMIN_ID, 2))["message_id"])
    assert "xoá 1" in text and "2 việc bị huỷ do văn bản thay đổi hoặc bị xoá" in text
    assert sorted(p.name for p in corpus_dir.iterdir()) == [
        "ket_nap_dang_vien.txt",
        "luong_co_so.txt",
        "sap_xep_xa.txt",
    ]


async def test_a_file_not_yet_indexed_is_listed_and_removable(
    fake_telegram: FakeTelegram, corpus_dir: Path, bot_settings: Any
) -> None:
    """Issue 15 item 1: a file in the corpus but not (yet) in the index can be listed and removed."""
    (corpus_dir / "thien_tai.txt").write_text(NEW_DOC, encoding="utf-8")
    (corpus_dir / "hong.docx").write_bytes(b"PK\x03\x04 not a zip")
    key = path_key("thien_tai.txt")
    text = (await ask(fake_telegram, ADMIN_ID, "/docs"))["text"]
    assert "Tệp trong kho chưa có trong chỉ mục: 2" in text
    assert f"{key} thien_tai.txt — mới, chưa lập chỉ mục" in text
    assert "Tệp chờ lập chỉ mục: 2" in (await ask(fake_telegram, ADMIN_ID, "/stats"))["text"]
    msg = await ask(fake_telegram, ADMIN_ID, f"/docs_remove {key}")
    assert "Tệp này chưa có trong chỉ mục." in msg["text"]
    await _confirm_and_wait_removed(fake_telegram, msg)
    assert not (corpus_dir / "thien_tai.txt").exists()
    assert list(bot_settings.trash_dir.glob("*/thien_tai.txt"))
    await final_status(fake_telegram, ADMIN_ID, (await status_message(fake_telegram, ADMIN_ID))["message_id"])
    # The broken file was skipped by that build: still listed (with the reason) and removable.
    text = (await ask(fake_telegram, ADMIN_ID, "/docs"))["text"]
    assert f"{path_key('hong.docx')} hong.docx — bị bỏ qua: tệp .docx bị hỏng" in text
    msg = await ask(fake_telegram, ADMIN_ID, "/docs_remove hong.docx")
    await _confirm_and_wait_removed(fake_telegram, msg)
    assert not (corpus_dir / "hong.docx").exists()


async def test_reindex_cancel(fake_telegram: FakeTelegram, corpus_dir: Path, encoder: SlowEncoder) -> None:
    """Issue 15 item 1: a running reindex can be cancelled by an admin; the old index keeps answering and
    the file waits for the next build."""
    msg = await ask(fake_telegram, ADMIN_ID, "/reindex cancel")
    assert msg["text"] == admin.NOTHING_TO_CANCEL
    (corpus_dir / "thien_tai.txt").write_text(NEW_DOC, encoding="utf-8")
    encoder.delay = 5.0  # 6 passages: 30 s unless cancelled
    started = await ask(fake_telegram, ADMIN_ID, "/reindex")
    await fake_telegram.await_for(
        "editMessageText", lambda c: "Bước: tạo vector" in str(c.params.get("text")), timeout=15
    )
    msg = await ask(fake_telegram, ADMIN_ID, "/reindex cancel")
    assert msg["text"] == admin.CANCEL_ASKED
    assert await final_status(fake_telegram, ADMIN_ID, started["message_id"], timeout=15) == reindex.CANCELLED
    stats = (await ask(fake_telegram, ADMIN_ID, "/stats"))["text"]
    assert "Tệp chờ lập chỉ mục: 1 (thien_tai.txt)" in stats and "Đang cập nhật" not in stats
    msg = await ask(fake_telegram, ADMIN_ID, NEW_DOC_QUESTION)
    assert NEW_DOC_FACT not in msg["text"]
    encoder.delay = 0.0
    again = await ask(fake_telegram, ADMIN_ID, "/reindex")
    assert (await final_status(fake_telegram, ADMIN_ID, again["message_id"])).startswith(
        "✅ Đã cập nhật chỉ mục: thêm 1"
    )
    assert "Tệp chờ lập chỉ mục" not in (await ask(fake_telegram, ADMIN_ID, "/stats"))["text"]


async def test_docs_pages(fake_telegram: FakeTelegram, corpus_dir: Path) -> None:
    for i in range(1, 26):
        (corpus_dir / f"thong_bao_{i:02d}.txt").write_text(
            f"Thông báo số {i} về lịch họp giao ban tuần của Văn phòng Tỉnh ủy\nNgày: {i:02d}/01/2025\n\n"
            f"Giao ban tuần thứ {i} họp tại phòng họp số 2, thành phần gồm lãnh đạo các ban.\n",
            encoding="utf-8",
        )
    started = await ask(fake_telegram, ADMIN_ID, "/reindex")
    await final_status(fake_telegram, ADMIN_ID, started["message_id"])
    first = await ask(fake_telegram, ADMIN_ID, "/docs")
    assert first["text"].startswith("Tài liệu trong chỉ mục: 30 (trang 1/3)")
    assert "Sau ▶" in buttons(first) and "◀ Trước" not in buttons(first)
    fake_telegram.feed_callback(ADMIN_ID, first["message_id"], buttons(first)["Sau ▶"])
    await fake_telegram.await_for(
        "editMessageText", lambda c: c.params.get("message_id") == first["message_id"], timeout=10
    )
    page2 = fake_telegram.message(ADMIN_ID, first["message_id"])
    assert page2["text"].startswith("Tài liệu trong chỉ mục: 30 (trang 2/3)")
    # Path order: an_ninh_mang, chuyen_doi_so, ket_nap_dang_vien, luong_co_so, sap_xep_xa, thong_bao_01...
    eleventh = path_key("thong_bao_06.txt")
    assert eleventh in page2["text"] and {"◀ Trước", "Sau ▶", f"🗑 {eleventh}"} <= set(buttons(page2))
    last = await ask(fake_telegram, ADMIN_ID, "/docs 3")
    assert "(trang 3/3)" in last["text"] and path_key("thong_bao_25.txt") in last["text"]


# --------------------------------------------------------------------------------------------------
# Pure parts


def _meta(i: int, title_words: int = 60) -> DocMeta:
    import datetime as dt

    title = " ".join(["Báo cáo kết quả thực hiện nghị quyết <b>&"] * (title_words // 6))
    return DocMeta(f"uploads/tai_lieu_{i:03d}.docx", f"{title} {i}", dt.date(2024, 1, 1 + i % 28), None, i)


def test_docs_pages_fit_telegram_limits() -> None:
    docs = [_meta(i) for i in range(1, 61)]
    waiting = [Waiting(f"uploads/cho_{i:03d}_{'x' * 200}.txt", "new") for i in range(30)]
    pages = documents.paginate(docs)
    assert [i for page in pages for i in page] == list(range(60))
    for n in range(len(pages)):
        page = documents.docs_page(docs, n, waiting)
        assert replies.visible_len(page.text) <= replies.MAX_MESSAGE
        assert page.markup is not None
        for row in page.markup.inline_keyboard:
            for button in row:
                assert len(str(button.callback_data).encode()) <= 64
    assert "&lt;b&gt;&amp;" in documents.docs_page(docs, 0).text
    assert "Tệp trong kho chưa có trong chỉ mục: 30" in documents.docs_page(docs, 0, waiting).text
    assert "chưa có trong chỉ mục" not in documents.docs_page(docs, 1, waiting).text
    assert documents.docs_page([], 0).text == documents.NO_DOCS
    assert documents.docs_page(docs, 99).text == documents.docs_page(docs, len(pages) - 1).text


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: documents.docs_page([_meta(i) for i in range(1, 40)], 1), id="docs-page"),
        pytest.param(lambda: documents._confirm_markup(path_key("a.txt")), id="docs-remove-confirm"),
        pytest.param(lambda: documents._empty_trash_markup(), id="trash-empty-confirm"),
        pytest.param(lambda: task_replies.delete_buttons(7), id="task-delete"),
        pytest.param(lambda: task_replies.encode_review(True, 7), id="task-review"),
        pytest.param(lambda: ask_handlers.encode_more(1, 3), id="ask-more"),
    ],
)
def test_every_button_is_encoded_by_the_checked_function(build: Callable[[], Any], monkeypatch: Any) -> None:
    """Every button's data goes through bot.replies.callback_data: with a (much) lower limit, each builder
    refuses instead of handing Telegram data it would reject."""
    build()  # within Telegram's limit
    monkeypatch.setattr(replies, "MAX_CALLBACK_DATA", 2)
    with pytest.raises(ValueError, match="callback data too long"):
        build()


async def test_a_file_with_a_very_long_path_is_removed_by_its_button(
    fake_telegram: FakeTelegram, corpus_dir: Path, bot_settings: Any
) -> None:
    """The confirmation button names the file by its key, whatever the length of its path and name."""
    folder = corpus_dir / ("Văn bản chỉ đạo điều hành của Ủy ban nhân dân tỉnh " * 3).strip()
    folder.mkdir()
    name = ("Báo cáo tổng kết công tác phòng chống thiên tai và tìm kiếm cứu nạn " * 3)[:190].strip() + ".txt"
    (folder / name).write_text(NEW_DOC, encoding="utf-8")
    rel = (folder / name).relative_to(corpus_dir).as_posix()
    assert len(rel.encode()) > 4 * 64
    msg = await ask(fake_telegram, ADMIN_ID, f"/docs_remove {name}")
    assert "Tệp này chưa có trong chỉ mục." in msg["text"] and path_key(rel) in msg["text"]
    assert all(1 <= len(data.encode()) <= 64 for data in buttons(msg).values())
    await _confirm_and_wait_removed(fake_telegram, msg)
    assert not (folder / name).exists()
    assert list(bot_settings.trash_dir.rglob(name))  # in the trash, restorable
    await final_status(fake_telegram, ADMIN_ID, (await status_message(fake_telegram, ADMIN_ID))["message_id"])


def test_find_targets_by_key_path_or_name_never_by_position() -> None:
    found = [
        documents.Target("a.txt", "A", True),
        documents.Target("uploads/bao-cao.docx", "B", True),
        documents.Target("cu/bao-cao.docx", "C", True),
        documents.Target("uploads/ke-hoach.pdf", "", False),
    ]
    assert documents.find_targets(found, path_key("cu/bao-cao.docx")) == [found[2]]
    assert documents.find_targets(found, path_key("cu/bao-cao.docx").upper()) == [found[2]]
    assert documents.find_targets(found, "1") == [] and documents.is_position("1")
    assert not documents.is_position(path_key("a.txt"))
    assert documents.find_targets(found, "uploads/bao-cao.docx") == [found[1]]
    assert documents.find_targets(found, "BAO-CAO.docx") == [found[1], found[2]]
    assert documents.find_targets(found, "ke-hoach") == [found[3]]
    assert documents.find_targets(found, "«ke-hoach.pdf»") == [found[3]]
    assert documents.find_targets(found, "../a.txt") == []


@pytest.mark.parametrize(
    ("stage", "done", "total", "text"),
    [
        ("read", 3, 10, "Bước: đọc tệp 3/10."),
        ("embed", 120, 300, "Bước: tạo vector cho đoạn văn 120/300."),
        ("vectors", 0, 1, "Bước: lập chỉ mục vector."),
        ("lexical", 0, 1, "Bước: lập chỉ mục từ khoá."),
    ],
)
def test_progress_text(stage: str, done: int, total: int, text: str) -> None:
    assert reindex.progress_text(stage, done, total) == f"{reindex.STARTED}\n{text}"


def test_summary_text_lists_skipped_files_in_vietnamese() -> None:
    from index.store import BuildSummary

    summary = BuildSummary(
        added=1,
        unchanged=4,
        skipped=[
            ("cu.docx", "not a valid .docx (broken zip archive)"),
            ("scan.pdf", "PDF has no text layer"),
        ],
        documents=5,
        passages=40,
        seconds=2.25,
        snapshot="x",
    )
    text = reindex.summary_text(summary, MB)
    assert text.startswith(
        "✅ Đã cập nhật chỉ mục: thêm 1, sửa 0, xoá 0, bỏ qua 2, giữ nguyên 4 tệp; 5 tài liệu, 40 đoạn; 2,2 giây."
    )
    assert (
        "<code>cu.docx</code>: tệp .docx bị hỏng" in text and "<code>scan.pdf</code>: tệp PDF không có lớp chữ" in text
    )


def test_failure_text_is_vietnamese() -> None:
    from index.errors import BadDocument, ModelMismatch

    assert "thư mục kho tài liệu" in reindex.failure_text(BadDocument("corpus directory x does not exist"))
    assert "mô hình nhúng" in reindex.failure_text(ModelMismatch("index built with another model"))
    assert reindex.failure_text(RuntimeError("boom")).startswith("❌ Không cập nhật được chỉ mục. ")


class _StubBot:
    """Records what a Reindexer sends; message ids count from 1."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.edits: list[tuple[int, int, str]] = []

    async def send_message(self, chat_id: int, text: str) -> Any:
        self.sent.append((chat_id, text))
        return type("Sent", (), {"message_id": len(self.sent)})()

    async def edit_message_text(self, text: str, *, chat_id: int, message_id: int) -> None:
        self.edits.append((chat_id, message_id, text))


async def test_reindexer_never_overlaps_and_coalesces_queued_requests(tmp_path: Path) -> None:
    from index.store import BuildSummary

    running = 0
    calls = 0

    def builder(corpus: Path, index: Path, encoder: Any, *, budget: Any, progress: Any) -> BuildSummary:
        nonlocal running, calls
        running += 1
        calls += 1
        assert running == 1
        progress("read", 1, 2)
        time.sleep(0.3)
        running -= 1
        return BuildSummary(added=1, documents=1, passages=2, snapshot=f"s{calls}")

    class Target:
        encoder = HashEncoder()
        reloads = 0

        def reload(self) -> None:
            Target.reloads += 1

    finished: list[list[int | None]] = []

    async def on_finished(summary: Any, error: str | None, users: list[int | None]) -> None:
        finished.append(users)

    coordinator = reindex.Reindexer(
        tmp_path,
        tmp_path,
        Target(),
        max_bytes=MB,
        builder=builder,
        progress_every=0.1,
        on_finished=on_finished,
    )
    tasks: list[asyncio.Task[None]] = []

    def spawn(coro: Any) -> None:
        tasks.append(asyncio.ensure_future(coro))

    bot: Any = _StubBot()
    assert coordinator.start(bot, 1, 10, spawn) == "started"
    assert coordinator.busy
    assert coordinator.start(bot, 1, 10, spawn) == "busy"
    assert coordinator.start(bot, 2, 20, spawn, queue=True) == "queued"
    assert coordinator.start(bot, 3, 30, spawn, queue=True) == "queued"
    await asyncio.gather(*tasks)
    assert not coordinator.busy and calls == 2 and Target.reloads == 2
    assert finished == [[10], [20, 30]]
    # Each build has one status message per chat, turned into its summary.
    assert [chat for chat, _ in bot.sent] == [1, 2, 3]
    finals = {(chat, mid): text for chat, mid, text in bot.edits}
    assert all(
        finals[(chat, i + 1)].startswith("✅ Đã cập nhật chỉ mục: thêm 1") for i, (chat, _) in enumerate(bot.sent)
    )
    assert any("Bước: đọc tệp 1/2." in text for _, _, text in bot.edits)


# --------------------------------------------------------------------------------------------------
# Texts that must still arrive (issue 15 item 6), duplicates (item 12)


async def test_a_long_title_still_gets_its_answer_full_text_and_confirmation(
    fake_telegram: FakeTelegram, corpus_dir: Path
) -> None:
    title = ("Báo cáo tổng hợp kết quả rà soát &amp; <b>đánh giá</b> phương án sơ tán dân 🌀 " * 140)[:9640]
    body = NEW_DOC.split("\n", 1)[1]
    reply = await reply_to_document(fake_telegram, f"{title}\n{body}".encode(), "tieu_de_dai.txt")
    assert reply["text"].startswith("📥 Đã thêm vào kho: «Báo cáo tổng hợp kết quả rà soát &amp;")
    assert "uploads/tieu_de_dai.txt" in reply["text"]
    await final_status(fake_telegram, ADMIN_ID, (await status_message(fake_telegram, ADMIN_ID))["message_id"])
    answer = await ask(fake_telegram, ADMIN_ID, NEW_DOC_QUESTION)
    assert NEW_DOC_FACT in answer["text"] and "Báo cáo tổng hợp kết quả rà soát" in answer["text"]
    before = len(fake_telegram.sent_messages(ADMIN_ID))
    fake_telegram.feed_callback(ADMIN_ID, answer["message_id"], buttons(answer)["Toàn văn [1]"])
    await fake_telegram.await_for("sendMessage", _to(ADMIN_ID), count=before + 1, timeout=10)
    full = fake_telegram.sent_messages(ADMIN_ID)[before]
    assert "Báo cáo tổng hợp kết quả rà soát" in full["text"] and NEW_DOC_FACT in full["text"]
    docs = (await ask(fake_telegram, ADMIN_ID, "/docs"))["text"]
    assert path_key("uploads/tieu_de_dai.txt") in docs
    assert not fake_telegram.calls_of("sendMessage", status=400)


async def test_a_reply_quoting_a_very_long_argument_is_fitted(fake_telegram: FakeTelegram) -> None:
    """Every handler text goes through bot.fit: a reply echoing 4,000 characters the admin typed
    (ampersands and emoji, which Telegram counts after entities, in UTF-16) still arrives."""
    arg = "&🌀" * 1360  # 4,080 UTF-16 units: the command is within the 4,096 Telegram accepts
    msg = await ask(fake_telegram, ADMIN_ID, f"/docs_remove {arg}")
    assert msg["text"].startswith("Không có tài liệu «&🌀&🌀") and msg["text"].endswith("…")
    assert not fake_telegram.calls_of("sendMessage", status=400)


async def test_the_same_content_under_another_name_is_not_added(
    fake_telegram: FakeTelegram, bot: Any, corpus_dir: Path, bot_sessions: Any
) -> None:
    """Issue 15 item 12: a re-upload of an indexed document under another name (and format) is recognised,
    not stored nor indexed again, and the admin is told which document it repeats."""
    state = corpus_state(corpus_dir)
    original = (corpus_dir / "luong_co_so.txt").read_text("utf-8")
    reply = await reply_to_document(fake_telegram, original.encode("utf-8"), "Bản sao lương.md")
    assert reply["text"] == (
        "Tệp «Bản sao lương.md» có cùng nội dung với tài liệu «Hướng dẫn thực hiện mức lương cơ sở từ ngày "
        f"01/7/2024» (luong_co_so.txt, mã {path_key('luong_co_so.txt')}) đã có trong kho; không thêm lần nữa."
    )
    await handled(fake_telegram, bot)
    await background_done("reindex")
    assert corpus_state(corpus_dir) == state and not status_messages(fake_telegram, ADMIN_ID)
    [row] = audit_rows(bot_sessions, admin.A_UPLOAD_REFUSED)
    assert '"duplicate_of": "luong_co_so.txt"' in (row.detail or "")
    # Changed content under the same title is a new document.
    reply = await reply_to_document(fake_telegram, original.replace("20/7/2024", "25/7/2024").encode(), "sua.txt")
    assert reply["text"].startswith("📥 Đã thêm vào kho: «Hướng dẫn thực hiện mức lương cơ sở")
    assert "• Việc cần làm tìm thấy: 1 (chờ duyệt sau khi lập chỉ mục, /tasks_review)" in reply["text"]
    assert "gửi Sở Nội vụ trước ngày 25/7/2024 để tổng hợp. — hạn 25/07/2024" in reply["text"]
