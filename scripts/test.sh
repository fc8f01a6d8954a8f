#!/usr/bin/env bash
# The test command (README and CI run exactly this). PostgreSQL tests run when CHIDAO_TEST_PG_URL is set.
# CHIDAO_TEST_DATABASE=postgres puts the shared bot fixtures on PostgreSQL too; .ci/run then selects
# those tests with `-m shared_db`. The tests run on CHIDAO_TEST_WORKERS processes (pytest-xdist; default 2,
# the cores of our machines; 0 runs them in this process, as `pytest -p no:xdist` would).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest -q -p no:cacheprovider -n "${CHIDAO_TEST_WORKERS:-2}" "$@"
