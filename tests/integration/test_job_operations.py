"""Operating the job on the real stack: stop with a savepoint and resume; resume a savepoint older
than the last checkpoint; rebuild from the topic with no state (an incompatible upgrade); lose a
TaskManager.

In every case the totals must stay exact: 0 events lost, 0 counted twice.
"""
from __future__ import annotations

import os
import random
import signal
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from stack import flink, jobs
from stack.profile import Profile
from tests.utils.ground_truth import expected_rollups, first_copies
from tests.utils.pipeline import query, rollup_rows, send_records, wait_for
from tests.utils.workload import Record, accepted_events, event_json

pytestmark = [pytest.mark.integration, pytest.mark.disruptive]
JOB = "emissions_rollup"


def _events(prefix: str, count: int, seed: int) -> list[Record]:
    """``count`` in-order events of orgs ``prefix``0-6; event ids are drawn from (prefix, seed), so two
    tests never share an id (the job would count the second as a retry of the first)."""
    rng = random.Random(f"{prefix}:{seed}")
    now = datetime.now(timezone.utc)
    records = []
    for i in range(count):
        moment = now - timedelta(minutes=50) + timedelta(milliseconds=50 * i)
        org = f"{prefix}{i % 7}"
        records.append(Record(org, event_json(str(uuid.UUID(int=rng.getrandbits(128), version=4)), org,
                                              moment.isoformat(timespec="milliseconds"),
                                              str(rng.randint(1, 10**7) / 1000), 1 + i % 3, "waste"), "in_order"))
    return records


def _assert_exact(stack: Profile, prefix: str, records: list[Record], timeout_s: float) -> None:
    """Every rollup equals the ground truth and every distinct event is stored once (awaited: the
    sink applies each org's events in its own transactions, so orgs complete at different moments)."""
    unique = first_copies(accepted_events(records))
    expected = {grain: expected_rollups(unique, grain) for grain in ("minute", "hour", "day", "month")}

    def stored_events() -> int:
        return query(stack.database_url, "SELECT count(*) FROM emission_event WHERE org_id LIKE %s",
                     (prefix + "%",))[0][0]

    def exact() -> bool:
        return (stored_events() == len(unique)
                and all(rollup_rows(stack.database_url, g, prefix) == expected[g] for g in expected))

    wait_for(exact, "rollups and raw rows equal to the ground truth", timeout_s)
    assert stored_events() == len(unique)


def test_stop_with_savepoint_then_resume_keeps_totals_exact(stack: Profile) -> None:
    prefix = f"sp{uuid.uuid4().hex[:8]}-"
    before = _events(prefix, 600, seed=1)
    send_records(f"localhost:{stack.kafka_port}", [(r.key, r.value) for r in before])
    _assert_exact(stack, prefix, before, 120)

    savepoint = jobs.stop_with_savepoint(stack, JOB)
    assert Path(savepoint.removeprefix("file:")).exists()
    assert jobs.find_running(stack, JOB) is None
    # Sent while the job is stopped: new events plus retries of events it already counted.
    during = _events(prefix, 400, seed=2) + before[:50]
    send_records(f"localhost:{stack.kafka_port}", [(r.key, r.value) for r in during])

    jobs.resume(stack, JOB)
    _assert_exact(stack, prefix, before + during, 180)


def test_resuming_a_savepoint_older_than_the_last_checkpoint_counts_nothing_twice(stack: Profile) -> None:
    """A job resumed from an older savepoint replays events a later run already stored and counted:
    PostgreSQL's key on event_id skips them (they add nothing), and events sent after are counted."""
    prefix = f"os{uuid.uuid4().hex[:8]}-"
    first, later, last = _events(prefix, 300, seed=5), _events(prefix, 300, seed=6), _events(prefix, 200, seed=7)
    send_records(f"localhost:{stack.kafka_port}", [(r.key, r.value) for r in first])
    _assert_exact(stack, prefix, first, 120)
    old_savepoint = jobs.stop_with_savepoint(stack, JOB)
    jobs.resume(stack, JOB)
    send_records(f"localhost:{stack.kafka_port}", [(r.key, r.value) for r in later])
    _assert_exact(stack, prefix, first + later, 120)
    jobs.cancel(stack, JOB)

    jobs.submit(stack, JOB, savepoint=old_savepoint)  # replays `later` (and whatever else followed)
    send_records(f"localhost:{stack.kafka_port}", [(r.key, r.value) for r in last])

    _assert_exact(stack, prefix, first + later + last, 180)
    time.sleep(5)  # several flush intervals: a replay counted twice would have shown by now
    _assert_exact(stack, prefix, first + later + last, 10)


def test_rebuild_replays_the_topic_into_the_same_exact_tables(stack: Profile) -> None:
    prefix = f"rb{uuid.uuid4().hex[:8]}-"
    records = _events(prefix, 500, seed=4)
    records += records[:40]  # retries: still counted once after the replay
    send_records(f"localhost:{stack.kafka_port}", [(r.key, r.value) for r in records])
    _assert_exact(stack, prefix, records, 120)
    stored_before = query(stack.database_url, "SELECT count(*) FROM emission_event")[0][0]
    old_job = jobs.find_running(stack, JOB)["id"]

    new_job = jobs.rebuild(stack, JOB)

    assert new_job != old_job and jobs.latest_snapshot(stack, JOB) is None  # no state carried over
    _assert_exact(stack, prefix, records, 180)
    wait_for(lambda: query(stack.database_url, "SELECT count(*) FROM emission_event")[0][0] == stored_before,
             "every event stored before the rebuild stored again", 120)


def test_taskmanager_killed_mid_run_loses_and_doubles_nothing(stack: Profile) -> None:
    prefix = f"tm{uuid.uuid4().hex[:8]}-"
    records = _events(prefix, 30_000, seed=3)
    chunks = [records[i:i + 1000] for i in range(0, len(records), 1000)]

    def send_slowly() -> None:
        for chunk in chunks:
            send_records(f"localhost:{stack.kafka_port}", [(r.key, r.value) for r in chunk])
            time.sleep(0.5)

    sender = threading.Thread(target=send_slowly)
    sender.start()
    wait_for(lambda: query(stack.database_url, "SELECT count(*) FROM emission_event WHERE org_id LIKE %s",
                           (prefix + "%",))[0][0] > 3000, "the job to be mid-run", 120)
    victims = flink.taskmanager_pids(stack)
    assert victims
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    flink.start_taskmanager(stack)
    sender.join()
    _assert_exact(stack, prefix, records, 300)
    assert jobs.find_running(stack, JOB)["state"] == "RUNNING"
