"""``GET /v1/health``: PostgreSQL, Kafka and every expected Flink job; 503 when any is degraded."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from read_api.health import check_flink_jobs, check_kafka, check_postgresql
from read_api.schemas import ComponentHealth, HealthReport

router = APIRouter(prefix="/v1/health", tags=["health"])
log = logging.getLogger(__name__)


@router.get(
    "",
    response_model=HealthReport,
    responses={503: {"model": HealthReport, "description": "At least one component is degraded"}},
    summary="Health of PostgreSQL, Kafka and the Flink jobs",
    description=(
        "Runs the checks concurrently, each bounded by `CS_HEALTH_TIMEOUT_S`: PostgreSQL `SELECT` "
        "through the read-only pool, Kafka metadata (and the project's topics), and for each expected "
        "Flink job its state (must be RUNNING), uptime and last completed checkpoint age in seconds."
    ),
)
async def read_health(request: Request) -> JSONResponse:
    settings = request.app.state.settings
    results = await asyncio.gather(
        run_in_threadpool(check_postgresql, request.app.state.database),
        run_in_threadpool(check_kafka, settings.kafka_bootstrap_servers, settings.health_timeout_s),
        run_in_threadpool(check_flink_jobs, settings),
        return_exceptions=True,
    )
    components: list[ComponentHealth] = []
    for name, result in zip(("postgresql", "kafka", "flink"), results):
        if isinstance(result, BaseException):  # a bug in a check must not turn the report into a 500
            log.exception("health check %s failed", name, exc_info=result)
            result = ComponentHealth(name=name, status="degraded", latency_ms=0.0, details={"error": repr(result)})
        components.extend(result if isinstance(result, list) else [result])
    healthy = all(component.status == "ok" for component in components)
    report = HealthReport(
        status="ok" if healthy else "degraded", checked_at=datetime.now(timezone.utc), components=components
    )
    return JSONResponse(report.model_dump(mode="json"), status_code=200 if healthy else 503)
