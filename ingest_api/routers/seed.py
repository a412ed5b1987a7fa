"""``POST /emissions``: the older system's endpoint, unchanged for its clients.

``{"organizationId": 1, "value": 100}`` (kg CO2e) becomes an EmissionEvent with ``org_id "1"``,
``occurred_at`` = receive time, ``category "unspecified"``, scope from the optional ``scope`` field or
1 (see SEED_DEFAULT_SCOPE), published like any event; answered 201 with the stored emission.
"""
from __future__ import annotations

from fastapi import APIRouter, status

from carbon_stream.events import to_wire_timestamp
from ingest_api.dependencies import NewSeedEmission, PublisherDep
from ingest_api.openapi import error_responses, seed_body
from ingest_api.schemas import SeedEmissionCreated

__all__ = ["router"]

router = APIRouter(tags=["seed compatibility"])


@router.post(
    "/emissions",
    status_code=status.HTTP_201_CREATED,
    summary="Seed-compatible: record an emission of the older system",
    responses=error_responses(415, 413, 422, 503),
    openapi_extra=seed_body(),
)
async def post_seed_emission(seed_emission: NewSeedEmission, publisher: PublisherDep) -> SeedEmissionCreated:
    """`value` in kg CO2e, received now; no scope in the older system: `scope` 1 unless given (1-3);
    category `unspecified`. 201 after Kafka acknowledged; 503 with Retry-After if not."""
    seed, event = seed_emission
    await publisher.publish([event])
    return SeedEmissionCreated(
        id=event.event_id, organizationId=seed.organizationId, value=float(event.co2e_kg),
        timestamp=to_wire_timestamp(event.occurred_at),
    )
