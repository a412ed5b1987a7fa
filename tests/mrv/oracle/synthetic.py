"""Synthetic daily buildings with known CalTRACK parameters (tests and benchmark).

Daily mean temperature (°F): 55 + 25·sin(2π(day − 110)/365) + N(0, 6²), a mid-latitude year.
Usage (kWh/day): μ + β_H·max(T_bh − T, 0) + β_C·max(T − T_bc, 0) + N(0, σ²).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from mrv.series import DailySeries


def synthetic_temperatures_f(n_days: int, rng: np.random.Generator, start_day: int = 0) -> np.ndarray:
    """Seasonal daily mean temperatures (°F) with weather noise."""
    day = np.arange(start_day, start_day + n_days)
    return 55.0 + 25.0 * np.sin(2 * np.pi * (day - 110) / 365.0) + rng.normal(0.0, 6.0, n_days)


def synthetic_usage_kwh(temp_f: np.ndarray, rng: np.random.Generator, *, intercept_kwh_per_day: float,
                        beta_hdd: float = 0.0, heating_bp_f: float = 60.0, beta_cdd: float = 0.0,
                        cooling_bp_f: float = 70.0, noise_kwh: float = 0.0) -> np.ndarray:
    """Usage per day from the CalTRACK model plus Gaussian noise."""
    return (intercept_kwh_per_day + beta_hdd * np.maximum(heating_bp_f - temp_f, 0.0)
            + beta_cdd * np.maximum(temp_f - cooling_bp_f, 0.0) + rng.normal(0.0, noise_kwh, temp_f.size))


def synthetic_series(seed: int, n_days: int = 365, start: dt.date = dt.date(2023, 1, 1),
                     start_day: int = 0, **model) -> DailySeries:
    """A DailySeries of ``n_days`` from ``start`` with the given model parameters."""
    rng = np.random.default_rng(seed)
    temp = synthetic_temperatures_f(n_days, rng, start_day)
    usage = synthetic_usage_kwh(temp, rng, **model)
    dates = tuple(start + dt.timedelta(days=i) for i in range(n_days))
    return DailySeries(dates, usage, temp)
