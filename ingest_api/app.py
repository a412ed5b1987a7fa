"""The ingest API application: ``create_app()`` for tests and tools, ``app`` for uvicorn.

Run: ``uvicorn ingest_api.app:app --port 8000`` (settings from ``CS_*`` environment variables).
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from carbon_stream.settings import Settings, get_settings
from ingest_api.errors import install_error_handlers
from ingest_api.publisher import EventPublisher, Publisher
from ingest_api.routers import emissions, health, seed

__all__ = ["create_app", "app"]

log = logging.getLogger(__name__)

_DESCRIPTION = """Validates emission events and publishes them to Kafka (topic `emissions.v1`, key `org_id`).
A 202 means Kafka acknowledged the write (acks=all, idempotent producer). Every error — 413, 415, 422,
503 — has the shape `{"detail": [{"loc", "field", "msg", "index"?}]}`; 503 carries `Retry-After`."""


def create_app(settings: Settings | None = None, publisher: Publisher | None = None) -> FastAPI:
    """An app on ``settings`` (default: the environment). A given ``publisher`` is used as is and
    not closed (tests); otherwise the lifespan starts a Kafka publisher and flushes it on shutdown."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if publisher is not None:
            app.state.publisher = publisher
            yield
            return
        kafka_publisher = EventPublisher(settings)
        kafka_publisher.start()
        app.state.publisher = kafka_publisher
        try:
            yield
        finally:
            kafka_publisher.close()

    app = FastAPI(title="Carbon Stream ingest API", version="1.0.0", description=_DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app, settings)
    app.include_router(emissions.build_router(settings))
    app.include_router(seed.router)
    app.include_router(health.router)
    return app


app = create_app()
