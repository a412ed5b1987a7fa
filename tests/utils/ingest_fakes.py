"""Fake publishers for ingest API tests that need no broker."""
from __future__ import annotations

from collections.abc import Sequence

from carbon_stream.topics import EMISSIONS
from ingest_api.publisher import KafkaUnavailable, ValidatedEvent
from ingest_api.schemas import KafkaHealth


class RefusingPublisher:
    """For requests that must be refused before Kafka: any use fails the test."""

    async def publish(self, events: Sequence[ValidatedEvent]) -> None:
        raise AssertionError(f"publisher reached with {len(events)} events")

    async def kafka_health(self) -> KafkaHealth:
        raise AssertionError("publisher reached")


class RecordingPublisher:
    """Acknowledges everything and remembers what it was given."""

    def __init__(self) -> None:
        self.published: list[ValidatedEvent] = []

    async def publish(self, events: Sequence[ValidatedEvent]) -> None:
        self.published.extend(events)

    async def kafka_health(self) -> KafkaHealth:
        return KafkaHealth(connected=True, brokers=1, topic=EMISSIONS.name, topic_partitions=EMISSIONS.partitions)


class UnavailablePublisher:
    """Kafka down: every publish fails like the real publisher after its timeout."""

    async def publish(self, events: Sequence[ValidatedEvent]) -> None:
        raise KafkaUnavailable("test: broker down", [event.event_id for event in events])

    async def kafka_health(self) -> KafkaHealth:
        return KafkaHealth(connected=False, topic=EMISSIONS.name, error="test: broker down")
