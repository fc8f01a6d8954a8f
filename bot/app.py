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
from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot import reminder_job
from bot.access import Access
from bot.db import make_session_factory, utcnow
from bot.handlers import admin, ask, documents, tasks
from bot.logs import install_log_redaction
from bot.ratelimit import rate_limiter
from bot.services import SERVICES_KEY, Clock, Services
from bot.settings import Settings

if TYPE_CHECKING:
    from index.search import IndexHandle

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 64

COMMANDS = [
    BotCommand("hoi", "Hỏi về nội dung các văn bản"),
    BotCommand("help", "Hướng dẫn sử dụng và câu hỏi mẫu"),
]


# --------------------------------------------------------------------------------------------------
# The application


async def _post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    svc: Services = application.bot_data[SERVICES_KEY]
    try:
        await application.bot.set_my_commands(COMMANDS)
    except TelegramError as exc:
        log.warning("could not set the command list: %s", exc)
    # Load the index and the model now, not on the first question.
    await asyncio.to_thread(lambda: svc.index.searcher)


async def _post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    svc: Services = application.bot_data[SERVICES_KEY]
    if svc.owns_engine:
        svc.sessions.kw["bind"].dispose()


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)


def build_application(
    settings: Settings,
    index: IndexHandle,
    *,
    sessions: sessionmaker[Session] | None = None,
    clock: Clock = utcnow,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot: long polling or webhook is chosen by the caller (`chidao run`). `clock` is the time the
    handlers and the reminder sweep read (tests pass a fake one)."""
    install_log_redaction([settings.telegram_token, settings.webhook_secret])
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
        .token(settings.telegram_token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=None))
        .rate_limiter(rate_limiter())
        .concurrent_updates(CONCURRENT_UPDATES)
        .connect_timeout(10)
        .read_timeout(15)
        .write_timeout(15)
        .pool_timeout(10)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data[SERVICES_KEY] = services

    # ---- the ordered handler block: the first matching handler of group 0 wins ----
    application.add_handler(ask.dedupe_handler(), group=-1)
    for handler in ask.handlers():  # /start /help /hoi /ask and the answer buttons
        application.add_handler(handler)
    # >>> ADMIN AND TASK HANDLERS GO HERE, before the catch-all text handlers: <<<
    application.add_handlers(admin.handlers())  # /reindex /stats /allow /deny
    application.add_handlers(documents.handlers())  # uploads, /docs, /docs_remove, /docs_restore, the trash
    application.add_handlers(tasks.handlers())  # /tasks /task /task_add /done /subscribe ...
    reminder_job.install(application)  # reminder sweep: once at start, then every minute
    documents.schedule_resume(application)  # at start: build the corpus changes an interrupted run left
    for handler in ask.text_handlers():  # free text: private questions, group mentions/replies
        application.add_handler(handler)
    application.add_error_handler(_on_error)
    return application
