"""docs/OPERATIONS.md's settings table and bot.settings.Settings say the same thing: every setting is in
the table, every row is a setting, and every default in the table is the real default."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "OPERATIONS.md"


def settings_table() -> dict[str, dict[str, str]]:
    """Rows of the table under '## Settings': {CHIDAO_NAME: {"default": ..., "example": ..., "what": ...}}."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, dict[str, str]] = {}
    header: list[str] | None = None
    for line in section.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if set(line) <= set("|-: "):
            continue
        assert len(cells) == len(header), f"malformed row: {line}"
        m = re.fullmatch(r"`(CHIDAO_[A-Z0-9_]+)`", cells[0])
        assert m, f"first cell is not a `CHIDAO_` setting: {cells[0]}"
        assert m.group(1) not in rows, f"{m.group(1)} twice"
        rows[m.group(1)] = dict(zip(header[1:], cells[1:], strict=True))
    assert header == ["setting", "default", "example", "what it does"]
    return rows


def _unquote(cell: str) -> str:
    """`value` -> value; (empty) -> ""."""
    if cell == "(empty)":
        return ""
    m = re.fullmatch(r"`([^`]*)`", cell)
    assert m, f"a default must be `code` or (empty): {cell!r}"
    return m.group(1)


def _default(name: str) -> Any:
    info = Settings.model_fields[name]
    return info.default_factory() if info.default_factory is not None else info.default  # type: ignore[call-arg]


def test_every_setting_is_documented_and_nothing_else() -> None:
    documented = set(settings_table())
    in_code = {f"CHIDAO_{name.upper()}" for name in Settings.model_fields}
    assert documented - in_code == set(), "documented but not a setting"
    assert in_code - documented == set(), "settings missing from docs/OPERATIONS.md"


@pytest.mark.parametrize("key", sorted(f"CHIDAO_{n.upper()}" for n in Settings.model_fields))
def test_documented_default_is_the_default(key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    row = settings_table().get(key)
    if row is None:
        pytest.fail(f"{key} is not in the table")
    name = key.removeprefix("CHIDAO_").lower()
    monkeypatch.setenv(key, _unquote(row["default"]))
    parsed = getattr(Settings(_env_file=None), name)  # type: ignore[call-arg]
    assert parsed == _default(name), f"{key}: the table says {row['default']}, the code says {_default(name)!r}"
    assert row["example"] and row["what it does"], f"{key}: example and description must not be empty"


def test_examples_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every example that is a plain value is accepted by the settings (no typos in the docs)."""
    for key, row in settings_table().items():
        m = re.fullmatch(r"`([^`…]*)`", row["example"])
        if m is None:
            continue  # an example with an ellipsis (the token) is not a literal
        monkeypatch.setenv(key, m.group(1))
    Settings(_env_file=None)  # type: ignore[call-arg]


# ------------------------------------------------------------------------------ commands in the docs

_INVOCATION = re.compile(r"(?:^|\.venv/bin/|exec (?:-T )?bot |run --rm bot |&& )chidao ([a-z][a-z-]*)([^`|;&#]*)")


def _code(text: str) -> list[str]:
    """Lines of fenced code blocks and the contents of inline code spans."""
    out: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            out.append(line.strip())
        else:
            out.extend(re.findall(r"`([^`]+)`", line))
    return out


def test_commands_in_the_docs_exist() -> None:
    """Every `chidao COMMAND --option` shown in OPERATIONS.md is accepted by the command line."""
    from bot.cli import build_parser

    parser = build_parser()
    [sub] = [a for a in parser._actions if a.dest == "command"]
    commands: dict[str, Any] = sub.choices  # type: ignore[assignment]
    seen = set()
    for snippet in _code(DOC.read_text(encoding="utf-8")):
        for m in _INVOCATION.finditer(snippet):
            name, rest = m.group(1), m.group(2)
            assert name in commands, f"`chidao {name}` is not a command: {snippet}"
            seen.add(name)
            options = {s for a in commands[name]._actions for s in a.option_strings}
            for sub_parser in (a for a in commands[name]._actions if a.choices and isinstance(a.choices, dict)):
                for p in sub_parser.choices.values():
                    options |= {s for a in p._actions for s in a.option_strings}
            for word in rest.split():
                if word.startswith("--"):
                    assert word.split("=")[0] in options, f"`chidao {name}` has no {word}: {snippet}"
    assert {"run", "doctor", "backup", "restore", "db-copy", "worker", "db"} <= seen
