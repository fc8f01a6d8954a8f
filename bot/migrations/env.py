"""Alembic environment, configured from code (bot.db.upgrade) rather than an alembic.ini.

The engine comes in through `config.attributes["engine"]`; with the plain `alembic` command line,
`sqlalchemy.url` (or CHIDAO_DATABASE_URL) is used instead. SQLite runs in batch mode so that ALTERs
become copy-and-move; the same migration scripts run unchanged on PostgreSQL.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Engine

from bot.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def _engine() -> tuple[Engine, bool]:
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine, False
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("CHIDAO_DATABASE_URL")
    if not url:
        raise RuntimeError("no database: set sqlalchemy.url or CHIDAO_DATABASE_URL")
    return make_engine(url), True


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("CHIDAO_DATABASE_URL")
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=bool(url and url.startswith("sqlite")),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine, own = _engine()
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Batch mode rebuilds a table by copy, drop and rename; with foreign keys on, dropping `tasks`
                # would cascade into `reminders` (ON DELETE CASCADE) and delete the outbox. The pragma only
                # takes effect outside a transaction, so it is set before the migration's transaction.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
                if broken:
                    raise RuntimeError(f"migration left rows whose foreign keys point nowhere: {broken[:5]}")
    finally:
        if own:
            engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
