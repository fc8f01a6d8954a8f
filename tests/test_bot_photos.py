"""End to end: photos sent to the real Application (fake Bot API, a private copy of the tiny corpus).

An admin's album (photos sent together, one media_group_id) becomes one document whose pages are in the
order the photos were sent, read by OCR (Tesseract, Vietnamese), described in the reply and indexed; a
non-admin's photo gets one sentence and nothing is downloaded.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot import replies
from bot.handlers import admin
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram
from tests.fake_telegram import say as ask
from tests.private_corpus import (  # fixtures and helpers: a private corpus and index per test
    audit_rows,
    bot_settings,
    corpus_dir,
    corpus_state,
    encoder,
    final_status,
    index_dir,
    index_handle,
    status_message,
)

pytestmark = [
    pytest.mark.usefixtures("bot"),
    pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed"),
]

PRIVATE_USER = 4004  # allowed by /allow, not an admin


def _sizes(img: Image.Image) -> list[tuple[bytes, int, int]]:
    """The sizes Telegram makes of one photo, smallest first: a thumbnail and the photo itself."""
    out = []
    for scale in (0.07, 1.0):
        w, h = int(img.width * scale), int(img.height * scale)
        buf = io.BytesIO()
        img.resize((w, h)).convert("RGB").save(buf, "JPEG", quality=88)
        out.append((buf.getvalue(), w, h))
    return out


async def test_an_album_becomes_one_document_with_its_pages_in_order(
    fake_telegram: FakeTelegram,
    corpus_dir: Path,
    index_handle: Any,
    bot_sessions: Any,
) -> None:
    from tests.test_ocr import PARAGRAPH_1, PARAGRAPH_3, draw_page

    pages = [draw_page([PARAGRAPH_1]), draw_page([PARAGRAPH_3], letterhead=False, title=False)]
    for page in pages:  # sent together: one album
        fake_telegram.feed_photo(ADMIN_ID, sizes=_sizes(page), media_group_id="album-1")
    [call] = await fake_telegram.await_for(
        "sendMessage", lambda c: str(c.params.get("text", "")).startswith("📥"), timeout=120
    )
    text = call.params["text"]
    # Only the largest size of each photo was downloaded.
    fetched = {c.params["file_id"] for c in fake_telegram.calls_of("getFile")}
    assert len(fetched) == 2
    assert "Đã thêm vào kho: «" in text and "rà soát biên chế năm 2024" in text.lower()
    assert "• Ngày ban hành: 05/03/2024" in text and "Sở Nội vụ" in text
    assert "2 trang nhận dạng chữ (OCR), độ tin cậy trung bình" in text
    assert "• Số hiệu: 45/KH-SNV" in text
    assert "• Việc cần làm tìm thấy: 1" in text and "trình Giám đốc Sở xem xét" in text and "hạn 31/05/2024" in text
    assert "• Những dòng đầu:\n<blockquote>Thực hiện Nghị quyết số 39-NQ/TW" in text
    [stored] = list((corpus_dir / "uploads").glob("anh-*.pdf"))
    # One reply for the whole album, then its rebuild.
    confirmations = [m for m in fake_telegram.sent_messages(ADMIN_ID) if m["text"].startswith("📥")]
    assert len(confirmations) == 1
    await final_status(fake_telegram, ADMIN_ID, (await status_message(fake_telegram, ADMIN_ID))["message_id"])
    # The build took the pages the upload OCR'd from the index's OCR cache: none OCR'd twice.
    [row] = audit_rows(bot_sessions, admin.A_REINDEX)
    build = json.loads(row.detail or "{}")
    assert (build["ocr_pages"], build["ocr_cached"]) == (0, 2)
    [doc] = [d for d in index_handle.searcher.docs if d.path == f"uploads/{stored.name}"]
    assert doc.paragraphs == (PARAGRAPH_1, PARAGRAPH_3)  # page 1, then page 2
    msg = await ask(fake_telegram, ADMIN_ID, "Văn phòng Sở tổng hợp kết quả trình Giám đốc Sở")
    assert "trình Giám đốc Sở xem xét trong tháng 5/2024" in msg["text"]


async def test_a_non_admin_photo_gets_one_sentence(fake_telegram: FakeTelegram, corpus_dir: Path) -> None:
    before = corpus_state(corpus_dir)
    await ask(fake_telegram, ADMIN_ID, f"/allow {PRIVATE_USER}")
    page = Image.new("L", (400, 300), 255)
    fake_telegram.feed_photo(PRIVATE_USER, sizes=_sizes(page))
    await fake_telegram.await_for("sendMessage", lambda c: c.params.get("chat_id") == PRIVATE_USER, timeout=10)
    assert [m["text"] for m in fake_telegram.sent_messages(PRIVATE_USER)] == [replies.NOT_TEXT_PHOTO]
    # A stranger gets the usual refusal (with the chat id to send to an admin), not the sentence.
    fake_telegram.feed_photo(3003, sizes=_sizes(page))
    await fake_telegram.await_for("sendMessage", lambda c: c.params.get("chat_id") == 3003, timeout=10)
    assert "3003" in fake_telegram.sent_messages(3003)[0]["text"]
    assert not fake_telegram.calls_of("getFile")
    assert corpus_state(corpus_dir) == before


async def test_an_image_file_from_an_admin_is_read_by_ocr(
    fake_telegram: FakeTelegram,
    corpus_dir: Path,
    index_handle: Any,
) -> None:
    """An image sent as a file (not as a photo) comes through the same handler (bot.handlers.chat.on_image)
    to the same upload path: read by OCR, described, stored under its own name and indexed."""
    from tests.test_ocr import PARAGRAPH_1, PARAGRAPH_2, draw_page

    buf = io.BytesIO()
    draw_page([PARAGRAPH_1, PARAGRAPH_2]).save(buf, "PNG")
    fake_telegram.feed_document(ADMIN_ID, buf.getvalue(), "ke_hoach_bien_che.png", "image/png")
    [call] = await fake_telegram.await_for(
        "sendMessage", lambda c: str(c.params.get("text", "")).startswith("📥"), timeout=120
    )
    text = call.params["text"]
    assert "uploads/ke_hoach_bien_che.png" in text and "• Cơ quan ban hành: Sở Nội vụ" in text
    assert "1 trang nhận dạng chữ (OCR), độ tin cậy trung bình" in text
    assert "• Việc cần làm tìm thấy: 1" in text and "hạn 30/04/2024" in text
    await final_status(fake_telegram, ADMIN_ID, (await status_message(fake_telegram, ADMIN_ID))["message_id"])
    assert (corpus_dir / "uploads" / "ke_hoach_bien_che.png").exists()
    msg = await ask(fake_telegram, ADMIN_ID, "Các phòng chuyên môn gửi báo cáo về Sở Nội vụ trước ngày nào?")
    assert "trước ngày 30/4/2024" in msg["text"]
