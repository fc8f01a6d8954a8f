"""`chidao worker`: the reminder sweeper alone sends each due reminder once through the Bot API."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import db
from bot.cli import main
from bot.cli.worker_cmd import run_worker
from tests.dbfixtures import make_settings
from tests.fake_telegram import FakeTelegram

GROUP = -2002


def _due_task(url: str) -> None:
    """A task of GROUP due in two days, accepted and subscribed ten days ago: its 3-day reminder is due."""
    from bot.reminders import subscribe
    from bot.tasks import add_task

    db.upgrade(url)
    now = dt.datetime.now(dt.UTC)
    long_ago = now - dt.timedelta(days=10)
    today = now.astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    engine = db.make_engine(url)
    with db.make_session_factory(engine)() as s:
        add_task(s, "Nộp báo cáo sơ kết", today + dt.timedelta(days=2), None, 1001, GROUP, now=long_ago)
        subscribe(s, GROUP, 1001, long_ago)
        s.commit()
    engine.dispose()


async def test_one_sweep_sends_each_reminder_once(database_url: str, fake_telegram: FakeTelegram) -> None:
    url = database_url
    _due_task(url)
    settings = make_settings(
        database_url=url, telegram_token=fake_telegram.token, telegram_api_url=fake_telegram.api_url
    )
    assert await run_worker(settings, once=True) == 1
    [call] = fake_telegram.calls_of("sendMessage")
    assert call.params["chat_id"] == GROUP and "Nộp báo cáo sơ kết" in call.params["text"]
    assert call.params["parse_mode"] == "HTML"
    assert await run_worker(settings, once=True) == 0  # already sent: the outbox row is marked
    assert len(fake_telegram.calls_of("sendMessage")) == 1


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_telegram: FakeTelegram, database_url: str
) -> Iterator[str]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("CHIDAO_") and key != "CHIDAO_TEST_PG_URL":
            monkeypatch.delenv(key)
    url = database_url
    monkeypatch.setenv("CHIDAO_DATABASE_URL", url)
    monkeypatch.setenv("CHIDAO_TELEGRAM_TOKEN", fake_telegram.token)
    monkeypatch.setenv("CHIDAO_TELEGRAM_API_URL", fake_telegram.api_url)
    yield url
    root.handlers[:] = handlers  # `chidao worker` set up its logging
    root.setLevel(level)


def test_worker_command(env: str, fake_telegram: FakeTelegram, capsys: Any) -> None:
    _due_task(env)
    assert main(["worker", "--once"]) == 0
    assert len(fake_telegram.calls_of("sendMessage")) == 1
    err = capsys.readouterr().err
    assert "event=reminder.sweep" in err and "sent=1" in err and fake_telegram.token not in err


def test_worker_needs_a_migrated_database(env: str, capsys: Any) -> None:
    assert main(["worker", "--once"]) == 2
    assert "run `chidao db upgrade`" in capsys.readouterr().err


def test_worker_refuses_a_wrong_token(env: str, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    _due_task(env)
    monkeypatch.setenv("CHIDAO_TELEGRAM_TOKEN", "987654321:AAEanotherTokenThatTelegramDoesNotKnow")
    assert main(["worker", "--once"]) == 2
    assert "Telegram refused CHIDAO_TELEGRAM_TOKEN" in capsys.readouterr().err


async def test_rows_claimed_by_a_killed_worker_go_out_at_once(database_url: str, fake_telegram: FakeTelegram) -> None:
    import socket
    import subprocess
    import sys

    from bot.reminders import claim_batch, plan_due

    url = database_url
    _due_task(url)
    settings = make_settings(
        database_url=url, telegram_token=fake_telegram.token, telegram_api_url=fake_telegram.api_url
    )
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    engine = db.make_engine(url)
    with db.make_session_factory(engine)() as s:  # a worker planned and claimed the row, then was killed
        now = dt.datetime.now(dt.UTC)
        assert plan_due(s, now, settings) == 1
        assert len(claim_batch(s, f"{socket.gethostname()}:{dead.pid}", 10, now)) == 1
        s.commit()
    engine.dispose()
    assert await run_worker(settings, once=True) == 1
    assert len(fake_telegram.calls_of("sendMessage")) == 1
