#!/usr/bin/env bash
# One command for a newcomer: install, build the index of the shipped corpus, then either start the
# bot (when CHIDAO_TELEGRAM_TOKEN is set, in the environment or .env) or answer a sample question.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/chidao index build
if [ -n "${CHIDAO_TELEGRAM_TOKEN:-}" ] || grep -qs '^CHIDAO_TELEGRAM_TOKEN=.\+' .env; then
  exec .venv/bin/chidao run
fi
.venv/bin/chidao search "${1:-hướng dẫn tiền lương theo NQ 27 thế nào}"
