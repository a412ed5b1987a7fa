"""Pipeline throughput: a pre-loaded topic of 2M events through the emissions_rollup job into PostgreSQL.

Steps: forget the job (``stack.jobs.forget``: no job, state, offsets or rows), re-create its topic; pre-load the workload
(``bench.pipeline_workload``); submit the job; wait until PostgreSQL holds every event; check the
totals exactly; report events/s.

Timing (from PostgreSQL's own clocks, so polling does not blur it): ``first`` = the earliest
``emission_event.stored_at`` / rollup ``updated_at``; raw rows done = the latest ``stored_at``;
rollups done = the latest ``updated_at`` of the 4 rollup tables (a row's last correction).
events/s = distinct events / (done - first). ``now()`` is each sink transaction's start, so a
figure is late by at most one sink flush (ms).
"""
from __future__ import annotations

import argparse
import logging
import time
from decimal import Decimal

from confluent_kafka.admin import AdminClient

from bench.common import CpuMeter, bench_profile, connect, write_result, RESULTS
from bench.flink_metrics import VertexSampler
from bench.pipeline_workload import Workload, build_and_send
from carbon_stream.topics import EMISSIONS
from flink_jobs.emissions_rollup import OUTPUT_TABLES
from stack import flink, jobs, kafka
from stack.proc import read_pid, wait_until
from stack.profile import Profile

__all__ = ["run"]

log = logging.getLogger("bench.pipeline")
JOB = "emissions_rollup"
ROLLUPS = [table for table in OUTPUT_TABLES if table.startswith("emission_rollup_")]


def reset(profile: Profile) -> None:
    """No job, no job state, an empty ``emissions.v1``, no committed offsets, empty output tables."""
    jobs.forget(profile, JOB)
    bootstrap = f"localhost:{profile.kafka_port}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    if EMISSIONS.name in admin.list_topics(timeout=10).topics:
        admin.delete_topics([EMISSIONS.name])[EMISSIONS.name].result(30)
    # deletion is asynchronous: metadata may list the topic for a while, and creating it then is a no-op
    wait_until(lambda: EMISSIONS.name not in admin.list_topics(timeout=10).topics, "topic deletion", 60)
    kafka.create_topics(bootstrap)
    wait_until(lambda: EMISSIONS.name in admin.list_topics(timeout=10).topics, "topic creation", 60)


def _one(cur, sql: str, params: tuple = ()):
    cur.execute(sql, params)
    return cur.fetchone()[0]


def wait_until_complete(profile: Profile, distinct: int, timeout_s: float) -> dict:
    """Poll cheaply (day rollup total, insert statistics) until every event is in; then count exactly."""
    t0, first_seen, last_progress, last_value = time.monotonic(), None, time.monotonic(), -1
    with connect(profile) as conn, conn.cursor() as cur:
        while time.monotonic() - t0 < timeout_s and time.monotonic() - last_progress < 120:
            time.sleep(0.5)
            if first_seen is None:
                if _one(cur, "SELECT EXISTS (SELECT 1 FROM emission_event) OR EXISTS (SELECT 1 FROM emission_rollup_day)"):
                    first_seen = time.time()
                continue
            day_total = _one(cur, "SELECT COALESCE(SUM(event_count), 0) FROM emission_rollup_day")
            inserted = _one(cur, "SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'emission_event'")
            if day_total + inserted != last_value:
                last_value, last_progress = day_total + inserted, time.monotonic()
            if day_total >= distinct and inserted >= distinct:
                # every rollup, not only the day one: the minute sink (most rows) finishes last
                if _one(cur, "SELECT COUNT(*) FROM emission_event") >= distinct and all(
                        _one(cur, f"SELECT COALESCE(SUM(event_count), 0) FROM {table}") >= distinct
                        for table in ROLLUPS):
                    time.sleep(2)  # a last correction of a row already counted: let the sinks flush
                    return {"complete": True, "first_row_polled_at": first_seen}
        return {"complete": False, "first_row_polled_at": first_seen}


def timings(profile: Profile, distinct: int) -> dict:
    with connect(profile) as conn, conn.cursor() as cur:
        cur.execute("SELECT EXTRACT(EPOCH FROM MIN(stored_at)), EXTRACT(EPOCH FROM MAX(stored_at)) FROM emission_event")
        raw_first, raw_last = (float(x) for x in cur.fetchone())
        spans = []
        for table in ROLLUPS:
            cur.execute(f"SELECT EXTRACT(EPOCH FROM MIN(updated_at)), EXTRACT(EPOCH FROM MAX(updated_at)) FROM {table}")
            spans.append(tuple(float(x) for x in cur.fetchone()))
    first = min(raw_first, *(s[0] for s in spans))
    rollups_last = max(s[1] for s in spans)

    def rate(last: float) -> float:
        return round(distinct / (last - first))

    return {"first_row_at": first, "raw_last_at": raw_last, "rollups_last_at": rollups_last,
            "raw_s": round(raw_last - first, 2), "rollups_s": round(rollups_last - first, 2),
            "all_s": round(max(raw_last, rollups_last) - first, 2),
            "raw_events_per_s": rate(raw_last), "rollup_events_per_s": rate(rollups_last),
            "events_per_s": rate(max(raw_last, rollups_last))}


def check_totals(profile: Profile, workload: Workload) -> dict:
    """Per UTC day: distinct events and Σ co2e_kg in emission_event and in each rollup = the input."""
    expected = {day: (count, total) for day, (count, total) in workload.expected_per_day().items()}
    found: dict[str, dict] = {}
    with connect(profile) as conn, conn.cursor() as cur:
        cur.execute("""SELECT to_char(date_trunc('day', occurred_at), 'YYYY-MM-DD'), COUNT(*), SUM(co2e_kg)
                       FROM emission_event GROUP BY 1""")
        found["emission_event"] = {d: (c, Decimal(s)) for d, c, s in cur.fetchall()}
        for table in ROLLUPS[:3]:
            cur.execute(f"""SELECT to_char(date_trunc('day', window_start), 'YYYY-MM-DD'), SUM(event_count),
                            SUM(co2e_kg_sum) FROM {table} GROUP BY 1""")
            found[table] = {d: (int(c), Decimal(s)) for d, c, s in cur.fetchall()}
        cur.execute("SELECT SUM(event_count), SUM(co2e_kg_sum) FROM emission_rollup_month")
        month_count, month_sum = cur.fetchone()
        counts = {t: _one(cur, f"SELECT COUNT(*) FROM {t}") for t in OUTPUT_TABLES}
    grand = (sum(c for c, _ in expected.values()), sum((s for _, s in expected.values()), Decimal(0)))
    exact = {table: rows == expected for table, rows in found.items()}
    exact["emission_rollup_month (total)"] = (int(month_count or 0), Decimal(month_sum or 0)) == grand
    mismatches = {t: {"expected": {d: [c, str(s)] for d, (c, s) in expected.items()},
                      "found": {d: [c, str(s)] for d, (c, s) in found[t].items()}}
                  for t, ok in exact.items() if not ok and t in found}
    return {"exact": all(exact.values()), "per_table": exact, "expected_per_day":
            {d: {"events": c, "co2e_kg": str(s)} for d, (c, s) in expected.items()},
            "rows": counts, "mismatches": mismatches}


def run(events: int = 2_000_000) -> dict:
    profile = bench_profile()
    reset(profile)
    workload = build_and_send(f"localhost:{profile.kafka_port}", events)
    submitted_at = time.time()
    job_id = jobs.submit(profile, JOB)
    log.info("job %s RUNNING %.1f s after submit", job_id, time.time() - submitted_at)
    meter = CpuMeter({"flink_taskmanager": flink.taskmanager_pids(profile),
                      "kafka": [read_pid(kafka.pidfile(profile))]},
                     pg_postmaster=read_pid(profile.root / "postgres" / "data" / "postmaster.pid"))
    meter.start()
    sampler = VertexSampler(flink.rest_url(profile), job_id)
    sampler.start()
    completion = wait_until_complete(profile, events, timeout_s=900)
    vertices, resources = sampler.stop(), meter.stop()
    result = {"name": "pipeline", "events": events, "duplicate_copies": workload.duplicate_copies,
              "records_in_topic": workload.records, "orgs": 1000, "scopes": 3, "categories": 5,
              "event_time_span": [workload.first_occurred_at, workload.last_occurred_at],
              "preload_s": workload.send_s, "job_id": job_id, **completion}
    if completion["complete"]:
        result.update(timings(profile, events))
        log.info("raw rows %.0f events/s, rollups %.0f events/s, all %.0f events/s",
                 result["raw_events_per_s"], result["rollup_events_per_s"], result["events_per_s"])
    result["totals"] = check_totals(profile, workload)
    log.info("totals exact: %s", result["totals"]["exact"])
    result.update({"flink_vertices": vertices, "resources": resources,
                   "job_config": _job_config(profile, job_id)})
    return result


def _job_config(profile: Profile, job_id: str) -> dict:
    import requests
    config = requests.get(f"{flink.rest_url(profile)}/jobs/{job_id}/config", timeout=5).json()
    user = config.get("execution-config", {}).get("user-config", {})
    return {k: v for k, v in user.items() if k.startswith(("table.", "state.", "execution.", "parallelism"))}


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(RESULTS / "pipeline.json"))
    parser.add_argument("--events", type=int, default=2_000_000)
    args = parser.parse_args()
    write_result(__import__("pathlib").Path(args.out), run(args.events))
