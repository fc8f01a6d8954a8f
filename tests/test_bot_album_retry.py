"""End to end: an admin's album whose confirmation never reached Telegram, handled again after a restart.

The photos of an album are separate updates; the handler of one of them reads the whole album. When its
reply is not delivered, every update of the album stays pending (bot.handlers.inbox), so the next process
is handed the whole album back; the album was stored under a name made from its media_group_id, so it is
recognised as already imported, even when only one of its photos comes back: no second document, and
certainly not one of its first photo alone.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot import app as bot_app
from bot.db import ProcessedUpdateRow
from bot.handlers import inbox
from bot.ratelimit import RetryingRateLimiter
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram, running_application, until
from tests.private_corpus import (  # fixtures and helpers: a private corpus and index per test
    bot_settings,
    corpus_dir,
    encoder,
    final_status,
    index_dir,
    index_handle,
    status_message,
)
from tests.test_bot_photos import _sizes

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")


def _states(sessions: Any) -> list[str]:
    with sessions() as s:
        return list(s.scalars(select(ProcessedUpdateRow.state).order_by(ProcessedUpdateRow.update_id)))


@pytest.mark.parametrize("handed_back", ["whole", "one photo"])
async def test_an_album_whose_reply_failed_is_recognised_after_a_restart(
    handed_back: str,
    fake_telegram: FakeTelegram,
    bot_settings: Any,
    corpus_dir: Path,
    index_handle: Any,
    bot_sessions: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.test_ocr import PARAGRAPH_1, PARAGRAPH_3, draw_page

    # The transport gives up on an undelivered reply at once (instead of retrying it for ten minutes).
    monkeypatch.setattr(bot_app, "rate_limiter", lambda: RetryingRateLimiter(window=0.0))
    pages = [draw_page([PARAGRAPH_1]), draw_page([PARAGRAPH_3], letterhead=False, title=False)]
    app = bot_app.build_application(bot_settings, index_handle, sessions=bot_sessions)
    async with running_application(app):
        fake_telegram.inject("sendMessage", "502")  # the album's confirmation: Bad Gateway
        for page in pages:
            fake_telegram.feed_photo(ADMIN_ID, sizes=_sizes(page), media_group_id="13578942375023523")
        [failed] = await fake_telegram.await_for("sendMessage", status=502, timeout=120)
        assert (
            str(failed.params["text"]).startswith("📥 Đã thêm vào kho")
            and "2 trang nhận dạng chữ" in failed.params["text"]
        )
        await final_status(fake_telegram, ADMIN_ID, (await status_message(fake_telegram, ADMIN_ID))["message_id"])
        await until(lambda: not app.bot_data.get(inbox.IN_FLIGHT_KEY), what="both photos handled")
    [stored] = list((corpus_dir / "uploads").iterdir())
    assert stored.suffix == ".pdf"
    assert _states(bot_sessions) == ["pending", "pending"]  # the whole album is to be handled again
    if handed_back == "one photo":  # as an earlier version left it: the other photo's update done
        with bot_sessions() as s, s.begin():
            row = s.scalars(select(ProcessedUpdateRow).order_by(ProcessedUpdateRow.update_id.desc())).first()
            row.state, row.payload = "done", None

    # A restart: the pending updates are handed back at start.
    before = len(fake_telegram.sent_messages(ADMIN_ID))
    app = bot_app.build_application(bot_settings, index_handle, sessions=bot_sessions)
    async with running_application(app):
        await fake_telegram.await_for(
            "sendMessage", lambda c: c.params.get("chat_id") == ADMIN_ID, count=before + 1, timeout=120
        )
        await until(lambda: _states(bot_sessions) == ["done", "done"], what="the album's updates done")
    [reply] = fake_telegram.sent_messages(ADMIN_ID)[before:]
    assert reply["text"].startswith("📥 Album ảnh này đã được thêm vào kho: «")
    assert f"uploads/{stored.name}" in reply["text"]
    assert list((corpus_dir / "uploads").iterdir()) == [stored]  # no second document, no first photo alone
    [doc] = [d for d in index_handle.searcher.docs if d.path == f"uploads/{stored.name}"]
    assert doc.paragraphs == (PARAGRAPH_1, PARAGRAPH_3)
