"""Database fixtures: every DB test runs on SQLite and, when CHIDAO_TEST_PG_URL is set, on PostgreSQL
(a fresh database per test, created through that URL and dropped afterwards).

Use with `pytest_plugins = ["tests.dbfixtures"]` in a test module.

The shared bot fixtures of tests/conftest.py (`database_url`, and through it `bot_settings`,
`bot_sessions`, `bot`) are not parametrized: they use one backend, chosen for the whole run by
CHIDAO_TEST_DATABASE ("sqlite", the default, or "postgres": a fresh PostgreSQL database per test through
CHIDAO_TEST_PG_URL). .ci/run runs the tests that use them a second time with CHIDAO_TEST_DATABASE=postgres.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from bot.db import make_engine, make_session_factory, normalise_url, upgrade
from bot.settings import Settings

PG_URL_ENV = "CHIDAO_TEST_PG_URL"
SHARED_DB_ENV = "CHIDAO_TEST_DATABASE"
SHARED_BACKENDS = ("sqlite", "postgres")
# Read once at import: some tests clear every CHIDAO_* variable before the database fixture runs.
SHARED_BACKEND = (os.environ.get(SHARED_DB_ENV) or "sqlite").strip().lower()

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def pg_admin_url() -> str | None:
    return os.environ.get(PG_URL_ENV) or None


def create_pg_database(admin_url: str) -> tuple[str, str]:
    """Create an empty database next to the one `admin_url` names; returns (name, url)."""
    name = f"chidao_t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    url = normalise_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return name, url


def drop_pg_database(admin_url: str, name: str) -> None:
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def check_shared_backend() -> str | None:
    """Why the CHIDAO_TEST_DATABASE setting cannot work (None when it can)."""
    if SHARED_BACKEND not in SHARED_BACKENDS:
        return f"{SHARED_DB_ENV}={SHARED_BACKEND!r}: expected one of {', '.join(SHARED_BACKENDS)}"
    if SHARED_BACKEND == "postgres" and pg_admin_url() is None:
        return f"{SHARED_DB_ENV}=postgres needs {PG_URL_ENV} (the URL of a database to create others from)"
    return None


@contextlib.contextmanager
def shared_database(directory: Path) -> Iterator[str]:
    """URL of an empty database (no tables) on the CHIDAO_TEST_DATABASE backend: a SQLite file in
    `directory`, or a fresh PostgreSQL database dropped on exit."""
    if SHARED_BACKEND != "postgres":
        yield f"sqlite:///{directory / 'chidao.db'}"
        return
    admin = pg_admin_url()
    assert admin is not None, check_shared_backend()  # conftest stops the run before this
    name, url = create_pg_database(admin)
    try:
        yield url
    finally:
        drop_pg_database(admin, name)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of an empty database (no tables)."""
    if request.param == "sqlite":
        # A nested directory that does not exist yet: make_engine must create it.
        yield f"sqlite:///{tmp_path_factory.mktemp('db')}/sub/chidao.db"
        return
    admin = pg_admin_url()
    if admin is None:
        pytest.skip(f"{PG_URL_ENV} not set")
    name, url = create_pg_database(admin)
    try:
        yield url
    finally:
        drop_pg_database(admin, name)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """An empty PostgreSQL database only (for tests that need real row locks)."""
    admin = pg_admin_url()
    if admin is None:
        pytest.skip(f"{PG_URL_ENV} not set")
    name, url = create_pg_database(admin)
    try:
        yield url
    finally:
        drop_pg_database(admin, name)


@pytest.fixture
def migrated_url(db_url: str) -> str:
    upgrade(db_url)
    return db_url


@pytest.fixture
def engine(migrated_url: str) -> Iterator[Engine]:
    eng = make_engine(migrated_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as s:
        yield s


class Clock:
    """An injected clock: `clock()` is now (aware UTC); move it with `set` or `advance`."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, now: dt.datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


VN = dt.timezone(dt.timedelta(hours=7))  # Asia/Ho_Chi_Minh has no DST: a fixed +07:00 for building times


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A Vietnam local wall-clock time as an aware UTC datetime: vn(2026, 12, 10, 8, 0)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN).astimezone(dt.UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(vn(2026, 12, 1, 9, 0))


def make_settings(**overrides: object) -> Settings:
    """Settings independent of the environment and any .env file."""
    values: dict[str, Any] = {
        "reminder_days": [7, 3, 1, 0],
        "reminder_time": dt.time(8, 0),
        "timezone": "Asia/Ho_Chi_Minh",
        "database_url": "sqlite:///unused.db",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
