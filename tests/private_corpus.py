"""A private copy of the tiny corpus and its index per test, for the end-to-end tests of the bot's admin
features (reindexing, documents and photos sent to it, restarts mid-reindex): the fixtures that override
conftest's shared corpus and index, the slow encoder, and the helpers that read the reindex status.

Test modules import the fixtures by name (`from tests.private_corpus import corpus_dir, ...`).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from bot.db import AuditRow
from tests.fake_telegram import FakeTelegram, until
from tests.fakes import HashEncoder

MAX_FILE_MB = 1.0

NEW_DOC = """Kế hoạch phòng chống thiên tai năm 2025
Ngày: 12/02/2025
Cơ quan: UBND tỉnh Quảng Trị

Các xã ven biển rà soát phương án sơ tán dân khỏi vùng nguy hiểm trước mùa mưa bão.
Ban Chỉ huy phòng chống thiên tai tỉnh tổ chức diễn tập ứng phó lũ quét vào quý II/2025.
Kho vật tư cứu hộ được bổ sung áo phao, xuồng máy và lương thực dự trữ cho 5.000 người.
Các huyện miền núi cắm biển cảnh báo sạt lở tại 42 điểm xung yếu.
Đài phát thanh xã phát bản tin cảnh báo thiên tai ba lần mỗi ngày trong mùa mưa.
Kinh phí diễn tập lấy từ quỹ phòng chống thiên tai của tỉnh.
"""
NEW_DOC_QUESTION = "phương án sơ tán dân vùng nguy hiểm mùa mưa bão"
NEW_DOC_FACT = "sơ tán dân khỏi vùng nguy hiểm"


class SlowEncoder(HashEncoder):
    """HashEncoder that spends `delay` seconds per passage (one progress call each); questions are fast."""

    def __init__(self) -> None:
        super().__init__()
        self.delay = 0.0
        self.broken = False

    def embed(
        self,
        texts: Sequence[str],
        *,
        kind: str = "passage",
        batch_size: int = 32,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        if kind == "passage" and self.broken:
            raise RuntimeError("model crashed")
        if kind != "passage" or not self.delay:
            return super().embed(texts, kind=kind, batch_size=batch_size, progress=progress)
        rows = []
        for text in texts:
            time.sleep(self.delay)
            rows.append(super().embed([text], kind=kind)[0])
            if progress:
                progress(1)
        return np.stack(rows) if rows else np.zeros((0, self.dim), dtype="float32")


# --------------------------------------------------------------------------------------------------
# Fixtures: a private corpus and index per test (the session's tiny corpus stays untouched)


@pytest.fixture
def corpus_dir(tiny_corpus: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_corpus, tmp_path / "corpus"))


@pytest.fixture
def index_dir(tiny_index: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_index, tmp_path / "index"))


@pytest.fixture
def encoder() -> SlowEncoder:
    return SlowEncoder()


@pytest.fixture
def index_handle(index_dir: Path, encoder: SlowEncoder) -> Any:
    from index.search import IndexHandle

    return IndexHandle(index_dir, HashEncoder.name, encoder_factory=lambda: encoder)


@pytest.fixture
def bot_settings(make_bot_settings: Callable[..., Any], corpus_dir: Path, index_dir: Path) -> Any:
    return make_bot_settings(
        corpus_dir=corpus_dir, index_dir=index_dir, max_file_mb=MAX_FILE_MB, trash_dir=corpus_dir.parent / "trash"
    )


# --------------------------------------------------------------------------------------------------
# Helpers


def corpus_state(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


async def final_status(fake: FakeTelegram, chat_id: int, status_id: int, timeout: float = 30) -> str:
    """Wait until the reindex status message `status_id` shows its result; return its text."""
    await until(lambda: not fake.message(chat_id, status_id)["text"].startswith("⏳"), timeout, "reindex summary")
    return str(fake.message(chat_id, status_id)["text"])


def status_messages(fake: FakeTelegram, chat_id: int) -> list[dict[str, Any]]:
    return [m for m in fake.sent_messages(chat_id) if m["text"].startswith(("⏳", "✅", "❌"))]


async def status_message(fake: FakeTelegram, chat_id: int, count: int = 1) -> dict[str, Any]:
    """The `count`-th reindex status message in the chat (waits for it)."""
    await until(lambda: len(status_messages(fake, chat_id)) >= count, 10, "reindex status message")
    return status_messages(fake, chat_id)[count - 1]


def audit_rows(sessions: Any, action: str | None = None) -> list[AuditRow]:
    with sessions() as s:
        query = select(AuditRow).order_by(AuditRow.id)
        if action:
            query = query.where(AuditRow.action == action)
        return list(s.scalars(query))
