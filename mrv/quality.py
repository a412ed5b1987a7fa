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
from typing import Any, Sequence

import numpy as np
import pandas as pd

from mrv.flags import QualityFlag
from mrv.quality_checks import (
    Gap, Interval, drop_off_grid, expected_grid, extreme_value_flags, find_gaps, label,
    remove_impossible_values, resolve_duplicates, to_series,
)
from mrv.settings import QualitySettings

__all__ = ["Gap", "Interval", "QualityResult", "QualityStatus", "assess_meter_quality"]

logger = logging.getLogger(__name__)


class QualityStatus(str, Enum):
    """Monitoring-data status of a building's period (platform spec)."""

    OK = "OK"
    INTERPOLATED = "INTERPOLATED"
    FLAGGED = "FLAGGED"
    REJECTED = "REJECTED"


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
    grid = expected_grid(period_start, period_end, interval, timezone)
    readings = to_series(timestamps, usage_kwh, interval, timezone)
    readings, flags = drop_off_grid(readings, grid)
    readings, dup_flags = resolve_duplicates(readings)
    values = readings.reindex(grid).to_numpy(dtype=float)
    values, value_flags = remove_impossible_values(values, grid, settings)
    flags += dup_flags + value_flags + extreme_value_flags(values, grid, settings)
    missing = np.isnan(values)
    gaps = find_gaps(missing, grid)
    status, status_flags = _decide_status(int(missing.sum()), len(grid), gaps, flags, settings)
    filled, interpolated, fill_flags = _interpolate_if_allowed(values, grid, status)
    result = QualityResult(
        building_id=building_id, interval=interval, period_start=period_start,
        period_end=period_end, timestamps=tuple(label(t) for t in grid), usage_kwh=filled,
        is_interpolated=interpolated, n_expected=len(grid), n_missing=int(missing.sum()),
        status=status, flags=tuple(flags + status_flags + fill_flags), gaps=tuple(gaps),
    )
    logger.debug("quality %s %s..%s: %s", building_id, period_start, period_end, status.value)
    return result


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
            "timestamps": [label(t) for t in grid[interior]], "count": int(interior.sum())}))
    edge = missing & ~interior
    if edge.any():
        flags.append(QualityFlag("edge_gaps_not_interpolated",
                                 "Gaps at the period's start or end stay missing (no extrapolation).",
                                 {"timestamps": [label(t) for t in grid[edge]]}))
    return filled, interpolated, flags


