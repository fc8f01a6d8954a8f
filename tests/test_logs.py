"""bot.logs: one line per event, secrets masked whoever logs them, message texts cut."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import TEXT_PREFIX, log_event, logfmt, setup_logging
from tests.dbfixtures import make_settings

TOKEN = "123456789:AAEfakeTokenForTestsOnly_abcdefghijkl"
QUESTION = "mức lương cơ sở từ ngày 01/7/2024 là bao nhiêu đối với cán bộ xã"


@pytest.fixture
def capture(request: pytest.FixtureRequest) -> Iterator[tuple[io.StringIO, str]]:
    level, fmt = request.param
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.level
    settings = make_settings(telegram_token=TOKEN, webhook_secret="hook_secret_42", log_level=level)
    handler = setup_logging(settings, fmt=fmt, stream=stream)
    try:
        yield stream, fmt
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)


@pytest.mark.parametrize("capture", [("INFO", "logfmt")], indirect=True)
def test_event_is_one_logfmt_line(capture: tuple[io.StringIO, str]) -> None:
    stream, _ = capture
    log_event("answer", chat=-100200, hits=3, ms=41.5, answered=True, question=QUESTION, note="hai từ")
    [line] = stream.getvalue().splitlines()
    assert " level=info logger=chidao.event event=answer chat=-100200 hits=3 ms=41.5 answered=true " in line
    assert f"question_len={len(QUESTION)}" in line and "lương" not in line
    assert line.endswith('note="hai từ"')


@pytest.mark.parametrize("capture", [("DEBUG", "logfmt")], indirect=True)
def test_debug_keeps_a_short_prefix_only(capture: tuple[io.StringIO, str]) -> None:
    stream, _ = capture
    log_event("update.handled", update_id=7, text=QUESTION)
    line = stream.getvalue()
    assert f'text="{QUESTION[:TEXT_PREFIX]}…"' in line and QUESTION[TEXT_PREFIX:] not in line


@pytest.mark.parametrize("capture", [("INFO", "logfmt"), ("INFO", "json")], indirect=True)
def test_secrets_never_written(capture: tuple[io.StringIO, str]) -> None:
    stream, fmt = capture
    logging.getLogger("telegram.ext.Updater").warning("POST https://api.telegram.org/bot%s/getMe failed", TOKEN)
    logging.getLogger("some.lib").error("secret was hook_secret_42 and another bot 555555:%s", "x" * 35)
    try:
        raise RuntimeError(f"boom at https://api.telegram.org/bot{TOKEN}/sendMessage\nsecond line")
    except RuntimeError:
        logging.getLogger("bot.app").exception("error while handling update %s", 9)
    log_event("reminder.failed", reminder=5, error=f"url .../bot{TOKEN}/x")
    out = stream.getvalue()
    lines = out.splitlines()
    assert len(lines) == 4  # the traceback stays on its record's line
    assert TOKEN not in out and TOKEN.split(":")[1] not in out and "hook_secret_42" not in out
    assert "x" * 35 not in out
    if fmt == "json":
        records = [json.loads(line) for line in lines]
        assert records[2]["msg"] == "error while handling update 9"
        assert "RuntimeError: boom at https://api.telegram.org/bot***/sendMessage" in records[2]["exc"]
        assert records[3]["event"] == "reminder.failed" and records[3]["reminder"] == 5
    else:
        assert "exc=" in lines[2] and "\\nsecond line" in lines[2]


@pytest.mark.parametrize("capture", [("WARNING", "logfmt")], indirect=True)
def test_level_filters_events(capture: tuple[io.StringIO, str]) -> None:
    stream, _ = capture
    log_event("reindex", added=1)
    log_event("reminder.late", level=logging.WARNING, reminder=3, late_minutes=95)
    [line] = stream.getvalue().splitlines()
    assert "event=reminder.late reminder=3 late_minutes=95" in line


def test_logfmt_quoting() -> None:
    assert logfmt({"a": None, "b": 'say "hi"', "c": "x=y", "d": 1.0}) == 'a=null b="say \\"hi\\"" c="x=y" d=1'


def test_log_format_setting_selects_json() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.level
    handler = setup_logging(make_settings(log_format="json"), stream=stream)
    try:
        log_event("answer", chat=1, hits=2)
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)
    line = stream.getvalue().strip().splitlines()[-1]
    assert json.loads(line)["event"] == "answer"
