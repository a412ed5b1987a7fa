"""Read API against a real PostgreSQL: exact numbers, totals, order, filters, summary grain, read-only role.

Rows are written as the writer role in a namespace of their own (see conftest.RollupNamespace).
"""
from __future__ import annotations

import logging
import random
import time
from datetime import timedelta
from decimal import Decimal

import psycopg2
import psycopg2.errors
import pytest
from fastapi.testclient import TestClient

from carbon_stream.settings import Settings
from read_api.app import create_app
from read_api.db import DatabaseUnavailable, ReadDatabase, ReadSession
from read_api_factories import GRAINS, build_rollup_rows, random_events  # tests/read_api/

pytestmark = pytest.mark.integration


def _series(client, org_id, **params):
    response = client.get(f"/v1/orgs/{org_id}/emissions", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _window(ns, org_id, scope, category, minute, count, total, low, high):
    start = ns.at(3, 1, 10, minute)
    return {
        "org_id": org_id, "scope": scope, "category": category, "window_start": start,
        "window_end": start + timedelta(minutes=1), "event_count": count,
        "co2e_kg_sum": Decimal(total), "co2e_kg_min": Decimal(low), "co2e_kg_max": Decimal(high),
    }


def test_series_returns_exactly_the_stored_rows_as_decimal_strings(api_client, rollups):
    org = rollups.org("acme")
    rollups.insert("emission_rollup_minute", [
        _window(rollups, org, 2, "purchased_electricity", 0, 3, "123456789012.123456", "0.000001", "99.5"),
        _window(rollups, org, 1, "stationary_combustion", 1, 1, "7.25", "7.25", "7.25"),
    ])
    other = rollups.org("other")
    rollups.insert("emission_rollup_minute", [_window(rollups, other, 1, "business_travel", 0, 1, "1", "1", "1")])
    day = {"from": rollups.at(3, 1).isoformat(), "to": rollups.at(3, 2).isoformat()}
    body = _series(api_client, org, grain="minute", **day)
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 100
    assert body["sort"] == "window_start,scope,category"
    first = body["items"][0]
    assert first == {
        "window_start": f"{rollups.year}-03-01T10:00:00Z", "window_end": f"{rollups.year}-03-01T10:01:00Z",
        "scope": 2, "category": "purchased_electricity", "event_count": 3,
        "co2e_kg_sum": "123456789012.123456", "co2e_kg_min": "0.000001", "co2e_kg_max": "99.500000",
        "updated_at": first["updated_at"],
    }
    assert body["items"][1]["co2e_kg_sum"] == "7.250000"


def test_series_pages_are_stable_and_complete_with_ties(api_client, rollups):
    org = rollups.org("paged")
    rows = [
        _window(rollups, org, scope, category, minute, 1, "5", "5", "5")  # equal sums: ties everywhere
        for minute in range(7) for scope in (1, 2, 3) for category in ("a_cat", "b_cat")
    ]
    rollups.insert("emission_rollup_minute", rows)
    window = {"from": rollups.at(3, 1).isoformat(), "to": rollups.at(3, 2).isoformat(), "grain": "minute"}
    seen = []
    for page in range(1, 6):
        body = _series(api_client, org, sort="-co2e_kg_sum", per_page=10, page=page, **window)
        assert body["total"] == 42 and body["sort"] == "-co2e_kg_sum,scope,category,window_start"
        seen += [(item["scope"], item["category"], item["window_start"]) for item in body["items"]]
    assert len(seen) == 42 and seen == sorted(seen)
    beyond = _series(api_client, org, per_page=10, page=99, **window)
    assert beyond["items"] == [] and beyond["total"] == 42


def test_series_filters_range_and_descending_sort(api_client, rollups):
    org = rollups.org("filtered")
    rows = [
        _window(rollups, org, scope, "a_cat" if minute % 2 else "b_cat", minute, minute + 1, str(minute), "0", "1")
        for minute in range(10) for scope in (1, 3)
    ]
    rollups.insert("emission_rollup_minute", rows)
    params = {"from": rollups.at(3, 1, 10, 3).isoformat(), "to": rollups.at(3, 1, 10, 7).isoformat()}
    params["grain"] = "minute"
    body = _series(api_client, org, scope=3, category="a_cat", sort="-window_start", **params)
    # minutes 3..6 (from inclusive, to exclusive); the odd ones are a_cat: 5, 3 (7 is excluded)
    assert [item["event_count"] for item in body["items"]] == [6, 4]
    assert {item["scope"] for item in body["items"]} == {3} and body["total"] == 2
    assert _series(api_client, org, **params)["total"] == 8  # 4 minutes x 2 scopes, no filter
    offset_params = {**params, "from": "%d-03-01T11:03:00+01:00" % rollups.year}  # same instant as 10:03Z
    assert _series(api_client, org, scope=3, category="a_cat", **offset_params)["total"] == 2
    assert _series(api_client, org, **{**params, "grain": "hour"})["total"] == 0


def _summary(client, **params):
    response = client.get("/v1/emissions/summary", params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def summary_events(module_rollups):
    """3000 random events over 181 days for three orgs, rolled up into all four tables."""
    orgs = [module_rollups.org(name) for name in ("n1", "n2", "n3")]
    events = random_events(random.Random(7), orgs, module_rollups.at(1, 1), timedelta(days=181), 3000)
    for grain in GRAINS:
        module_rollups.insert(f"emission_rollup_{grain}", build_rollup_rows(events, grain))
    return events


@pytest.mark.parametrize(
    ("start", "end", "grain"),
    [
        ((1, 1), (7, 1), "month"),
        ((2, 1), (3, 15), "day"),
        ((2, 3, 5), (2, 20, 17), "hour"),
        ((2, 3, 5, 13), (5, 20, 17, 1), "minute"),
    ],
)
@pytest.mark.parametrize("group_by", ["org", "scope", "category"])
def test_summary_totals_are_exact_from_the_coarsest_aligned_grain(
    api_client, module_rollups, summary_events, start, end, grain, group_by
):
    first, last = module_rollups.at(*start), module_rollups.at(*end)
    span = {"from": first.isoformat(), "to": last.isoformat()}
    body = _summary(api_client, group_by=group_by, per_page=1000, **span)
    assert body["rollup_grain"] == grain and body["group_by"] == group_by
    key = {"org": "org_id", "scope": "scope", "category": "category"}[group_by]
    expected: dict = {}
    for event in summary_events:
        if first <= event.occurred_at < last:
            count, total = expected.get(getattr(event, key), (0, Decimal(0)))
            expected[getattr(event, key)] = (count + 1, total + event.co2e_kg)
    got = {item[key]: (item["event_count"], Decimal(item["co2e_kg_sum"])) for item in body["items"]}
    assert expected and got == expected and body["total"] == len(expected)
    assert [item[key] for item in body["items"]] == sorted(expected)  # default order: the group key


def test_summary_sort_pagination_and_filters(api_client, rollups):
    orgs = [rollups.org(f"o{i}") for i in range(5)]
    events = random_events(random.Random(11), orgs, rollups.at(4, 1), timedelta(days=30), 500)
    rollups.insert("emission_rollup_month", build_rollup_rows(events, "month"))
    rollups.insert("emission_rollup_day", build_rollup_rows(events, "day"))
    params = {"from": rollups.at(4, 1).isoformat(), "to": rollups.at(5, 1).isoformat(), "scope": 2}
    pages = [_summary(api_client, sort="-co2e_kg_sum", per_page=2, page=page, **params) for page in (1, 2, 3)]
    items = [item for body in pages for item in body["items"]]
    sums = {}
    for event in events:
        if event.scope == 2:
            sums[event.org_id] = sums.get(event.org_id, Decimal(0)) + event.co2e_kg
    assert [item["org_id"] for item in items] == sorted(sums, key=lambda org: -sums[org])
    assert all(body["total"] == len(sums) for body in pages) and pages[0]["sort"] == "-co2e_kg_sum,org_id"
    assert set(pages[0]["items"][0]) == {"org_id", "event_count", "co2e_kg_sum"}


def test_reader_role_cannot_write(pg_reader_url, rollups):
    conn = psycopg2.connect(pg_reader_url)
    try:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege), conn.cursor() as cur:
            cur.execute(
                "INSERT INTO emission_rollup_minute (org_id, scope, category, window_start, window_end, "
                "event_count, co2e_kg_sum, co2e_kg_min, co2e_kg_max) VALUES (%s, 1, 'x', %s, %s, 1, 1, 1, 1)",
                (rollups.org("intruder"), rollups.at(), rollups.at(1, 1, 0, 1)),
            )
    finally:
        conn.close()


def test_api_connections_are_read_only_even_for_a_role_that_may_write(pg_writer_url, rollups):
    database = ReadDatabase(pg_writer_url, max_connections=1, statement_timeout_ms=1000)
    session = ReadSession(database)
    try:
        assert session.fetch_all("SHOW default_transaction_read_only", {}) == [("on",)]
        with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            session.fetch_all("CREATE TEMP TABLE should_fail (x int)", {})
        assert session.fetch_all("SELECT 1", {}) == [(1,)]  # the connection stays usable
    finally:
        database.close()


def test_health_reports_postgresql_ok(api_client):
    body = api_client.get("/v1/health").json()
    postgresql = next(c for c in body["components"] if c["name"] == "postgresql")
    assert postgresql["status"] == "ok" and postgresql["details"]["default_transaction_read_only"] == "on"


def test_pooled_connections_closed_by_the_server_are_replaced_transparently(pg_writer_url, caplog):
    database = ReadDatabase(pg_writer_url, max_connections=2, statement_timeout_ms=1000)
    session = ReadSession(database)
    first, second = database.borrow(), database.borrow()  # fill the pool with two idle connections
    pids = [first.get_backend_pid(), second.get_backend_pid()]
    database.give_back(first, broken=False)
    database.give_back(second, broken=False)
    killer = psycopg2.connect(pg_writer_url)
    try:
        with killer.cursor() as cur:  # as after a server restart: both idle connections are gone
            cur.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s) AS pid", (pids,))
            for _ in range(50):  # termination is asynchronous
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,))
                if cur.fetchone()[0] == 0:
                    break
                time.sleep(0.1)
        with caplog.at_level(logging.INFO, logger="read_api.db"):
            assert session.fetch_all("SELECT 1", {}) == [(1,)]
        assert caplog.text.count("discarding a closed pooled connection") == 2
        (pid,) = session.fetch_all("SELECT pg_backend_pid()", {})[0]
        assert pid not in pids
    finally:
        killer.close()
        database.close()


def test_statement_timeout_answers_503_not_a_hang(pg_writer_url):
    database = ReadDatabase(pg_writer_url, max_connections=1, statement_timeout_ms=100)
    try:
        with pytest.raises(DatabaseUnavailable, match="statement timeout"):
            ReadSession(database).fetch_all("SELECT pg_sleep(5)", {})
    finally:
        database.close()


def test_health_is_ok_on_a_running_stack(stack, pg_reader_url):
    """The test stack: Kafka with the project's topics, Flink running the jobs."""
    settings = Settings(read_database_url=pg_reader_url, kafka_bootstrap_servers=f"localhost:{stack.kafka_port}",
                        flink_rest_url=f"http://localhost:{stack.flink_rest_port}")
    with TestClient(create_app(settings)) as client:
        response = client.get("/v1/health")
    assert response.status_code == 200, response.text
    names = {component["name"] for component in response.json()["components"]}
    assert names == {"postgresql", "kafka", *(f"flink_job:{job}" for job in settings.expected_flink_jobs)}
