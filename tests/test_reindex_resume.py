"""The real `chidao run` process killed with SIGKILL while it indexes a document an admin just sent, then
restarted: the upload is indexed after the restart without anyone asking (issue 15 item 8), the admin is
told, and the recorded corpus change is closed.

Like tests/test_bot_crash.py: the fake Bot API server runs here, the bot is a child process started with
`chidao run`, with a small installed embedding model.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot import db, pending
from bot.reindex import STARTED
from tests.fake_telegram import FakeTelegram, running_application
from tests.fake_telegram import say as ask
from tests.private_corpus import (  # fixtures and helpers: a private corpus and index per test
    NEW_DOC,
    NEW_DOC_FACT,
    NEW_DOC_QUESTION,
    bot_settings,
    corpus_dir,
    encoder,
    final_status,
    index_dir,
    index_handle,
    status_message,
)
from tests.test_bot_crash import (
    ADMIN_ID,
    MODEL,
    START_TIMEOUT,
    TOKEN,
    _model_installed,
    _wait,
    run_env,
    start_run,
    write_corpus,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

PARAGRAPHS = 800  # distinct paragraphs: embedding them with the small model takes several seconds
FACT = "Trạm bơm Đồng Xuân được nâng cấp thêm ba tổ máy trước mùa mưa năm 2026."
QUESTION = "trạm bơm Đồng Xuân nâng cấp bao nhiêu tổ máy"


def _upload() -> bytes:
    lines = ["Báo cáo rà soát công trình thủy lợi năm 2026", "Ngày: 05/01/2026", "Cơ quan: Sở Nông nghiệp", ""]
    lines += [
        f"Công trình số {i} tại xã thứ {i % 97} đã được kiểm tra, khối lượng nạo vét đạt {i * 13} mét khối "
        f"và kinh phí sửa chữa dự kiến {i * 7} triệu đồng."
        for i in range(1, PARAGRAPHS)
    ]
    lines.insert(4 + PARAGRAPHS // 2, FACT)
    return "\n".join(lines).encode("utf-8")


def _texts(fake: FakeTelegram, method: str) -> list[str]:
    return [str(c.params.get("text", "")) for c in fake.calls_of(method) if c.params.get("chat_id") == ADMIN_ID]


async def test_changes_left_open_are_built_at_start(
    fake_telegram: FakeTelegram,
    bot_settings: Any,
    bot_sessions: Any,
    index_handle: Any,
    corpus_dir: Path,
) -> None:
    """A change recorded by a run that did not build it (the file is in the corpus, the index lacks it):
    the next start builds it by itself, reports to the chat that made it, and closes the record."""
    from bot.app import build_application

    (corpus_dir / "uploads").mkdir()
    (corpus_dir / "uploads" / "thien_tai.txt").write_text(NEW_DOC, encoding="utf-8")
    pending.record(bot_sessions, "uploads/thien_tai.txt", pending.UPLOAD, ADMIN_ID, ADMIN_ID, db.utcnow())
    application = build_application(bot_settings, index_handle, sessions=bot_sessions)
    async with running_application(application):
        status = await status_message(fake_telegram, ADMIN_ID)
        text = await final_status(fake_telegram, ADMIN_ID, status["message_id"])
        assert text.startswith("✅ Đã cập nhật chỉ mục: thêm 1")
        msg = await ask(fake_telegram, ADMIN_ID, NEW_DOC_QUESTION)
        assert NEW_DOC_FACT in msg["text"]
    assert pending.open_changes(bot_sessions) == []


def test_killed_during_a_chat_reindex_the_upload_is_indexed_after_restart(tmp_path: Path, database_url: str) -> None:
    if not _model_installed():
        pytest.skip(f"the embedding model package {MODEL!r} is not installed")
    corpus = write_corpus(tmp_path)
    db.upgrade(database_url)

    with FakeTelegram(token=TOKEN) as fake:
        env = run_env(fake, tmp_path, database_url, CHIDAO_TRASH_DIR=str(tmp_path / "trash"))
        log = tmp_path / "bot.log"
        first = start_run(tmp_path, env)
        try:
            fake.feed_document(ADMIN_ID, _upload(), "thuy_loi.txt", "text/plain")  # read at the first poll
            _wait(
                lambda: any(t.startswith("📥 Đã thêm vào kho") for t in _texts(fake, "sendMessage")),
                first, log, START_TIMEOUT, "the upload to be stored",
            )  # fmt: skip
            # Kill it while it embeds the new document's passages.
            _wait(
                lambda: any("Bước: tạo vector" in t for t in _texts(fake, "editMessageText")),
                first, log, 60, "the reindex to embed",
            )  # fmt: skip
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait(10)
        assert first.returncode == -signal.SIGKILL
        assert (corpus / "uploads" / "thuy_loi.txt").is_file()
        assert not any(t.startswith("✅") for t in _texts(fake, "editMessageText")), "killed too late"
        calls_before = len(fake.calls)

        second = start_run(tmp_path, env)
        try:

            def done() -> bool:
                return any(
                    str(c.params.get("text", "")).startswith("✅ Đã cập nhật chỉ mục: thêm 1")
                    for c in fake.calls[calls_before:]
                    if c.method in ("editMessageText", "sendMessage") and c.params.get("chat_id") == ADMIN_ID
                )

            _wait(done, second, log, 180, "the interrupted reindex to be finished after the restart")
            # Nobody asked: the bot resumed on its own and reported in the chat that made the change.
            assert any(
                c.method == "sendMessage" and c.params.get("text") == STARTED and c.params.get("chat_id") == ADMIN_ID
                for c in fake.calls[calls_before:]
            )
            answered = len(_texts(fake, "sendMessage"))
            fake.feed_message(ADMIN_ID, QUESTION)
            _wait(lambda: len(_texts(fake, "sendMessage")) > answered, second, log, 30, "the answer")
            assert "thêm ba <b>tổ</b> máy trước mùa mưa" in _texts(fake, "sendMessage")[answered]
            second.send_signal(signal.SIGTERM)
            assert second.wait(30) == 0, log.read_text()[-3000:]
        finally:
            if second.poll() is None:
                second.kill()
                second.wait(10)

    engine = db.make_engine(database_url)
    try:
        with db.make_session_factory(engine)() as s:
            changes = list(s.scalars(select(db.CorpusChangeRow)))
    finally:
        engine.dispose()
    assert [(c.path, c.action, c.done_at is not None) for c in changes] == [("uploads/thuy_loi.txt", "upload", True)]
    assert "Traceback" not in log.read_text()
