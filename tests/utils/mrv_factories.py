"""Small hand-built series and stand-ins for MRV unit tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def days(start: dt.date, n: int) -> list[dt.date]:
    """n consecutive calendar days from start."""
    return [start + dt.timedelta(days=i) for i in range(n)]


@dataclass(frozen=True)
class StubFitStatistics:
    """The FitStatistics fields the savings/credit maths reads (contract names)."""

    n_points: int = 365
    n_parameters: int = 2
    cvrmse: float = 0.10
    nmbe: float = 0.0
    autocorrelation_lag1: float | None = 0.0
    rmse_kwh: float = 50.0
    mean_observed_kwh: float = 500.0


@dataclass(frozen=True)
class StubBaselineModel:
    """Stand-in implementing the contract's BaselineModel interface: usage = μ + β_H·HDD(T_bh)."""

    intercept_kwh_per_day: float = 500.0
    beta_hdd_kwh_per_hdd: float = 0.0
    heating_balance_point_f: float = 60.0
    fit_statistics: Any = field(default_factory=StubFitStatistics)
    disqualifications: tuple = ()
    warnings: tuple = ()
    method: str = "stub"
    model_type: str = "hdd_only"

    @property
    def status(self) -> str:
        return "DISQUALIFIED" if self.disqualifications else "QUALIFIED"

    def predict_daily_kwh(self, temp_f: np.ndarray) -> np.ndarray:
        hdd = np.maximum(self.heating_balance_point_f - np.asarray(temp_f, dtype=float), 0.0)
        return self.intercept_kwh_per_day + self.beta_hdd_kwh_per_hdd * hdd


@dataclass(frozen=True)
class StubDailySeries:
    """Same fields as the contract's DailySeries (dates, usage_kwh, temp_f)."""

    dates: tuple[dt.date, ...]
    usage_kwh: np.ndarray
    temp_f: np.ndarray


def daily_series(start: dt.date, usage_kwh: list[float], temp_f: list[float] | float = 60.0):
    """A StubDailySeries over consecutive days."""
    n = len(usage_kwh)
    temps = np.full(n, temp_f, dtype=float) if np.isscalar(temp_f) else np.asarray(temp_f, float)
    return StubDailySeries(tuple(days(start, n)), np.asarray(usage_kwh, dtype=float), temps)


def savings_result(avoided_kwh: float, fsu: float | None, start: dt.date, end: dt.date):
    """A SavingsResult with given totals and fractional uncertainty (no daily rows)."""
    from mrv.savings import SavingsResult
    from mrv.savings_uncertainty import SavingsUncertainty

    unc = SavingsUncertainty(0.9, 1.65, 365, 2, 365.0, 366, 0.1, 0.0,
                             abs(avoided_kwh) * (fsu or 0.0), fsu)
    return SavingsResult(start, end, 366, 366, 100_000.0, 100_000.0 - avoided_kwh, avoided_kwh,
                         unc, (), (), ())


def avoided_result(avoided_co2e_kg: float, flags: tuple = ()):
    """An AvoidedCo2eResult with the given total and flags (no daily rows)."""
    from mrv.emission_factors import AvoidedCo2eResult

    return AvoidedCo2eResult("UK", "location", 0.0, 0.0, avoided_co2e_kg, (), (), flags)
