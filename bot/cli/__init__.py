"""The `chidao` command line. Each command group lives in its own module with a `register` function."""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import logging
import sys
from collections.abc import Sequence

from bot.settings import SettingsError
from index.errors import ChidaoError, CorpusNotFound, ModelNotFound, NotReady

EXIT_OK = 0
EXIT_FAILURE = 1  # the command ran and failed (a doctor check, a broken eval set, a backup that failed)
EXIT_USAGE = 2  # bad arguments or settings
EXIT_NOT_READY = 3  # something the command needs is not there yet: no index, the database or Telegram
EXIT_INTERRUPTED = 130

EPILOG = f"""exit codes:
  {EXIT_OK}    success
  {EXIT_FAILURE}    failure: the command ran and something failed (e.g. a doctor check)
  {EXIT_USAGE}    usage error: bad arguments or settings (a bad CHIDAO_* value, a refused token)
  {EXIT_NOT_READY}    not ready: no index yet, a damaged index or one of another model, the database
       or Telegram out of reach
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)

settings come from CHIDAO_* environment variables and .env (see .env.example)."""

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


class UsageError(ChidaoError):
    """Bad arguments or settings given on the command line."""


class TelegramUnusable(NotReady):
    """The Bot API could not be reached, or answered something that is not the Bot API (told in one
    line, exit code 3)."""


def exit_code(exc: ChidaoError) -> int:
    """The exit code for an error the commands raise on purpose (see EPILOG)."""
    if isinstance(exc, (UsageError, SettingsError, ModelNotFound, CorpusNotFound)):
        return EXIT_USAGE
    if isinstance(exc, NotReady):
        return EXIT_NOT_READY
    return EXIT_FAILURE


def version() -> str:
    try:
        return importlib.metadata.version("chidao")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chidao",
        description="chidao: quote documents, track deadlines",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"chidao {version()}")
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
        return exit_code(exc)
    except KeyboardInterrupt:
        print("chidao: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
