"""Task commands: /tasks, /task <id>, /task_add <deadline> <text>, /done <id>, /subscribe, /unsubscribe,
/tasks_review and its buttons.

Handlers are thin: check access (bot.access via Services), run the store (bot.tasks, bot.reminders) in a
worker thread, format with bot.task_replies. Access: anyone the bot serves (Access.allowed) may list,
read, add and close tasks; only admins (Access.is_admin) subscribe a group, review extracted candidates
and see candidates with /task.

Review buttons carry "tk:a:<task id>" / "tk:d:<task id>" (bot.task_replies.encode_review): nothing but the
id, so they keep working after a restart.

"Today" is the local date (settings.timezone) of the application's clock (Services.clock).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot import task_replies
from bot.db import audit
from bot.handlers.common import answer_button, blocking, is_admin, refuse_non_admin, reply, sender_id, served
from bot.reminders import subscribe, unsubscribe
from bot.services import Services, services
from bot.task_replies import ReviewPage
from bot.tasks import (
    Task,
    TaskNotFound,
    accept,
    add_task,
    close_task,
    drop,
    get_task,
    list_candidates,
    list_open,
)
from index.deadlines import parse_user_deadline
from index.model import DocMeta

log = logging.getLogger(__name__)

T = TypeVar("T")

_ID = re.compile(r"#?(\d{1,9})")  # a task id fits in 9 digits (an INTEGER column)


# --------------------------------------------------------------------------------------------------
# Plumbing


def now(context: ContextTypes.DEFAULT_TYPE) -> dt.datetime:
    return services(context).clock()


def today(context: ContextTypes.DEFAULT_TYPE) -> dt.date:
    return services(context).today()


def _in_session(sessions: sessionmaker[Session], fn: Callable[[Session], T]) -> T:
    with sessions() as session:
        result = fn(session)
        session.commit()
        return result


async def _db(context: ContextTypes.DEFAULT_TYPE, fn: Callable[[Session], T]) -> T:
    sessions = services(context).sessions
    return await blocking(lambda: _in_session(sessions, fn))


def _argument(message: Message) -> str:
    """The text after the command ("/task_add@bot 20/12 ..." -> "20/12 ...")."""
    parts = (message.text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def parse_task_id(text: str) -> int | None:
    m = _ID.fullmatch(text.strip())
    return int(m[1]) if m else None


async def on_tasks(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = await served(update, context)
    if message is None:
        return
    day = today(context)
    items = await _db(context, lambda s: list_open(s, day))
    await reply(context, message, task_replies.task_list_text(items, day))


def _visible(task: Task | None, admin: bool) -> Task | None:
    """Candidates and dropped extractions are for admins only."""
    if task is None or (task.review != "accepted" and not admin):
        return None
    return task


async def on_task(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = await served(update, context)
    if message is None:
        return
    task_id = parse_task_id(_argument(message))
    if task_id is None:
        await reply(context, message, task_replies.TASK_USAGE)
        return
    admin = is_admin(update, context)
    task = _visible(await _db(context, lambda s: get_task(s, task_id)), admin)
    if task is None:
        await reply(context, message, task_replies.NOT_FOUND.format(id=task_id))
        return
    svc = services(context)
    meta, paragraph = await blocking(lambda: _source(svc, task))
    await reply(context, message, task_replies.task_detail_text(task, today(context), meta, paragraph))


def _source(svc: Services, task: Task) -> tuple[DocMeta | None, str | None]:
    """The task's source document and paragraph text from the live index; (None, None) when gone."""
    if not task.source_doc or not task.source_paragraph:
        return None, None
    searcher = svc.index.searcher
    meta = next((d for d in searcher.documents() if d.path == task.source_doc), None)
    if meta is None or not 1 <= task.source_paragraph <= meta.paragraphs:
        return None, None
    try:
        found = dict(searcher.context(task.source_doc, task.source_paragraph, 0))
    except (KeyError, IndexError):
        return None, None
    return meta, found.get(task.source_paragraph)


async def on_task_add(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = await served(update, context)
    if message is None:
        return
    arg = _argument(message)
    day = today(context)
    parsed = parse_user_deadline(arg, day) if arg else None
    text = arg[parsed.consumed :].strip() if parsed else ""
    if parsed is None or not text:
        await reply(context, message, task_replies.ADD_USAGE)
        return
    if parsed.date < day:
        await reply(context, message, task_replies.ADD_PAST.format(date=task_replies.fmt_date(parsed.date)))
        return
    user_id = sender_id(update) or message.chat_id
    at = now(context)
    try:
        task = await _db(
            context,
            lambda s: add_task(
                s, text, parsed.date, None, user_id, message.chat_id, deadline_text=parsed.text, now=at
            ),
        )
    except ValueError:  # nothing left of the text once normalised (only invisible characters)
        await reply(context, message, task_replies.ADD_USAGE)
        return
    await reply(context, message, task_replies.task_added_text(task, day))


async def on_done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = await served(update, context)
    if message is None:
        return
    task_id = parse_task_id(_argument(message))
    if task_id is None:
        await reply(context, message, task_replies.DONE_USAGE)
        return
    admin = is_admin(update, context)
    user_id = sender_id(update)
    at = now(context)

    def work(session: Session) -> tuple[Task, bool] | None:
        before = _visible(get_task(session, task_id), admin)
        if before is None:
            return None
        return close_task(session, task_id, user_id, now=at), before.status == "open"

    try:
        result = await _db(context, work)
    except TaskNotFound:
        result = None
    if result is None:
        await reply(context, message, task_replies.NOT_FOUND.format(id=task_id))
        return
    task, was_open = result
    text = task_replies.task_done_text(task, today(context)) if was_open else task_replies.not_open_text(task)
    await reply(context, message, text)


# --------------------------------------------------------------------------------------------------
# /subscribe, /unsubscribe (a group, by an admin)


async def _group_admin(update: Update, context: ContextTypes.DEFAULT_TYPE, cmd: str) -> Message | None:
    message = update.effective_message
    if message is None:
        return None
    if message.chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        await reply(context, message, task_replies.GROUP_ONLY.format(cmd=cmd))
        return None
    if not is_admin(update, context):
        log.info("user %s refused /%s in chat %s", sender_id(update), cmd, message.chat_id)
        await reply(context, message, task_replies.ADMIN_ONLY)
        return None
    return message


async def on_subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = await _group_admin(update, context, "subscribe")
    if message is None:
        return
    chat_id, user_id, at = message.chat_id, sender_id(update), now(context)

    def work(session: Session) -> bool:
        new = subscribe(session, chat_id, user_id, at)
        if new:
            audit(session, at, user_id, "reminders.subscribe", str(chat_id))
        return new

    new = await _db(context, work)
    settings = services(context).settings
    await reply(
        context, message, task_replies.subscribed_text(settings.reminder_days, settings.reminder_time, new)
    )


async def on_unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = await _group_admin(update, context, "unsubscribe")
    if message is None:
        return
    chat_id, user_id, at = message.chat_id, sender_id(update), now(context)

    def work(session: Session) -> bool:
        done = unsubscribe(session, chat_id)
        if done:
            audit(session, at, user_id, "reminders.unsubscribe", str(chat_id))
        return done

    done = await _db(context, work)
    await reply(context, message, task_replies.UNSUBSCRIBED if done else task_replies.NOT_SUBSCRIBED)


# --------------------------------------------------------------------------------------------------
# /tasks_review and its buttons (admins)


def _markup(page: ReviewPage) -> InlineKeyboardMarkup | None:
    if not page.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in page.buttons]
    )


def _docs_by_path(svc: Services) -> dict[str, DocMeta]:
    try:
        return {d.path: d for d in svc.index.searcher.documents()}
    except Exception:  # noqa: BLE001 - titles are a nicety; the review works without the index
        log.exception("could not read the document list for the review page")
        return {}


async def _review_page(context: ContextTypes.DEFAULT_TYPE, note: str | None = None) -> ReviewPage:
    svc = services(context)
    candidates = await _db(context, lambda s: list_candidates(s))
    docs = await blocking(lambda: _docs_by_path(svc))
    return task_replies.review_page(candidates, today(context), docs, note)


async def on_tasks_review(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or await refuse_non_admin(update, context):
        return
    page = await _review_page(context)
    await reply(context, message, page.text, _markup(page))


async def on_review_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or await refuse_non_admin(update, context):
        return
    action = task_replies.decode_review(query.data or "")
    if action is None:
        await answer_button(query, task_replies.GONE)
        return
    user_id, at = query.from_user.id, now(context)

    def work(session: Session) -> Task:
        if action.accept:
            return accept(session, action.task_id, user_id, now=at)
        return drop(session, action.task_id, user_id, now=at)

    try:
        task = await _db(context, work)
    except TaskNotFound:
        await answer_button(query, task_replies.GONE)
        return
    note = task_replies.review_note(task, action.accept)
    await answer_button(query, re.sub(r"<[^>]+>", "", note))
    page = await _review_page(context, note)
    if isinstance(query.message, Message):
        try:
            await query.edit_message_text(page.text, reply_markup=_markup(page))
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                log.warning("could not update the review message: %s", exc)
        except TelegramError as exc:
            log.warning("could not update the review message: %s", exc)


def handlers() -> list[BaseHandler[Update, Any, Any]]:
    """The task handlers, to be added before the catch-all text handlers (see bot.app)."""
    return [
        CommandHandler("tasks", on_tasks),
        CommandHandler("task", on_task),
        CommandHandler("task_add", on_task_add),
        CommandHandler("done", on_done),
        CommandHandler("subscribe", on_subscribe),
        CommandHandler("unsubscribe", on_unsubscribe),
        CommandHandler("tasks_review", on_tasks_review),
        CallbackQueryHandler(on_review_button, pattern=r"^tk:"),
    ]
