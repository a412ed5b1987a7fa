"""Response bodies, the seed-compatible request body and the one error shape of the ingest API.

The request contract of ``/v1/emissions`` is :class:`carbon_stream.events.EmissionEvent` itself.
"""
from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

__all__ = [
    "EMISSION_EXAMPLE", "SEED_DEFAULT_SCOPE", "EmissionAccepted", "BatchAccepted", "SeedEmissionIn",
    "SeedEmissionCreated", "ErrorItem", "ErrorBody", "KafkaHealth", "Health",
]

EMISSION_EXAMPLE: dict[str, Any] = {
    "event_id": "6f1c2a7e-3b0d-4a8e-9c51-2f4b7d9e8a10",
    "org_id": "acme-gmbh",
    "occurred_at": "2026-11-23T09:00:00+01:00",
    "co2e_kg": 12.5,
    "scope": 2,
    "category": "purchased_electricity",
    "source": "meter-42",
    "attributes": {"site": "berlin-1"},
}

# The older system had no scope. Its values land in scope 1 (direct emissions) unless the client says
# otherwise: nothing in that data marks them as indirect, and category "unspecified" flags them for
# reclassification. See ingest_api/README.md "Seed compatibility".
SEED_DEFAULT_SCOPE = 1


class EmissionAccepted(BaseModel):
    event_id: uuid.UUID = Field(description="The event's id (generated when the request had none)")
    status: Literal["accepted"] = "accepted"


class BatchAccepted(BaseModel):
    event_ids: list[uuid.UUID] = Field(description="One id per event, in request order (generated ones included)")
    count: int = Field(description="Number of events acknowledged by Kafka")
    status: Literal["accepted"] = "accepted"


class SeedEmissionIn(BaseModel):
    """Body of the older system's ``POST /emissions``: ``value`` in kg CO2e, received now."""

    model_config = ConfigDict(extra="ignore")

    organizationId: StrictInt | str = Field(description="Organisation id (stored as the string org_id)")
    value: Any = Field(description="kg CO2e: finite number >= 0")
    scope: StrictInt = Field(SEED_DEFAULT_SCOPE, ge=1, le=3, description="Optional GHG scope; default 1")


class SeedEmissionCreated(BaseModel):
    """What the older system answered: the stored emission."""

    id: uuid.UUID = Field(description="event_id of the published event")
    organizationId: StrictInt | str
    value: float = Field(description="kg CO2e, as stored (6 decimals)")
    timestamp: str = Field(description="Receive time, used as occurred_at: UTC RFC 3339 with milliseconds")


class ErrorItem(BaseModel):
    """One problem: where (``loc``), which field, why; ``index`` is the event's position in a batch."""

    loc: list[str | int] = Field(description='Path of the problem, e.g. ["body", 3, "co2e_kg"]')
    field: str | None = Field(description="Offending field (or body, content-type); null for server-side errors")
    msg: str = Field(description="Reason, in words")
    index: int | None = Field(None, description="0-based position of the event in a batch")


class ErrorBody(BaseModel):
    """Every 4xx and 503 answer of the ingest API has this shape."""

    detail: list[ErrorItem]
    event_ids: list[uuid.UUID] | None = Field(
        None,
        description="503 only: the ids of the events not (all) acknowledged. Retry with these ids so an "
        "event Kafka did store is not counted twice.",
    )


class KafkaHealth(BaseModel):
    connected: bool
    brokers: int = Field(0, description="Brokers in the cluster metadata")
    topic: str
    topic_partitions: int = Field(0, description="Partitions of the topic; 0 when it does not exist")
    error: str | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    kafka: KafkaHealth
