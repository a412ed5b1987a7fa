"""Run the eemeter 3.2.0 oracle (tests/mrv/oracle/eemeter_reference.py) in its own venv, and read
its results under our names.

The oracle venv (.venv-oracle at the repository top) is created by install_oracle.sh when it is
missing; tests skip, with the reason, only when it cannot be created (e.g. no network).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import subprocess
from pathlib import Path

import numpy as np

from mrv.series import DailySeries

ORACLE_DIR = Path(__file__).resolve().parent
REPO_TOP = ORACLE_DIR.parents[2]
ORACLE_PYTHON = REPO_TOP / ".venv-oracle" / "bin" / "python"
REFERENCE_SCRIPT = ORACLE_DIR / "eemeter_reference.py"
CACHE_DIR = REPO_TOP / ".venv-oracle" / "results-cache"

# eemeter's names -> ours
_PARAMETER_NAMES = {
    "intercept": "intercept_kwh_per_day",
    "beta_hdd": "beta_hdd_kwh_per_hdd",
    "beta_cdd": "beta_cdd_kwh_per_cdd",
    "heating_balance_point": "heating_balance_point_f",
    "cooling_balance_point": "cooling_balance_point_f",
}
_MODEL_TYPES = {"cdd_hdd": "hdd_cdd"}


class OracleUnavailable(RuntimeError):
    """The eemeter 3.2.0 oracle venv does not exist and could not be created."""


@functools.lru_cache(maxsize=1)
def ensure_oracle() -> Path:
    """Path of the oracle interpreter, creating the venv if needed."""
    done = subprocess.run(["bash", str(ORACLE_DIR / "install_oracle.sh")],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0 or not ORACLE_PYTHON.exists():
        raise OracleUnavailable(f"install_oracle.sh failed: {done.stderr.strip()[-500:]}")
    return ORACLE_PYTHON


def run_reference(*args: str, timeout_s: float = 600.0) -> dict:
    """Run eemeter_reference.py with ``args`` in the oracle venv; parsed JSON output."""
    done = subprocess.run([str(ensure_oracle()), str(REFERENCE_SCRIPT), *args],
                          capture_output=True, text=True, check=True, timeout=timeout_s)
    return json.loads(done.stdout)


def cached_reference(*args: str) -> dict:
    """run_reference for deterministic modes, cached on disk (inside the git-ignored oracle venv).

    The key is the hash of eemeter_reference.py and the arguments, so editing the script or
    recreating the venv refreshes the cache.
    """
    ensure_oracle()
    key = hashlib.sha256(REFERENCE_SCRIPT.read_bytes() + json.dumps(args).encode()).hexdigest()[:20]
    path = CACHE_DIR / f"{args[0]}-{key}.json"
    if path.exists():
        return json.loads(path.read_text())
    result = run_reference(*args)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result))
    return result


@functools.lru_cache(maxsize=1)
def sample_results() -> dict:
    """eemeter 3.2.0 results and exact inputs for its four daily sample datasets."""
    return cached_reference("samples")


@functools.lru_cache(maxsize=1)
def billing_results() -> dict:
    """eemeter 3.2.0 CalTRACK billing results and inputs for its four monthly samples."""
    return cached_reference("billing")


@functools.lru_cache(maxsize=1)
def hourly_temperatures() -> dict:
    """The il sample hourly temperature series (°F, UTC) as eemeter loads it."""
    return cached_reference("temperatures", "il-electricity-cdd-hdd-daily")


def our_model_type(eemeter_model_type: str) -> str:
    """eemeter's model type under our name (its ``cdd_hdd`` is our ``hdd_cdd``)."""
    return _MODEL_TYPES.get(eemeter_model_type, eemeter_model_type)


def our_parameters(eemeter_params: dict) -> dict:
    """eemeter's fitted parameters under our names (with units), values unchanged."""
    return {_PARAMETER_NAMES[name]: value for name, value in eemeter_params.items()}


def to_array(values: list) -> np.ndarray:
    """JSON list (null = missing) -> float array with NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def to_daily_series(period: dict) -> DailySeries:
    """``{"dates", "usage_kwh", "temp_f"}`` -> DailySeries."""
    return DailySeries(tuple(dt.date.fromisoformat(d) for d in period["dates"]),
                       to_array(period["usage_kwh"]), to_array(period["temp_f"]))


def to_period_json(series: DailySeries) -> dict:
    """DailySeries -> the JSON shape eemeter_reference.py reads (NaN -> null)."""
    def floats(a: np.ndarray) -> list:
        return [None if not np.isfinite(v) else float(v) for v in a]
    return {"dates": [d.isoformat() for d in series.dates],
            "usage_kwh": floats(series.usage_kwh), "temp_f": floats(series.temp_f)}
