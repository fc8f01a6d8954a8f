"""`chidao db ...`: create or upgrade the database schema, show its revision."""

from __future__ import annotations

import argparse

from sqlalchemy.exc import SQLAlchemyError

from bot import db
from bot.cli.common import settings_or_exit


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("db", help="database schema: upgrade, current revision")
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION")
    actions.required = True

    up = actions.add_parser("upgrade", help="create the tables or migrate them to the newest revision")
    up.add_argument("revision", nargs="?", default="head", help="target revision (default: head)")
    up.set_defaults(func=_upgrade)

    cur = actions.add_parser("current", help="show the revision the database is at")
    cur.set_defaults(func=_current)


def _reason(exc: SQLAlchemyError | OSError) -> str:
    """The first line of the driver's message, without SQLAlchemy's background link."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__


def _upgrade(args: argparse.Namespace) -> int:
    url = settings_or_exit().database_url
    try:
        before = db.current_revision(url)
        db.upgrade(url, args.revision)
        after = db.current_revision(url)
    except (SQLAlchemyError, OSError) as exc:
        raise db.DatabaseError(f"cannot upgrade {db.safe_url(url)}: {_reason(exc)}") from None
    if before == after:
        print(f"database {db.safe_url(url)} already at revision {after}")
    else:
        print(f"database {db.safe_url(url)} upgraded: {before or 'empty'} -> {after}")
    return 0


def _current(args: argparse.Namespace) -> int:
    url = settings_or_exit().database_url
    try:
        rev = db.current_revision(url)
    except (SQLAlchemyError, OSError) as exc:
        raise db.DatabaseError(f"cannot read {db.safe_url(url)}: {_reason(exc)}") from None
    head = db.head_revision()
    state = "up to date" if rev == head else f"needs upgrade to {head}"
    print(f"{db.safe_url(url)}: revision {rev or 'none (empty database)'} ({state})")
    return 0 if rev == head else 1
