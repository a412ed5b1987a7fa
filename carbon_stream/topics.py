"""Every Kafka topic of the platform: name, key, schema, partitions and retention.

``stack`` creates them with exactly these settings; producers and jobs import the names from here.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Topic", "EMISSIONS", "EMISSIONS_DEAD_LETTER", "ALL_TOPICS"]

_DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Topic:
    name: str
    key: str
    schema: str
    partitions: int
    retention_ms: int

    @property
    def retention_days(self) -> float:
        return self.retention_ms / _DAY_MS


EMISSIONS = Topic(
    name="emissions.v1",
    key="org_id (UTF-8): keeps one organisation's events in order on one partition",
    schema="EmissionEvent JSON (carbon_stream/events.py); occurred_at RFC 3339",
    partitions=4,
    # Longer than the 35-day correction horizon so a job can be replayed from scratch.
    retention_ms=42 * _DAY_MS,
)
EMISSIONS_DEAD_LETTER = Topic(
    name="emissions.deadletter.v1",
    key="none",
    schema="JSON {reason, raw_payload, topic, partition, offset, kafka_timestamp}",
    partitions=1,
    retention_ms=90 * _DAY_MS,
)
ALL_TOPICS = (EMISSIONS, EMISSIONS_DEAD_LETTER)
