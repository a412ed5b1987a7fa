"""PostgreSQL access of the read API: one pool of read-only connections, borrowed per statement.

Every connection logs in as the read-only role (``Settings.read_database_url``) *and* sets
``default_transaction_read_only=on``, so even a role that could write cannot through this API.
Sessions run in UTC with a ``statement_timeout`` and autocommit: each list query is one statement
(total and page together), so it reads one consistent snapshot and never leaves a transaction open.

A connection is borrowed only while a statement runs, inside the route: FastAPI validates every
parameter (422) before that, so invalid requests never touch the database and an unreachable
database can never turn a 422 into a 503. The dependency ``get_session`` hands the route a
``ReadSession`` (the pool's front door) rather than a connection for that reason.
"""
from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

import psycopg2
import psycopg2.errors
import psycopg2.extensions
from fastapi import Depends, Request
from psycopg2.pool import ThreadedConnectionPool

from carbon_stream.settings import Settings

__all__ = ["DatabaseUnavailable", "ReadDatabase", "ReadSession", "SessionDep", "get_session"]

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 2  # libpq connect_timeout: a down server answers 503 quickly instead of hanging
POOL_WAIT_S = 2.0  # how long a request waits for a free pooled connection before 503


class DatabaseUnavailable(Exception):
    """PostgreSQL could not answer (down, unreachable, timed out or the pool is exhausted)."""


class ReadDatabase:
    """A bounded pool of read-only connections; requests wait up to POOL_WAIT_S for a free one.

    psycopg2's ThreadedConnectionPool raises instead of waiting when it is exhausted, so a
    semaphore of the same size makes callers queue. Connections are opened on first use (the app
    starts even when PostgreSQL is down) and then kept for reuse.
    """

    def __init__(self, url: str, max_connections: int, statement_timeout_ms: int) -> None:
        options = (
            "-c default_transaction_read_only=on -c timezone=UTC "
            f"-c statement_timeout={int(statement_timeout_ms)} -c application_name=carbon_stream_read_api"
        )
        self._pool = ThreadedConnectionPool(
            0, max_connections, url, connect_timeout=CONNECT_TIMEOUT_S, options=options
        )
        # Opened lazily (minconn=0 above), but kept open: psycopg2 closes a returned connection
        # whenever more than ``minconn`` are idle, which would mean one new connection per request.
        self._pool.minconn = max_connections
        self._slots = threading.BoundedSemaphore(max_connections)
        self.max_connections = max_connections

    @classmethod
    def from_settings(cls, settings: Settings) -> ReadDatabase:
        return cls(settings.read_database_url, settings.read_api_pool_size, settings.read_api_statement_timeout_ms)

    def borrow(self) -> psycopg2.extensions.connection:
        if not self._slots.acquire(timeout=POOL_WAIT_S):
            raise DatabaseUnavailable(f"no free database connection within {POOL_WAIT_S} s")
        try:
            conn = self._pool.getconn()
            if conn.autocommit is False:
                conn.set_session(readonly=True, autocommit=True)
            return conn
        except psycopg2.Error as exc:
            self._slots.release()
            raise DatabaseUnavailable(f"cannot connect to PostgreSQL: {_first_line(exc)}") from exc

    def give_back(self, conn: psycopg2.extensions.connection, broken: bool) -> None:
        try:
            self._pool.putconn(conn, close=broken or bool(conn.closed))
        finally:
            self._slots.release()

    def close(self) -> None:
        self._pool.closeall()


class ReadSession:
    """One request's access to PostgreSQL. Each statement borrows a pooled connection and gives
    it back before returning, all in the route's worker thread: nothing is borrowed before the
    route runs (so parameters are validated first) and nothing is left to return afterwards."""

    def __init__(self, database: ReadDatabase) -> None:
        self._database = database

    def fetch_all(self, query: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run one read-only statement and return its rows; database failures become DatabaseUnavailable.

        A pooled connection the server has closed meanwhile (restart, idle kill) fails at once and
        is discarded; the statement is retried on another one, at most once per pooled connection
        (safe: it only reads).
        """
        for _ in range(self._database.max_connections + 1):
            conn = self._database.borrow()
            broken = False
            try:
                with conn.cursor() as cur:
                    cur.execute(query, params)
                    return cur.fetchall()
            except psycopg2.OperationalError as exc:  # connection lost, statement_timeout, server shutdown
                broken = True
                if conn.closed and not isinstance(exc, psycopg2.errors.QueryCanceled):
                    log.info("discarding a closed pooled connection: %s", _first_line(exc))
                    continue
                raise DatabaseUnavailable(f"PostgreSQL query failed: {_first_line(exc)}") from exc
            finally:
                self._database.give_back(conn, broken)
        raise DatabaseUnavailable("PostgreSQL closed every pooled connection")


async def get_session(request: Request) -> ReadSession:
    """FastAPI dependency: the request's ReadSession on the app's pool.

    ``async`` because it does no I/O (FastAPI would otherwise spend a thread-pool hop on it).
    """
    return ReadSession(request.app.state.database)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


SessionDep = Annotated[ReadSession, Depends(get_session)]
