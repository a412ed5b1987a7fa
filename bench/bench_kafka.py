"""The box's Kafka limit: Kafka's own ProducerPerformance and ConsumerPerformance on the bench broker.

A fresh topic ``bench.perf`` (same partition count as ``emissions.v1``) gets 2M records of 200 bytes
with ``acks=all`` at unlimited rate; then ConsumerPerformance reads them all back. These are the
ceilings the ingest and pipeline figures are compared with.
"""
from __future__ import annotations

import logging
import re
import subprocess
import time

from confluent_kafka.admin import AdminClient, NewTopic

from bench.common import CpuMeter, bench_profile, module_args, write_result
from carbon_stream.topics import EMISSIONS
from stack import kafka
from stack.proc import read_pid
from stack.profile import REPO

__all__ = ["run"]

log = logging.getLogger("bench.kafka")
TOPIC = "bench.perf"
RECORDS = 2_000_000
RECORD_BYTES = 200
_JAVA = ["java", "-Xmx1g", "-cp", f"{REPO}/.jars/kafka/*"]


def _recreate_topic(bootstrap: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    if TOPIC in admin.list_topics(timeout=10).topics:
        admin.delete_topics([TOPIC])[TOPIC].result(30)
        deadline = time.monotonic() + 60
        while TOPIC in admin.list_topics(timeout=10).topics and time.monotonic() < deadline:
            time.sleep(0.5)
    for _ in range(60):  # deletion finishes asynchronously on the broker
        try:
            admin.create_topics([NewTopic(TOPIC, EMISSIONS.partitions, 1)])[TOPIC].result(30)
            return
        except Exception:  # TOPIC_ALREADY_EXISTS while the old one is still being deleted
            time.sleep(1)
    raise RuntimeError(f"could not recreate topic {TOPIC}")


def producer_performance(bootstrap: str) -> dict:
    cmd = [*_JAVA, "org.apache.kafka.tools.ProducerPerformance", "--topic", TOPIC,
           "--num-records", str(RECORDS), "--record-size", str(RECORD_BYTES), "--throughput", "-1",
           "--producer-props", f"bootstrap.servers={bootstrap}", "acks=all"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True).stdout
    final = [line for line in out.splitlines() if f"{RECORDS} records sent" in line][-1]
    def number(pattern: str) -> float:
        return float(re.search(pattern, final).group(1))

    return {"command": " ".join(cmd), "output": final, "records": RECORDS, "record_bytes": RECORD_BYTES,
            "events_per_s": number(r"([\d.]+) records/sec"), "mb_per_s": number(r"([\d.]+) MB/sec"),
            "latency_avg_ms": number(r"([\d.]+) ms avg"), "latency_max_ms": number(r"([\d.]+) ms max"),
            "latency_p50_ms": number(r"([\d.]+) ms 50th"), "latency_p95_ms": number(r"([\d.]+) ms 95th"),
            "latency_p99_ms": number(r"([\d.]+) ms 99th")}


def consumer_performance(bootstrap: str) -> dict:
    cmd = [*_JAVA, "org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server", bootstrap,
           "--topic", TOPIC, "--messages", str(RECORDS), "--timeout", "60000",
           "--group", f"bench-perf-{int(time.time())}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True).stdout
    header, values = [line for line in out.splitlines() if line.strip()][-2:]
    row = dict(zip([h.strip() for h in header.split(",")], [v.strip() for v in values.split(",")]))
    return {"command": " ".join(cmd), "output": row, "records": int(row["data.consumed.in.nMsg"]),
            "events_per_s": float(row["nMsg.sec"]), "mb_per_s": float(row["MB.sec"]),
            "fetch_events_per_s": float(row["fetch.nMsg.sec"])}


def run() -> dict:
    profile = bench_profile()
    bootstrap = f"localhost:{profile.kafka_port}"
    _recreate_topic(bootstrap)
    meter = CpuMeter({"kafka": [read_pid(kafka.pidfile(profile))]})
    meter.start()
    log.info("ProducerPerformance: %d x %d B, acks=all, unthrottled", RECORDS, RECORD_BYTES)
    produced = producer_performance(bootstrap)
    log.info("-> %.0f records/s", produced["events_per_s"])
    consumed = consumer_performance(bootstrap)
    log.info("ConsumerPerformance -> %.0f records/s", consumed["events_per_s"])
    AdminClient({"bootstrap.servers": bootstrap}).delete_topics([TOPIC])
    return {"name": "kafka", "broker": bootstrap, "topic_partitions": EMISSIONS.partitions,
            "producer_performance": produced, "consumer_performance": consumed, "resources": meter.stop()}


if __name__ == "__main__":
    args = module_args(__doc__, "kafka")
    write_result(args.out, run())
