"""The schema files (sql/*.sql) on the test stack's PostgreSQL: what they migrate, and the cluster the
stack creates. DDL runs in a transaction that is rolled back: the tables are left as they were."""
from __future__ import annotations

import psycopg2
import pytest

from stack.postgres import SQL_DIR
from stack.profile import Profile

pytestmark = pytest.mark.integration
GRAINS = ("minute", "hour", "day", "month")
_INDEX_METHOD = """SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam
                   WHERE c.oid = to_regclass(%s)"""


def _index_method(cur, grain: str) -> str:
    cur.execute(_INDEX_METHOD, (f"emission_rollup_{grain}_time_idx",))
    return cur.fetchone()[0]


def test_schema_replaces_an_older_b_tree_time_index_with_brin(stack: Profile):
    conn = psycopg2.connect(stack.database_url)
    try:
        with conn.cursor() as cur:
            assert {_index_method(cur, grain) for grain in GRAINS} == {"brin"}
            for grain in GRAINS:  # as databases created before it hold them
                cur.execute(f"DROP INDEX emission_rollup_{grain}_time_idx")
                cur.execute(f"CREATE INDEX emission_rollup_{grain}_time_idx ON emission_rollup_{grain} (window_start)")
            assert {_index_method(cur, grain) for grain in GRAINS} == {"btree"}
            cur.execute((SQL_DIR / "001_emission_tables.sql").read_text())
            assert {_index_method(cur, grain) for grain in GRAINS} == {"brin"}
    finally:
        conn.rollback()
        conn.close()


def test_stack_cluster_collates_text_by_byte(stack: Profile):
    """initdb --lc-collate=C (stack.postgres.INITDB_LOCALE): org ids order by code point, on any machine."""
    conn = psycopg2.connect(stack.database_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT datcollate, pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()")
            assert cur.fetchone() == ("C", "UTF8")
            cur.execute("SELECT array_agg(x ORDER BY x) FROM unnest(ARRAY['b', 'B', 'a', 'é', '_', 'Z']) AS x")
            assert cur.fetchone()[0] == sorted(['b', 'B', 'a', 'é', '_', 'Z'])  # Python sorts by code point
    finally:
        conn.close()
