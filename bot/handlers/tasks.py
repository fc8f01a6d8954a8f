"""Task commands: /tasks [window], /task <id>, /task_add <deadline> <text> (an edit of that message edits
the task), /task_edit <id> <deadline> | text: <text>, /done <id>, /task_delete <id> (asks first, with
buttons), /subscribe [unit], /unsubscribe [unit], /subscriptions, /export, /tasks_review and its buttons.

Handlers are thin: check access (bot.access via Services), run the store (bot.tasks, bot.following,
bot.reminders) in a worker thread, format with bot.task_replies. Access: anyone the bot serves
(Access.allowed) may list, read and add tasks, and sees what belongs to the chat (bot.tasks.listed); who
may close, edit or delete a task is bot.tasks.may_change (a group's administrators are asked of Telegram with
getChatMember); only bot admins subscribe a group, review extracted candidates and see candidates.

Review buttons carry ids only ("tk:a:<task id>", "tk:A:<task id>" for the task's whole document,
"tk:p:<page>"; bot.task_replies), so they keep working after a restart.

"Today" is the local date (settings.timezone) of the application's clock (Services.clock).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from telegram import InlineKeyboardMarkup, InputFile, Message, ReplyParameters, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import export, following, replies, task_replies, tasks
from bot.db import audit
from bot.handlers.common import (
    allowed,
    answer_button,
    blocking,
    is_admin,
    keyboard,
    refuse_non_admin,
    reply,
    reply_to,
    sender_id,
    served,
)
from bot.reminders import subscribe, unsubscribe
from bot.services import Services, services
from bot.task_replies import ReviewPage
from bot.tasks import (
    Task,
    TaskNotFound,
    TaskNotOpen,
    Viewer,
    accept,
    add_task,
    close_task,
    drop,
    get_task,
    list_open,
)
from bot.units import unit_key
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


async def _task_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, usage: str, *, more: bool = False
) -> tuple[Message, int, str] | None:
    """The opening of every "/command <id> ..." handler: the served message, the task id that starts its
    argument and the rest (`more`: text may follow the id). A missing id (or text after it, without
    `more`) gets `usage`, and None is returned."""
    message = await served(update, context)
    if message is None:
        return None
    parts = _argument(message).split(maxsplit=1)
    task_id = parse_task_id(parts[0]) if parts else None
    rest = parts[1].strip() if len(parts) > 1 else ""
    if task_id is None or bool(rest) != more:
        await reply(context, message, usage)
        return None
    return message, task_id, rest


def _user_name(update: Update) -> str | None:
    user = update.effective_user
    return user.full_name if user else None


MEMBERSHIP_TTL = dt.timedelta(minutes=5)  # how long a private chat's list reuses what Telegram said
_MEMBERSHIP_KEY = "task_memberships"  # application.bot_data: (chat, user) -> (status, asked at)


async def _member_status(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int, *, cached: bool = False
) -> str | None:
    """The user's status in a group (Telegram's getChatMember), None when Telegram cannot say. With
    `cached`, an answer younger than MEMBERSHIP_TTL is reused (listing in private chats asks about every
    group with tasks); permission checks always ask."""
    memo: dict[tuple[int, int], tuple[str | None, dt.datetime]] = context.application.bot_data.setdefault(
        _MEMBERSHIP_KEY, {}
    )
    at = now(context)
    if cached and (chat_id, user_id) in memo:
        status, asked = memo[(chat_id, user_id)]
        if at - asked < MEMBERSHIP_TTL:
            return status
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        log.info("getChatMember %s/%s failed: %s", chat_id, user_id, exc)
        return None
    memo[(chat_id, user_id)] = (str(member.status), at)
    return str(member.status)


async def _group_admin(context: ContextTypes.DEFAULT_TYPE, chat_id: int | None, user_id: int | None) -> bool:
    if chat_id is None or chat_id >= 0 or user_id is None:
        return False
    status = await _member_status(context, chat_id, user_id)
    return status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def viewer(update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message) -> Viewer:
    """Who looks, from where. In a private chat: with the groups (having open tasks) the person is a
    member of, as far as Telegram tells the bot."""
    user_id = sender_id(update)
    private = message.chat.type == ChatType.PRIVATE
    groups: frozenset[int] = frozenset()
    if private and user_id is not None:
        chats = await _db(context, tasks.group_chats)
        member = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER,
                  ChatMemberStatus.RESTRICTED)  # fmt: skip
        found = [c for c in chats if await _member_status(context, c, user_id, cached=True) in member]
        groups = frozenset(found)
    return Viewer(message.chat_id, user_id, private, groups)


async def on_tasks(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = await served(update, context)
    if message is None:
        return
    day = today(context)
    arg = _argument(message)
    period = tasks.question_period(arg, day) if arg else None
    if arg and period is None:
        await reply(context, message, task_replies.WINDOW_USAGE)
        return
    who = await viewer(update, context, message)

    def work(session: Session) -> str:
        follow = following.following(session, who.chat_id)
        if period is not None:
            return task_replies.window_text(tasks.window(session, period, day, viewer=who, following=follow), day)
        return task_replies.task_list_text(list_open(session, day, viewer=who, following=follow), day)

    await reply(context, message, await _db(context, work))


def _visible(task: Task | None, admin: bool, who: Viewer | None = None) -> Task | None:
    """Candidates and dropped extractions are for admins only; personal and group tasks for their own
    chats (bot.tasks.can_see)."""
    if task is None or (task.review != "accepted" and not admin):
        return None
    if who is not None and not tasks.can_see(task, who):
        return None
    return task


async def on_task(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    command = await _task_command(update, context, task_replies.TASK_USAGE)
    if command is None:
        return
    message, task_id, _ = command
    admin = is_admin(update, context)
    who = await viewer(update, context, message)
    found = await _db(context, lambda s: (get_task(s, task_id), tasks.history(s, task_id)))
    task = _visible(found[0], admin, who)
    if task is None:
        await reply(context, message, task_replies.NOT_FOUND.format(id=task_id))
        return
    svc = services(context)
    meta, paragraph = await blocking(lambda: _source(svc, task))
    text = task_replies.task_detail_text(task, today(context), meta, paragraph, events=found[1], tz=svc.settings.tz)
    await reply(context, message, text)


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
    """/task_add <deadline> <text>. An edit of the /task_add message edits the task it made (a new
    message id only makes a new task)."""
    message = await served(update, context)
    if message is None:
        return
    arg = _argument(message)
    day = today(context)
    parsed = parse_user_deadline(arg, day) if arg else None
    text = arg[parsed.consumed :].strip() if parsed else ""
    if parsed is None or not text or not tasks.text_key(text):
        await reply(context, message, task_replies.ADD_USAGE)
        return
    if parsed.date < day:
        await reply(context, message, task_replies.ADD_PAST.format(date=task_replies.fmt_date(parsed.date)))
        return
    user_id = sender_id(update) or message.chat_id
    at, name = now(context), _user_name(update)
    chat_id, message_id = message.chat_id, message.message_id

    def work(session: Session) -> tuple[Task, Task | None]:
        before = tasks.task_from_message(session, chat_id, message_id)
        if before is None:
            new = add_task(
                session, text, parsed.date, None, user_id, chat_id,
                deadline_text=parsed.text, source_message_id=message_id, user_name=name, now=at,
            )  # fmt: skip
            return new, None
        if before.created_by != user_id or before.status != "open":
            return before, before
        after = tasks.edit_task(
            session, before.id, user_id, deadline=parsed.date, deadline_text=parsed.text, text=text,
            user_name=name, now=at,
        )  # fmt: skip
        return after, before

    try:
        task, before = await _db(context, work)
    except ValueError:  # nothing left of the text once normalised (only invisible characters)
        await reply(context, message, task_replies.ADD_USAGE)
        return
    if before is None:
        await reply(context, message, task_replies.task_added_text(task, day))
    elif before.status != "open":
        await reply(context, message, task_replies.EDIT_NOT_OPEN.format(id=task.id))
    elif before.created_by == user_id:
        changed = before.deadline != task.deadline
        if changed or before.text != task.text:
            await reply(context, message, task_replies.task_edited_text(task, day, changed))


async def _may_change(
    update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, task_id: int
) -> Task | str:
    """The task, if the sender may close, edit or delete it in `message`'s chat (bot.tasks.may_change);
    otherwise the sentence that says why not (not found, or the refusal)."""
    admin = is_admin(update, context)
    who = await viewer(update, context, message)
    task = _visible(await _db(context, lambda s: get_task(s, task_id)), admin, who)
    if task is None:
        return task_replies.NOT_FOUND.format(id=task_id)
    user_id = sender_id(update)
    group_admin = task.scope == "group" and await _group_admin(context, task.chat_id, user_id)
    if not tasks.may_change(task, user_id, bot_admin=admin, group_admin=group_admin):
        log.info("user %s may not change task %s", user_id, task_id)
        return task_replies.refusal(task)
    return task


async def _task_to_change(
    update: Update, context: ContextTypes.DEFAULT_TYPE, usage: str, *, more: bool = False
) -> tuple[Message, Task, str] | None:
    """`_task_command`, then the task if it is open and the sender may change it here (else the reply says
    why not and None is returned)."""
    command = await _task_command(update, context, usage, more=more)
    if command is None:
        return None
    message, task_id, rest = command
    found = await _may_change(update, context, message, task_id)
    if isinstance(found, Task) and found.status != "open":
        found = task_replies.not_open_text(found)
    if isinstance(found, str):
        await reply(context, message, found)
        return None
    return message, found, rest


async def on_done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    command = await _task_to_change(update, context, task_replies.DONE_USAGE)
    if command is None:
        return
    message, before, _ = command
    task_id = before.id
    user_id, at, name = sender_id(update), now(context), _user_name(update)
    task = await _db(context, lambda s: close_task(s, task_id, user_id, now=at, user_name=name))
    await reply(context, message, task_replies.task_done_text(task, today(context)))


_TEXT_PREFIX = re.compile(r"(?i)^(?:text|nội dung|noi dung|nd)\s*:\s*")


async def on_task_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/task_edit <id> <new deadline> or /task_edit <id> text: <new text>."""
    command = await _task_to_change(update, context, task_replies.EDIT_USAGE, more=True)
    if command is None:
        return
    message, before, rest = command
    task_id, day = before.id, today(context)
    new_text: str | None = None
    new_date = None
    date_text = None
    m = _TEXT_PREFIX.match(rest)
    if m:
        new_text = rest[m.end() :].strip()
        if not tasks.text_key(new_text):
            await reply(context, message, task_replies.EDIT_USAGE)
            return
    else:
        parsed = parse_user_deadline(rest, day)
        if parsed is None or rest[parsed.consumed :].strip():
            await reply(context, message, task_replies.EDIT_USAGE)
            return
        if parsed.date < day:
            await reply(context, message, task_replies.ADD_PAST.format(date=task_replies.fmt_date(parsed.date)))
            return
        new_date, date_text = parsed.date, parsed.text
    user_id, at, name = sender_id(update), now(context), _user_name(update)
    try:
        task = await _db(
            context,
            lambda s: tasks.edit_task(
                s, task_id, user_id, deadline=new_date, deadline_text=date_text, text=new_text,
                user_name=name, now=at,
            ),
        )  # fmt: skip
    except TaskNotOpen:
        await reply(context, message, task_replies.EDIT_NOT_OPEN.format(id=task_id))
        return
    await reply(context, message, task_replies.task_edited_text(task, day, before.deadline != task.deadline))


# --------------------------------------------------------------------------------------------------
# /task_delete <id>: asks first; the "🗑 Xoá" button deletes (the presser's rights are checked again)


async def on_task_delete(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    command = await _task_to_change(update, context, task_replies.DELETE_USAGE)
    if command is None:
        return
    message, task, _ = command
    markup = keyboard(task_replies.delete_buttons(task.id))
    await reply(context, message, task_replies.delete_question(task), markup)


async def on_delete_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    message = query.message
    action = task_replies.decode_delete(query.data or "")
    if not await allowed(context, message.chat_id, sender_id(update)):
        await answer_button(query, _plain(replies.stranger_text(message.chat_id)))
        return
    if action is None:
        await answer_button(query, task_replies.GONE)
        return
    if not action.confirm:
        await answer_button(query)
        await _edit(query, task_replies.DELETE_KEPT.format(id=action.task_id))
        return
    found = await _may_change(update, context, message, action.task_id)
    if isinstance(found, str):
        await answer_button(query, _plain(found))
        return
    user_id, at, name = sender_id(update), now(context), _user_name(update)
    try:
        task = await _db(context, lambda s: tasks.delete_task(s, action.task_id, user_id, at, user_name=name))
    except TaskNotOpen:
        text = task_replies.not_open_text(found)
    else:
        text = task_replies.task_deleted_text(task)
    await answer_button(query, _plain(text))
    await _edit(query, text)


def _plain(html_text: str) -> str:
    """The text of a button's notice (Telegram shows it without HTML)."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


# --------------------------------------------------------------------------------------------------
# /subscribe [unit], /unsubscribe [unit] (a group, by an admin), /subscriptions


async def _subscribing_admin(update: Update, context: ContextTypes.DEFAULT_TYPE, cmd: str) -> Message | None:
    """The message, if its sender may change this chat's subscription: a bot admin in a group; in a private
    chat the person the bot serves (their own reminders: their personal tasks and what they follow)."""
    message = update.effective_message
    if message is None:
        return None
    if message.chat.type == ChatType.PRIVATE:
        return await served(update, context)
    if message.chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        await reply(context, message, task_replies.GROUP_ONLY.format(cmd=cmd))
        return None
    if not is_admin(update, context):
        log.info("user %s refused /%s in chat %s", sender_id(update), cmd, message.chat_id)
        await reply(context, message, task_replies.ADMIN_ONLY)
        return None
    return message


async def on_subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/subscribe: every organisation task; /subscribe <unit>: the tasks of that unit (added to the units
    the group follows; a group subscribed to everything stays so)."""
    message = await _subscribing_admin(update, context, "subscribe")
    if message is None:
        return
    chat_id, user_id, at = message.chat_id, sender_id(update), now(context)
    unit = _argument(message)
    if unit and not unit_key(unit):
        await reply(context, message, task_replies.UNIT_UNKNOWN.format(unit=task_replies.escape(unit[:100])))
        return

    def work(session: Session) -> tuple[bool, bool]:
        new = subscribe(session, chat_id, user_id, at)
        if new:
            following.clear_units(session, chat_id)
            audit(session, at, user_id, "reminders.subscribe", f"{chat_id} {unit}".strip())
        if not unit:
            following.set_all(session, chat_id, True)
            return new, new
        if new:
            following.set_all(session, chat_id, False)
        added = following.add_unit(session, chat_id, unit, user_id, at)
        if added and not new:
            audit(session, at, user_id, "reminders.follow", f"{chat_id} {unit}")
        return new, added

    new, added = await _db(context, work)
    if unit:
        await reply(context, message, task_replies.subscribed_unit_text(unit, added))
        return
    settings = services(context).settings
    private = message.chat.type == ChatType.PRIVATE
    text = task_replies.subscribed_text(settings.reminder_days, settings.reminder_time, new, private)
    await reply(context, message, text)


async def on_unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = await _subscribing_admin(update, context, "unsubscribe")
    if message is None:
        return
    chat_id, user_id, at = message.chat_id, sender_id(update), now(context)
    private = message.chat.type == ChatType.PRIVATE
    unit = _argument(message)
    if unit:
        if not unit_key(unit):
            await reply(context, message, task_replies.UNIT_UNKNOWN.format(unit=task_replies.escape(unit[:100])))
            return

        def one(session: Session) -> tuple[bool, following.Following]:
            removed = following.remove_unit(session, chat_id, unit)
            follow = following.following(session, chat_id)
            if removed:
                audit(session, at, user_id, "reminders.unfollow", f"{chat_id} {unit}")
                if follow.subscribed and not follow.keys and not following.subscribed_to_all(session, chat_id):
                    if private:  # back to the default: the person's own tasks only
                        following.own_only(session, chat_id)
                    else:
                        unsubscribe(session, chat_id)
                    follow = following.following(session, chat_id)
            return removed, follow

        removed, follow = await _db(context, one)
        text = (
            task_replies.unsubscribed_unit_text(unit, follow, private)
            if removed
            else task_replies.UNIT_NOT_FOLLOWED.format(unit=task_replies.escape(unit[:100]))
        )
        await reply(context, message, text)
        return

    def work(session: Session) -> bool:
        was_on = following.reminded(session, chat_id) is not None  # a private chat: its personal reminders
        done = unsubscribe(session, chat_id, at)
        following.clear_units(session, chat_id)
        if done:
            audit(session, at, user_id, "reminders.unsubscribe", str(chat_id))
        return done or was_on

    done = await _db(context, work)
    texts = (
        (task_replies.UNSUBSCRIBED_PRIVATE, task_replies.NOT_SUBSCRIBED_PRIVATE)
        if private
        else (task_replies.UNSUBSCRIBED, task_replies.NOT_SUBSCRIBED)
    )
    await reply(context, message, texts[0] if done else texts[1])


async def on_subscriptions(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = await served(update, context)
    if message is None:
        return
    chat_id, private = message.chat_id, message.chat.type == ChatType.PRIVATE
    follow = await _db(context, lambda s: following.reminded(s, chat_id))
    await reply(context, message, task_replies.subscriptions_text(follow, private))


# --------------------------------------------------------------------------------------------------
# /export: the chat's visible open tasks as an Excel file and an iCalendar file


def _reply_parameters(message: Message) -> ReplyParameters | None:
    target = reply_to(message)
    return ReplyParameters(target, allow_sending_without_reply=True) if target is not None else None


async def on_export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = await served(update, context)
    if message is None:
        return
    day, at = today(context), now(context)
    who = await viewer(update, context, message)
    svc = services(context)

    def work(session: Session) -> list[Task]:
        follow = following.following(session, who.chat_id)
        return [i.task for i in list_open(session, day, viewer=who, following=follow)]

    found = await _db(context, work)
    if not found:
        await reply(context, message, task_replies.EXPORT_EMPTY)
        return
    titles = {path: meta.title for path, meta in (await blocking(lambda: _docs_by_path(svc))).items()}
    for kind in ("xlsx", "ics"):
        data = await blocking(lambda k=kind: export.export(k, found, day, at, titles))  # type: ignore[misc]
        try:
            await context.bot.send_document(
                message.chat_id,
                InputFile(data, filename=export.file_name(kind, day)),
                caption=task_replies.export_caption(len(found), kind),
                reply_parameters=_reply_parameters(message),
            )
        except TelegramError as exc:
            log.error("could not send the %s export to chat %s: %s", kind, message.chat_id, exc)
            return


# --------------------------------------------------------------------------------------------------
# /tasks_review and its buttons (admins): one document per page, edited in place


def _docs_by_path(svc: Services) -> dict[str, DocMeta]:
    try:
        return {d.path: d for d in svc.index.searcher.documents()}
    except Exception:  # noqa: BLE001 - titles are a nicety; the review works without the index
        log.exception("could not read the document list for the review page")
        return {}


async def _review_page(
    context: ContextTypes.DEFAULT_TYPE, page: int = 0, note: str | None = None, doc: str | None = None
) -> ReviewPage:
    """The review page `page`, or the page of document `doc` when it still has candidates."""
    svc = services(context)
    groups = await _db(context, tasks.candidates_by_doc)
    if doc is not None:
        page = next((i for i, g in enumerate(groups) if g.doc == doc), page)
    docs = await blocking(lambda: _docs_by_path(svc))
    return task_replies.review_doc_page(groups, page, today(context), docs, note)


async def on_tasks_review(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or await refuse_non_admin(update, context):
        return
    page = await _review_page(context)
    await reply(context, message, page.text, keyboard(page.buttons))


async def _show(query: Any, page: ReviewPage) -> None:
    await _edit(query, page.text, keyboard(page.buttons))


async def _edit(query: Any, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit the message whose button was pressed (in place: the review pages, the delete question)."""
    if not isinstance(query.message, Message):
        return
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            log.warning("could not update the review message: %s", exc)
    except TelegramError as exc:
        log.warning("could not update the review message: %s", exc)


def _page_of(query: Any) -> int:
    """The page the pressed message shows ("Văn bản 3/12" -> 2)."""
    text = query.message.text if isinstance(query.message, Message) else ""
    m = re.search(r"Văn bản (\d+)/\d+", text or "")
    return int(m[1]) - 1 if m else 0


async def on_review_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or await refuse_non_admin(update, context):
        return
    data = query.data or ""
    user_id, at = query.from_user.id, now(context)
    bulk = task_replies.decode_doc_action(data)
    if bulk is not None:
        await _on_doc_action(query, context, bulk, user_id, at)
        return
    action = task_replies.decode_review(data)
    if action is None:
        await answer_button(query, task_replies.GONE)
        return

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
    await answer_button(query, _plain(note))
    await _show(query, await _review_page(context, _page_of(query), note, task.source_doc))


async def _on_doc_action(
    query: Any, context: ContextTypes.DEFAULT_TYPE, action: task_replies.DocAction, user_id: int, at: dt.datetime
) -> None:
    if action.kind == "p":
        await answer_button(query)
        await _show(query, await _review_page(context, action.value))
        return
    late_only = action.kind == "L"

    def work(session: Session) -> tuple[int, str | None] | None:
        doc: str | None = None
        if action.value or not late_only:
            task = get_task(session, action.value)
            if task is None or task.source_doc is None:
                return None
            doc = task.source_doc
        count = tasks.review_doc(session, doc, action.kind == "A", user_id, at, only_overdue_at_import=late_only)
        audit(session, at, user_id, f"task.review_doc.{action.kind}", f"{doc or '*'}: {count}")
        return count, doc

    result = await _db(context, work)
    if result is None:
        await answer_button(query, task_replies.GONE)
        return
    count, doc = result
    note = task_replies.bulk_note(count, action.kind == "A", late_only)
    await answer_button(query, _plain(note))
    await _show(query, await _review_page(context, _page_of(query), note, doc))


def handlers() -> list[BaseHandler[Update, Any, Any]]:
    """The task handlers, to be added before the catch-all text handlers (see bot.app). Only /task_add
    acts on an edited message (it edits the task the message made); the others answer new messages only."""
    new = filters.UpdateType.MESSAGE
    return [
        CommandHandler("tasks", on_tasks, filters=new),
        CommandHandler("task", on_task, filters=new),
        CommandHandler("task_add", on_task_add, filters=filters.UpdateType.MESSAGES),
        CommandHandler("task_edit", on_task_edit, filters=new),
        CommandHandler("done", on_done, filters=new),
        CommandHandler("task_delete", on_task_delete, filters=new),
        CommandHandler("subscribe", on_subscribe, filters=new),
        CommandHandler("unsubscribe", on_unsubscribe, filters=new),
        CommandHandler("subscriptions", on_subscriptions, filters=new),
        CommandHandler("export", on_export, filters=new),
        CommandHandler("tasks_review", on_tasks_review, filters=new),
        CallbackQueryHandler(on_review_button, pattern=r"^tk:"),
        CallbackQueryHandler(on_delete_button, pattern=r"^td:"),
    ]
