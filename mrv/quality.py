"""Meter data quality per building and period: expected vs present intervals, gaps, bad values.

Rules (platform spec, CalTRACK 2.0 data-quality section):

* The expected intervals are every local calendar day (``daily``) or every hour between local
  midnights of the period in the building's IANA time zone (``hourly``; DST days have 23 or 25).
* A reading is *missing* when its interval is absent or NaN, negative (impossible for a
  consumption meter), above ``max_plausible_kwh_per_interval`` (absurd), or a duplicate
  timestamp with conflicting values (we cannot know which is right). Identical duplicates
  collapse to one reading. Readings off the grid or outside the period are ignored and flagged.
* Extreme values, usage > median + 3·IQR (CalTRACK "extreme values"), are flagged for review and
  kept.
* missing share f = n_missing / n_expected:
  f = 0 → OK; 0 < f ≤ 5 % → INTERPOLATED (interior gaps linearly interpolated, each filled point
  marked); 5 % < f ≤ 20 % → FLAGGED (computed, not eligible until reviewed); f > 20 % → REJECTED.
  Comparisons use exact fractions, so 5 % of 20 days is exactly one day.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd

from mrv.flags import QualityFlag
from mrv.settings import QualitySettings

__all__ = ["Gap", "Interval", "QualityResult", "QualityStatus", "assess_meter_quality"]

logger = logging.getLogger(__name__)

Interval = Literal["daily", "hourly"]


class QualityStatus(str, Enum):
    """Monitoring-data status of a building's period (platform spec)."""

    OK = "OK"
    INTERPOLATED = "INTERPOLATED"
    FLAGGED = "FLAGGED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class Gap:
    """A run of consecutive missing intervals; ``start``/``end`` are the first/last missing ones."""

    start: str
    end: str
    n_intervals: int

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "n_intervals": self.n_intervals}


@dataclass(frozen=True)
class QualityResult:
    """Cleaned readings on the expected grid plus the decision and every flag behind it.

    ``usage_kwh[i]`` is the kWh for interval ``timestamps[i]`` (ISO strings: ``YYYY-MM-DD`` for
    daily, local ISO-8601 with offset for hourly); NaN where missing and not interpolated;
    ``is_interpolated[i]`` marks values filled by linear interpolation.
    """

    building_id: str
    interval: Interval
    period_start: dt.date
    period_end: dt.date
    timestamps: tuple[str, ...]
    usage_kwh: np.ndarray
    is_interpolated: np.ndarray
    n_expected: int
    n_missing: int
    status: QualityStatus
    flags: tuple[QualityFlag, ...]
    gaps: tuple[Gap, ...]

    @property
    def n_interpolated(self) -> int:
        """Number of values invented by interpolation."""
        return int(self.is_interpolated.sum())

    @property
    def missing_fraction(self) -> float:
        """n_missing / n_expected (before interpolation)."""
        return self.n_missing / self.n_expected

    def to_dict(self) -> dict:
        return {
            "building_id": self.building_id, "interval": self.interval,
            "period_start": self.period_start.isoformat(), "period_end": self.period_end.isoformat(),
            "timestamps": list(self.timestamps),
            "usage_kwh": [None if np.isnan(v) else float(v) for v in self.usage_kwh],
            "is_interpolated": [bool(v) for v in self.is_interpolated],
            "n_expected": self.n_expected, "n_missing": self.n_missing, "status": self.status.value,
            "flags": [f.to_dict() for f in self.flags], "gaps": [g.to_dict() for g in self.gaps],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "QualityResult":
        return cls(
            building_id=d["building_id"], interval=d["interval"],
            period_start=dt.date.fromisoformat(d["period_start"]),
            period_end=dt.date.fromisoformat(d["period_end"]),
            timestamps=tuple(d["timestamps"]),
            usage_kwh=np.array([np.nan if v is None else v for v in d["usage_kwh"]], dtype=float),
            is_interpolated=np.array(d["is_interpolated"], dtype=bool),
            n_expected=d["n_expected"], n_missing=d["n_missing"], status=QualityStatus(d["status"]),
            flags=tuple(QualityFlag.from_dict(f) for f in d["flags"]),
            gaps=tuple(Gap(**g) for g in d["gaps"]),
        )


def assess_meter_quality(
    timestamps: Sequence[Any],
    usage_kwh: Sequence[float],
    *,
    period_start: dt.date,
    period_end: dt.date,
    interval: Interval = "daily",
    timezone: str | None = None,
    building_id: str = "",
    settings: QualitySettings = QualitySettings(),
) -> QualityResult:
    """Check one building's readings for ``[period_start, period_end]`` (inclusive local days).

    Daily timestamps are dates (or midnight datetimes); hourly timestamps must be tz-aware and
    ``timezone`` (IANA) is required. Returns the cleaned series, status and named flags.
    """
    grid = _expected_grid(period_start, period_end, interval, timezone)
    readings = _to_series(timestamps, usage_kwh, interval, timezone)
    readings, flags = _drop_off_grid(readings, grid)
    readings, dup_flags = _resolve_duplicates(readings)
    values = readings.reindex(grid).to_numpy(dtype=float)
    values, value_flags = _remove_impossible_values(values, grid, settings)
    flags += dup_flags + value_flags + _extreme_value_flags(values, grid, settings)
    missing = np.isnan(values)
    gaps = _find_gaps(missing, grid)
    status, status_flags = _decide_status(int(missing.sum()), len(grid), gaps, flags, settings)
    filled, interpolated, fill_flags = _interpolate_if_allowed(values, grid, status)
    result = QualityResult(
        building_id=building_id, interval=interval, period_start=period_start,
        period_end=period_end, timestamps=tuple(_label(t) for t in grid), usage_kwh=filled,
        is_interpolated=interpolated, n_expected=len(grid), n_missing=int(missing.sum()),
        status=status, flags=tuple(flags + status_flags + fill_flags), gaps=tuple(gaps),
    )
    logger.debug("quality %s %s..%s: %s", building_id, period_start, period_end, status.value)
    return result


def _expected_grid(
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
    first = pd.Timestamp(start).tz_localize(timezone)
    after_last = pd.Timestamp(end + dt.timedelta(days=1)).tz_localize(timezone)
    return pd.date_range(first, after_last, freq="h", inclusive="left")


def _to_series(
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


def _drop_off_grid(readings: pd.Series, grid: pd.DatetimeIndex) -> tuple[pd.Series, list[QualityFlag]]:
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
            {"timestamps": [_label(t) for t in readings.index[misaligned]]},
        ))
    return readings[inside & on_grid], flags


def _resolve_duplicates(readings: pd.Series) -> tuple[pd.Series, list[QualityFlag]]:
    """Collapse identical duplicate timestamps; conflicting duplicates become missing."""
    dup = readings.index.duplicated(keep=False)
    if not dup.any():
        return readings, []
    groups = readings[dup].groupby(level=0)
    conflicting = [t for t, g in groups if g.nunique(dropna=False) > 1]
    flags = [QualityFlag(
        "duplicate_timestamps", "Some timestamps occur more than once.",
        {"timestamps": [_label(t) for t in groups.groups], "count": int(dup.sum())},
    )]
    if conflicting:
        flags.append(QualityFlag(
            "conflicting_duplicate_timestamps",
            "Duplicates with different values were treated as missing.",
            {"timestamps": [_label(t) for t in conflicting]},
        ))
    unique = readings[~readings.index.duplicated(keep="first")].copy()
    if conflicting:
        unique[pd.DatetimeIndex(conflicting)] = np.nan
    return unique, flags


def _remove_impossible_values(
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
                "timestamps": [_label(t) for t in grid[mask]], "values_kwh": values[mask].tolist(),
                "max_plausible_kwh_per_interval": limit,
            }))
            values[mask] = np.nan
    return values, flags


def _extreme_value_flags(
    values: np.ndarray, grid: pd.DatetimeIndex, settings: QualitySettings
) -> list[QualityFlag]:
    """CalTRACK extreme values: usage > median + k·IQR (k = 3) flagged for review, kept."""
    valid = values[~np.isnan(values)]
    if valid.size < 4:
        return []
    q25, median, q75 = np.percentile(valid, [25, 50, 75])
    threshold_kwh = median + settings.outlier_iqr_multiplier * (q75 - q25)
    with np.errstate(invalid="ignore"):
        extreme = values > threshold_kwh
    if not extreme.any():
        return []
    return [QualityFlag("extreme_usage_values", "Readings above median + k·IQR need review.", {
        "timestamps": [_label(t) for t in grid[extreme]], "values_kwh": values[extreme].tolist(),
        "median_kwh": float(median), "iqr_kwh": float(q75 - q25),
        "threshold_kwh": float(threshold_kwh), "k": settings.outlier_iqr_multiplier,
    })]


def _find_gaps(missing: np.ndarray, grid: pd.DatetimeIndex) -> list[Gap]:
    """Runs of consecutive missing intervals."""
    edges = np.diff(np.concatenate(([0], missing.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [Gap(_label(grid[s]), _label(grid[e - 1]), int(e - s)) for s, e in zip(starts, ends)]


def _decide_status(
    n_missing: int, n_expected: int, gaps: list[Gap], flags: list[QualityFlag],
    settings: QualitySettings,
) -> tuple[QualityStatus, list[QualityFlag]]:
    """Status from the missing share (exact fractions), with a named flag for the decision."""
    share = Fraction(n_missing, n_expected)
    data = {"n_expected": n_expected, "n_missing": n_missing, "missing_fraction": float(share),
            "gaps": [g.to_dict() for g in gaps]}
    if share > Fraction(str(settings.review_max_missing_fraction)):
        return QualityStatus.REJECTED, [QualityFlag(
            "missing_data_above_rejection_threshold", "Too much data is missing; period rejected.",
            data | {"threshold": settings.review_max_missing_fraction})]
    if share > Fraction(str(settings.interpolate_max_missing_fraction)):
        return QualityStatus.FLAGGED, [QualityFlag(
            "missing_data_requires_review", "Missing data above the interpolation limit; review.",
            data | {"threshold": settings.interpolate_max_missing_fraction})]
    outliers = [f for f in flags if f.name == "extreme_usage_values"]
    if outliers and settings.outliers_require_review:
        return QualityStatus.FLAGGED, [QualityFlag(
            "extreme_values_require_review", "Extreme readings must be reviewed.", data)]
    if n_missing:
        return QualityStatus.INTERPOLATED, [QualityFlag(
            "missing_intervals", "Some expected intervals are missing.", data)]
    return QualityStatus.OK, []


def _interpolate_if_allowed(
    values: np.ndarray, grid: pd.DatetimeIndex, status: QualityStatus
) -> tuple[np.ndarray, np.ndarray, list[QualityFlag]]:
    """Linear interpolation of interior gaps, only when the status is INTERPOLATED.

    Formula: v_i = v_a + (v_b − v_a)·(i − a)/(b − a) between the nearest valid neighbours a < i < b.
    Leading/trailing gaps have one neighbour only and stay missing (no extrapolation).
    """
    missing = np.isnan(values)
    interpolated = np.zeros(len(values), dtype=bool)
    if status is not QualityStatus.INTERPOLATED or missing.all():
        return values, interpolated, []
    valid = np.flatnonzero(~missing)
    interior = missing & (np.arange(len(values)) > valid[0]) & (np.arange(len(values)) < valid[-1])
    filled = values.copy()
    filled[interior] = np.interp(np.flatnonzero(interior), valid, values[valid])
    interpolated[interior] = True
    flags = []
    if interior.any():
        flags.append(QualityFlag("values_interpolated", "Interior gaps were linearly interpolated.", {
            "timestamps": [_label(t) for t in grid[interior]], "count": int(interior.sum())}))
    edge = missing & ~interior
    if edge.any():
        flags.append(QualityFlag("edge_gaps_not_interpolated",
                                 "Gaps at the period's start or end stay missing (no extrapolation).",
                                 {"timestamps": [_label(t) for t in grid[edge]]}))
    return filled, interpolated, flags


def _label(t: pd.Timestamp) -> str:
    """ISO label: date for naive midnights, full ISO-8601 with offset for tz-aware instants."""
    if t.tzinfo is None and t == t.normalize():
        return t.date().isoformat()
    return t.isoformat()
