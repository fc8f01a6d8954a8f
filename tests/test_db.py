"""The database layer: engines, UTC timestamps, constraints, migrations on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from bot import db
from bot.db import (
    Base,
    ReminderRow,
    SubscriptionRow,
    TaskRow,
    make_engine,
    make_session_factory,
    normalise_url,
    record_update,
)

pytest_plugins = ["tests.dbfixtures"]

APP_TABLES = {
    "tasks",
    "corpus_changes",
    "subscriptions",
    "reminders",
    "allowed_chats",
    "audit_log",
    "feedback",
    "questions",
    "processed_updates",
    "question_messages",
    "answer_pages",
}
NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://u:p@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:///data/chidao.db", "sqlite"),
    ],
)
def test_normalise_url_uses_psycopg3(given: str, driver: str) -> None:
    assert normalise_url(given).drivername == driver


def test_sqlite_engine_creates_directory_and_sets_wal_and_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "chidao.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.SQLITE_BUSY_TIMEOUT_MS
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert path.parent.is_dir()
    finally:
        engine.dispose()


def test_upgrade_creates_every_table_and_matches_models(db_url: str) -> None:
    assert db.current_revision(db_url) is None
    assert not db.is_current(db_url)
    db.upgrade(db_url)
    assert APP_TABLES <= db.table_names(db_url)
    assert db.current_revision(db_url) == db.head_revision()
    assert db.is_current(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()


def test_downgrade_and_upgrade_round_trip(db_url: str) -> None:
    db.upgrade(db_url)
    factory = make_session_factory(db_url)
    with factory() as s:
        s.add(SubscriptionRow(chat_id=-100, created_at=NOW))
        s.commit()
    factory.kw["bind"].dispose()
    db.downgrade(db_url, "base")
    assert db.table_names(db_url) & APP_TABLES == set()
    assert db.current_revision(db_url) is None
    db.upgrade(db_url)
    db.upgrade(db_url)  # a second upgrade is a no-op
    assert db.is_current(db_url)
    assert APP_TABLES <= db.table_names(db_url)


def test_timestamps_come_back_as_aware_utc(session_factory) -> None:
    local = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    with session_factory() as s:
        s.add(SubscriptionRow(chat_id=-1, created_at=local))
        s.commit()
    with session_factory() as s:
        got = s.get(SubscriptionRow, -1)
        assert got is not None
        assert got.created_at == dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
        assert got.created_at.utcoffset() == dt.timedelta(0)
        # Comparisons in SQL use UTC too.
        found = s.scalars(
            select(SubscriptionRow).where(SubscriptionRow.created_at < dt.datetime(2026, 12, 1, 3, tzinfo=dt.UTC))
        ).all()
        assert [r.chat_id for r in found] == [-1]


def test_naive_datetime_is_refused(session_factory) -> None:
    with session_factory() as s:
        s.add(SubscriptionRow(chat_id=-2, created_at=dt.datetime(2026, 1, 1)))
        with pytest.raises(Exception, match="naive datetime"):
            s.commit()


def _task(s, **kw) -> TaskRow:
    row = TaskRow(
        text="Báo cáo",
        text_key="bao cao",
        source_doc="a.docx",
        source_paragraph=1,
        created_at=NOW,
        updated_at=NOW,
        **kw,
    )
    s.add(row)
    s.flush()
    return row


def test_reminder_key_is_unique(session_factory) -> None:
    with session_factory() as s:
        t = _task(s)
        due = dt.datetime(2026, 12, 3, 1, 0, tzinfo=dt.UTC)
        s.add(ReminderRow(task_id=t.id, chat_id=-5, due_at=due, kind="offset-3", created_at=NOW))
        s.commit()
        s.add(ReminderRow(task_id=t.id, chat_id=-5, due_at=due, kind="offset-3", created_at=NOW))
        with pytest.raises(IntegrityError):
            s.commit()


def test_digest_key_is_unique_per_chat_and_day(session_factory) -> None:
    due = dt.datetime(2026, 12, 3, 1, 0, tzinfo=dt.UTC)
    with session_factory() as s:
        s.add(ReminderRow(task_id=None, chat_id=-5, due_at=due, kind=db.OVERDUE_DIGEST, created_at=NOW))
        s.add(ReminderRow(task_id=None, chat_id=-6, due_at=due, kind=db.OVERDUE_DIGEST, created_at=NOW))
        s.commit()
        s.add(ReminderRow(task_id=None, chat_id=-5, due_at=due, kind=db.OVERDUE_DIGEST, created_at=NOW))
        with pytest.raises(IntegrityError):
            s.commit()


@pytest.mark.parametrize(
    "values",
    [
        {"status": "finished"},
        {"review": "maybe"},
        {"source_doc": None, "created_by": None},
    ],
)
def test_task_check_constraints(session_factory, values: dict[str, object]) -> None:
    with session_factory() as s:
        row = TaskRow(text="x", text_key="x", source_doc="a.docx", created_at=NOW, updated_at=NOW)
        for k, v in values.items():
            setattr(row, k, v)
        s.add(row)
        with pytest.raises(IntegrityError):
            s.commit()


def test_processed_updates_survive_a_restart(migrated_url: str) -> None:
    factory = make_session_factory(migrated_url)
    with factory() as s:
        assert record_update(s, 1001, NOW) is True
        assert record_update(s, 1001, NOW) is False
        assert record_update(s, 1002, NOW) is True
        s.commit()
    factory.kw["bind"].dispose()
    factory = make_session_factory(migrated_url)  # a new process, as after a restart
    with factory() as s:
        assert record_update(s, 1001, NOW) is False
        assert record_update(s, 1003, NOW) is True
        s.commit()
        assert s.execute(text("SELECT count(*) FROM processed_updates")).scalar() == 3
    factory.kw["bind"].dispose()


def test_deleting_a_task_deletes_its_outbox_rows(session_factory) -> None:
    with session_factory() as s:
        t = _task(s)
        s.add(ReminderRow(task_id=t.id, chat_id=-5, due_at=NOW, kind="offset-0", created_at=NOW))
        s.commit()
        s.execute(text("DELETE FROM tasks"))
        s.commit()
        assert s.scalars(select(ReminderRow)).all() == []


def _chidao(*argv: str) -> int:
    from bot.cli import main

    return main(list(argv))


def test_cli_db_upgrade_and_current(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("CHIDAO_DATABASE_URL", db_url)
    assert _chidao("db", "current") == 1
    assert "needs upgrade" in capsys.readouterr().out
    assert _chidao("db", "upgrade") == 0
    head = db.head_revision()
    assert f"upgraded: empty -> {head}" in capsys.readouterr().out
    assert _chidao("db", "upgrade") == 0
    assert f"already at revision {head}" in capsys.readouterr().out
    assert _chidao("db", "current") == 0
    assert "up to date" in capsys.readouterr().out
    assert db.is_current(db_url)


def test_cli_db_upgrade_unreachable_server_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHIDAO_DATABASE_URL", "postgresql://chidao:secret@127.0.0.1:1/chidao")
    assert _chidao("db", "upgrade") == 3
    err = capsys.readouterr().err
    assert err.startswith("chidao: cannot upgrade postgresql+psycopg://chidao:***@127.0.0.1:1/chidao")
    assert "secret" not in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
