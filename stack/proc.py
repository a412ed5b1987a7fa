"""Start, find and stop the stack's background processes (pid files, logs, port waits)."""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["start_daemon", "read_pid", "pid_alive", "stop_pid", "port_open", "wait_until", "run"]

log = logging.getLogger("stack")


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command to completion, raising with its output if it fails."""
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def start_daemon(cmd: list[str], pidfile: Path, logfile: Path, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> int:
    """Start ``cmd`` in its own session, output to ``logfile``, pid to ``pidfile``."""
    logfile.parent.mkdir(parents=True, exist_ok=True)
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    with open(logfile, "ab") as out:
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 env=env, cwd=cwd, start_new_session=True)
    pidfile.write_text(str(child.pid))
    return child.pid


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def pid_alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours is not alive
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def stop_pid(pid: int | None, timeout_s: float = 30.0, sig: int = signal.SIGTERM) -> None:
    """Signal ``pid`` (and its process group) and wait; SIGKILL after ``timeout_s``."""
    if not pid_alive(pid):
        return
    for target in (lambda s: os.killpg(pid, s), lambda s: os.kill(pid, s)):
        try:
            target(sig)
            break
        except (ProcessLookupError, PermissionError):
            continue
    deadline = time.monotonic() + timeout_s
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if pid_alive(pid):
        log.warning("pid %s did not stop in %.0f s: killing it", pid, timeout_s)
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_until(check: Callable[[], bool], what: str, timeout_s: float = 120.0, every_s: float = 0.5) -> None:
    """Poll ``check`` until it is true, printing progress; raise after ``timeout_s``."""
    start = time.monotonic()
    next_note = start + 10
    while not check():
        now = time.monotonic()
        if now - start > timeout_s:
            raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        if now > next_note:
            log.info("   … still waiting for %s (%.0f s)", what, now - start)
            next_note = now + 10
        time.sleep(every_s)
