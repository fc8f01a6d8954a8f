"""The import graph of bot/ and index/: every module imports on its own in a fresh interpreter, the
imports between project modules (lazy and type-only ones included) form no cycle, and `chidao worker` starts without the
Telegram handler modules (bot.handlers.*, bot.app)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import db
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "index")


def project_modules() -> dict[str, Path]:
    """Dotted name -> file of every module of bot/ and index/ (Alembic's migration scripts excepted)."""
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the project modules it imports anywhere: at module level, inside functions (lazy imports)
    and under `if TYPE_CHECKING:` (a type-only import still ties the two modules together)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                # `from bot import replies` imports the module bot.replies; `from bot.db import utcnow` bot.db.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            edges.update(t for t in targets if t in modules and t != name)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph (a list of modules, first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b", "c"}, "b": {"c"}, "c": set(), "d": {"d"}}, ["d", "d"]),
    ],
)
def test_find_cycle(graph: dict[str, set[str]], cycle: list[str] | None) -> None:
    assert find_cycle(graph) == cycle


def test_project_imports_form_no_cycle() -> None:
    modules = project_modules()
    graph = import_graph(modules)
    assert {"bot.services", "bot.handlers.common", "bot.app", "index.search"} <= set(graph)
    assert "bot.services" in graph["bot.handlers.common"]  # the parser sees real edges
    assert find_cycle(graph) is None
    # Only the CLI entry that runs the bot (`chidao run`) imports bot.app; only the CLI imports the CLI.
    assert [name for name, edges in graph.items() if "bot.app" in edges] == ["bot.cli.run_cmd"]
    cli_users = {n for n, edges in graph.items() if any(e.startswith("bot.cli") for e in edges)}
    assert {n for n in cli_users if not n.startswith("bot.cli")} == set()
    # index/ never imports Telegram, nor bot/.
    for name, path in modules.items():
        if name.startswith("index"):
            text = path.read_text(encoding="utf-8")
            assert "import telegram" not in text and "from telegram" not in text, name
            assert not any(edge.startswith("bot") for edge in graph[name]), name


# Which modules may import which (docs/ARCHITECTURE.md): a module imports only from its own line or lines above.
LAYERS = [
    ["index"],
    ["bot.units"],
    ["bot.settings", "bot.fit"],
    ["bot.db", "bot.logs", "bot.delivery"],
    ["bot.access"],
    ["bot.tasks", "bot.following"],
    ["bot.replies", "bot.task_replies", "bot.export"],
    ["bot.reminders"],
    ["bot.corpus", "bot.albums"],
    ["bot.uploads", "bot.reindex", "bot.task_import", "bot.trash", "bot.pending"],
    ["bot.services", "bot.ratelimit"],
    ["bot.handlers", "bot.handlers.common"],
    [
        "bot.handlers.ask",
        "bot.handlers.admin",
        "bot.handlers.tasks",
        "bot.handlers.errors",
        "bot.handlers.inbox",
        "bot.handlers.documents",
    ],
    ["bot.handlers.chat"],
    ["bot.reminder_job"],
    ["bot.app"],
    ["bot", "bot.cli", "bot.doctor", "bot.backup", "bot.health"],
]


def layer(module: str) -> int:
    """The line of LAYERS a module is on (a listed name or a module under it; the longest name wins)."""
    found = [(len(name), i) for i, names in enumerate(LAYERS) for name in names
             if module == name or module.startswith(name + ".")]  # fmt: skip
    assert found, f"{module} is on no line of LAYERS: add it"
    return max(found)[1]


def test_modules_import_only_from_the_lines_above() -> None:
    graph = import_graph(project_modules())
    upward = [(m, e) for m, edges in sorted(graph.items()) for e in sorted(edges) if layer(e) > layer(m)]
    assert upward == []
    assert layer("bot.handlers.ask") > layer("bot.handlers.common") > layer("bot.services")  # lines are distinct


def test_each_module_imports_alone() -> None:
    """Each module in its own fresh interpreter: an import order that only works after another module
    was imported first fails here."""
    names = sorted(project_modules())
    code = (
        "import importlib, subprocess, sys\n"
        "failed = []\n"
        "for name in sys.argv[1:]:\n"
        "    r = subprocess.run([sys.executable, '-c', f'import {name}'], capture_output=True, text=True)\n"
        "    if r.returncode:\n"
        "        failed.append((name, r.stderr.strip().splitlines()[-1:]))\n"
        "print(failed)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_worker_starts_without_the_handler_modules(tmp_path: Path, fake_telegram: FakeTelegram) -> None:
    url = f"sqlite:///{tmp_path / 'chidao.db'}"
    db.upgrade(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIDAO_")}
    env.update(
        PYTHONPATH=str(ROOT),
        CHIDAO_DATABASE_URL=url,
        CHIDAO_TELEGRAM_TOKEN=fake_telegram.token,
        CHIDAO_TELEGRAM_API_URL=fake_telegram.api_url,
    )
    probe = (
        "import json, sys\n"
        "from bot.cli import main\n"
        "rc = main(['worker', '--once'])\n"
        "print('MODULES ' + json.dumps({'rc': rc, 'modules': sorted(sys.modules)}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    [line] = [line for line in result.stdout.splitlines() if line.startswith("MODULES ")]
    data = json.loads(line.removeprefix("MODULES "))
    assert data["rc"] == 0, result.stderr
    assert fake_telegram.calls_of("getMe")  # the worker really started against the Bot API
    modules = data["modules"]
    assert "bot.reminders" in modules and "bot.ratelimit" in modules
    assert [m for m in modules if m == "bot.app" or m.startswith("bot.handlers")] == []
    assert "index.search" not in modules and "torch" not in modules
