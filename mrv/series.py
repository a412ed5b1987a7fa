"""Daily input series for baselines: local calendar days, kWh per day and daily mean °F.

A :class:`DailySeries` holds one entry per local calendar day of a period (strictly increasing,
no gaps); a missing reading is NaN, never a value spread over neighbouring days.

Local days (CalTRACK 2.3.3, "time zones must match"): interval readings are grouped by the
building's IANA time zone, so a DST day has 23 or 25 hourly intervals. A day whose intervals are
not all present is *missing* (NaN); its partial sum is never used. Daily mean temperature is the
mean of the day's hourly temperatures, missing when fewer than half of the day's hours are present
(CalTRACK 2.2.2.3, ``percent_hourly_coverage_per_day=0.5``: the day is kept when strictly more
than 50 % of its hours have a value). eemeter 3.2.0 counts the hourly *rows* of a day, NaN
included, so on NaN-padded hourly data it keeps days with any present hour; the two agree on days
with more than 12 hours present (all days of eemeter's sample data, checked in the oracle tests).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.typing import SeriesGroupBy

__all__ = [
    "DailySeries",
    "aggregate_intervals_to_local_days",
    "celsius_to_fahrenheit",
    "daily_mean_temperature_f",
    "from_pandas",
]


def celsius_to_fahrenheit(temp_c: np.ndarray | float) -> np.ndarray | float:
    """°F = °C × 9/5 + 32 (exact; NaN stays NaN)."""
    return np.asarray(temp_c, dtype=float) * 1.8 + 32.0


@dataclass(frozen=True, eq=False)
class DailySeries:
    """Daily usage (kWh per local day) and daily mean temperature (°F); NaN = missing."""

    dates: tuple[dt.date, ...]
    usage_kwh: np.ndarray
    temp_f: np.ndarray

    def __post_init__(self) -> None:
        usage = np.array(self.usage_kwh, dtype=float)
        temp = np.array(self.temp_f, dtype=float)
        if not (len(self.dates) == usage.size == temp.size):
            raise ValueError("dates, usage_kwh and temp_f must have the same length")
        steps = np.diff(np.array(self.dates, dtype="datetime64[D]").astype(np.int64))
        if np.any(steps != 1):
            raise ValueError("dates must be consecutive local calendar days (one entry per day)")
        usage.setflags(write=False)
        temp.setflags(write=False)
        object.__setattr__(self, "dates", tuple(self.dates))
        object.__setattr__(self, "usage_kwh", usage)
        object.__setattr__(self, "temp_f", temp)

    def __len__(self) -> int:
        return len(self.dates)

    def between(self, start: dt.date, end: dt.date) -> "DailySeries":
        """Sub-series of the days ``start <= date <= end`` (both inclusive)."""
        keep = [i for i, day in enumerate(self.dates) if start <= day <= end]
        sel = slice(keep[0], keep[-1] + 1) if keep else slice(0, 0)
        return DailySeries(self.dates[sel], self.usage_kwh[sel], self.temp_f[sel])


def from_pandas(
    df: pd.DataFrame,
    *,
    usage_column: str = "usage_kwh",
    temp_column: str = "temp_f",
    temp_unit: str = "F",
) -> DailySeries:
    """Build a :class:`DailySeries` from a frame indexed by local calendar day.

    Days absent from the index between the first and last day become NaN rows (never filled).
    ``temp_unit`` is ``"F"`` or ``"C"``; °C is converted with :func:`celsius_to_fahrenheit`.
    """
    if temp_unit not in ("F", "C"):
        raise ValueError(f"temp_unit must be 'F' or 'C', got {temp_unit!r}")
    index = pd.DatetimeIndex(df.index)
    if index.tz is not None:
        index = index.tz_localize(None)
    if index.has_duplicates:
        raise ValueError("duplicate days in the input index")
    frame = df.set_axis(index.normalize()).sort_index()
    days = pd.date_range(frame.index[0], frame.index[-1], freq="D")
    frame = frame.reindex(days)
    temp = frame[temp_column].to_numpy(dtype=float)
    if temp_unit == "C":
        temp = celsius_to_fahrenheit(temp)
    return DailySeries(
        dates=tuple(day.date() for day in days),
        usage_kwh=frame[usage_column].to_numpy(dtype=float),
        temp_f=temp,
    )


def _expected_intervals(days: pd.DatetimeIndex, timezone: str, interval: pd.Timedelta) -> np.ndarray:
    """Number of intervals in each local day (23/24/25 h days for hourly data across DST)."""
    starts = days.tz_localize(timezone, ambiguous=False, nonexistent="shift_forward")
    ends = (days + pd.Timedelta(days=1)).tz_localize(
        timezone, ambiguous=False, nonexistent="shift_forward"
    )
    return np.asarray((ends - starts) / interval, dtype=float)


def _per_local_day(
    readings: pd.Series, timezone: str, interval: pd.Timedelta, aggregate: Callable[[SeriesGroupBy], pd.Series]
) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Readings aggregated per local day on a gap-free daily index, with each day's count of present
    readings and its number of intervals: (``aggregate`` of the day's group, count, intervals)."""
    if readings.index.tz is None:
        raise ValueError("interval readings need a timezone-aware index (UTC or local)")
    local = readings.tz_convert(timezone)
    grouped = local.groupby(local.index.tz_localize(None).normalize())
    values = aggregate(grouped)
    days = pd.date_range(values.index[0], values.index[-1], freq="D")
    counts = grouped.count().reindex(days, fill_value=0).to_numpy()
    return values.reindex(days), counts, _expected_intervals(days, timezone, interval)


def aggregate_intervals_to_local_days(
    readings_kwh: pd.Series, timezone: str, interval: str = "1h"
) -> pd.Series:
    """Sum interval kWh readings per local calendar day; incomplete days are NaN.

    ``readings_kwh`` is indexed by interval *start* (timezone-aware). A day is complete when it
    has exactly as many non-missing readings as the local day has intervals (23/24/25 per hour
    across DST); otherwise the day is missing. Returns kWh per local day on a gap-free daily index.
    """
    totals, counts, intervals = _per_local_day(
        readings_kwh, timezone, pd.Timedelta(interval), lambda by_day: by_day.sum(min_count=1))
    return totals.where(counts == intervals).rename("usage_kwh")


def daily_mean_temperature_f(hourly_temp_f: pd.Series, timezone: str) -> pd.Series:
    """Mean hourly temperature per local day (°F); NaN unless > 50 % of the day's hours exist.

    CalTRACK 2.2.2.3 (daily temperature sufficiency), as eemeter 3.2.0 implements it.
    """
    means, counts, hours = _per_local_day(hourly_temp_f, timezone, pd.Timedelta("1h"), lambda by_day: by_day.mean())
    return means.where(counts > 0.5 * hours).rename("temp_f")
