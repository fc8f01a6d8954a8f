"""`chidao run`: run the Telegram bot, by long polling or (with --webhook / CHIDAO_WEBHOOK_URL) by webhook.

Every problem at start-up is one clear line (no traceback): a missing or malformed token, a missing
index (built on the spot unless --no-build), an index built with another model, a database that cannot
be migrated, Telegram refusing the token or being unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from bot.cli import TelegramUnusable
from bot.cli.common import settings_or_exit
from bot.settings import Settings, SettingsError, check_token, webhook_options
from index.errors import IndexCorrupt, IndexNotBuilt

POLL_TIMEOUT = 30  # seconds one getUpdates long poll may wait
PREFLIGHT_TIMEOUT = 15.0


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="run the Telegram bot (long polling, or webhook)")
    p.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates by webhook at CHIDAO_WEBHOOK_URL instead of polling",
    )
    p.add_argument("--no-build", action="store_true", help="fail instead of building a missing index")
    p.set_defaults(func=cmd_run)


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
    """True when the configured index exists; ModelMismatch / IndexCorrupt when it is unusable (a file
    that fails its checksum, or one that does not load).

    Does not load the embedding model (which takes a while)."""
    from index.search import Searcher
    from index.store import verify_snapshot

    try:
        searcher = Searcher.open(settings.index_dir, settings.embedding_model, load_model=False)
    except IndexNotBuilt:
        return False
    except IndexCorrupt as exc:
        raise IndexCorrupt(f"{exc}; run `chidao index build` to repair it") from None
    verification = verify_snapshot(searcher.snapshot)
    if not verification.ok:
        raise IndexCorrupt(
            f"index snapshot {searcher.snapshot} is damaged ({verification.describe()}): "
            "run `chidao index build` to repair it"
        )
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
            budget=settings.budget,
            progress=_LineProgress(out),
        )
        for path, reason in summary.skipped:
            print(f"chidao: skipped {path}: {reason}", file=out)
        print(f"chidao: {summary.line()}", file=out, flush=True)
    handle.reload()
    return handle


def preflight(settings: Settings) -> str:
    """Ask Telegram who the bot is (getMe): one-line errors for a refused token (exit code 2), an
    unreachable API and an answer that is not the Bot API's (not JSON, an error, not a bot; exit code 3).

    Returns the bot's username.
    """
    from telegram import Bot
    from telegram.request import HTTPXRequest

    async def who() -> str:
        request = HTTPXRequest(connect_timeout=PREFLIGHT_TIMEOUT, read_timeout=PREFLIGHT_TIMEOUT)
        token = settings.telegram_token.get_secret_value()
        bot = Bot(token, base_url=f"{settings.telegram_api_url}/bot", request=request)
        try:
            me = await bot.get_me()
        finally:
            await request.shutdown()
        if not me.is_bot or not me.username:
            raise TelegramUnusable(
                f"the Bot API at {settings.telegram_api_url} answered getMe without a bot's username"
            )
        return me.username

    # python-telegram-bot logs an unparsable answer with its traceback before raising; the one line
    # below says it instead.
    quiet = logging.getLogger("telegram.request")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        with telegram_errors(settings):
            return asyncio.run(who())
    finally:
        quiet.setLevel(level)


@contextlib.contextmanager
def telegram_errors(settings: Settings) -> Iterator[None]:
    """Turn what the Bot API can answer at start into one line (TelegramUnusable)."""
    from telegram.error import InvalidToken, NetworkError, TelegramError

    api = settings.telegram_api_url
    try:
        yield
    except InvalidToken:
        raise SettingsError("Telegram refused CHIDAO_TELEGRAM_TOKEN: check it with @BotFather") from None
    except NetworkError as exc:
        raise TelegramUnusable(f"cannot reach Telegram at {api}: {_one_line(exc)}") from None
    except TelegramError as exc:
        raise TelegramUnusable(f"the Bot API at {api} is unusable: {_one_line(exc)}") from None
    except (KeyError, TypeError, ValueError) as exc:  # JSON that is not a Bot API object
        raise TelegramUnusable(
            f"the Bot API at {api} answered something unusable ({type(exc).__name__}: {_one_line(exc)})"
        ) from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def cmd_run(args: argparse.Namespace) -> int:
    from telegram import Update

    from bot.app import build_application
    from bot.db import upgrade
    from bot.health import enable_healthz
    from bot.logs import setup_logging

    settings = settings_or_exit()
    check_token(settings)
    webhook = args.webhook or bool(settings.webhook_url)
    options = webhook_options(settings) if webhook else None
    setup_logging(settings, secrets=[options["secret_token"] if options else ""])  # quiets NOISY_LOGGERS

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
    # asyncio.run (the getMe check) leaves no current event loop, and early releases of python-telegram-bot
    # 22 take the current one in run_polling/run_webhook (RuntimeError without it): give them a fresh one.
    asyncio.set_event_loop(asyncio.new_event_loop())
    with telegram_errors(settings):
        if options:
            enable_healthz(application)
            application.run_webhook(**options, allowed_updates=Update.ALL_TYPES)
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=POLL_TIMEOUT)
    return 0
