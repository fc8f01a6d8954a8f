"""The application's error handler, after python-telegram-bot's own error-handler example: the error is
logged with its traceback, the person whose update failed gets one short apology, and the bot admins are
told (escaped, fitted to a message, at most once per kind of error per `NOTIFY_EVERY`)."""

from __future__ import annotations

import datetime as dt
import html
import logging
import traceback

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import replies
from bot.fit import Line, fit
from bot.services import services

log = logging.getLogger(__name__)

NOTIFY_EVERY = dt.timedelta(minutes=10)  # one admin notice per kind of error in this period
TRACE_LINES = 12  # the last lines of the traceback shown to admins
_NOTIFIED_KEY = "errors_notified"  # bot_data: error kind -> when the admins were last told


def error_kind(error: BaseException) -> str:
    """What makes two errors "the same kind": the exception type and the place it was raised."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else "?"
    return f"{type(error).__name__}@{where}"


def admin_notice(error: BaseException, update_id: int | None) -> str:
    """The HTML text sent to admins: the error and the end of its traceback, escaped and fitted."""
    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__)).strip()
    tail = "\n".join(trace.splitlines()[-TRACE_LINES:])
    head = f"⚠️ <b>Lỗi khi xử lý cập nhật {update_id if update_id is not None else '(không rõ)'}</b>"
    what = f"<code>{html.escape(type(error).__name__)}: {html.escape(str(error)[:500])}</code>"
    return fit([Line(head, keep=True), Line(what, keep=True), Line(f"<pre>{html.escape(tail)}</pre>")])


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=error)
    if error is None:
        return
    svc = services(context)
    chat = update.effective_chat if isinstance(update, Update) else None
    person = update.effective_user if isinstance(update, Update) else None
    if chat is not None and person is not None and not person.is_bot:
        try:
            await context.bot.send_message(chat.id, replies.SORRY)
        except TelegramError as exc:
            log.warning("could not apologise in chat %s: %s", chat.id, exc)
    now = svc.clock()
    notified: dict[str, dt.datetime] = context.application.bot_data.setdefault(_NOTIFIED_KEY, {})
    kind = error_kind(error)
    last = notified.get(kind)
    if last is not None and now - last < NOTIFY_EVERY:
        return
    notified[kind] = now
    text = admin_notice(error, update_id)
    for admin in svc.settings.admin_ids:
        try:
            await context.bot.send_message(admin, text)
        except TelegramError as exc:
            log.warning("could not tell admin %s about an error: %s", admin, exc)
