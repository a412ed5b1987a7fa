"""Talking to the real test stack: send records to Kafka, read what the job wrote to PostgreSQL."""
from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import psycopg2
from confluent_kafka import Producer

from carbon_stream.topics import EMISSIONS

__all__ = ["send_records", "query", "rollup_rows", "wait_for"]


def send_records(bootstrap: str, records: list[tuple[str, bytes | None]]) -> list[tuple[int, int]]:
    """Produce (key, value) records in order (idempotent producer); return each one's (partition, offset)."""
    errors: list[Any] = []
    coordinates: list[tuple[int, int] | None] = [None] * len(records)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all"})

    def delivered(index: int) -> Callable:
        def report(err, msg) -> None:
            if err:
                errors.append(err)
            else:
                coordinates[index] = (msg.partition(), msg.offset())
        return report

    for index, (key, value) in enumerate(records):
        producer.produce(EMISSIONS.name, key=key.encode(), value=value, on_delivery=delivered(index))
        producer.poll(0)
    assert producer.flush(30) == 0, "records still undelivered after 30 s"
    assert not errors, errors
    return coordinates  # type: ignore[return-value]


def query(database_url: str, sql: str, params: tuple = ()) -> list[tuple]:
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        conn.close()


def rollup_rows(database_url: str, grain: str, org_prefix: str) -> dict[tuple, tuple]:
    rows = query(database_url, f"""
        SELECT org_id, scope, category, window_start, event_count, co2e_kg_sum, co2e_kg_min, co2e_kg_max
        FROM emission_rollup_{grain} WHERE org_id LIKE %s""", (org_prefix + "%",))
    return {(r[0], r[1], r[2], r[3]): (r[4], Decimal(r[5]), Decimal(r[6]), Decimal(r[7])) for r in rows}


def wait_for(check: Callable[[], bool], what: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(1.0)
