"""Local PostgreSQL: install (Debian package), initdb and run as the ``postgres`` OS user, schema.

Roles: ``carbon`` owns the schema and is the writer (Flink sinks); ``carbon_reader`` may only
SELECT (read API). With ``DATABASE_URL`` set, no local server is used: only the schema is applied.
"""
from __future__ import annotations

import glob
import logging
import os
import shutil
import subprocess
from pathlib import Path

import psycopg2

from stack.proc import port_open, run, wait_until
from stack.profile import REPO, Profile

__all__ = ["INITDB_LOCALE", "SERVER_SETTINGS", "install", "start", "stop", "status", "apply_schema", "bin_dir"]

log = logging.getLogger("stack")
SQL_DIR = REPO / "sql"
# UTF-8 with collation C, whatever the machine's locale: text sorts by byte, which for UTF-8 is code-point
# order (as C.UTF-8), so org_id and category order the same on every machine. It is also the cheapest:
# with a libc collation PostgreSQL 15 compares them through strcoll in every B-tree descent and sort of
# the event sink's statement. Measured on the sink's statement alone (.exp prototype, 1M events, 2
# writers): 26.7 vs 28.3 PostgreSQL CPU-µs per event (4 vs 6 runs); in the whole pipeline bench the
# difference stayed within the noise (53.8 / 52.7 vs 55.7 / 52.4 PostgreSQL CPU-s for 2M events).
# docker-compose.yml passes the same to initdb (POSTGRES_INITDB_ARGS).
INITDB_LOCALE = ("-E", "UTF8", "--locale=C.UTF-8", "--lc-collate=C")
# The server's settings, given at each start (docker-compose.yml's postgres command gives the same):
# - max_wal_size 4GB: the pipeline bench writes ~2.1 GB of WAL per 2M events; at the default 1 GB a
#   checkpoint every ~25 s logged every page first touched after it whole (37 % of the WAL bytes);
# - wal_buffers 64MB (the default is 1/32 of shared_buffers, 16MB): the sink's two backends write
#   ~50 MB of WAL per second. With 16MB the buffers were full at almost every WAL write (pg_stat_wal:
#   wal_buffers_full 35k-46k of 35k-47k writes per 2M events), so the backends wrote the WAL
#   themselves and queued on its lock (LWLock:WALWrite was their most frequent wait); with 64MB
#   the WAL writer writes it (0 full, ~280 writes). Pipeline bench, alternating runs: 54,597 / 52,693
#   / 56,080 / 53,807 / 55,792 / 56,370 events/s with 64MB vs 46,828 / 51,974 / 52,942 / 54,821 with
#   16MB (and 51,647 / 53,027 with 16MB plus temp_buffers and work_mem of 64MB: those did nothing).
SERVER_SETTINGS = (("max_connections", "200"), ("shared_buffers", "512MB"), ("max_wal_size", "4GB"),
                   ("wal_buffers", "64MB"), ("TimeZone", "UTC"))


def bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def install() -> None:
    """``apt-get install postgresql`` when no server binaries are present (needs root)."""
    if bin_dir():
        return
    log.info("==> [postgres] installing Debian's postgresql package")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-q"], env=env)
    run(["apt-get", "install", "-y", "-q", "postgresql"], env=env)


def _as_postgres(cmd: list[str]) -> list[str]:
    """Run as the ``postgres`` OS user when we are root (initdb refuses to run as root)."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _dirs(profile: Profile) -> tuple[Path, Path, Path]:
    base = profile.root / "postgres"
    return base / "data", base / "run", base / "postgres.log"


def _admin(profile: Profile, dbname: str = "postgres"):
    _, sock, _ = _dirs(profile)
    conn = psycopg2.connect(host=str(sock), port=profile.postgres_port, user="postgres", dbname=dbname)
    conn.autocommit = True
    return conn


def start(profile: Profile) -> None:
    data, sock, logfile = _dirs(profile)
    if port_open(profile.postgres_port):
        log.info("==> [postgres] already up on :%s", profile.postgres_port)
        _create_roles(profile)
        return
    pg_bin = bin_dir()
    if not (data / "PG_VERSION").exists():
        log.info("==> [postgres] initdb %s", data)
        data.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(data.parent, "postgres")
            shutil.chown(data, "postgres")
        run(_as_postgres([str(pg_bin / "initdb"), "-D", str(data), "-U", "postgres", *INITDB_LOCALE,
                          "--auth-local=trust", "--auth-host=scram-sha-256"]))
    sock.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(sock, "postgres")
        logfile.touch()
        shutil.chown(logfile, "postgres")
    options = " ".join([f"-p {profile.postgres_port} -k {sock} -c listen_addresses=localhost",
                        *(f"-c {name}={value}" for name, value in SERVER_SETTINGS)])
    log.info("==> [postgres] starting on :%s", profile.postgres_port)
    run(_as_postgres([str(pg_bin / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(logfile), "-w", "start"]))
    wait_until(lambda: port_open(profile.postgres_port), "PostgreSQL", 60)
    _create_roles(profile)


def _create_roles(profile: Profile) -> None:
    conn = _admin(profile)
    with conn.cursor() as cur:
        for role in ("carbon", "carbon_reader"):
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
            if not cur.fetchone():
                cur.execute(f'CREATE ROLE "{role}" LOGIN PASSWORD %s', (role,))
        cur.execute("SELECT 1 FROM pg_database WHERE datname = 'carbon'")
        if not cur.fetchone():
            cur.execute("CREATE DATABASE carbon OWNER carbon")
    conn.close()


def apply_schema(database_url: str) -> None:
    """Apply ``sql/*.sql`` in order (each file is idempotent)."""
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cur:
            for path in sorted(SQL_DIR.glob("*.sql")):
                cur.execute(path.read_text())
        log.info("==> [postgres] schema applied (%d files)", len(list(SQL_DIR.glob("*.sql"))))
    finally:
        conn.close()


def stop(profile: Profile) -> None:
    data, _, _ = _dirs(profile)
    if not (data / "postmaster.pid").exists():
        return
    log.info("==> [postgres] stopping")
    subprocess.run(_as_postgres([str(bin_dir() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                   capture_output=True)


def status(profile: Profile) -> dict:
    data, _, _ = _dirs(profile)
    pidfile = data / "postmaster.pid"
    pid = int(pidfile.read_text().split()[0]) if pidfile.exists() else None
    return {"component": "postgres", "up": port_open(profile.postgres_port), "pid": pid,
            "port": profile.postgres_port}
