"""All the wiring of the Telegram application in one place: `build_application(settings, index)`.

`chidao run` and the end-to-end tests build the application with this same function; the tests only
point `settings.telegram_api_url` at a fake Bot API server.

Handlers other modules need: `application.bot_data["services"]` is the `Services` below (settings,
index handle, access rules, database sessions).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker
from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults

from bot import admin, ask, reminder_job, task_handlers
from bot.access import Access
from bot.db import make_session_factory
from bot.replies import PASSAGES_PER_ANSWER
from bot.settings import Settings

log = logging.getLogger(__name__)

# Telegram's limits for outgoing messages: ~30 per second overall, 20 per minute in one group.
OVERALL_PER_SECOND = 30
GROUP_PER_MINUTE = 20
RETRY_AFTER_RETRIES = 5  # 429: wait `retry_after`, then retry this many times
NETWORK_RETRIES = 4  # 5xx and network errors: retry with exponential backoff
NETWORK_BACKOFF = 0.5  # seconds before the first retry; doubles each time
CONCURRENT_UPDATES = 64

COMMANDS = [
    BotCommand("hoi", "Hỏi về nội dung các văn bản"),
    BotCommand("help", "Hướng dẫn sử dụng và câu hỏi mẫu"),
]


class IndexSource(Protocol):
    """What the bot needs of index.search.IndexHandle: the current Searcher (swapped after a rebuild)."""

    @property
    def searcher(self) -> Any: ...


@dataclass
class Services:
    settings: Settings
    index: IndexSource
    access: Access
    sessions: sessionmaker[Session]
    passages_per_answer: int = PASSAGES_PER_ANSWER
    owns_engine: bool = False  # the engine was made here (not passed in): disposed at shutdown


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter (throttling, and 429 handled by waiting `retry_after`) plus retries with backoff
    for 5xx answers and network errors. Bad requests are not retried: they would fail again."""

    def __init__(
        self, *, network_retries: int = NETWORK_RETRIES, backoff: float = NETWORK_BACKOFF, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.network_retries = network_retries
        self.backoff = backoff

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        delay = self.backoff
        for attempt in range(self.network_retries + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest:
                raise
            except NetworkError as exc:
                if attempt == self.network_retries:
                    raise
                log.warning("%s failed (%s); retry %d in %.1fs", endpoint, exc, attempt + 1, delay)
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")


# --------------------------------------------------------------------------------------------------
# Logging: never the token


class _Redactor:
    """A LogRecord factory that masks secrets in every record's message, arguments and traceback."""

    def __init__(self, base: Any) -> None:
        self.base = base
        self.secrets: set[str] = set()

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.base(*args, **kwargs)
        if not self.secrets:
            return record
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is the caller's bug; leave the record as is
            return record
        masked = self.mask(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.mask(logging.Formatter().formatException(record.exc_info))
        return record

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def install_log_redaction(secrets: Iterable[str]) -> None:
    """Mask these strings (the bot token, the webhook secret) in every log record from now on."""
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _Redactor):
        factory = _Redactor(factory)
        logging.setLogRecordFactory(factory)
    factory.secrets.update(s for s in secrets if s)
    # httpx logs every request URL (which holds the token) at INFO.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


# --------------------------------------------------------------------------------------------------
# The application


async def _post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    svc: Services = application.bot_data["services"]
    try:
        await application.bot.set_my_commands(COMMANDS)
    except TelegramError as exc:
        log.warning("could not set the command list: %s", exc)
    # Load the index and the model now, not on the first question.
    await asyncio.to_thread(lambda: svc.index.searcher)


async def _post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    svc: Services = application.bot_data["services"]
    if svc.owns_engine:
        svc.sessions.kw["bind"].dispose()


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)


def build_application(
    settings: Settings, index: IndexSource, *, sessions: sessionmaker[Session] | None = None
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot: long polling or webhook is chosen by the caller (`chidao run`)."""
    install_log_redaction([settings.telegram_token, settings.webhook_secret])
    owns_engine = sessions is None
    if sessions is None:
        sessions = make_session_factory(settings.database_url)
    services = Services(
        settings=settings,
        index=index,
        access=Access(settings.admin_ids, settings.allowed_chats, sessions),
        sessions=sessions,
        owns_engine=owns_engine,
    )
    api = settings.telegram_api_url
    application = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=None))
        .rate_limiter(
            RetryingRateLimiter(
                overall_max_rate=OVERALL_PER_SECOND,
                overall_time_period=1,
                group_max_rate=GROUP_PER_MINUTE,
                group_time_period=60,
                max_retries=RETRY_AFTER_RETRIES,
            )
        )
        .concurrent_updates(CONCURRENT_UPDATES)
        .connect_timeout(10)
        .read_timeout(15)
        .write_timeout(15)
        .pool_timeout(10)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data["services"] = services

    # ---- the ordered handler block: the first matching handler of group 0 wins ----
    application.add_handler(ask.dedupe_handler(), group=-1)
    for handler in ask.handlers():  # /start /help /hoi /ask and the answer buttons
        application.add_handler(handler)
    # >>> ADMIN AND TASK HANDLERS GO HERE, before the catch-all text handlers: <<<
    application.add_handlers(admin.handlers())  # /reindex /docs /stats /allow /deny, uploads
    application.add_handlers(task_handlers.handlers())  # /tasks /task /task_add /done /subscribe ...
    reminder_job.install(application)  # reminder sweep: once at start, then every minute
    for handler in ask.text_handlers():  # free text: private questions, group mentions/replies
        application.add_handler(handler)
    application.add_error_handler(_on_error)
    return application
