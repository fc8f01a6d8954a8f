"""Every update answered once: the first and the last handler of every update, and the re-handling of
updates whose replies never reached Telegram.

- First (group FIRST_GROUP): strangers' updates skip the database entirely (they get at most one refusal per
  chat per period, `bot.access.Refusals`, decided by the handlers); any other update is recorded in
  `processed_updates` (`bot.db.claim_update`) as pending, with its digest. A redelivered update that was
  already answered stops here; a fresh update whose id an old one had (a Bot API server that restarted
  its ids) has another digest and goes on.
- The handlers reply through `bot.handlers.common.send`, which notes a reply that did not reach Telegram
  (`bot.delivery.not_delivered`, after the transport's retries).
- Last (group LAST_GROUP): the update is done unless one of its replies was not delivered; then it stays
  pending and `install`'s job hands it to the application again (every INBOX_INTERVAL seconds, for updates
  pending longer than RETRY_AFTER), as it does at start-up after a crash (then every pending update of the
  last day is handed back at once). With several replicas, a replica that starts may thus answer again a
  question another replica is still trying to deliver.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, ContextTypes, TypeHandler

from bot.db import claim_update, finish_update, take_pending_updates, update_digest
from bot.handlers.common import Outcome, begin_outcome, blocking, current_outcome, is_stranger
from bot.services import SERVICES_KEY, Services, services

log = logging.getLogger(__name__)

FIRST_GROUP = -1
LAST_GROUP = 1000
JOB_NAME = "inbox-retry"
INBOX_INTERVAL = 60.0  # seconds between two looks for pending updates
# An update pending this long is handed to the application again: longer than the transport retries a reply
# (bot.ratelimit.RETRY_WINDOW), so no live process is still trying to answer it.
RETRY_AFTER = dt.timedelta(minutes=15)
IN_FLIGHT_KEY = "inbox_in_flight"  # application.bot_data: update ids being handled in this process


def _in_flight(context: Any) -> set[int]:
    flights: set[int] = context.application.bot_data.setdefault(IN_FLIGHT_KEY, set())
    return flights


def _claim(svc: Services, update_id: int, digest: str, payload: dict[str, Any]) -> str:
    with svc.sessions() as session, session.begin():
        return claim_update(session, update_id, digest, payload, svc.clock())


def _finish(svc: Services, update_id: int, digest: str) -> None:
    with svc.sessions() as session, session.begin():
        finish_update(session, update_id, digest)


async def first(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group FIRST_GROUP: record the update, or stop it when it was already answered."""
    if await is_stranger(update, context):
        begin_outcome(None)  # nothing to record: a stranger gets at most a (rate-limited) refusal
        return
    flights = _in_flight(context)
    if update.update_id in flights:  # the same update is being handled right now (re-handed and redelivered)
        raise ApplicationHandlerStop
    flights.add(update.update_id)
    payload = update.to_dict()
    digest = update_digest(payload)
    svc = services(context)
    try:
        claim = await blocking(lambda: _claim(svc, update.update_id, digest, payload))
    except BaseException:
        flights.discard(update.update_id)
        raise
    if claim == "duplicate":
        flights.discard(update.update_id)
        log.info("update %s already handled; skipped", update.update_id)
        raise ApplicationHandlerStop
    if claim == "again":
        log.info("update %s: its replies never reached Telegram; handling it again", update.update_id)
    begin_outcome(Outcome(update.update_id, digest))


async def last(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group LAST_GROUP: the update is done, unless one of its replies did not reach Telegram."""
    outcome = current_outcome()
    if outcome is None or outcome.update_id != update.update_id:
        return
    _in_flight(context).discard(update.update_id)
    if outcome.undelivered:
        log.warning("update %s: a reply did not reach Telegram; it stays pending", update.update_id)
        return
    svc = services(context)
    await blocking(lambda: _finish(svc, outcome.update_id, outcome.digest))


def first_handler() -> BaseHandler[Update, Any, Any]:
    return TypeHandler(Update, first)


def last_handler() -> BaseHandler[Update, Any, Any]:
    return TypeHandler(Update, last)


async def hand_back_pending(application: Any, *, received_before_now: bool = False) -> int:
    """Put the updates whose replies never reached Telegram back on the application's queue; returns how
    many. At start-up (`received_before_now`) every pending update is due: its process is gone."""
    svc: Services = application.bot_data[SERVICES_KEY]
    now = svc.clock()

    def load() -> list[dict[str, Any]]:
        with svc.sessions() as session, session.begin():
            return take_pending_updates(session, now if received_before_now else now - RETRY_AFTER, now)

    flights: set[int] = application.bot_data.setdefault(IN_FLIGHT_KEY, set())
    count = 0
    for payload in await blocking(load):
        update = Update.de_json(payload, application.bot)
        if update is None or update.update_id in flights:
            continue
        await application.update_queue.put(update)
        count += 1
    if count:
        log.info("inbox: %d update(s) whose replies never reached Telegram handed back", count)
    return count


def install(application: Any, *, interval: float = INBOX_INTERVAL) -> None:
    """Hand pending updates back once at start and then every `interval` seconds."""
    job_queue = application.job_queue
    if job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    state = {"started": False}

    async def callback(context: Any) -> None:
        at_start = not state["started"]
        state["started"] = True
        try:
            await hand_back_pending(context.application, received_before_now=at_start)
        except Exception:  # noqa: BLE001 - the next run tries again
            log.exception("inbox: could not hand back pending updates")

    # At start a one-off job (a repeating job whose first moment passed before the scheduler started would
    # wait a whole interval), then the repeating one.
    job_queue.run_once(callback, when=0.0, name=JOB_NAME, job_kwargs={"misfire_grace_time": None})
    job_queue.run_repeating(
        callback, interval=interval, first=interval, name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )  # fmt: skip
