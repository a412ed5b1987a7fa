"""Pieces of the read API without a database: grains, sort parsing, SQL building, Flink health."""
from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from carbon_stream.settings import Settings
from read_api.grains import Grain, coarsest_aligned_grain, is_aligned
from read_api.health import assess_flink_job, check_flink_jobs, newest_job
from read_api.params import EmissionFilters, PageParams, SortKey, TimeRange, format_sort, parse_sort, sort_problems
from read_api.queries import GRAIN_TABLES, SeriesQuery, build_series_sql

UTC = timezone.utc


@pytest.mark.parametrize(
    ("start", "end", "grain"),
    [
        ("2026-01-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00", Grain.month),
        ("2026-01-01T01:00:00+01:00", "2026-02-01T00:00:00+00:00", Grain.month),  # offset: UTC midnight
        ("2026-01-01T00:00:00+00:00", "2026-01-15T00:00:00+00:00", Grain.day),
        ("2026-01-01T00:00:00+05:30", "2026-01-02T00:00:00+05:30", Grain.minute),  # 18:30 UTC
        ("2026-01-01T00:00:00+00:00", "2026-01-01T13:00:00+00:00", Grain.hour),
        ("2026-01-01T00:07:00+00:00", "2026-01-01T13:00:00+00:00", Grain.minute),
        ("2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00", Grain.month),  # empty range
        ("2026-01-01T00:00:01+00:00", "2026-01-01T13:00:00+00:00", None),
        ("2026-01-01T00:00:00+00:00", "2026-01-01T13:00:00.001+00:00", None),
    ],
)
def test_coarsest_aligned_grain(start, end, grain):
    assert coarsest_aligned_grain(datetime.fromisoformat(start), datetime.fromisoformat(end)) == grain


def test_is_aligned_month_needs_first_day_at_midnight_utc():
    assert is_aligned(datetime(2026, 2, 1, tzinfo=UTC), Grain.month)
    assert not is_aligned(datetime(2026, 2, 2, tzinfo=UTC), Grain.month)
    assert is_aligned(datetime(2026, 2, 2, tzinfo=UTC), Grain.day)
    assert not is_aligned(datetime(2026, 2, 1, tzinfo=timezone(timedelta(hours=1))), Grain.month)


def test_parse_sort_appends_the_missing_primary_key_fields():
    keys = parse_sort("-co2e_kg_sum,scope", ("scope", "category", "window_start"))
    assert keys == (SortKey("co2e_kg_sum", True), SortKey("scope"), SortKey("category"), SortKey("window_start"))
    assert format_sort(keys) == "-co2e_kg_sum,scope,category,window_start"


def test_sort_problems_whitelist_and_duplicates():
    assert sort_problems("-a,b", ("a", "b")) == []
    messages = [p["msg"] for p in sort_problems("x,a,-a", ("a",))]
    assert messages[0].startswith("unknown sort field 'x'") and messages[1] == "sort field 'a' is given twice"


def test_series_sql_uses_the_grain_table_and_binds_every_value():
    query = SeriesQuery(
        org_id="acme'; drop table x; --", grain=Grain.day,
        time_range=TimeRange(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)),
        filters=EmissionFilters(scope=2, category="business_travel"),
        sort=parse_sort("-co2e_kg_sum", ("scope", "category", "window_start")),
        page=PageParams(page=3, per_page=50),
    )
    statement, params = build_series_sql(query)
    text = repr(statement)
    assert GRAIN_TABLES[Grain.day] in text and "drop table" not in text
    assert params["org_id"] == query.org_id
    bound = (params["limit"], params["offset"], params["scope"], params["category"])
    assert bound == (50, 100, 2, "business_travel")


NOW_MS = 1_800_000_000_000


def _job(name, state, start_ms, jid="j1"):
    return {"jid": jid, "name": name, "state": state, "start-time": start_ms}


@pytest.mark.parametrize(
    ("jobs", "expected_jid"),
    [
        ([], None),
        ([_job("other", "RUNNING", NOW_MS, "other")], None),
        ([_job("emissions_rollup", "CANCELED", NOW_MS - 9, "old"),
          _job("emissions_rollup", "FAILED", NOW_MS, "new")], "new"),
        ([_job("emissions_rollup", "RUNNING", NOW_MS - 9, "running"),
          _job("emissions_rollup", "CANCELED", NOW_MS, "canceled")], "running"),
    ],
)
def test_newest_job_prefers_running_then_latest_start(jobs, expected_jid):
    job = newest_job("emissions_rollup", jobs)
    assert (job["jid"] if job else None) == expected_jid


def test_assess_flink_job_running_with_fresh_checkpoint_is_ok():
    checkpoints = {"latest": {"completed": {"latest_ack_timestamp": NOW_MS - 12_000}}}
    jobs = [_job("emissions_rollup", "RUNNING", NOW_MS - 60_000)]
    ok, details = assess_flink_job("emissions_rollup", jobs, checkpoints, NOW_MS, 300)
    assert ok
    assert details["last_checkpoint_age_s"] == 12.0 and details["uptime_s"] == 60.0


def test_assess_flink_job_prefers_the_running_copy_over_older_cancelled_ones():
    jobs = [_job("emissions_rollup", "CANCELED", NOW_MS - 10**7, "old"),
            _job("emissions_rollup", "RUNNING", NOW_MS - 5_000, "new")]
    ok, details = assess_flink_job("emissions_rollup", jobs, {"latest": {"completed": None}}, NOW_MS, 300)
    assert ok and details["job_id"] == "new" and details["last_checkpoint_age_s"] is None


@pytest.mark.parametrize(
    ("jobs", "checkpoints", "expected_state"),
    [
        ([], None, "NOT_FOUND"),
        ([_job("emissions_rollup", "FAILED", NOW_MS - 1000)], None, "FAILED"),
        ([_job("other", "RUNNING", NOW_MS - 1000)], None, "NOT_FOUND"),
        ([_job("emissions_rollup", "RUNNING", NOW_MS - 10**6)],
         {"latest": {"completed": {"latest_ack_timestamp": NOW_MS - 900_000}}}, "RUNNING"),
        ([_job("emissions_rollup", "RUNNING", NOW_MS - 10**6)], {"latest": {"completed": None}}, "RUNNING"),
    ],
)
def test_assess_flink_job_degraded_cases(jobs, checkpoints, expected_state):
    ok, details = assess_flink_job("emissions_rollup", jobs, checkpoints, NOW_MS, 300)
    assert not ok and details["state"] == expected_state


class _FakeFlink(BaseHTTPRequestHandler):
    """Flink's REST API as far as the health check reads it: one RUNNING job with a checkpoint."""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        now_ms = int(time.time() * 1000)
        if self.path == "/jobs/overview":
            job = {"jid": "abc", "name": "emissions_rollup", "state": "RUNNING", "start-time": now_ms - 90_000}
            body = {"jobs": [job]}
        elif self.path == "/jobs/abc/checkpoints":
            body = {"latest": {"completed": {"id": 7, "latest_ack_timestamp": now_ms - 4_000}}}
        else:
            self.send_error(404)
            return
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def fake_flink_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeFlink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_check_flink_jobs_reads_state_uptime_and_checkpoint_age_over_http(fake_flink_url):
    settings = Settings(flink_rest_url=fake_flink_url, expected_flink_jobs=("emissions_rollup", "missing_job"))
    found = {component.name: component for component in check_flink_jobs(settings)}
    running = found["flink_job:emissions_rollup"]
    assert running.status == "ok" and running.details["state"] == "RUNNING"
    assert 3 <= running.details["last_checkpoint_age_s"] <= 10 and running.details["uptime_s"] >= 90
    assert found["flink_job:missing_job"].status == "degraded"
    assert found["flink_job:missing_job"].details["state"] == "NOT_FOUND"
