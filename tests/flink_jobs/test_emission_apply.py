"""emission_apply_staged() (sql/005_emission_apply.sql), the step that stores emissions_rollup's
events and adds them to the rollups, on the test stack's PostgreSQL: called on staged events the way
the job's sink calls it, twice over overlapping batches (a replay), it stores each event_id once
(the first copy), adds exactly the stored events to their UTC minute/hour/day/month rows (compared
with a ground truth computed here) and logs the late ones. Everything runs in one transaction that
is rolled back: the job's tables are left as they were."""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import psycopg2
import pytest

from stack.profile import Profile

pytestmark = pytest.mark.integration
WATERMARK_LAG = timedelta(seconds=5)


def _events(org: str) -> list[dict]:
    """Events around a month boundary (UTC), each with its partition's watermark as the job computes it:
    the running max occurred_at - 5 s; the event at index 4 arrives 10 minutes behind it (late)."""
    base = datetime(2026, 10, 31, 23, 58, 30, tzinfo=timezone.utc)
    offsets_s = [0, 20, 45, 70, 70 - 600, 95, 130]
    events, max_seen = [], None
    for i, offset in enumerate(offsets_s):
        occurred_at = base + timedelta(seconds=offset)
        max_seen = occurred_at if max_seen is None else max(max_seen, occurred_at)
        events.append({"event_id": str(uuid.uuid4()), "org_id": org, "occurred_at": occurred_at,
                       "co2e_kg": Decimal(f"{i + 1}.25{i}"), "scope": 1 + i % 2, "category": "waste",
                       "kafka_partition": 0, "kafka_offset": i, "watermark_at": max_seen - WATERMARK_LAG})
    return events


def _window_start(at: datetime, grain: str) -> datetime:
    if grain == "month":
        return at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if grain == "day":
        return at.replace(hour=0, minute=0, second=0, microsecond=0)
    if grain == "hour":
        return at.replace(minute=0, second=0, microsecond=0)
    return at.replace(second=0, microsecond=0)


def _expected(events: list[dict], grain: str) -> dict[tuple, tuple]:
    groups = defaultdict(list)
    for e in events:
        groups[(e["scope"], _window_start(e["occurred_at"], grain))].append(e["co2e_kg"])
    return {key: (len(kgs), sum(kgs), min(kgs), max(kgs)) for key, kgs in groups.items()}


def _apply(cur, events: list[dict]) -> int:
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS copy_stage (LIKE emission_event INCLUDING DEFAULTS) "
                "ON COMMIT DELETE ROWS")
    cur.execute("DELETE FROM copy_stage")  # one transaction here: emptied by hand between batches
    for e in events:
        cur.execute("""INSERT INTO copy_stage (event_id, org_id, occurred_at, co2e_kg, scope, category, kafka_partition,
                                               kafka_offset, kafka_timestamp, watermark_at)
                       VALUES (%(event_id)s, %(org_id)s, %(occurred_at)s, %(co2e_kg)s, %(scope)s, %(category)s,
                               %(kafka_partition)s, %(kafka_offset)s, %(occurred_at)s, %(watermark_at)s)""", e)
    cur.execute("SELECT emission_apply_staged()")
    return cur.fetchone()[0]


def test_events_are_stored_and_rolled_up_once_across_a_replay_and_late_ones_are_logged(stack: Profile):
    org = f"apply-{uuid.uuid4().hex[:8]}"
    events = _events(org)
    retry = {**events[1], "co2e_kg": Decimal("999")}  # same event_id, other payload: the first copy counts
    conn = psycopg2.connect(stack.database_url)
    try:
        with conn.cursor() as cur:
            assert _apply(cur, events[:4] + [retry]) == 4
            assert _apply(cur, events[2:]) == 3  # a replay of 2 and 3 with the rest: only 4, 5, 6 are new

            for grain in ("minute", "hour", "day", "month"):
                cur.execute(f"""SELECT scope, window_start, event_count, co2e_kg_sum, co2e_kg_min, co2e_kg_max,
                                       window_end - window_start FROM emission_rollup_{grain} WHERE org_id = %s""",
                            (org,))
                rows = cur.fetchall()
                assert {(s, w): tuple(values) for s, w, *values, _ in rows} == _expected(events, grain), grain
            cur.execute("SELECT bool_and((window_start AT TIME ZONE 'UTC') + interval '1 month' "
                        "= window_end AT TIME ZONE 'UTC') FROM emission_rollup_month WHERE org_id = %s", (org,))
            assert cur.fetchone()[0]  # calendar months: October's row ends on November 1st
            cur.execute("SELECT count(*), sum(co2e_kg) FROM emission_event WHERE org_id = %s", (org,))
            assert cur.fetchone() == (len(events), sum(e["co2e_kg"] for e in events))
            cur.execute("SELECT event_id::text, lateness_ms, minute_start FROM emission_late_event WHERE org_id = %s",
                        (org,))
            late = events[4]
            assert cur.fetchall() == [(late["event_id"], int((late["watermark_at"] - late["occurred_at"])
                                                                  / timedelta(milliseconds=1)),
                                       _window_start(late["occurred_at"], "minute"))]
    finally:
        conn.rollback()
        conn.close()
