"""Structured logging: one line per event, `key=value` (logfmt) or JSON, secrets never written.

Set up once at start (`chidao run`, `chidao worker`)::

    setup_logging(settings)            # level from CHIDAO_LOG_LEVEL; logfmt lines on stderr

then report what happened with `log_event`::

    log_event("reminder.sent", chat=-100123, task=42, late=False, ms=131)

which writes one line such as::

    ts=2026-11-27T23:05:46.120Z level=info logger=chidao.event event=reminder.sent chat=-100123 \
        task=42 late=false ms=131

Rules that keep the logs safe to ship to a log collector:

- The bot token and the webhook secret are masked ("***") in every line, whoever logged it: the
  formatter applies the masks registered with `install_log_redaction` (a LogRecord factory, so
  records that reach other handlers are masked too) and masks anything that looks like a bot token as well.
- Message texts: a field named in `TEXT_FIELDS` (text, question, answer) is never written in full.
  At INFO it becomes its length (`text_len=57`); with debug logging on, a short prefix is kept
  (`text="mức lương cơ sở…"`, at most `TEXT_PREFIX` characters). The same prefix rule holds for the texts
  inside other libraries' debug lines (python-telegram-bot logs the updates it processes and the
  parameters and results of every call, texts and captions included): `text='mức lương cơ sở…'`.
- A record's traceback is kept on the same line (newlines escaped), so one event stays one line.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Iterable, Mapping
from typing import IO, Any, Literal

from bot.settings import Settings

EVENT_LOGGER = "chidao.event"
TEXT_FIELDS = frozenset({"text", "question", "answer"})
TEXT_PREFIX = 24
# A text-like value inside a repr or a dict in someone else's log line: text='…', 'caption': "…".
_QUOTED_TEXT = re.compile(
    r"""(?P<key>['"]?\b(?:text|caption|question|answer|quote)\b['"]?\s*[:=]\s*)"""
    r"""(?P<q>['"])(?P<value>(?:\\.|(?!(?P=q)).)*)(?P=q)""",
    re.DOTALL,
)
# A Telegram bot token anywhere in a line (also inside URLs such as .../bot<token>/getMe).
_TOKEN_ANYWHERE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
_BARE = re.compile(r"^[A-Za-z0-9_.:/@+-]+$")

LogFormat = Literal["logfmt", "json"]

_event_log = logging.getLogger(EVENT_LOGGER)

# Libraries that talk a lot at INFO (httpx would log request URLs, which hold the token): WARNING or quieter.
NOISY_LOGGERS = ("httpx", "httpcore", "faiss", "alembic", "sentence_transformers", "apscheduler")


def shorten_quoted_texts(line: str) -> str:
    """Cut every quoted text value in a log line (`text='…'`, `'caption': "…"`) to TEXT_PREFIX characters."""

    def cut(m: re.Match[str]) -> str:
        value = m["value"]
        if len(value) <= TEXT_PREFIX:
            return m.group(0)
        return f"{m['key']}{m['q']}{value[:TEXT_PREFIX]}…{m['q']}"

    return _QUOTED_TEXT.sub(cut, line)


class _Redactor:
    """A LogRecord factory that masks secrets in every record's message, arguments and traceback, and at
    DEBUG cuts the message texts quoted in it (`shorten_quoted_texts`)."""

    def __init__(self, base: Any) -> None:
        self.base = base
        self.secrets: set[str] = set()

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.base(*args, **kwargs)
        if not self.secrets and record.levelno > logging.DEBUG:
            return record
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is the caller's bug; leave the record as is
            return record
        masked = self.mask(message)
        if record.levelno <= logging.DEBUG:
            masked = shorten_quoted_texts(masked)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.mask(logging.Formatter().formatException(record.exc_info))
        return record

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def install_log_redaction(secrets: Iterable[str], level: int = logging.WARNING) -> None:
    """Mask these strings (the bot token, the webhook secret) in every log record from now on, and quiet
    the noisy loggers to `level` (at least WARNING)."""
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _Redactor):
        factory = _Redactor(factory)
        logging.setLogRecordFactory(factory)
    factory.secrets.update(s for s in secrets if s)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, level))


def mask_secrets(text: str) -> str:
    """`text` with registered secrets (install_log_redaction) and bot tokens replaced by ***."""
    factory = logging.getLogRecordFactory()
    mask = getattr(factory, "mask", None)
    if callable(mask):
        text = mask(text)
    return _TOKEN_ANYWHERE.sub("***", text)


def _value(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.3f}".rstrip("0").rstrip(".") if v == v else "nan"
    if isinstance(v, dt.datetime):
        return v.isoformat(timespec="seconds")
    s = str(v)
    if s and _BARE.match(s):
        return s
    return json.dumps(s, ensure_ascii=False)


def logfmt(fields: Mapping[str, object]) -> str:
    """`key=value key2="value with spaces"` on one line (values JSON-quoted when needed)."""
    return " ".join(f"{k}={_value(v)}" for k, v in fields.items())


def shorten_texts(fields: Mapping[str, object], *, debug: bool) -> dict[str, object]:
    """Replace message texts by their length (or, when `debug`, a short prefix)."""
    out: dict[str, object] = {}
    for key, value in fields.items():
        if key in TEXT_FIELDS and isinstance(value, str):
            if debug:
                out[key] = value if len(value) <= TEXT_PREFIX else value[:TEXT_PREFIX] + "…"
            else:
                out[f"{key}_len"] = len(value)
        else:
            out[key] = value
    return out


class EventFormatter(logging.Formatter):
    """One line per record: logfmt or JSON, secrets masked, traceback kept on the line."""

    def __init__(self, fmt: LogFormat = "logfmt") -> None:
        super().__init__()
        self.fmt = fmt

    def fields(self, record: logging.LogRecord) -> dict[str, object]:
        ts = dt.datetime.fromtimestamp(record.created, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        out: dict[str, object] = {"ts": ts, "level": record.levelname.lower(), "logger": record.name}
        event = getattr(record, "chidao_event", None)
        if event is not None:
            out["event"] = event
            out.update(getattr(record, "chidao_fields", {}))
        else:
            out["msg"] = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = record.exc_text
        return out

    def format(self, record: logging.LogRecord) -> str:
        fields = self.fields(record)
        if self.fmt == "json":
            line = json.dumps(fields, ensure_ascii=False, default=str)
        else:
            line = logfmt(fields)
        # logfmt/JSON quoting already escapes newlines inside values; a raw newline cannot remain.
        return mask_secrets(line.replace("\n", "\\n"))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time of the record (as logging.lastResort does)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def setup_logging(
    settings: Settings,
    *,
    fmt: LogFormat | None = None,
    stream: IO[str] | None = None,
    secrets: Iterable[str] = (),
) -> logging.Handler:
    """Route every log record (ours, python-telegram-bot's, SQLAlchemy's) through one EventFormatter
    handler on `stream` (stderr by default) at `settings.log_level`, written as `fmt` (by default
    `settings.log_format`). Registers the token, the webhook secret and `secrets` for masking. Calling it
    again replaces the handler it installed before."""
    root = logging.getLogger()
    for old in list(root.handlers):
        # Ours from an earlier call, and the plain stderr handler of logging.basicConfig (bot.cli.main).
        plain = type(old) is logging.StreamHandler and old.stream in (sys.stderr, sys.stdout)
        if getattr(old, "chidao", False) or plain:
            root.removeHandler(old)
    handler: logging.StreamHandler[Any] = logging.StreamHandler(stream) if stream else _StderrHandler()
    handler.setFormatter(EventFormatter(fmt or settings.log_format))
    handler.chidao = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    level = logging.getLevelName(settings.log_level.upper())
    root.setLevel(level if isinstance(level, int) else logging.INFO)
    install_log_redaction(
        [settings.telegram_token.get_secret_value(), settings.webhook_secret.get_secret_value(), *secrets], root.level
    )
    return handler


def log_event(name: str, /, *, level: int = logging.INFO, **fields: object) -> None:
    """Log one event: `name` (dotted, e.g. "reminder.sent") with its fields, as one line.

    Message texts (fields in TEXT_FIELDS) are cut as described in the module docstring."""
    if not _event_log.isEnabledFor(level):
        return
    debug = _event_log.isEnabledFor(logging.DEBUG)
    shown = shorten_texts(fields, debug=debug)
    _event_log.log(
        level,
        "%s %s",
        name,
        logfmt(shown),
        extra={"chidao_event": name, "chidao_fields": shown},
    )
