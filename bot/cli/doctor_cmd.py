"""`chidao doctor`: check the settings, database, index, corpus and Telegram; one line per check."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.cli.common import settings_or_exit
from bot.doctor import DEFAULT_TIMEOUT, LOAD_BUDGET, failed, run_checks


def register(sub: Any) -> None:
    p = sub.add_parser(
        "doctor",
        help="check settings, database, index, corpus and Telegram; exit 1 when something is wrong",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="settings, database and index only: no corpus hashing, no network (the container health check)",
    )
    p.add_argument(
        "--no-index", action="store_true", help="skip the index, model and corpus checks (a reminder worker)"
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds per network check (default {DEFAULT_TIMEOUT:g})",
    )
    p.add_argument(
        "--load-budget",
        type=float,
        default=LOAD_BUDGET,
        help=f"seconds for loading the embedding model, and again the index (default {LOAD_BUDGET:g})",
    )
    p.set_defaults(func=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    checks = run_checks(
        settings_or_exit,
        quick=args.quick,
        index=not args.no_index,
        timeout=args.timeout,
        load_budget=args.load_budget,
    )
    if args.json:
        print(json.dumps([c.as_dict() for c in checks], ensure_ascii=False, indent=1))
    else:
        for check in checks:
            print(check.line(), flush=True)
    return 1 if failed(checks) else 0
