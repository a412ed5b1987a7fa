"""Shared fixtures. Integration tests get a real stack (profile ``test``: every port +10000, so a
running ``make up`` is not disturbed), started once per session by ``python -m stack`` and
stopped at the end."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from stack.profile import REPO, Profile, get_profile


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run unit tests first, integration tests next, disruptive ones (stop/kill a component) last,
    the Kafka outage very last (the Flink job restarts after it)."""
    def rank(item: pytest.Item) -> int:
        if "kafka_outage" in getattr(item, "fixturenames", ()):
            return 3
        if item.get_closest_marker("disruptive"):
            return 2
        return 1 if item.get_closest_marker("integration") else 0
    items.sort(key=rank)


def _stack(profile: Profile, *args: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    subprocess.run([sys.executable, "-m", "stack", "--profile", profile.name, *args], cwd=REPO, env=env,
                   check=True)


@pytest.fixture(scope="session")
def stack() -> Iterator[Profile]:
    """A fresh test stack (data wiped first) with the Flink jobs and both APIs, no demo producer."""
    profile = get_profile("test")
    _stack(profile, "clean")
    try:
        _stack(profile, "up", "--no-producer")
        yield profile
    finally:
        _stack(profile, "down")
