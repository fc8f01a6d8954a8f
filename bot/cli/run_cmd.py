"""`chidao run`: run the Telegram bot, by long polling or (with --webhook / CHIDAO_WEBHOOK_URL) by webhook.

Every problem at start-up is one clear line (no traceback): a missing or malformed token, a missing
index (built on the spot unless --no-build), an index built with another model, a database that cannot
be migrated, Telegram refusing the token or being unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import secrets
import sys
from collections.abc import Callable
from typing import Any, TextIO
from urllib.parse import urlsplit

from bot.cli import UsageError
from bot.cli.common import settings_or_exit
from bot.settings import Settings
from index.errors import IndexNotBuilt

POLL_TIMEOUT = 30  # seconds one getUpdates long poll may wait
PREFLIGHT_TIMEOUT = 15.0
# Libraries that talk a lot at INFO (httpx would log request URLs, which hold the token).
QUIET_LOGGERS = ("httpx", "httpcore", "faiss", "alembic", "sentence_transformers", "apscheduler")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="run the Telegram bot (long polling, or webhook)")
    p.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates by webhook at CHIDAO_WEBHOOK_URL instead of polling",
    )
    p.add_argument("--no-build", action="store_true", help="fail instead of building a missing index")
    p.set_defaults(func=cmd_run)


def check_token(settings: Settings) -> None:
    if not settings.telegram_token:
        raise UsageError(
            "CHIDAO_TELEGRAM_TOKEN is not set: put the token from @BotFather in .env or the environment"
        )
    if not settings.token_ok():
        raise UsageError(
            "CHIDAO_TELEGRAM_TOKEN does not look like a bot token "
            "(expected digits:letters, as given by @BotFather)"
        )


class _LineProgress:
    """Index build progress as a few plain lines (one per stage, and at every 25%)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.last: tuple[str, int] | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        quarter = (4 * done // total) if total else 4
        if (stage, quarter) != self.last:
            self.last = (stage, quarter)
            label = {"read": "reading", "embed": "embedding", "lexical": "indexing"}.get(stage, stage)
            print(f"chidao: {label} {done}/{total}", file=self.out, flush=True)


def index_present(settings: Settings) -> bool:
    """True when the configured index exists; ModelMismatch / IndexCorrupt when it is unusable.

    Does not load the embedding model (which takes a while)."""
    from index.search import Searcher

    try:
        Searcher.open(settings.index_dir, settings.embedding_model, load_model=False)
    except IndexNotBuilt:
        return False
    return True


def open_index(
    settings: Settings,
    *,
    build_missing: bool,
    encoder_factory: Callable[[], Any] | None = None,
    out: TextIO | None = None,
) -> Any:
    """The IndexHandle for the configured index, loaded; built from the corpus first if it is missing.

    Raises IndexNotBuilt (when build_missing is False), ModelMismatch, IndexCorrupt: one-line messages.
    """
    from index.search import IndexHandle
    from index.store import build_index

    out = out or sys.stderr
    if encoder_factory is None:
        from index.embed import load_encoder

        def encoder_factory() -> Any:
            return load_encoder(settings.embedding_model, settings.embedding_backend)

    handle = IndexHandle(settings.index_dir, settings.embedding_model, encoder_factory)
    if not index_present(settings):
        if not build_missing:
            raise IndexNotBuilt(f"no index in {settings.index_dir}: run `chidao index build`")
        print(
            f"chidao: no index in {settings.index_dir}; building it from {settings.corpus_dir} "
            f"with {settings.embedding_model}…",
            file=out,
            flush=True,
        )
        summary = build_index(
            settings.corpus_dir,
            settings.index_dir,
            handle.encoder,
            max_bytes=settings.max_file_bytes,
            progress=_LineProgress(out),
        )
        for path, reason in summary.skipped:
            print(f"chidao: skipped {path}: {reason}", file=out)
        print(f"chidao: {summary.line()}", file=out, flush=True)
    handle.reload()
    return handle


def webhook_options(settings: Settings, secret: str | None = None) -> dict[str, Any]:
    """Arguments for Application.run_webhook / Updater.start_webhook.

    The local path is the path of CHIDAO_WEBHOOK_URL ("/telegram" when it has none). Telegram sends the
    secret in the X-Telegram-Bot-Api-Secret-Token header of every call; python-telegram-bot answers 403
    to a request without it. Without CHIDAO_WEBHOOK_SECRET a random secret is made for this run.
    """
    if not settings.webhook_url:
        raise UsageError("webhook mode needs CHIDAO_WEBHOOK_URL, the public https address Telegram will call")
    if not settings.webhook_url.startswith("https://"):
        raise UsageError(f"CHIDAO_WEBHOOK_URL must be an https:// address, got {settings.webhook_url!r}")
    secret = secret or settings.webhook_secret or secrets.token_urlsafe(32)
    if not _SECRET_RE.match(secret):
        raise UsageError("CHIDAO_WEBHOOK_SECRET may hold only letters, digits, _ and - (1 to 256 characters)")
    parts = urlsplit(settings.webhook_url)
    path = parts.path.strip("/")
    url = settings.webhook_url if path else settings.webhook_url.rstrip("/") + "/telegram"
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": path or "telegram",
        "webhook_url": url,
        "secret_token": secret,
    }


def preflight(settings: Settings) -> str:
    """Ask Telegram who the bot is (getMe): one-line errors for a refused token or an unreachable API.

    Returns the bot's username.
    """
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError
    from telegram.request import HTTPXRequest

    async def who() -> str:
        request = HTTPXRequest(connect_timeout=PREFLIGHT_TIMEOUT, read_timeout=PREFLIGHT_TIMEOUT)
        bot = Bot(settings.telegram_token, base_url=f"{settings.telegram_api_url}/bot", request=request)
        me = await bot.get_me()
        await request.shutdown()
        return me.username or ""

    try:
        return asyncio.run(who())
    except InvalidToken:
        raise UsageError("Telegram refused CHIDAO_TELEGRAM_TOKEN: check it with @BotFather") from None
    except NetworkError as exc:
        raise UsageError(f"cannot reach Telegram at {settings.telegram_api_url}: {exc}") from None


def cmd_run(args: argparse.Namespace) -> int:
    from telegram import Update
    from telegram.error import InvalidToken, NetworkError

    from bot.app import build_application
    from bot.db import upgrade
    from bot.health import enable_healthz
    from bot.logs import setup_logging

    settings = settings_or_exit()
    check_token(settings)
    webhook = args.webhook or bool(settings.webhook_url)
    options = webhook_options(settings) if webhook else None
    setup_logging(settings, secrets=[options["secret_token"] if options else ""])
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)

    if not index_present(settings) and args.no_build:
        raise IndexNotBuilt(
            f"no index in {settings.index_dir}: run `chidao index build` (or drop --no-build)"
        )
    username = preflight(settings)
    handle = open_index(settings, build_missing=True)
    upgrade(settings.database_url)
    # Tasks of an index built from the command line are imported before the first reminder sweep.
    from bot.db import make_session_factory
    from bot.task_import import import_from_index

    import_from_index(make_session_factory(settings.database_url), handle.searcher.docs)
    application = build_application(settings, handle)
    searcher = handle.searcher
    print(
        f"chidao: @{username}, {searcher.passage_count} passages from {len(searcher.documents())} documents; "
        + (f"webhook at {options['webhook_url']}" if options else "long polling")
        + " (Ctrl+C to stop)",
        file=sys.stderr,
        flush=True,
    )
    try:
        if options:
            enable_healthz(application)
            application.run_webhook(**options, allowed_updates=Update.ALL_TYPES)
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=POLL_TIMEOUT)
    except InvalidToken:
        raise UsageError("Telegram refused CHIDAO_TELEGRAM_TOKEN: check it with @BotFather") from None
    except NetworkError as exc:
        raise UsageError(f"cannot reach Telegram at {settings.telegram_api_url}: {exc}") from None
    return 0
