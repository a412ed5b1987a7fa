"""The Kafka publisher without a broker: configuration, encoding, bounded waits, fatal errors."""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from confluent_kafka import KafkaError, Producer

from carbon_stream.events import EmissionEvent
from carbon_stream.settings import Settings
from carbon_stream.topics import EMISSIONS
from ingest_api.publisher import EventPublisher, KafkaUnavailable, encode_event, producer_config
from tests.utils.topic_tail import TopicTail

UNREACHABLE = Settings(kafka_bootstrap_servers="localhost:1", kafka_send_timeout_s=1.0)


def _event() -> EmissionEvent:
    return EmissionEvent(org_id="acme:berlin", occurred_at=datetime(2026, 11, 23, 9, tzinfo=timezone.utc),
                         co2e_kg="1.5", scope=1, category="business_travel")


def test_producer_config_is_idempotent_acks_all_and_bounded_by_the_send_timeout():
    config = producer_config(Settings(kafka_bootstrap_servers="k:9092", kafka_send_timeout_s=2.5))
    assert (config["enable.idempotence"], config["acks"], config["message.timeout.ms"]) == (True, "all", 2500)
    assert config["bootstrap.servers"] == "k:9092"


def test_encode_event_keys_by_org_id_utf8_and_serialises_to_wire():
    event = _event()
    key, value = encode_event(event)
    assert key == b"acme:berlin"
    assert json.loads(value) == event.to_wire()


@pytest.fixture
def unreachable_publisher():
    publisher = EventPublisher(UNREACHABLE)
    publisher.start()
    yield publisher
    publisher.close()


def test_publish_without_broker_fails_within_the_send_timeout(unreachable_publisher):
    started = time.monotonic()
    with pytest.raises(KafkaUnavailable) as caught:
        asyncio.run(unreachable_publisher.publish([_event(), _event()]))
    assert time.monotonic() - started < UNREACHABLE.kafka_send_timeout_s + 0.5
    assert len(caught.value.event_ids) == 2


def test_kafka_health_without_broker_is_not_connected(unreachable_publisher):
    health = asyncio.run(unreachable_publisher.kafka_health())
    assert (health.connected, health.topic_partitions) == (False, 0) and health.error


def test_fatal_producer_error_fails_waiting_requests_now_and_replaces_the_producer():
    publisher = EventPublisher(Settings(kafka_bootstrap_servers="localhost:1", kafka_send_timeout_s=30))
    publisher.start()

    async def publish_then_fatal_error() -> float:
        started = time.monotonic()
        waiting = asyncio.create_task(publisher.publish([_event()]))
        await asyncio.sleep(0.2)
        publisher._on_error(KafkaError(KafkaError._FATAL, "test: fatal", fatal=True))
        with pytest.raises(KafkaUnavailable):
            await waiting
        return time.monotonic() - started

    try:
        first_producer = publisher._producer
        assert asyncio.run(publish_then_fatal_error()) < 5  # purged, not left to its 30 s timeout
        assert publisher._producer is not first_producer
    finally:
        publisher.close()


class _FullQueueProducer:
    """Stands in for librdkafka: the local queue is full for the first ``full_for`` produce calls."""

    def __init__(self, full_for: int) -> None:
        self.full_for = full_for
        self.queued: list = []

    def produce(self, topic, value, key, partition, on_delivery) -> None:
        if self.full_for > 0:
            self.full_for -= 1
            raise BufferError("Local: Queue full")
        self.queued.append(on_delivery)

    def poll(self, timeout: float) -> int:
        delivered, self.queued = self.queued, []
        for on_delivery in delivered:
            on_delivery(None, None)
        time.sleep(min(timeout, 0.01))
        return len(delivered)

    def flush(self, timeout: float) -> int:
        return 0


@pytest.mark.parametrize(("full_for", "accepted"), [(3, True), (10**9, False)])
def test_full_local_queue_waits_for_room_but_never_past_the_send_timeout(full_for, accepted):
    publisher = EventPublisher(UNREACHABLE)
    publisher._producer = _FullQueueProducer(full_for)
    publisher.start()
    try:
        started = time.monotonic()
        if accepted:
            asyncio.run(publisher.publish([_event(), _event()]))
        else:
            with pytest.raises(KafkaUnavailable, match="queue stayed full"):
                asyncio.run(publisher.publish([_event()]))
        assert time.monotonic() - started < UNREACHABLE.kafka_send_timeout_s + 0.5
    finally:
        publisher.close()


# ----- librdkafka's in-process mock cluster: the real protocol (idempotent, acks=all), no broker ------

@pytest.fixture
def mock_cluster() -> Iterator[tuple[str, Producer]]:
    """(bootstrap, owner): a mock cluster that lives as long as its owner producer, with the emissions
    topic auto-created (4 partitions) by the owner's first message."""
    owner = Producer({"test.mock.num.brokers": 1, "logger": logging.getLogger("test.mock-cluster")})
    bootstrap = ",".join(f"{b.host}:{b.port}" for b in owner.list_topics(timeout=5).brokers.values())
    owner.produce(EMISSIONS.name, b"{}", b"topic-creation")
    assert owner.flush(5) == 0
    yield bootstrap, owner


@pytest.fixture
def mock_topic_tail(mock_cluster) -> Iterator[TopicTail]:
    """What is appended to the mock cluster's emissions topic after its creation."""
    tail = TopicTail(mock_cluster[0], EMISSIONS.name)
    yield tail
    tail.close()


def test_publish_on_a_mock_cluster_acknowledges_every_event_keyed_by_org_in_order(mock_cluster, mock_topic_tail):
    bootstrap, owner = mock_cluster
    events = [EmissionEvent(org_id=f"org-{i % 5}", occurred_at=datetime(2026, 11, 23, 9, tzinfo=timezone.utc),
                            co2e_kg=i, scope=1 + i % 3, category="business_travel") for i in range(200)]
    publisher = EventPublisher(Settings(kafka_bootstrap_servers=bootstrap, kafka_send_timeout_s=5))
    publisher.start()
    try:
        asyncio.run(publisher.publish(events))
    finally:
        publisher.close()
    records = mock_topic_tail.read()
    assert sorted(value for _, _, value in records) == sorted(event.to_wire_json() for event in events)
    assert all(key == json.loads(value)["org_id"].encode() for _, key, value in records)
    orgs = {event.org_id for event in events}
    for org in orgs:  # one partition per org, in request order (the tail reads each partition in offset order)
        published = [(partition, value) for partition, key, value in records if key == org.encode()]
        assert len({partition for partition, _ in published}) == 1
        assert [json.loads(value)["event_id"] for _, value in published] \
            == [str(event.event_id) for event in events if event.org_id == org]
    chosen = {}  # ... the partition librdkafka's default partitioner picks for that key
    for org in orgs:
        owner.produce(EMISSIONS.name, b"{}", org.encode(),
                      on_delivery=lambda err, msg: chosen.update({msg.key(): msg.partition()}))
    owner.flush(5)
    assert {key: partition for partition, key, _ in records} == chosen
