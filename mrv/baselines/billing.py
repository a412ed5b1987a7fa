"""CalTRACK 2.0 billing (monthly) baseline, with the 12-month historical mean as fallback.

Input: billing periods (first and last local day, kWh for the whole period) and, optionally, daily
mean temperatures (°F). Per CalTRACK 3.3.1.1 / 3.4.2 (eemeter 3.2.0 billing presets):

    usage per day_p = kWh_p / days_p
    HDD_p(T_bh) = mean over the period's days with a temperature of max(T_bh − T_d, 0)   (°F·day/day)
    usage per day_p = μ + β_H·HDD_p + β_C·CDD_p, weighted least squares with weight = the period's
    days with a temperature (eemeter ``weights_col="n_days_kept"``)

with the same candidates and balance-point grid as the daily method, no minimum non-zero degree
days and a minimum total of 20 °F·day (CalTRACK 3.2.2.2). A period is left out when it is longer
than ``max_period_days`` or has temperatures on fewer than 90 % of its days (CalTRACK 2.2.3.2).
When no temperatures are given, fewer than ``min_periods`` periods are usable or no candidate
qualifies, the baseline is the historical mean usage per day of the last 12 months (Σ kWh / Σ days),
and the reason is a named warning. Fit statistics are on period totals (kWh per period).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import numpy as np

from mrv.baselines.caltrack_daily import N_PARAMETERS, fit_usage_per_day_model
from mrv.baselines.model import BaselineModel
from mrv.baselines.settings import BillingSettings
from mrv.baselines.simple import fit_historical_mean_periods
from mrv.degree_days import cooling_degree_days, heating_degree_days
from mrv.fit_statistics import compute_fit_statistics
from mrv.flags import QualityFlag

__all__ = ["BillingSeries", "fit_caltrack_billing"]

METHOD = "caltrack_billing"


@dataclass(frozen=True, eq=False)
class BillingSeries:
    """Billing periods (inclusive local days) with kWh per period; optional daily mean °F."""

    period_start: tuple[dt.date, ...]
    period_end: tuple[dt.date, ...]
    usage_kwh: np.ndarray
    temp_dates: tuple[dt.date, ...] = ()
    temp_f: np.ndarray = field(default_factory=lambda: np.empty(0))

    def __post_init__(self) -> None:
        usage, temp = np.array(self.usage_kwh, dtype=float), np.array(self.temp_f, dtype=float)
        if not (len(self.period_start) == len(self.period_end) == usage.size):
            raise ValueError("period_start, period_end and usage_kwh must have the same length")
        if len(self.temp_dates) != temp.size:
            raise ValueError("temp_dates and temp_f must have the same length")
        if any(end < start for start, end in zip(self.period_start, self.period_end)):
            raise ValueError("a billing period ends before it starts")
        object.__setattr__(self, "usage_kwh", usage)
        object.__setattr__(self, "temp_f", temp)

    @property
    def days(self) -> np.ndarray:
        """Days in each period (inclusive of both ends)."""
        return np.array([(e - s).days + 1 for s, e in zip(self.period_start, self.period_end)], dtype=float)


def _period_degree_days(series: BillingSeries, settings: BillingSettings):
    """Mean daily HDD/CDD per period on the grid (NaN rows for unusable periods) and days kept."""
    bps = np.asarray(settings.candidates.balance_points_f, dtype=float)
    n = len(series.period_start)
    hdd, cdd, kept = np.full((n, bps.size), np.nan), np.full((n, bps.size), np.nan), np.zeros(n)
    temp_days = np.array(series.temp_dates, dtype="datetime64[D]")
    for i, (start, end) in enumerate(zip(series.period_start, series.period_end)):
        lo, hi = np.searchsorted(temp_days, [np.datetime64(start), np.datetime64(end) + 1])
        temps = series.temp_f[lo:hi]
        temps = temps[np.isfinite(temps)]
        kept[i] = temps.size
        if temps.size and temps.size >= settings.min_temperature_coverage_per_period * ((end - start).days + 1):
            hdd[i] = heating_degree_days(temps, bps).mean(axis=0)
            cdd[i] = cooling_degree_days(temps, bps).mean(axis=0)
    return hdd, cdd, kept


def _fallback(series: BillingSeries, reason: str, data: dict,
              disqualifications: tuple[QualityFlag, ...]) -> BaselineModel:
    model = fit_historical_mean_periods(series.period_end, series.usage_kwh, series.days, method=METHOD)
    warning = QualityFlag("billing_fallback_to_historical_mean",
                          "The CalTRACK billing regression could not be used; the 12-month "
                          "historical mean usage per day is the baseline.", {"reason": reason, **data})
    return replace(model, disqualifications=disqualifications + model.disqualifications,
                   warnings=model.warnings + (warning,))


def _usable(series: BillingSeries, settings: BillingSettings
            ) -> tuple[np.ndarray, tuple[QualityFlag, ...], tuple[QualityFlag, ...]]:
    """Periods the fit may use, the warnings (periods left out) and the disqualifications (negative usage)."""
    warnings, disqualifications = [], []
    too_long = series.days > settings.max_period_days
    if too_long.any():
        warnings.append(QualityFlag(
            "billing_period_too_long", "Billing periods longer than allowed are not used.",
            {"n_periods": int(too_long.sum()), "max_period_days": settings.max_period_days}))
    negative = series.usage_kwh < 0
    if negative.any():
        disqualifications.append(QualityFlag(
            "negative_meter_values", "Negative usage found in the baseline.",
            {"n_negative_meter_values": int(negative.sum())}))
    return np.isfinite(series.usage_kwh) & ~too_long, tuple(warnings), tuple(disqualifications)


def fit_caltrack_billing(series: BillingSeries, settings: BillingSettings = BillingSettings()) -> BaselineModel:
    """Fit the CalTRACK billing baseline, or the historical mean when temperatures do not allow it."""
    usable, warnings, disqualifications = _usable(series, settings)
    if not series.temp_f.size:
        return _fallback(series, "no_temperature_data", {}, disqualifications)
    hdd, cdd, kept = _period_degree_days(series, settings)
    usable &= np.isfinite(hdd[:, 0])
    if usable.sum() < settings.min_periods:
        return _fallback(series, "too_few_periods_with_temperature",
                         {"n_usable_periods": int(usable.sum()), "min_periods": settings.min_periods},
                         disqualifications)
    per_day = np.where(usable, series.usage_kwh / series.days, np.nan)
    model_type, params, meta, fit_flags = fit_usage_per_day_model(per_day, hdd, cdd, kept, settings.candidates)
    if model_type == "no_model":
        return _fallback(series, "no_qualified_candidate_model", dict(fit_flags[0].data), disqualifications)
    predicted = _predict_periods(params, hdd, cdd, settings) * series.days
    stats = compute_fit_statistics(np.where(usable, series.usage_kwh, np.nan), predicted, N_PARAMETERS[model_type])
    return BaselineModel(METHOD, model_type, params, stats, disqualifications, warnings, meta)


def _predict_periods(params: dict, hdd: np.ndarray, cdd: np.ndarray,
                     settings: BillingSettings) -> np.ndarray:
    """Predicted usage per day of each period from its mean daily degree days."""
    bps = list(settings.candidates.balance_points_f)
    predicted = np.full(hdd.shape[0], params["intercept_kwh_per_day"])
    if "beta_hdd_kwh_per_hdd" in params:
        column = bps.index(int(params["heating_balance_point_f"]))
        predicted = predicted + params["beta_hdd_kwh_per_hdd"] * hdd[:, column]
    if "beta_cdd_kwh_per_cdd" in params:
        column = bps.index(int(params["cooling_balance_point_f"]))
        predicted = predicted + params["beta_cdd_kwh_per_cdd"] * cdd[:, column]
    return predicted
