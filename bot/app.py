"""All the wiring of the Telegram application in one place: `build_application(settings, index)`.

`chidao run` and the end-to-end tests build the application with this same function; the tests only
point `settings.telegram_api_url` at a fake Bot API server.

`application.bot_data["services"]` is the `bot.services.Services` of this application (settings, index
handle, access rules, database sessions, clock).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, Defaults

from bot import reminder_job, replies
from bot.access import Access
from bot.db import make_session_factory, utcnow
from bot.handlers import admin, ask, chat, documents, errors, inbox, tasks
from bot.logs import install_log_redaction
from bot.ratelimit import rate_limiter
from bot.services import SERVICES_KEY, Clock, Services
from bot.settings import Settings

if TYPE_CHECKING:
    from index.search import IndexHandle

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 64



def command_menus(admin_ids: list[int]) -> list[tuple[BotCommandScope, list[BotCommand]]]:
    """The command menu per scope: everyone's commands by default, in private chats and in groups; the
    admin commands too in each admin's private chat."""
    users = [BotCommand(c.name, c.description) for c in replies.commands_for(admin=False)]
    admins = [BotCommand(c.name, c.description) for c in replies.commands_for(admin=True)]
    menus: list[tuple[BotCommandScope, list[BotCommand]]] = [
        (BotCommandScopeDefault(), users),
        (BotCommandScopeAllPrivateChats(), users),
        (BotCommandScopeAllGroupChats(), users),
    ]
    menus += [(BotCommandScopeChat(admin_id), admins) for admin_id in admin_ids if admin_id > 0]
    return menus


# --------------------------------------------------------------------------------------------------
# The application


async def _post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    svc: Services = application.bot_data[SERVICES_KEY]
    for scope, commands in command_menus(svc.settings.admin_ids):
        try:
            await application.bot.set_my_commands(commands, scope=scope)
        except TelegramError as exc:
            log.warning("could not set the command list for %s: %s", scope.type, exc)
    # Load the index and the model now, not on the first question.
    await asyncio.to_thread(lambda: svc.index.searcher)


async def _post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    svc: Services = application.bot_data[SERVICES_KEY]
    if svc.owns_engine:
        svc.sessions.kw["bind"].dispose()


def build_application(
    settings: Settings,
    index: IndexHandle,
    *,
    sessions: sessionmaker[Session] | None = None,
    clock: Clock = utcnow,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot: long polling or webhook is chosen by the caller (`chidao run`). `clock` is the time the
    handlers and the reminder sweep read (tests pass a fake one)."""
    install_log_redaction([settings.telegram_token.get_secret_value(), settings.webhook_secret.get_secret_value()])
    owns_engine = sessions is None
    if sessions is None:
        sessions = make_session_factory(settings.database_url)
    services = Services(
        settings=settings,
        index=index,
        access=Access(settings.admin_ids, settings.allowed_chats, sessions),
        sessions=sessions,
        clock=clock,
        owns_engine=owns_engine,
    )
    api = settings.telegram_api_url
    application = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=None))
        .rate_limiter(rate_limiter())
        .concurrent_updates(CONCURRENT_UPDATES)
        .connect_timeout(10)
        .read_timeout(settings.telegram_read_timeout)
        .write_timeout(15)
        .pool_timeout(10)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data[SERVICES_KEY] = services

    # ---- the ordered handler block: the first matching handler of group 0 wins ----
    application.add_handler(inbox.first_handler(), group=inbox.FIRST_GROUP)  # record, or stop a duplicate
    for handler in ask.handlers():  # /start /help /hoi /ask and the answer buttons
        application.add_handler(handler)
    # >>> ADMIN AND TASK HANDLERS GO HERE, before the catch-all text handlers: <<<
    application.add_handlers(admin.handlers())  # /reindex /stats /allow /deny
    application.add_handlers(documents.handlers())  # uploads, /docs, /docs_remove, /docs_restore, the trash
    application.add_handlers(tasks.handlers())  # /tasks /task /task_add /done /subscribe ...
    reminder_job.install(application)  # reminder sweep: once at start, then every minute
    application.add_handlers(chat.handlers())  # photos (an admin's: an upload), stickers, unknown commands
    reminder_job.install_prune(application)  # handled updates and finished reminders, every hour
    inbox.install(application)  # updates whose replies never reached Telegram: at start, then every minute
    documents.schedule_resume(application)  # at start: build the corpus changes an interrupted run left
    for handler in ask.text_handlers():  # free text: private questions, group mentions/replies
        application.add_handler(handler)
    application.add_handler(inbox.last_handler(), group=inbox.LAST_GROUP)  # done, or pending again
    application.add_error_handler(errors.on_error)
    return application
