"""OpenAPI descriptions of the request bodies the dependencies read themselves (see dependencies.py):
the event contract with examples, the batch (JSON array or NDJSON), the seed-compatible body."""
from __future__ import annotations

import json
from typing import Any

from carbon_stream.events import EmissionEvent
from carbon_stream.settings import Settings
from ingest_api.schemas import EMISSION_EXAMPLE, ErrorBody, SeedEmissionIn

__all__ = ["event_body", "batch_body", "seed_body", "error_responses"]

_MINIMAL_EXAMPLE = {k: EMISSION_EXAMPLE[k] for k in ("org_id", "occurred_at", "co2e_kg", "scope", "category")}


def _schema(model: type) -> dict[str, Any]:
    return model.model_json_schema()


def event_body() -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": _schema(EmissionEvent),
        "examples": {
            "full": {"summary": "All fields", "value": EMISSION_EXAMPLE},
            "minimal": {"summary": "Required fields only (event_id generated)", "value": _MINIMAL_EXAMPLE},
        },
    }}}}


def batch_body(settings: Settings) -> dict[str, Any]:
    array = {"type": "array", "items": _schema(EmissionEvent), "minItems": 1,
             "maxItems": settings.batch_max_events}
    ndjson_example = "\n".join(json.dumps(event) for event in (EMISSION_EXAMPLE, _MINIMAL_EXAMPLE)) + "\n"
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": array, "example": [EMISSION_EXAMPLE, _MINIMAL_EXAMPLE]},
        "application/x-ndjson": {
            "schema": {"type": "string", "description": "One EmissionEvent JSON object per line"},
            "example": ndjson_example,
        },
    }}}


def seed_body() -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": _schema(SeedEmissionIn), "example": {"organizationId": 1, "value": 100},
    }}}}


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    reasons = {
        413: "Body or event count over the documented limits; nothing published",
        415: "Content-Type not accepted",
        422: "Invalid input: each problem names the field, the reason and (batch) the event's index; "
             "nothing published",
        503: "Kafka did not acknowledge in time; nothing to fix in the request: retry it after Retry-After "
             "seconds with the same event_ids (idempotent)",
    }
    return {code: {"model": ErrorBody, "description": reasons[code]} for code in status_codes}
