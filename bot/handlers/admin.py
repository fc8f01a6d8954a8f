"""Admin features: /reindex, documents sent to the bot, /docs and /docs_remove, /stats, /allow and /deny,
/chat_subscriptions and /unsubscribe_chat (any chat's reminders, from any chat), and a group's move to a
supergroup (its allowlist entry and subscription follow the new id).

Access is one decision: /deny also ends the chat's reminder subscription, and /allow does not bring it
back (the reply says how: /subscribe in the group).

Admins are the Telegram user ids in CHIDAO_ADMIN_IDS (`Access.is_admin`). Anyone else who sends an admin
command, presses an admin button or sends a file in a private chat gets one polite sentence and nothing
happens. Every admin action is written to the audit_log table.

Handlers are thin: the pure parts (pages of the document list, the stats message, which document an
argument names, file names and checks in bot.uploads) are plain functions; the rebuild itself is
bot.reindex.Reindexer, kept in `application.bot_data["reindexer"]` (created on first use).

Button data (at most 64 bytes): ``a:p:<page>`` a page of /docs, ``a:r:<doc key>`` ask to remove a
document, ``a:R:<doc key>`` remove it, ``a:c`` cancel. The doc key is bot.handlers.ask.doc_key(path).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import reminders, uploads
from bot.access import move_allowed_chat
from bot.db import AllowedChatRow, AuditRow, FeedbackRow, QuestionRow, SubscriptionRow, audit, utcnow
from bot.handlers.ask import doc_key
from bot.handlers.common import answer_button, blocking, refuse_non_admin, send, sender_id
from bot.reindex import (
    BUSY,
    QUEUED,
    Reindexer,
    audit_detail,
    local_time,
    parse_audit_detail,
    summary_line,
)
from bot.replies import MAX_MESSAGE, escape, format_date, visible_len
from bot.services import Services, services
from bot.task_import import TaskImportSummary, import_from_index
from index.model import DocMeta, Document
from index.store import BuildSummary

log = logging.getLogger(__name__)


DOCS_PER_PAGE = 10
TITLE_CHARS = 160
PAGE_LIMIT = MAX_MESSAGE - 200  # room for the header and footer

# Audit actions
A_REINDEX = "reindex"
A_UPLOAD = "upload"
A_UPLOAD_REFUSED = "upload_refused"
A_REMOVE = "remove_document"
A_ALLOW = "allow_chat"
A_DENY = "deny_chat"
A_UNSUBSCRIBE_CHAT = "reminders.unsubscribe_chat"

# --------------------------------------------------------------------------------------------------
# Fixed sentences

NO_DOCS = "Chỉ mục chưa có tài liệu nào. Anh/chị gửi tệp .docx, .pdf, .txt hoặc .md cho bot để thêm tài liệu."
REMOVE_USAGE = (
    "Cách dùng: /docs_remove &lt;số thứ tự trong /docs hoặc tên tệp&gt;, ví dụ: /docs_remove 3 "
    "hoặc /docs_remove uploads/bao-cao.docx"
)
ALLOW_USAGE = (
    "Cách dùng: gõ /{cmd} trong nhóm cần {what}, hoặc /{cmd} &lt;mã nhóm/người dùng&gt;, "
    "ví dụ: /{cmd} -1001234567890"
)
CANCELLED = "Đã huỷ, không xoá tài liệu nào."
TASKS_FAILED = "⚠️ Chưa cập nhật được danh sách việc cần làm từ văn bản; vui lòng xem nhật ký hệ thống."
DOWNLOAD_FAILED = "Không tải được tệp từ Telegram; anh/chị vui lòng gửi lại sau ít phút."
NO_INDEX = "Chưa mở được chỉ mục; anh/chị thử /reindex hoặc kiểm tra nhật ký hệ thống."


# --------------------------------------------------------------------------------------------------
# Pure helpers: the document list, which document an argument names, the stats message


def doc_line(number: int, meta: DocMeta) -> str:
    title = meta.title if len(meta.title) <= TITLE_CHARS else meta.title[: TITLE_CHARS - 1].rstrip() + "…"
    parts = [f"<b>{number}.</b> <i>{escape(title)}</i>"]
    if meta.date:
        parts.append(format_date(meta.date))
    parts.append(f"{meta.paragraphs} đoạn")
    return " — ".join(parts) + f"\n    <code>{escape(meta.path)}</code>"


def paginate(docs: Sequence[DocMeta], limit: int = PAGE_LIMIT, per_page: int = DOCS_PER_PAGE) -> list[range]:
    """Index ranges of the pages of the list: at most `per_page` documents and `limit` characters each."""
    pages: list[range] = []
    start, used = 0, 0
    for i, meta in enumerate(docs):
        size = visible_len(doc_line(i + 1, meta)) + 1
        if i > start and (i - start >= per_page or used + size > limit):
            pages.append(range(start, i))
            start, used = i, 0
        used += size
    if start < len(docs) or not pages:
        pages.append(range(start, len(docs)))
    return pages


@dataclass(frozen=True)
class DocsPage:
    text: str
    markup: InlineKeyboardMarkup | None


def docs_page(docs: Sequence[DocMeta], page: int) -> DocsPage:
    """Page `page` (0-based, clamped) of the numbered document list with its 🗑 and ◀ ▶ buttons."""
    if not docs:
        return DocsPage(NO_DOCS, None)
    pages = paginate(docs)
    page = max(0, min(page, len(pages) - 1))
    shown = pages[page]
    header = f"<b>Tài liệu trong chỉ mục: {len(docs)}</b>"
    if len(pages) > 1:
        header += f" (trang {page + 1}/{len(pages)})"
    lines = [header, ""]
    lines += [doc_line(i + 1, docs[i]) for i in shown]
    lines += ["", "Xoá một tài liệu: bấm 🗑 kèm số thứ tự, hoặc gõ /docs_remove &lt;số hoặc tên tệp&gt;."]
    remove_buttons = [
        InlineKeyboardButton(f"🗑 {i + 1}", callback_data=f"a:r:{doc_key(docs[i].path)}") for i in shown
    ]
    rows = [remove_buttons[j : j + 5] for j in range(0, len(remove_buttons), 5)]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀ Trước", callback_data=f"a:p:{page - 1}"))
    if page < len(pages) - 1:
        nav.append(InlineKeyboardButton("Sau ▶", callback_data=f"a:p:{page + 1}"))
    if nav:
        rows.append(nav)
    return DocsPage("\n".join(lines), InlineKeyboardMarkup(rows))


def find_documents(docs: Sequence[DocMeta], arg: str) -> list[DocMeta]:
    """The documents `arg` names: a number of the /docs list, a path relative to the corpus, or a file
    name (with or without its extension, case ignored). Several when a bare name is ambiguous."""
    arg = arg.strip().strip("«»\"'")
    if re.fullmatch(r"\d+", arg):
        n = int(arg)
        return [docs[n - 1]] if 1 <= n <= len(docs) else []
    wanted = arg.replace("\\", "/").lstrip("/").lower()
    exact = [d for d in docs if d.path.lower() == wanted]
    if exact:
        return exact
    by_name = [d for d in docs if d.path.rsplit("/", 1)[-1].lower() == wanted]
    if by_name:
        return by_name
    return [d for d in docs if Path(d.path).stem.lower() == wanted]


@dataclass(frozen=True)
class Stats:
    documents: int
    passages: int
    index_built_at: dt.datetime | None
    questions: int
    answered: int
    votes_up: int
    votes_down: int
    allowed_in_db: int
    allowed_in_config: int
    last_reindex_at: dt.datetime | None
    last_reindex: dict[str, Any] | None
    reindex_running: bool


def stats_text(s: Stats, tz: dt.tzinfo) -> str:
    lines = [
        "<b>Thống kê trợ lý</b>",
        f"• Tài liệu trong chỉ mục: {s.documents} ({s.passages} đoạn trích)",
        f"• Câu hỏi đã nhận: {s.questions} (có trích dẫn trả lời: {s.answered})",
        f"• Góp ý: 👍 {s.votes_up} · 👎 {s.votes_down}",
        f"• Nhóm/người dùng được cấp quyền: {s.allowed_in_db} qua lệnh /allow, "
        f"{s.allowed_in_config} trong cấu hình",
    ]
    if s.index_built_at:
        lines.append(f"• Chỉ mục hiện tại lập lúc: {local_time(s.index_built_at, tz)}")
    if s.last_reindex_at:
        detail = s.last_reindex or {}
        if "error" in detail:
            what = "không thành công"
        else:
            what = escape(summary_line(detail))
        lines.append(f"• Lần cập nhật chỉ mục gần nhất: {local_time(s.last_reindex_at, tz)} — {what}")
    else:
        lines.append("• Chưa cập nhật chỉ mục qua bot lần nào")
    if s.reindex_running:
        lines.append("• Đang cập nhật chỉ mục…")
    return "\n".join(lines)


def tasks_line(t: TaskImportSummary) -> str | None:
    """What the task import after a rebuild changed, for the final status message (None: nothing)."""
    parts = []
    if t.added:
        parts.append(f"{t.added} việc mới chờ duyệt (/tasks_review)")
    if t.updated or t.reopened:
        parts.append(f"{t.updated + t.reopened} việc được cập nhật")
    if t.cancelled:
        parts.append(f"{t.cancelled} việc bị huỷ do văn bản thay đổi hoặc bị xoá")
    if t.failed_documents:
        parts.append(f"{len(t.failed_documents)} văn bản không trích được việc")
    return "📋 Việc cần làm: " + "; ".join(parts) + "." if parts else None


MAX_CHAT_ID = 2**53  # Telegram's chat and user ids fit in 52 bits (and in the BIGINT columns)


def parse_chat_id(text: str) -> int | None:
    """A chat or user id; None for anything else, a number too large to be one included."""
    m = re.fullmatch(r"\s*(-?\d{1,20})\s*", text)
    if not m:
        return None
    value = int(m[1])
    return value if 0 < abs(value) < MAX_CHAT_ID else None


# --------------------------------------------------------------------------------------------------
# Plumbing


def _write_audit(
    sessions: sessionmaker[Session], user_id: int | None, action: str, detail: str | None
) -> None:
    with sessions() as session, session.begin():
        audit(session, utcnow(), user_id, action, detail)


async def _audit(
    svc: Services, user_id: int | None, action: str, detail: dict[str, Any] | str | None
) -> None:
    text = json.dumps(detail, ensure_ascii=False) if isinstance(detail, dict) else detail
    try:
        await blocking(lambda: _write_audit(svc.sessions, user_id, action, text))
    except Exception:  # noqa: BLE001 - the action happened; a lost audit row is logged, not shown
        log.exception("could not write the audit log (%s by %s)", action, user_id)


def reindexer(context: ContextTypes.DEFAULT_TYPE) -> Reindexer:
    """The application's one Reindexer (created on first use)."""
    data = context.application.bot_data
    found = data.get("reindexer")
    if isinstance(found, Reindexer):
        return found
    svc = services(context)

    async def after_build(
        summary: BuildSummary | None, error: str | None, users: list[int | None]
    ) -> str | None:
        """Import the tasks of a new snapshot (bot.task_import), then audit the rebuild."""
        tasks: TaskImportSummary | None = None
        note: str | None = None
        if summary is not None and summary.snapshot is not None:
            try:
                tasks = await blocking(lambda: import_from_index(svc.sessions, _snapshot_docs(svc)))
                note = tasks_line(tasks)
            except Exception:  # noqa: BLE001 - the index is live; the task list waits for the next build
                log.exception("task import after the rebuild failed")
                note = TASKS_FAILED
        detail = json.loads(audit_detail(summary, error))
        if tasks is not None:
            detail["tasks"] = {"added": tasks.added, "updated": tasks.updated, "cancelled": tasks.cancelled}
        await _audit(svc, next(iter(users), None), A_REINDEX, detail)
        return note

    made = Reindexer(
        svc.settings.corpus_dir,
        svc.settings.index_dir,
        svc.index,
        max_bytes=svc.settings.max_file_bytes,
        on_finished=after_build,
    )
    data["reindexer"] = made
    return made


def _start_reindex(update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int, *, queue: bool) -> str:
    application = context.application
    return reindexer(context).start(
        context.bot,
        chat_id,
        sender_id(update),
        lambda coro: application.create_task(coro, name="reindex"),  # type: ignore[arg-type]
        queue=queue,
    )


def _snapshot_docs(svc: Services) -> list[Document]:
    return cast(list[Document], svc.index.searcher.docs)


def _documents(svc: Services) -> list[DocMeta]:
    return cast(list[DocMeta], svc.index.searcher.documents())


async def _current_documents(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> list[DocMeta] | None:
    svc = services(context)
    try:
        return await blocking(lambda: _documents(svc))
    except Exception:  # noqa: BLE001 - no index yet, or a damaged one: say so
        log.exception("could not open the index")
        await send(context, chat_id, NO_INDEX)
        return None


# --------------------------------------------------------------------------------------------------
# /reindex


async def on_reindex(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or await refuse_non_admin(update, context):
        return
    if _start_reindex(update, context, message.chat_id, queue=False) == "busy":
        await send(context, message.chat_id, BUSY)


# --------------------------------------------------------------------------------------------------
# Documents sent to the bot


def _document_summary(title: str, date: dt.date | None, paragraphs: int) -> str:
    when = f"ngày {format_date(date)}" if date else "chưa rõ ngày ban hành"
    return f"«{escape(title)}» ({when}, {paragraphs} đoạn)"


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.document is None or await refuse_non_admin(update, context):
        return
    svc = services(context)
    settings = svc.settings
    max_bytes = settings.max_file_bytes
    chat_id = message.chat_id
    raw_name = message.document.file_name or ""
    name = uploads.safe_name(raw_name)
    user_id = sender_id(update)

    async def refuse(reason: str) -> None:
        shown = escape(raw_name or "(không tên)")
        await send(
            context, chat_id, f"❌ Không thêm tệp «{shown}»: {escape(reason)}", reply_to=message.message_id
        )
        await _audit(svc, user_id, A_UPLOAD_REFUSED, {"file_name": raw_name, "reason": reason})

    try:
        uploads.check_declared(name, message.document.file_size, max_bytes)
        try:
            file = await message.document.get_file()
            uploads.check_declared(name, file.file_size, max_bytes)
            data = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.warning("could not download %r: %s", raw_name, exc)
            await send(context, chat_id, DOWNLOAD_FAILED, reply_to=message.message_id)
            return
        uploads.check_downloaded(data, max_bytes)
        doc = await blocking(lambda: uploads.validate(data, name, max_bytes))
        stored = await blocking(lambda: uploads.store(data, name, settings.corpus_dir))
    except uploads.Refused as exc:
        await refuse(str(exc))
        return
    about = _document_summary(doc.title, doc.date, len(doc.paragraphs))
    where = f"<code>{escape(stored.path)}</code>"
    if not stored.created:
        await send(
            context,
            chat_id,
            f"Tệp {where} đã có trong kho với cùng nội dung: {about}. Không cần cập nhật.",
            reply_to=message.message_id,
        )
        return
    await _audit(
        svc,
        user_id,
        A_UPLOAD,
        {"file_name": raw_name, "path": stored.path, "title": doc.title, "paragraphs": len(doc.paragraphs)},
    )
    await send(
        context, chat_id, f"📥 Đã thêm vào kho: {about}, lưu tại {where}.", reply_to=message.message_id
    )
    if _start_reindex(update, context, chat_id, queue=True) == "queued":
        await send(context, chat_id, QUEUED)


# --------------------------------------------------------------------------------------------------
# /docs and removal


async def on_docs(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or await refuse_non_admin(update, context):
        return
    docs = await _current_documents(context, message.chat_id)
    if docs is None:
        return
    page = int(context.args[0]) - 1 if context.args and context.args[0].isdigit() else 0
    shown = docs_page(docs, page)
    await send(context, message.chat_id, shown.text, markup=shown.markup)


async def on_docs_remove(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or await refuse_non_admin(update, context):
        return
    chat_id = message.chat_id
    arg = " ".join(context.args or [])
    if not arg:
        await send(context, chat_id, REMOVE_USAGE)
        return
    docs = await _current_documents(context, chat_id)
    if docs is None:
        return
    found = find_documents(docs, arg)
    if not found:
        await send(
            context, chat_id, f"Không có tài liệu «{escape(arg)}» trong chỉ mục; xem danh sách bằng /docs."
        )
        return
    if len(found) > 1:
        names = "\n".join(f"• <code>{escape(d.path)}</code>" for d in found)
        await send(context, chat_id, f"Có nhiều tệp trùng tên «{escape(arg)}»; gõ đường dẫn đầy đủ:\n{names}")
        return
    await _remove(update, context, chat_id, found[0])


async def _remove(update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int, meta: DocMeta) -> None:
    svc = services(context)
    try:
        removed = await blocking(lambda: uploads.remove(svc.settings.corpus_dir, meta.path))
    except (ValueError, OSError) as exc:
        log.warning("could not remove %s: %s", meta.path, exc)
        await send(context, chat_id, f"Không xoá được tệp <code>{escape(meta.path)}</code>.")
        return
    what = f"«{escape(meta.title)}» (<code>{escape(meta.path)}</code>)"
    if removed:
        await _audit(svc, sender_id(update), A_REMOVE, {"path": meta.path, "title": meta.title})
        await send(context, chat_id, f"🗑 Đã xoá khỏi kho: {what}.")
    else:
        await send(context, chat_id, f"Tệp của {what} không còn trong kho; chỉ mục sẽ được cập nhật.")
    if _start_reindex(update, context, chat_id, queue=True) == "queued":
        await send(context, chat_id, QUEUED)


async def on_admin_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.message is None or await refuse_non_admin(update, context):
        return
    chat_id = query.message.chat.id
    data = query.data or ""
    if m := re.fullmatch(r"a:p:(\d+)", data):
        await answer_button(query)
        docs = await _current_documents(context, chat_id)
        if docs is None:
            return
        shown = docs_page(docs, int(m[1]))
        await _edit(query, shown.text, shown.markup)
        return
    if data == "a:c":
        await answer_button(query)
        await _edit(query, CANCELLED, None)
        return
    m = re.fullmatch(r"a:([rR]):([0-9a-f]{8})", data)
    docs = await _current_documents(context, chat_id) if m else None
    meta = next((d for d in docs or [] if doc_key(d.path) == m[2]), None) if m else None
    if m is None or meta is None:
        await answer_button(query, "Tài liệu này không còn trong chỉ mục; xem lại danh sách bằng /docs.")
        return
    await answer_button(query)
    if m[1] == "r":
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("🗑 Xoá", callback_data=f"a:R:{m[2]}"),
                    InlineKeyboardButton("Huỷ", callback_data="a:c"),
                ]
            ]
        )
        text = (
            f"Xoá tài liệu «{escape(meta.title)}» (<code>{escape(meta.path)}</code>) khỏi kho và cập nhật "
            "chỉ mục?"
        )
        await send(context, chat_id, text, markup=markup)
        return
    if isinstance(query.message, Message):
        await _edit(query, f"Đang xoá <code>{escape(meta.path)}</code>…", None)
    await _remove(update, context, chat_id, meta)


async def _edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except TelegramError as exc:
        log.warning("could not edit an admin message: %s", exc)


# --------------------------------------------------------------------------------------------------
# /stats


def _gather_stats(svc: Services, running: bool) -> Stats:
    searcher = svc.index.searcher
    manifest: dict[str, Any] = getattr(searcher, "manifest", {}) or {}
    built_at: dt.datetime | None = None
    if isinstance(manifest.get("created_at"), str):
        try:
            built_at = dt.datetime.fromisoformat(manifest["created_at"])
        except ValueError:
            built_at = None
    docs = searcher.documents()
    passages = int(getattr(searcher, "passage_count", manifest.get("passages", 0)) or 0)
    with svc.sessions() as s:
        questions = s.scalar(select(func.count()).select_from(QuestionRow)) or 0
        answered = s.scalar(select(func.count()).select_from(QuestionRow).where(QuestionRow.answered)) or 0
        up = s.scalar(select(func.count()).select_from(FeedbackRow).where(FeedbackRow.vote == 1)) or 0
        down = s.scalar(select(func.count()).select_from(FeedbackRow).where(FeedbackRow.vote == -1)) or 0
        allowed = s.scalar(select(func.count()).select_from(AllowedChatRow)) or 0
        last = s.execute(
            select(AuditRow.at, AuditRow.detail)
            .where(AuditRow.action == A_REINDEX)
            .order_by(AuditRow.at.desc(), AuditRow.id.desc())
            .limit(1)
        ).first()
    return Stats(
        documents=len(docs),
        passages=passages,
        index_built_at=built_at,
        questions=questions,
        answered=answered,
        votes_up=up,
        votes_down=down,
        allowed_in_db=allowed,
        allowed_in_config=len(svc.settings.allowed_chats),
        last_reindex_at=last.at if last else None,
        last_reindex=parse_audit_detail(last.detail) if last else None,
        reindex_running=running,
    )


async def on_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or await refuse_non_admin(update, context):
        return
    svc = services(context)
    running = reindexer(context).busy
    try:
        stats = await blocking(lambda: _gather_stats(svc, running))
    except Exception:  # noqa: BLE001 - no index or database: say so instead of a silent failure
        log.exception("could not gather the stats")
        await send(context, message.chat_id, NO_INDEX)
        return
    await send(context, message.chat_id, stats_text(stats, svc.settings.tz))


# --------------------------------------------------------------------------------------------------
# /allow and /deny


def _allow(sessions: sessionmaker[Session], chat_id: int, user_id: int | None) -> tuple[bool, bool]:
    """Store the chat: (added, has an ended subscription). False when it was already allowed. An ended
    subscription stays ended: the chat subscribes again itself."""
    with sessions() as session, session.begin():
        sub = session.get(SubscriptionRow, chat_id)
        ended = sub is not None and not reminders.is_subscribed(session, chat_id)
        if session.get(AllowedChatRow, chat_id) is not None:
            return False, ended
        session.add(AllowedChatRow(chat_id=chat_id, added_by=user_id, added_at=utcnow()))
        audit(session, utcnow(), user_id, A_ALLOW, str(chat_id))
        return True, ended


def _deny(sessions: sessionmaker[Session], chat_id: int, user_id: int | None, configured: bool) -> tuple[bool, bool]:
    """Remove the chat and end its reminders: (removed from the table, subscription ended). A chat allowed
    in the configuration keeps both (only the configuration can change that)."""
    if configured:
        return False, False
    with sessions() as session, session.begin():
        now = utcnow()
        row = session.get(AllowedChatRow, chat_id)
        if row is not None:
            session.delete(row)
        ended = reminders.unsubscribe(session, chat_id)
        if row is not None:
            audit(session, now, user_id, A_DENY, str(chat_id))
        if ended:
            audit(session, now, user_id, A_UNSUBSCRIBE_CHAT, str(chat_id))
        return row is not None, ended


def _target_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    message = update.effective_message
    assert message is not None
    if context.args:
        return parse_chat_id(" ".join(context.args))
    if message.chat.type != ChatType.PRIVATE:
        return message.chat_id
    return None


async def on_allow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or await refuse_non_admin(update, context):
        return
    target = _target_chat(update, context)
    if target is None:
        await send(context, message.chat_id, ALLOW_USAGE.format(cmd="allow", what="cấp quyền"))
        return
    svc = services(context)
    added, ended = await blocking(lambda: _allow(svc.sessions, target, sender_id(update)))
    svc.access.forget(target)
    code = f"<code>{target}</code>"
    if added:
        text = f"✅ Đã cấp quyền sử dụng trợ lý cho {code}."
    else:
        text = f"{code} đã được cấp quyền từ trước."
    if ended:
        text += " Nhắc hạn công việc của nhóm này vẫn đang dừng; gõ /subscribe trong nhóm để bật lại."
    await send(context, message.chat_id, text)


async def on_deny(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or await refuse_non_admin(update, context):
        return
    target = _target_chat(update, context)
    if target is None:
        await send(context, message.chat_id, ALLOW_USAGE.format(cmd="deny", what="thu hồi quyền"))
        return
    svc = services(context)
    configured = target in svc.settings.allowed_chats
    removed, ended = await blocking(lambda: _deny(svc.sessions, target, sender_id(update), configured))
    svc.access.forget(target)
    code = f"<code>{target}</code>"
    if configured:
        text = (
            f"{code} được cấp quyền trong cấu hình (CHIDAO_ALLOWED_CHATS); cần sửa cấu hình và khởi động "
            "lại bot để thu hồi."
        )
    elif removed:
        text = f"🚫 Đã thu hồi quyền sử dụng trợ lý của {code}."
    else:
        text = f"{code} chưa được cấp quyền qua lệnh /allow."
    if ended:
        text += " Đã dừng nhắc hạn công việc gửi tới nhóm này."
    await send(context, message.chat_id, text)


# --------------------------------------------------------------------------------------------------
# Reminders of any chat, from any chat: /chat_subscriptions [chat id], /unsubscribe_chat <chat id>

CHAT_SUBS_USAGE = (
    "Cách dùng: /chat_subscriptions (mọi nhóm đang nhận nhắc hạn) hoặc /chat_subscriptions &lt;mã nhóm&gt;; "
    "/unsubscribe_chat &lt;mã nhóm&gt; để dừng nhắc hạn cho nhóm đó, ví dụ: /unsubscribe_chat -1001234567890"
)


@dataclass(frozen=True)
class ChatSubscription:
    chat_id: int
    active: bool
    blocked: bool
    since: dt.datetime


def _subscriptions(sessions: sessionmaker[Session], chat_id: int | None) -> list[ChatSubscription]:
    with sessions() as session:
        stmt = select(SubscriptionRow).order_by(SubscriptionRow.chat_id)
        if chat_id is not None:
            stmt = stmt.where(SubscriptionRow.chat_id == chat_id)
        else:
            stmt = stmt.where(SubscriptionRow.active)
        return [
            ChatSubscription(r.chat_id, r.active, r.blocked_at is not None, r.created_at)
            for r in session.scalars(stmt)
        ]


def subscriptions_text(subs: Sequence[ChatSubscription], chat_id: int | None, tz: dt.tzinfo) -> str:
    if chat_id is not None and not subs:
        return f"<code>{chat_id}</code> chưa từng đăng ký nhận nhắc hạn."
    if not subs:
        return "Chưa có nhóm nào nhận nhắc hạn công việc."
    lines = ["🔔 Nhắc hạn công việc:"] if chat_id is None else []
    for sub in subs[:100]:
        since = local_time(sub.since, tz)
        if sub.active and not sub.blocked:
            state = f"đang nhận nhắc hạn (từ {since})"
        elif sub.blocked:
            state = "đã chặn bot hoặc không còn tồn tại; không nhận nhắc hạn"
        else:
            state = "đã dừng nhắc hạn"
        lines.append(f"• <code>{sub.chat_id}</code>: {state}")
    if len(subs) > 100:
        lines.append(f"… và {len(subs) - 100} nhóm khác.")
    return "\n".join(lines)


async def on_chat_subscriptions(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or await refuse_non_admin(update, context):
        return
    target = parse_chat_id(" ".join(context.args)) if context.args else None
    if context.args and target is None:
        await send(context, message.chat_id, CHAT_SUBS_USAGE)
        return
    svc = services(context)
    subs = await blocking(lambda: _subscriptions(svc.sessions, target))
    await send(context, message.chat_id, subscriptions_text(subs, target, svc.settings.tz))


def _unsubscribe_chat(sessions: sessionmaker[Session], chat_id: int, user_id: int | None) -> bool:
    with sessions() as session, session.begin():
        ended = reminders.unsubscribe(session, chat_id)
        if ended:
            audit(session, utcnow(), user_id, A_UNSUBSCRIBE_CHAT, str(chat_id))
        return ended


async def on_unsubscribe_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or await refuse_non_admin(update, context):
        return
    target = parse_chat_id(" ".join(context.args)) if context.args else None
    if target is None:
        await send(context, message.chat_id, CHAT_SUBS_USAGE)
        return
    svc = services(context)
    ended = await blocking(lambda: _unsubscribe_chat(svc.sessions, target, sender_id(update)))
    code = f"<code>{target}</code>"
    text = f"🔕 Đã dừng nhắc hạn công việc gửi tới {code}." if ended else f"{code} không đang nhận nhắc hạn."
    await send(context, message.chat_id, text)


# --------------------------------------------------------------------------------------------------
# A group upgraded to a supergroup keeps its access and its reminders


def _migrate(svc: Services, old: int, new: int) -> None:
    with svc.sessions() as session, session.begin():
        now = utcnow()
        move_allowed_chat(session, old, new, now, svc.settings.allowed_chats)
        reminders.migrate_chat(session, old, new, now)


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Telegram's service messages of a group's upgrade: `migrate_to_chat_id` in the old group and
    `migrate_from_chat_id` in the new supergroup (either may come first; handling both is harmless)."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat_id
    else:
        return
    svc = services(context)
    await blocking(lambda: _migrate(svc, old, new))
    svc.access.forget(old, new)
    log.info("chat %s became supergroup %s: allowlist entry and subscription moved", old, new)


# --------------------------------------------------------------------------------------------------


def handlers() -> list[BaseHandler[Update, Any, Any]]:
    """The admin handlers; bot.app adds them before the catch-all text handlers."""
    return [
        CommandHandler("reindex", on_reindex),
        CommandHandler("docs", on_docs),
        CommandHandler("docs_remove", on_docs_remove),
        CommandHandler("stats", on_stats),
        CommandHandler("allow", on_allow),
        CommandHandler("deny", on_deny),
        CommandHandler("chat_subscriptions", on_chat_subscriptions),
        CommandHandler("unsubscribe_chat", on_unsubscribe_chat),
        MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate),
        CallbackQueryHandler(on_admin_button, pattern=r"^a:"),
        # Every document in a private chat: an unsupported type gets its reason, not silence.
        # Images (photos and image files) go through bot.handlers.chat.on_image.
        MessageHandler(filters.ChatType.PRIVATE & filters.Document.ALL & ~filters.Document.IMAGE, on_document),
    ]
