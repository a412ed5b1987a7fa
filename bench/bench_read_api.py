"""Benchmark of the read API's time-series endpoint on >= 1M rows of emission_rollup_minute.

Loads a synthetic table (COPY) into the given database as the writer role, then sends a bounded
number of requests for random organisations and ranges from a few client threads to an already
running read API (it starts nothing itself), and reports req/s and p50/p90/p99 latency. It also
records EXPLAIN ANALYZE of one representative query, to show which index the query uses.

    python bench/bench_read_api.py --database-url postgresql://carbon:carbon@127.0.0.1:5432/carbon \\
        --api-url http://127.0.0.1:8001 --requests 5000 --concurrency 4

Bench rows live under org ids ``bench-org-NNNN`` in 2025 and are replaced on every load
(``--skip-load`` reuses them). Target: p99 <= 30 ms.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import queue
import random
import re
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlparse

import psycopg2
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import RESULTS, bench_profile, loadavg, percentile, process_tree_cpu_s, write_result  # noqa: E402
from carbon_stream.settings import get_settings  # noqa: E402
from read_api.grains import Grain  # noqa: E402
from read_api.params import EmissionFilters, PageParams, TimeRange, parse_sort  # noqa: E402
from read_api.queries import SERIES_PRIMARY_KEY, SeriesQuery, build_series_sql  # noqa: E402

log = logging.getLogger("bench_read_api")

ORG_PREFIX = "bench-org-"
# The bench rows: org ids from ORG_PREFIX up to (excluding) the prefix with its last "-" raised to "."
# (the next character), i.e. exactly the org ids starting with ORG_PREFIX.
BENCH_ROWS_WHERE = "org_id >= %s AND org_id < %s"
BENCH_ROWS_PARAMS = (ORG_PREFIX, ORG_PREFIX[:-1] + ".")
CATEGORIES = ("purchased_electricity", "stationary_combustion", "business_travel", "waste", "fleet_fuel")
SERIES_PER_ORG = 3 * len(CATEGORIES)  # scopes 1..3 x categories
FIRST_MINUTE = datetime(2025, 1, 1, tzinfo=timezone.utc)
TARGET_P99_MS = 30.0


@dataclass(frozen=True)
class Dataset:
    orgs: int
    minutes: int

    @property
    def rows(self) -> int:
        return self.orgs * SERIES_PER_ORG * self.minutes

    def org_id(self, index: int) -> str:
        return f"{ORG_PREFIX}{index:04d}"


class _RowStream:
    """A read()-able text stream of COPY rows, generated lazily (no 100 MB string in memory)."""

    def __init__(self, dataset: Dataset, seed: int) -> None:
        self._lines = self._generate(dataset, random.Random(seed))
        self._buffer = ""

    @staticmethod
    def _generate(dataset: Dataset, rng: random.Random):
        for org in range(dataset.orgs):
            org_id = dataset.org_id(org)
            for scope in (1, 2, 3):
                for category in CATEGORIES:
                    for minute in range(dataset.minutes):
                        start = FIRST_MINUTE + timedelta(minutes=minute)
                        count = rng.randint(1, 20)
                        low = rng.randint(1, 10**6)
                        high = low + rng.randint(0, 10**7)
                        total = low + high + (count - 2) * low if count > 1 else low
                        yield (f"{org_id}\t{scope}\t{category}\t{start.isoformat()}\t"
                               f"{(start + timedelta(minutes=1)).isoformat()}\t{count}\t"
                               f"{total / 1e6:.6f}\t{low / 1e6:.6f}\t{(high if count > 1 else low) / 1e6:.6f}\n")

    def read(self, size: int = -1) -> str:
        while size < 0 or len(self._buffer) < size:
            chunk = "".join(line for _, line in zip(range(2000), self._lines))
            if not chunk:
                break
            self._buffer += chunk
        out, self._buffer = (self._buffer, "") if size < 0 else (self._buffer[:size], self._buffer[size:])
        return out



def load_rows(database_url: str, dataset: Dataset, seed: int) -> float:
    """Replace the bench rows with ``dataset`` via COPY, then VACUUM ANALYZE. Returns seconds taken."""
    started = time.perf_counter()
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"DELETE FROM emission_rollup_minute WHERE {BENCH_ROWS_WHERE}", BENCH_ROWS_PARAMS)
            cur.copy_expert(
                "COPY emission_rollup_minute (org_id, scope, category, window_start, window_end, event_count, "
                "co2e_kg_sum, co2e_kg_min, co2e_kg_max) FROM STDIN", _RowStream(dataset, seed), size=1 << 20,
            )
        conn.commit()
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM (ANALYZE) emission_rollup_minute")
    finally:
        conn.close()
    return time.perf_counter() - started


def count_bench_rows(database_url: str) -> int:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM emission_rollup_minute WHERE {BENCH_ROWS_WHERE}", BENCH_ROWS_PARAMS)
        return cur.fetchone()[0]


def random_request(rng: random.Random, dataset: Dataset, max_range_minutes: int) -> dict:
    """A time-series query for a random org over a random range of 10..max_range_minutes minutes."""
    length = rng.randint(10, max_range_minutes)
    start = FIRST_MINUTE + timedelta(minutes=rng.randrange(max(dataset.minutes - length, 1)))
    params = {
        "grain": "minute", "from": start.isoformat(), "to": (start + timedelta(minutes=length)).isoformat(),
        "per_page": 100,
    }
    if rng.random() < 0.25:
        params["scope"] = rng.randint(1, 3)
    if rng.random() < 0.25:
        params["sort"] = "-co2e_kg_sum"
    return {"path": f"/v1/orgs/{dataset.org_id(rng.randrange(dataset.orgs))}/emissions", "params": params}


FLOOR_REQUEST = {"path": "/v1/bench-floor-not-found", "params": {}}  # 404: HTTP stack only, no app work


EXPLAINED_VARIANTS = (("window_start", None), ("-co2e_kg_sum", None), ("window_start", 2))


def explain(database_url: str, dataset: Dataset, max_range_minutes: int) -> list[dict]:
    """EXPLAIN ANALYZE of the endpoint's own SQL, max-length range of one org, per (sort, scope) variant."""
    start = FIRST_MINUTE + timedelta(minutes=max(dataset.minutes // 2 - max_range_minutes // 2, 0))
    plans = []
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        for sort, scope in EXPLAINED_VARIANTS:
            query = SeriesQuery(
                org_id=dataset.org_id(dataset.orgs // 2), grain=Grain.minute,
                time_range=TimeRange(start, start + timedelta(minutes=max_range_minutes)),
                filters=EmissionFilters(scope=scope), sort=parse_sort(sort, SERIES_PRIMARY_KEY),
                page=PageParams(page=1, per_page=100),
            )
            statement, params = build_series_sql(query)
            cur.execute(b"EXPLAIN (ANALYZE, BUFFERS) " + cur.mogrify(statement, params))
            plan = [row[0] for row in cur.fetchall()]
            text = "\n".join(plan)
            plans.append({
                "query": f"sort={sort} scope={scope} range={max_range_minutes} min per_page=100",
                "indexes": sorted(set(re.findall(r"using (\w+) on", text))),
                "seq_scan": "Seq Scan" in text,
                "execution_ms": float(re.search(r"Execution Time: ([\d.]+) ms", text).group(1)),
                "plan": plan,
            })
    return plans


def run_load(api_url: str, jobs: list[dict], concurrency: int) -> tuple[list[float], dict[int, int], float]:
    """Send ``jobs`` from ``concurrency`` threads; returns latencies (ms), status counts, wall seconds."""
    pending: queue.Queue = queue.Queue()
    for job in jobs:
        pending.put(job)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client() -> None:
        with requests.Session() as session:
            while True:
                try:
                    job = pending.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                response = session.get(f"{api_url}{job['path']}", params=job["params"], timeout=10)
                elapsed_ms = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed_ms)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses, time.perf_counter() - started


def summarise(latencies: list[float], statuses: dict[int, int], wall_s: float) -> dict:
    return {
        "req_per_s": round(len(latencies) / wall_s, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p90_ms": round(percentile(latencies, 90), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies), 2),
        "status_counts": {str(code): n for code, n in sorted(statuses.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=get_settings().database_url,
                        help="writer role URL of the database the API reads (bench rows are loaded there)")
    parser.add_argument("--api-url", default=f"http://127.0.0.1:{bench_profile().read_port}",
                        help="running read API (loopback only; default: the bench stack's)")
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--minutes", type=int, default=700, help="minutes of data per (org, scope, category)")
    parser.add_argument("--requests", type=int, default=5000, help="measured requests (bounded)")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--max-range-minutes", type=int, default=360)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-load", action="store_true", help="reuse bench rows already loaded")
    parser.add_argument("--server-pid", type=int,
                        help="API server pid: also report the CPU ms per request of it and its child processes")
    parser.add_argument("--out", type=Path, default=RESULTS / "read_api.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if urlparse(args.api_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--api-url must be a loopback address")
    if not 1 <= args.requests <= 100_000 or not 1 <= args.concurrency <= 32:
        parser.error("--requests must be 1..100000 and --concurrency 1..32")

    dataset = Dataset(args.orgs, args.minutes)
    load_s = None
    if not args.skip_load:
        log.info("loading %d rows into emission_rollup_minute ...", dataset.rows)
        load_s = load_rows(args.database_url, dataset, args.seed)
        log.info("loaded in %.1f s (COPY + VACUUM ANALYZE)", load_s)
    bench_rows = count_bench_rows(args.database_url)
    plans = explain(args.database_url, dataset, args.max_range_minutes)

    rng = random.Random(args.seed)
    run_load(args.api_url, [random_request(rng, dataset, args.max_range_minutes) for _ in range(args.warmup)],
             args.concurrency)
    jobs = [random_request(rng, dataset, args.max_range_minutes) for _ in range(args.requests)]
    load_before = loadavg()
    cpu_before = None if args.server_pid is None else process_tree_cpu_s(args.server_pid)
    latencies, statuses, wall_s = run_load(args.api_url, jobs, args.concurrency)
    load_after = loadavg()
    server_cpu_ms = None if cpu_before is None else round(
        (process_tree_cpu_s(args.server_pid) - cpu_before) * 1000 / len(latencies), 3)
    floor = summarise(*run_load(args.api_url, [FLOOR_REQUEST] * args.requests, args.concurrency))

    result = {
        "benchmark": "read_api time series GET /v1/orgs/{org_id}/emissions?grain=minute",
        "measured_at": datetime.now(timezone.utc).isoformat(),
        "api_url": args.api_url,
        "dataset": {"table": "emission_rollup_minute", "bench_rows": bench_rows, "orgs": dataset.orgs,
                    "series_per_org": SERIES_PER_ORG, "minutes": dataset.minutes, "load_s": load_s},
        "workload": {"requests": args.requests, "warmup": args.warmup, "concurrency": args.concurrency,
                     "range_minutes": [10, args.max_range_minutes], "per_page": 100,
                     "scope_filter_share": 0.25, "sort_by_sum_share": 0.25},
        "results": {**summarise(latencies, statuses, wall_s), "server_cpu_ms_per_request": server_cpu_ms},
        "loopback_floor": {
            "what": "same clients and concurrency against a 404 path of the same server: HTTP stack, client and "
                    "scheduling only; the part of the latency the endpoint's own work cannot go below",
            **floor,
        },
        "machine": {"cpus": os.cpu_count(), "loadavg_1m_before": round(load_before[0], 2),
                    "loadavg_1m_after": round(load_after[0], 2)},
        "target": {"p99_ms_max": TARGET_P99_MS},
        "explain": plans,
    }
    result["target"]["met"] = result["results"]["p99_ms"] <= TARGET_P99_MS and set(statuses) == {200}
    write_result(args.out, result)
    report(result)


def report(result: dict) -> None:
    res = result["results"]
    rows = [
        ("rows in emission_rollup_minute (bench)", f"{result['dataset']['bench_rows']:,}"),
        ("requests x concurrency", f"{result['workload']['requests']} x {result['workload']['concurrency']}"),
        ("req/s", f"{res['req_per_s']}"),
        ("p50 / p90 / p99 / max ms", f"{res['p50_ms']} / {res['p90_ms']} / {res['p99_ms']} / {res['max_ms']}"),
        ("status codes", json.dumps(res["status_counts"])),
        ("floor (404, no app work) p50 / p99 ms",
         f"{result['loopback_floor']['p50_ms']} / {result['loopback_floor']['p99_ms']}"),
        ("server CPU ms / request", str(res["server_cpu_ms_per_request"])),
        ("load average (1 min) before / after",
         f"{result['machine']['loadavg_1m_before']} / {result['machine']['loadavg_1m_after']}"),
        *((f"EXPLAIN {plan['query']}", f"{', '.join(plan['indexes'])}; seq scan: {plan['seq_scan']}; "
           f"{plan['execution_ms']} ms") for plan in result["explain"]),
        (f"target p99 <= {TARGET_P99_MS:g} ms", "met" if result["target"]["met"] else "NOT met"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        log.info("%s  %s", name.ljust(width), value)


if __name__ == "__main__":
    main()
