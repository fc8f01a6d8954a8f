"""The `chidao` command line. Each command group lives in its own module with a `register` function."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from index.errors import ChidaoError

# Modules under bot.cli that register sub-commands, in the order they appear in --help.
COMMAND_MODULES = [
    "index_cmd",
    "search_cmd",
    "eval_cmd",
    "db_cmd",
    "run_cmd",
    "tasks_cmd",
    "doctor_cmd",
    "backup_cmd",
    "dbcopy_cmd",
    "worker_cmd",
]


# Exit codes (docs/OPERATIONS.md, "Exit codes"): 0 done; 1 a check failed (`chidao doctor`); 2 bad
# settings, arguments or state found at start (a refused token included); 3 the Telegram Bot API could
# not be reached or answered something unusable; 130 interrupted.
EXIT_ERROR = 2
EXIT_TELEGRAM = 3


class UsageError(ChidaoError):
    """Bad arguments or settings given on the command line."""

    exit_code = EXIT_ERROR


class TelegramUnusable(UsageError):
    """The Bot API could not be reached, or answered something that is not the Bot API (told in one
    line, exit code 3)."""

    exit_code = EXIT_TELEGRAM


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chidao", description="chidao: quote documents, track deadlines")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"bot.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        return int(args.func(args) or 0)
    except ChidaoError as exc:
        print(f"chidao: {exc}", file=sys.stderr)
        return int(getattr(exc, "exit_code", EXIT_ERROR))
    except KeyboardInterrupt:
        print("chidao: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
