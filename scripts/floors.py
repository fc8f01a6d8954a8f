"""Print a pip constraints file of the floors in pyproject.toml: `name==X` for every `name>=X` among the
dependencies and the given extras. scripts/test-floors.sh installs with it, so the floors are the versions
tested, not a guess.

    python scripts/floors.py postgres dev > floors.txt

torch is left out: its floor cannot be installed as the CPU build from PyPI; the job keeps the CPU build
that scripts/install.sh puts in first.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEFT_OUT = {"torch"}


def floors(extras: list[str]) -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    out: dict[str, str] = {}
    for requirement in requirements:
        m = re.fullmatch(r"([A-Za-z0-9._-]+)(\[[^\]]*\])?\s*>=\s*([^,;\s]+)\s*(;.*)?", requirement.strip())
        if m is None:
            raise SystemExit(f"floors: {requirement!r} has no `>=` floor")
        name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
        if name not in LEFT_OUT:
            out[name] = m.group(3)
    return out


if __name__ == "__main__":
    for name, version in sorted(floors(sys.argv[1:]).items()):
        print(f"{name}=={version}")
