"""Deadline reminders: planning into an outbox table, claiming, sending, marking sent.

The database is the source of truth; the JobQueue only wakes `sweep` (every minute, say). A sweep:

1. plans (`plan_due`): inserts an outbox row for every reminder whose due moment has come, unless the
   same task, chat and kind already has a row on that local day (so a changed reminder time does not
   send the day's reminders again). The unique key (task, chat, due moment, kind) makes planning
   idempotent, so two processes or two sweeps may plan at once.
2. claims (`claim_batch`): marks a batch of pending rows as taken by this worker, atomically
   (`FOR UPDATE SKIP LOCKED` on PostgreSQL; a single UPDATE ... RETURNING, which SQLite serialises).
   A claim older than `CLAIM_STALE_AFTER` (the worker died) can be taken again.
3. sends each row with the injected `send(chat_id, text)` and marks it sent right after Telegram
   accepted it. The only window for a duplicate is a crash between Telegram's answer and that commit.

Who is reminded: the subscribed chats, and without subscribing the private chat of every personal task's
author (bot.following.reminded_chats; `/unsubscribe` there turns it off).

Due moments. Offset N of a task is due at `reminder_time` (local, `settings.timezone`) N days before the
deadline, converted to UTC. Only the most recent due offset of a task is planned: a bot that was down
across its 7-day, 3-day and 1-day moments sends one reminder (the 1-day one, marked late), not three.
Offsets are planned only up to the deadline day; afterwards the task is overdue and is listed in the
chat's overdue digest, one message per chat per local day (due at `reminder_time`; after downtime only
today's digest is sent). Due moments before the chat subscribed or before the task was accepted are
never planned. A row is "late" when it is sent more than `LATE_AFTER` after its due moment; its text
says "(nhắc muộn)".

Delivery outcomes (python-telegram-bot's exceptions, so `send` can be `bot.send_message`):
RetryAfter → wait as told and send again (no attempt counted); an error that proves the message was not
delivered (connection refused, 5xx: `bot.delivery.not_delivered`, already retried with backoff by the
transport, `bot.ratelimit`) → the row is released for the next sweep with attempts + 1 and `failed` after
`max_attempts`; an error after the message was sent (a read timeout: `bot.delivery.maybe_delivered`) →
the row counts as sent, unconfirmed (`last_error` says so), and is never sent again: the outbox is the
only place that decides whether a reminder is re-sent, and under doubt it does not; Forbidden or
BadRequest "chat not found" → the subscription is marked blocked and its pending rows skipped;
ChatMigrated → the subscription, the allowlist entry and pending rows move to the new chat id and the
message is sent there; any other BadRequest → the row fails (it would fail again).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.access import move_allowed_chat
from bot.db import OVERDUE_DIGEST, ReminderRow, SubscriptionRow, TaskRow, insert_ignoring_conflicts
from bot.delivery import maybe_delivered
from bot.following import Reminded, concerns, is_private, reminded, reminded_chats
from bot.following import move_chat as move_units
from bot.logs import log_event
from bot.settings import Settings
from bot.task_replies import render_digest, render_reminder
from bot.tasks import _to_task, list_open, roll_recurring
from bot.tasks import move_chat as move_tasks

log = logging.getLogger(__name__)

LATE_AFTER = dt.timedelta(minutes=30)
CLAIM_STALE_AFTER = dt.timedelta(minutes=10)
# Sweeps a row may fail with network errors (Telegram unreachable) before it is given up: a week of
# minute sweeps, so an outage only delays reminders.
NETWORK_MAX_ATTEMPTS = 7 * 24 * 60
MAX_RETRY_AFTER_WAIT = 120.0  # seconds of flood-control waiting a sweep accepts before giving up

SendFn = Callable[[int, str], Awaitable[Any]]
SleepFn = Callable[[float], Awaitable[Any]]


# ------------------------------------------------------------------------------------- subscriptions


def subscribe(session: Session, chat_id: int, user_id: int | None, now: dt.datetime) -> bool:
    """Subscribe a chat to reminders; True if it was not subscribed before. Re-subscribing after an
    unsubscribe or a block starts afresh: nothing due before `now` is sent to it."""
    row = session.get(SubscriptionRow, chat_id)
    if row is None:
        session.add(SubscriptionRow(chat_id=chat_id, subscribed_by=user_id, created_at=now, active=True))
        session.flush()
        return True
    if row.active and row.blocked_at is None:
        return False
    row.active = True
    row.blocked_at = None
    row.subscribed_by = user_id
    row.created_at = now
    session.flush()
    return True


def _off_row(chat_id: int, now: dt.datetime, blocked: bool = True) -> dict[str, Any]:
    """A subscription row that turns a private chat's reminders off (its personal tasks' included)."""
    return {"chat_id": chat_id, "created_at": now, "active": False, "all_org": False,
            "blocked_at": now if blocked else None}  # fmt: skip


def unsubscribe(session: Session, chat_id: int, now: dt.datetime | None = None) -> bool:
    """End a chat's reminders; True if it had a subscription or (a private chat without one, reminded of
    its personal tasks: bot.following.reminded) open personal tasks. A private chat without a subscription
    row gets an inactive one: its personal reminders end too, those of tasks added later as well."""
    row = session.get(SubscriptionRow, chat_id)
    if row is None and is_private(chat_id):
        _insert_ignore(session, SubscriptionRow, [_off_row(chat_id, now or dt.datetime.now(dt.UTC), False)])
        personal = select(TaskRow.id).where(
            TaskRow.chat_id == chat_id, TaskRow.scope == "personal", TaskRow.status == "open"
        )
        if session.scalar(personal.limit(1)) is None:
            return False
    elif row is None or not row.active:
        return False
    else:
        row.active = False
    session.execute(
        update(ReminderRow)
        .where(ReminderRow.chat_id == chat_id, ReminderRow.status == "pending")
        .values(status="skipped", last_error="unsubscribed")
    )
    session.flush()
    return True


def is_subscribed(session: Session, chat_id: int) -> bool:
    row = session.get(SubscriptionRow, chat_id)
    return row is not None and row.active and row.blocked_at is None


# ------------------------------------------------------------------------------------------ planning


def due_moment(day: dt.date, settings: Settings) -> dt.datetime:
    """`reminder_time` on a local calendar day, as an aware UTC datetime."""
    local = dt.datetime.combine(day, settings.reminder_time, tzinfo=settings.tz)
    return local.astimezone(dt.UTC)


def offset_kind(days: int) -> str:
    return f"offset-{days}"


def latest_due_offset(
    deadline: dt.date, now: dt.datetime, settings: Settings
) -> tuple[int, dt.datetime] | None:
    """The offset whose due moment is the most recent one at or before `now`, with that moment."""
    for days in sorted(settings.reminder_days):
        due = due_moment(deadline - dt.timedelta(days=days), settings)
        if due <= now:
            return days, due
    return None


def _insert_ignore(
    session: Session, table: type[ReminderRow] | type[SubscriptionRow], rows: list[dict[str, Any]]
) -> int:
    """Insert the rows that are not there yet (two processes may insert the same at once); how many were new."""
    if not rows:
        return 0
    # No conflict target: any unique violation (the task key or the digest key) means "already there".
    stmt = insert_ignoring_conflicts(session, table).returning(table.chat_id)
    return len(session.execute(stmt, rows).all())


def plan_due(session: Session, now_utc: dt.datetime, settings: Settings) -> int:
    """Insert outbox rows for every reminder due at `now_utc`; returns how many rows were new.

    Idempotent and safe to run concurrently. Also rolls recurring tasks on (see bot.tasks). The caller
    commits.
    """
    now = now_utc.astimezone(dt.UTC)
    today = now.astimezone(settings.tz).date()
    roll_recurring(session, today, max(settings.reminder_days, default=0), now)
    chats = reminded_chats(session)
    if not chats:
        return 0
    tasks = session.scalars(
        select(TaskRow).where(
            TaskRow.status == "open", TaskRow.review == "accepted", TaskRow.deadline.is_not(None)
        )
    ).all()

    # Which chats a task concerns: its own group or private chat, or the chats following it (bot.following).
    def concerned(task: TaskRow, chat: Reminded) -> bool:
        return concerns(task.scope, task.chat_id, task.owner, chat.chat_id, chat.following)

    wanted: list[dict[str, Any]] = []

    def want(task_id: int | None, chat_id: int, due: dt.datetime, kind: str, deadline: dt.date | None) -> None:
        late = now - due > LATE_AFTER
        wanted.append(
            {"task_id": task_id, "chat_id": chat_id, "due_at": due, "kind": kind, "deadline": deadline, "late": late}
        )

    overdue_chats: set[int] = set()
    for task in tasks:
        assert task.deadline is not None
        if task.deadline < today:
            overdue_chats.update(chat.chat_id for chat in chats if concerned(task, chat))
            continue
        found = latest_due_offset(task.deadline, now, settings)
        if found is None:
            continue
        days, due = found
        task_floor = task.accepted_at or task.created_at
        for chat in chats:
            if due < max(task_floor, chat.since or task_floor) or not concerned(task, chat):
                continue
            want(task.id, chat.chat_id, due, offset_kind(days), task.deadline)
    if overdue_chats:
        digest_due = due_moment(today, settings)
        if digest_due <= now:
            for chat in chats:
                if (chat.since is None or digest_due >= chat.since) and chat.chat_id in overdue_chats:
                    want(None, chat.chat_id, digest_due, OVERDUE_DIGEST, None)
    if not wanted:
        return 0

    # Skip what is already there (the common case on every sweep), so a quiet sweep writes nothing. A row is
    # "already there" for the same task, chat, kind and local day, whatever its time of day: after a change
    # of CHIDAO_REMINDER_TIME the day's reminders already planned (or sent) are not planned again.
    oldest = min(w["due_at"] for w in wanted) - dt.timedelta(days=1)
    existing = {
        (r.task_id, r.chat_id, r.kind, r.due_at.astimezone(settings.tz).date())
        for r in session.execute(
            select(ReminderRow.task_id, ReminderRow.chat_id, ReminderRow.kind, ReminderRow.due_at).where(
                ReminderRow.due_at >= oldest
            )
        )
    }
    new = [
        w
        for w in wanted
        if (w["task_id"], w["chat_id"], w["kind"], w["due_at"].astimezone(settings.tz).date()) not in existing
    ]
    for w in new:
        w.update(status="pending", created_at=now, attempts=0)
    return _insert_ignore(session, ReminderRow, new)


# ------------------------------------------------------------------------------------------ claiming


def claim_batch(
    session: Session,
    worker_id: str,
    limit: int,
    now: dt.datetime,
    stale_after: dt.timedelta = CLAIM_STALE_AFTER,
) -> list[int]:
    """Claim up to `limit` pending rows (oldest due first) for `worker_id`; returns their ids.

    Rows claimed by another worker less than `stale_after` ago are left alone. Commit right after, so
    the claim is visible and the row locks are released.
    """
    stale = now - stale_after
    candidates = (
        select(ReminderRow.id)
        .where(
            ReminderRow.status == "pending",
            ReminderRow.due_at <= now,
            or_(ReminderRow.claimed_at.is_(None), ReminderRow.claimed_at < stale),
        )
        .order_by(ReminderRow.due_at, ReminderRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite runs the whole UPDATE under its write lock
    )
    stmt = (
        update(ReminderRow)
        .where(ReminderRow.id.in_(candidates))
        .values(claimed_by=worker_id, claimed_at=now)
        .returning(ReminderRow.id, ReminderRow.due_at)
        .execution_options(synchronize_session=False)
    )
    claimed = session.execute(stmt).all()
    return [row_id for row_id, _ in sorted(claimed, key=lambda r: (r[1], r[0]))]


def _release(session: Session, ids: Sequence[int], worker_id: str) -> None:
    if ids:
        session.execute(
            update(ReminderRow)
            .where(
                ReminderRow.id.in_(list(ids)),
                ReminderRow.claimed_by == worker_id,
                ReminderRow.status == "pending",
            )
            .values(claimed_by=None, claimed_at=None)
        )


# --------------------------------------------------------------------------------------------- sweep


@dataclass
class SweepReport:
    planned: int = 0
    sent: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retry_later: list[int] = field(default_factory=list)
    unconfirmed: list[int] = field(default_factory=list)  # sent, but Telegram's answer never came
    blocked_chats: list[int] = field(default_factory=list)


def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _prepare(session: Session, row: ReminderRow, today: dt.date, late: bool) -> tuple[str | None, str]:
    """(text, "") for a row to send, or (None, reason) for a row to skip."""
    follow = reminded(session, row.chat_id)
    if follow is None:
        return None, "chat not subscribed"
    if row.kind == OVERDUE_DIGEST:
        items = [
            i
            for i in list_open(session, today)
            if i.overdue and concerns(i.task.scope, i.task.chat_id, i.task.owner, row.chat_id, follow)
        ]
        if not items:
            return None, "nothing overdue any more"
        return render_digest(items, today, late), ""
    task = session.get(TaskRow, row.task_id) if row.task_id is not None else None
    if task is None or task.status != "open" or task.review != "accepted":
        return None, "task no longer open"
    if task.deadline != row.deadline:
        return None, "deadline changed"
    if not concerns(task.scope, task.chat_id, task.owner, row.chat_id, follow):
        return None, "not followed by the chat"
    return render_reminder(_to_task(task), today, late), ""


def _block_chat(session: Session, chat_id: int, now: dt.datetime, reason: str) -> None:
    if is_private(chat_id):  # a private chat reminded without a subscription row: the row records the block
        _insert_ignore(session, SubscriptionRow, [_off_row(chat_id, now)])
    session.execute(
        update(SubscriptionRow)
        .where(SubscriptionRow.chat_id == chat_id, SubscriptionRow.blocked_at.is_(None))
        .values(blocked_at=now)
    )
    session.execute(
        update(ReminderRow)
        .where(ReminderRow.chat_id == chat_id, ReminderRow.status == "pending")
        .values(status="skipped", last_error=reason[:500])
    )


def migrate_chat(
    session: Session,
    old: int,
    new: int,
    now: dt.datetime,
    row_id: int | None = None,
    configured: Sequence[int] = (),
) -> bool:
    """A group became a supergroup: move its allowlist entry (`configured`: the chats allowed in the
    settings), its subscription and its pending rows to the new id. Returns whether row `row_id` is still to
    be sent (False when the new chat already had it)."""
    move_allowed_chat(session, old, new, now, configured)
    sub = session.get(SubscriptionRow, old)
    if sub is not None:  # insert-or-skip: both service messages of the upgrade may get here at once
        values = {"subscribed_by": sub.subscribed_by, "created_at": sub.created_at, "active": sub.active}
        session.execute(insert_ignoring_conflicts(session, SubscriptionRow).values(chat_id=new, **values))
    session.flush()
    move_units(session, old, new)  # what it follows and its own tasks move with it
    move_tasks(session, old, new)
    session.execute(
        update(SubscriptionRow).where(SubscriptionRow.chat_id == old).values(active=False, blocked_at=now)
    )
    pending = session.scalars(
        select(ReminderRow).where(ReminderRow.chat_id == old, ReminderRow.status == "pending")
    ).all()
    for row in pending:
        twin = session.scalar(
            select(ReminderRow.id).where(
                ReminderRow.chat_id == new,
                ReminderRow.due_at == row.due_at,
                ReminderRow.kind == row.kind,
                ReminderRow.task_id.is_(None) if row.task_id is None else ReminderRow.task_id == row.task_id,
            )
        )
        if twin is None:
            row.chat_id = new
        else:  # the new chat already has this reminder: do not send it twice
            row.status = "skipped"
            row.last_error = f"chat migrated to {new}"
    session.flush()
    return row_id is None or any(r.id == row_id and r.status == "pending" for r in pending)


def _finish(session: Session, row_id: int, worker_id: str, **values: Any) -> bool:
    """Write the outcome of a claimed row, only if this worker still holds the claim."""
    result = session.execute(
        update(ReminderRow)
        .where(ReminderRow.id == row_id, ReminderRow.claimed_by == worker_id, ReminderRow.status == "pending")
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


T = TypeVar("T")


@dataclass(frozen=True)
class _Ready:
    chat_id: int
    text: str
    late: bool
    attempts: int


def _load(
    session: Session, row_id: int, worker_id: str, now: dt.datetime, settings: Settings
) -> _Ready | str | None:
    """The message for a claimed row; a reason string when the row was skipped; None when the claim was
    lost (it went stale and another worker took it)."""
    # Renew the claim first: it must not go stale while earlier rows of a long batch were being sent.
    if not _finish(session, row_id, worker_id, claimed_at=now):
        return None
    row = session.get(ReminderRow, row_id)
    if row is None:
        return None
    late = row.late or now - row.due_at > LATE_AFTER
    text, reason = _prepare(session, row, now.astimezone(settings.tz).date(), late)
    if text is None:
        _finish(session, row_id, worker_id, status="skipped", last_error=reason)
        return reason
    return _Ready(row.chat_id, text, late, row.attempts)


def _block(
    session: Session, row_id: int, worker_id: str, chat_id: int, now: dt.datetime, reason: str
) -> None:
    _finish(session, row_id, worker_id, status="skipped", last_error=reason[:500])
    _block_chat(session, chat_id, now, reason)


def _network_failure(
    session: Session, row_id: int, worker_id: str, attempts: int, failed: bool, error: str, rest: list[int]
) -> None:
    _finish(
        session,
        row_id,
        worker_id,
        status="failed" if failed else "pending",
        attempts=attempts,
        last_error=error[:500],
        claimed_by=None,
        claimed_at=None,
    )
    _release(session, rest, worker_id)


async def sweep(
    session_factory: sessionmaker[Session],
    send: SendFn,
    now_fn: Callable[[], dt.datetime],
    settings: Settings,
    worker_id: str,
    *,
    batch_size: int = 20,
    max_attempts: int = NETWORK_MAX_ATTEMPTS,
    sleep: SleepFn = asyncio.sleep,
    stale_after: dt.timedelta = CLAIM_STALE_AFTER,
) -> SweepReport:
    """Plan, claim and send every due reminder; returns what happened.

    `send(chat_id, html_text)` delivers one message (e.g. `bot.send_message` with parse_mode=HTML) and
    raises python-telegram-bot's exceptions. `now_fn` returns an aware datetime. Database work runs in
    a worker thread; messages go out one at a time, in due order.
    """

    def now() -> dt.datetime:
        return now_fn().astimezone(dt.UTC)

    async def db(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(session, *args, **kwargs)` in a worker thread and commit: a slow or locked database (SQLite's
        busy_timeout, a PostgreSQL round trip) never stalls the bot's event loop."""

        def work() -> T:
            with session_factory() as session:
                result = fn(session, *args, **kwargs)
                session.commit()
                return result

        return await asyncio.to_thread(work)

    report = SweepReport()
    report.planned = await db(plan_due, now(), settings)
    retry_wait_total = 0.0
    while True:
        ids = await db(claim_batch, worker_id, batch_size, now(), stale_after)
        if not ids:
            return report
        for index, row_id in enumerate(ids):
            rest = ids[index + 1 :]
            ready = await db(_load, row_id, worker_id, now(), settings)
            if ready is None:
                continue
            if isinstance(ready, str):
                report.skipped.append(row_id)
                continue
            chat_id = ready.chat_id
            while True:
                try:
                    await send(chat_id, ready.text)
                except RetryAfter as exc:
                    wait = _retry_after_seconds(exc)
                    retry_wait_total += wait
                    if retry_wait_total > MAX_RETRY_AFTER_WAIT:
                        log.warning("flood control for %.0f s: leaving reminders for the next sweep", wait)
                        await db(_release, [row_id, *rest], worker_id)
                        report.retry_later.extend([row_id, *rest])
                        return report
                    await sleep(wait)
                    continue
                except ChatMigrated as exc:
                    new_chat = exc.new_chat_id
                    if not await db(migrate_chat, chat_id, new_chat, now(), row_id, settings.allowed_chats):
                        report.skipped.append(row_id)
                        break
                    chat_id = new_chat
                    continue
                except (Forbidden, BadRequest) as exc:
                    message = getattr(exc, "message", str(exc))
                    if isinstance(exc, Forbidden) or "chat not found" in message.lower():
                        reason = f"blocked: {type(exc).__name__}: {message}"
                        await db(_block, row_id, worker_id, chat_id, now(), reason)
                        report.skipped.append(row_id)
                        report.blocked_chats.append(chat_id)
                    else:  # the same request would fail again (bad HTML, text too long, ...)
                        error = f"BadRequest: {message}"[:500]
                        await db(
                            _finish, row_id, worker_id, status="failed", attempts=ready.attempts + 1, last_error=error
                        )
                        report.failed.append(row_id)
                        log_event("reminder.failed", level=logging.WARNING, reminder=row_id, error=error)
                    break
                except Exception as exc:  # NetworkError, TimedOut, 5xx, or a bug in `send`
                    error = f"{type(exc).__name__}: {exc}"[:500]
                    if maybe_delivered(exc):
                        # Sent, but no answer came: Telegram may have posted it. Sending again could show it
                        # twice, so the row counts as sent (unconfirmed) and is never sent again.
                        await db(
                            _finish, row_id, worker_id,
                            status="sent", sent_at=now(), late=ready.late, attempts=ready.attempts + 1,
                            last_error=f"unconfirmed: {error}"[:500],
                        )  # fmt: skip
                        report.sent.append(row_id)
                        report.unconfirmed.append(row_id)
                        log_event("reminder.unconfirmed", level=logging.WARNING, reminder=row_id, chat=chat_id,
                                  error=error)
                        break
                    if not isinstance(exc, NetworkError):
                        log.exception("sending reminder %s failed", row_id)
                    # Not delivered (the transport already retried with backoff): give this row and the rest
                    # back for the next sweep.
                    failed = ready.attempts + 1 >= max_attempts
                    await db(_network_failure, row_id, worker_id, ready.attempts + 1, failed, error, rest)
                    (report.failed if failed else report.retry_later).append(row_id)
                    log_event("reminder.failed" if failed else "reminder.retry", level=logging.WARNING,
                              reminder=row_id, error=error)
                    report.retry_later.extend(rest)
                    return report
                else:
                    await db(
                        _finish, row_id, worker_id,
                        status="sent", sent_at=now(), late=ready.late, attempts=ready.attempts + 1, last_error=None,
                    )  # fmt: skip
                    report.sent.append(row_id)
                    log_event("reminder.late" if ready.late else "reminder.sent", reminder=row_id, chat=chat_id)
                    break


def default_worker_id() -> str:
    """A worker id unique among live processes: host name and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def dead_local_workers(
    claimed_by: list[str],
    me: str,
    host: str | None = None,
    alive: Callable[[int], bool] = _pid_alive,
) -> list[str]:
    """Of the worker ids holding claims, those of processes on this host that no longer run.

    Worker ids are "host:pid" (bot.reminders.default_worker_id). Our own id counts as dead: at start-up
    we have not claimed anything yet, so a claim under our id is a previous process's that had our pid
    (a container restarted with pid 1)."""
    host = host or socket.gethostname()
    out = []
    for worker in claimed_by:
        name, _, pid = worker.rpartition(":")
        if name != host or not pid.isdigit():
            continue
        if worker == me or not alive(int(pid)):
            out.append(worker)
    return out


def release_dead_claims(session: Session, me: str, host: str | None = None,
                        alive: Callable[[int], bool] = _pid_alive) -> int:  # fmt: skip
    """Give back the pending rows claimed by this host's dead workers; returns how many. Commit after."""
    workers = session.scalars(
        select(ReminderRow.claimed_by)
        .where(ReminderRow.status == "pending", ReminderRow.claimed_by.is_not(None))
        .distinct()
    ).all()
    dead = dead_local_workers([w for w in workers if w], me, host, alive)
    if not dead:
        return 0
    result = session.execute(
        update(ReminderRow)
        .where(ReminderRow.status == "pending", ReminderRow.claimed_by.in_(dead))
        .values(claimed_by=None, claimed_at=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OutboxItem:
    id: int
    task_id: int | None
    chat_id: int
    due_at: dt.datetime
    kind: str
    status: str
    late: bool
    attempts: int
    sent_at: dt.datetime | None
    last_error: str | None


def outbox(session: Session, chat_id: int | None = None) -> list[OutboxItem]:
    """Outbox rows, oldest due first (for a status command and tests)."""
    stmt = select(ReminderRow).order_by(ReminderRow.due_at, ReminderRow.id)
    if chat_id is not None:
        stmt = stmt.where(ReminderRow.chat_id == chat_id)
    names = [f.name for f in fields(OutboxItem)]  # each a column of ReminderRow
    return [OutboxItem(**{name: getattr(r, name) for name in names}) for r in session.scalars(stmt)]
