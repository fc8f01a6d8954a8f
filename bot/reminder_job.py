"""JobQueue wiring of the reminder sweep (bot.reminders.sweep) with the application's real bot.

The database is the source of truth; the JobQueue only wakes the sweep: once as soon as the application
starts (so reminders that fell due while the bot was down go out at once, marked late by the sweep),
then every SWEEP_INTERVAL seconds. One sweep at a time per process (an asyncio lock, and APScheduler's
max_instances=1); several processes may sweep one database (claims in bot.reminders).

Start-up also gives back the claims of this host's dead processes (a crash or SIGKILL in the middle of a
batch): their rows go out on this start instead of waiting CLAIM_STALE_AFTER for the claim to go stale.
A row whose message Telegram had accepted just before the kill may be sent a second time; that single
in-flight row is the only duplicate possible.

Sending goes through `application.bot.send_message` and therefore through the application's rate
limiter (bot.ratelimit.RetryingRateLimiter): it throttles to Telegram's limits (30/s overall, 20/min per group)
and waits out 429s, and retries calls that never reached Telegram (bot.ratelimit); what it gives up on
reaches the sweep, which releases the row for a later sweep, or, after a read timeout (the message may be
in the chat), marks it sent, unconfirmed: the outbox alone decides about sending again. An outage only
delays reminders: a row that keeps failing with network errors is retried at every sweep for
bot.reminders.NETWORK_MAX_ATTEMPTS sweeps (a week).
Forbidden (the bot was removed from the group) marks the subscription blocked and skips its rows.

The clock: `now_fn` when given, else the application's `Services.clock`; read at every sweep.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from telegram.constants import ParseMode

from bot.db import prune
from bot.reminders import SweepReport, default_worker_id, release_dead_claims, sweep
from bot.services import SERVICES_KEY, Clock, Services
from bot.settings import Settings

log = logging.getLogger(__name__)

JOB_NAME = "reminder-sweep"
START_JOB_NAME = "reminder-sweep-at-start"
PRUNE_JOB_NAME = "prune"
SWEEP_INTERVAL = 60.0  # seconds between two sweeps
PRUNE_INTERVAL = 3600.0  # seconds between two prunes

def install(
    application: Any,
    *,
    interval: float = SWEEP_INTERVAL,
    first: float = 0.0,
    now_fn: Clock | None = None,
    worker_id: str | None = None,
) -> Any:
    """Schedule the sweep on the application's JobQueue: once when the application starts (after `first`
    seconds), then every `interval` seconds. Replaces sweep jobs installed before. Returns the repeating
    Job."""
    job_queue = application.job_queue
    if job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    for old in [*job_queue.get_jobs_by_name(START_JOB_NAME), *job_queue.get_jobs_by_name(JOB_NAME)]:
        old.schedule_removal()
    svc: Services = application.bot_data[SERVICES_KEY]
    sessions, settings = svc.sessions, svc.settings
    worker = worker_id or default_worker_id()

    def now() -> dt.datetime:
        return (now_fn or svc.clock)()

    lock = asyncio.Lock()
    state = {"started": False}

    async def callback(context: Any) -> None:
        async with lock:  # scheduled runs never overlap (max_instances=1); a manual run waits its turn
            if not state["started"]:
                state["started"] = True
                try:
                    released = await asyncio.to_thread(_release, sessions, worker)
                except Exception:  # noqa: BLE001 - the stale timeout frees them anyway
                    log.exception("could not release the claims of dead workers")
                else:
                    if released:
                        log.info("reminders: took back %d rows claimed by a dead process", released)
            await run_sweep(sessions, settings, worker, now, context.bot)

    # The start-up run is a one-off job due at once: a repeating job whose first moment has passed by the
    # time the scheduler starts would skip to its next interval. No misfire limit: it runs however late.
    job_queue.run_once(callback, when=first, name=START_JOB_NAME, job_kwargs={"misfire_grace_time": None})
    return job_queue.run_repeating(
        callback,
        interval=interval,
        first=first + interval,
        name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )


async def run_sweep(
    sessions: sessionmaker[Session], settings: Settings, worker: str, now: Clock, bot: Any
) -> SweepReport | None:
    """One sweep with the real `bot.send_message` (HTML). A database error is logged; the next sweep
    retries. Returns the report (None after a database error)."""
    send = functools.partial(bot.send_message, parse_mode=ParseMode.HTML)
    try:
        report = await sweep(sessions, send, now, settings, worker)
    except SQLAlchemyError:
        log.exception("reminder sweep: database error; the next sweep retries")
        return None
    if report.sent or report.failed or report.blocked_chats or report.retry_later:
        log.info(
            "reminders: %d sent (%d planned), %d failed, %d skipped, %d left for the next sweep, "
            "blocked chats %s",
            len(report.sent), report.planned, len(report.failed), len(report.skipped),
            len(report.retry_later), report.blocked_chats,
        )  # fmt: skip
    return report


def _release(sessions: sessionmaker[Session], worker: str) -> int:
    with sessions() as session:
        released = release_dead_claims(session, worker)
        session.commit()
        return released


def prune_once(sessions: sessionmaker[Session], settings: Settings, now: dt.datetime) -> tuple[int, int]:
    """Delete handled update ids older than CHIDAO_PRUNE_UPDATES_DAYS and finished reminder rows older than
    CHIDAO_PRUNE_OUTBOX_DAYS; returns the counts (updates, reminder rows)."""
    with sessions() as session:
        counts = prune(
            session,
            now,
            updates_older_than=dt.timedelta(days=settings.prune_updates_days),
            outbox_older_than=dt.timedelta(days=settings.prune_outbox_days),
        )
        session.commit()
    return counts


def install_prune(application: Any, *, interval: float = PRUNE_INTERVAL, first: float = 60.0) -> Any:
    """Schedule the prune on the application's JobQueue: `first` seconds after start, then every
    `interval` seconds. Returns the Job."""
    job_queue = application.job_queue
    if job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    for old in job_queue.get_jobs_by_name(PRUNE_JOB_NAME):
        old.schedule_removal()
    svc: Services = application.bot_data[SERVICES_KEY]

    async def callback(context: Any) -> None:
        try:
            updates, rows = await asyncio.to_thread(prune_once, svc.sessions, svc.settings, svc.clock())
        except SQLAlchemyError:
            log.exception("prune: database error; the next prune retries")
            return
        if updates or rows:
            log.info("prune: %d handled update ids and %d finished reminder rows deleted", updates, rows)

    return job_queue.run_repeating(
        callback, interval=interval, first=first, name=PRUNE_JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )  # fmt: skip


def prune_job(application: Any) -> Any | None:
    """The installed prune Job (tests call `await job.run(application)` to prune now)."""
    jobs = application.job_queue.get_jobs_by_name(PRUNE_JOB_NAME) if application.job_queue else ()
    return jobs[0] if jobs else None


def sweep_job(application: Any) -> Any | None:
    """The installed sweep Job (tests call `await job.run(application)` to sweep now)."""
    jobs = application.job_queue.get_jobs_by_name(JOB_NAME) if application.job_queue else ()
    return jobs[0] if jobs else None
