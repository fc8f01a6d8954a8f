"""The plumbing every handler shares, in one copy: sending and replying, answering a button press,
running blocking work off the event loop, the sender's id, the access and admin guards, and the outcome of
the update being handled (did every reply reach Telegram? `bot.handlers.inbox` reads it)."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import replies
from bot.delivery import not_delivered
from bot.fit import fit
from bot.services import services

log = logging.getLogger(__name__)

T = TypeVar("T")


async def blocking(fn: Callable[[], T]) -> T:
    """Run `fn` (database, file or index work) in a thread, off the event loop."""
    return await asyncio.to_thread(fn)


def sender_id(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    """Inline buttons from rows of (label, callback data), empty rows left out; None when there is none.
    Every button's data is checked against Telegram's limit by `replies.callback_data`."""
    kept = [
        [InlineKeyboardButton(label, callback_data=replies.callback_data(data)) for label, data in row]
        for row in rows
        if row
    ]
    return InlineKeyboardMarkup(kept) if kept else None


def reply_to(message: Message) -> int | None:
    """The message to reply to: in groups the command itself, in private chats none."""
    return message.message_id if message.chat.type != ChatType.PRIVATE else None


@dataclass
class Outcome:
    """What became of the replies to one update (set by bot.handlers.inbox, marked by `send`)."""

    update_id: int
    digest: str
    undelivered: bool = False  # a reply never reached Telegram: the update is to be handled again


_outcome: contextvars.ContextVar[Outcome | None] = contextvars.ContextVar("chidao_outcome", default=None)


def begin_outcome(outcome: Outcome | None) -> None:
    """Start tracking the replies of the update this task handles (PTB handles each update in one task)."""
    _outcome.set(outcome)


def current_outcome() -> Outcome | None:
    return _outcome.get()


async def send(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    text: str,
    *,
    reply_to: int | None = None,
    markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Send one HTML message, fitted to Telegram's limit (`bot.fit.fit`, UTF-16 units after entities);
    a failure after the transport's retries is logged, not raised. A reply that never reached Telegram leaves
    its update pending (handled again later: bot.handlers.inbox)."""
    text = fit(text)
    reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to is not None else None
    try:
        return await context.bot.send_message(chat_id, text, reply_markup=markup, reply_parameters=reply)
    except TelegramError as exc:
        log.error("could not send a reply to chat %s: %s", chat_id, exc)
        outcome = _outcome.get()
        if outcome is not None and not_delivered(exc):
            outcome.undelivered = True
        return None


async def reply(
    context: ContextTypes.DEFAULT_TYPE, message: Message, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Answer `message` in its chat (replying to it in groups)."""
    await send(context, message.chat_id, text, reply_to=reply_to(message), markup=markup)


async def answer_button(query: CallbackQuery, text: str | None = None) -> None:
    """Answer a button press (the small notice Telegram shows, at most 200 characters)."""
    try:
        await query.answer(text[:200] if text else None)
    except TelegramError as exc:
        log.warning("could not answer a button press: %s", exc)


async def allowed(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user: int | None) -> bool:
    """True when this user in this chat may use the bot (admins, allowed chats, chats allowed by /allow)."""
    access = services(context).access
    known = access.known(chat_id, user)  # the configuration, or a recent answer of the database
    if known is not None:
        return known
    return await blocking(lambda: access.allowed(chat_id, user))


async def is_stranger(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """True when the update comes from a chat and a user that may not use the bot."""
    chat = update.effective_chat
    if chat is None:
        return False
    return not await allowed(context, chat.id, sender_id(update))


async def refuse_stranger(context: ContextTypes.DEFAULT_TYPE, message: Message) -> None:
    """The one-sentence refusal, at most once per chat per `Access.refusal_period`; then silence, so a
    stranger's flood never spends the bot's sending budget."""
    if services(context).access.may_refuse(message.chat_id):
        await reply(context, message, replies.stranger_text(message.chat_id))


async def served(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Message | None:
    """The message, if its sender may use the bot here; strangers get the (rate-limited) refusal."""
    message = update.effective_message
    if message is None:
        return None
    if await allowed(context, message.chat_id, sender_id(update)):
        return message
    await refuse_stranger(context, message)
    return None


def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    return services(context).access.is_admin(sender_id(update))


async def refuse_non_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """False for an admin; anyone else gets the one-sentence refusal (True: stop here)."""
    if is_admin(update, context):
        return False
    query = update.callback_query
    message = update.effective_message
    if query is not None:
        await answer_button(query, replies.NOT_ADMIN)
    elif message is not None and (
        await allowed(context, message.chat_id, sender_id(update))
        or services(context).access.may_refuse(message.chat_id)  # strangers: once per chat per period
    ):
        await reply(context, message, replies.NOT_ADMIN)
    log.info("user %s refused an admin action", sender_id(update))
    return True
