"""``python -m bench`` (``make bench``): every benchmark on the bench stack, one summary beside the limits.

Runs each ``bench/bench_<name>.py`` present, in ``ORDER`` (unknown names last, alphabetically), as
``python -m bench.bench_<name> --out bench/results/<name>.json`` against the bench stack (profile
``bench``, ports +30000; started here unless ``--no-up``), then writes ``bench/results/summary.json``
and prints one table: each figure beside the limit measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import PROFILE_ENV, RESULTS, bench_profile, loadavg, write_result
from bench.summary import summarise, table
from stack.jobs import JOBS
from stack.profile import REPO

log = logging.getLogger("bench")
# Limits first (Kafka), ingest before the pipeline resets the topic, reads last (on the pipeline's rows).
ORDER = ["kafka", "ingest", "pipeline", "freshness", "read_api"]
# Measured with no Flink job running: a job left by an earlier run (the pipeline bench leaves its job
# running) would consume the ingest bench's events and compete for the same cores.
WITHOUT_JOBS = {"kafka", "ingest"}


def discover() -> list[str]:
    names = [p.stem.removeprefix("bench_") for p in (REPO / "bench").glob("bench_*.py")]
    return sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


def _stack(*args: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    subprocess.run([sys.executable, "-m", "stack", "--profile", bench_profile().name, *args],
                   cwd=REPO, env=env, check=True)


def run_module(name: str, timeout_s: float) -> dict:
    out = RESULTS / f"{name}.json"
    out.unlink(missing_ok=True)
    env = {**bench_profile().service_env(), PROFILE_ENV: bench_profile().name}
    started = time.monotonic()
    log.info("==> bench %s", name)
    try:
        done = subprocess.run([sys.executable, "-m", f"bench.bench_{name}", "--out", str(out)], cwd=REPO,
                              env=env, timeout=timeout_s)
        status = "ok" if done.returncode == 0 and out.exists() else f"failed (exit {done.returncode})"
    except subprocess.TimeoutExpired:
        status = f"timed out after {timeout_s:.0f} s"
    result = json.loads(out.read_text()) if out.exists() else {}
    return {"status": status, "seconds": round(time.monotonic() - started, 1), "result": result}


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help=f"run only these (available: {', '.join(discover())})")
    parser.add_argument("--no-up", action="store_true", help="use the running bench stack as it is")
    parser.add_argument("--down", action="store_true", help="stop the bench stack at the end")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per benchmark")
    args = parser.parse_args()
    names = [n for n in discover() if not args.only or n in args.only]
    if not args.no_up:
        _stack("up", "--no-jobs", "--no-producer")
    if WITHOUT_JOBS & set(names):
        for job in JOBS:
            _stack("jobs", "cancel", job)
    started, load_before = time.time(), loadavg()
    runs = {name: run_module(name, args.timeout) for name in names}
    summary = {"started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
               "total_s": round(time.time() - started, 1), "profile": bench_profile().name,
               "cpus": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": loadavg(),
               "command": "make bench  (= PYTHONPATH=. .venv/bin/python -m bench)",
               "benchmarks": {n: {"status": r["status"], "seconds": r["seconds"]} for n, r in runs.items()},
               "figures": summarise({n: r["result"] for n, r in runs.items()})}
    write_result(RESULTS / "summary.json", summary)
    print(table(summary))
    if args.down:
        _stack("down")
    if any(r["status"] != "ok" for r in runs.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
