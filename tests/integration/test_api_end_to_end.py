"""A user's path through the running stack: POST events to the ingest API, read the aggregates in
SQL and over the read API, and the seed-compatible POST and SQL of the older system."""
from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests

from stack.profile import Profile
from tests.utils.ground_truth import AcceptedEvent, expected_rollups, parse_rfc3339
from tests.utils.pipeline import query, rollup_rows, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def posted(stack: Profile) -> dict:
    """300 events POSTed as 3 batches plus 20 single POSTs, 10 of them retries of batch events."""
    rng = random.Random(11)
    prefix = f"api{uuid.uuid4().hex[:8]}-"
    hour = (datetime.now(timezone.utc) - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    bodies = [{"event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "org_id": f"{prefix}{i % 4}",
               "occurred_at": (hour + timedelta(seconds=11 * i)).isoformat(timespec="milliseconds"),
               "co2e_kg": rng.randint(1, 10**6) / 1000, "scope": 1 + i % 3,
               "category": ("purchased_electricity", "waste")[i % 2]} for i in range(310)]
    ingest = f"http://localhost:{stack.ingest_port}"
    for start in range(0, 300, 100):
        response = requests.post(f"{ingest}/v1/emissions/batch", json=bodies[start:start + 100], timeout=30)
        assert response.status_code == 202, response.text
        assert response.json()["event_ids"] == [b["event_id"] for b in bodies[start:start + 100]]
    for body in bodies[300:] + bodies[:10]:
        assert requests.post(f"{ingest}/v1/emissions", json=body, timeout=30).status_code == 202
    events = [AcceptedEvent(b["event_id"], b["org_id"], parse_rfc3339(b["occurred_at"]),
                            Decimal(str(b["co2e_kg"])), b["scope"], b["category"]) for b in bodies]
    expected = expected_rollups(events, "hour")
    wait_for(lambda: rollup_rows(stack.database_url, "hour", prefix) == expected, "hourly rollups", 120)
    return {"prefix": prefix, "events": events, "hour": hour}


def test_posted_events_are_aggregated_exactly_in_sql(stack: Profile, posted: dict) -> None:
    for grain in ("minute", "day", "month"):
        expected = expected_rollups(posted["events"], grain)
        wait_for(lambda: rollup_rows(stack.database_url, grain, posted["prefix"]) == expected, grain, 60)


def test_read_api_returns_the_same_numbers(stack: Profile, posted: dict) -> None:
    read = f"http://localhost:{stack.read_port}"
    expected = expected_rollups(posted["events"], "minute")
    start, end = posted["hour"].isoformat(), (posted["hour"] + timedelta(hours=2)).isoformat()
    for org in sorted({e.org_id for e in posted["events"]}):
        items, page = [], 1
        while True:
            response = requests.get(f"{read}/v1/orgs/{org}/emissions", timeout=10, params={
                "grain": "minute", "from": start, "to": end, "page": page, "per_page": 100})
            assert response.status_code == 200, response.text
            items += response.json()["items"]
            if page * 100 >= response.json()["total"]:
                break
            page += 1
        got = {(org, i["scope"], i["category"], datetime.fromisoformat(i["window_start"])):
               (i["event_count"], Decimal(i["co2e_kg_sum"]), Decimal(i["co2e_kg_min"]), Decimal(i["co2e_kg_max"]))
               for i in items}
        assert got == {k: v for k, v in expected.items() if k[0] == org}


def test_read_api_summary_equals_the_sum_of_the_events(stack: Profile, posted: dict) -> None:
    read = f"http://localhost:{stack.read_port}"
    response = requests.get(f"{read}/v1/emissions/summary", timeout=10, params={
        "from": posted["hour"].isoformat(), "to": (posted["hour"] + timedelta(hours=2)).isoformat(),
        "group_by": "org", "per_page": 1000})
    assert response.status_code == 200, response.text
    got = {i["org_id"]: (i["event_count"], Decimal(i["co2e_kg_sum"]))
           for i in response.json()["items"] if i["org_id"].startswith(posted["prefix"])}
    expected: dict[str, tuple[int, Decimal]] = {}
    for event in {e.event_id: e for e in posted["events"]}.values():
        count, total = expected.get(event.org_id, (0, Decimal(0)))
        expected[event.org_id] = (count + 1, total + event.co2e_kg)
    assert got == expected


def test_seed_compatible_post_and_sql_keep_working(stack: Profile) -> None:
    org_number = random.randint(10**8, 10**9)
    ingest = f"http://localhost:{stack.ingest_port}"
    for value in (100, 250.5):
        response = requests.post(f"{ingest}/emissions", json={"organizationId": org_number, "value": value}, timeout=30)
        assert response.status_code == 201, response.text

    def seeded() -> bool:
        rows = query(stack.database_url, "SELECT * FROM aggregated_emission WHERE organization_id = %s",
                     (str(org_number),))
        return len(rows) == 1 and rows[0][2] == Decimal("350.5")

    wait_for(seeded, "the seed events in aggregated_emission", 120)
    latest = query(stack.database_url, "SELECT * FROM emission ORDER BY timestamp DESC LIMIT 5")
    total = query(stack.database_url, "SELECT count(*) FROM emission_event")[0][0]
    assert len(latest) == min(5, total) and [r[3] for r in latest] == sorted((r[3] for r in latest), reverse=True)
    month_rows = query(stack.database_url, "SELECT * FROM aggregated_emission ORDER BY month DESC")
    assert any(r[0] == str(org_number) and r[2] == Decimal("350.5") for r in month_rows)
    mine = query(stack.database_url, "SELECT value, category, scope FROM emission WHERE organization_id = %s",
                 (str(org_number),))
    assert sorted(r[0] for r in mine) == [Decimal("100"), Decimal("250.5")]
    assert {(r[1], r[2]) for r in mine} == {("unspecified", 1)}
