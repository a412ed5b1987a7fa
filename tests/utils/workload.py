"""A known emission workload: in order, out of order within the bound, duplicates, late, malformed.

Each record carries what the pipeline must do with it, so a test can build the ground truth from
the same list it sends.
"""
from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from tests.utils.ground_truth import AcceptedEvent, parse_rfc3339

__all__ = ["Record", "build_workload", "event_json", "accepted_events"]

CATEGORIES = [(1, "stationary_combustion"), (2, "purchased_electricity"), (3, "business_travel")]


@dataclass(frozen=True)
class Record:
    key: str
    value: bytes | None
    kind: str                       # in_order | out_of_order | duplicate | late | malformed
    dead_letter_reason: str | None = None  # expected reason prefix for malformed records


def event_json(event_id: str, org_id: str, occurred_at: str, co2e_kg: str, scope: int, category: str,
               **extra: object) -> bytes:
    body = {"event_id": event_id, "org_id": org_id, "occurred_at": occurred_at, "co2e_kg": co2e_kg,
            "scope": scope, "category": category, **extra}
    return json.dumps(body).encode()


def _z(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _with_offset(moment: datetime, hours: int, minutes: int) -> str:
    return moment.astimezone(timezone(timedelta(hours=hours, minutes=minutes))).isoformat(timespec="milliseconds")


def _valid(rng: random.Random, org: str, moment_text: str, kind: str, index: int) -> Record:
    scope, category = CATEGORIES[index % len(CATEGORIES)]
    kg = str(Decimal(rng.randint(1, 9_999_999)) / 1000)
    return Record(org, event_json(str(uuid.UUID(int=rng.getrandbits(128), version=4)), org, moment_text, kg,
                                  scope, category, source="integration-test"), kind)


def _in_order(rng: random.Random, orgs: list[str], t0: datetime, count: int) -> list[Record]:
    records = []
    for i in range(count):
        moment = t0 + timedelta(seconds=15 * i, milliseconds=rng.randint(0, 999))
        text = _with_offset(moment, 5, 30) if i % 40 == 7 else _with_offset(moment, -8, 0) if i % 40 == 23 else _z(moment)
        records.append(_valid(rng, orgs[i % len(orgs)], text, "in_order", i))
    return records


def _malformed(run: str, now: datetime) -> list[Record]:
    key = f"it{run}-bad"
    good = {"event_id": str(uuid.uuid4()), "org_id": key, "occurred_at": _z(now - timedelta(hours=1)),
            "co2e_kg": "1.5", "scope": 1, "category": "waste"}

    def bad(reason: str, **change: object) -> Record:
        body = {k: v for k, v in {**good, "event_id": str(uuid.uuid4()), **change}.items() if v is not _DROP}
        return Record(key, json.dumps(body).encode(), "malformed", reason)

    return [
        Record(key, b"this is not json", "malformed", "payload:"),
        Record(key, b"[1, 2, 3]", "malformed", "payload:"),
        Record(key, None, "malformed", "payload:"),
        bad("event_id:", event_id=_DROP),
        bad("event_id:", event_id="12345"),
        bad("org_id:", org_id="bad org!"),
        bad("occurred_at:", occurred_at="yesterday"),
        bad("occurred_at:", occurred_at="2026-02-30T10:00:00Z"),
        bad("occurred_at: is more than 300 s in the future", occurred_at=_z(now + timedelta(hours=1))),
        bad("occurred_at: is older than the correction horizon", occurred_at=_z(now - timedelta(days=40))),
        bad("co2e_kg: must be >= 0", co2e_kg="-1"),
        bad("co2e_kg:", co2e_kg="abc"),
        bad("scope:", scope=4),
        bad("scope:", scope=2.5),
        bad("category:", category="Purchased Electricity"),
        bad("attributes:", attributes=[1]),
    ]


_DROP = object()


def build_workload(run: str, now: datetime, seed: int = 7) -> list[Record]:
    """~300 records in send order; org ids start with ``it<run>`` so tests can select their rows."""
    rng = random.Random(seed)
    orgs = [f"it{run}-a", f"it{run}-b", f"it{run}-c"]
    t0 = (now - timedelta(hours=3)).replace(second=0, microsecond=0)
    records = _in_order(rng, orgs, t0, 240)
    last = records[-1]
    newest = parse_rfc3339(json.loads(last.value)["occurred_at"])
    records += [_valid(rng, last.key, _z(newest - timedelta(seconds=s)), "out_of_order", s) for s in (2, 3, 4)]
    records += [Record(r.key, r.value, "duplicate") for r in rng.sample(records[:240], 20)]
    first = json.loads(records[0].value)
    records.append(Record(first["org_id"], json.dumps({**first, "co2e_kg": "999.999"}).encode(), "duplicate"))
    late_moments = [t0 + timedelta(minutes=10, seconds=s) for s in (1, 2, 3, 4, 5)]
    late_moments += [t0 - timedelta(days=1, hours=5, minutes=m) for m in (1, 2, 3)] + [now - timedelta(days=30)]
    records += [_valid(rng, orgs[i % 3], _z(m), "late", i) for i, m in enumerate(late_moments)]
    return records + _malformed(run, now)


def accepted_events(records: list[Record]) -> list[AcceptedEvent]:
    """The valid records in send order (duplicates included), parsed independently of the job."""
    events = []
    for record in records:
        if record.kind == "malformed":
            continue
        body = json.loads(record.value)
        events.append(AcceptedEvent(body["event_id"], body["org_id"], parse_rfc3339(body["occurred_at"]),
                                    Decimal(body["co2e_kg"]), body["scope"], body["category"]))
    return events
