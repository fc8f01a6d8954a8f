"""The error handler, end to end: a handler that fails apologises to the person once, logs the traceback
and tells the admins, at most once per kind of error in a period."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot import replies
from bot.app import build_application
from bot.handlers.errors import NOTIFY_EVERY, admin_notice, error_kind
from tests.conftest import ADMIN_ID, ALLOWED_GROUP
from tests.fake_telegram import FakeTelegram, parse_html, running_application
from tests.fakes import HashEncoder


class FailingEncoder(HashEncoder):
    """Encodes passages, fails on questions: every question reaches the error handler."""

    def embed(self, texts: Sequence[str], *, kind: str = "passage", batch_size: int = 32,
              progress: Callable[[int], None] | None = None) -> np.ndarray:  # fmt: skip
        if kind == "query":
            raise RuntimeError("encoder <down> & out")
        return super().embed(texts, kind=kind, batch_size=batch_size, progress=progress)


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def _raise(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:  # noqa: BLE001 - we want the traceback attached
        return caught


def test_admin_notice_is_escaped_and_fits() -> None:
    error = _raise(ValueError("<b>x</b> & " + "y" * 10_000))
    text = admin_notice(error, 42)
    assert "&lt;b&gt;x&lt;/b&gt; &amp;" in text and "<b>x</b>" not in text
    assert len(parse_html(text).encode("utf-16-le")) // 2 <= 4096
    assert "cập nhật 42" in text


def test_error_kind_is_type_and_place() -> None:
    a, b = _raise(ValueError("a")), _raise(ValueError("b"))
    assert error_kind(a) == error_kind(b)  # same place, other message: the same kind
    assert error_kind(_raise(KeyError("a"))) != error_kind(a)


@pytest.mark.shared_db
async def test_failing_handler_apologises_and_tells_admins_once(
    fake_telegram: FakeTelegram, bot_settings: Any, tiny_index: Path, bot_sessions: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    from index.search import IndexHandle

    index = IndexHandle(tiny_index, HashEncoder.name, encoder_factory=FailingEncoder)
    clock = Clock()
    application = build_application(bot_settings, index, sessions=bot_sessions, clock=clock)
    caplog.set_level(logging.ERROR)
    async with running_application(application):
        user = 5550001
        fake_telegram.feed_message(ALLOWED_GROUP, "/hoi lương cơ sở", user_id=user, chat_type="group")
        await fake_telegram.await_for("sendMessage", lambda c: c.params.get("chat_id") == ADMIN_ID, timeout=10)
        await fake_telegram.await_for("sendMessage", lambda c: c.params.get("chat_id") == ALLOWED_GROUP, timeout=10)
        # A second failure of the same kind soon after: an apology again, no second notice.
        fake_telegram.feed_message(ALLOWED_GROUP, "/hoi phụ cấp", user_id=user, chat_type="group")
        await fake_telegram.await_for(
            "sendMessage", lambda c: c.params.get("chat_id") == ALLOWED_GROUP, count=2, timeout=10
        )
        # After the period, the admins hear of it again.
        clock.now += NOTIFY_EVERY + dt.timedelta(seconds=1)
        fake_telegram.feed_message(ALLOWED_GROUP, "/hoi biên chế", user_id=user, chat_type="group")
        await fake_telegram.await_for("sendMessage", lambda c: c.params.get("chat_id") == ADMIN_ID, count=2,
                                      timeout=10)  # fmt: skip
        await fake_telegram.await_for(
            "sendMessage", lambda c: c.params.get("chat_id") == ALLOWED_GROUP, count=3, timeout=10
        )
    group = fake_telegram.sent_messages(ALLOWED_GROUP)
    assert [m["text"] for m in group] == [replies.SORRY] * 3
    notices = fake_telegram.sent_messages(ADMIN_ID)
    assert len(notices) == 2
    assert "RuntimeError" in notices[0]["text"] and "encoder <down> & out" in notices[0]["text"]
    logged = [r for r in caplog.records if r.getMessage().startswith("error while handling update")]
    assert len(logged) == 3 and all(r.exc_info for r in logged)
