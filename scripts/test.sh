#!/usr/bin/env bash
# The test command (README and CI run exactly this). PostgreSQL tests run when CHIDAO_TEST_PG_URL is set.
# CHIDAO_TEST_DATABASE=postgres puts the shared bot fixtures on PostgreSQL too; .ci/run then selects
# those tests with `-m shared_db`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
