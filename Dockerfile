# Confab: realtime chat room (Flet web app).
#   docker build -t confab .
#   docker run -p 8550:8550 -v confab-data:/app/data confab
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so code changes do not invalidate this layer.
COPY requirements.txt ./
RUN pip install -r requirements.txt

# Unprivileged runtime user; it owns only the data directory.
RUN groupadd --system --gid 10001 confab \
    && useradd --system --uid 10001 --gid confab --create-home --home-dir /home/confab confab \
    && mkdir -p /app/data \
    && chown confab:confab /app/data

COPY chat/ ./chat/
COPY assets/ ./assets/
COPY main.py ./

ENV CHAT_HOST=0.0.0.0 \
    CHAT_DATA_DIR=/app/data \
    FLET_FORCE_WEB_SERVER=1

# Numeric, so runtimes that enforce runAsNonRoot can verify it.
USER 10001:10001
VOLUME /app/data
EXPOSE 8550

# No curl in the slim image: probe with the standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8550/healthz', timeout=4); sys.exit(0 if r.status == 200 else 1)"]

CMD ["python", "main.py", "--host", "0.0.0.0", "--port", "8550"]
