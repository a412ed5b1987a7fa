"""Where a running Flink job spends its time: per-vertex busy / back-pressured ms per second (REST)."""
from __future__ import annotations

import math
import threading
from collections import defaultdict

import requests

__all__ = ["VertexSampler"]

_METRICS = "busyTimeMsPerSecond,backPressuredTimeMsPerSecond,idleTimeMsPerSecond"


class VertexSampler(threading.Thread):
    """Samples every vertex's busy/back-pressured/idle time every ``interval_s`` until ``stop()``.

    Also asks the dashboard's ``/backpressure`` endpoint once per vertex at ``stop()``-time - 1
    sample, which is what the dashboard shows (level ok/low/high).
    """

    def __init__(self, rest: str, job_id: str, interval_s: float = 5.0) -> None:
        super().__init__(daemon=True)
        self.rest, self.job_id, self.interval_s = rest, job_id, interval_s
        self.samples: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        self.backpressure: dict[str, str] = {}
        self._stop_event = threading.Event()
        self.vertices = {v["id"]: v["name"][:120] for v in
                         requests.get(f"{rest}/jobs/{job_id}", timeout=5).json()["vertices"]}

    def _sample(self) -> None:
        for vid, name in self.vertices.items():
            try:
                rows = requests.get(f"{self.rest}/jobs/{self.job_id}/vertices/{vid}/subtasks/metrics",
                                    params={"get": _METRICS, "agg": "max"}, timeout=5).json()
            except (requests.RequestException, ValueError):
                continue
            for row in rows:
                value = float(row.get("max", "nan"))
                if not math.isnan(value):  # NaN: the metric has no reading yet (a task just started)
                    self.samples[name][row["id"]].append(value)

    def run(self) -> None:
        while not self._stop_event.wait(self.interval_s):
            self._sample()
            if not self.backpressure:
                self._backpressure()

    def _backpressure(self) -> None:
        for vid, name in self.vertices.items():
            try:
                body = requests.get(f"{self.rest}/jobs/{self.job_id}/vertices/{vid}/backpressure", timeout=5).json()
                self.backpressure[name] = body.get("backpressureLevel", body.get("status", "?"))
            except (requests.RequestException, ValueError):
                continue

    def stop(self) -> dict:
        """Mean of the samples per vertex and metric (ms per second, 1000 = always)."""
        self._stop_event.set()
        self.join(timeout=30)
        summary = {}
        for name, metrics in self.samples.items():
            summary[name] = {metric.replace("TimeMsPerSecond", "_ms_per_s"): round(sum(v) / len(v))
                             for metric, v in metrics.items() if v}
            summary[name]["backpressure_level"] = self.backpressure.get(name)
        return summary
