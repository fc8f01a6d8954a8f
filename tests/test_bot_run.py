"""`chidao run`: one-line start-up errors, the index built when missing, and webhook mode end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import build_application
from bot.cli import main
from bot.cli.run_cmd import open_index
from bot.settings import load_settings, webhook_options
from tests.conftest import ADMIN_ID, TINY_CORPUS, free_port
from tests.fake_telegram import FakeTelegram
from tests.fakes import HashEncoder

GOOD_TOKEN = "123456789:AAEfakeTokenForTestsOnly_abcdefghijkl"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for key in ("TELEGRAM_TOKEN", "WEBHOOK_URL", "WEBHOOK_SECRET", "EMBEDDING_MODEL"):
        monkeypatch.delenv(f"CHIDAO_{key}", raising=False)
    monkeypatch.setenv("CHIDAO_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("CHIDAO_CORPUS_DIR", str(tmp_path / "corpus"))
    monkeypatch.setenv("CHIDAO_DATABASE_URL", database_url)
    return tmp_path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    err = capsys.readouterr().err
    return code, err


@pytest.mark.parametrize(
    ("token", "fragment"),
    [
        ("", "CHIDAO_TELEGRAM_TOKEN is not set"),
        ("not-a-token", "does not look like a bot token"),
        ("12345:short", "does not look like a bot token"),
    ],
)
def test_bad_token_is_one_line(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, token: str, fragment: str
) -> None:
    monkeypatch.setenv("CHIDAO_TELEGRAM_TOKEN", token)
    code, err = _run(["run"], capsys)
    assert code == 2 and fragment in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_index_is_one_line(env: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("CHIDAO_TELEGRAM_TOKEN", GOOD_TOKEN)
    code, err = _run(["run", "--no-build"], capsys)
    assert code == 3 and "no index in" in err and err.count("\n") == 1


def test_index_of_another_model_is_one_line(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, tiny_index: Path
) -> None:
    monkeypatch.setenv("CHIDAO_TELEGRAM_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("CHIDAO_INDEX_DIR", str(tiny_index))
    code, err = _run(["run"], capsys)
    assert code == 3 and "was built with model 'test-hash-encoder'" in err and err.count("\n") == 1


def test_webhook_without_url_is_one_line(env: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("CHIDAO_TELEGRAM_TOKEN", GOOD_TOKEN)
    code, err = _run(["run", "--webhook"], capsys)
    assert code == 2 and "CHIDAO_WEBHOOK_URL" in err and err.count("\n") == 1


def test_missing_index_is_built_on_start(env: Path, capsys: Any) -> None:
    corpus = env / "corpus"
    corpus.mkdir()
    for name, text in TINY_CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = load_settings(embedding_model=HashEncoder.name)
    handle = open_index(settings, build_missing=True, encoder_factory=HashEncoder)
    assert len(handle.searcher.documents()) == len(TINY_CORPUS)
    err = capsys.readouterr().err
    assert "no index in" in err and "chidao: reading" in err and "5 added" in err
    # Next start: the index is there, nothing is built.
    open_index(settings, build_missing=True, encoder_factory=HashEncoder)
    assert capsys.readouterr().err == ""


def test_webhook_options() -> None:
    s = load_settings(webhook_url="https://bot.example.org/tg/hook", webhook_secret="s3cret_-X", webhook_port=8443)
    assert webhook_options(s) == {
        "listen": "0.0.0.0",
        "port": 8443,
        "url_path": "tg/hook",
        "webhook_url": "https://bot.example.org/tg/hook",
        "secret_token": "s3cret_-X",
    }
    bare = webhook_options(load_settings(webhook_url="https://bot.example.org", webhook_secret=""))
    assert bare["url_path"] == "telegram" and bare["webhook_url"] == "https://bot.example.org/telegram"
    assert len(bare["secret_token"]) >= 32  # a random secret for this run
    from bot.settings import SettingsError

    with pytest.raises(SettingsError, match="https"):
        webhook_options(load_settings(webhook_url="http://bot.example.org"))
    with pytest.raises(SettingsError, match="letters, digits"):
        webhook_options(load_settings(webhook_url="https://x.org", webhook_secret="bad secret!"))


async def test_webhook_mode_checks_the_secret(
    fake_telegram: FakeTelegram, webhook_settings: Any, index_handle: Any, bot_sessions: Any
) -> None:
    settings = webhook_settings
    options = webhook_options(settings)
    application = build_application(settings, index_handle, sessions=bot_sessions)
    update = {
        "update_id": 77,
        "message": {
            "message_id": 1,
            "date": 1700000000,
            "chat": {"id": ADMIN_ID, "type": "private", "first_name": "A"},
            "from": {"id": ADMIN_ID, "is_bot": False, "first_name": "A"},
            "text": "mức lương cơ sở",
        },
    }
    local = f"http://127.0.0.1:{options['port']}/{options['url_path']}"
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_webhook(**options)
        try:
            assert fake_telegram.webhook_url == "https://bot.example.org/hook"
            [set_call] = fake_telegram.calls_of("setWebhook")
            assert set_call.params["secret_token"] == "right_secret"
            async with httpx.AsyncClient() as client:
                body = json.dumps(update)
                headers = {"Content-Type": "application/json"}
                wrong = await client.post(
                    local, content=body, headers=headers | {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
                )
                missing = await client.post(local, content=body, headers=headers)
                assert wrong.status_code == 403 and missing.status_code == 403
                ok = await client.post(
                    local, content=body, headers=headers | {"X-Telegram-Bot-Api-Secret-Token": "right_secret"}
                )
                assert ok.status_code == 200
            [call] = await fake_telegram.await_for("sendMessage", timeout=10)
            assert call.params["chat_id"] == ADMIN_ID and "2.340.000" in call.params["text"]
        finally:
            await application.updater.stop()
            await application.stop()
    assert len(fake_telegram.calls_of("sendMessage")) == 1


def test_refused_token_is_one_line(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, tiny_index: Path, fake_telegram: FakeTelegram
) -> None:
    monkeypatch.setenv("CHIDAO_TELEGRAM_TOKEN", "987654321:AAEanotherTokenTelegramDoesNotKnowXYZ")
    monkeypatch.setenv("CHIDAO_TELEGRAM_API_URL", fake_telegram.api_url)
    monkeypatch.setenv("CHIDAO_INDEX_DIR", str(tiny_index))
    monkeypatch.setenv("CHIDAO_EMBEDDING_MODEL", HashEncoder.name)
    code, err = _run(["run"], capsys)
    assert code == 2 and "Telegram refused CHIDAO_TELEGRAM_TOKEN" in err and err.count("\n") == 1
    assert "987654321:AAE" not in err


def test_unreachable_telegram_is_one_line(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, tiny_index: Path
) -> None:
    monkeypatch.setenv("CHIDAO_TELEGRAM_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("CHIDAO_TELEGRAM_API_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("CHIDAO_INDEX_DIR", str(tiny_index))
    monkeypatch.setenv("CHIDAO_EMBEDDING_MODEL", HashEncoder.name)
    code, err = _run(["run"], capsys)
    assert code == 3 and "cannot reach Telegram at http://127.0.0.1:" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("fault", "fragment"),
    [
        ("garbage", "is unusable: Invalid server response"),
        ("not-ok", "answered something unusable"),
        ("not-a-bot", "answered getMe without a bot's username"),
        ("500", "Internal Server Error"),
    ],
)
def test_unusable_bot_api_is_one_line(
    env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    tiny_index: Path,
    fake_telegram: FakeTelegram,
    fault: str,
    fragment: str,
) -> None:
    """A server whose getMe answer is not the Bot API's (an HTML page, JSON without "ok", a user that is
    not a bot, an error): one line and exit code 3, no traceback."""
    fake_telegram.inject("getMe", fault, 10)
    monkeypatch.setenv("CHIDAO_TELEGRAM_TOKEN", fake_telegram.token)
    monkeypatch.setenv("CHIDAO_TELEGRAM_API_URL", fake_telegram.api_url)
    monkeypatch.setenv("CHIDAO_INDEX_DIR", str(tiny_index))
    monkeypatch.setenv("CHIDAO_EMBEDDING_MODEL", HashEncoder.name)
    code, err = _run(["run"], capsys)
    assert code == 3, err
    assert err.count("\n") == 1 and "Traceback" not in err and fragment in err, err
    assert err.startswith("chidao: ") and fake_telegram.api_url in err
    assert fake_telegram.calls_of("getMe", status=None)
