#!/usr/bin/env bash
# The floors job: install the oldest versions pyproject.toml allows (scripts/floors.py: every `>=` floor of the
# dependencies and of the postgres, minilm and dev extras, as `==` constraints) into their own venv, then run
# the unit tests there: not the `slow` ones (the real model) and not the bot's end-to-end files. A floor that
# is too low for the code fails here. torch is the exception: the venv gets the CPU build of requirements.lock's
# release, as scripts/install.sh installs it (PyPI has no CPU build of the floor).
#
#   bash scripts/test-floors.sh [pytest args]      # FLOORS_VENV=.venv-floors
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${FLOORS_VENV:-.venv-floors}
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
"$PY" scripts/floors.py postgres minilm dev > "$constraints"
VENV=$VENV CONSTRAINTS=$constraints PYTHON=$PY bash scripts/install.sh
# What was installed is what was asked for (pip would have refused otherwise; this shows it in the log).
"$VENV/bin/python" - "$constraints" <<'PY'
import importlib.metadata as md, re, sys
from packaging.version import Version
wrong = []
for line in open(sys.argv[1]):
    name, floor = line.strip().split("==")
    have = md.version(name)
    if Version(have) != Version(floor):
        wrong.append(f"{name} {have} (floor {floor})")
print("floors: installed", sum(1 for _ in open(sys.argv[1])), "packages at their floors; torch", md.version("torch"))
sys.exit(f"floors: not at the floor: {wrong}" if wrong else 0)
PY
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider -m "not slow" \
  --ignore=tests/test_bot_ask.py --ignore=tests/test_bot_admin.py --ignore=tests/test_bot_tasks.py \
  --ignore=tests/test_bot_crash.py --ignore=tests/test_bot_run.py "$@"
