"""Question handlers: private text, group mention/reply, /hoi (/ask), /start, /help and the answer buttons.

Handlers are thin: they find the question, check access, run the search off the event loop, and format
with `bot.replies`. Button data is short and self-contained, so buttons keep working after a restart:

- ``m:<question id>:<start>``                 "Xem thêm": the next passages (the question is in the DB)
- ``t:<doc key>:<paragraph>``                 "Toàn văn": the whole paragraph with its neighbours
- ``f:<question id>:<+|->:<key>.<para>,…``    👍/👎 with the passages that were shown
- ``l:<page>`` / ``L:<page>``                  the documents list (under a "none" reply): send page / turn to it

An answer has one of three levels (`Answer.confidence`, see index/answerability.py): "high" quotes the
passages; "low" says no passage surely answers and quotes the closest one or two under that caveat (with the
same buttons, without "Xem thêm"); "none" says nothing was found, suggests rephrasing and lists the newest
documents, with a button to the whole list when it is longer.

A doc key is the first 8 hex digits of the SHA-1 of the document's path.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from telegram import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import replies, task_replies
from bot.corpus import path_key
from bot.db import AnswerPageRow, FeedbackRow, QuestionMessageRow, QuestionRow, insert_ignoring_conflicts, utcnow
from bot.handlers.common import allowed, answer_button, blocking, keyboard, send, sender_id, served
from bot.handlers.common import reply_to as reply_target  # `reply_to` is a local name below
from bot.logs import log_event
from bot.services import services
from bot.tasks import QuestionTasks, Viewer, question_tasks
from index.errors import ChidaoError
from index.followup import merge
from index.model import Answer, DocMeta, Hit

if TYPE_CHECKING:
    from index.search import Searcher

log = logging.getLogger(__name__)

SEARCH_K = 12  # hits fetched per search: enough for a few "Xem thêm" pages
RELATIVE_FLOOR = 0.3  # a hit is shown only if its score is at least this share of the best score
TYPING_REPEAT = 4.5  # Telegram shows the action for 5 s: at most one per chat in this time
TYPING_SHOWN = "typing_shown"  # bot_data key: chat id -> time.monotonic() of its last typing action
CONTEXT_WINDOW = 1
SEARCH_WORKERS = max(2, min(4, os.cpu_count() or 1))

T = TypeVar("T")


# --------------------------------------------------------------------------------------------------
# Pure helpers: callback data, which hits to show, the question in a message


def doc_key(path: str) -> str:
    return path_key(path)  # the stable key /docs shows (bot.corpus)


@dataclass(frozen=True)
class More:
    question_id: int
    start: int


@dataclass(frozen=True)
class FullText:
    key: str
    paragraph: int


@dataclass(frozen=True)
class DocList:
    page: int
    edit: bool  # turn the pressed list message to the page (else send the page as a new message)


@dataclass(frozen=True)
class Vote:
    question_id: int
    vote: int  # +1 / -1
    refs: tuple[tuple[str, int], ...]  # (doc key, paragraph)


def encode_more(question_id: int, start: int) -> str:
    return replies.callback_data(f"m:{question_id}:{start}")


def encode_full(path: str, paragraph: int) -> str:
    return replies.callback_data(f"t:{doc_key(path)}:{paragraph}")


def encode_vote(question_id: int, vote: int, hits: Sequence[Hit]) -> str:
    refs = ",".join(f"{doc_key(h.passage.doc)}.{h.passage.paragraph}" for h in hits)
    return replies.callback_data(f"f:{question_id}:{'+' if vote > 0 else '-'}:{refs}")


def encode_docs(page: int, edit: bool) -> str:
    return replies.callback_data(f"{'L' if edit else 'l'}:{page}")


def decode_callback(data: str) -> More | FullText | Vote | DocList | None:
    """Parse button data; None for anything malformed (old or forged buttons). Numbers have at most 9
    digits: a larger one is no row id (the database would refuse it)."""
    if m := re.fullmatch(r"m:(\d{1,9}):(\d{1,9})", data):
        return More(int(m[1]), int(m[2]))
    if m := re.fullmatch(r"t:([0-9a-f]{8}):(\d{1,9})", data):
        return FullText(m[1], int(m[2]))
    if m := re.fullmatch(r"f:(\d{1,9}):([+-]):((?:[0-9a-f]{8}\.\d{1,9})(?:,[0-9a-f]{8}\.\d{1,9})*)?", data):
        refs = tuple((k, int(p)) for k, p in (r.split(".") for r in m[3].split(","))) if m[3] else ()
        return Vote(int(m[1]), 1 if m[2] == "+" else -1, refs)
    if m := re.fullmatch(r"([lL]):(\d{1,9})", data):
        return DocList(int(m[2]), m[1] == "L")
    return None


def shown_hits(answer: Answer) -> list[Hit]:
    """The hits worth quoting, best first, by the answer's level: for "high" those scoring at least
    RELATIVE_FLOOR of the best, for "low" the closest one or two, for "none" none."""
    return replies.quoted_hits(answer.hits, answer.confidence, RELATIVE_FLOOR)


def answer_keyboard(question_id: int, page: Sequence[Hit], start: int, has_more: bool) -> InlineKeyboardMarkup | None:
    full_row = [
        (f"{replies.BTN_FULL} [{start + i + 1}]", encode_full(h.passage.doc, h.passage.paragraph))
        for i, h in enumerate(page)
    ]
    last_row = [(replies.BTN_MORE, encode_more(question_id, start + len(page)))] if has_more else []
    last_row.append((replies.BTN_UP, encode_vote(question_id, 1, page)))
    last_row.append((replies.BTN_DOWN, encode_vote(question_id, -1, page)))
    return keyboard([full_row, last_row])


def docs_keyboard(page: int, pages: int) -> InlineKeyboardMarkup | None:
    nav = replies.page_nav(page, pages, (replies.BTN_PREV, replies.BTN_NEXT), lambda to: encode_docs(to, edit=True))
    return keyboard([nav])


def not_found_keyboard(n_docs: int) -> InlineKeyboardMarkup | None:
    """The "none" reply's button to the whole documents list, when the reply lists only the newest."""
    if n_docs <= replies.NOT_FOUND_DOCS:
        return None
    return keyboard([[(replies.BTN_DOCS, encode_docs(0, edit=False))]])


def without_more(markup: InlineKeyboardMarkup) -> InlineKeyboardMarkup:
    """The same keyboard with the "Xem thêm" button removed (once pressed)."""
    rows = [
        [b for b in row if not (isinstance(b.callback_data, str) and b.callback_data.startswith("m:"))]
        for row in markup.inline_keyboard
    ]
    return InlineKeyboardMarkup([row for row in rows if row])


def mentions_bot(message: Message, username: str, bot_id: int) -> bool:
    for entity in message.entities:
        if entity.type == MessageEntity.MENTION:
            if message.parse_entity(entity).lstrip("@").lower() == username.lower():
                return True
        elif entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id:
            return True
    return False


def strip_mention(text: str, username: str) -> str:
    return " ".join(re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE).split())


# --------------------------------------------------------------------------------------------------
# Plumbing shared by the handlers


# Searches are CPU-bound (query embedding, BM25): a few threads at most, so concurrent questions queue
# instead of oversubscribing the cores.
_search_pool = ThreadPoolExecutor(max_workers=SEARCH_WORKERS, thread_name_prefix="chidao-search")


async def with_typing(context: ContextTypes.DEFAULT_TYPE, chat_id: int, fn: Callable[[], T]) -> T:
    """Run `fn` on the search pool; show "typing…" in the chat if it takes more than the
    `typing_after` setting. The action never delays the answer (see `show_typing`)."""
    task = asyncio.get_running_loop().run_in_executor(_search_pool, fn)
    wait = services(context).settings.typing_after
    while True:
        done, _ = await asyncio.wait({task}, timeout=wait)
        if done:
            return task.result()
        show_typing(context, chat_id)
        wait = TYPING_REPEAT


def show_typing(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    """Send "typing…" to the chat in the background, unless one was sent there in the last
    TYPING_REPEAT seconds (a burst of questions in a group shows it once). Nothing waits for it, and
    a failure is only logged: the rate limiter neither retries nor counts it (bot.ratelimit.BEST_EFFORT)."""
    shown: dict[int, float] = context.application.bot_data.setdefault(TYPING_SHOWN, {})
    now = time.monotonic()
    if now - shown.get(chat_id, -TYPING_REPEAT) < TYPING_REPEAT:
        return
    shown[chat_id] = now

    async def send_action() -> None:
        try:
            await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as exc:
            log.debug("typing action for chat %s failed: %s", chat_id, exc)

    context.application.create_task(send_action(), name=f"typing-{chat_id}")


# --------------------------------------------------------------------------------------------------
# Asking


def _save_question(
    session_factory: Any,
    chat_id: int,
    user_id: int | None,
    question: str,
    answered: bool,
    hits: int,
    elapsed_ms: int,
    message_id: int,
) -> int:
    """Store the question (as understood) and the message that asked it; returns its id."""
    with session_factory() as session, session.begin():
        row = QuestionRow(
            at=utcnow(),
            chat_id=chat_id,
            user_id=user_id,
            question=question,
            answered=answered,
            hits=hits,
            elapsed_ms=elapsed_ms,
        )
        session.add(row)
        session.flush()
        _link(session, chat_id, message_id, int(row.id))
        return int(row.id)


def _link(session: Session, chat_id: int, message_id: int, qid: int) -> None:
    """Remember that `message_id` belongs to question `qid` (a reply to it is a follow-up). One INSERT …
    ON CONFLICT DO NOTHING, no read first: on SQLite a read then a write in one transaction fails at once
    ("database is locked") when another connection wrote in between."""
    row = {"chat_id": chat_id, "message_id": message_id, "question_id": qid}
    session.execute(insert_ignoring_conflicts(session, QuestionMessageRow).values(**row))


def _link_answer(session_factory: Any, chat_id: int, message_id: int, qid: int) -> None:
    with session_factory() as session, session.begin():
        _link(session, chat_id, message_id, qid)


def _earlier_question(session_factory: Any, chat_id: int, message_id: int) -> str | None:
    """The question that the message `message_id` of this chat asked or answered, if it is one."""
    with session_factory() as session:
        link = session.get(QuestionMessageRow, (chat_id, message_id))
        if link is None:
            return None
        row = session.get(QuestionRow, link.question_id)
        return row.question if row is not None else None


def _question_tasks(
    sessions: sessionmaker[Session], question: str, day: dt.date, viewer: Viewer
) -> QuestionTasks | None:
    with sessions() as session:
        return question_tasks(session, question, day, limit=task_replies.BLOCK_ITEMS, viewer=viewer)


async def understand(context: ContextTypes.DEFAULT_TYPE, message: Message, text: str) -> tuple[str, bool]:
    """The question a message asks: a reply to one of the bot's answers (or to the question it
    answered) that reads as a follow-up is merged with that question (index.followup). Returns the
    question and whether it was merged."""
    replied = message.reply_to_message
    if replied is None:
        return text, False
    sessions = services(context).sessions
    earlier = await blocking(lambda: _earlier_question(sessions, message.chat_id, replied.message_id))
    if earlier is None:
        return text, False
    merged = merge(earlier, text)
    if merged is None:
        return text, False
    log_event("followup", chat=message.chat_id, kinds=",".join(merged.replaced))
    return merged.question, True


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    message = await served(update, context)
    if message is None:
        return
    chat_id, user = message.chat_id, sender_id(update)
    reply_to = reply_target(message)
    svc = services(context)
    question, merged = await understand(context, message, text)
    lead = replies.understood_line(question) if merged else None
    started = time.perf_counter()
    try:
        answer = await with_typing(context, chat_id, lambda: svc.index.searcher.search(question, SEARCH_K))
    except ChidaoError as exc:
        log.error("search failed: %s", exc)
        await send(context, chat_id, replies.BUSY, reply_to=reply_to)
        return
    elapsed_ms = int((time.perf_counter() - started) * 1000)
    hits = shown_hits(answer)
    level = answer.confidence if hits else "none"
    log_event(
        "answer", chat=chat_id, hits=len(hits), answered=level == "high", confidence=level,
        p_answer=answer.p_answer, ms=elapsed_ms, question=question,
    )  # fmt: skip
    # Open tasks that match the question (deadlines, "what is due this week") go under the quotes.
    day = svc.today()
    viewer = Viewer(chat_id, user, message.chat.type == ChatType.PRIVATE)  # only the tasks this chat lists
    found = await blocking(lambda: _question_tasks(svc.sessions, question, day, viewer))
    block = task_replies.tasks_block(found, day)
    qid = await blocking(
        lambda: _save_question(
            svc.sessions, chat_id, user, question, level == "high", len(hits), elapsed_ms, message.message_id
        )
    )
    if not hits:
        markup = None
        if block:  # the question is about open tasks: they are the answer
            text_out = block
        else:
            docs = await blocking(lambda: svc.index.searcher.documents())
            text_out = replies.not_found_message(
                docs, replies.MAX_MESSAGE - (replies.visible_len(lead) + 2 if lead else 0)
            )
            markup = not_found_keyboard(len(docs))
        text_out = f"{lead}\n\n{text_out}" if lead else text_out
        sent = await send(context, chat_id, text_out, reply_to=reply_to, markup=markup)
    else:
        sent = await send_page(
            context, chat_id, qid, hits, 0, reply_to=reply_to, extra=block, question=question, lead=lead,
            uncertain=level == "low",
        )  # fmt: skip
    if sent is not None:
        await blocking(lambda: _link_answer(svc.sessions, chat_id, sent.message_id, qid))


async def send_page(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    qid: int,
    hits: Sequence[Hit],
    start: int,
    *,
    reply_to: int | None,
    extra: str | None = None,
    question: str | None = None,
    lead: str | None = None,
    uncertain: bool = False,
) -> Message | None:
    """One page of quoted passages, with `lead` above them (what the question was understood as) and
    `extra` below (the tasks it is about). `uncertain`: the passages are the closest, not a sure answer
    (a "low" answer): quoted under the caveat."""
    per = services(context).passages_per_answer
    page = list(hits[start : start + per])
    limit = replies.MAX_MESSAGE - sum(replies.visible_len(t) + 2 for t in (extra, lead) if t)
    if uncertain:
        text, _ = replies.uncertain_message(page, first_number=start + 1, limit=limit, question=question)
    else:
        text, _ = replies.answer_message(page, first_number=start + 1, limit=limit, question=question)
    if extra:
        text = f"{text}\n\n{extra}"
    if lead:
        text = f"{lead}\n\n{text}"
    markup = answer_keyboard(qid, page, start, has_more=len(hits) > start + per)
    return await send(context, chat_id, text, reply_to=reply_to, markup=markup)


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    await answer_question(update, context, message.text.strip())


async def on_group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups the bot answers only when addressed: a mention, or a reply to one of its messages."""
    message = update.effective_message
    if message is None or not message.text:
        return
    bot = context.bot
    replied = message.reply_to_message
    to_bot = replied is not None and replied.from_user is not None and replied.from_user.id == bot.id
    if not to_bot and not mentions_bot(message, bot.username, bot.id):
        return
    question = strip_mention(message.text, bot.username)
    if not question:
        await on_help(update, context)
        return
    await answer_question(update, context, question)


async def on_ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    question = " ".join(context.args or [])
    if question:
        await answer_question(update, context, question)
        return
    message = await served(update, context)
    if message is None:
        return
    docs = await blocking(lambda: services(context).index.searcher.documents())
    examples = replies.example_questions(docs, 1) or ["lương cơ sở từ ngày 1/7/2024 là bao nhiêu?"]
    await send(context, message.chat_id, replies.escape(replies.ASK_USAGE.format(example=examples[0])))


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = await served(update, context)
    if message is None:
        return
    docs = await blocking(lambda: services(context).index.searcher.documents())
    in_group = message.chat.type != ChatType.PRIVATE
    admin = services(context).access.is_admin(sender_id(update))
    text = replies.help_text(docs, context.bot.username, in_group=in_group, admin=admin)
    await send(context, message.chat_id, text)


# --------------------------------------------------------------------------------------------------
# Buttons


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.message is None:
        return
    chat_id = query.message.chat.id
    if not await allowed(context, chat_id, query.from_user.id):
        await answer_button(query, replies.stranger_text(chat_id).replace("<code>", "").replace("</code>", ""))
        return
    action = decode_callback(query.data or "")
    if isinstance(action, More):
        await _on_more(query, context, action)
    elif isinstance(action, FullText):
        await _on_full(query, context, action)
    elif isinstance(action, Vote):
        await _on_vote(query, context, action)
    elif isinstance(action, DocList):
        await _on_docs(query, context, action)
    else:
        await answer_button(query, replies.GONE)


async def _on_docs(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, action: DocList) -> None:
    """A page of the documents list: sent as a new message from a "none" reply, turned in place from the
    list's own ◀ ▶ buttons."""
    assert query.message is not None
    docs = await blocking(lambda: services(context).index.searcher.documents())
    text, page = replies.documents_page(docs, action.page)
    markup = docs_keyboard(page, replies.documents_pages(len(docs)))
    await answer_button(query)
    if action.edit:
        with contextlib.suppress(TelegramError):
            await query.edit_message_text(text, reply_markup=markup)
        return
    await send(context, query.message.chat.id, text, reply_to=query.message.message_id, markup=markup)


def _load_question(session_factory: Any, qid: int, chat_id: int) -> str | None:
    """The question `qid` if it was asked in this chat (a button only works where it was shown)."""
    with session_factory() as session:
        row = session.get(QuestionRow, qid)
        return row.question if row is not None and row.chat_id == chat_id else None


def _claim_page(session_factory: Any, qid: int, start: int) -> bool:
    """True the first time page `start` of question `qid` is asked for (a double tap sends it once)."""
    from sqlalchemy.exc import IntegrityError

    try:
        with session_factory() as session, session.begin():
            session.add(AnswerPageRow(question_id=qid, start=start, at=utcnow()))
    except IntegrityError:
        return False
    return True


def _release_page(session_factory: Any, qid: int, start: int) -> None:
    with session_factory() as session, session.begin():
        row = session.get(AnswerPageRow, (qid, start))
        if row is not None:
            session.delete(row)


async def _on_more(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, action: More) -> None:
    svc = services(context)
    assert query.message is not None
    chat_id = query.message.chat.id
    question = await blocking(lambda: _load_question(svc.sessions, action.question_id, chat_id))
    if question is None:
        await answer_button(query, replies.GONE)
        return
    if not await blocking(lambda: _claim_page(svc.sessions, action.question_id, action.start)):
        await answer_button(query, replies.PAGE_SENT)
        return
    await answer_button(query)
    answer = await with_typing(context, chat_id, lambda: svc.index.searcher.search(question, SEARCH_K))
    hits = shown_hits(answer)
    if len(hits) <= action.start:
        sent = await send(context, chat_id, replies.NO_MORE, reply_to=query.message.message_id)
    else:
        sent = await send_page(
            context,
            chat_id,
            action.question_id,
            hits,
            action.start,
            reply_to=query.message.message_id,
            question=question,
        )
    if sent is None:  # not delivered: the next press may try again
        await blocking(lambda: _release_page(svc.sessions, action.question_id, action.start))
    else:
        await blocking(lambda: _link_answer(svc.sessions, chat_id, sent.message_id, action.question_id))
    markup = query.message.reply_markup if isinstance(query.message, Message) else None
    if markup is not None:
        with contextlib.suppress(TelegramError):
            await query.edit_message_reply_markup(without_more(markup))


def _resolve(searcher: Searcher, key: str) -> DocMeta | None:
    return next((d for d in searcher.documents() if doc_key(d.path) == key), None)


async def _on_full(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, action: FullText) -> None:
    svc = services(context)
    assert query.message is not None

    def work() -> list[str] | None:
        searcher = svc.index.searcher
        meta = _resolve(searcher, action.key)
        if meta is None or not 1 <= action.paragraph <= meta.paragraphs:
            return None
        paragraphs = searcher.context(meta.path, action.paragraph, CONTEXT_WINDOW)
        return replies.full_text_messages(meta, paragraphs, action.paragraph)

    messages = await blocking(work)
    if messages is None:
        await answer_button(query, replies.GONE)
        return
    await answer_button(query)
    for text in messages:
        await send(context, query.message.chat.id, text, reply_to=query.message.message_id)


def _save_vote(
    session_factory: Any,
    searcher_docs: Callable[[], list[DocMeta]],
    action: Vote,
    user_id: int,
    chat_id: int,
    message_id: int,
) -> str:
    """Record a vote: "new", "changed" (the user's earlier vote on this answer turned), "same" (pressed
    again: counted once), or "gone" (no such question in this chat)."""
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    with session_factory() as session, session.begin():
        question = session.get(QuestionRow, action.question_id)
        if question is None or question.chat_id != chat_id:
            return "gone"
        earlier = session.scalars(
            select(FeedbackRow).where(
                FeedbackRow.question_id == action.question_id,
                FeedbackRow.message_id == message_id,
                FeedbackRow.user_id == user_id,
            )
        ).first()
        if earlier is not None:
            if earlier.vote == action.vote:
                return "same"
            earlier.vote, earlier.at = action.vote, utcnow()
            return "changed"
        paths = {doc_key(d.path): d.path for d in searcher_docs()}
        passages = [{"doc": paths.get(k, k), "paragraph": p} for k, p in action.refs]
        try:
            with session.begin_nested():
                session.add(
                    FeedbackRow(
                        question=question.question,
                        passages=passages,
                        vote=action.vote,
                        user_id=user_id,
                        chat_id=chat_id,
                        at=utcnow(),
                        question_id=action.question_id,
                        message_id=message_id,
                    )
                )
        except IntegrityError:  # the same press twice at once
            return "same"
        return "new"


async def _on_vote(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, action: Vote) -> None:
    svc = services(context)
    assert query.message is not None
    chat_id, message_id = query.message.chat.id, query.message.message_id
    outcome = await blocking(
        lambda: _save_vote(
            svc.sessions, lambda: svc.index.searcher.documents(), action, query.from_user.id, chat_id, message_id
        )
    )
    text = {"new": replies.THANKS, "changed": replies.THANKS, "same": replies.VOTED}.get(outcome, replies.GONE)
    await answer_button(query, text)


def handlers() -> list[BaseHandler[Update, Any, Any]]:
    """The question handlers, in order. The catch-all text handlers come last (see bot.app)."""
    return [
        CommandHandler(["start", "help"], on_help),
        CommandHandler(["hoi", "ask"], on_ask_command),
        CallbackQueryHandler(on_button, pattern=r"^[mtflL]:"),
    ]


def text_handlers() -> list[BaseHandler[Update, Any, Any]]:
    """Free text: every private message, and group messages (answered only when addressed)."""
    return [
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, on_private_text),
        MessageHandler(filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND, on_group_text),
    ]
