"""The jobs' ``postgres-copy`` sink (flink_jobs/java/src/carbonstream/postgres) on a local Flink job
writing into the test stack's PostgreSQL: every supported type round-trips exactly, text survives
COPY's special characters, the newest row per key wins, existing rows are overwritten, and a
DELETE change removes its row; with ``insert_first`` (straight COPY into the table) a flush that
meets existing keys (a replay) still lands whole, as an upsert; a flush PostgreSQL refuses fails the
job (flushes run on the sink's own thread: the failure must still reach the task)."""
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
from flink_jobs.connectors import postgres_delta_sink, postgres_upsert_sink
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
    """A fresh table for one test, dropped after it with its ledger rows."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg2.connect(stack.database_url) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {name} ({columns})")
    yield name
    with psycopg2.connect(stack.database_url) as conn, conn.cursor() as cur:
        cur.execute(f"DROP TABLE {name}")
        cur.execute("DELETE FROM copy_sink_ledger WHERE table_name = %s", (name,))


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


DELTA_COLUMNS = """
    org_id       text          NOT NULL,
    window_start timestamptz   NOT NULL,
    event_count  bigint        NOT NULL,
    co2e_kg_sum  numeric(24,6) NOT NULL,
    co2e_kg_min  numeric(18,6) NOT NULL,
    co2e_kg_max  numeric(18,6) NOT NULL,
    note         text,
    PRIMARY KEY (org_id, window_start)"""
WINDOW = datetime(2026, 1, 1, 9, 0)  # naive UTC wall time
WINDOW_TEXT = "2026-01-01 09:00:00.000+00"  # the same as COPY text


@pytest.fixture
def delta_table(stack: Profile) -> Iterator[str]:
    yield from _probe_table(stack, "copy_sink_delta_probe", DELTA_COLUMNS)


def _write_deltas(stack: Profile, table: str, changes: list[tuple[str, int, Decimal]], max_rows: int) -> None:
    """A bounded local job: each (org_id, event_count, co2e_kg) a change to the row (org_id, WINDOW),
    through a delta sink flushing every ``max_rows`` distinct keys."""
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    env.add_jars(JAVA_JAR.as_uri(), *(f"file://{jar}" for jar in glob.glob(str(CONNECTOR_JARS / "postgresql-*.jar"))))
    t_env = StreamTableEnvironment.create(env)
    t_env.get_config().set("table.local-time-zone", "UTC")
    stream = env.from_collection([Row(org, count, kg, f"note {i}") for i, (org, count, kg) in enumerate(changes)],
                                 type_info=Types.ROW_NAMED(["org_id", "n", "kg", "note"],
                                                           [Types.STRING(), Types.LONG(), Types.BIG_DEC(), Types.STRING()]))
    schema = (Schema.new_builder()
              .column("org_id", DataTypes.STRING().not_null()).column("window_start", DataTypes.TIMESTAMP(3).not_null())
              .column("event_count", DataTypes.BIGINT()).column("co2e_kg_sum", DataTypes.DECIMAL(18, 6))
              .column("co2e_kg_min", DataTypes.DECIMAL(18, 6)).column("co2e_kg_max", DataTypes.DECIMAL(18, 6))
              .column("note", DataTypes.STRING()).primary_key("org_id", "window_start").build())
    t_env.create_temporary_table("delta_sink", postgres_delta_sink(
        Settings(database_url=stack.database_url), table, schema, sums=("event_count", "co2e_kg_sum"),
        mins=("co2e_kg_min",), maxes=("co2e_kg_max",), flush_interval_s=60, max_buffered_rows=max_rows))
    t_env.execute_sql(f"""
        INSERT INTO delta_sink SELECT org_id, TIMESTAMP '{WINDOW.isoformat(sep=' ')}', n,
            CAST(kg AS DECIMAL(18, 6)), CAST(kg AS DECIMAL(18, 6)), CAST(kg AS DECIMAL(18, 6)), note
        FROM {t_env.from_data_stream(stream)}""").wait()


def _read_deltas(stack: Profile, table: str) -> dict[str, tuple]:
    with psycopg2.connect(stack.database_url) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT org_id, event_count, co2e_kg_sum, co2e_kg_min, co2e_kg_max FROM {table}")
        return {row[0]: row[1:] for row in cur.fetchall()}


def _ledger(stack: Profile, table: str) -> list[tuple[int, bool]]:
    """(flush number, emptied?) of the table's ledger rows: a completed checkpoint (here: the end of the
    bounded job) deletes the flushes it covers but the last, which it empties as its mark."""
    with psycopg2.connect(stack.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT flush_seq, delta_lines = '' FROM copy_sink_ledger WHERE table_name = %s ORDER BY 1",
                    (table,))
        return cur.fetchall()


def test_a_delta_sink_adds_each_change_to_its_row(stack: Profile, delta_table: str):
    """Sums added, min/max kept, within a flush and into rows already there, exactly (the twelve
    largest masses the contract accepts sum past a long of micro-kg); the finished job's end commits:
    its flushes leave the ledger but the last one's empty mark (max-rows 2: 3 flushes)."""
    with psycopg2.connect(stack.database_url) as conn, conn.cursor() as cur:
        cur.execute(f"INSERT INTO {delta_table} VALUES ('org-a', %s, 5, 10, 1, 3, 'before')", (WINDOW,))
    big = Decimal("999999999999.999999")
    changes = [("org-a", 1, Decimal("0.5")), ("org-b", 1, Decimal("2")), ("org-a", 1, Decimal("4.25")),
               *[("org-c", 1, big)] * 12]

    _write_deltas(stack, delta_table, changes, max_rows=2)

    assert _read_deltas(stack, delta_table) == {
        "org-a": (7, Decimal("14.750000"), Decimal("0.500000"), Decimal("4.250000")),
        "org-b": (1, Decimal("2.000000"), Decimal("2.000000"), Decimal("2.000000")),
        "org-c": (12, big * 12, big, big)}
    assert _ledger(stack, delta_table) == [(3, True)]


def test_a_delta_writer_without_state_takes_back_the_flushes_left_in_the_ledger(stack: Profile, delta_table: str):
    """A run that stopped after flush 7 and before a checkpoint covered it: its Kafka offsets were not
    committed, so the next run reads those events again. Before its first flush the writer subtracts
    flush 7 (and deletes org-z, which only that flush had created), then adds the new changes."""
    with psycopg2.connect(stack.database_url) as conn, conn.cursor() as cur:
        cur.execute(f"INSERT INTO {delta_table} VALUES ('org-a', %s, 3, 6, 1, 3, 'n'), ('org-z', %s, 1, 5, 5, 5, 'n')",
                    (WINDOW, WINDOW))
        cur.execute("INSERT INTO copy_sink_ledger (table_name, subtask, flush_seq, delta_lines) VALUES (%s, 0, 7, %s)",
                    (delta_table, f"org-a\t{WINDOW_TEXT}\t2\t4.000000\t1.000000\t3.000000\tn\n"
                                  f"org-z\t{WINDOW_TEXT}\t1\t5.000000\t5.000000\t5.000000\tn\n"))

    _write_deltas(stack, delta_table, [("org-a", 1, Decimal("2")), ("org-a", 1, Decimal("2"))], max_rows=100)

    assert _read_deltas(stack, delta_table) == {
        "org-a": (3, Decimal("6.000000"), Decimal("1.000000"), Decimal("3.000000"))}
    assert _ledger(stack, delta_table) == [(1, True)]
