"""Shared fixtures. Other test modules may add plugins with a `pytest_plugins` line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fake_telegram import FakeTelegram


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A fake Bot API server on 127.0.0.1; point settings.telegram_api_url at `fake_telegram.api_url`."""
    with FakeTelegram() as fake:
        yield fake
