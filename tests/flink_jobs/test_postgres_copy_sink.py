"""The jobs' ``postgres-copy`` sink (flink_jobs/java/src/carbonstream/postgres) on a local Flink job
writing into the test stack's PostgreSQL: every supported type round-trips exactly, text survives
COPY's special characters, the newest row per key wins, existing rows are overwritten, and a
DELETE change removes its row; with ``insert_first`` (straight COPY into the table) a flush that
meets existing keys (a replay) still lands whole, as an upsert; a flush PostgreSQL refuses fails the
job (flushes run on the sink's own thread: the failure must still reach the task). An apply sink
stages every row once and calls its function, each partition value always through one connection."""
from __future__ import annotations

import glob
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal

import psycopg2
import pytest
from pyflink.common import Row, Types
from pyflink.common.types import RowKind
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.table import DataTypes, Schema, StreamTableEnvironment

from carbon_stream.settings import Settings
from flink_jobs.connectors import postgres_apply_sink, postgres_upsert_sink
from stack.flink import CONNECTOR_JARS, JAVA_JAR
from stack.profile import Profile

pytestmark = pytest.mark.integration

TRICKY_TEXT = "tab\there, newline\nthere, cr\r, backslash \\ and \\N, quote ' \" , ünïcödé ✓ 🌍"
COLUMNS = """
    org_id      text          NOT NULL,
    seq         integer       NOT NULL,
    note        text,
    scope       smallint,
    big         bigint,
    co2e_kg     numeric(18,6),
    total_kg    numeric(24,6),
    at_utc      timestamptz,
    at_instant  timestamptz,
    flag        boolean,
    ratio       double precision,
    attributes  jsonb,
    stored_at   timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, seq)"""


def _schema() -> Schema:
    return (Schema.new_builder()
            .column("org_id", DataTypes.STRING().not_null()).column("seq", DataTypes.INT().not_null())
            .column("note", DataTypes.STRING()).column("scope", DataTypes.SMALLINT())
            .column("big", DataTypes.BIGINT()).column("co2e_kg", DataTypes.DECIMAL(18, 6))
            .column("total_kg", DataTypes.DECIMAL(24, 6)).column("at_utc", DataTypes.TIMESTAMP(3))
            .column("at_instant", DataTypes.TIMESTAMP_LTZ(3)).column("flag", DataTypes.BOOLEAN())
            .column("ratio", DataTypes.DOUBLE()).column("attributes", DataTypes.STRING())
            .primary_key("org_id", "seq").build())


def _probe_table(stack: Profile, prefix: str, columns: str) -> Iterator[str]:
    """A fresh table for one test, dropped after it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg2.connect(stack.database_url) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {name} ({columns})")
    yield name
    with psycopg2.connect(stack.database_url) as conn, conn.cursor() as cur:
        cur.execute(f"DROP TABLE {name}")


@pytest.fixture
def table(stack: Profile) -> Iterator[str]:
    yield from _probe_table(stack, "copy_sink_probe", COLUMNS)


def _write(stack: Profile, table: str, changes: list[tuple[RowKind, tuple]], insert_first: bool = False,
           max_retries: int = 5) -> None:
    """Runs a bounded local job: the changes (as a changelog) into ``table`` through the sink.

    Datetimes travel as UTC wall time; ``at_instant`` becomes a TIMESTAMP_LTZ in SQL (session zone UTC).
    """
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    env.add_jars(JAVA_JAR.as_uri(), *(f"file://{jar}" for jar in glob.glob(str(CONNECTOR_JARS / "postgresql-*.jar"))))
    t_env = StreamTableEnvironment.create(env)
    t_env.get_config().set("table.local-time-zone", "UTC")
    t_env.get_config().set("table.exec.sink.upsert-materialize", "NONE")  # as the jobs run: each change reaches the sink
    names = ["org_id", "seq", "note", "scope", "big", "co2e_kg", "total_kg", "at_utc", "at_instant", "flag",
             "ratio", "attributes"]
    types = [Types.STRING(), Types.INT(), Types.STRING(), Types.SHORT(), Types.LONG(), Types.BIG_DEC(),
             Types.BIG_DEC(), Types.SQL_TIMESTAMP(), Types.SQL_TIMESTAMP(), Types.BOOLEAN(), Types.DOUBLE(), Types.STRING()]
    rows = []
    for kind, values in changes:
        row = Row(*(v.astimezone(timezone.utc).replace(tzinfo=None) if isinstance(v, datetime) and v.tzinfo else v
                    for v in values))
        row.set_row_kind(kind)
        rows.append(row)
    stream = env.from_collection(rows, type_info=Types.ROW_NAMED(names, types))
    source = t_env.from_changelog_stream(stream)
    t_env.create_temporary_table("probe_sink", postgres_upsert_sink(
        Settings(database_url=stack.database_url), table, _schema(), flush_interval_s=60, max_buffered_rows=2,
        insert_first=insert_first, max_retries=max_retries))
    t_env.execute_sql(f"""
        INSERT INTO probe_sink SELECT org_id, seq, note, `scope`, big, CAST(co2e_kg AS DECIMAL(18, 6)),
            CAST(total_kg AS DECIMAL(24, 6)), CAST(at_utc AS TIMESTAMP(3)), CAST(at_instant AS TIMESTAMP_LTZ(3)),
            flag, ratio, attributes FROM {source}""").wait()


def _read(stack: Profile, table: str) -> dict[tuple, tuple]:
    with psycopg2.connect(stack.database_url) as conn, conn.cursor() as cur:
        cur.execute(f"""SELECT org_id, seq, note, scope, big, co2e_kg, total_kg, at_utc, at_instant, flag, ratio,
                               attributes::text FROM {table}""")
        return {row[:2]: row[2:] for row in cur.fetchall()}


def test_every_type_round_trips_and_the_newest_change_per_key_wins(stack: Profile, table: str):
    at = datetime(2026, 3, 29, 1, 30, 15, 123000)  # naive UTC wall time, as the jobs' TIMESTAMP columns hold
    instant = datetime(2026, 3, 29, 1, 30, 15, 456000, tzinfo=timezone.utc)
    full = ("org-a", 1, TRICKY_TEXT + "\x00end", 3, 9_007_199_254_740_993, Decimal("0.000001"),
            Decimal("123456789012345678.123456"), at, instant, True, 0.1, '{"k": "v\\tw"}')
    nulls = ("org-a", 2, None, None, None, None, None, None, None, None, None, None)
    _write(stack, table, [
        (RowKind.INSERT, ("org-b", 1, "first", 1, 1, Decimal("1"), Decimal("1"), at, instant, False, 1.0, None)),
        (RowKind.INSERT, full),
        (RowKind.INSERT, nulls),
        (RowKind.UPDATE_AFTER, ("org-b", 1, "second", 2, 2, Decimal("2.5"), Decimal("2.5"), at, instant, True, 2.0,
                                None)),
    ])

    rows = _read(stack, table)

    assert set(rows) == {("org-a", 1), ("org-a", 2), ("org-b", 1)}
    assert rows[("org-a", 1)] == (
        TRICKY_TEXT + "\ufffdend",  # PostgreSQL text cannot hold U+0000: written as U+FFFD
        3, 9_007_199_254_740_993, Decimal("0.000001"), Decimal("123456789012345678.123456"),
        at.replace(tzinfo=timezone.utc), instant, True, 0.1, '{"k": "v\\tw"}')
    assert rows[("org-a", 2)] == (None,) * 10
    assert rows[("org-b", 1)][:3] == ("second", 2, 2)


def _row(org: str, seq: int, note: str) -> tuple:
    return (org, seq, note, 1, 1, Decimal("1"), Decimal("1"), datetime(2026, 1, 1),
            datetime(2026, 1, 1, tzinfo=timezone.utc), True, 1.0, None)


@pytest.mark.parametrize("insert_first", [False, True], ids=["upsert", "insert-first"])
def test_a_later_flush_overwrites_existing_rows_and_a_delete_removes_its_row(stack: Profile, table: str,
                                                                            insert_first: bool):
    row = _row
    _write(stack, table, [(RowKind.INSERT, row("org-a", 1, "kept")), (RowKind.INSERT, row("org-a", 2, "old")),
                          (RowKind.INSERT, row("org-a", 3, "doomed"))], insert_first)
    _write(stack, table, [(RowKind.UPDATE_AFTER, row("org-a", 2, "new")), (RowKind.DELETE, row("org-a", 3, "doomed"))],
           insert_first)

    assert {key: values[0] for key, values in _read(stack, table).items()} == {("org-a", 1): "kept",
                                                                                ("org-a", 2): "new"}


def test_insert_first_lands_a_replayed_flush_whole_as_an_upsert(stack: Profile, table: str):
    """A replay after a restore re-sends rows PostgreSQL already has, mixed with new ones (max-rows 2:
    each flush below holds one existing and one new key): the straight COPY meets the existing key,
    rolls back, and the flush is written as an upsert; nothing is lost or duplicated."""
    _write(stack, table, [(RowKind.INSERT, _row("org-a", 1, "one")), (RowKind.INSERT, _row("org-a", 2, "two"))],
           insert_first=True)
    _write(stack, table, [(RowKind.INSERT, _row("org-a", 2, "two again")), (RowKind.INSERT, _row("org-a", 3, "three")),
                          (RowKind.INSERT, _row("org-a", 1, "one again")), (RowKind.INSERT, _row("org-a", 4, "four"))],
           insert_first=True)

    assert {key: values[0] for key, values in _read(stack, table).items()} == {
        ("org-a", 1): "one again", ("org-a", 2): "two again", ("org-a", 3): "three", ("org-a", 4): "four"}


def test_a_flush_postgresql_refuses_fails_the_job_and_commits_nothing_of_it(stack: Profile, table: str):
    with psycopg2.connect(stack.database_url) as conn, conn.cursor() as cur:
        cur.execute(f"ALTER TABLE {table} ADD CHECK (co2e_kg >= 0)")
    refused = ("org-a", 2, "negative", 1, 1, Decimal("-1"), Decimal("1"), datetime(2026, 1, 1),
               datetime(2026, 1, 1, tzinfo=timezone.utc), True, 1.0, None)

    with pytest.raises(Exception) as failure:  # py4j's error wrapping the job's failure
        _write(stack, table, [(RowKind.INSERT, _row("org-a", 1, "fine")), (RowKind.INSERT, refused)],
               insert_first=True, max_retries=0)

    assert f"postgres-copy {table}: writing 2 rows failed 1 times" in str(failure.value)
    assert _read(stack, table) == {}


@pytest.fixture
def apply_probe(stack: Profile) -> Iterator[str]:
    """A table to stage into and a function that logs each staged row with the backend that applied it."""
    name = f"copy_sink_apply_probe_{uuid.uuid4().hex[:8]}"
    with psycopg2.connect(stack.database_url) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {name} (org_id text NOT NULL, seq integer NOT NULL, kg numeric(18,6))")
        cur.execute(f"""CREATE TABLE {name}_log (applied bigserial, org_id text, seq integer, kg numeric(18,6),
                                                 backend integer, tx bigint)""")
        cur.execute(f"""CREATE FUNCTION {name}() RETURNS bigint LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO {name}_log (org_id, seq, kg, backend, tx)
                SELECT org_id, seq, kg, pg_backend_pid(), txid_current() FROM copy_stage;
                RETURN 0;
            END $$""")
    yield name
    with psycopg2.connect(stack.database_url) as conn, conn.cursor() as cur:
        cur.execute(f"DROP FUNCTION {name}(); DROP TABLE {name}, {name}_log")


def test_an_apply_sink_stages_every_row_once_and_keeps_each_partition_value_on_one_connection(
        stack: Profile, apply_probe: str):
    """Rows of ten orgs through 2 connections, flushing every 4 rows (2 per part): every row applied
    once, in its arrival order within its org, each org's rows always by the same backend, both used."""
    sent = [(f"org-{i % 10}", i, Decimal(i) / 1000) for i in range(60)]
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    env.add_jars(JAVA_JAR.as_uri(), *(f"file://{jar}" for jar in glob.glob(str(CONNECTOR_JARS / "postgresql-*.jar"))))
    t_env = StreamTableEnvironment.create(env)
    stream = env.from_collection([Row(*row) for row in sent], type_info=Types.ROW_NAMED(
        ["org_id", "seq", "kg"], [Types.STRING(), Types.INT(), Types.BIG_DEC()]))
    schema = (Schema.new_builder().column("org_id", DataTypes.STRING()).column("seq", DataTypes.INT())
              .column("kg", DataTypes.DECIMAL(18, 6)).build())
    t_env.create_temporary_table("apply_sink", postgres_apply_sink(
        Settings(database_url=stack.database_url), apply_probe, schema, function=apply_probe,
        partition_column="org_id", connections=2, flush_interval_s=60, max_buffered_rows=4))

    t_env.execute_sql(f"""INSERT INTO apply_sink SELECT org_id, seq, CAST(kg AS DECIMAL(18, 6))
                          FROM {t_env.from_data_stream(stream)}""").wait()

    with psycopg2.connect(stack.database_url) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT org_id, seq, kg, backend, tx FROM {apply_probe}_log ORDER BY applied")
        applied = cur.fetchall()
    assert sorted((org, seq, kg) for org, seq, kg, _, _ in applied) == sorted(sent)
    for org in {row[0] for row in sent}:
        assert [seq for o, seq, *_ in applied if o == org] == [seq for o, seq, _ in sent if o == org]
        assert len({backend for o, _, _, backend, _ in applied if o == org}) == 1
    assert len({backend for *_, backend, _ in applied}) == 2
    assert len({tx for *_, tx in applied}) > 2  # several flushes, each part in its own transaction
