"""`chidao db-copy SRC_URL DST_URL`: copy every table to another database (e.g. SQLite to PostgreSQL)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.backup import copy_database
from bot.db import safe_url


def register(sub: Any) -> None:
    p = sub.add_parser(
        "db-copy",
        help="copy all tables from one database URL to another (stop the bot first)",
        description="Copy every table, parents before children, in one transaction on the destination. "
        "The destination is created or migrated first and must be empty (or use --force).",
    )
    p.add_argument("src", metavar="SRC_URL", help="e.g. sqlite:///data/chidao.db")
    p.add_argument("dst", metavar="DST_URL", help="e.g. postgresql://chidao:PASSWORD@localhost/chidao")
    p.add_argument("--force", action="store_true", help="delete the rows the destination already holds")
    p.set_defaults(func=cmd_db_copy)


def cmd_db_copy(args: argparse.Namespace) -> int:
    def progress(table: str, rows: int) -> None:
        print(f"chidao: {table}: {rows} rows", file=sys.stderr, flush=True)

    copied = copy_database(args.src, args.dst, force=args.force, progress=progress)
    print(
        f"copied {sum(copied.values())} rows in {len(copied)} tables "
        f"from {safe_url(args.src)} to {safe_url(args.dst)}"
    )
    return 0
