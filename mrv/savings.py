"""Avoided energy use over a reporting period and its ASHRAE Guideline 14 uncertainty.

Avoided energy use (IPMVP Option C "avoided energy use", CalTRACK 2.0 metered savings):

    E_save [kWh] = Σ_d (B_d − A_d)   over reporting days d with an actual reading and a prediction,

where B_d = baseline model prediction for day d from that day's mean temperature (kWh/day) and
A_d = metered usage (kWh/day). Days without an actual reading (or without a temperature, so no
prediction) are excluded, never filled with the prediction, and listed in a named flag.

The savings only use the contract's ``BaselineModel.predict_daily_kwh`` and ``.fit_statistics``
(n_points, n_parameters, cvrmse, autocorrelation_lag1).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from mrv.flags import QualityFlag
from mrv.savings_uncertainty import SavingsUncertainty, compute_savings_uncertainty
from mrv.settings import SavingsSettings

__all__ = [
    "BaselinePredictor",
    "DailySavings",
    "MonthlySavings",
    "ReportingData",
    "SavingsResult",
    "compute_savings",
]

logger = logging.getLogger(__name__)


class BaselinePredictor(Protocol):
    """What savings need from a fitted baseline (``mrv.baselines.BaselineModel``)."""

    fit_statistics: Any

    def predict_daily_kwh(self, temp_f: np.ndarray) -> np.ndarray: ...


class ReportingData(Protocol):
    """What savings need from a reporting period (``mrv.series.DailySeries``)."""

    dates: tuple[dt.date, ...]
    usage_kwh: np.ndarray
    temp_f: np.ndarray


@dataclass(frozen=True)
class DailySavings:
    """One reporting day; ``savings_kwh`` is None when the day is excluded."""

    date: dt.date
    baseline_kwh: float | None
    actual_kwh: float | None
    savings_kwh: float | None
    actual_is_interpolated: bool = False

    def to_dict(self) -> dict:
        return {"date": self.date.isoformat(), "baseline_kwh": self.baseline_kwh,
                "actual_kwh": self.actual_kwh, "savings_kwh": self.savings_kwh,
                "actual_is_interpolated": self.actual_is_interpolated}

    @classmethod
    def from_dict(cls, d: dict) -> "DailySavings":
        return cls(**(d | {"date": dt.date.fromisoformat(d["date"])}))


@dataclass(frozen=True)
class MonthlySavings:
    """Calendar-month totals over the used days of that month (kWh)."""

    month: str
    n_days: int
    n_days_used: int
    baseline_kwh: float
    actual_kwh: float
    savings_kwh: float

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict) -> "MonthlySavings":
        return cls(**d)


@dataclass(frozen=True)
class SavingsResult:
    """Savings of one reporting period: totals (kWh), breakdowns, uncertainty, flags."""

    period_start: dt.date
    period_end: dt.date
    n_days: int
    n_days_used: int
    baseline_kwh: float
    actual_kwh: float
    avoided_kwh: float
    uncertainty: SavingsUncertainty | None
    daily: tuple[DailySavings, ...]
    monthly: tuple[MonthlySavings, ...]
    flags: tuple[QualityFlag, ...]

    @property
    def fractional_savings(self) -> float | None:
        """F = E_save / E_baseline over used days (None if no baseline energy)."""
        return self.avoided_kwh / self.baseline_kwh if self.baseline_kwh > 0 else None

    def to_dict(self) -> dict:
        return {
            "period_start": self.period_start.isoformat(), "period_end": self.period_end.isoformat(),
            "n_days": self.n_days, "n_days_used": self.n_days_used,
            "baseline_kwh": self.baseline_kwh, "actual_kwh": self.actual_kwh,
            "avoided_kwh": self.avoided_kwh, "fractional_savings": self.fractional_savings,
            "uncertainty": self.uncertainty.to_dict() if self.uncertainty else None,
            "daily": [d.to_dict() for d in self.daily], "monthly": [m.to_dict() for m in self.monthly],
            "flags": [f.to_dict() for f in self.flags],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "SavingsResult":
        unc = d["uncertainty"]
        return cls(
            period_start=dt.date.fromisoformat(d["period_start"]),
            period_end=dt.date.fromisoformat(d["period_end"]),
            n_days=d["n_days"], n_days_used=d["n_days_used"], baseline_kwh=d["baseline_kwh"],
            actual_kwh=d["actual_kwh"], avoided_kwh=d["avoided_kwh"],
            uncertainty=SavingsUncertainty.from_dict(unc) if unc else None,
            daily=tuple(DailySavings.from_dict(x) for x in d["daily"]),
            monthly=tuple(MonthlySavings.from_dict(x) for x in d["monthly"]),
            flags=tuple(QualityFlag.from_dict(f) for f in d["flags"]),
        )


def compute_savings(
    model: BaselinePredictor,
    reporting: ReportingData,
    *,
    actual_is_interpolated: np.ndarray | None = None,
    occupancy_pct: np.ndarray | None = None,
    settings: SavingsSettings = SavingsSettings(),
) -> SavingsResult:
    """Avoided energy use E_save = Σ(B_d − A_d) over the reporting days (IPMVP Option C).

    ``actual_is_interpolated`` (from :func:`mrv.quality.assess_meter_quality`) marks actual values
    filled by interpolation; they count as used days and are marked per day. ``occupancy_pct``
    (0–100 per day) is passed to occupancy-normalised baselines only. A day whose prediction is
    NaN (e.g. a weather model on a day without temperature) is excluded.
    """
    if not reporting.dates:
        raise ValueError("reporting period has no days")
    actual = np.asarray(reporting.usage_kwh, dtype=float)
    temp_f = np.asarray(reporting.temp_f, dtype=float)
    extra = {} if occupancy_pct is None else {"occupancy_pct": np.asarray(occupancy_pct, dtype=float)}
    predicted = np.asarray(model.predict_daily_kwh(temp_f, **extra), dtype=float)
    used = ~np.isnan(actual) & ~np.isnan(predicted)
    interpolated = (np.zeros(len(actual), bool) if actual_is_interpolated is None
                    else np.asarray(actual_is_interpolated, dtype=bool))
    baseline_kwh = float(predicted[used].sum())
    avoided_kwh = float((predicted[used] - actual[used]).sum())
    uncertainty, unc_flags = compute_savings_uncertainty(
        model.fit_statistics, int(used.sum()), baseline_kwh, avoided_kwh, settings)
    result = SavingsResult(
        period_start=reporting.dates[0], period_end=reporting.dates[-1], n_days=len(actual),
        n_days_used=int(used.sum()), baseline_kwh=baseline_kwh,
        actual_kwh=float(actual[used].sum()), avoided_kwh=avoided_kwh, uncertainty=uncertainty,
        daily=_daily_rows(reporting.dates, predicted, actual, used, interpolated),
        monthly=_monthly_rows(reporting.dates, predicted, actual, used),
        flags=_exclusion_flags(reporting.dates, actual, temp_f, used) + unc_flags,
    )
    logger.debug("savings %s..%s: %.1f kWh", result.period_start, result.period_end, avoided_kwh)
    return result


def _daily_rows(dates, predicted, actual, used, interpolated) -> tuple[DailySavings, ...]:
    def value(x: float) -> float | None:
        return None if np.isnan(x) else float(x)

    return tuple(
        DailySavings(day, value(b), value(a), float(b - a) if u else None, bool(i))
        for day, b, a, u, i in zip(dates, predicted, actual, used, interpolated)
    )


def _monthly_rows(dates, predicted, actual, used) -> tuple[MonthlySavings, ...]:
    """Σ over used days per calendar month, months in date order (kWh)."""
    months = np.array([f"{d.year:04d}-{d.month:02d}" for d in dates])
    rows = []
    for month in dict.fromkeys(months):
        in_month = months == month
        sel = in_month & used
        rows.append(MonthlySavings(
            month=str(month), n_days=int(in_month.sum()), n_days_used=int(sel.sum()),
            baseline_kwh=float(predicted[sel].sum()), actual_kwh=float(actual[sel].sum()),
            savings_kwh=float((predicted[sel] - actual[sel]).sum()),
        ))
    return tuple(rows)


def _exclusion_flags(dates, actual, temp_f, used) -> tuple[QualityFlag, ...]:
    """Named flags for the days left out of the sum, and for a period with no usable day."""
    flags = []
    no_actual = np.isnan(actual)
    no_prediction = ~used & ~no_actual
    for name, mask, text in (
        ("missing_actual_usage_days", no_actual, "Reporting days without a meter reading were excluded."),
        ("missing_temperature_days", no_prediction & np.isnan(temp_f),
         "Reporting days without a temperature (so no prediction) were excluded."),
        ("missing_prediction_days", no_prediction & ~np.isnan(temp_f),
         "Reporting days where the baseline gave no prediction were excluded."),
    ):
        if mask.any():
            flags.append(QualityFlag(name, text, {
                "dates": [d.isoformat() for d, m in zip(dates, mask) if m], "count": int(mask.sum())}))
    if not used.any():
        flags.append(QualityFlag("no_reporting_days_with_data",
                                 "No reporting day has both usage and a prediction.", {}))
    return tuple(flags)
