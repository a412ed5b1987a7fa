# Image of the ingest-api, read-api and producer services (one image, three commands).
# Installed exactly like the local .venv (`make venv`), so both run the same pinned versions.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app TZ=UTC
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the pins change, not on every code edit.
COPY requirements.in requirements.lock ./
RUN pip install -r requirements.in -c requirements.lock
# .dockerignore admits only the packages and files the images need.
COPY . .
RUN useradd --system --uid 10001 carbon
USER carbon
