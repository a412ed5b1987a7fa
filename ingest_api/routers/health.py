"""``GET /v1/health``: is the Kafka producer connected and does the topic exist (200, else 503)."""
from __future__ import annotations

from fastapi import APIRouter, Response, status

from ingest_api.dependencies import PublisherDep
from ingest_api.schemas import Health

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["health"])


@router.get(
    "/health",
    summary="Kafka connectivity of the ingest API",
    responses={503: {"model": Health, "description": "Kafka unreachable or topic missing"}},
)
async def get_health(publisher: PublisherDep, response: Response) -> Health:
    kafka = await publisher.kafka_health()
    healthy = kafka.connected and kafka.topic_partitions > 0
    if not healthy:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Health(status="ok" if healthy else "degraded", kafka=kafka)
