"""One index rebuild at a time, in a worker thread, with its progress shown in the chat.

`Reindexer.start(...)` begins an incremental `index.store.build_index` of the corpus in a background
task and returns at once; the bot goes on answering from the live index until the build has written
its new snapshot and `IndexHandle.reload()` has swapped it in.

While a build runs, `start` refuses a second one (the /reindex command tells the admin to wait), and
`start(..., queue=True)` (an upload or a removal changed the corpus) asks for one more build right after
the current one, so that change is indexed too. All state changes happen on the event loop, so a plain
flag is the lock.

Progress goes to one status message, edited at most every `progress_every` seconds; the final edit is
the summary (or the error).

`cancel()` (/reindex cancel) stops a running build at its next progress step (between two files read,
two batches embedded): the build thread raises `BuildCancelled`, the half-written snapshot is removed
by `index.store`, the live index stays as it was and the queued requests are dropped. What the build
would have taken in stays in the corpus and is built by the next build.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.fit import Line, fit
from bot.logs import log_event
from bot.replies import escape
from bot.uploads import reason_vi
from index.budget import Budget
from index.errors import BadDocument, ModelMismatch
from index.store import BuildSummary, build_index

if TYPE_CHECKING:
    from index.search import IndexHandle

log = logging.getLogger(__name__)

PROGRESS_EVERY = 3.0  # seconds between two edits of the status message
MAX_SKIPPED_SHOWN = 10

BUSY = "Đang cập nhật chỉ mục, vui lòng chờ trong giây lát rồi thử lại (dừng lượt đang chạy: /reindex cancel)."
STARTED = "⏳ Đang cập nhật chỉ mục…"
QUEUED = "Chỉ mục đang được cập nhật; thay đổi này sẽ được đưa vào ngay sau lượt cập nhật hiện tại."
CANCELLED = (
    "⏹ Đã huỷ cập nhật chỉ mục. Bot vẫn trả lời theo chỉ mục cũ; các tệp chưa được lập chỉ mục sẽ được "
    "đưa vào ở lần cập nhật sau (/reindex)."
)

_STAGES = {
    "read": "đọc tệp",
    "ocr": "nhận dạng chữ (OCR) các trang",
    "embed": "tạo vector cho đoạn văn",
    "vectors": "lập chỉ mục vector",
    "lexical": "lập chỉ mục từ khoá",
}


Builder = Callable[..., BuildSummary]
# Awaited once after each build, before the final status: (summary or None, error text or None, the
# users who asked for it). It may return one more HTML line for the final status message.
OnFinished = Callable[[BuildSummary | None, str | None, list[int | None]], Awaitable[str | None]]


# --------------------------------------------------------------------------------------------------
# Pure formatting


def progress_text(stage: str, done: int, total: int) -> str:
    what = _STAGES.get(stage, stage)
    if stage in ("vectors", "lexical") or total <= 0:
        return f"{STARTED}\nBước: {what}."
    return f"{STARTED}\nBước: {what} {min(done, total)}/{total}."


def summary_counts(summary: BuildSummary) -> dict[str, Any]:
    """The summary as plain JSON-able values (kept in the audit log, read back by /stats)."""
    data = dataclasses.asdict(summary)
    data["skipped"] = [list(s) for s in summary.skipped]
    data["seconds"] = round(summary.seconds, 1)
    return data


def summary_line(data: dict[str, Any]) -> str:
    """ "thêm 1, sửa 0, xoá 0, bỏ qua 0, giữ nguyên 5 tệp; 6 tài liệu, 42 đoạn; 1,3 giây" (plain text)."""
    seconds = f"{float(data.get('seconds', 0.0)):.1f}".replace(".", ",")
    return (
        f"thêm {data.get('added', 0)}, sửa {data.get('changed', 0)}, xoá {data.get('removed', 0)}, "
        f"bỏ qua {len(data.get('skipped', []))}, giữ nguyên {data.get('unchanged', 0)} tệp; "
        f"{data.get('documents', 0)} tài liệu, {data.get('passages', 0)} đoạn; {seconds} giây"
    )


def summary_text(summary: BuildSummary, max_bytes: int) -> str:
    """The final status message (HTML)."""
    data = summary_counts(summary)
    head = "✅ Đã cập nhật chỉ mục" if summary.snapshot else "✅ Chỉ mục đã mới nhất, không có gì thay đổi"
    lines = [Line(f"{head}: {escape(summary_line(data))}.", keep=True)]
    if summary.full_rebuild_reason:
        lines.append(Line("Đã lập lại toàn bộ chỉ mục (mô hình hoặc chỉ mục cũ thay đổi).", keep=True))
    if summary.repaired:
        lines.append(Line("Đã sửa chỉ mục bị hỏng: " + escape("; ".join(summary.repaired)), keep=True, shorten_to=300))
    if summary.skipped:
        lines.append(Line("", keep=True))
        lines.append(Line("<b>Tệp bỏ qua</b>", keep=True))
        for path, reason in summary.skipped[:MAX_SKIPPED_SHOWN]:
            item = f"• <code>{escape(path)}</code>: {escape(reason_vi(reason, max_bytes))}"
            lines.append(Line(item, cut=False))
        if len(summary.skipped) > MAX_SKIPPED_SHOWN:
            lines.append(Line(f"• … và {len(summary.skipped) - MAX_SKIPPED_SHOWN} tệp khác", keep=True))
    return fit(lines, more=lambda n: f"• … và {n} tệp khác")


def failure_text(error: BaseException) -> str:
    """The status message after a failed build (the details are in the log, in English)."""
    if isinstance(error, ModelMismatch):
        why = " (mô hình nhúng đã cấu hình khác với mô hình của chỉ mục)"
    elif isinstance(error, BadDocument):
        why = " (không đọc được thư mục kho tài liệu)"
    else:
        why = ""
    return f"❌ Không cập nhật được chỉ mục{why}. Bot vẫn trả lời theo chỉ mục cũ; vui lòng kiểm tra nhật ký hệ thống."


# --------------------------------------------------------------------------------------------------
# The coordinator


@dataclass
class _Job:
    chat_id: int
    user_id: int | None


class BuildCancelled(Exception):
    """Raised in the build thread at its next progress step after `Reindexer.cancel()`."""


class _Progress:
    """The latest (stage, done, total), written from the build thread and read on the event loop; it
    stops the build (BuildCancelled) once `cancelled` is set."""

    def __init__(self, cancelled: threading.Event) -> None:
        self._lock = threading.Lock()
        self._value: tuple[str, int, int] | None = None
        self._cancelled = cancelled

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self._cancelled.is_set():
            raise BuildCancelled
        with self._lock:
            self._value = (stage, done, total)

    def text(self) -> str | None:
        with self._lock:
            return progress_text(*self._value) if self._value else None


class Reindexer:
    def __init__(
        self,
        corpus_dir: Path,
        index_dir: Path,
        target: IndexHandle,
        *,
        max_bytes: int,
        budget: Budget | None = None,
        progress_every: float = PROGRESS_EVERY,
        builder: Builder = build_index,
        on_finished: OnFinished | None = None,
    ) -> None:
        self.corpus_dir = corpus_dir
        self.index_dir = index_dir
        self.target = target
        self.max_bytes = max_bytes
        self.budget = budget or Budget(max_file_bytes=max_bytes)
        self.progress_every = progress_every
        self.builder = builder
        self.on_finished = on_finished
        self._running = False
        self._queued: list[_Job] = []
        self._cancelled = threading.Event()
        self.last: BuildSummary | None = None

    @property
    def busy(self) -> bool:
        return self._running

    def cancel(self) -> bool:
        """Stop the running build at its next step and drop the queued ones; False when none runs."""
        if not self._running:
            return False
        self._queued.clear()
        self._cancelled.set()
        return True

    def start(
        self,
        bot: Bot,
        chat_id: int,
        user_id: int | None,
        spawn: Callable[[Awaitable[None]], Any],
        *,
        queue: bool = False,
    ) -> str:
        """Begin a rebuild reported in `chat_id`: "started", "queued" (queue=True while one runs; one more
        build follows the current one) or "busy" (refused). `spawn` runs the coroutine in the background
        (Application.create_task)."""
        return self.start_for(bot, [(chat_id, user_id)], spawn, queue=queue)

    def start_for(
        self,
        bot: Bot,
        asked: Sequence[tuple[int, int | None]],
        spawn: Callable[[Awaitable[None]], Any],
        *,
        queue: bool = False,
    ) -> str:
        """`start` for one build reported in several chats: (chat id, user id) of each request."""
        jobs = [_Job(chat_id, user_id) for chat_id, user_id in asked]
        if self._running:
            if not queue:
                return "busy"
            self._queued.extend(jobs)
            return "queued"
        self._running = True
        self._cancelled.clear()
        spawn(self._loop(bot, jobs))
        return "started"

    async def _loop(self, bot: Bot, jobs: list[_Job]) -> None:
        try:
            while jobs:
                await self._run_once(bot, jobs)
                jobs, self._queued = self._queued, []
                self._cancelled.clear()
        finally:
            self._running = False

    async def _run_once(self, bot: Bot, jobs: list[_Job]) -> None:
        chats = list(dict.fromkeys(job.chat_id for job in jobs))
        status = {chat: await _send(bot, chat, STARTED) for chat in chats}
        shown = {chat: STARTED for chat in chats}
        progress = _Progress(self._cancelled)

        async def edit_all(text: str, final: bool = False) -> None:
            for chat in chats:
                if shown[chat] == text:
                    continue
                message_id = status[chat]
                if message_id is None or not await _edit(bot, chat, message_id, text):
                    if final:
                        status[chat] = await _send(bot, chat, text)
                shown[chat] = text

        build = asyncio.ensure_future(asyncio.to_thread(self._build, progress))
        while True:
            done, _ = await asyncio.wait({build}, timeout=self.progress_every)
            if done:
                break
            text = progress.text()
            if text:
                await edit_all(text)
        summary: BuildSummary | None = None
        error: str | None = None
        try:
            summary = build.result()
        except BuildCancelled:
            log.info("index rebuild cancelled")
            error = CANCELLED
        except Exception as exc:  # noqa: BLE001 - reported in the chat, logged with its traceback
            log.exception("index rebuild failed")
            error = failure_text(exc)
        if summary is not None:
            self.last = summary
            log_event("reindex", **summary.counts())  # type: ignore[arg-type]
        extra: str | None = None
        if self.on_finished is not None:
            try:
                extra = await self.on_finished(summary, error, [job.user_id for job in jobs])
            except Exception:  # noqa: BLE001 - the build is done; a failed follow-up must not hide that
                log.exception("after-reindex callback failed")
        final = summary_text(summary, self.max_bytes) if summary is not None else error or ""
        await edit_all(fit([Line(final, keep=True), Line(extra)]) if extra else final, final=True)

    def _build(self, progress: _Progress) -> BuildSummary:
        """In the worker thread: build, then swap the new snapshot into the live handle."""
        summary = self.builder(
            self.corpus_dir, self.index_dir, self.target.encoder, budget=self.budget, progress=progress
        )
        if summary.snapshot is not None:
            self.target.reload()
        return summary


async def _send(bot: Bot, chat_id: int, text: str) -> int | None:
    try:
        message = await bot.send_message(chat_id, fit(text))
    except TelegramError as exc:
        log.error("could not send the reindex status to chat %s: %s", chat_id, exc)
        return None
    return message.message_id


async def _edit(bot: Bot, chat_id: int, message_id: int, text: str) -> bool:
    try:
        await bot.edit_message_text(fit(text), chat_id=chat_id, message_id=message_id)
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return True
        log.warning("could not edit the reindex status in chat %s: %s", chat_id, exc)
        return False
    except TelegramError as exc:
        log.warning("could not edit the reindex status in chat %s: %s", chat_id, exc)
        return False
    return True


def audit_detail(summary: BuildSummary | None, error: str | None) -> str:
    """What the audit log keeps about a rebuild: the summary's counts as JSON, or the error."""
    if summary is None:
        return json.dumps({"error": error or "failed"}, ensure_ascii=False)
    return json.dumps(summary_counts(summary), ensure_ascii=False)


def parse_audit_detail(detail: str | None) -> dict[str, Any] | None:
    if not detail:
        return None
    with contextlib.suppress(ValueError):
        data = json.loads(detail)
        if isinstance(data, dict):
            return data
    return None


def local_time(at: dt.datetime, tz: dt.tzinfo) -> str:
    return at.astimezone(tz).strftime("%H:%M %d/%m/%Y")
