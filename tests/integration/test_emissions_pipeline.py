"""The spine end to end: records on Kafka → emissions_rollup (Flink) → PostgreSQL, against a
ground truth computed here from the same records."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from carbon_stream.settings import Settings
from stack.profile import Profile
from tests.utils.ground_truth import expected_rollups, first_copies
from tests.utils.pipeline import query, rollup_rows, send_records, wait_for
from tests.utils.workload import accepted_events, build_workload

pytestmark = pytest.mark.integration
GRAINS = ("minute", "hour", "day", "month")


@pytest.fixture(scope="module")
def sent(stack: Profile) -> dict:
    """Send the workload once; wait until the job has written every accepted event."""
    run = uuid.uuid4().hex[:8]
    records = build_workload(run, datetime.now(timezone.utc))
    coordinates = send_records(f"localhost:{stack.kafka_port}", [(r.key, r.value) for r in records])
    unique = first_copies(accepted_events(records))
    prefix = f"it{run}-"

    def all_written() -> bool:
        count = query(stack.database_url, "SELECT count(*) FROM emission_event WHERE org_id LIKE %s",
                      (prefix + "%",))[0][0]
        month = rollup_rows(stack.database_url, "month", prefix)
        return count == len(unique) and month == expected_rollups(unique, "month")

    wait_for(all_written, "the job to write the workload", 180)
    return {"records": records, "coordinates": coordinates, "prefix": prefix, "unique": unique}


@pytest.mark.parametrize("grain", GRAINS)
def test_rollups_equal_ground_truth(stack: Profile, sent: dict, grain: str) -> None:
    expected = expected_rollups(sent["unique"], grain)
    wait_for(lambda: rollup_rows(stack.database_url, grain, sent["prefix"]) == expected, f"{grain} rollups", 60)
    assert rollup_rows(stack.database_url, grain, sent["prefix"]) == expected


def test_duplicates_counted_once_first_copy_wins(stack: Profile, sent: dict) -> None:
    rows = query(stack.database_url, "SELECT event_id::text, co2e_kg FROM emission_event WHERE org_id LIKE %s",
                 (sent["prefix"] + "%",))
    assert len(rows) == len({e.event_id for e in sent["unique"]})
    assert {r[0]: r[1] for r in rows} == {e.event_id: e.co2e_kg for e in sent["unique"]}
    assert sum(1 for r in sent["records"] if r.kind == "duplicate") == 21


def _expected_late(database_url: str, prefix: str) -> dict[str, int]:
    """event_id → lateness_ms by the documented rule, replayed over every stored event of each
    partition in offset order (other tests' events share the partitions): watermark = max
    occurred_at so far on the partition − out-of-orderness; late iff occurred_at < watermark.
    Duplicates repeat an earlier occurred_at, so the first copies alone give the same maxima."""
    rows = query(database_url, """SELECT event_id::text, org_id, kafka_partition, occurred_at
                                  FROM emission_event ORDER BY kafka_partition, kafka_offset""")
    bound = timedelta(seconds=Settings().watermark_out_of_orderness_s)
    newest: dict[int, datetime] = {}
    late: dict[str, int] = {}
    for event_id, org_id, partition, occurred_at in rows:
        newest[partition] = max(newest.get(partition, occurred_at), occurred_at)
        watermark = newest[partition] - bound
        if org_id.startswith(prefix) and occurred_at < watermark:
            late[event_id] = int((watermark - occurred_at) / timedelta(milliseconds=1))
    return late


def test_late_events_corrected_their_windows_and_were_logged(stack: Profile, sent: dict) -> None:
    expected = _expected_late(stack.database_url, sent["prefix"])
    deliberately_late = {json.loads(r.value)["event_id"] for r in sent["records"] if r.kind == "late"}
    assert deliberately_late <= set(expected)
    rows = query(stack.database_url, """
        SELECT event_id::text, lateness_ms, org_id, scope, category, minute_start, day_start
        FROM emission_late_event WHERE org_id LIKE %s""", (sent["prefix"] + "%",))
    assert {r[0]: r[1] for r in rows} == expected
    minute_rows = rollup_rows(stack.database_url, "minute", sent["prefix"])
    day_rows = rollup_rows(stack.database_url, "day", sent["prefix"])
    for _, _, org, scope, category, minute_start, day_start in rows:
        assert (org, scope, category, minute_start) in minute_rows
        assert (org, scope, category, day_start) in day_rows


def test_malformed_records_dead_lettered_with_reasons(stack: Profile, sent: dict) -> None:
    expected = {coord: (r.value, r.dead_letter_reason)
                for r, coord in zip(sent["records"], sent["coordinates"]) if r.kind == "malformed"}

    def dead_letters() -> dict:
        rows = query(stack.database_url, """
            SELECT kafka_partition, kafka_offset, raw_payload, reason FROM emission_dead_letter
            WHERE (kafka_partition, kafka_offset) IN (SELECT * FROM unnest(%s::int[], %s::bigint[]))""",
                     ([c[0] for c in expected], [c[1] for c in expected]))
        return {(r[0], r[1]): (r[2], r[3]) for r in rows}

    wait_for(lambda: len(dead_letters()) == len(expected), "dead letters", 60)
    for coord, (raw, reason) in dead_letters().items():
        expected_raw, expected_reason = expected[coord]
        assert raw == (expected_raw.decode() if expected_raw is not None else None)
        assert reason.startswith(expected_reason), (raw, reason)


def test_timestamps_with_offsets_land_in_their_utc_window(stack: Profile, sent: dict) -> None:
    offset_events = [json.loads(r.value) for r in sent["records"]
                     if r.kind == "in_order" and not json.loads(r.value)["occurred_at"].endswith("Z")]
    assert offset_events, "the workload must contain offset timestamps"
    rows = query(stack.database_url, "SELECT event_id::text, occurred_at FROM emission_event WHERE event_id = ANY(%s::uuid[])",
                 ([e["event_id"] for e in offset_events],))
    stored = dict(rows)
    for event in offset_events:
        assert stored[event["event_id"]] == datetime.fromisoformat(event["occurred_at"]).astimezone(timezone.utc)
