"""The ingest API application: ``create_app()`` for tests and tools, ``app`` for uvicorn.

Run: ``python -m ingest_api --port 8000`` (several processes, see ``ingest_api.server``) or
``uvicorn ingest_api.app:app --port 8000`` (one); settings from ``CS_*`` environment variables.
"""
from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from fastapi import FastAPI

from carbon_stream.settings import Settings, get_settings
from ingest_api.errors import install_error_handlers
from ingest_api.publisher import EventPublisher, Publisher
from ingest_api.routers import emissions, health, seed

__all__ = ["GC_GEN0_THRESHOLD", "create_app", "app"]

log = logging.getLogger(__name__)

# A batch keeps ~5 container objects per event alive until Kafka acknowledged it (up to 50,000 for
# 10,000 events). At CPython's default gen-0 threshold (700) the cyclic GC scans them again and again
# while they are built and promoted: measured 1.5 of 7.7 us CPU per event of a whole batch request. At
# 10,000 it is a few scans. They hold no reference cycles, so nothing is freed later than before; other
# cyclic garbage waits for 10,000 allocations instead of 700.
GC_GEN0_THRESHOLD = 10_000

_DESCRIPTION = """Validates emission events and publishes them to Kafka (topic `emissions.v1`, key `org_id`).
A 202 means Kafka acknowledged the write (acks=all, idempotent producer). Every error — 413, 415, 422,
503 — has the shape `{"detail": [{"loc", "field", "msg", "index"?}]}`; 503 carries `Retry-After`."""


@contextmanager
def _gc_threshold(gen0: int) -> Iterator[None]:
    """The cyclic GC's gen-0 threshold while the app runs; the previous thresholds are restored after."""
    previous = gc.get_threshold()
    gc.set_threshold(gen0)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def create_app(settings: Settings | None = None, publisher: Publisher | None = None) -> FastAPI:
    """An app on ``settings`` (default: the environment). A given ``publisher`` is used as is and
    not closed (tests); otherwise the lifespan starts a Kafka publisher and flushes it on shutdown.
    While the app runs, the GC's gen-0 threshold is GC_GEN0_THRESHOLD."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with _gc_threshold(GC_GEN0_THRESHOLD):
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
