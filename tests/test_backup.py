"""Upgrades keep every row; `chidao backup` / `restore` (SQLite natively, PostgreSQL through pg_dump and
pg_restore); `chidao db-copy` from SQLite to SQLite and to PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.pool import NullPool

from bot import db
from bot.backup import BackupError, backup, copy_database, read_backup, restore
from bot.cli import main
from bot.db import (
    AllowedChatRow,
    FeedbackRow,
    ProcessedUpdateRow,
    QuestionRow,
    ReminderRow,
)
from tests.dbfixtures import create_pg_database, drop_pg_database, pg_admin_url, vn

pytest_plugins = ["tests.dbfixtures"]

NOW = vn(2026, 12, 1, 9, 0)


def _sqlite(tmp_path: Path, name: str) -> str:
    return f"sqlite:///{tmp_path / name}"


def populate(url: str) -> None:
    """A bit of everything, through the same code the bot uses."""
    from bot.reminders import subscribe
    from bot.tasks import add_task

    db.upgrade(url)
    sessions = db.make_session_factory(db.make_engine(url, poolclass=NullPool))
    with sessions() as s:
        t1 = add_task(s, "Nộp báo cáo quý IV", dt.date(2026, 12, 20), None, 1001, -2002, now=NOW)
        add_task(s, "Họp chi bộ hằng tháng", dt.date(2026, 12, 25), "monthly", 1001, -2002, now=NOW)
        subscribe(s, -2002, 1001, NOW)
        s.add(
            ReminderRow(
                task_id=t1.id,
                chat_id=-2002,
                due_at=NOW,
                kind="offset-7",
                deadline=dt.date(2026, 12, 20),
                status="sent",
                sent_at=NOW,
                attempts=1,
            )
        )
        s.add(ReminderRow(task_id=None, chat_id=-2002, due_at=NOW, kind=db.OVERDUE_DIGEST, status="pending"))
        s.add(AllowedChatRow(chat_id=-2002, added_by=1001, added_at=NOW))
        s.add(FeedbackRow(question="lương cơ sở", passages=[["a.txt", 3]], vote=1, user_id=1001, at=NOW))
        s.add(QuestionRow(question="lương cơ sở", answered=True, hits=3, elapsed_ms=41, at=NOW))
        s.add(ProcessedUpdateRow(update_id=77, at=NOW))
        s.commit()


def dump(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, ordered by primary key: what "the data are equal" means."""
    engine = db.make_engine(url, poolclass=NullPool)
    try:
        out: dict[str, list[dict[str, Any]]] = {}
        with engine.connect() as conn:
            for table in db.Base.metadata.sorted_tables:
                rows = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()
                out[table.name] = [dict(r) for r in rows]
        return out
    finally:
        engine.dispose()


# -------------------------------------------------------------------------------------------- upgrade


def _first_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(cfg)
    [base] = script.get_bases()
    return base


def test_upgrade_from_the_first_release_keeps_tasks_and_reminders(db_url: str) -> None:
    """The database of the first release (revision 0001), filled with raw SQL as that release wrote it,
    upgraded to this version's head: every task, subscription and outbox row is still there.
    (While 0001 is the only revision the upgrade is a no-op; the test starts to bite with 0002.)"""
    first = _first_revision()
    db.upgrade(db_url, first)
    assert db.current_revision(db_url) == first
    engine = db.make_engine(db_url, poolclass=NullPool)
    created = "2026-12-01 02:00:00" if engine.dialect.name == "sqlite" else "2026-12-01 02:00:00+00"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tasks (id, text, text_key, owner, deadline, recurrence, deadline_text, status,"
                " review, source_doc, source_paragraph, created_by, chat_id, created_at, updated_at,"
                " accepted_at)"
                " VALUES (:id, :text, :key, :owner, :deadline, :rec, :dtext, 'open', :review, :doc, :para,"
                " :by, :chat, :at, :at, :acc)"
            ),
            [
                {
                    "id": 1,
                    "text": "Sở Nội vụ tổng hợp danh sách",
                    "key": "so noi vu tong hop danh sach",
                    "owner": "Sở Nội vụ",
                    "deadline": "2026-12-20",
                    "rec": None,
                    "dtext": "trước ngày 20/12/2026",
                    "review": "accepted",
                    "doc": "luong.txt",
                    "para": 2,
                    "by": None,
                    "chat": None,
                    "at": created,
                    "acc": created,
                },
                {
                    "id": 2,
                    "text": "Báo cáo hằng tháng",
                    "key": "bao cao hang thang",
                    "owner": None,
                    "deadline": "2026-12-25",
                    "rec": "monthly",
                    "dtext": None,
                    "review": "candidate",
                    "doc": None,
                    "para": None,
                    "by": 1001,
                    "chat": -2002,
                    "at": created,
                    "acc": None,
                },
            ],
        )
        conn.execute(
            text(
                "INSERT INTO subscriptions (chat_id, subscribed_by, created_at, active) VALUES (-2002, 1001, :at, :t)"
            ),
            {"at": created, "t": True},
        )
        conn.execute(
            text(
                "INSERT INTO reminders (id, task_id, chat_id, due_at, kind, deadline, status, created_at,"
                " late, attempts) VALUES (:id, :task, -2002, :at, :kind, :deadline, :status, :at, :late, :n)"
            ),
            [
                {
                    "id": 1,
                    "task": 1,
                    "at": created,
                    "kind": "offset-7",
                    "deadline": "2026-12-20",
                    "status": "sent",
                    "late": False,
                    "n": 1,
                },
                {
                    "id": 2,
                    "task": None,
                    "at": created,
                    "kind": db.OVERDUE_DIGEST,
                    "deadline": None,
                    "status": "pending",
                    "late": True,
                    "n": 0,
                },
            ],
        )
    engine.dispose()

    db.upgrade(db_url)
    assert db.current_revision(db_url) == db.head_revision()
    rows = dump(db_url)
    assert [(t["id"], t["text"], t["deadline"], t["review"]) for t in rows["tasks"]] == [
        (1, "Sở Nội vụ tổng hợp danh sách", dt.date(2026, 12, 20), "accepted"),
        (2, "Báo cáo hằng tháng", dt.date(2026, 12, 25), "candidate"),
    ]
    assert rows["tasks"][0]["created_at"] == dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    assert [(r["id"], r["task_id"], r["kind"], r["status"]) for r in rows["reminders"]] == [
        (1, 1, "offset-7", "sent"),
        (2, None, db.OVERDUE_DIGEST, "pending"),
    ]
    assert [s["chat_id"] for s in rows["subscriptions"]] == [-2002]
    # The bot's own code reads them after the upgrade.
    from bot.reminders import outbox

    with db.make_session_factory(db_url)() as s:
        assert {item.kind for item in outbox(s, -2002)} >= {db.OVERDUE_DIGEST}


# ---------------------------------------------------------------------------------------- SQLite backup


@pytest.fixture
def index_dir(tmp_path: Path, tiny_corpus: Path) -> Path:
    from index.store import build_index
    from tests.fakes import HashEncoder

    out = tmp_path / "index"
    build_index(tiny_corpus, out, HashEncoder())
    return out


def test_backup_and_restore_sqlite(tmp_path: Path, index_dir: Path, capsys: Any) -> None:
    src = _sqlite(tmp_path, "live/chidao.db")
    populate(src)
    summary = backup(src, index_dir, tmp_path / "bk")
    assert summary.backend == "sqlite" and summary.revision == db.head_revision()
    assert summary.rows["tasks"] == 2 and summary.rows["reminders"] == 2 and summary.snapshot
    info = read_backup(tmp_path / "bk")
    assert info["database"]["rows"]["tasks"] == 2 and info["index"]["model"] == "test-hash-encoder"
    assert not (tmp_path / "bk" / "chidao.db-wal").exists()  # one self-contained file

    dst = _sqlite(tmp_path, "new/chidao.db")
    new_index = tmp_path / "new" / "index"
    done = restore(tmp_path / "bk", dst, new_index)
    assert done.revision == db.head_revision() and done.snapshot == summary.snapshot
    assert dump(dst) == dump(src)

    from index.store import current_snapshot, read_manifest

    restored = read_manifest(current_snapshot(new_index))
    assert restored == read_manifest(current_snapshot(index_dir))
    from index.search import Searcher

    assert Searcher.open(new_index, "test-hash-encoder", load_model=False).passage_count > 0


def test_restore_refuses_to_overwrite(tmp_path: Path, index_dir: Path) -> None:
    src = _sqlite(tmp_path, "a.db")
    populate(src)
    backup(src, index_dir, tmp_path / "bk")
    # Later, the live database moves on: a task is added, one is deleted.
    engine = db.make_engine(src, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM reminders"))
        conn.execute(text("DELETE FROM tasks WHERE id = 2"))
    engine.dispose()
    before = dump(src)
    with pytest.raises(BackupError, match=r"is not empty \(\d+ rows\).*--force"):
        restore(tmp_path / "bk", src, index_dir)
    assert dump(src) == before  # untouched
    with pytest.raises(BackupError, match="an index exists"):
        restore(tmp_path / "bk", _sqlite(tmp_path, "empty.db"), index_dir)
    restore(tmp_path / "bk", src, index_dir, force=True)
    after = dump(src)
    assert len(after["tasks"]) == 2 and len(after["reminders"]) == 2


def test_backup_while_another_connection_writes(tmp_path: Path, index_dir: Path) -> None:
    url = _sqlite(tmp_path, "busy.db")
    db.upgrade(url)
    path = tmp_path / "busy.db"
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        conn = sqlite3.connect(path, timeout=10)
        conn.execute("PRAGMA journal_mode=WAL")
        i = 0
        while not stop.is_set():
            i += 1
            conn.execute(
                "INSERT INTO audit_log (at, user_id, action, detail) VALUES (?, ?, ?, ?)",
                ("2026-12-01 02:00:00", i, "test.write", "x" * 200),
            )
            conn.commit()
            written.append(i)
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 200:
            threading.Event().wait(0.01)
        summary = backup(url, index_dir, tmp_path / "bk")
    finally:
        stop.set()
        thread.join()
    copied = summary.rows["audit_log"]
    assert 200 <= copied <= len(written)
    # A consistent snapshot: exactly the first `copied` commits, nothing torn.
    with sqlite3.connect(tmp_path / "bk" / "chidao.db") as conn:
        ids = [r[0] for r in conn.execute("SELECT user_id FROM audit_log ORDER BY id")]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert ids == list(range(1, copied + 1))
    restored = _sqlite(tmp_path, "restored.db")
    restore(tmp_path / "bk", restored, tmp_path / "idx2")
    assert [r["user_id"] for r in dump(restored)["audit_log"]] == ids


def test_backup_directory_must_be_new(tmp_path: Path, index_dir: Path) -> None:
    url = _sqlite(tmp_path, "a.db")
    populate(url)
    (tmp_path / "bk").mkdir()
    (tmp_path / "bk" / "old.txt").write_text("x")
    with pytest.raises(BackupError, match="not an empty directory"):
        backup(url, index_dir, tmp_path / "bk")


def test_damaged_backup_is_refused(tmp_path: Path, index_dir: Path) -> None:
    url = _sqlite(tmp_path, "a.db")
    populate(url)
    backup(url, index_dir, tmp_path / "bk")
    with (tmp_path / "bk" / "chidao.db").open("r+b") as f:
        f.seek(5000)
        f.write(b"\xff\xff")
    with pytest.raises(BackupError, match="chidao.db is damaged"):
        restore(tmp_path / "bk", _sqlite(tmp_path, "b.db"), tmp_path / "i2")
    assert not (tmp_path / "b.db").exists()


def test_manifest_only_backup(tmp_path: Path, index_dir: Path) -> None:
    url = _sqlite(tmp_path, "a.db")
    populate(url)
    summary = backup(url, index_dir, tmp_path / "bk", manifest_only=True)
    assert summary.index_files == 1
    assert [p.name for p in (tmp_path / "bk" / "index" / "snapshots").rglob("*") if p.is_file()] == ["manifest.json"]
    done = restore(tmp_path / "bk", _sqlite(tmp_path, "b.db"), tmp_path / "i2")
    assert done.snapshot is None and any("chidao index build" in n for n in done.notes)
    assert not (tmp_path / "i2").exists()


def test_backup_and_restore_commands(
    tmp_path: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    url = _sqlite(tmp_path, "a.db")
    populate(url)
    monkeypatch.setenv("CHIDAO_DATABASE_URL", url)
    monkeypatch.setenv("CHIDAO_INDEX_DIR", str(index_dir))
    assert main(["backup", str(tmp_path / "bk")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"backup in {tmp_path / 'bk'}: sqlite database at revision {db.head_revision()}")
    assert main(["restore", str(tmp_path / "bk")]) == 1
    assert "is not empty" in capsys.readouterr().err
    assert main(["restore", "--force", "--no-index", str(tmp_path / "bk")]) == 0
    assert "restored the sqlite database" in capsys.readouterr().out


def test_pg_dump_missing_is_a_clear_error(tmp_path: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="pg_dump not found: install the PostgreSQL client tools"):
        backup("postgresql://u:p@127.0.0.1:1/x", index_dir, tmp_path / "bk")
    assert not (tmp_path / "bk").exists()


@pytest.mark.postgres
def test_backup_and_restore_postgres(pg_url: str, tmp_path: Path, index_dir: Path) -> None:
    populate(pg_url)
    summary = backup(pg_url, index_dir, tmp_path / "bk")
    assert summary.backend == "postgresql" and (tmp_path / "bk" / "chidao.pgdump").is_file()
    admin = pg_admin_url()
    assert admin is not None
    name, other = create_pg_database(admin)
    try:
        restore(tmp_path / "bk", other, tmp_path / "i2")
        assert dump(other) == dump(pg_url)
        with pytest.raises(BackupError, match="is not empty"):
            restore(tmp_path / "bk", other, tmp_path / "i3")
    finally:
        drop_pg_database(admin, name)


# ------------------------------------------------------------------------------------------------ copy


def _next_task_id(url: str) -> int:
    from bot.tasks import add_task

    engine: Engine = db.make_engine(url, poolclass=NullPool)
    try:
        with db.make_session_factory(engine)() as s:
            task = add_task(s, "Việc mới sau khi chuyển", None, None, 1001, None, now=NOW)
            s.commit()
            return task.id
    finally:
        engine.dispose()


def test_db_copy_sqlite_to_sqlite(tmp_path: Path, capsys: Any) -> None:
    src, dst = _sqlite(tmp_path, "a.db"), _sqlite(tmp_path, "b/b.db")
    populate(src)
    assert main(["db-copy", src, dst]) == 0
    captured = capsys.readouterr()
    tables = len(db.Base.metadata.sorted_tables)
    assert f"copied 13 rows in {tables} tables" in captured.out and "tasks: 2 rows" in captured.err
    assert "task_events: 2 rows" in captured.err  # each task's "created" event
    assert dump(dst) == dump(src)
    assert main(["db-copy", src, dst]) == 1
    assert "holds 13 rows: use --force" in capsys.readouterr().err
    assert main(["db-copy", "--force", src, dst]) == 0
    assert dump(dst) == dump(src)
    assert _next_task_id(dst) == 3


def test_db_copy_needs_a_migrated_source(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="at revision none.*upgrade it first"):
        copy_database(_sqlite(tmp_path, "empty.db"), _sqlite(tmp_path, "b.db"))


@pytest.mark.postgres
def test_db_copy_sqlite_to_postgres(tmp_path: Path, pg_url: str) -> None:
    src = _sqlite(tmp_path, "a.db")
    populate(src)
    copied = copy_database(src, pg_url)
    assert copied["tasks"] == 2 and copied["reminders"] == 2 and copied["feedback"] == 1
    assert dump(pg_url) == dump(src)
    # The serial sequences moved past the copied ids: new rows do not collide.
    assert _next_task_id(pg_url) == 3
    # And back again, PostgreSQL to SQLite.
    back = _sqlite(tmp_path, "back.db")
    copy_database(pg_url, back)
    assert dump(back) == dump(pg_url)


def test_backup_json_lists_every_file(tmp_path: Path, index_dir: Path) -> None:
    url = _sqlite(tmp_path, "a.db")
    populate(url)
    backup(url, index_dir, tmp_path / "bk")
    info = json.loads((tmp_path / "bk" / "backup.json").read_text("utf-8"))
    on_disk = sorted(p.relative_to(tmp_path / "bk").as_posix() for p in (tmp_path / "bk").rglob("*") if p.is_file())
    assert sorted(info["sha256"]) == [p for p in on_disk if p != "backup.json"]
    assert os.path.basename(info["database"]["file"]) == "chidao.db"
