"""Heating and cooling degree days (°F·day) from daily mean temperatures.

CalTRACK 3.3.4.1.1 / 3.3.5.1.1 (daily methods): degree days are computed from the day's *mean*
temperature, not averaged over hours:

    HDD(T_bh) = max(T_bh − T_mean, 0)        CDD(T_bc) = max(T_mean − T_bc, 0)

eemeter 3.2.0 does the same for daily meter data (``degree_day_method="daily"``: mean of the day's
hourly temperatures first, then the degree days). Balance points are the integer grid 30–90 °F
inclusive (``range(30, 91)`` in eemeter's ``create_caltrack_daily_design_matrix``; CalTRACK 3.2.2
allows a 1, 2 or 3 °F step).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "DEFAULT_BALANCE_POINTS_F",
    "balance_point_grid_f",
    "cooling_degree_days",
    "heating_degree_days",
]

DEFAULT_BALANCE_POINTS_F: tuple[int, ...] = tuple(range(30, 91))


def balance_point_grid_f(min_f: int = 30, max_f: int = 90, step_f: int = 1) -> tuple[int, ...]:
    """Integer balance points ``min_f, min_f + step_f, …, max_f`` (°F), inclusive."""
    if step_f not in (1, 2, 3):
        raise ValueError("CalTRACK 3.2.2 allows balance-point steps of 1, 2 or 3 °F")
    return tuple(range(int(min_f), int(max_f) + 1, int(step_f)))


def heating_degree_days(temp_f: np.ndarray, balance_points_f: np.ndarray | float) -> np.ndarray:
    """HDD per day (°F·day): ``max(bp − T, 0)``; shape ``(n_days, n_bp)`` for a grid of bps.

    NaN temperatures give NaN degree days.
    """
    temp = np.asarray(temp_f, dtype=float)
    bp = np.asarray(balance_points_f, dtype=float)
    return np.maximum(bp - temp[:, None], 0.0) if bp.ndim else np.maximum(bp - temp, 0.0)


def cooling_degree_days(temp_f: np.ndarray, balance_points_f: np.ndarray | float) -> np.ndarray:
    """CDD per day (°F·day): ``max(T − bp, 0)``; shape ``(n_days, n_bp)`` for a grid of bps."""
    temp = np.asarray(temp_f, dtype=float)
    bp = np.asarray(balance_points_f, dtype=float)
    return np.maximum(temp[:, None] - bp, 0.0) if bp.ndim else np.maximum(temp - bp, 0.0)
