"""What every benchmark shares: the bench stack's addresses, results files, load and CPU readings."""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import psycopg2

from stack.profile import REPO, Profile, get_profile

__all__ = ["RESULTS", "bench_profile", "module_args", "write_result", "loadavg", "connect", "CpuMeter",
           "percentile", "process_tree_cpu_s"]

log = logging.getLogger("bench")
RESULTS = REPO / "bench" / "results"
PROFILE_ENV = "BENCH_PROFILE"


def bench_profile() -> Profile:
    """The stack the benchmarks run against: ``BENCH_PROFILE`` (default ``bench``, ports +30000)."""
    return get_profile(os.environ.get(PROFILE_ENV, "bench"))


def module_args(description: str, default_name: str) -> argparse.Namespace:
    """``--out FILE`` (default ``bench/results/<name>.json``), the contract of every bench module."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=RESULTS / f"{default_name}.json")
    return parser.parse_args()


def write_result(path: Path, result: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    log.info("wrote %s", path)


def loadavg() -> list[float]:
    """1, 5 and 15 minute load averages (2 cores: above ~2 means something else competes)."""
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def connect(profile: Profile):
    """An autocommit connection, closed at the end of a ``with`` block.

    (psycopg2's own ``with conn`` opens a transaction even in autocommit mode, which would freeze
    the statistics views a poller reads.)
    """
    conn = psycopg2.connect(profile.database_url)
    conn.autocommit = True
    return contextlib.closing(conn)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


_CLK_TCK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    kids.append(int(entry.name))
            except OSError:
                continue
    return kids


def process_tree_cpu_s(pid: int) -> float:
    """CPU seconds of a process and its live descendants (e.g. uvicorn's worker processes)."""
    return _cpu_s(pid) + sum(process_tree_cpu_s(child) for child in _children(pid))


def _box_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine from /proc/stat."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU seconds used by named process groups between ``start()`` and ``stop()``, plus the box total.

    PostgreSQL backends come and go, so its group is re-read at stop (connections of a run live
    until it ends; a backend that exited in between is missed, hence "at least").
    """

    def __init__(self, groups: dict[str, list[int]], pg_postmaster: int | None = None) -> None:
        self.groups, self.pg_postmaster = groups, pg_postmaster

    def _read(self) -> dict[str, float]:
        seconds = {name: sum(_cpu_s(p) for p in pids) for name, pids in self.groups.items()}
        if self.pg_postmaster:
            self._pg_pids = {self.pg_postmaster, *_children(self.pg_postmaster)}
            seconds["postgres"] = sum(_cpu_s(p) for p in self._pg_pids)
        return seconds

    def start(self) -> None:
        self.t0, self.box0, self.cpu0 = time.monotonic(), _box_cpu(), self._read()
        self.load0 = loadavg()

    def stop(self) -> dict[str, Any]:
        elapsed = time.monotonic() - self.t0
        box1, cpu1 = _box_cpu(), self._read()
        busy = (box1[0] - self.box0[0]) / max(1, box1[1] - self.box0[1])
        used = {name: round(cpu1[name] - self.cpu0.get(name, 0.0), 1) for name in cpu1}
        return {
            "elapsed_s": round(elapsed, 1),
            "box_cpu_busy_pct": round(100 * busy, 1),
            "cpu_s_by_process": used,
            "cores_by_process": {k: round(v / elapsed, 2) for k, v in used.items()},
            "loadavg_before": self.load0, "loadavg_after": loadavg(),
        }
