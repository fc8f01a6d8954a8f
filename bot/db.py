"""The database: engine and session factory, the tables, and the Alembic entry points.

This is the only module that knows SQLAlchemy's declarative layer. Every timestamp is stored in UTC and
comes back as an aware UTC datetime on both SQLite and PostgreSQL (see `UTCDateTime`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    make_url,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.engine import URL
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from index.errors import NotReady

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 10_000

# Allowed values of the enum-like text columns (kept as CHECK constraints, not native enums, so the
# same migration runs on SQLite and PostgreSQL).
TASK_STATUSES = ("open", "done", "cancelled")
REVIEW_STATES = ("candidate", "accepted", "dropped")
# Where a task belongs: "org" (extracted from a document, or added from the command line: the whole
# organisation), "group" (typed in a group: that group's), "personal" (typed in a private chat: that
# person's own).
TASK_SCOPES = ("org", "group", "personal")
REMINDER_STATUSES = ("pending", "sent", "failed", "skipped")
OVERDUE_DIGEST = "overdue-digest"


class DatabaseError(NotReady):
    """The database cannot be reached or its schema is not what this version expects."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware datetime kept in UTC.

    PostgreSQL stores it as `timestamptz`; SQLite has no time zones, so the value is written as naive
    UTC text (which also sorts correctly) and read back as aware UTC. Naive input is refused: it is
    almost always a bug (local time taken for UTC).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware UTC datetime")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class CleanText(TypeDecorator[str]):
    """Text without NUL characters. PostgreSQL refuses NUL in text ("cannot contain NUL (0x00) bytes"),
    SQLite keeps it: a message with one would be stored on one backend and crash on the other. User input
    (questions, task texts, audit details, errors) goes into these columns with its NULs dropped."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return value.replace("\x00", "") if value is not None else None


class Base(DeclarativeBase):
    pass


def _check_in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class TaskRow(Base):
    """A task: either extracted from a document paragraph (source_doc/source_paragraph, reviewed before
    it reminds anyone) or added by a user in a chat (created_by/chat_id, accepted directly).

    For a recurring task `deadline` is the deadline of the current occurrence; closing it moves the
    deadline to the next occurrence (see bot.tasks.close_task).
    """

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(CleanText)
    # Folded, lower-cased words of `text`: what an import matches a re-extracted candidate on.
    text_key: Mapped[str] = mapped_column(CleanText)
    owner: Mapped[str | None] = mapped_column(CleanText)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    recurrence: Mapped[str | None] = mapped_column(Text)
    deadline_text: Mapped[str | None] = mapped_column(CleanText)
    status: Mapped[str] = mapped_column(String(16), default="open")
    review: Mapped[str] = mapped_column(String(16), default="candidate")
    source_doc: Mapped[str | None] = mapped_column(Text)
    source_paragraph: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the task became eligible for reminders (accepted, or added by a user). Reminders whose due
    # moment is earlier than this are not sent: nobody needs a "late" reminder for a task just added.
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # For a recurring task: when its last occurrence was closed.
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    scope: Mapped[str] = mapped_column(String(16), default="org")
    # The /task_add message a typed-in task came from (with chat_id): an edit of that message edits the task.
    source_message_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint(_check_in("status", TASK_STATUSES), name="ck_tasks_status"),
        CheckConstraint(_check_in("review", REVIEW_STATES), name="ck_tasks_review"),
        CheckConstraint(_check_in("scope", TASK_SCOPES), name="ck_tasks_scope"),
        Index("ix_tasks_chat_message", "chat_id", "source_message_id"),
        CheckConstraint("source_doc IS NOT NULL OR created_by IS NOT NULL", name="ck_tasks_has_origin"),
        Index("ix_tasks_source_doc", "source_doc"),
        Index("ix_tasks_status_deadline", "status", "deadline"),
    )


class TaskEventRow(Base):
    """One change in a task's life, for its history: created, imported, accepted, archived, edited, done."""

    __tablename__ = "task_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    user_name: Mapped[str | None] = mapped_column(String(200))  # the Telegram name at the time
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_task_events_task", "task_id", "at"),)


class SubscriptionRow(Base):
    """A chat that receives reminders. `blocked_at` is set when Telegram says the bot was removed.

    `all_org`: the chat follows every organisation task (`/subscribe` without a unit); otherwise only
    those whose owner matches one of its `SubscriptionUnitRow`s. A chat's own tasks remind it either way.
    """

    __tablename__ = "subscriptions"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    subscribed_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)
    blocked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    all_org: Mapped[bool] = mapped_column(default=True)


class SubscriptionUnitRow(Base):
    """A unit a chat follows (`/subscribe Sở Nội vụ`): `unit_key` is bot.units.unit_key of `unit`."""

    __tablename__ = "subscription_units"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    unit_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    unit: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReminderRow(Base):
    """The reminder outbox. One row per message that must go out exactly once.

    kind is "offset-N" (N days before the deadline) with a task, or "overdue-digest" without one (one
    digest per chat per local day; its text lists the tasks overdue when it is sent).
    """

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    # For an offset reminder: the task deadline it was planned for (a later edit of the deadline
    # leaves this row stale, and it is skipped rather than sent).
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(CleanText)

    __table_args__ = (
        UniqueConstraint("task_id", "chat_id", "due_at", "kind", name="uq_reminders_task_chat_due_kind"),
        # NULL task_id values are distinct in a unique constraint, so the digest has its own index.
        Index(
            "uq_reminders_digest",
            "chat_id",
            "due_at",
            "kind",
            unique=True,
            sqlite_where=sql_text("task_id IS NULL"),
            postgresql_where=sql_text("task_id IS NULL"),
        ),
        CheckConstraint(_check_in("status", REMINDER_STATUSES), name="ck_reminders_status"),
        Index("ix_reminders_status_due", "status", "due_at"),
    )


class AllowedChatRow(Base):
    __tablename__ = "allowed_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(CleanText)


class FeedbackRow(Base):
    """A 👍/👎 on an answer. One per user per answer message (`question_id`, `message_id`): a second
    press changes the vote instead of adding one. Rows from before 0003 have neither."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(CleanText)
    passages: Mapped[Any] = mapped_column(JSON)
    vote: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint("vote IN (-1, 1)", name="ck_feedback_vote"),
        UniqueConstraint("question_id", "message_id", "user_id", name="uq_feedback_answer_user"),
    )


class QuestionRow(Base):
    """One asked question, for /stats (answered or not, how many passages, how long it took)."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    question: Mapped[str] = mapped_column(CleanText)
    answered: Mapped[bool] = mapped_column(default=False)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    elapsed_ms: Mapped[int | None] = mapped_column(Integer)


class QuestionMessageRow(Base):
    """The messages of one exchange: the question and each of the bot's answers to it (pages included).
    A reply to any of them is read as a follow-up of the question (index.followup)."""

    __tablename__ = "question_messages"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))


class AnswerPageRow(Base):
    """A "Xem thêm" page already sent for a question: the first press sends it, a second does not."""

    __tablename__ = "answer_pages"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    start: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


UPDATE_STATES = ("pending", "done")


class ProcessedUpdateRow(Base):
    """The Telegram updates the bot received: a redelivered update is not answered twice, and an update
    whose replies did not reach Telegram (an outage, a crash) is handled again.

    `digest` identifies the update's content: Telegram redelivers an update unchanged, while a Bot API
    server that restarted its ids gives an old id to a new update (another digest). `state` is "pending"
    until the update's replies were accepted by Telegram (or failed for a reason that will not change),
    then "done"; a pending row keeps the update itself in `payload`.
    """

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    digest: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(8), default="done", server_default="done")
    payload: Mapped[Any] = mapped_column(JSON, nullable=True)

    __table_args__ = (
        CheckConstraint(_check_in("state", UPDATE_STATES), name="ck_processed_updates_state"),
        Index("ix_processed_updates_state_at", "state", "at"),
    )


class CorpusChangeRow(Base):
    """A change to the corpus made through the bot (an upload, a removal, a restore), until an index
    build has taken it in. Changes still open at start-up are built then (a crash or a cancelled
    build loses none), and the build's result is reported to `chat_id`."""

    __tablename__ = "corpus_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    path: Mapped[str] = mapped_column(Text)  # relative to the corpus
    action: Mapped[str] = mapped_column(String(16))  # "upload", "remove", "restore"
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)


# --------------------------------------------------------------------------------------------- engine


def normalise_url(url: str | URL) -> URL:
    """SQLAlchemy URL with the psycopg (v3) driver for PostgreSQL ("postgresql://" is rewritten)."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        u = u.set(drivername="postgresql+psycopg")
    return u


def safe_url(url: str | URL) -> str:
    """The URL with its password hidden, for messages."""
    return normalise_url(url).render_as_string(hide_password=True)


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
    finally:
        cur.close()


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for `url`. SQLite: parent directory created, WAL and busy_timeout set on every
    connection. PostgreSQL: psycopg 3 driver, pre-ping so a restarted server is survived."""
    u = normalise_url(url)
    if u.get_backend_name() == "sqlite":
        db = u.database or ""
        if db and db != ":memory:" and not db.startswith("file:"):
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, **kwargs.pop("connect_args", {})}
        engine = create_engine(u, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(u, **kwargs)


def make_session_factory(engine_or_url: Engine | str | URL) -> sessionmaker[Session]:
    engine = engine_or_url if isinstance(engine_or_url, Engine) else make_engine(engine_or_url)
    return sessionmaker(engine, expire_on_commit=False)


# ------------------------------------------------------------------------------------------ migrations


def alembic_config(engine: Engine | None = None) -> Any:
    """Alembic's configuration for this package's migrations (on `engine`, when one is given)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


@contextmanager
def _engine_for(url: str | URL | Engine) -> Iterator[Engine]:
    """The engine given, or a new one for the URL, disposed of afterwards."""
    if isinstance(url, Engine):
        yield url
        return
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def upgrade(url: str | URL | Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to `revision` (default: the newest)."""
    from alembic import command

    with _engine_for(url) as engine:
        command.upgrade(alembic_config(engine), revision)


def downgrade(url: str | URL | Engine, revision: str) -> None:
    from alembic import command

    with _engine_for(url) as engine:
        command.downgrade(alembic_config(engine), revision)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(url: str | URL | Engine) -> str | None:
    """The revision the database is at; None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with _engine_for(url) as engine, engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_current(url: str | URL | Engine) -> bool:
    return current_revision(url) == head_revision()


def table_names(url: str | URL | Engine) -> set[str]:
    with _engine_for(url) as engine:
        return set(inspect(engine).get_table_names())


# ----------------------------------------------------------------------------------- small write helpers


# Telegram keeps an unconfirmed update for 24 hours: an id seen longer ago than this is not a redelivery.
REDELIVERY_WINDOW = dt.timedelta(days=1)


def insert_ignoring_conflicts(session: Session, model: type[Base]) -> Any:
    """`INSERT … ON CONFLICT DO NOTHING` for `model` in the session's dialect (SQLite or PostgreSQL). Use it
    instead of "read, then add when missing": two connections doing that at once both find nothing, and the
    second insert fails (on SQLite a read then a write in one transaction can also fail as "locked")."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(model).on_conflict_do_nothing()


def update_digest(payload: dict[str, Any]) -> str:
    """A digest of an update's content (without its id): equal for a redelivery of the same update."""
    import hashlib
    import json

    content = {k: v for k, v in payload.items() if k != "update_id"}
    return hashlib.sha1(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def claim_update(
    session: Session, update_id: int, digest: str, payload: dict[str, Any] | None, now: dt.datetime
) -> str:
    """Record a received update: "new" (first time), "again" (seen, but its replies never reached Telegram:
    handle it again), or "duplicate" (already handled: do not answer it twice).

    An old row with the same id and another digest is an earlier update of a Bot API server that restarted
    its ids: it is replaced, and the update is new. Runs in its own savepoint; the caller commits.
    """
    from sqlalchemy.exc import IntegrityError

    row = session.get(ProcessedUpdateRow, update_id)
    if row is None:
        try:
            with session.begin_nested():
                session.add(
                    ProcessedUpdateRow(update_id=update_id, at=now, digest=digest, state="pending", payload=payload)
                )
        except IntegrityError:
            return "duplicate"  # the same update, recorded by another process a moment ago
        return "new"
    same = row.digest == digest if row.digest is not None else row.at > now - REDELIVERY_WINDOW
    if not same:
        row.at, row.digest, row.state, row.payload = now, digest, "pending", payload
        session.flush()
        return "new"
    return "again" if row.state == "pending" else "duplicate"


def finish_update(session: Session, update_id: int, digest: str) -> None:
    """The update's replies were accepted (or failed for good): it is done, its payload dropped."""
    from sqlalchemy import update as sql_update

    session.execute(
        sql_update(ProcessedUpdateRow)
        .where(ProcessedUpdateRow.update_id == update_id, ProcessedUpdateRow.digest == digest)
        .values(state="done", payload=None)
    )


def take_pending_updates(session: Session, received_before: dt.datetime, now: dt.datetime) -> list[dict[str, Any]]:
    """Payloads of updates received before `received_before` (and within the redelivery window) whose
    replies never reached Telegram, oldest first. Their time is moved to `now`, so another process looking
    at the same moment does not take them too (`FOR UPDATE SKIP LOCKED` on PostgreSQL). The caller commits."""
    from sqlalchemy import select

    rows = session.scalars(
        select(ProcessedUpdateRow)
        .where(
            ProcessedUpdateRow.state == "pending",
            ProcessedUpdateRow.at < received_before,
            ProcessedUpdateRow.at > now - REDELIVERY_WINDOW,
            ProcessedUpdateRow.payload.is_not(None),
        )
        .order_by(ProcessedUpdateRow.at, ProcessedUpdateRow.update_id)
        .with_for_update(skip_locked=True)
    ).all()
    payloads = [dict(r.payload) for r in rows]
    for row in rows:
        row.at = now
    session.flush()
    return payloads


def record_update(session: Session, update_id: int, now: dt.datetime) -> bool:
    """Remember a Telegram update id as handled (by id alone); False when it was already there."""
    digest = f"id:{update_id}"
    first = claim_update(session, update_id, digest, None, now) == "new"
    finish_update(session, update_id, digest)
    return first


def audit(
    session: Session, now: dt.datetime, user_id: int | None, action: str, detail: str | None = None
) -> None:
    session.add(AuditRow(at=now, user_id=user_id, action=action, detail=detail))


def prune(
    session: Session,
    now: dt.datetime,
    *,
    updates_older_than: dt.timedelta = dt.timedelta(days=7),
    outbox_older_than: dt.timedelta = dt.timedelta(days=90),
) -> tuple[int, int]:
    """Delete processed update ids and finished outbox rows that can no longer matter; returns the
    counts (updates, outbox rows).

    Telegram keeps an unconfirmed update for 24 hours, so a week of update ids is plenty. An outbox row
    is only ever planned for a due moment less than `max(reminder_days) + 1` days old (or today's
    digest), so finished rows older than that can go without a reminder coming back; keep
    `outbox_older_than` well above it (default 90 days).
    """
    from sqlalchemy import delete

    # Pending updates go too: past the redelivery window nobody waits for their answer any more.
    updates = session.execute(
        delete(ProcessedUpdateRow).where(ProcessedUpdateRow.at < now - updates_older_than)
    ).rowcount  # type: ignore[attr-defined]
    outbox = session.execute(
        delete(ReminderRow).where(
            ReminderRow.status != "pending", ReminderRow.due_at < now - outbox_older_than
        )
    ).rowcount  # type: ignore[attr-defined]
    return int(updates or 0), int(outbox or 0)
