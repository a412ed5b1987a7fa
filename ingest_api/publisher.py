"""The ingest API's Kafka producer: publishes events keyed by ``org_id`` and reports, per request,
whether Kafka acknowledged every one of them in time.

One idempotent librdkafka producer (``acks=all``) per process. A background thread polls it, so
delivery callbacks run there and resolve the waiting request's asyncio future through
``call_soon_threadsafe``; the event loop never blocks on Kafka. Every wait is bounded by
``Settings.kafka_send_timeout_s``, which is also librdkafka's ``message.timeout.ms``: a message that is
not acknowledged by then fails instead of being retried forever. A fatal producer error (possible with
idempotence) replaces the producer, so one failure never poisons later requests.

Events come from either validation path (:class:`ValidatedEvent`) and bring their own Kafka value
(``to_wire_json()``), byte for byte the same whichever path accepted them.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from carbon_stream.settings import Settings
from carbon_stream.topics import EMISSIONS
from ingest_api.schemas import KafkaHealth

__all__ = ["KafkaUnavailable", "ValidatedEvent", "Publisher", "EventPublisher", "producer_config", "encode_event"]

log = logging.getLogger(__name__)

_POLL_INTERVAL_S = 0.1
_QUEUE_FULL_BACKOFF_S = 0.01
_PRODUCE_YIELD_EVERY = 1000  # let other requests run while a large batch is handed to librdkafka
# produce()'s partition argument for "librdkafka's partitioner chooses (by key)", its default. Passed
# positionally with the callback: keyword arguments cost ~0.2 us per message in produce() alone.
_PARTITION_BY_KEY = -1  # RD_KAFKA_PARTITION_UA


class KafkaUnavailable(Exception):
    """Kafka did not acknowledge every event in time. ``event_ids``: the events of the request."""

    def __init__(self, reason: str, event_ids: list[uuid.UUID]) -> None:
        super().__init__(reason)
        self.event_ids = event_ids


class ValidatedEvent(Protocol):
    """An event that passed validation, by either path (``ingest_api.validation``): a pydantic
    ``EmissionEvent`` or a strict path ``EncodedEmission``. What publishing, the routes and the event-time
    rule use of it."""

    @property
    def event_id(self) -> uuid.UUID: ...

    @property
    def org_id(self) -> str: ...

    @property
    def occurred_at(self) -> datetime: ...

    def to_wire_json(self) -> bytes: ...


class Publisher(Protocol):
    """What the routes need; tests substitute fakes that need no broker."""

    async def publish(self, events: Sequence[ValidatedEvent]) -> None: ...

    async def kafka_health(self) -> KafkaHealth: ...


def producer_config(settings: Settings) -> dict[str, Any]:
    """librdkafka settings: idempotent, acks=all, give up on a message after the send timeout."""
    return {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "client.id": "carbon-stream-ingest-api",
        "enable.idempotence": True,
        "acks": "all",
        # message.timeout.ms is librdkafka's name for delivery.timeout.ms (an alias): set once.
        "message.timeout.ms": int(settings.kafka_send_timeout_s * 1000),
        # A single POST waits for its batch to leave: 1 ms instead of the 5 ms default halves p50.
        "linger.ms": 1,
        # Topics are created by the stack with explicit partitions; never let a typo create one.
        "allow.auto.create.topics": False,
        "logger": logging.getLogger("ingest_api.librdkafka"),  # librdkafka's own log lines, not stderr
        # Connection failures reach error_cb (logged once per outage below), not one log line per retry.
        "log_level": 2,
    }


def encode_event(event: ValidatedEvent) -> tuple[bytes, bytes]:
    """Kafka key (org_id, UTF-8) and value (compact UTF-8 JSON of ``EmissionEvent.to_wire()``)."""
    return event.org_id.encode(), event.to_wire_json()


class _Acknowledgements:
    """Counts delivery reports of one request; resolves ``done`` on the event loop when all arrived."""

    def __init__(self, loop: asyncio.AbstractEventLoop, expected: int) -> None:
        self._loop = loop
        self.done: asyncio.Future[None] = loop.create_future()
        self.pending = expected
        self.failed = 0
        self.first_error: KafkaError | None = None

    def on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        """Runs on the poll thread (the only thread decrementing ``pending``)."""
        if err is not None:
            self.failed += 1
            self.first_error = self.first_error or err
        self.pending -= 1
        if self.pending == 0 and not self.done.done():  # done: the request gave up waiting (timeout)
            try:
                self._loop.call_soon_threadsafe(self._resolve)
            except RuntimeError:  # the event loop is closed (shutdown): nobody is waiting any more
                log.debug("delivery report after the event loop closed")

    def _resolve(self) -> None:
        if not self.done.done():  # the request may have timed out already
            self.done.set_result(None)


class EventPublisher:
    """Owns the producer and its poll thread: ``start()`` in the lifespan, ``close()`` on shutdown."""

    def __init__(self, settings: Settings, topic: str = EMISSIONS.name) -> None:
        self._topic = topic
        self._timeout_s = settings.kafka_send_timeout_s
        self._health_timeout_s = min(settings.health_timeout_s, settings.kafka_send_timeout_s)
        self._config = producer_config(settings) | {"error_cb": self._on_error}
        self._producer = Producer(self._config)
        self._fatal_error: KafkaError | None = None
        self._stopping = threading.Event()
        self._poller = threading.Thread(target=self._poll_loop, name="kafka-delivery-poll", daemon=True)

    def start(self) -> None:
        self._poller.start()
        log.info("Kafka producer for topic %s on %s started", self._topic, self._config["bootstrap.servers"])

    def close(self) -> None:
        """Stop polling, then flush: give in-flight messages up to the send timeout to be acknowledged."""
        self._stopping.set()
        self._poller.join()
        remaining = self._producer.flush(self._timeout_s)
        log.info("Kafka producer closed; %d messages were still unacknowledged", remaining)

    async def publish(self, events: Sequence[ValidatedEvent]) -> None:
        """Return once Kafka acknowledged every event; raise KafkaUnavailable otherwise (bounded)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout_s
        acks = _Acknowledgements(loop, len(events))
        on_delivery = acks.on_delivery  # one bound method for every message of the request
        event_ids = [event.event_id for event in events]
        for position, event in enumerate(events):
            key, value = encode_event(event)
            while not self._try_produce(key, value, on_delivery, event_ids):  # local queue full: wait, bounded
                if loop.time() >= deadline:
                    raise KafkaUnavailable("the producer's local queue stayed full", event_ids)
                await asyncio.sleep(_QUEUE_FULL_BACKOFF_S)
            if position % _PRODUCE_YIELD_EVERY == _PRODUCE_YIELD_EVERY - 1:
                await asyncio.sleep(0)
        try:
            await asyncio.wait_for(acks.done, timeout=max(0.0, deadline - loop.time()))
        except TimeoutError:
            raise KafkaUnavailable(
                f"{acks.pending} of {len(events)} events not acknowledged within {self._timeout_s} s", event_ids
            ) from None
        if acks.failed:
            raise KafkaUnavailable(
                f"{acks.failed} of {len(events)} events not acknowledged ({acks.first_error.str()})", event_ids
            )

    def _try_produce(self, key: bytes, value: bytes, on_delivery: Callable[[KafkaError | None, Message], None],
                     event_ids: list[uuid.UUID]) -> bool:
        """Hand one message to librdkafka; False when its local queue is full (BufferError)."""
        try:
            self._producer.produce(self._topic, value, key, _PARTITION_BY_KEY, on_delivery)
        except BufferError:
            return False
        except KafkaException as exc:
            raise KafkaUnavailable(f"produce failed ({exc.args[0].str()})", event_ids) from None
        return True

    async def kafka_health(self) -> KafkaHealth:
        """Broker metadata through the producer's own connections (one cheap metadata request)."""
        try:
            metadata = await asyncio.to_thread(self._producer.list_topics, timeout=self._health_timeout_s)
        except KafkaException as exc:
            return KafkaHealth(connected=False, topic=self._topic, error=exc.args[0].str())
        topic = metadata.topics.get(self._topic)
        partitions = len(topic.partitions) if topic is not None and topic.error is None else 0
        return KafkaHealth(
            connected=True, brokers=len(metadata.brokers), topic=self._topic, topic_partitions=partitions,
            error=None if partitions else f"topic {self._topic} does not exist",
        )

    def _on_error(self, err: KafkaError) -> None:
        """librdkafka's global errors: logged (reconnect attempts only at debug); a fatal one replaces
        the producer."""
        if err.fatal():
            log.error("Kafka producer fatal error, replacing the producer: %s", err.str())
            self._fatal_error = err
        elif err.code() == KafkaError._TRANSPORT:
            log.debug("Kafka connection failed, librdkafka reconnects: %s", err.str())
        else:
            log.warning("Kafka producer error, librdkafka retries: %s", err.str())

    def _poll_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._producer.poll(_POLL_INTERVAL_S)
            except Exception:  # a failing callback must not stop deliveries for every later request
                log.exception("Kafka delivery callback failed")
            if self._fatal_error is not None:
                self._replace_producer()

    def _replace_producer(self) -> None:
        """Swap in a new producer; purge the old one so its waiting requests fail now (503), not later."""
        old, self._producer = self._producer, Producer(self._config)
        old.purge()
        old.poll(0)
        self._fatal_error = None  # after the old producer's last callbacks, which may report it again
