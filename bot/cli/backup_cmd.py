"""`chidao backup DIR` and `chidao restore DIR`: the database and the index, while the bot runs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.backup import backup, restore
from bot.cli.common import settings_or_exit


def register(sub: Any) -> None:
    b = sub.add_parser(
        "backup", help="write a consistent copy of the database and the index into a new directory"
    )
    b.add_argument("directory", type=Path, help="a new (or empty) directory, e.g. backups/2026-11-28")
    b.add_argument(
        "--manifest-only",
        action="store_true",
        help="keep only the index manifest, not its files (smaller; rebuild the index after a restore)",
    )
    b.set_defaults(func=cmd_backup)

    r = sub.add_parser("restore", help="put a backup back (stop the bot first)")
    r.add_argument("directory", type=Path, help="a directory written by `chidao backup`")
    r.add_argument(
        "--force", action="store_true", help="replace a database that holds rows, or an existing index"
    )
    r.add_argument("--no-index", action="store_true", help="restore the database only")
    r.set_defaults(func=cmd_restore)


def cmd_backup(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    summary = backup(
        settings.database_url, settings.index_dir, args.directory, manifest_only=args.manifest_only
    )
    print(summary.line())
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    summary = restore(
        args.directory,
        settings.database_url,
        settings.index_dir,
        force=args.force,
        with_index=not args.no_index,
    )
    rows = ", ".join(f"{t} {n}" for t, n in sorted(summary.rows.items()) if n)
    print(f"restored the {summary.backend} database at revision {summary.revision} ({rows or 'no rows'})")
    if summary.snapshot:
        print(f"restored index snapshot {summary.snapshot} into {settings.index_dir}")
    for note in summary.notes:
        print(f"note: {note}")
    return 0
