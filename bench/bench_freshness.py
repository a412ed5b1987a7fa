"""Freshness: minute window end → that window's final row visible in PostgreSQL, with a steady producer.

Definition. A producer sends ``RATE`` events/s (150 keys: 10 orgs ``fresh-org-*`` x 3 scopes x
5 categories) whose ``occurred_at`` is the wall-clock time they are made, from t0 until the third
minute boundary after t0. For every full minute window W = [s, e) and key k, the final value is the
count and Σ co2e_kg of the events the producer had acknowledged for (k, W). A poller reads
``emission_rollup_minute`` every ``POLL_S``; **row freshness** = the first poll at which the row
shows its final value − e (upper bound: includes up to one poll interval). **Window freshness** =
the same for the window's last key to become final (the whole window visible). As a cross-check
the row's ``updated_at`` (PostgreSQL clock, start of the writing transaction) − e is reported too.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal

from confluent_kafka import Producer

from bench.common import CpuMeter, bench_profile, connect, module_args, percentile, write_result
from carbon_stream.topics import EMISSIONS
from stack import flink, jobs
from stack.profile import Profile

__all__ = ["run"]

log = logging.getLogger("bench.freshness")
RATE = 2_000
FULL_WINDOWS = 3
POLL_S = 0.1
KEYS = [(f"fresh-org-{o:02d}", s, c) for o in range(10) for s in (1, 2, 3)
        for c in ("stationary_combustion", "purchased_electricity", "business_travel", "waste", "refrigerants")]


class Poller(threading.Thread):
    """Remembers, per (key, window_start), when each (count, sum) was first seen and its updated_at."""

    def __init__(self, profile: Profile, since: datetime) -> None:
        super().__init__(daemon=True)
        self.profile, self.since = profile, since
        self.seen: dict[tuple, dict[tuple, tuple[float, float]]] = defaultdict(dict)
        self.stopping = threading.Event()
        self.polls = 0

    def run(self) -> None:
        with connect(self.profile) as conn, conn.cursor() as cur:
            while not self.stopping.is_set():
                cur.execute("""SELECT org_id, scope, category, window_start, event_count, co2e_kg_sum,
                                      EXTRACT(EPOCH FROM updated_at)
                               FROM emission_rollup_minute
                               WHERE window_start >= %s AND org_id LIKE 'fresh-org-%%'""", (self.since,))
                now = time.time()
                self.polls += 1
                for org, scope, category, start, count, total, updated in cur.fetchall():
                    versions = self.seen[(org, scope, category, start.timestamp())]
                    versions.setdefault((count, Decimal(total)), (now, float(updated)))
                self.stopping.wait(POLL_S)


def produce(bootstrap: str, stop_at: float) -> dict[tuple, list]:
    """Send RATE events/s until ``stop_at`` (epoch s); returns (key, window start) → [count, Σ grams]."""
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                         "linger.ms": 5})
    rng, truth, failures = random.Random(11), defaultdict(lambda: [0, 0]), []
    per_tick, tick_s = RATE // 100, 0.01
    next_tick = time.time()
    while next_tick < stop_at:
        for _ in range(per_tick):
            now = time.time()
            if now >= stop_at:
                break
            org, scope, category = KEYS[rng.randrange(len(KEYS))]
            grams = rng.randrange(1, 1_000_000)
            stamp = datetime.fromtimestamp(now, timezone.utc)
            occurred = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
            value = (f'{{"event_id":"{_uuid(rng)}","org_id":"{org}","occurred_at":"{occurred}",'
                     f'"co2e_kg":{grams // 1000}.{grams % 1000:03d},"scope":{scope},"category":"{category}"}}')
            window = (org, scope, category, float(int(int(now * 1000) // 60_000 * 60)))

            def delivered(err, _msg, window=window, grams=grams) -> None:
                if err is not None:
                    failures.append(err)
                else:
                    truth[window][0] += 1
                    truth[window][1] += grams
            producer.produce(EMISSIONS.name, value.encode(), org.encode(), on_delivery=delivered)
        producer.poll(0)
        next_tick += tick_s
        time.sleep(max(0.0, next_tick - time.time()))
    if producer.flush(30) != 0 or failures:
        raise RuntimeError(f"freshness producer: {len(failures)} failed deliveries")
    return truth


def _uuid(rng: random.Random) -> str:
    bits = rng.getrandbits(128)
    return (f"{bits >> 96:08x}-{(bits >> 80) & 0xFFFF:04x}-4{(bits >> 68) & 0xFFF:03x}-"
            f"{8 | (bits >> 64) & 3:x}{(bits >> 52) & 0xFFF:03x}-{bits & 0xFFFFFFFFFFFF:012x}")


def _summary(values: list[float]) -> dict:
    return {"n": len(values), "p50_s": _r(percentile(values, 50)), "p95_s": _r(percentile(values, 95)),
            "max_s": _r(max(values) if values else None)}


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def run() -> dict:
    profile = bench_profile()
    if not jobs.find_running(profile, "emissions_rollup"):
        jobs.submit(profile, "emissions_rollup")
    t0 = time.time()
    first_full = (int(t0) // 60 + 1) * 60
    stop_at = first_full + 60 * FULL_WINDOWS
    meter = CpuMeter({"flink_taskmanager": flink.taskmanager_pids(profile)})
    meter.start()
    poller = Poller(profile, datetime.fromtimestamp(first_full - 60, timezone.utc))
    poller.start()
    log.info("producing %d events/s until %s (%d full minute windows)", RATE,
             datetime.fromtimestamp(stop_at, timezone.utc).time(), FULL_WINDOWS)
    truth = produce(f"localhost:{profile.kafka_port}", stop_at)
    time.sleep(15)  # the last window's final rows: freshness targets are seconds
    poller.stopping.set()
    poller.join(10)
    rows, rows_db, windows, missing = [], [], defaultdict(list), 0
    for (org, scope, category, start), (count, grams) in truth.items():
        if not first_full <= start < stop_at:
            continue
        final = poller.seen.get((org, scope, category, start), {}).get((count, Decimal(grams) / 1000))
        if final is None:
            missing += 1
            continue
        end = start + 60
        rows.append(final[0] - end)
        rows_db.append(final[1] - end)
        windows[start].append(final[0] - end)
    return {"name": "freshness", "rate_events_per_s": RATE, "keys": len(KEYS), "full_windows": FULL_WINDOWS,
            "poll_interval_s": POLL_S, "polls": poller.polls,
            "definition": "row: first poll showing the row's final (count, sum) minus window end; window: "
                          "same for the window's last row; db_clock: updated_at of the final write minus window end",
            "rows_never_final": missing, "row_freshness": _summary(rows),
            "row_freshness_db_clock": _summary(rows_db),
            "window_freshness": _summary([max(v) for v in windows.values()]),
            "window_first_row": _summary([min(v) for v in windows.values()]),
            "resources": meter.stop()}


if __name__ == "__main__":
    args = module_args(__doc__, "freshness")
    write_result(args.out, run())
