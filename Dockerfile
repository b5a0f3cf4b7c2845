# syntax=docker/dockerfile:1
# Confab: realtime chat room (Flet web app), built from the lock file.
#   docker build -t confab .
#   docker run -p 8550:8550 -v confab-data:/app/data confab

# --- build: one venv with the locked dependencies (hashes checked) and Confab's wheel
FROM python:3.11-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/confab
WORKDIR /src

# The lock first, so a code change does not invalidate this layer. It holds the
# default install plus the PostgreSQL and Redis drivers (compose.yaml uses both).
COPY requirements-server.txt ./
RUN /opt/confab/bin/pip install --no-cache-dir --require-hashes --no-deps -r requirements-server.txt

# Then Confab itself; --no-deps: everything it needs is already there, as locked.
COPY pyproject.toml README.md ./
COPY chat/ ./chat/
COPY assets/ ./assets/
RUN /opt/confab/bin/pip install --no-cache-dir --no-deps . \
    && /opt/confab/bin/confab --version

# --- runtime: the venv and nothing else; no compiler, no build tools, not root
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/confab/bin:$PATH \
    CHAT_HOST=0.0.0.0 \
    CHAT_DATA_DIR=/app/data \
    FLET_FORCE_WEB_SERVER=1

# Full Noto emoji and CJK fonts: Confab cuts the web client's fallback font slices from them,
# so emoji and CJK text paint without fetching fonts from any other host.
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-color-emoji fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

# Unprivileged runtime user; it owns only the data directory. images/ exists in the
# image so a named volume mounted there (compose.yaml) starts out owned by it too.
RUN groupadd --system --gid 10001 confab \
    && useradd --system --uid 10001 --gid confab --create-home --home-dir /home/confab confab \
    && mkdir -p /app/data/images \
    && chown -R confab:confab /app/data

COPY --from=build /opt/confab /opt/confab
WORKDIR /app

# Numeric, so runtimes that enforce runAsNonRoot can verify it.
USER 10001:10001
VOLUME /app/data
EXPOSE 8550

# /readyz: the store and the bus answer. No curl in the slim image: the standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8550/readyz', timeout=4); sys.exit(0 if r.status == 200 else 1)"]

CMD ["confab", "--host", "0.0.0.0", "--port", "8550"]
