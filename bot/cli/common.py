"""Helpers shared by the command modules: settings with clear errors."""

from __future__ import annotations

from pydantic import ValidationError

from bot.settings import Settings, SettingsError, load_settings


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"CHIDAO_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"bad settings: {problems}") from None
