"""Serve the ingest API from N processes (``python -m ingest_api``).

One Python process validates and encodes about 120,000 events/s of batch POSTs on one core (its GIL
is the limit), so the API runs N uvicorn processes (``CS_INGEST_API_PROCESSES``, default 2), each with
its own listening socket on the same port, opened with ``SO_REUSEPORT``: the kernel spreads incoming
connections over the sockets (by a hash of each connection's addresses and ports), so every process
gets its share of the clients. uvicorn's own ``--workers`` shares one socket instead, and the first
worker to wake accepts every pending connection: measured here, with a few keep-alive clients all of
them landed in one worker (2 workers: 118k vs 124k events/s with 1). With ``SO_REUSEPORT``, 8 clients
of 2,000-event batches on this 2-core box, alternating runs: 167k-194k events/s with 2 processes vs
119k-120k with 1 (and 220k-279k vs 151k-156k once validation took the strict path).

Each process has its own Kafka producer (the app's lifespan). The parent forwards SIGTERM/SIGINT to
the processes and waits; if one exits on its own, it stops the others and exits with that code, so a
supervisor sees the failure; if the parent itself dies (even by SIGKILL), each process stops itself.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
from multiprocessing.connection import wait

import uvicorn

__all__ = ["listening_socket", "serve", "serve_processes"]

log = logging.getLogger("ingest_api")

_BACKLOG = 2048  # uvicorn's default
_STOP_TIMEOUT_S = 30.0  # a process flushes its Kafka producer on shutdown (at most the send timeout)


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on (host, port) with SO_REUSEPORT: more such sockets may listen beside it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(_BACKLOG)
    return sock


def _stop_with_parent() -> None:
    """In a server process: SIGTERM itself (uvicorn's graceful shutdown) once the parent is gone, even
    when the parent was killed with SIGKILL and could not stop it: no orphan keeps serving the port."""
    parent = multiprocessing.parent_process()
    if parent is None:  # python -m ingest_api --processes 1: this is the parent
        return

    def watch() -> None:
        wait([parent.sentinel])
        log.warning("the parent process is gone: stopping")
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def serve(sock: socket.socket, log_level: str) -> None:
    """One uvicorn server of the app on ``sock``."""
    _stop_with_parent()
    config = uvicorn.Config("ingest_api.app:app", log_level=log_level, access_log=False, backlog=_BACKLOG)
    uvicorn.Server(config).run(sockets=[sock])


def _stop(processes: list[multiprocessing.Process]) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()  # SIGTERM: uvicorn's graceful shutdown, then the producer's flush
    for process in processes:
        process.join(_STOP_TIMEOUT_S)
        if process.is_alive():
            process.kill()


def serve_processes(host: str, port: int, log_level: str, count: int) -> int:
    """``count`` server processes; returns the exit code of the first to exit (0 when stopped by a signal)."""
    # Every socket listens before any process starts: connections are spread from the first one on,
    # and wait in their socket's queue until its process serves them.
    sockets = [listening_socket(host, port) for _ in range(count)]
    spawn = multiprocessing.get_context("spawn")  # no forked copy of the parent's state
    processes = [spawn.Process(target=serve, args=(sock, log_level), name=f"ingest-api-{n}")
                 for n, sock in enumerate(sockets)]
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        log.info("signal %d: stopping %d processes", signum, count)
        _stop(processes)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    for process in processes:
        process.start()
    log.info("ingest API on %s:%d: %d processes (pids %s)", host, port, count,
             ", ".join(str(p.pid) for p in processes))
    while all(process.is_alive() for process in processes):
        wait([process.sentinel for process in processes])
    first = next(process for process in processes if process.exitcode is not None)
    if not stopping:
        log.error("process %s exited with code %s: stopping the others", first.name, first.exitcode)
        _stop(processes)
        return first.exitcode if first.exitcode and first.exitcode > 0 else 1  # killed by a signal: 1
    return 0
