"""``python -m ingest_api --processes 2``: both processes serve the port, and they live and stop together.

No broker needed: the app starts without Kafka (its producer connects lazily) and ``/docs`` answers.
Linux only (reads ``/proc``), like the stack it runs in.
"""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_START_TIMEOUT_S = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    """The server processes of ``pid`` (multiprocessing also starts a resource tracker: not a server)."""
    children = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return [child for child in children if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()]


def _established_local_ports(pid: int, port: int) -> int:
    """How many established TCP connections on local ``port`` the process ``pid`` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, state, inode = int(fields[1].split(":")[1], 16), fields[3], fields[9]
        count += local_port == port and state == "01" and inode in inodes
    return count


@pytest.fixture
def server():
    port = _free_port()
    env = {**os.environ, "CS_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9", "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-m", "ingest_api", "--port", str(port), "--processes", "2",
                                "--log-level", "warning"], env=env, cwd=REPO, start_new_session=True)
    deadline = time.monotonic() + _START_TIMEOUT_S
    while len(_children(process.pid)) < 2 or not _answers(port):
        assert process.poll() is None and time.monotonic() < deadline, "the ingest API did not start"
        time.sleep(0.2)
    yield process, port
    try:  # the whole session: a test may have left server processes behind
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/docs")
        return connection.getresponse().status == 200
    except OSError:
        return False


def test_ingest_server_spreads_connections_over_its_processes(server):
    process, port = server
    connections = []
    for _ in range(32):  # kept open: each stays with the process that accepted it
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/docs")
        assert connection.getresponse().read()
        connections.append(connection)
    per_process = [_established_local_ports(child, port) for child in _children(process.pid)]
    assert sum(per_process) == 32
    assert min(per_process) > 0, per_process  # all 32 in one of 2 processes: probability 2^-31
    for connection in connections:
        connection.close()


def test_ingest_server_stops_every_process_on_sigterm(server):
    process, _ = server
    children = _children(process.pid)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert not any(Path(f"/proc/{child}").exists() for child in children)


def test_ingest_server_processes_stop_when_the_parent_is_killed(server):
    process, _ = server
    children = _children(process.pid)
    process.kill()  # SIGKILL: the parent cannot stop them
    process.wait()
    deadline = time.monotonic() + 30
    while any(_alive(child) for child in children):
        assert time.monotonic() < deadline, "server processes outlived their parent"
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    """Running, not a zombie (an orphan's exit is reaped by init, maybe not at once)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_ingest_server_exits_with_an_error_when_a_process_dies(server):
    process, _ = server
    first, second = _children(process.pid)
    os.kill(first, signal.SIGKILL)
    assert process.wait(timeout=30) == 1
    assert not Path(f"/proc/{second}").exists()
