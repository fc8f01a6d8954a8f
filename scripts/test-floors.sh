#!/usr/bin/env bash
# The floors job: install the oldest versions pyproject.toml allows (scripts/floors.py: every `>=` floor of the
# dependencies and of the postgres, minilm and dev extras, as `==` constraints) into their own venv, then run
# the unit tests there: not the `slow` ones (the real model) and not the bot's end-to-end files. A floor that
# is too low for the code fails here. torch is the exception: the venv gets the CPU build of requirements.lock's
# release, as scripts/install.sh installs it (PyPI has no CPU build of the floor).
#
#   bash scripts/test-floors.sh [pytest args]      # install, then test (FLOORS_VENV=.venv-floors)
#   bash scripts/test-floors.sh install            # only install (.ci/run does it while pass 1 runs)
#   bash scripts/test-floors.sh test [pytest args] # only test
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${FLOORS_VENV:-.venv-floors}
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
step=all
case "${1:-}" in install|test) step=$1; shift ;; esac

install() {
  local constraints
  constraints=$(mktemp)
  "$PY" scripts/floors.py postgres minilm dev > "$constraints"
  VENV=$VENV CONSTRAINTS=$constraints PYTHON=$PY bash scripts/install.sh
  # What was installed is what was asked for (pip would have refused otherwise; this shows it in the log).
  "$VENV/bin/python" - "$constraints" <<'PY'
import importlib.metadata as md, sys
from packaging.version import Version
floors = dict(line.strip().split("==") for line in open(sys.argv[1]))
wrong = [f"{n} {md.version(n)} (floor {v})" for n, v in floors.items() if Version(md.version(n)) != Version(v)]
print(f"floors: {len(floors)} packages installed at their floors; torch {md.version('torch')}")
sys.exit(f"floors: not at the floor: {wrong}" if wrong else 0)
PY
  rm -f "$constraints"
}

[ "$step" = test ] || install
[ "$step" = install ] && exit 0
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider -n "${CHIDAO_TEST_WORKERS:-2}" -m "not slow" \
  --ignore=tests/test_bot_ask.py --ignore=tests/test_bot_admin.py --ignore=tests/test_bot_tasks.py \
  --ignore=tests/test_bot_crash.py --ignore=tests/test_bot_run.py "$@"
