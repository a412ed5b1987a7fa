"""Fixtures of the ingest API tests.

Unit tests build the app with a fake publisher and need no broker. Integration tests need a real
Kafka broker (``CS_TEST_KAFKA_BOOTSTRAP``) and, for the outage test, a way to stop and restart it
(``CS_TEST_KAFKA_CONTROL``); each fixture skips with the reason when its variable is unset.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import uuid
from collections.abc import Callable, Iterator

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from fastapi.testclient import TestClient

from carbon_stream.settings import Settings
from carbon_stream.topics import EMISSIONS
from ingest_api.app import create_app
from tests.utils.ingest_fakes import RefusingPublisher

_KAFKA_CONTROL_TIMEOUT_S = 120


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "integration: needs the real stack (a Kafka broker)")


# ----- unit: fake publishers, no broker -------------------------------------------------------------

@pytest.fixture
def unit_settings() -> Settings:
    """Small limits so 413 paths are cheap; a bootstrap address nothing listens on."""
    return Settings(kafka_bootstrap_servers="localhost:1", batch_max_events=5, batch_max_bytes=4096,
                    kafka_send_timeout_s=2.0)


@pytest.fixture
def client_with(unit_settings: Settings) -> Callable[[object], TestClient]:
    """``client_with(publisher)``: a TestClient of an app using that fake publisher."""
    def build(publisher: object) -> TestClient:
        return TestClient(create_app(unit_settings, publisher=publisher))
    return build


@pytest.fixture
def refusing_client(client_with) -> Iterator[TestClient]:
    with client_with(RefusingPublisher()) as client:
        yield client


# ----- integration: a real broker ----------------------------------------------------------------

@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    bootstrap = os.environ.get("CS_TEST_KAFKA_BOOTSTRAP")
    if not bootstrap:
        pytest.skip("CS_TEST_KAFKA_BOOTSTRAP is unset: no Kafka broker for the ingest API integration tests")
    return bootstrap


@pytest.fixture(scope="session")
def emissions_topic(kafka_bootstrap: str) -> str:
    """``emissions.v1`` as topics.py defines it, created if missing."""
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    if EMISSIONS.name not in admin.list_topics(timeout=10).topics:
        topic = NewTopic(EMISSIONS.name, EMISSIONS.partitions, 1,
                         config={"retention.ms": str(EMISSIONS.retention_ms)})
        future = admin.create_topics([topic])[EMISSIONS.name]
        try:
            future.result(timeout=30)
        except Exception as exc:  # another process may have created it meanwhile
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
    return EMISSIONS.name


@pytest.fixture
def kafka_settings(kafka_bootstrap: str, emissions_topic: str) -> Settings:
    return Settings(kafka_bootstrap_servers=kafka_bootstrap, kafka_send_timeout_s=3.0,
                    batch_max_events=1000, batch_max_bytes=1_000_000)


@pytest.fixture
def kafka_client(kafka_settings: Settings) -> Iterator[TestClient]:
    """The real app: its lifespan starts the Kafka publisher and flushes it at the end."""
    with TestClient(create_app(kafka_settings)) as client:
        yield client


class TopicTail:
    """What was appended to a topic since this object was created (all partitions)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"ingest-test-{uuid.uuid4()}",
                                   "enable.auto.commit": False})
        partitions = self._consumer.list_topics(topic, timeout=10).topics[topic].partitions
        self._start = [TopicPartition(topic, p, self._consumer.get_watermark_offsets(
            TopicPartition(topic, p), timeout=10)[1]) for p in partitions]

    def read(self) -> list[tuple[int, bytes, bytes]]:
        """Every new record as (partition, key, value), each partition in offset order."""
        end = {tp.partition: self._consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in self._start}
        wanted = sum(end[tp.partition] - tp.offset for tp in self._start)
        self._consumer.assign(self._start)
        records = []
        while len(records) < wanted:
            message = self._consumer.poll(10)
            assert message is not None, f"read {len(records)} of {wanted} records"
            assert message.error() is None, message.error()
            records.append((message.partition(), message.key(), message.value()))
        self._consumer.unassign()
        return records

    def close(self) -> None:
        self._consumer.close()


@pytest.fixture
def topic_tail(kafka_bootstrap: str, emissions_topic: str) -> Iterator[TopicTail]:
    tail = TopicTail(kafka_bootstrap, emissions_topic)
    yield tail
    tail.close()


class KafkaOutage:
    """Context manager: stops the broker on enter, restarts it on exit (even when the block fails)."""

    def __init__(self, command: str) -> None:
        self._command = shlex.split(command)

    def _control(self, action: str) -> None:
        subprocess.run([*self._command, action], check=True, timeout=_KAFKA_CONTROL_TIMEOUT_S)

    def __enter__(self) -> KafkaOutage:
        self._control("stop")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._control("start")


@pytest.fixture
def kafka_outage(kafka_bootstrap: str) -> KafkaOutage:
    """``with kafka_outage: ...`` — the broker is down inside the block and back after it.

    Contract for the test stack: ``CS_TEST_KAFKA_CONTROL`` is a command line (split with shlex) that
    the fixture runs with one extra argument:

    * ``<command> stop``: stop the broker at ``CS_TEST_KAFKA_BOOTSTRAP``; return (exit 0) once it no
      longer accepts connections;
    * ``<command> start``: start it again on the same data and port; return (exit 0) once it accepts
      connections.

    Each call must finish within 120 s; a non-zero exit fails the test. Skips when
    ``CS_TEST_KAFKA_CONTROL`` is unset (a stack may also override this fixture with its own object
    honouring the same ``with`` interface).
    """
    command = os.environ.get("CS_TEST_KAFKA_CONTROL")
    if not command:
        pytest.skip("CS_TEST_KAFKA_CONTROL is unset: no way to stop and restart Kafka for the outage test")
    return KafkaOutage(command)
