"""One JSON error shape for every 4xx and 503: ``{"detail": [{"loc", "field", "msg", "index"?}]}``.

Bad input is never a 5xx: malformed JSON is 422, a wrong content type 415, a body over the limits 413.
Kafka not acknowledging in time is 503 with ``Retry-After`` (the client retries; events are idempotent
by ``event_id``).
"""
from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from carbon_stream.settings import Settings
from ingest_api.publisher import KafkaUnavailable
from ingest_api.schemas import ErrorBody, ErrorItem

__all__ = ["InputRejected", "body_rejected", "error_items", "install_error_handlers"]

log = logging.getLogger(__name__)

_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


class InputRejected(Exception):
    """The request is refused before anything is published (413, 415 or 422)."""

    def __init__(self, status_code: int, problems: list[ErrorItem]) -> None:
        super().__init__(f"{status_code}: {problems}")
        self.status_code = status_code
        self.problems = problems


def body_rejected(status_code: int, msg: str) -> InputRejected:
    """The whole body is refused (413 or 422): one problem on field ``body``."""
    return InputRejected(status_code, [ErrorItem(loc=["body"], field="body", msg=msg)])


def _reason(error: Mapping[str, Any]) -> str:
    msg = str(error["msg"])
    for prefix in _PYDANTIC_PREFIXES:
        msg = msg.removeprefix(prefix)
    return msg


def error_items(
    errors: Iterable[Mapping[str, Any]], *, prefix: tuple[str | int, ...] = ("body",), index: int | None = None
) -> list[ErrorItem]:
    """Pydantic errors → error items; ``field`` is the top-level field the problem is in."""
    items = []
    for error in errors:
        loc = tuple(error["loc"])
        field = next((part for part in loc if isinstance(part, str)), "body")
        items.append(ErrorItem(loc=[*prefix, *loc], field=field, msg=_reason(error), index=index))
    return items


def _error_response(status_code: int, body: ErrorBody, headers: dict[str, str] | None = None) -> JSONResponse:
    """``index`` and ``event_ids`` appear only when they apply; ``field`` is always present."""
    content: dict[str, Any] = {
        "detail": [item.model_dump(mode="json", exclude={"index"} if item.index is None else None)
                   for item in body.detail]
    }
    if body.event_ids is not None:
        content["event_ids"] = [str(event_id) for event_id in body.event_ids]
    return JSONResponse(content, status_code=status_code, headers=headers)


def _fastapi_validation_errors(errors: Iterable[Mapping[str, Any]]) -> list[ErrorItem]:
    """Errors of parameters FastAPI validates itself (query, path, header): locs start with their kind."""
    items = []
    for error in errors:
        loc = list(error["loc"])
        field = next((part for part in loc[1:] if isinstance(part, str)), loc[0] if loc else "body")
        items.append(ErrorItem(loc=loc, field=str(field), msg=_reason(error)))
    return items


def install_error_handlers(app: FastAPI, settings: Settings) -> None:
    retry_after_s = str(max(1, math.ceil(settings.kafka_send_timeout_s)))

    async def on_input_rejected(request: Request, exc: InputRejected) -> JSONResponse:
        return _error_response(exc.status_code, ErrorBody(detail=exc.problems))

    async def on_request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error_response(422, ErrorBody(detail=_fastapi_validation_errors(exc.errors())))

    async def on_http_exception(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        item = ErrorItem(loc=[], field=None, msg=str(exc.detail))
        return _error_response(exc.status_code, ErrorBody(detail=[item]), headers=getattr(exc, "headers", None))

    async def on_kafka_unavailable(request: Request, exc: KafkaUnavailable) -> JSONResponse:
        log.warning("503 for %s %s: %s", request.method, request.url.path, exc)
        msg = (
            f"Kafka is unavailable: {exc}. Retry the whole request after {retry_after_s} s with the same "
            "event_ids (listed in event_ids): events are idempotent by event_id, so a retry never counts "
            "an event twice."
        )
        body = ErrorBody(detail=[ErrorItem(loc=["kafka"], field=None, msg=msg)], event_ids=exc.event_ids)
        return _error_response(503, body, headers={"Retry-After": retry_after_s})

    app.add_exception_handler(InputRejected, on_input_rejected)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    app.add_exception_handler(KafkaUnavailable, on_kafka_unavailable)
