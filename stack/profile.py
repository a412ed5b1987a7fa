"""Stack profiles: ports, folders and the service environment of one local stack."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["REPO", "Profile", "get_profile"]

REPO = Path(__file__).resolve().parent.parent
_PORT_OFFSETS = {"dev": 0, "test": 10000, "bench": 30000}


@dataclass(frozen=True)
class Profile:
    """One stack instance. ``test`` adds 10000 to every port so it never clashes with ``make up``."""

    name: str
    port_offset: int

    @property
    def root(self) -> Path:
        return REPO / ".stack" / self.name

    def port(self, base: int) -> int:
        return base + self.port_offset

    @property
    def postgres_port(self) -> int:
        return self.port(5432)

    @property
    def kafka_port(self) -> int:
        return self.port(9092)

    @property
    def kafka_controller_port(self) -> int:
        return self.port(9093)

    @property
    def flink_rest_port(self) -> int:
        return self.port(8081)

    @property
    def flink_rpc_port(self) -> int:
        return self.port(6123)

    @property
    def ingest_port(self) -> int:
        return self.port(8000)

    @property
    def read_port(self) -> int:
        return self.port(8001)

    @property
    def external_database_url(self) -> str | None:
        """The user's own PostgreSQL (``DATABASE_URL``); then no local server is started."""
        return os.environ.get("DATABASE_URL") if self.name == "dev" else None

    @property
    def database_url(self) -> str:
        return self.external_database_url or f"postgresql://carbon:carbon@localhost:{self.postgres_port}/carbon"

    @property
    def read_database_url(self) -> str:
        if self.external_database_url:
            return os.environ.get("READ_DATABASE_URL", self.external_database_url)
        return f"postgresql://carbon_reader:carbon_reader@localhost:{self.postgres_port}/carbon"

    def service_env(self) -> dict[str, str]:
        """Environment for every service process: the ``CS_*`` settings plus the repo on PYTHONPATH."""
        env = dict(os.environ)
        env.update({
            "CS_KAFKA_BOOTSTRAP_SERVERS": f"localhost:{self.kafka_port}",
            "CS_DATABASE_URL": self.database_url,
            "CS_READ_DATABASE_URL": self.read_database_url,
            "CS_FLINK_REST_URL": f"http://localhost:{self.flink_rest_port}",
            "PYTHONPATH": str(REPO),
            "TZ": "UTC",
        })
        return env


def get_profile(name: str) -> Profile:
    if name not in _PORT_OFFSETS:
        sys.exit(f"unknown stack profile {name!r}: choose one of {sorted(_PORT_OFFSETS)}")
    return Profile(name, _PORT_OFFSETS[name])
