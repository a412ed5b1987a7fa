"""Health checks of the components the read API depends on; each is bounded by a short timeout.

- PostgreSQL: ``SELECT 1`` through the read-only pool (connect_timeout and statement_timeout bound it).
- Kafka: AdminClient ``list_topics`` (timeout), and every project topic exists.
- Flink: ``GET /jobs/overview``; each expected job must be RUNNING, and its latest completed
  checkpoint (``GET /jobs/{id}/checkpoints``) not older than ``health_max_checkpoint_age_s``
  (a job younger than that without any checkpoint yet is still ok).
A check never raises: it returns a ComponentHealth whose details say what failed.
"""
from __future__ import annotations

import logging
import time
from typing import Any

import requests
from confluent_kafka.admin import AdminClient

from carbon_stream.settings import Settings
from carbon_stream.topics import ALL_TOPICS
from read_api.db import DatabaseUnavailable, ReadDatabase, ReadSession
from read_api.schemas import ComponentHealth

__all__ = ["check_postgresql", "check_kafka", "check_flink_jobs", "newest_job", "assess_flink_job"]

log = logging.getLogger(__name__)


def _component(name: str, started: float, ok: bool, details: dict[str, Any]) -> ComponentHealth:
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    return ComponentHealth(name=name, status="ok" if ok else "degraded", latency_ms=latency_ms, details=details)


def check_postgresql(database: ReadDatabase) -> ComponentHealth:
    started = time.perf_counter()
    try:
        rows = ReadSession(database).fetch_all("SELECT current_setting('default_transaction_read_only')", {})
        return _component("postgresql", started, True, {"default_transaction_read_only": rows[0][0]})
    except DatabaseUnavailable as exc:
        return _component("postgresql", started, False, {"error": str(exc)})


def check_kafka(bootstrap_servers: str, timeout_s: float) -> ComponentHealth:
    started = time.perf_counter()
    admin = AdminClient({
        "bootstrap.servers": bootstrap_servers,
        "socket.timeout.ms": max(int(timeout_s * 1000), 10),
        "logger": log,  # librdkafka's connection-refused chatter goes to logging, not stderr
    })
    try:
        metadata = admin.list_topics(timeout=timeout_s)
    except Exception as exc:  # KafkaException for timeouts and transport errors
        return _component("kafka", started, False, {"bootstrap_servers": bootstrap_servers, "error": str(exc)})
    missing = sorted(topic.name for topic in ALL_TOPICS if topic.name not in metadata.topics)
    details = {"bootstrap_servers": bootstrap_servers, "brokers": len(metadata.brokers), "missing_topics": missing}
    return _component("kafka", started, not missing, details)


def newest_job(name: str, jobs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The job that stands for ``name``: its newest RUNNING copy by start time, else its newest copy.

    None when no job is called ``name``. ``jobs`` is the ``jobs`` list of Flink's ``/jobs/overview``.
    """
    candidates = [job for job in jobs if job.get("name") == name]
    running = [job for job in candidates if job.get("state") == "RUNNING"]
    return max(running or candidates, key=lambda j: j.get("start-time", 0), default=None)


def assess_flink_job(
    name: str, jobs: list[dict[str, Any]], checkpoints: dict[str, Any] | None, now_ms: int, max_age_s: float
) -> tuple[bool, dict[str, Any]]:
    """Is the newest job called ``name`` RUNNING with a fresh enough checkpoint? Pure: no I/O.

    ``jobs`` is the ``jobs`` list of Flink's ``/jobs/overview``; ``checkpoints`` the body of
    ``/jobs/<jid>/checkpoints`` for that job (None if not fetched).
    """
    job = newest_job(name, jobs)
    if job is None:
        return False, {"state": "NOT_FOUND"}
    uptime_s = round((now_ms - job.get("start-time", now_ms)) / 1000, 1)
    details: dict[str, Any] = {"job_id": job.get("jid"), "state": job.get("state"), "uptime_s": uptime_s}
    if job.get("state") != "RUNNING":
        return False, details
    completed = ((checkpoints or {}).get("latest") or {}).get("completed") or {}
    ack_ms = completed.get("latest_ack_timestamp")
    age_s = round((now_ms - ack_ms) / 1000, 1) if ack_ms else None
    details["last_checkpoint_age_s"] = age_s
    fresh = age_s <= max_age_s if age_s is not None else uptime_s <= max_age_s
    if not fresh:
        details["problem"] = f"no completed checkpoint in the last {max_age_s:g} s"
    return fresh, details


def check_flink_jobs(settings: Settings) -> list[ComponentHealth]:
    started = time.perf_counter()
    base = settings.flink_rest_url.rstrip("/")
    timeout = (settings.health_timeout_s, settings.health_timeout_s)
    try:
        response = requests.get(f"{base}/jobs/overview", timeout=timeout)
        response.raise_for_status()
        jobs = [job for job in response.json()["jobs"] if isinstance(job, dict)]
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        details = {"flink_rest_url": base, "error": f"{type(exc).__name__}: {exc}"}
        return [_component(f"flink_job:{name}", started, False, details) for name in settings.expected_flink_jobs]
    return [_check_one_job(base, name, jobs, settings, started) for name in settings.expected_flink_jobs]


def _check_one_job(
    base: str, name: str, jobs: list[dict[str, Any]], settings: Settings, started: float
) -> ComponentHealth:
    job = newest_job(name, jobs)
    checkpoints = None
    if job is not None and job.get("state") == "RUNNING":
        try:
            response = requests.get(f"{base}/jobs/{job['jid']}/checkpoints", timeout=settings.health_timeout_s)
            response.raise_for_status()
            body = response.json()
            checkpoints = body if isinstance(body, dict) else None
        except (requests.RequestException, ValueError) as exc:
            log.warning("Flink checkpoints of %s unavailable: %s", name, exc)
    now_ms = int(time.time() * 1000)
    ok, details = assess_flink_job(name, jobs, checkpoints, now_ms, settings.health_max_checkpoint_age_s)
    return _component(f"flink_job:{name}", started, ok, details)
