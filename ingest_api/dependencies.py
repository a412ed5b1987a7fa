"""FastAPI dependencies: settings, the publisher, and request bodies read and validated *before* any
route touches Kafka (so 413/415/422 never need a broker).

Bodies are read here rather than by FastAPI's body parsing, to enforce the byte limits while reading
(``Content-Length`` first, then the bytes actually received), to answer 415 for a wrong content type
and 422 (never 400) for malformed JSON or bad UTF-8.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Annotated

from fastapi import Depends, Request

from carbon_stream.events import EmissionEvent
from carbon_stream.settings import Settings
from ingest_api.errors import InputRejected, body_rejected
from ingest_api.publisher import Publisher, ValidatedEvent
from ingest_api.schemas import ErrorItem, SeedEmissionIn
from ingest_api.validation import parse_event, parse_json_batch, parse_ndjson_batch, parse_seed

__all__ = [
    "EVENT_MAX_BYTES", "JSON", "NDJSON", "SettingsDep", "PublisherDep", "NewEvent", "NewBatch", "NewSeedEmission",
]

EVENT_MAX_BYTES = 64 * 1024  # one event is < 10 kB even with 20 attributes
JSON = "application/json"
NDJSON = "application/x-ndjson"

# Dependencies are async and read app.state: FastAPI would run sync ones in a thread pool per request.
async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (``create_app(settings)``; default ``get_settings()``)."""
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_publisher(request: Request) -> Publisher:
    return request.app.state.publisher


PublisherDep = Annotated[Publisher, Depends(get_publisher)]


def _media_type(request: Request, accepted: tuple[str, ...]) -> str:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in accepted:
        msg = f"Content-Type must be {' or '.join(accepted)}, got {media_type or 'none'}"
        raise InputRejected(415, [ErrorItem(loc=["header", "content-type"], field="content-type", msg=msg)])
    return media_type


def _too_large(max_bytes: int) -> InputRejected:
    return body_rejected(413, f"body is larger than {max_bytes} bytes (split the batch)")


async def _read_body(request: Request, max_bytes: int) -> bytes:
    """The body, refused with 413 as soon as Content-Length or the bytes received exceed max_bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def read_event(request: Request, settings: SettingsDep) -> ValidatedEvent:
    _media_type(request, (JSON,))
    return parse_event(await _read_body(request, EVENT_MAX_BYTES), _now(), settings)


async def read_batch(request: Request, settings: SettingsDep) -> Sequence[ValidatedEvent]:
    media_type = _media_type(request, (JSON, NDJSON))
    body = await _read_body(request, settings.batch_max_bytes)
    parse = parse_ndjson_batch if media_type == NDJSON else parse_json_batch
    return parse(body, _now(), settings)


async def read_seed_emission(request: Request) -> tuple[SeedEmissionIn, EmissionEvent]:
    _media_type(request, (JSON,))
    return parse_seed(await _read_body(request, EVENT_MAX_BYTES), _now())


NewEvent = Annotated[ValidatedEvent, Depends(read_event)]
NewBatch = Annotated[Sequence[ValidatedEvent], Depends(read_batch)]
NewSeedEmission = Annotated[tuple[SeedEmissionIn, EmissionEvent], Depends(read_seed_emission)]
