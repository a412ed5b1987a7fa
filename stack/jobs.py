"""Flink job management: list, submit, cancel, stop-with-savepoint, resume (an upgrade), forget, rebuild.

Jobs are the modules of ``flink_jobs/`` (one job per file, named by its ``JOB_NAME``). Submission
uses ``flink run -d -py``; the rest uses the JobManager REST API, as the dashboard does. The latest
savepoint of each job is remembered in ``.stack/<profile>/flink/savepoints/<job>.latest``.
"""
from __future__ import annotations

import importlib
import logging
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import requests
from confluent_kafka import Consumer, TopicPartition

from stack import kafka
from stack.flink import FLINK_HOME, flink_env, rest_url
from stack.proc import wait_until
from stack.profile import REPO, Profile

__all__ = ["JOBS", "list_jobs", "find_running", "submit", "cancel", "stop_with_savepoint", "resume",
           "latest_savepoint", "latest_snapshot", "start_or_restore", "forget", "rebuild"]

log = logging.getLogger("stack")
JOBS = ("emissions_rollup",)
_ACTIVE = {"CREATED", "INITIALIZING", "RUNNING", "RESTARTING", "RECONCILING"}


def list_jobs(profile: Profile) -> list[dict]:
    """Every job the JobManager knows: name, id, state, uptime and last completed checkpoint age."""
    base = rest_url(profile)
    jobs = requests.get(f"{base}/jobs/overview", timeout=5).json()["jobs"]
    now_ms = time.time() * 1000
    rows = []
    for job in sorted(jobs, key=lambda j: -j["start-time"]):
        checkpoint_age_s = None
        if job["state"] == "RUNNING":
            latest = requests.get(f"{base}/jobs/{job['jid']}/checkpoints", timeout=5).json().get("latest", {})
            completed = (latest or {}).get("completed") or {}
            if completed.get("latest_ack_timestamp"):
                checkpoint_age_s = round((now_ms - completed["latest_ack_timestamp"]) / 1000, 1)
        rows.append({"name": job["name"], "id": job["jid"], "state": job["state"],
                     "uptime_s": round(job["duration"] / 1000), "last_checkpoint_age_s": checkpoint_age_s})
    return rows


def find_running(profile: Profile, name: str) -> dict | None:
    return next((j for j in list_jobs(profile) if j["name"] == name and j["state"] in _ACTIVE), None)


def _check_name(name: str) -> Path:
    if name not in JOBS:
        sys.exit(f"unknown job {name!r}: jobs are {', '.join(JOBS)}")
    return REPO / "flink_jobs" / f"{name}.py"


def submit(profile: Profile, name: str, savepoint: str | None = None) -> str:
    """Submit a job (detached) unless it already runs; from ``savepoint`` when given. Returns its id."""
    path = _check_name(name)
    running = find_running(profile, name)
    if running:
        log.info("==> [flink] job %s already running (%s)", name, running["id"])
        return running["id"]
    cmd = ["bash", str(FLINK_HOME / "bin" / "flink"), "run", "-d"]
    if savepoint:
        cmd += ["-s", savepoint]
    cmd += ["-py", str(path), "-pyexec", sys.executable, "-pyclientexec", sys.executable]
    log.info("==> [flink] submitting %s%s", name, f" from savepoint {savepoint}" if savepoint else "")
    result = subprocess.run(cmd, env=flink_env(profile), cwd=REPO, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"flink run {name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    wait_until(lambda: find_running(profile, name) is not None, f"job {name} to be listed", 60)
    job_id = find_running(profile, name)["id"]
    with _ids_record(profile, name).open("a") as ids:
        ids.write(job_id + "\n")
    wait_until(lambda: _state(profile, job_id) == "RUNNING", f"job {name} RUNNING", 120)
    return job_id


def _state(profile: Profile, job_id: str) -> str:
    return requests.get(f"{rest_url(profile)}/jobs/{job_id}", timeout=5).json()["state"]


def cancel(profile: Profile, name: str) -> None:
    job = find_running(profile, name)
    if not job:
        log.info("==> [flink] job %s is not running", name)
        return
    requests.patch(f"{rest_url(profile)}/jobs/{job['id']}?mode=cancel", timeout=10).raise_for_status()
    wait_until(lambda: _state(profile, job["id"]) == "CANCELED", f"job {name} CANCELED", 60)
    log.info("==> [flink] cancelled %s (%s)", name, job["id"])


def _ids_record(profile: Profile, name: str) -> Path:
    record = profile.root / "flink" / "jobs" / f"{name}.ids"
    record.parent.mkdir(parents=True, exist_ok=True)
    return record


def latest_snapshot(profile: Profile, name: str) -> str | None:
    """Newest savepoint or retained checkpoint of any earlier run of ``name`` (by write time)."""
    candidates = []
    savepoint = latest_savepoint(profile, name)
    if savepoint and Path(savepoint.removeprefix("file:")).exists():
        candidates.append(Path(savepoint.removeprefix("file:")))
    record = _ids_record(profile, name)
    for job_id in record.read_text().split() if record.exists() else []:
        checkpoints = profile.root / "flink" / "checkpoints" / job_id
        candidates += [meta.parent for meta in checkpoints.glob("chk-*/_metadata")]
    if not candidates:
        return None
    return str(max(candidates, key=lambda path: (path / "_metadata").stat().st_mtime))


def start_or_restore(profile: Profile, name: str) -> str:
    """Submit ``name`` unless it runs, restoring its newest snapshot when there is one."""
    return submit(profile, name, savepoint=latest_snapshot(profile, name))


def _savepoint_record(profile: Profile, name: str) -> Path:
    return profile.root / "flink" / "savepoints" / f"{name}.latest"


def latest_savepoint(profile: Profile, name: str) -> str | None:
    record = _savepoint_record(profile, name)
    return record.read_text().strip() if record.exists() else None


def stop_with_savepoint(profile: Profile, name: str) -> str:
    """Stop a job gracefully with a savepoint (the dashboard's "stop"), remember and return its path."""
    job = find_running(profile, name)
    if not job:
        raise RuntimeError(f"job {name} is not running")
    base = rest_url(profile)
    target = str(profile.root / "flink" / "savepoints")
    trigger = requests.post(f"{base}/jobs/{job['id']}/stop", json={"targetDirectory": target, "drain": False},
                            timeout=10).json()["request-id"]
    result: dict = {}

    def completed() -> bool:
        result.update(requests.get(f"{base}/jobs/{job['id']}/savepoints/{trigger}", timeout=5).json())
        return result.get("status", {}).get("id") == "COMPLETED"

    wait_until(completed, f"savepoint of {name}", 180)
    operation = result.get("operation", {})
    if "location" not in operation:
        raise RuntimeError(f"savepoint of {name} failed: {operation.get('failure-cause', operation)}")
    _savepoint_record(profile, name).write_text(operation["location"])
    log.info("==> [flink] stopped %s with savepoint %s", name, operation["location"])
    return operation["location"]


def resume(profile: Profile, name: str) -> str:
    """Start ``name`` from its latest savepoint (after a code change this is the upgrade path)."""
    savepoint = latest_savepoint(profile, name)
    if not savepoint:
        raise RuntimeError(f"no savepoint recorded for {name}: run `make savepoint JOB={name}` first")
    return submit(profile, name, savepoint=savepoint)


def _check_replayable(bootstrap: str, topic: str, job_name: str) -> None:
    """Raise unless every partition of ``topic`` still starts at offset 0 (nothing lost to retention)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{job_name}-rebuild-check"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        for number in partitions:
            low, _high = consumer.get_watermark_offsets(TopicPartition(topic, number), timeout=10)
            if low > 0:
                raise RuntimeError(f"{topic}[{number}] no longer holds offsets 0..{low - 1} (retention): "
                                   f"a replay would not rebuild {job_name}'s tables exactly")
    finally:
        consumer.close()


def forget(profile: Profile, name: str) -> None:
    """Cancel ``name`` and drop everything it built: its savepoint and checkpoint records (the files
    stay on disk), its consumer group's offsets and the rows of its output tables. The next submit
    starts with no state and reads its topics from the start."""
    _check_name(name)
    cancel(profile, name)
    for record in (_ids_record(profile, name), _savepoint_record(profile, name)):
        record.unlink(missing_ok=True)
    kafka.delete_consumer_group(f"localhost:{profile.kafka_port}", name)
    output_tables = importlib.import_module(f"flink_jobs.{name}").OUTPUT_TABLES  # imports PyFlink: only here
    with psycopg2.connect(profile.database_url) as conn, conn.cursor() as cur:
        cur.execute(f"TRUNCATE {', '.join(output_tables)}")


def rebuild(profile: Profile, name: str) -> str:
    """Start ``name`` afresh and rebuild its tables by replaying its input topics from the start.

    The upgrade path when a code change makes the job's state incompatible with its savepoints.
    Exact only while the topics still hold every record the tables were built from, so it refuses
    when retention has deleted any; then :func:`forget` and submit with no state.
    """
    _check_name(name)
    input_topics = importlib.import_module(f"flink_jobs.{name}").INPUT_TOPICS
    for topic in input_topics:
        _check_replayable(f"localhost:{profile.kafka_port}", topic, name)
    forget(profile, name)
    log.info("==> [flink] %s: state forgotten, tables emptied; replaying %s from the start",
             name, ", ".join(input_topics))
    return submit(profile, name)
