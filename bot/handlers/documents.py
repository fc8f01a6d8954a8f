"""The corpus from Telegram, for admins: documents sent to the bot, /docs, /docs_remove, /docs_restore,
/docs_trash, /docs_trash_empty, and the resumption of corpus changes a crash interrupted.

Documents are named by their stable key (`bot.corpus.path_key`, 8 hex digits shown by /docs), never by a
position in a list, so a list that changed since it was shown cannot make a command hit another
document. Removal always asks first (an inline button), says so when the document was shipped with the
corpus rather than uploaded, and moves the file to the trash (`bot.trash`), from which /docs_restore
puts it back for CHIDAO_TRASH_DAYS days.

Every change to the corpus is recorded (`bot.pending`) before its rebuild starts; a change still open at
start-up (kill -9, a cancelled build) is built then.

Button data (checked by `bot.replies.callback_data`; a document is named by its 8-character key, whatever the
length of its path): ``a:p:<page>`` a page of /docs, ``a:r:<key>`` ask to remove, ``a:R:<key>``
remove, ``a:c`` cancel, ``a:E`` empty the trash.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, PhotoSize, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import pending, trash, uploads
from bot.albums import Albums
from bot.corpus import KEY_RE, NEW, SKIPPED, Waiting, path_key, waiting_files
from bot.fit import Line, fit
from bot.handlers.admin import (
    A_UPLOAD,
    A_UPLOAD_REFUSED,
    DOWNLOAD_FAILED,
    NO_INDEX,
    _audit,
    reindexer_of,
    start_reindex,
)
from bot.handlers.common import answer_button, blocking, current_outcome, keyboard, refuse_non_admin, send, sender_id
from bot.reindex import QUEUED
from bot.replies import MAX_MESSAGE, cut, escape, format_date, page_nav, shown_title, visible_len
from bot.services import SERVICES_KEY, Services, services
from bot.uploads import reason_vi
from index.model import DocMeta, Document
from index.store import OCR_CACHE_DIR, content_key
from index.tasks import TaskCandidate, extract_tasks

log = logging.getLogger(__name__)

DOCS_PER_PAGE = 10
WAITING_SHOWN = 10
PAGE_LIMIT = MAX_MESSAGE - 400  # room for the header, the waiting files and the footer

# Audit actions
A_REMOVE = "remove_document"
A_RESTORE = "restore_document"
A_TRASH_EMPTY = "empty_trash"

# --------------------------------------------------------------------------------------------------
# Fixed sentences

NO_DOCS = "Chỉ mục chưa có tài liệu nào. Anh/chị gửi tệp .docx, .pdf, .txt hoặc .md cho bot để thêm tài liệu."
REMOVE_USAGE = "Cách dùng: /docs_remove &lt;mã tài liệu&gt; (mã 8 ký tự in trong /docs), ví dụ: /docs_remove 3f9a1c2b"
RESTORE_USAGE = "Cách dùng: /docs_restore &lt;mã tài liệu&gt; (mã in trong /docs_trash)."
NOT_A_POSITION = (
    "«{arg}» là số thứ tự, mà số thứ tự thay đổi sau mỗi lần thêm hoặc xoá tài liệu. Anh/chị gõ mã "
    "tài liệu (8 ký tự in trong /docs), ví dụ: /docs_remove 3f9a1c2b."
)
CANCELLED = "Đã huỷ, không xoá tài liệu nào."
TRASH_EMPTY = "Thùng rác trống."
UPLOAD_IN_PRIVATE = "Để thêm tài liệu vào kho, anh/chị gửi ảnh hoặc tệp cho bot trong tin nhắn riêng."
ALBUMS_KEY = "albums"  # application.bot_data: the photos of albums being gathered

_STATE_VI = {NEW: "mới, chưa lập chỉ mục", "changed": "đã sửa, chưa cập nhật chỉ mục", SKIPPED: "bị bỏ qua"}


# --------------------------------------------------------------------------------------------------
# Pure helpers: the document list, which document an argument names, the texts


def doc_line(meta: DocMeta) -> str:
    parts = [f"<code>{path_key(meta.path)}</code> <i>{escape(shown_title(meta.title))}</i>"]
    if meta.date:
        parts.append(format_date(meta.date))
    parts.append(f"{meta.paragraphs} đoạn")
    return " — ".join(parts) + f"\n    <code>{escape(meta.path)}</code>"


def waiting_line(w: Waiting, max_bytes: int) -> str:
    state = _STATE_VI.get(w.state, w.state)
    if w.state == SKIPPED and w.reason:
        state += ": " + escape(reason_vi(w.reason, max_bytes))
    return f"<code>{w.key}</code> <code>{escape(w.path)}</code> — {state}"


def paginate(docs: Sequence[DocMeta], limit: int = PAGE_LIMIT, per_page: int = DOCS_PER_PAGE) -> list[range]:
    """Index ranges of the pages of the list: at most `per_page` documents and `limit` characters each."""
    pages: list[range] = []
    start, used = 0, 0
    for i, meta in enumerate(docs):
        size = visible_len(doc_line(meta)) + 1
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


def docs_page(
    docs: Sequence[DocMeta], page: int, waiting: Sequence[Waiting] = (), max_bytes: int = 20 * 1024 * 1024
) -> DocsPage:
    """Page `page` (0-based, clamped) of the document list with its 🗑 and ◀ ▶ buttons; the first page
    also lists the files of the corpus that are not (or not as they are now) in the index."""
    if not docs and not waiting:
        return DocsPage(NO_DOCS, None)
    pages = paginate(docs)
    page = max(0, min(page, len(pages) - 1))
    shown = pages[page]
    header = f"<b>Tài liệu trong chỉ mục: {len(docs)}</b>"
    if len(pages) > 1:
        header += f" (trang {page + 1}/{len(pages)})"
    lines = [Line(header, keep=True), Line("", keep=True)]
    if waiting and page == 0:
        lines.append(Line(f"<b>Tệp trong kho chưa có trong chỉ mục: {len(waiting)}</b>", keep=True))
        lines += [Line(waiting_line(w, max_bytes), cut=False) for w in waiting[:WAITING_SHOWN]]
        if len(waiting) > WAITING_SHOWN:
            lines.append(Line(f"… và {len(waiting) - WAITING_SHOWN} tệp khác", keep=True))
        lines.append(Line("", keep=True))
    lines += [Line(doc_line(docs[i]), cut=False) for i in shown]
    footer = "Xoá một tài liệu: bấm 🗑 kèm mã, hoặc gõ /docs_remove &lt;mã&gt;. Thùng rác: /docs_trash."
    lines += [Line("", keep=True), Line(footer, keep=True)]
    remove_buttons = [(f"🗑 {path_key(docs[i].path)}", f"a:r:{path_key(docs[i].path)}") for i in shown]
    rows = [remove_buttons[j : j + 3] for j in range(0, len(remove_buttons), 3)]
    rows.append(page_nav(page, len(pages), ("◀ Trước", "Sau ▶"), lambda to: f"a:p:{to}"))
    return DocsPage(fit(lines, more=lambda n: f"… và {n} tài liệu khác"), keyboard(rows))


@dataclass(frozen=True)
class Target:
    """A corpus file a command names: an indexed document, or a file the index does not hold (yet)."""

    path: str
    title: str  # the document's title, or "" for a file not in the index
    indexed: bool

    @property
    def key(self) -> str:
        return path_key(self.path)

    def shown(self) -> str:
        name = f"«{escape(shown_title(self.title))}» " if self.title else ""
        return f"{name}(<code>{escape(self.path)}</code>, mã <code>{self.key}</code>)"


def targets(docs: Sequence[DocMeta], waiting: Sequence[Waiting]) -> list[Target]:
    """Everything that can be removed: the indexed documents, then the corpus files the index lacks."""
    out = [Target(d.path, d.title, True) for d in docs]
    known = {t.path for t in out}
    out += [Target(w.path, "", False) for w in waiting if w.path not in known and w.state != "gone"]
    return out


def find_targets(found: Sequence[Target], arg: str) -> list[Target]:
    """The files `arg` names: a key shown by /docs, a path relative to the corpus, or a file name (with
    or without its extension, case ignored). Several when a bare name is ambiguous. Never a position."""
    arg = arg.strip().strip("«»\"'")
    if KEY_RE.fullmatch(arg.lower()):
        by_key = [t for t in found if t.key == arg.lower()]
        if by_key:
            return by_key
    wanted = arg.replace("\\", "/").lstrip("/").lower()
    exact = [t for t in found if t.path.lower() == wanted]
    if exact:
        return exact
    by_name = [t for t in found if t.path.rsplit("/", 1)[-1].lower() == wanted]
    if by_name:
        return by_name
    return [t for t in found if Path(t.path).stem.lower() == wanted]


def is_position(arg: str) -> bool:
    """A list position typed where a key is expected ("3", "12"): refused, positions move."""
    return re.fullmatch(r"\s*\d{1,7}\s*", arg) is not None


def confirm_text(target: Target, days: int) -> str:
    lines = [f"Xoá tài liệu {target.shown()} khỏi kho và cập nhật chỉ mục?"]
    if trash.is_shipped(target.path):
        lines.append(
            "⚠️ Đây là tài liệu <b>có sẵn trong kho</b> (không phải tệp gửi qua bot); các việc cần làm lấy "
            "từ văn bản này sẽ bị huỷ."
        )
    if not target.indexed:
        lines.append("Tệp này chưa có trong chỉ mục.")
    lines.append(f"Tệp được chuyển vào thùng rác, giữ {days} ngày; khôi phục bằng /docs_restore {target.key}.")
    return "\n".join(lines)


def trash_text(found: Sequence[trash.TrashItem], days: int, tz: dt.tzinfo) -> str:
    if not found:
        return TRASH_EMPTY
    lines = [Line(f"<b>Thùng rác: {len(found)} tài liệu</b> (giữ {days} ngày)", keep=True), Line("", keep=True)]
    for item in found:
        name = f"«{escape(shown_title(item.title))}» " if item.title else ""
        when = item.removed_at.astimezone(tz).strftime("%d/%m/%Y")
        until = item.expires(days).astimezone(tz).strftime("%d/%m/%Y")
        line = f"<code>{item.key}</code> {name}<code>{escape(item.path)}</code> — xoá {when}, giữ đến {until}"
        lines.append(Line(line, cut=False))
    lines += [
        Line("", keep=True),
        Line("Khôi phục: /docs_restore &lt;mã&gt;. Xoá hẳn tất cả: /docs_trash_empty.", keep=True),
    ]
    return fit(lines, more=lambda n: f"… và {n} tài liệu khác")


def upload_summary(title: str, date: dt.date | None, paragraphs: int) -> str:
    when = f"ngày {format_date(date)}" if date else "chưa rõ ngày ban hành"
    return f"«{escape(shown_title(title))}» ({when}, {paragraphs} đoạn)"


FIRST_LINES = 3
TASKS_SHOWN = 3


def read_text(doc: Document, tasks: Sequence[TaskCandidate], ocr: uploads.OcrSummary | None = None) -> str:
    """What the bot read in an upload, under the confirmation: date, issuing body, number, OCR confidence,
    the first lines and the tasks found (HTML; the caller fits the whole message)."""
    lines = [
        f"• Ngày ban hành: {format_date(doc.date) if doc.date else 'chưa rõ'}",
        f"• Cơ quan ban hành: {escape(doc.agency) if doc.agency else 'chưa rõ'}",
    ]
    if doc.number:
        lines.append(f"• Số hiệu: {escape(doc.number)}")
    if ocr is not None:
        quality = f"{ocr.pages} trang nhận dạng chữ (OCR), độ tin cậy trung bình {round(ocr.confidence)}%"
        if ocr.low_pages:
            shown = ", ".join(str(p) for p in ocr.low_pages)
            quality += f"; trang {shown} đọc kém (dưới {ocr.low_threshold:.0f}%), nên kiểm tra lại hoặc chụp rõ hơn"
        lines.append("• " + quality + ".")
    first = [p for p in doc.paragraphs[:FIRST_LINES]]
    if first:
        lines.append("• Những dòng đầu:")
        lines.append("<blockquote>" + "\n".join(escape(cut(p, 300)[0]) for p in first) + "</blockquote>")
    if tasks:
        lines.append(f"• Việc cần làm tìm thấy: {len(tasks)} (chờ duyệt sau khi lập chỉ mục, /tasks_review)")
        for task in tasks[:TASKS_SHOWN]:
            when = f" — hạn {format_date(task.deadline)}" if task.deadline else ""
            lines.append(f"   – {escape(cut(task.text, 160)[0])}{when}")
        if len(tasks) > TASKS_SHOWN:
            lines.append(f"   – … và {len(tasks) - TASKS_SHOWN} việc khác")
    else:
        lines.append("• Không tìm thấy việc cần làm có thời hạn.")
    return "\n".join(lines)


def duplicate_of(doc: Document, indexed: Sequence[Document]) -> Document | None:
    """The indexed document with the same content as `doc` (index.store.content_key), if any."""
    key = content_key(doc)
    return next((d for d in indexed if content_key(d) == key), None)


# --------------------------------------------------------------------------------------------------
# Plumbing


def _docs(svc: Services) -> list[DocMeta]:
    return cast(list[DocMeta], svc.index.searcher.documents())


def _waiting(svc: Services) -> list[Waiting]:
    manifest: dict[str, Any] = getattr(svc.index.searcher, "manifest", {}) or {}
    return waiting_files(svc.settings.corpus_dir, manifest)


def _listing(svc: Services) -> tuple[list[DocMeta], list[Waiting]]:
    return _docs(svc), [w for w in _waiting(svc) if w.state != "gone"]


async def _current(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> tuple[list[DocMeta], list[Waiting]] | None:
    svc = services(context)
    try:
        return await blocking(lambda: _listing(svc))
    except Exception:  # noqa: BLE001 - no index yet, or a damaged one: say so
        log.exception("could not open the index")
        await send(context, chat_id, NO_INDEX)
        return None


def _record(svc: Services, path: str, action: str, chat_id: int, user_id: int | None) -> None:
    pending.record(svc.sessions, path, action, chat_id, user_id, svc.clock())


async def _rebuild(update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    """A rebuild for a corpus change (one more after the running one, if any)."""
    if start_reindex(update, context, chat_id, queue=True) == "queued":
        await send(context, chat_id, QUEUED)


RESUME_JOB_NAME = "resume-corpus-changes"


def schedule_resume(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Run `resume` as soon as the application is running (a JobQueue job, so it is awaited at shutdown)."""

    async def job(context: ContextTypes.DEFAULT_TYPE) -> None:
        await resume(context.application)

    if application.job_queue is None:
        log.warning("no JobQueue: corpus changes an interrupted run left are built at the next /reindex")
        return
    application.job_queue.run_once(job, when=0, name=RESUME_JOB_NAME, job_kwargs={"misfire_grace_time": None})


async def resume(application: Application[Any, Any, Any, Any, Any, Any]) -> bool:
    """At start-up: build the corpus changes an earlier run recorded but did not finish (kill -9 during
    the build, a cancelled build), reporting in the chats that made them. False when there were none."""
    svc: Services = application.bot_data[SERVICES_KEY]
    try:
        changes = await blocking(lambda: pending.open_changes(svc.sessions))
    except Exception:  # noqa: BLE001 - a database problem must not stop the bot from starting
        log.exception("could not read the pending corpus changes")
        return False
    if not changes:
        return False
    asked = list(dict.fromkeys((c.chat_id, c.user_id) for c in changes if c.chat_id is not None))
    log.info("resuming %d corpus change(s) left by an interrupted run", len(changes))
    reindexer_of(application).start_for(
        application.bot,
        asked,
        lambda coro: application.create_task(coro, name="reindex"),  # type: ignore[arg-type]
        queue=True,
    )
    return True


# --------------------------------------------------------------------------------------------------
# Documents sent to the bot


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.document is None or await refuse_non_admin(update, context):
        return
    max_bytes = services(context).settings.max_file_bytes
    raw_name = message.document.file_name or ""
    name = uploads.safe_name(raw_name)
    try:
        uploads.check_declared(name, message.document.file_size, max_bytes)
        try:
            file = await message.document.get_file()
            uploads.check_declared(name, file.file_size, max_bytes)
            data = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.warning("could not download %r: %s", raw_name, exc)
            await send(context, message.chat_id, DOWNLOAD_FAILED, reply_to=message.message_id)
            return
    except uploads.Refused as exc:
        await _refuse(update, context, message, raw_name, str(exc))
        return
    await _add_bytes(update, context, message, data, name, raw_name)


async def _refuse(
    update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, raw_name: str, reason: str
) -> None:
    shown = escape(raw_name or "(không tên)")
    await send(context, message.chat_id, f"❌ Không thêm tệp «{shown}»: {escape(reason)}", reply_to=message.message_id)
    await _audit(services(context), sender_id(update), A_UPLOAD_REFUSED, {"file_name": raw_name, "reason": reason})


async def _add_bytes(
    update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, data: bytes, name: str, raw_name: str
) -> None:
    """Check, read (OCR for images and scans), compare with the index, store, record, tell, rebuild."""
    svc = services(context)
    settings = svc.settings
    chat_id = message.chat_id
    user_id = sender_id(update)
    shown_name = escape(raw_name or "(không tên)")

    async def answer(text: str) -> None:
        await send(context, chat_id, text, reply_to=message.message_id)

    try:
        uploads.check_downloaded(data, settings.max_file_bytes)
        ocr_cache = settings.index_dir / OCR_CACHE_DIR  # the build after this upload reuses what is OCR'd here
        read = await blocking(lambda: uploads.read(data, name, settings.max_file_bytes, settings.budget, ocr_cache))
    except uploads.Refused as exc:
        await _refuse(update, context, message, raw_name, str(exc))
        return
    doc = read.document
    about = upload_summary(doc.title, doc.date, len(doc.paragraphs))
    tasks = await blocking(lambda: extract_tasks(doc))
    try:
        same = await blocking(lambda: duplicate_of(doc, cast(list[Document], svc.index.searcher.docs)))
    except Exception:  # noqa: BLE001 - no index to compare with: the build will find duplicates
        log.exception("could not compare the upload with the index")
        same = None
    if same is not None:
        where = f"<code>{escape(same.path)}</code>, mã <code>{path_key(same.path)}</code>"
        await answer(
            f"Tệp «{shown_name}» có cùng nội dung với tài liệu «{escape(shown_title(same.title))}» ({where}) "
            "đã có trong kho; không thêm lần nữa."
        )
        await _audit(svc, user_id, A_UPLOAD_REFUSED, {"file_name": raw_name, "duplicate_of": same.path})
        return
    try:
        stored = await blocking(lambda: uploads.store(data, name, settings.corpus_dir))
    except uploads.Refused as exc:
        await _refuse(update, context, message, raw_name, str(exc))
        return
    where = f"<code>{escape(stored.path)}</code>"
    if not stored.created:
        await answer(f"Tệp {where} đã có trong kho với cùng nội dung: {about}. Không cần cập nhật.")
        return
    await blocking(lambda: _record(svc, stored.path, pending.UPLOAD, chat_id, user_id))
    detail = {"file_name": raw_name, "path": stored.path, "title": doc.title, "paragraphs": len(doc.paragraphs)}
    await _audit(svc, user_id, A_UPLOAD, detail)
    head = f"📥 Đã thêm vào kho: {about}, lưu tại {where} (mã <code>{path_key(stored.path)}</code>)."
    await answer(f"{head}\n{read_text(doc, tasks, read.ocr)}")
    await _rebuild(update, context, chat_id)


# --------------------------------------------------------------------------------------------------
# Photos: one photo, or an album (photos sent together) read as one document with its pages in order


def _albums(context: ContextTypes.DEFAULT_TYPE) -> Albums[Message]:
    found = context.application.bot_data.get(ALBUMS_KEY)
    if isinstance(found, Albums):
        return found
    made: Albums[Message] = Albums()
    context.application.bot_data[ALBUMS_KEY] = made
    return made


def largest(sizes: Sequence[PhotoSize]) -> PhotoSize:
    """The largest size Telegram made of a photo (by pixels, then bytes)."""
    return max(sizes, key=lambda p: (p.width * p.height, p.file_size or 0))


async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin's photo (or album) becomes a document (bot.handlers.chat.on_image hands it over).

    The update of every photo of an album shares the fate of the one whose handler reads the album: when
    that reply does not reach Telegram, they all stay pending and come back together (bot.handlers.inbox)."""
    message = update.effective_message
    if message is None or not message.photo or await refuse_non_admin(update, context):
        return
    if not message.media_group_id:
        await _add_photos(update, context, [message])
        return
    albums, key = _albums(context), (message.chat_id, message.media_group_id)
    if not albums.add(key, message.message_id, message):
        # The handler of the album's first photo reads them all; this update shares its outcome.
        if not await albums.delivered(key) and (outcome := current_outcome()) is not None:
            outcome.undelivered = True
        return
    delivered = False  # cancelled (a shutdown): the album is handled again
    try:
        await _add_photos(update, context, await albums.complete(key))
        delivered = (outcome := current_outcome()) is None or not outcome.undelivered
    except Exception:
        delivered = True  # as for this update: done once the error is reported (bot.handlers.errors)
        raise
    finally:
        albums.finish(key, delivered)


async def _add_photos(update: Update, context: ContextTypes.DEFAULT_TYPE, messages: Sequence[Message]) -> None:
    """One photo, or the photos of an album in message order, as one document. An album is stored under a
    name made from its media_group_id: an album handled again (its reply never reached Telegram) is
    recognised as the document it already made."""
    svc = services(context)
    settings = svc.settings
    message = messages[0]
    chat_id = message.chat_id
    stamp = message.date.astimezone(settings.tz).strftime("%Y-%m-%d")
    if message.media_group_id:
        base = f"anh-{stamp}-album-{message.media_group_id}"
        names = [uploads.safe_name(base + suffix) for suffix in (".pdf", ".jpg")]
        found = await blocking(lambda: [p for n in names if (p := uploads.stored(n, settings.corpus_dir))])
        if found:
            await send(context, chat_id, _album_again(svc, found[0]), reply_to=message.message_id)
            return
    else:
        base = f"anh-{stamp}-{message.message_id}"
    name = uploads.safe_name(base + (".pdf" if len(messages) > 1 else ".jpg"))
    images: list[bytes] = []
    try:
        for photo in (largest(m.photo) for m in messages):
            uploads.check_declared("anh.jpg", photo.file_size, settings.max_file_bytes)
            file = await photo.get_file()
            images.append(bytes(await file.download_as_bytearray()))
    except TelegramError as exc:
        log.warning("could not download a photo: %s", exc)
        await send(context, chat_id, DOWNLOAD_FAILED, reply_to=message.message_id)
        return
    except uploads.Refused as exc:
        await send(context, chat_id, f"❌ Không thêm ảnh: {escape(str(exc))}", reply_to=message.message_id)
        return
    data = images[0] if len(images) == 1 else await blocking(lambda: uploads.album_pdf(images))
    await _add_bytes(update, context, message, data, name, f"ảnh ({len(images)} trang)" if len(images) > 1 else "ảnh")


def _album_again(svc: Services, path: str) -> str:
    """The reply to an album already stored (as `path`): what it became, from the index when it is there."""
    where = f"lưu tại <code>{escape(path)}</code> (mã <code>{path_key(path)}</code>)"
    try:
        meta = next((d for d in svc.index.searcher.documents() if d.path == path), None)
    except Exception:  # noqa: BLE001 - no index yet: the path is enough
        meta = None
    if meta is None:
        return f"📥 Album ảnh này đã được thêm vào kho, {where}; không thêm lần nữa."
    about = upload_summary(meta.title, meta.date, meta.paragraphs)
    return f"📥 Album ảnh này đã được thêm vào kho: {about}, {where}; không thêm lần nữa."


# --------------------------------------------------------------------------------------------------
# /docs and removal


async def on_docs(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or await refuse_non_admin(update, context):
        return
    listing = await _current(context, message.chat_id)
    if listing is None:
        return
    docs, waiting = listing
    page = int(context.args[0]) - 1 if context.args and context.args[0].isdigit() else 0
    shown = docs_page(docs, page, waiting, services(context).settings.max_file_bytes)
    await send(context, message.chat_id, shown.text, markup=shown.markup)


def _confirm_markup(key: str) -> InlineKeyboardMarkup | None:
    return keyboard([[("🗑 Xoá", f"a:R:{key}"), ("Huỷ", "a:c")]])


def _empty_trash_markup() -> InlineKeyboardMarkup | None:
    return keyboard([[("Xoá hẳn", "a:E"), ("Huỷ", "a:c")]])


async def on_docs_remove(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or await refuse_non_admin(update, context):
        return
    chat_id = message.chat_id
    arg = " ".join(context.args or [])
    if not arg:
        await send(context, chat_id, REMOVE_USAGE)
        return
    listing = await _current(context, chat_id)
    if listing is None:
        return
    found = find_targets(targets(*listing), arg)
    if not found and is_position(arg):
        await send(context, chat_id, NOT_A_POSITION.format(arg=escape(arg.strip())))
        return
    if not found:
        await send(context, chat_id, f"Không có tài liệu «{escape(arg)}» trong kho; xem danh sách và mã bằng /docs.")
        return
    if len(found) > 1:
        names = "\n".join(f"• <code>{t.key}</code> <code>{escape(t.path)}</code>" for t in found)
        await send(context, chat_id, f"Có nhiều tệp trùng tên «{escape(arg)}»; gõ mã của tệp cần xoá:\n{names}")
        return
    days = services(context).settings.trash_days
    await send(context, chat_id, confirm_text(found[0], days), markup=_confirm_markup(found[0].key))


async def _remove(update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int, target: Target) -> None:
    svc = services(context)
    settings = svc.settings
    user_id = sender_id(update)

    def work() -> trash.TrashItem | None:
        trash.purge(settings.trash_dir, svc.clock(), settings.trash_days)
        item = trash.move_to_trash(
            settings.corpus_dir, settings.trash_dir, target.path, target.title, user_id, svc.clock()
        )
        if item is not None:
            _record(svc, target.path, pending.REMOVE, chat_id, user_id)
        return item

    try:
        item = await blocking(work)
    except (trash.TrashError, OSError) as exc:
        log.warning("could not remove %s: %s", target.path, exc)
        await send(context, chat_id, f"Không xoá được tệp <code>{escape(target.path)}</code>.")
        return
    if item is None:
        await send(context, chat_id, f"Tệp {target.shown()} không còn trong kho; chỉ mục sẽ được cập nhật.")
    else:
        await _audit(svc, user_id, A_REMOVE, {"path": target.path, "title": target.title, "trash": item.folder.name})
        shipped = " (tài liệu có sẵn trong kho)" if item.shipped else ""
        await send(
            context,
            chat_id,
            f"🗑 Đã chuyển vào thùng rác: {target.shown()}{shipped}. Khôi phục trong {settings.trash_days} ngày "
            f"bằng /docs_restore {target.key}.",
        )
    await _rebuild(update, context, chat_id)


async def on_admin_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.message is None or await refuse_non_admin(update, context):
        return
    chat_id = query.message.chat.id
    data = query.data or ""
    svc = services(context)
    if m := re.fullmatch(r"a:p:(\d+)", data):
        await answer_button(query)
        listing = await _current(context, chat_id)
        if listing is None:
            return
        shown = docs_page(*listing[:1], int(m[1]), listing[1], svc.settings.max_file_bytes)
        await _edit(query, shown.text, shown.markup)
        return
    if data == "a:c":
        await answer_button(query)
        await _edit(query, CANCELLED, None)
        return
    if data == "a:E":
        await answer_button(query)
        gone = await blocking(lambda: trash.empty(svc.settings.trash_dir))
        await _audit(svc, sender_id(update), A_TRASH_EMPTY, {"documents": gone})
        await _edit(query, f"Đã xoá hẳn {gone} tài liệu trong thùng rác.", None)
        return
    m = re.fullmatch(r"a:([rR]):([0-9a-f]{8})", data)
    listing = await _current(context, chat_id) if m else None
    target = next((t for t in targets(*listing) if t.key == m[2]), None) if m and listing else None
    if m is None or target is None:
        await answer_button(query, "Tài liệu này không còn trong kho; xem lại danh sách bằng /docs.")
        return
    await answer_button(query)
    if m[1] == "r":
        await send(context, chat_id, confirm_text(target, svc.settings.trash_days), markup=_confirm_markup(target.key))
        return
    if isinstance(query.message, Message):
        await _edit(query, f"Đang chuyển <code>{escape(target.path)}</code> vào thùng rác…", None)
    await _remove(update, context, chat_id, target)


async def _edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await query.edit_message_text(fit(text), reply_markup=markup)
    except TelegramError as exc:
        log.warning("could not edit an admin message: %s", exc)


# --------------------------------------------------------------------------------------------------
# The trash


async def on_docs_trash(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or await refuse_non_admin(update, context):
        return
    svc = services(context)
    settings = svc.settings

    def work() -> list[trash.TrashItem]:
        trash.purge(settings.trash_dir, svc.clock(), settings.trash_days)
        return trash.items(settings.trash_dir)

    found = await blocking(work)
    await send(context, message.chat_id, trash_text(found, settings.trash_days, settings.tz))


async def on_docs_restore(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or await refuse_non_admin(update, context):
        return
    chat_id = message.chat_id
    svc = services(context)
    settings = svc.settings
    arg = " ".join(context.args or []).strip().lower()
    if not KEY_RE.fullmatch(arg):
        await send(context, chat_id, RESTORE_USAGE)
        return
    user_id = sender_id(update)

    def work() -> tuple[trash.TrashItem, trash.Restored] | None:
        trash.purge(settings.trash_dir, svc.clock(), settings.trash_days)
        item = trash.find(settings.trash_dir, arg)
        if item is None:
            return None
        restored = trash.restore(settings.corpus_dir, item)
        if not restored.already_there:
            _record(svc, restored.path, pending.RESTORE, chat_id, user_id)
        return item, restored

    try:
        done = await blocking(work)
    except (trash.TrashError, OSError) as exc:
        log.warning("could not restore %s: %s", arg, exc)
        await send(context, chat_id, "Không khôi phục được tệp; vui lòng xem nhật ký hệ thống.")
        return
    if done is None:
        await send(
            context, chat_id, f"Không có tài liệu mã <code>{escape(arg)}</code> trong thùng rác; xem /docs_trash."
        )
        return
    item, restored = done
    await _audit(svc, user_id, A_RESTORE, {"path": restored.path, "from": item.folder.name})
    name = f"«{escape(shown_title(item.title))}» " if item.title else ""
    where = f"<code>{escape(restored.path)}</code>"
    if restored.already_there:
        await send(context, chat_id, f"Tài liệu {name}đã có lại trong kho tại {where} với cùng nội dung.")
        return
    note = (
        f" (một tệp khác đã nằm ở <code>{escape(item.path)}</code>, nên lưu dưới tên mới)" if restored.renamed else ""
    )
    await send(context, chat_id, f"♻️ Đã khôi phục {name}vào kho tại {where}{note}.")
    await _rebuild(update, context, chat_id)


async def on_docs_trash_empty(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or await refuse_non_admin(update, context):
        return
    found = await blocking(lambda: trash.items(services(context).settings.trash_dir))
    if not found:
        await send(context, message.chat_id, TRASH_EMPTY)
        return
    question = f"Xoá hẳn {len(found)} tài liệu trong thùng rác? Sau đó không khôi phục được nữa."
    await send(context, message.chat_id, question, markup=_empty_trash_markup())


# --------------------------------------------------------------------------------------------------


def handlers() -> list[BaseHandler[Update, Any, Any]]:
    """The document handlers; bot.app adds them with the admin handlers, before the catch-all text."""
    return [
        CommandHandler("docs", on_docs),
        CommandHandler("docs_remove", on_docs_remove),
        CommandHandler("docs_restore", on_docs_restore),
        CommandHandler("docs_trash", on_docs_trash),
        CommandHandler("docs_trash_empty", on_docs_trash_empty),
        CallbackQueryHandler(on_admin_button, pattern=r"^a:"),
        # Every document in a private chat: an unsupported type gets its reason, not silence. Photos and
        # image files come through bot.handlers.chat.on_image, which hands an admin's to on_photo/on_document.
        MessageHandler(filters.ChatType.PRIVATE & filters.Document.ALL & ~filters.Document.IMAGE, on_document),
    ]
