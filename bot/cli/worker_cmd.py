"""`chidao worker`: the reminder sweeper alone, in its own process (no Telegram updates are read).

It runs `bot.reminders.sweep` every `--interval` seconds with its own worker id. Sweeps claim outbox rows
atomically (FOR UPDATE SKIP LOCKED on PostgreSQL), so any number of workers and bot processes may sweep
the same database: each reminder still goes out once. `--once` runs one sweep and exits (for cron, or
to flush the outbox by hand).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import signal
import time
from typing import Any

from bot.cli import UsageError
from bot.cli.common import settings_or_exit
from bot.settings import Settings, SettingsError

DEFAULT_INTERVAL = 60.0


def register(sub: Any) -> None:
    p = sub.add_parser("worker", help="send due reminders only (no Telegram updates): a separate sweeper")
    p.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL,
        help=f"seconds between sweeps (default {DEFAULT_INTERVAL:g})",
    )
    p.add_argument("--once", action="store_true", help="run one sweep and exit")
    p.set_defaults(func=cmd_worker)


async def run_worker(
    settings: Settings,
    *,
    interval: float = DEFAULT_INTERVAL,
    once: bool = False,
    stop: asyncio.Event | None = None,
) -> int:
    """Sweep until `stop` is set (or once). Returns the number of reminders sent."""
    from sqlalchemy.exc import SQLAlchemyError
    from telegram.constants import ParseMode
    from telegram.error import InvalidToken
    from telegram.ext import ExtBot

    from bot.db import DatabaseError, make_engine, make_session_factory
    from bot.logs import log_event
    from bot.ratelimit import rate_limiter
    from bot.reminders import default_worker_id, release_dead_claims, sweep

    stop = stop or asyncio.Event()
    api = settings.telegram_api_url
    # The bot's own limits and retry policy (bot.ratelimit): 429s waited out, undelivered calls retried.
    from telegram.request import HTTPXRequest

    bot: ExtBot[Any] = ExtBot(
        settings.telegram_token.get_secret_value(),
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        rate_limiter=rate_limiter(),
        request=HTTPXRequest(read_timeout=settings.telegram_read_timeout),
    )
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    me = default_worker_id()

    async def send(chat_id: int, text: str) -> Any:
        return await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)

    def now() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    sent = 0
    try:
        try:
            await bot.initialize()  # getMe: a wrong token stops here, with one line
        except InvalidToken:
            raise SettingsError("Telegram refused CHIDAO_TELEGRAM_TOKEN: check it with @BotFather") from None
        with sessions() as session:  # rows a killed process on this host had claimed go out now
            released = release_dead_claims(session, me)
            session.commit()
        log_event("worker.start", worker=me, interval=interval, bot=bot.username, released=released)
        while True:
            started = time.perf_counter()
            try:
                report = await sweep(sessions, send, now, settings, me)
            except SQLAlchemyError as exc:  # the database restarted, say: the next sweep tries again
                log_event("reminder.sweep_failed", level=logging.ERROR, worker=me, error=type(exc).__name__)
                if once:
                    raise DatabaseError(f"reminder sweep failed: {type(exc).__name__}: {exc}") from None
            else:
                sent += len(report.sent)
                if report.planned or report.sent or report.failed or report.retry_later or report.skipped:
                    log_event(
                        "reminder.sweep",
                        worker=me,
                        planned=report.planned,
                        sent=len(report.sent),
                        skipped=len(report.skipped),
                        failed=len(report.failed),
                        retry_later=len(report.retry_later),
                        blocked_chats=len(report.blocked_chats),
                        ms=round((time.perf_counter() - started) * 1000),
                    )
            if once or stop.is_set():
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
            if stop.is_set():
                break
        log_event("worker.stop", worker=me, sent=sent)
    finally:
        await bot.shutdown()
        engine.dispose()
    return sent


def cmd_worker(args: argparse.Namespace) -> int:
    from bot import db
    from bot.logs import setup_logging
    from bot.settings import check_token

    settings = settings_or_exit()
    check_token(settings)
    if args.interval <= 0:
        raise UsageError("--interval must be more than 0 seconds")
    setup_logging(settings)
    current, head = db.current_revision(settings.database_url), db.head_revision()
    if current != head:
        raise UsageError(
            f"the database is at revision {current or 'none'}, this version expects {head}: "
            "run `chidao db upgrade` (or start `chidao run` once)"
        )

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await run_worker(settings, interval=args.interval, once=args.once, stop=stop)

    asyncio.run(main())
    return 0
