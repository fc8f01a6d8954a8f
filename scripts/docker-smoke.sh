#!/usr/bin/env bash
# Build the image and try it as its users do (needs a Docker engine; minutes, so not part of .ci/run):
#
#   1. build: `docker build` where the official base images can be pulled, else through
#      ../shared/tools/offline-docker.sh (base images made from Debian packages, CPU torch from local disk);
#   2. as the image's user (uid 10001), with a fresh data volume: `chidao doctor` loads the model,
#      `chidao index build`, `chidao search`, and `chidao doctor` again loads the index;
#   3. with compose and PostgreSQL 15 (compose.yaml, in a scratch copy with its own .env): `chidao db upgrade`,
#      `chidao doctor --quick` (the health check), `chidao backup`.
#
#   bash scripts/docker-smoke.sh            # SMOKE_TAG=chidao:smoke, SMOKE_KEEP=1 keeps the volumes
#
# Exits non-zero at the first step that fails; everything it made (containers, volumes, the scratch folder)
# is removed at the end unless SMOKE_KEEP=1. The image is kept (`docker image rm chidao:smoke`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TAG=${SMOKE_TAG:-chidao:smoke}
OFFLINE=../shared/tools/offline-docker.sh
PROJECT=chidao-smoke-$$
VOLUME=$PROJECT-data
WORK=$(mktemp -d)
step() { printf '\n== %s\n' "$*"; }
cleanup() {
  if [ "${SMOKE_KEEP:-}" != 1 ]; then
    [ -f "$WORK/compose.yaml" ] && (cd "$WORK" && compose down -v --remove-orphans >/dev/null 2>&1) || true
    docker volume rm -f "$VOLUME" >/dev/null 2>&1 || true
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

# --------------------------------------------------------------------------------------------- build
step "build $TAG"
if timeout 60 docker pull -q python:3.11-slim-bookworm >/dev/null 2>&1; then
  docker build -t "$TAG" .
elif [ -f "$OFFLINE" ]; then
  echo "(official base images cannot be pulled: building through $OFFLINE)"
  bash "$OFFLINE" build . "$TAG"
  eval "$(bash "$OFFLINE" env)"   # the compose plugin it installed
else
  echo "docker-smoke: cannot pull python:3.11-slim-bookworm and $OFFLINE is not there" >&2
  exit 1
fi
docker image ls "$TAG"

# ------------------------------------------------------------------------------ as the image's user
run() { docker run --rm -v "$VOLUME:/srv/chidao/data" "$TAG" "$@"; }
# `chidao doctor --json` without a token or a Telegram server: the listed checks must pass.
doctor_ok() {
  local out; out=$(run chidao doctor --json || true)
  printf '%s\n' "$out" | python3 -c '
import json, sys
results = {r["name"]: r for r in json.load(sys.stdin)}
for r in results.values():
    print(("✓" if r["ok"] else "✗" if r["ok"] is False else "–"), r["name"] + ":", r["detail"])
missing = [n for n in sys.argv[1:] if not (results.get(n) or {}).get("ok")]
sys.exit(f"docker-smoke: doctor checks not passing: {missing}" if missing else 0)
' "$@"
}

step "the image's user"
uid=$(run id -u)
echo "uid $uid"
[ "$uid" = 10001 ] || { echo "docker-smoke: the image runs as uid $uid, not 10001" >&2; exit 1; }

step "chidao doctor (no index yet): the model loads"
doctor_ok settings model ocr corpus

step "chidao index build"
run chidao index build

step "chidao search"
answer=$(run chidao search "nghị quyết 27 về tiền lương")
printf '%s\n' "$answer" | head -20
printf '%s\n' "$answer" | grep -q "27" || { echo "docker-smoke: the answer quotes nothing about NQ 27" >&2; exit 1; }

step "chidao doctor: the model and the index load"
doctor_ok settings model index search corpus freshness

# ------------------------------------------------------------------------------ compose + PostgreSQL
step "compose with PostgreSQL 15"
docker compose version >/dev/null 2>&1 || { echo "docker-smoke: no docker compose plugin" >&2; exit 1; }
cp compose.yaml "$WORK/"
cp -r corpus "$WORK/corpus"
chown -R 10001:10001 "$WORK/corpus" 2>/dev/null || chmod -R a+rX "$WORK/corpus"
cat > "$WORK/.env" <<ENV
POSTGRES_PASSWORD=smoke$$pw
CHIDAO_TELEGRAM_TOKEN=123456789:AAEfakeTokenForTheSmokeTestOnly_abcd
CHIDAO_ADMIN_IDS=1001
ENV
# The image just built, not a build of its own (compose.yaml names chidao:latest).
cat > "$WORK/compose.smoke.yaml" <<YAML
services:
  bot:
    image: $TAG
YAML
compose() { docker compose -p "$PROJECT" -f compose.yaml -f compose.smoke.yaml "$@"; }
cd "$WORK"
compose up -d --wait db
step "chidao db upgrade"
compose run --rm --no-deps bot chidao db upgrade
step "chidao index build (the health check wants an index)"
compose run --rm --no-deps bot chidao index build
step "chidao doctor --quick (the HEALTHCHECK)"
compose run --rm --no-deps bot chidao doctor --quick
step "chidao backup"
compose run --rm --no-deps bot chidao backup /srv/chidao/data/backups/smoke
compose run --rm --no-deps bot python -c '
import json
b = json.load(open("/srv/chidao/data/backups/smoke/backup.json"))
print({k: b[k] for k in b if k != "sha256"})
'
compose run --rm --no-deps bot ls -l /srv/chidao/data/backups/smoke
cd "$ROOT"
step "docker-smoke: all green ($TAG, $(docker image ls --format '{{.Size}}' "$TAG"))"
