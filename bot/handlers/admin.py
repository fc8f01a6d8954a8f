"""Admin features: /reindex (and /reindex cancel), /stats, /allow and /deny, /chat_subscriptions and
/unsubscribe_chat (any chat's reminders, from any chat), and a group's move to a supergroup (its allowlist
entry and subscription follow the new id). Documents (uploads, /docs, removal, the trash) are
bot.handlers.documents.

Access is one decision: /deny also ends the chat's reminder subscription, and /allow does not bring it
back (the reply says how: /subscribe in the group).

Admins are the Telegram user ids in CHIDAO_ADMIN_IDS (`Access.is_admin`). Anyone else who sends an admin
command, presses an admin button or sends a file in a private chat gets one polite sentence and nothing
happens. Every admin action is written to the audit_log table.

Handlers are thin: the pure parts (the stats message) are plain functions; the rebuild itself is
bot.reindex.Reindexer, kept in `application.bot_data["reindexer"]` (created on first use). After each
successful rebuild the corpus changes it took in are marked done (bot.pending).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    BaseHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import pending, reminders
from bot.access import move_allowed_chat
from bot.corpus import unindexed, waiting_files
from bot.db import AllowedChatRow, AuditRow, FeedbackRow, QuestionRow, SubscriptionRow, audit, utcnow
from bot.following import is_private, reminded_by_default
from bot.handlers.common import blocking, refuse_non_admin, send, sender_id
from bot.reindex import (
    BUSY,
    Reindexer,
    audit_detail,
    local_time,
    parse_audit_detail,
    summary_line,
)
from bot.replies import escape
from bot.services import SERVICES_KEY, Services, services
from bot.task_import import TaskImportSummary, import_from_index
from index.model import Document
from index.store import BuildSummary

log = logging.getLogger(__name__)

# Audit actions
A_REINDEX = "reindex"
A_UPLOAD = "upload"
A_UPLOAD_REFUSED = "upload_refused"
A_ALLOW = "allow_chat"
A_DENY = "deny_chat"
A_UNSUBSCRIBE_CHAT = "reminders.unsubscribe_chat"

# --------------------------------------------------------------------------------------------------
# Fixed sentences

ALLOW_USAGE = (
    "Cách dùng: gõ /{cmd} trong nhóm cần {what}, hoặc /{cmd} &lt;mã nhóm/người dùng&gt;, "
    "ví dụ: /{cmd} -1001234567890"
)
TASKS_FAILED = "⚠️ Chưa cập nhật được danh sách việc cần làm từ văn bản; vui lòng xem nhật ký hệ thống."
DOWNLOAD_FAILED = "Không tải được tệp từ Telegram; anh/chị vui lòng gửi lại sau ít phút."
NO_INDEX = "Chưa mở được chỉ mục; anh/chị thử /reindex hoặc kiểm tra nhật ký hệ thống."
CANCEL_ASKED = "⏹ Đang dừng lượt cập nhật chỉ mục…"
NOTHING_TO_CANCEL = "Không có lượt cập nhật chỉ mục nào đang chạy."
REINDEX_USAGE = "Cách dùng: /reindex để cập nhật chỉ mục, /reindex cancel để dừng lượt đang chạy."


# --------------------------------------------------------------------------------------------------
# Pure helpers: the stats message


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
    waiting: tuple[str, ...] = ()  # corpus files not (or not as they are now) in the index


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
    if s.waiting:
        shown = ", ".join(f"<code>{escape(p)}</code>" for p in s.waiting[:5])
        more = f" và {len(s.waiting) - 5} tệp khác" if len(s.waiting) > 5 else ""
        lines.append(f"• Tệp chờ lập chỉ mục: {len(s.waiting)} ({shown}{more})")
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
    return reindexer_of(context.application)


def _settle(svc: Services) -> None:
    """Mark done the recorded corpus changes the live index now reflects."""
    manifest: dict[str, Any] = getattr(svc.index.searcher, "manifest", {}) or {}
    waiting = {w.path for w in waiting_files(svc.settings.corpus_dir, manifest) if w.state != "skipped"}
    pending.settle(svc.sessions, waiting, svc.clock())


def reindexer_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Reindexer:
    """The application's one Reindexer (created on first use)."""
    data = application.bot_data
    found = data.get("reindexer")
    if isinstance(found, Reindexer):
        return found
    svc: Services = data[SERVICES_KEY]

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
        if summary is not None:
            try:
                await blocking(lambda: _settle(svc))
            except Exception:  # noqa: BLE001 - the changes stay open and are built again at start-up
                log.exception("could not mark the corpus changes done")
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
        budget=svc.settings.budget,
        on_finished=after_build,
    )
    data["reindexer"] = made
    return made


def start_reindex(update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int, *, queue: bool) -> str:
    """Start a rebuild for this chat (`queue`: one more after the running one); Reindexer.start's answer."""
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


# --------------------------------------------------------------------------------------------------
# /reindex


async def on_reindex(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or await refuse_non_admin(update, context):
        return
    arg = " ".join(context.args or []).strip().lower()
    if arg in ("cancel", "huy", "huỷ", "hủy", "stop", "dung", "dừng"):
        if reindexer(context).cancel():
            log.info("user %s cancelled the running reindex", sender_id(update))
            await send(context, message.chat_id, CANCEL_ASKED)
        else:
            await send(context, message.chat_id, NOTHING_TO_CANCEL)
        return
    if arg:
        await send(context, message.chat_id, REINDEX_USAGE)
        return
    if start_reindex(update, context, message.chat_id, queue=False) == "busy":
        await send(context, message.chat_id, BUSY)


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
    waiting = tuple(w.path for w in unindexed(waiting_files(svc.settings.corpus_dir, manifest)))
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
        waiting=waiting,
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


async def _target_chat(
    update: Update, context: ContextTypes.DEFAULT_TYPE, usage: str, *, here: bool = True
) -> tuple[int, int] | None:
    """For an admin's command about one chat: (the chat to answer in, the chat its argument names, or with
    `here` and no argument the group it is sent in). Others get the refusal, a missing or bad id `usage`;
    then None is returned."""
    message = update.effective_message
    if message is None or await refuse_non_admin(update, context):
        return None
    target = parse_chat_id(" ".join(context.args)) if context.args else None
    if here and not context.args and message.chat.type != ChatType.PRIVATE:
        target = message.chat_id
    if target is None:
        await send(context, message.chat_id, usage)
        return None
    return message.chat_id, target


async def on_allow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await _target_chat(update, context, ALLOW_USAGE.format(cmd="allow", what="cấp quyền"))
    if found is None:
        return
    chat_id, target = found
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
    await send(context, chat_id, text)


async def on_deny(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await _target_chat(update, context, ALLOW_USAGE.format(cmd="deny", what="thu hồi quyền"))
    if found is None:
        return
    chat_id, target = found
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
    await send(context, chat_id, text)


# --------------------------------------------------------------------------------------------------
# Reminders of any chat, from any chat: /chat_subscriptions [chat id], /unsubscribe_chat <chat id>

CHAT_SUBS_USAGE = (
    "Cách dùng: /chat_subscriptions (mọi nhóm và tin nhắn riêng đang nhận nhắc hạn) hoặc "
    "/chat_subscriptions &lt;mã nhóm&gt;; /unsubscribe_chat &lt;mã nhóm&gt; để dừng nhắc hạn cho nhóm đó, "
    "ví dụ: /unsubscribe_chat -1001234567890"
)
SUBS_SHOWN = 100


@dataclass(frozen=True)
class ChatSubscription:
    """A chat's reminders: its subscription, or (`since` None) a private chat reminded of its author's
    `personal` open tasks by default (bot.following.reminded_by_default), without a subscription."""

    chat_id: int
    active: bool
    blocked: bool
    since: dt.datetime | None
    personal: int = 0


def _subscriptions(sessions: sessionmaker[Session], chat_id: int | None) -> list[ChatSubscription]:
    with sessions() as session:
        stmt = select(SubscriptionRow).order_by(SubscriptionRow.chat_id)
        if chat_id is not None:
            stmt = stmt.where(SubscriptionRow.chat_id == chat_id)
        else:
            stmt = stmt.where(SubscriptionRow.active)
        subs = [
            ChatSubscription(r.chat_id, r.active, r.blocked_at is not None, r.created_at)
            for r in session.scalars(stmt)
        ]
        by_default = reminded_by_default(session, chat_id)
    return subs + [ChatSubscription(c, True, False, None, n) for c, n in by_default.items()]


def subscriptions_text(subs: Sequence[ChatSubscription], chat_id: int | None, tz: dt.tzinfo) -> str:
    if chat_id is not None and not subs:
        text = f"<code>{chat_id}</code> chưa từng đăng ký nhận nhắc hạn."
        if is_private(chat_id):
            text += " Việc riêng người này thêm sau sẽ được nhắc trong tin nhắn riêng theo mặc định."
        return text
    if not subs:
        return "Chưa có nhóm hay tin nhắn riêng nào nhận nhắc hạn công việc."
    lines = ["🔔 Nhắc hạn công việc:"] if chat_id is None else []
    for sub in subs[:SUBS_SHOWN]:
        if sub.since is None:
            state = (
                f"tin nhắn riêng, nhận nhắc hạn {sub.personal} việc riêng đang mở theo mặc định "
                "(không cần /subscribe)"
            )
        elif sub.active and not sub.blocked:
            state = f"đang nhận nhắc hạn (từ {local_time(sub.since, tz)})"
        elif sub.blocked:
            state = "đã chặn bot hoặc không còn tồn tại; không nhận nhắc hạn"
        else:
            state = "đã dừng nhắc hạn"
        lines.append(f"• <code>{sub.chat_id}</code>: {state}")
    if len(subs) > SUBS_SHOWN:
        lines.append(f"… và {len(subs) - SUBS_SHOWN} cuộc trò chuyện khác.")
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
    found = await _target_chat(update, context, CHAT_SUBS_USAGE, here=False)
    if found is None:
        return
    chat_id, target = found
    svc = services(context)
    ended = await blocking(lambda: _unsubscribe_chat(svc.sessions, target, sender_id(update)))
    code = f"<code>{target}</code>"
    text = f"🔕 Đã dừng nhắc hạn công việc gửi tới {code}." if ended else f"{code} không đang nhận nhắc hạn."
    await send(context, chat_id, text)


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
        CommandHandler("stats", on_stats),
        CommandHandler("allow", on_allow),
        CommandHandler("deny", on_deny),
        CommandHandler("chat_subscriptions", on_chat_subscriptions),
        CommandHandler("unsubscribe_chat", on_unsubscribe_chat),
        MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate),
    ]
