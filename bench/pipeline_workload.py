"""The pipeline benchmark's input: 2M emission events, 1,000 orgs x 3 scopes x 5 categories, event
times spread evenly over the last 2 days (inside the correction horizon), plus 1 % re-sent copies
(same event_id) so deduplication does real work.

Events are sent in occurred_at order, the way a 2-day backfill replays history: each partition is
in event-time order, so the job's late-event path stays idle and the run measures the steady path.
The ground truth (per UTC day: distinct events and exact Σ co2e_kg) is computed here, from the same
numbers, independently of the job.
"""
from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from confluent_kafka import Producer

from carbon_stream.topics import EMISSIONS

__all__ = ["Workload", "build_and_send"]

log = logging.getLogger("bench.pipeline")
ORGS = 1_000
SCOPES_CATEGORIES = [(scope, category) for scope in (1, 2, 3) for category in
                     ("stationary_combustion", "purchased_electricity", "business_travel", "waste", "refrigerants")]
SPAN = timedelta(days=2)


@dataclass
class Workload:
    """What was sent and what the job must produce from it."""

    distinct_events: int
    duplicate_copies: int
    first_occurred_at: datetime
    last_occurred_at: datetime
    # UTC day -> [distinct events, Σ co2e in grams (integers: exact)]
    per_day: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    send_s: float = 0.0

    def expected_per_day(self) -> dict[str, tuple[int, Decimal]]:
        return {day: (count, Decimal(grams) / 1000) for day, (count, grams) in sorted(self.per_day.items())}

    @property
    def records(self) -> int:
        return self.distinct_events + self.duplicate_copies


def _producer(bootstrap: str) -> Producer:
    return Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                     "linger.ms": 50, "batch.size": 1_000_000, "compression.type": "lz4",
                     "queue.buffering.max.messages": 1_000_000, "queue.buffering.max.kbytes": 1_048_576})


def build_and_send(bootstrap: str, events: int, seed: int = 3, duplicate_every: int = 100) -> Workload:
    """Generate and produce the workload (keyed by org_id, idempotent, acks=all); returns its truth."""
    rng = random.Random(seed)
    end = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=2)
    start = end - SPAN
    start_ms, span_ms = int(start.timestamp() * 1000), int(SPAN.total_seconds() * 1000)
    workload = Workload(events, 0, start, end)
    producer, failures, pending = _producer(bootstrap), [], []

    def delivered(err, _msg) -> None:
        if err is not None:
            failures.append(err)

    def send(key: bytes, value: bytes) -> None:
        while True:
            try:
                producer.produce(EMISSIONS.name, value, key, on_delivery=delivered)
                return
            except BufferError:
                producer.poll(0.05)

    t0, last_second, prefix, day = time.monotonic(), -1, "", ""
    for i in range(events):
        at_ms = start_ms + i * span_ms // events
        if at_ms // 1000 != last_second:
            last_second = at_ms // 1000
            moment = datetime.fromtimestamp(last_second, timezone.utc)
            prefix, day = moment.strftime("%Y-%m-%dT%H:%M:%S"), moment.strftime("%Y-%m-%d")
        org = f"bench-org-{rng.randrange(ORGS):04d}"
        scope, category = SCOPES_CATEGORIES[rng.randrange(len(SCOPES_CATEGORIES))]
        grams = rng.randrange(1, 5_000_000)
        bits = rng.getrandbits(128)
        event_id = (f"{bits >> 96:08x}-{(bits >> 80) & 0xFFFF:04x}-4{(bits >> 68) & 0xFFF:03x}-"
                    f"{8 | (bits >> 64) & 3:x}{(bits >> 52) & 0xFFF:03x}-{bits & 0xFFFFFFFFFFFF:012x}")
        value = (f'{{"event_id":"{event_id}","org_id":"{org}","occurred_at":"{prefix}.{at_ms % 1000:03d}Z",'
                 f'"co2e_kg":{grams // 1000}.{grams % 1000:03d},"scope":{scope},"category":"{category}",'
                 f'"source":"bench"}}').encode()
        totals = workload.per_day[day]
        totals[0] += 1
        totals[1] += grams
        send(org.encode(), value)
        if i % duplicate_every == 0:
            pending.append((i + rng.randrange(1, 500), org.encode(), value))
        while pending and pending[0][0] <= i:  # a retried POST, a few hundred events later
            _, key, copy = pending.pop(0)
            send(key, copy)
            workload.duplicate_copies += 1
        if i % 10_000 == 0:
            producer.poll(0)
    for _, key, copy in pending:
        send(key, copy)
        workload.duplicate_copies += 1
    if producer.flush(120) != 0 or failures:
        raise RuntimeError(f"pre-load failed: {len(failures)} delivery errors, {len(producer)} undelivered")
    workload.send_s = round(time.monotonic() - t0, 1)
    log.info("pre-loaded %d records (%d distinct events + %d copies) in %.1f s",
             workload.records, events, workload.duplicate_copies, workload.send_s)
    return workload
