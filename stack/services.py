"""The project's own Python processes: ingest API, read API and demo producer (uvicorn/python)."""
from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

import requests

from stack.proc import pid_alive, port_open, read_pid, start_daemon, stop_pid, wait_until
from stack.profile import REPO, Profile

__all__ = ["Service", "services", "start", "stop", "status"]

log = logging.getLogger("stack")


@dataclass(frozen=True)
class Service:
    name: str
    args: tuple[str, ...]
    port: int | None

    def pidfile(self, profile: Profile):
        return profile.root / "run" / f"{self.name}.pid"

    def logfile(self, profile: Profile):
        return profile.root / "logs" / f"{self.name}.log"


def services(profile: Profile, demo_rate_per_s: float = 20.0) -> list[Service]:
    return [
        # python -m ingest_api: CS_INGEST_API_PROCESSES server processes sharing the port (ingest_api.server)
        Service("ingest-api", ("-m", "ingest_api", "--host", "127.0.0.1", "--port", str(profile.ingest_port)),
                profile.ingest_port),
        Service("read-api", ("-m", "uvicorn", "read_api.app:app", "--host", "127.0.0.1", "--port",
                             str(profile.read_port), "--no-access-log"), profile.read_port),
        Service("demo-producer", ("-m", "producers.emissions", "--rate", str(demo_rate_per_s)), None),
    ]


def _healthy(service: Service) -> bool:
    if not port_open(service.port):
        return False
    try:
        return requests.get(f"http://127.0.0.1:{service.port}/docs", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def start(profile: Profile, service: Service) -> None:
    if pid_alive(read_pid(service.pidfile(profile))):
        log.info("==> [%s] already running", service.name)
        return
    log.info("==> [%s] starting%s", service.name, f" on :{service.port}" if service.port else "")
    pid = start_daemon([sys.executable, *service.args], service.pidfile(profile), service.logfile(profile),
                       env=profile.service_env(), cwd=REPO)

    def ready() -> bool:
        if not pid_alive(pid):
            tail = service.logfile(profile).read_text()[-2000:]
            raise RuntimeError(f"{service.name} exited at start; its log ends with:\n{tail}")
        return service.port is None or _healthy(service)

    wait_until(ready, f"{service.name}" + (f" on :{service.port}" if service.port else ""), 60)


def stop(profile: Profile, service: Service) -> None:
    pid = read_pid(service.pidfile(profile))
    if pid_alive(pid):
        log.info("==> [%s] stopping (pid %s)", service.name, pid)
        stop_pid(pid, timeout_s=15)


def status(profile: Profile, service: Service) -> dict:
    pid = read_pid(service.pidfile(profile))
    up = pid_alive(pid) and (service.port is None or port_open(service.port))
    return {"component": service.name, "up": up, "pid": pid if pid_alive(pid) else None, "port": service.port}
