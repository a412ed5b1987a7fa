"""``/v1/emissions``: one event or a batch, answered 202 only after Kafka acknowledged every event.

Built by a factory so the documented batch limits are the limits of the running settings.
"""
from __future__ import annotations

from fastapi import APIRouter, status

from carbon_stream.settings import Settings
from ingest_api.dependencies import NewBatch, NewEvent, PublisherDep
from ingest_api.openapi import batch_body, error_responses, event_body
from ingest_api.schemas import BatchAccepted, EmissionAccepted

__all__ = ["build_router"]

_BATCH_DESCRIPTION = """At most {max_events} events and {max_bytes} bytes (413 beyond; settings
`CS_BATCH_MAX_EVENTS`, `CS_BATCH_MAX_BYTES`). Body: a JSON array, or NDJSON (one event per line) with
`Content-Type: application/x-ndjson`.

Validated whole: if any event is invalid, 422 lists every bad event (`index`, `field`, reason) and
nothing is published. 202 returns every `event_id` (generated ones included, in request order) once
Kafka acknowledged all of them. 503 means some were not acknowledged: retry the whole batch with the
`event_ids` of the 503 body. Events are idempotent by `event_id`, so no event is counted twice."""


async def post_emission(event: NewEvent, publisher: PublisherDep) -> EmissionAccepted:
    """Validated against the event contract and the event-time rule (not older than the correction
    horizon, not more than the allowed skew in the future), keyed by `org_id`, acknowledged by Kafka
    (acks=all) before the 202. A retry with the same `event_id` is counted once downstream."""
    await publisher.publish([event])
    return EmissionAccepted(event_id=event.event_id)


async def post_emission_batch(events: NewBatch, publisher: PublisherDep) -> BatchAccepted:
    await publisher.publish(events)
    return BatchAccepted(event_ids=[event.event_id for event in events], count=len(events))


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter(prefix="/v1/emissions", tags=["emissions"])
    router.add_api_route(
        "", post_emission, methods=["POST"], status_code=status.HTTP_202_ACCEPTED,
        summary="Publish one emission event", responses=error_responses(413, 415, 422, 503),
        openapi_extra=event_body(),
    )
    router.add_api_route(
        "/batch", post_emission_batch, methods=["POST"], status_code=status.HTTP_202_ACCEPTED,
        summary="Publish a batch of emission events (JSON array or NDJSON)",
        description=_BATCH_DESCRIPTION.format(
            max_events=settings.batch_max_events, max_bytes=settings.batch_max_bytes
        ),
        responses=error_responses(413, 415, 422, 503), openapi_extra=batch_body(settings),
    )
    return router
