"""Demo emission producer: synthetic events for a handful of orgs, or a finite NDJSON file.

``python -m producers.emissions --rate 20`` sends events forever at ~20 events/s whose volume
follows a daily shape (office-hours peak); ``--file events.ndjson`` sends each line once (events
are validated with the same contract as the ingest API; invalid lines are reported and skipped
unless ``--raw`` sends them untouched, e.g. to exercise the dead-letter path).
Keys are ``org_id`` so an organisation's events stay in order on one partition.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import random
import signal
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from confluent_kafka import KafkaError, Message, Producer
from pydantic import ValidationError

from carbon_stream.events import EmissionEvent
from carbon_stream.settings import get_settings
from carbon_stream.topics import EMISSIONS

__all__ = ["DEMO_ORGS", "daily_shape", "synthetic_event", "make_producer", "send_file", "run_demo"]

log = logging.getLogger("producers.emissions")

# (org_id, [(scope, category, typical kg CO2e per event)])
DEMO_ORGS = {
    "acme-steel": [(1, "stationary_combustion", 850.0), (2, "purchased_electricity", 420.0)],
    "bluebird-logistics": [(1, "mobile_combustion", 65.0), (3, "business_travel", 180.0)],
    "cedar-offices": [(2, "purchased_electricity", 12.5), (2, "purchased_heat", 8.0)],
    "delta-foods": [(1, "refrigerants", 30.0), (3, "purchased_goods", 240.0)],
    "evergreen-data": [(2, "purchased_electricity", 95.0), (3, "waste", 4.5)],
}


def daily_shape(moment: datetime) -> float:
    """Relative activity at ``moment`` (UTC hour): 0.3 at night, 1.0 at the 13:00 peak."""
    hour = moment.hour + moment.minute / 60
    return 0.3 + 0.7 * math.exp(-((hour - 13.0) ** 2) / (2 * 3.5**2))


def synthetic_event(rng: random.Random, now: datetime) -> EmissionEvent:
    org_id = rng.choice(sorted(DEMO_ORGS))
    scope, category, typical_kg = rng.choice(DEMO_ORGS[org_id])
    co2e_kg = round(typical_kg * rng.lognormvariate(0, 0.35), 3)
    return EmissionEvent(event_id=uuid.UUID(int=rng.getrandbits(128), version=4), org_id=org_id,
                         occurred_at=now, co2e_kg=co2e_kg, scope=scope, category=category,
                         source="demo-producer")


def make_producer(bootstrap_servers: str) -> Producer:
    return Producer({"bootstrap.servers": bootstrap_servers, "enable.idempotence": True, "acks": "all",
                     "linger.ms": 20, "compression.type": "lz4"})


class DeliveryReport:
    """Counts acknowledged and failed deliveries (the producer's delivery callback)."""

    def __init__(self) -> None:
        self.delivered = 0
        self.failed = 0

    def __call__(self, error: KafkaError | None, _: Message) -> None:
        if error is None:
            self.delivered += 1
        else:
            self.failed += 1
            log.error("delivery failed: %s", error)


def _send(producer: Producer, report: DeliveryReport, key: str, value: bytes) -> None:
    while True:
        try:
            producer.produce(EMISSIONS.name, key=key.encode(), value=value, on_delivery=report)
            return
        except BufferError:  # local queue full: serve delivery callbacks, then retry
            producer.poll(0.1)


def _file_records(path: Path, raw: bool) -> Iterator[tuple[str, bytes]]:
    for line_no, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        if raw:
            yield "raw", line.encode()
            continue
        try:
            event = EmissionEvent.model_validate_json(line)
        except ValidationError as error:
            log.error("line %d skipped: %s", line_no, error.errors()[0]["msg"])
            continue
        yield event.org_id, json.dumps(event.to_wire()).encode()


def send_file(producer: Producer, path: Path, raw: bool = False) -> DeliveryReport:
    """Send every line of an NDJSON file once; returns the delivery counts after flush."""
    report = DeliveryReport()
    for key, value in _file_records(path, raw):
        _send(producer, report, key, value)
        producer.poll(0)
    producer.flush(60)
    log.info("sent %s: %d delivered, %d failed", path, report.delivered, report.failed)
    return report


def run_demo(producer: Producer, rate_per_s: float, seed: int | None) -> None:
    """Send synthetic events until SIGTERM/SIGINT at ``rate_per_s`` × the daily shape."""
    rng, report, stopping = random.Random(seed), DeliveryReport(), []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    last_note = time.monotonic()
    try:
        while not stopping:
            now = datetime.now(timezone.utc)
            event = synthetic_event(rng, now)
            _send(producer, report, event.org_id, json.dumps(event.to_wire()).encode())
            producer.poll(0)
            time.sleep(1.0 / (rate_per_s * daily_shape(now)))
            if time.monotonic() - last_note > 60:
                log.info("demo producer: %d delivered, %d failed", report.delivered, report.failed)
                last_note = time.monotonic()
    except KeyboardInterrupt:
        pass
    finally:
        producer.flush(10)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=20.0, help="mean events per second (demo mode)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (demo mode)")
    parser.add_argument("--file", type=Path, help="send this NDJSON file once, then exit")
    parser.add_argument("--raw", action="store_true", help="with --file: send lines unvalidated")
    args = parser.parse_args()
    if args.rate <= 0:
        parser.error("--rate must be > 0")
    producer = make_producer(get_settings().kafka_bootstrap_servers)
    if args.file:
        report = send_file(producer, args.file, args.raw)
        raise SystemExit(1 if report.failed else 0)
    run_demo(producer, args.rate, args.seed)


if __name__ == "__main__":
    main()
