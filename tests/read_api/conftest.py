"""Fixtures of the read API tests.

Unit tests use ``offline_client``: an app whose database, Kafka and Flink are closed loopback ports,
so any request that reached the database would answer 503, never the expected 422.

Integration tests use the test stack's PostgreSQL (schema of ``sql/`` applied) with two roles: the
writer inserts known rollup rows, the read API connects as the read-only role. Each test writes inside its own namespace (org ids with a
unique prefix, in a unique far-future year nothing else writes to) and deletes its rows afterwards.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

import psycopg2
import pytest
from psycopg2.extras import execute_values
from fastapi.testclient import TestClient

from carbon_stream.settings import Settings
from read_api.app import create_app
from stack.profile import Profile

CLOSED_PORT_URL = "postgresql://nobody:nobody@127.0.0.1:1/nothing"
ROLLUP_TABLES = ("emission_rollup_minute", "emission_rollup_hour", "emission_rollup_day", "emission_rollup_month")


@pytest.fixture(scope="session")
def pg_writer_url(stack: Profile) -> str:
    """The test stack's PostgreSQL as the schema owner (writer)."""
    return stack.database_url


@pytest.fixture(scope="session")
def pg_reader_url(stack: Profile) -> str:
    """The same database as the read-only role ``carbon_reader``."""
    return stack.read_database_url


@pytest.fixture
def offline_settings() -> Settings:
    return Settings(
        read_database_url=CLOSED_PORT_URL,
        kafka_bootstrap_servers="127.0.0.1:1",
        flink_rest_url="http://127.0.0.1:1",
        health_timeout_s=0.5,
    )


@pytest.fixture
def offline_client(offline_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(offline_settings)) as client:
        yield client


@pytest.fixture
def api_client(pg_reader_url: str) -> Iterator[TestClient]:
    settings = Settings(read_database_url=pg_reader_url, read_api_pool_size=2, health_timeout_s=0.5)
    with TestClient(create_app(settings)) as client:
        yield client


@dataclass
class RollupNamespace:
    """Rows a test writes: org ids ``<prefix>-<name>`` and window starts in year ``year``."""

    conn: psycopg2.extensions.connection
    prefix: str
    year: int
    orgs: set[str] = field(default_factory=set)

    def org(self, name: str) -> str:
        org_id = f"{self.prefix}-{name}"
        self.orgs.add(org_id)
        return org_id

    def at(self, month: int = 1, day: int = 1, hour: int = 0, minute: int = 0) -> datetime:
        return datetime(self.year, month, day, hour, minute, tzinfo=timezone.utc)

    def insert(self, table: str, rows: list[dict]) -> None:
        assert table in ROLLUP_TABLES
        self.orgs.update(row["org_id"] for row in rows)
        with self.conn.cursor() as cur:
            execute_values(
                cur,
                f"INSERT INTO {table} (org_id, scope, category, window_start, window_end, event_count, "
                "co2e_kg_sum, co2e_kg_min, co2e_kg_max) VALUES %s",
                rows,
                template="(%(org_id)s, %(scope)s, %(category)s, %(window_start)s, %(window_end)s, "
                "%(event_count)s, %(co2e_kg_sum)s, %(co2e_kg_min)s, %(co2e_kg_max)s)",
                page_size=1000,
            )
        self.conn.commit()

    def delete_all(self) -> None:
        with self.conn.cursor() as cur:
            for table in ROLLUP_TABLES:
                cur.execute(f"DELETE FROM {table} WHERE org_id = ANY(%s)", (sorted(self.orgs),))
        self.conn.commit()


@contextmanager
def _namespace(writer_url: str) -> Iterator[RollupNamespace]:
    token = uuid.uuid4()
    conn = psycopg2.connect(writer_url)
    namespace = RollupNamespace(conn, prefix=f"t{token.hex[:12]}", year=2300 + token.int % 6000)
    try:
        yield namespace
    finally:
        namespace.delete_all()
        conn.close()


@pytest.fixture
def rollups(pg_writer_url: str) -> Iterator[RollupNamespace]:
    """A fresh namespace per test."""
    with _namespace(pg_writer_url) as namespace:
        yield namespace


@pytest.fixture(scope="module")
def module_rollups(pg_writer_url: str) -> Iterator[RollupNamespace]:
    """A namespace shared by one module's tests that only read what it holds."""
    with _namespace(pg_writer_url) as namespace:
        yield namespace
