"""Ingest API throughput on loopback: single POST req/s with p50/p99 latency, batch POST events/s,
and (with ``--kafka-jars``) Kafka's own ProducerPerformance on the same broker as the box's limit.

Starts the ingest API as ``make up`` does (``python -m ingest_api``: ``--processes`` server processes
sharing the port, default ``CS_INGEST_API_PROCESSES``) against ``--bootstrap``, drives it with a minimal
keep-alive HTTP/1.1 client (so the client costs little CPU) over enough connections for the kernel to
spread them over the processes, writes JSON to ``--out`` and prints a table. Bounded: every phase sends
a fixed number of requests.

    .venv/bin/python bench/bench_ingest.py --bootstrap localhost:9092 --kafka-jars .jars/kafka
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

from confluent_kafka.admin import AdminClient, NewTopic

from bench.common import RESULTS, percentile, process_tree_cpu_s, write_result
from carbon_stream.settings import get_settings
from stack.profile import REPO

log = logging.getLogger("bench_ingest")

PERF_TOPIC = "bench.producer-perf"  # ProducerPerformance writes random bytes: never to emissions.v1
_SERVER_START_TIMEOUT_S = 30


def _event(org_index: int) -> dict:
    return {"event_id": str(uuid.uuid4()), "org_id": f"bench-org-{org_index % 100}",
            "occurred_at": datetime.now(timezone.utc).isoformat(), "co2e_kg": 12.345678, "scope": 1 + org_index % 3,
            "category": "purchased_electricity", "source": "bench"}


def _http_request(path: str, body: bytes, content_type: str) -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def _drive(port: int, requests: list[bytes], concurrency: int) -> tuple[float, list[float], dict[int, int]]:
    """Send every request over ``concurrency`` keep-alive connections: wall s, latencies s, statuses."""
    pending = iter(requests)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for request in pending:
            started = time.perf_counter()
            status = await _exchange(reader, writer, request)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, statuses


def _with_server_cpu(pid: int, phase, *args) -> dict:
    before = process_tree_cpu_s(pid)
    result = phase(*args)
    result["server_cpu_s"] = round(process_tree_cpu_s(pid) - before, 2)
    return result


def bench_single(port: int, count: int, concurrency: int) -> dict:
    requests = [_http_request("/v1/emissions", json.dumps(_event(i)).encode(), "application/json")
                for i in range(count)]
    wall_s, latencies, statuses = asyncio.run(_drive(port, requests, concurrency))
    return {"requests": count, "concurrency": concurrency, "statuses": statuses, "wall_s": round(wall_s, 3),
            "req_per_s": round(count / wall_s, 1), "p50_ms": round(percentile(latencies, 50) * 1000, 2),
            "p99_ms": round(percentile(latencies, 99) * 1000, 2)}


def bench_batch(port: int, batches: int, batch_size: int, concurrency: int) -> dict:
    requests = [_http_request("/v1/emissions/batch",
                              json.dumps([_event(b * batch_size + i) for i in range(batch_size)]).encode(),
                              "application/json") for b in range(batches)]
    wall_s, latencies, statuses = asyncio.run(_drive(port, requests, concurrency))
    events = batches * batch_size
    return {"batches": batches, "batch_size": batch_size, "concurrency": concurrency, "statuses": statuses,
            "events": events, "wall_s": round(wall_s, 3), "events_per_s": round(events / wall_s, 1),
            "batch_p50_ms": round(percentile(latencies, 50) * 1000, 1),
            "batch_p99_ms": round(percentile(latencies, 99) * 1000, 1),
            "mean_event_bytes": round(statistics.mean(len(r) for r in requests) / batch_size, 1)}


def bench_producer_performance(jars: Path, bootstrap: str, records: int, record_size: int, runs: int) -> dict:
    """Kafka's ProducerPerformance with the ingest API's guarantees (acks=all, idempotent) and event size.

    Run ``runs`` times: on this shared 2-core box one run varies by up to ±30 %, so the limit is the
    median, with every run kept beside it.
    """
    admin = AdminClient({"bootstrap.servers": bootstrap})
    if PERF_TOPIC not in admin.list_topics(timeout=10).topics:
        admin.create_topics([NewTopic(PERF_TOPIC, 4, 1, config={"retention.ms": "3600000"})])[PERF_TOPIC].result(30)
    command = ["java", "-cp", f"{jars}/*", "org.apache.kafka.tools.ProducerPerformance", "--topic", PERF_TOPIC,
               "--num-records", str(records), "--record-size", str(record_size), "--throughput", "-1",
               "--producer-props", f"bootstrap.servers={bootstrap}", "acks=all", "enable.idempotence=true"]
    summaries = []
    for _ in range(runs):
        output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=600).stdout
        summaries.append(output.strip().splitlines()[-1])
    per_s = [float(re.search(r"([\d.]+) records/sec", summary).group(1)) for summary in summaries]
    return {"records": records, "record_size": record_size, "runs": runs, "events_per_s": statistics.median(per_s),
            "events_per_s_runs": per_s, "summaries": summaries}


def _start_server(port: int, bootstrap: str, processes: int) -> subprocess.Popen:
    env = {**os.environ, "CS_KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    server = subprocess.Popen([sys.executable, "-m", "ingest_api", "--host", "127.0.0.1", "--port", str(port),
                               "--processes", str(processes), "--log-level", "warning"], env=env, cwd=REPO)
    deadline = time.monotonic() + _SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=5) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError(f"ingest API did not become healthy on port {port} within {_SERVER_START_TIMEOUT_S} s")


def _table(results: dict) -> str:
    single, batch = results["single"], results["batch"]
    rows = [("single POST /v1/emissions", f"{single['req_per_s']:,.0f} req/s",
             f"p50 {single['p50_ms']} ms, p99 {single['p99_ms']} ms, "
             f"{single['server_cpu_s'] / single['requests'] * 1e6:,.0f} us server CPU/request"),
            ("batch POST /v1/emissions/batch", f"{batch['events_per_s']:,.0f} events/s",
             f"{batch['batch_size']} events/batch, p99 {batch['batch_p99_ms']} ms/batch, "
             f"{batch['server_cpu_s'] / batch['events'] * 1e6:.1f} us server CPU/event")]
    if "producer_performance" in results:
        limit = results["producer_performance"]["events_per_s"]
        runs = ", ".join(f"{run:,.0f}" for run in results["producer_performance"]["events_per_s_runs"])
        rows.append(("Kafka ProducerPerformance (limit)", f"{limit:,.0f} events/s",
                     f"median of {runs}; batch ingest = {results['batch']['events_per_s'] / limit:.0%} of it"))
    width = max(len(row[0]) for row in rows)
    return "\n".join(f"{name:<{width}}  {rate:>18}  {note}" for name, rate, note in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default=get_settings().kafka_bootstrap_servers,
                        help="Kafka bootstrap servers (default: CS_KAFKA_BOOTSTRAP_SERVERS, set by `make bench`)")
    parser.add_argument("--port", type=int, default=8765, help="loopback port for the ingest API under test")
    parser.add_argument("--single-requests", type=int, default=5000)
    parser.add_argument("--single-concurrency", type=int, default=16)
    parser.add_argument("--batches", type=int, default=1000,
                        help="batches of the batch phase (1,000 x 2,000 = 2M events, as many as ProducerPerformance "
                             "sends: both measured over the same count, past their warm-up)")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--batch-concurrency", type=int, default=8,
                        help="keep-alive connections of the batch phase (several per server process)")
    parser.add_argument("--processes", type=int, default=get_settings().ingest_api_processes,
                        help="server processes of the ingest API (default: CS_INGEST_API_PROCESSES)")
    parser.add_argument("--kafka-jars", type=Path, default=REPO / ".jars" / "kafka",
                        help="Kafka jars folder: also run ProducerPerformance (the box's limit)")
    parser.add_argument("--perf-records", type=int, default=2_000_000,
                        help="ProducerPerformance records (enough to get past the JVM's warm-up)")
    parser.add_argument("--perf-runs", type=int, default=3, help="ProducerPerformance runs; the limit is their median")
    parser.add_argument("--out", type=Path, default=RESULTS / "ingest.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    server = _start_server(args.port, args.bootstrap, args.processes)
    try:
        log.info("warm-up")
        bench_single(args.port, 500, args.single_concurrency)
        log.info("single POST: %d requests", args.single_requests)
        results = {"single": _with_server_cpu(server.pid, bench_single, args.port, args.single_requests,
                                              args.single_concurrency)}
        log.info("batch POST: %d × %d events", args.batches, args.batch_size)
        results["batch"] = _with_server_cpu(server.pid, bench_batch, args.port, args.batches, args.batch_size,
                                            args.batch_concurrency)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if args.kafka_jars:
        log.info("ProducerPerformance: %d records", args.perf_records)
        results["producer_performance"] = bench_producer_performance(
            args.kafka_jars, args.bootstrap, args.perf_records, int(results["batch"]["mean_event_bytes"]), args.perf_runs)
    results["environment"] = {"cpus": os.cpu_count(), "load_average_1m": os.getloadavg()[0],
                              "bootstrap": args.bootstrap, "ingest_api_processes": args.processes,
                              "measured_at": datetime.now(timezone.utc).isoformat()}
    write_result(args.out, results)
    print(_table(results))  # the table is this tool's output; progress goes to logging


if __name__ == "__main__":
    main()
