"""Fixtures of the ingest API tests.

Unit tests build the app with a fake publisher and need no broker. Integration tests use the real
Kafka broker of the test stack (``stack`` fixture), which the outage test stops and restarts.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from fastapi.testclient import TestClient

from carbon_stream.settings import Settings
from carbon_stream.topics import EMISSIONS
from ingest_api.app import create_app
from stack import kafka
from stack.profile import Profile
from tests.utils.ingest_fakes import RefusingPublisher
from tests.utils.topic_tail import TopicTail

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
def kafka_bootstrap(stack: Profile) -> str:
    """The test stack's real broker."""
    return f"localhost:{stack.kafka_port}"


@pytest.fixture(scope="session")
def emissions_topic(kafka_bootstrap: str) -> str:
    """``emissions.v1`` as topics.py defines it, created if missing (as the stack creates every topic)."""
    kafka.create_topics(kafka_bootstrap)
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


@pytest.fixture
def topic_tail(kafka_bootstrap: str, emissions_topic: str) -> Iterator[TopicTail]:
    tail = TopicTail(kafka_bootstrap, emissions_topic)
    yield tail
    tail.close()


@pytest.fixture
def kafka_outage(stack: Profile) -> Iterator[AbstractContextManager]:
    """``with kafka_outage: ...`` — the test stack's broker is down inside the block and back after it
    (restarted on the same data and port even when the block fails)."""
    @contextmanager
    def outage() -> Iterator[None]:
        kafka.stop(stack)
        try:
            yield
        finally:
            kafka.start(stack)

    yield outage()
