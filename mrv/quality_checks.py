"""Building blocks of the meter-data quality check (see :mod:`mrv.quality` for the rules).

Each function handles one rule on readings aligned to the expected interval grid and returns the
named flags it raised: grid construction (local days / local-midnight hours across DST),
off-grid and out-of-period readings, duplicate timestamps, impossible values, CalTRACK extreme
values (median + 3·IQR), and gap runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd

from mrv.flags import QualityFlag
from mrv.settings import QualitySettings

__all__ = [
    "Gap",
    "Interval",
    "drop_off_grid",
    "expected_grid",
    "extreme_value_flags",
    "extreme_value_limit_kwh",
    "find_gaps",
    "label",
    "remove_impossible_values",
    "resolve_duplicates",
    "to_series",
]

Interval = Literal["daily", "hourly"]


@dataclass(frozen=True)
class Gap:
    """A run of consecutive missing intervals; ``start``/``end`` are the first/last missing ones."""

    start: str
    end: str
    n_intervals: int

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "n_intervals": self.n_intervals}


def expected_grid(
    start: dt.date, end: dt.date, interval: Interval, timezone: str | None
) -> pd.DatetimeIndex:
    """Daily: one naive midnight per local day. Hourly: every hour between local midnights."""
    if end < start:
        raise ValueError(f"period_end {end} is before period_start {start}")
    if interval == "daily":
        return pd.date_range(start, end, freq="D")
    if interval != "hourly":
        raise ValueError(f"interval must be 'daily' or 'hourly', got {interval!r}")
    if timezone is None:
        raise ValueError("hourly quality checks need the building's IANA timezone")
    # Zones whose DST change happens at midnight have no local 00:00 that day: start at 01:00.
    first = pd.Timestamp(start).tz_localize(timezone, ambiguous=False, nonexistent="shift_forward")
    after_last = pd.Timestamp(end + dt.timedelta(days=1)).tz_localize(
        timezone, ambiguous=False, nonexistent="shift_forward")
    return pd.date_range(first, after_last, freq="h", inclusive="left")


def to_series(
    timestamps: Sequence[Any], usage_kwh: Sequence[float], interval: Interval, timezone: str | None
) -> pd.Series:
    """Readings as a float Series indexed like the grid (no sorting or de-duplication yet)."""
    if len(timestamps) != len(usage_kwh):
        raise ValueError("timestamps and usage_kwh differ in length")
    index = pd.DatetimeIndex(pd.to_datetime(list(timestamps)))
    if interval == "hourly":
        if len(index) and index.tz is None:
            raise ValueError("hourly timestamps must be timezone-aware")
        index = index.tz_convert(timezone) if len(index) else index.tz_localize(timezone)
    elif index.tz is not None:
        index = index.tz_localize(None)
    return pd.Series(np.asarray(usage_kwh, dtype=float), index=index)


def drop_off_grid(readings: pd.Series, grid: pd.DatetimeIndex) -> tuple[pd.Series, list[QualityFlag]]:
    """Remove readings outside the period or not aligned to an expected interval."""
    step = grid[1] - grid[0] if len(grid) > 1 else pd.Timedelta(days=1)
    inside = (readings.index >= grid[0]) & (readings.index < grid[-1] + step)
    on_grid = readings.index.isin(grid)
    flags = []
    if (~inside).any():
        flags.append(QualityFlag(
            "readings_outside_period", "Readings outside the period were ignored.",
            {"count": int((~inside).sum())},
        ))
    misaligned = inside & ~on_grid
    if misaligned.any():
        flags.append(QualityFlag(
            "misaligned_timestamps", "Readings not on an expected interval boundary were ignored.",
            {"timestamps": [label(t) for t in readings.index[misaligned]]},
        ))
    return readings[inside & on_grid], flags


def resolve_duplicates(readings: pd.Series) -> tuple[pd.Series, list[QualityFlag]]:
    """Collapse identical duplicate timestamps; conflicting duplicates become missing."""
    dup = readings.index.duplicated(keep=False)
    if not dup.any():
        return readings, []
    groups = readings[dup].groupby(level=0)
    conflicting = [t for t, g in groups if g.nunique(dropna=False) > 1]
    flags = [QualityFlag(
        "duplicate_timestamps", "Some timestamps occur more than once.",
        {"timestamps": [label(t) for t in groups.groups], "count": int(dup.sum())},
    )]
    if conflicting:
        flags.append(QualityFlag(
            "conflicting_duplicate_timestamps",
            "Duplicates with different values were treated as missing.",
            {"timestamps": [label(t) for t in conflicting]},
        ))
    unique = readings[~readings.index.duplicated(keep="first")].copy()
    if conflicting:
        unique[pd.DatetimeIndex(conflicting)] = np.nan
    return unique, flags


def remove_impossible_values(
    values: np.ndarray, grid: pd.DatetimeIndex, settings: QualitySettings
) -> tuple[np.ndarray, list[QualityFlag]]:
    """Negative readings and readings above the plausible maximum become missing."""
    values = values.copy()
    flags = []
    with np.errstate(invalid="ignore"):
        negative = values < 0
        limit = settings.max_plausible_kwh_per_interval
        absurd = values > limit if limit is not None else np.zeros_like(negative)
    for name, mask, text in (
        ("negative_usage", negative, "Negative readings were treated as missing."),
        ("implausible_usage", absurd, "Readings above the plausible maximum were treated as missing."),
    ):
        if mask.any():
            flags.append(QualityFlag(name, text, {
                "timestamps": [label(t) for t in grid[mask]], "values_kwh": values[mask].tolist(),
                "max_plausible_kwh_per_interval": limit,
            }))
            values[mask] = np.nan
    return values, flags


def extreme_value_flags(
    values: np.ndarray, grid: pd.DatetimeIndex, settings: QualitySettings
) -> list[QualityFlag]:
    """CalTRACK extreme values: usage > median + k·IQR (k = 3) flagged for review, kept."""
    valid = values[~np.isnan(values)]
    if valid.size < 4:
        return []
    median, iqr, threshold_kwh = extreme_value_limit_kwh(valid, settings.outlier_iqr_multiplier)
    with np.errstate(invalid="ignore"):
        extreme = values > threshold_kwh
    if not extreme.any():
        return []
    return [QualityFlag("extreme_usage_values", "Readings above median + k·IQR need review.", {
        "timestamps": [label(t) for t in grid[extreme]], "values_kwh": values[extreme].tolist(),
        "median_kwh": median, "iqr_kwh": iqr, "threshold_kwh": threshold_kwh,
        "k": settings.outlier_iqr_multiplier,
    })]


def extreme_value_limit_kwh(valid_kwh: np.ndarray, iqr_multiplier: float) -> tuple[float, float, float]:
    """(median, IQR, limit) of finite usage values, limit = median + k·IQR (CalTRACK 2.3.6), kWh.

    Quartiles by linear interpolation (numpy ``percentile`` default).
    """
    q25, median, q75 = np.percentile(valid_kwh, [25, 50, 75])
    return float(median), float(q75 - q25), float(median + iqr_multiplier * (q75 - q25))


def find_gaps(missing: np.ndarray, grid: pd.DatetimeIndex) -> list[Gap]:
    """Runs of consecutive missing intervals."""
    edges = np.diff(np.concatenate(([0], missing.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [Gap(label(grid[s]), label(grid[e - 1]), int(e - s)) for s, e in zip(starts, ends)]


def label(t: pd.Timestamp) -> str:
    """ISO label: date for naive midnights, full ISO-8601 with offset for tz-aware instants."""
    if t.tzinfo is None and t == t.normalize():
        return t.date().isoformat()
    return t.isoformat()

