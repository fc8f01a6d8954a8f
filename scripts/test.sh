#!/usr/bin/env bash
# The test command (README and CI run exactly this). PostgreSQL tests run when CHIDAO_TEST_PG_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
