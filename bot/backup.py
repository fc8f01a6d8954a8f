"""Backups of the database and the index, their restore, and copying a database to another server.

A backup is a directory::

    backup.json           what is in it: time, chidao version, database backend and revision, row counts,
                          index snapshot and model, sha256 of every file below
    chidao.db             SQLite: a consistent copy made with SQLite's online backup API
    chidao.pgdump         PostgreSQL: `pg_dump --format=custom` (restore with pg_restore)
    index/CURRENT         the name of the live index snapshot
    index/snapshots/<name>/...   that snapshot's files (only manifest.json with `manifest_only`)

Backups are taken while the bot runs: SQLite's backup API copies a consistent state even while another
connection writes (WAL mode), and pg_dump works inside one repeatable-read transaction. Index snapshots
are immutable once published, so copying the live one needs no lock.

`restore` puts a backup back (SQLite natively; PostgreSQL through pg_restore). It refuses to overwrite a
database that holds rows, or an existing index, unless `force` is given. `copy_database` copies every
table, in dependency order, from one database URL to another (e.g. SQLite to PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata as metadata
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from bot import db
from index.errors import ChidaoError

FORMAT = 1
MANIFEST = "backup.json"
SQLITE_FILE = "chidao.db"
PG_FILE = "chidao.pgdump"
COPY_BATCH = 1000


class BackupError(ChidaoError):
    """A backup, restore or copy cannot be done; the message says why and what to do."""


@dataclass
class BackupSummary:
    directory: Path
    backend: str
    revision: str | None
    rows: dict[str, int]
    snapshot: str | None = None
    index_files: int = 0
    bytes: int = 0

    def line(self) -> str:
        total = sum(self.rows.values())
        index = f"index snapshot {self.snapshot} ({self.index_files} files)" if self.snapshot else "no index"
        return (
            f"backup in {self.directory}: {self.backend} database at revision {self.revision or 'none'} "
            f"({total} rows in {len(self.rows)} tables), {index}; {self.bytes / 1e6:.1f} MB"
        )


@dataclass
class RestoreSummary:
    backend: str
    revision: str | None
    rows: dict[str, int]
    snapshot: str | None = None
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- helpers


def _sqlite_path(url: str | URL) -> Path | None:
    """The file of a SQLite URL; None for another backend. In-memory databases cannot be backed up."""
    u = db.normalise_url(url)
    if u.get_backend_name() != "sqlite":
        return None
    name = u.database or ""
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError(f"{db.safe_url(url)} is not a database file")
    return Path(name).expanduser()


def _sha256(path: Path) -> str:
    from index.documents import file_hash

    return file_hash(path)


def _version() -> str:
    try:
        return metadata.version("chidao")
    except metadata.PackageNotFoundError:
        return "unknown"


def _user_tables(engine: Engine) -> list[str]:
    from sqlalchemy import inspect

    return sorted(t for t in inspect(engine).get_table_names() if t != "alembic_version")


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table (every table but alembic_version)."""
    from sqlalchemy import column, table

    out: dict[str, int] = {}
    with engine.connect() as conn:
        for name in _user_tables(engine):
            out[name] = int(
                conn.execute(select(func.count()).select_from(table(name, column("x")))).scalar_one()
            )
    return out


def _revision_and_rows(url: str) -> tuple[str | None, dict[str, int]]:
    """The schema revision of the database at `url` and its rows per table."""
    engine = db.make_engine(url, poolclass=NullPool)
    try:
        return db.current_revision(engine), row_counts(engine)
    finally:
        engine.dispose()


def _empty_dir(path: Path) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BackupError(
            f"{path} exists and is not an empty directory: give a new one (e.g. backups/$(date +%F))"
        )
    path.mkdir(parents=True, exist_ok=True)


# ----------------------------------------------------------------------------------------------- backup


def _backup_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of `source` in `target` with SQLite's online backup API, checked, one file."""
    if not source.is_file():
        raise BackupError(f"database file {source} does not exist")
    src = sqlite3.connect(source, timeout=db.SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
            result = dst.execute("PRAGMA integrity_check").fetchone()
            if not result or result[0] != "ok":
                raise BackupError(f"the copy of {source} fails SQLite's integrity check: {result}")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot back up {source}: {exc}") from None
    finally:
        src.close()


def _pg_conninfo(url: str | URL) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries the password."""
    u = db.normalise_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    plain = u.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, env


def _run_pg_tool(tool: str, args: list[str], url: str | URL) -> None:
    exe = shutil.which(tool)
    if exe is None:
        raise BackupError(
            f"{tool} not found: install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client, the same major version as the server or newer)"
        )
    conninfo, env = _pg_conninfo(url)
    proc = subprocess.run([exe, *args, f"--dbname={conninfo}"], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        message = " ".join(proc.stderr.split())[-500:] or f"exit code {proc.returncode}"
        raise BackupError(f"{tool} failed for {db.safe_url(url)}: {message}")


def _copy_index(index_dir: Path, target: Path, manifest_only: bool) -> tuple[str | None, int]:
    from index.store import current_snapshot

    try:
        snap = current_snapshot(index_dir)
    except ChidaoError:
        return None, 0
    out = target / "snapshots" / snap.name
    out.mkdir(parents=True)
    count = 0
    for path in sorted(snap.rglob("*")):
        if path.is_file() and (not manifest_only or path.name == "manifest.json"):
            rel = path.relative_to(snap)
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, out / rel)
            count += 1
    (target / "CURRENT").write_text(snap.name, encoding="utf-8")
    return snap.name, count


def backup(
    database_url: str, index_dir: Path, directory: Path, *, manifest_only: bool = False
) -> BackupSummary:
    """Write a backup of the database and the live index snapshot into the new directory `directory`."""
    _empty_dir(directory)
    try:
        path = _sqlite_path(database_url)
        if path is not None:
            _backup_sqlite(path, directory / SQLITE_FILE)
            revision, rows = _revision_and_rows(f"sqlite:///{directory / SQLITE_FILE}")
            backend = "sqlite"
        else:
            backend = db.normalise_url(database_url).get_backend_name()
            if backend != "postgresql":
                raise BackupError(f"backups of {backend} databases are not supported")
            _run_pg_tool(
                "pg_dump",
                ["--format=custom", "--no-owner", "--no-privileges", f"--file={directory / PG_FILE}"],
                database_url,
            )
            revision, rows = _revision_and_rows(database_url)
        snapshot, index_files = _copy_index(index_dir, directory / "index", manifest_only)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)  # never leave a half backup that looks complete
        raise
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    model = None
    if snapshot:
        manifest = json.loads(
            (directory / "index" / "snapshots" / snapshot / "manifest.json").read_text("utf-8")
        )
        model = manifest.get("model")
    info = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "chidao_version": _version(),
        "database": {
            "backend": backend,
            "file": SQLITE_FILE if backend == "sqlite" else PG_FILE,
            "revision": revision,
            "rows": rows,
        },
        "index": {"snapshot": snapshot, "model": model, "manifest_only": manifest_only} if snapshot else None,
        "sha256": {p.relative_to(directory).as_posix(): _sha256(p) for p in files},
    }
    (directory / MANIFEST).write_text(json.dumps(info, indent=1, ensure_ascii=False), encoding="utf-8")
    return BackupSummary(
        directory=directory,
        backend=backend,
        revision=revision,
        rows=rows,
        snapshot=snapshot,
        index_files=index_files,
        bytes=sum(p.stat().st_size for p in files),
    )


# ---------------------------------------------------------------------------------------------- restore


def read_backup(directory: Path) -> dict[str, Any]:
    """backup.json of `directory`, with every listed file checked against its sha256."""
    try:
        info: dict[str, Any] = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{directory} is not a chidao backup ({MANIFEST}: {exc})") from None
    if info.get("format") != FORMAT:
        raise BackupError(f"{directory}: backup format {info.get('format')}, this chidao reads {FORMAT}")
    for rel, digest in info.get("sha256", {}).items():
        path = directory / rel
        if not path.is_file():
            raise BackupError(f"{directory}: {rel} is missing")
        if _sha256(path) != digest:
            raise BackupError(f"{directory}: {rel} is damaged (its sha256 does not match {MANIFEST})")
    return info


def database_rows(url: str) -> int:
    """Rows in all tables of the database at `url` (0 for a missing SQLite file or an empty database)."""
    path = _sqlite_path(url)
    if path is not None and not path.is_file():
        return 0
    engine = db.make_engine(url, poolclass=NullPool)
    try:
        return sum(row_counts(engine).values())
    except SQLAlchemyError as exc:
        raise BackupError(f"cannot read {db.safe_url(url)}: {exc.__class__.__name__}: {exc}") from None
    finally:
        engine.dispose()


def restore(
    directory: Path, database_url: str, index_dir: Path, *, force: bool = False, with_index: bool = True
) -> RestoreSummary:
    """Put the backup in `directory` back. Stop the bot (and any worker) first.

    Refuses, before changing anything, when the database holds rows or (with `with_index`) an index
    exists, unless `force`."""
    info = read_backup(directory)
    kind = info["database"]["backend"]
    path = _sqlite_path(database_url)
    target = "sqlite" if path is not None else db.normalise_url(database_url).get_backend_name()
    if target != kind:
        raise BackupError(
            f"the backup holds a {kind} database and CHIDAO_DATABASE_URL is {target}: "
            "restore into the same kind, then use `chidao db-copy` to move between them"
        )
    present = database_rows(database_url)
    if present and not force:
        raise BackupError(
            f"{db.safe_url(database_url)} is not empty ({present} rows): stop the bot, then restore "
            "with --force to replace it (take a backup of it first)"
        )
    snapshot = (info.get("index") or {}).get("snapshot") if with_index else None
    restore_index = snapshot is not None and not (info.get("index") or {}).get("manifest_only")
    if restore_index and (index_dir / "CURRENT").exists() and not force:
        raise BackupError(f"an index exists in {index_dir}: restore with --force, or with --no-index")

    notes: list[str] = []
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            src = sqlite3.connect(directory / SQLITE_FILE)
            dst = sqlite3.connect(path, timeout=db.SQLITE_BUSY_TIMEOUT_MS / 1000)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=WAL")
            finally:
                dst.close()
                src.close()
        except sqlite3.Error as exc:
            raise BackupError(f"cannot restore into {path}: {exc}") from None
    else:
        _run_pg_tool(
            "pg_restore",
            [
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                str(directory / PG_FILE),
            ],
            database_url,
        )
    if snapshot is not None and not restore_index:
        notes.append("the backup holds only the index manifest: run `chidao index build`")
    if restore_index and snapshot is not None:
        _restore_snapshot(directory / "index" / "snapshots" / snapshot, index_dir)
    revision, rows = _revision_and_rows(database_url)
    if revision != db.head_revision():
        notes.append(
            f"the database is at revision {revision}: `chidao run` (or `chidao db upgrade`) migrates it"
        )
    return RestoreSummary(kind, revision, rows, snapshot if restore_index else None, notes)


def _restore_snapshot(source: Path, index_dir: Path) -> None:
    """Copy the snapshot beside any existing ones and switch CURRENT to it atomically."""
    snapshots = index_dir / "snapshots"
    snapshots.mkdir(parents=True, exist_ok=True)
    final = snapshots / source.name
    if not final.exists():
        tmp = Path(tempfile.mkdtemp(prefix=".restoring-", dir=snapshots))
        shutil.copytree(source, tmp, dirs_exist_ok=True)
        os.rename(tmp, final)
    pointer = index_dir / f".CURRENT.{os.getpid()}"
    pointer.write_text(source.name, encoding="utf-8")
    os.replace(pointer, index_dir / "CURRENT")


# ------------------------------------------------------------------------------------------------- copy


def copy_database(
    src_url: str,
    dst_url: str,
    *,
    force: bool = False,
    batch: int = COPY_BATCH,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Copy every table from `src_url` to `dst_url` (created or migrated to head first), parents before
    children, in one transaction on the destination; returns rows per table, checked on both sides.

    The source must be at the head revision and should not be written meanwhile (stop the bot). The
    destination must hold no rows, unless `force` (its rows are deleted first)."""
    src = db.make_engine(src_url, poolclass=NullPool)
    dst = db.make_engine(dst_url, poolclass=NullPool)
    try:
        try:
            src_rev = db.current_revision(src)
        except SQLAlchemyError as exc:
            raise BackupError(f"cannot read {db.safe_url(src_url)}: {exc.__class__.__name__}") from None
        head = db.head_revision()
        if src_rev != head:
            raise BackupError(
                f"the source {db.safe_url(src_url)} is at revision {src_rev or 'none'}, not {head}: "
                "upgrade it first (CHIDAO_DATABASE_URL=<source> chidao db upgrade)"
            )
        tables = db.Base.metadata.sorted_tables
        unknown = set(_user_tables(src)) - {t.name for t in tables}
        if unknown:
            raise BackupError(
                f"the source has tables this version does not know: {', '.join(sorted(unknown))}"
            )
        try:
            db.upgrade(dst)
        except SQLAlchemyError as exc:
            raise BackupError(
                f"cannot migrate {db.safe_url(dst_url)}: {exc.__class__.__name__}: {exc}"
            ) from None
        present = sum(row_counts(dst).values())
        if present and not force:
            raise BackupError(
                f"the destination {db.safe_url(dst_url)} holds {present} rows: use --force to replace them"
            )
        copied: dict[str, int] = {}
        with dst.begin() as out, src.connect() as inp:
            for table in reversed(tables):
                out.execute(table.delete())
            for table in tables:
                n = 0
                result = inp.execution_options(yield_per=batch).execute(select(table))
                for part in result.mappings().partitions(batch):
                    out.execute(table.insert(), [dict(r) for r in part])
                    n += len(part)
                copied[table.name] = n
                if progress:
                    progress(table.name, n)
            if dst.dialect.name == "postgresql":
                _reset_sequences(out, tables)
        counts = row_counts(dst)
        wrong = {t: (n, counts.get(t)) for t, n in copied.items() if counts.get(t) != n}
        if wrong:
            raise BackupError(f"row counts differ after the copy: {wrong}")
        return copied
    finally:
        src.dispose()
        dst.dispose()


def _reset_sequences(conn: Any, tables: list[Any]) -> None:
    """After inserting explicit ids, move each serial sequence past the largest id."""
    for table in tables:
        if len(table.primary_key.columns) != 1:
            continue
        [col] = table.primary_key.columns
        seq = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": col.name}
        ).scalar()
        if seq:  # None for keys without a sequence (chat ids, update ids)
            top = f'SELECT COALESCE(MAX("{col.name}"), 0) + 1 FROM "{table.name}"'
            conn.execute(text(f"SELECT setval(:s, ({top}), false)"), {"s": seq})
