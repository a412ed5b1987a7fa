"""Local Flink standalone cluster from the apache-flink wheel (``pyflink/bin``), REST + dashboard.

The profile gets its own conf/lib/log/tmp folders: lib = the wheel's jars + the connector jars from
``.jars/flink`` + the jobs' Java code (``.jars/java``); conf = a generated config.yaml (ports,
heap (hashmap) state, checkpoint folder, UTC JVMs); tmp = Flink's working files.
"""
from __future__ import annotations

import glob
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyflink
import requests
import yaml

from stack.proc import pid_alive, port_open, wait_until
from stack.profile import REPO, Profile

__all__ = ["flink_env", "start", "stop", "status", "start_taskmanager", "taskmanager_pids", "rest_url"]

log = logging.getLogger("stack")
FLINK_HOME = Path(pyflink.__file__).parent
CONNECTOR_JARS = REPO / ".jars" / "flink"
JAVA_JAR = REPO / ".jars" / "java" / "carbon-stream-flink.jar"  # the jobs' functions and sink (flink_jobs/java)


def _base(profile: Profile) -> Path:
    return profile.root / "flink"


def rest_url(profile: Profile) -> str:
    return f"http://localhost:{profile.flink_rest_port}"


def _wheel_java_opts() -> str:
    """The wheel's own JVM options (``--add-opens`` … that Flink needs on Java 17)."""
    wheel_config = yaml.safe_load((FLINK_HOME / "conf" / "config.yaml").read_text())
    return wheel_config["env"]["java"]["opts"]["all"]


def _config_yaml(profile: Profile) -> str:
    base = _base(profile)
    python = sys.executable
    return f"""\
jobmanager:
  rpc: {{address: localhost, port: {profile.flink_rpc_port}}}
  bind-host: localhost
  memory: {{process: {{size: 1600m}}}}
taskmanager:
  bind-host: localhost
  host: localhost
  numberOfTaskSlots: 4
  memory: {{process: {{size: 4096m}}, managed: {{fraction: 0.1}}}}
rest: {{address: localhost, bind-address: localhost, port: {profile.flink_rest_port}}}
parallelism: {{default: 1}}
state: {{backend: {{type: hashmap}}}}
execution:
  checkpointing:
    dir: file://{base / 'checkpoints'}
    savepoint-dir: file://{base / 'savepoints'}
    num-retained: 3
restart-strategy: {{type: exponential-delay}}
heartbeat: {{timeout: 15000}}
# Flink's working files (TaskManager working dirs with their blob caches, the
# dashboard's uploads) in the profile's folder, not /tmp: a TaskManager killed with -9 cannot delete
# its ~250 MB, and `make clean` deletes the folder. Emptied when the cluster starts (_prepare).
io: {{tmp: {{dirs: {base / 'tmp'}}}}}
web: {{tmpdir: {base / 'tmp'}}}
# The TaskManager's collector: ParallelGC (throughput) took 1-2 CPU-us per event less than the default
# G1 in the pipeline benchmark (README: Benchmarks); its pauses (~0.1 s) are far inside the freshness target.
env:
  java: {{opts: {{all: {_wheel_java_opts()} -Duser.timezone=UTC, taskmanager: -XX:+UseParallelGC}}}}
  pid: {{dir: {base / 'run'}}}
  log: {{dir: {base / 'log'}}}
python: {{executable: {python}, client: {{executable: {python}}}}}
"""


def flink_env(profile: Profile) -> dict[str, str]:
    """Environment for ``pyflink/bin`` scripts: this profile's conf, lib and log folders."""
    base = _base(profile)
    env = profile.service_env()
    env.update({
        "FLINK_HOME": str(FLINK_HOME), "FLINK_CONF_DIR": str(base / "conf"),
        "FLINK_LIB_DIR": str(base / "lib"), "FLINK_LOG_DIR": str(base / "log"),
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    })
    return env


def _prepare(profile: Profile) -> None:
    base = _base(profile)
    if not _pids(profile, "standalonesession") and not taskmanager_pids(profile):
        shutil.rmtree(base / "tmp", ignore_errors=True)  # left by processes that are gone (e.g. killed)
    for sub in ("conf", "lib", "log", "run", "tmp", "checkpoints", "savepoints"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    for name in ("log4j.properties", "log4j-console.properties", "log4j-cli.properties", "log4j-session.properties"):
        shutil.copy(FLINK_HOME / "conf" / name, base / "conf" / name)
    (base / "conf" / "config.yaml").write_text(_config_yaml(profile))
    lib = base / "lib"
    for old in lib.glob("*.jar"):
        old.unlink()
    jars = [*glob.glob(str(FLINK_HOME / "lib" / "*.jar")), *glob.glob(str(CONNECTOR_JARS / "*.jar")), str(JAVA_JAR)]
    if not glob.glob(str(CONNECTOR_JARS / "*.jar")) or not JAVA_JAR.exists():
        raise RuntimeError(f"no connector jars in {CONNECTOR_JARS} or no {JAVA_JAR}: run `make jars`")
    for jar in jars:
        (lib / Path(jar).name).symlink_to(jar)


def _script(profile: Profile, name: str, *args: str) -> None:
    subprocess.run(["bash", str(FLINK_HOME / "bin" / name), *args], env=flink_env(profile),
                   check=True, capture_output=True)


def _overview(profile: Profile) -> dict | None:
    try:
        return requests.get(f"{rest_url(profile)}/overview", timeout=2).json()
    except (requests.RequestException, ValueError):
        return None


def start(profile: Profile) -> None:
    if port_open(profile.flink_rest_port) and taskmanager_pids(profile):
        log.info("==> [flink] already up: %s", rest_url(profile))
        return
    _prepare(profile)
    log.info("==> [flink] starting JobManager (REST + dashboard %s)", rest_url(profile))
    _script(profile, "jobmanager.sh", "start")
    start_taskmanager(profile)
    wait_until(lambda: (_overview(profile) or {}).get("slots-available", 0) > 0, "Flink TaskManager slots", 120)


def start_taskmanager(profile: Profile) -> None:
    log.info("==> [flink] starting a TaskManager")
    _script(profile, "taskmanager.sh", "start")


def _pids(profile: Profile, role: str) -> list[int]:
    pids = []
    for pidfile in (_base(profile) / "run").glob(f"flink-*-{role}.pid"):
        pids += [int(p) for p in pidfile.read_text().split() if pid_alive(int(p))]
    return pids


def taskmanager_pids(profile: Profile) -> list[int]:
    return _pids(profile, "taskexecutor")


def stop(profile: Profile) -> None:
    if not (_base(profile) / "conf" / "config.yaml").exists():
        return
    log.info("==> [flink] stopping TaskManagers and JobManager")
    for _ in taskmanager_pids(profile):
        subprocess.run(["bash", str(FLINK_HOME / "bin" / "taskmanager.sh"), "stop"], env=flink_env(profile),
                       capture_output=True)
    subprocess.run(["bash", str(FLINK_HOME / "bin" / "jobmanager.sh"), "stop"], env=flink_env(profile),
                   capture_output=True)


def status(profile: Profile) -> list[dict]:
    overview = _overview(profile) or {}
    jm = _pids(profile, "standalonesession")
    return [
        {"component": "flink-jobmanager", "up": bool(overview), "pid": jm[0] if jm else None,
         "port": profile.flink_rest_port},
        {"component": "flink-taskmanager", "up": overview.get("taskmanagers", 0) > 0,
         "pid": ",".join(map(str, taskmanager_pids(profile))) or None, "port": None},
    ]
