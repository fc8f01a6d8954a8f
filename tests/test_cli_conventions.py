"""The command line's conventions: --version, exit codes that tell a usage error (2) from a failure (1) from
"not ready" (3), documented in --help; secrets that never print."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import EXIT_FAILURE, EXIT_NOT_READY, EXIT_USAGE, main
from bot.settings import load_settings

TOKEN = "123456789:AAF-secret-token-value-0123456789abcdef"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in ("CHIDAO_INDEX_DIR", "CHIDAO_CORPUS_DIR", "CHIDAO_DATABASE_URL", "CHIDAO_TELEGRAM_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("chidao ") and out != "chidao "


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "exit codes:" in out
    for code, word in ((EXIT_FAILURE, "failure"), (EXIT_USAGE, "usage error"), (EXIT_NOT_READY, "not ready")):
        assert f"  {code}    {word}" in out


def test_unknown_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["no-such-command"])
    assert exit_.value.code == EXIT_USAGE


def test_bad_setting_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CHIDAO_REMINDER_TIME", "25:00")
    assert main(["search", "lương"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "CHIDAO_REMINDER_TIME" in err and err.count("\n") == 1


def test_no_index_is_not_ready(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHIDAO_INDEX_DIR", str(tmp_path / "none"))
    assert main(["search", "lương cơ sở"]) == EXIT_NOT_READY
    assert "chidao index build" in capsys.readouterr().err


def test_unreachable_database_is_not_ready(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("CHIDAO_DATABASE_URL", f"sqlite:///{blocker}/sub/chidao.db")
    assert main(["db", "upgrade"]) == EXIT_NOT_READY


def test_a_command_that_fails_is_a_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "eval"
    (bad / "docs").mkdir(parents=True)
    (bad / "questions.jsonl").write_text("{not json\n", encoding="utf-8")
    assert main(["eval", "--eval", str(bad)]) == EXIT_FAILURE
    assert capsys.readouterr().err.startswith("chidao: ")


def test_secrets_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(telegram_token=TOKEN, webhook_secret="hook_secret_42")
    shown = [repr(settings), str(settings), settings.model_dump_json(), json.dumps(settings.model_dump(), default=str)]
    for text in shown:
        assert TOKEN not in text and "hook_secret_42" not in text
    assert settings.telegram_token.get_secret_value() == TOKEN
    assert settings.token_ok()
    # A validation error about another setting does not echo the token either.
    monkeypatch.setenv("CHIDAO_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("CHIDAO_WEBHOOK_PORT", "not a port")
    with pytest.raises(Exception) as caught:
        load_settings()
    assert TOKEN not in str(caught.value)
