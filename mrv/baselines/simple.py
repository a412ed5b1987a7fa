"""Simple baselines: historical 12-month mean, static agreed value, occupancy-normalised.

- **Historical mean** (IPMVP Option C without weather adjustment): μ = Σ kWh / Σ days over the
  last 12 months (365 days) of the baseline, kWh/day; days or periods without usage are left out.
- **Static**: an agreed fixed consumption, ``agreed_kwh`` per ``period_days`` days;
  μ = agreed_kwh / period_days kWh/day (e.g. 120 000 kWh per 365-day year).
- **Occupancy-normalised**: occupancy is an *additional regressor*, not a ratio adjustment:

      usage per day = μ + β_H·HDD(T_bh) + β_C·CDD(T_bc) + β_occ·occupancy_pct

  with the CalTRACK daily form and balance points chosen first (:func:`fit_caltrack_daily`) and
  all coefficients then refitted by least squares with occupancy (0–100 %) added. Why not a ratio
  (baseline × occupancy_reporting / occupancy_baseline)? A ratio assumes *all* load scales with
  occupancy — base load (servers, refrigeration, standby) and weather load included — and so
  over-attributes savings whenever occupancy falls; the regressor estimates from the building's
  own data how much load follows occupancy, keeps the weather terms, and yields fit statistics
  for the whole model. It needs occupancy to vary in the baseline: if it does not
  (``occupancy_without_variation``) the model is disqualified rather than guessed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from mrv.baselines.caltrack_daily import fit_caltrack_daily
from mrv.baselines.model import BaselineModel
from mrv.baselines.settings import CaltrackDailySettings
from mrv.degree_days import cooling_degree_days, heating_degree_days
from mrv.fit_statistics import compute_fit_statistics
from mrv.flags import QualityFlag
from mrv.series import DailySeries

__all__ = ["fit_historical_mean", "fit_historical_mean_periods", "fit_occupancy_normalised", "fit_static"]

_HISTORICAL_DAYS = 365


def _no_data(what: str) -> QualityFlag:
    return QualityFlag("no_data", f"No {what} with usage in the baseline.", {})


def fit_historical_mean(baseline: DailySeries | Any) -> BaselineModel:
    """Mean usage per day over the last 12 months (kWh/day) of a DailySeries or a BillingSeries."""
    if not isinstance(baseline, DailySeries):
        return fit_historical_mean_periods(baseline.period_end, baseline.usage_kwh, baseline.days)
    last = baseline.between(baseline.dates[-1] - dt.timedelta(days=_HISTORICAL_DAYS - 1), baseline.dates[-1])
    usage = last.usage_kwh
    has_usage = bool(np.isfinite(usage).any())
    flags = [] if has_usage else [_no_data("day")]
    if len(last) < _HISTORICAL_DAYS:
        flags.append(QualityFlag("incorrect_number_of_total_days",
                                 "The historical baseline does not cover 12 months.",
                                 {"n_days_total": len(last), "baseline_days": _HISTORICAL_DAYS}))
    mean = float(np.nanmean(usage)) if has_usage else np.nan
    stats = compute_fit_statistics(usage, np.full(usage.shape, mean), 1)
    return BaselineModel("historical_mean", "historical_mean" if np.isfinite(mean) else "no_model",
                         {"intercept_kwh_per_day": mean} if np.isfinite(mean) else {}, stats, tuple(flags),
                         metadata={"baseline_start": last.dates[0].isoformat(),
                                   "baseline_end": last.dates[-1].isoformat()})


def fit_historical_mean_periods(period_end: tuple[dt.date, ...], usage_kwh: np.ndarray, days: np.ndarray,
                                method: str = "historical_mean") -> BaselineModel:
    """Σ kWh / Σ days over the billing periods ending in the last 365 days (kWh/day).

    Fit statistics are on period totals (observed kWh vs μ × days).
    """
    cutoff = max(period_end) - dt.timedelta(days=_HISTORICAL_DAYS)
    recent = np.array([end > cutoff for end in period_end]) & np.isfinite(usage_kwh)
    if not recent.any():
        return BaselineModel(method, "no_model", {}, compute_fit_statistics([], [], 1), (_no_data("period"),))
    mean = float(usage_kwh[recent].sum() / days[recent].sum())
    observed = np.where(recent, usage_kwh, np.nan)
    stats = compute_fit_statistics(observed, mean * days, 1)
    return BaselineModel(method, "historical_mean", {"intercept_kwh_per_day": mean}, stats,
                         metadata={"n_periods": int(recent.sum()), "n_days": float(days[recent].sum())})


def fit_static(agreed_kwh: float, period_days: float, baseline: DailySeries | None = None) -> BaselineModel:
    """Static baseline of ``agreed_kwh`` per ``period_days`` days; statistics against ``baseline`` if given."""
    if not (agreed_kwh >= 0 and period_days > 0):
        raise ValueError("agreed_kwh must be >= 0 and period_days > 0")
    per_day = agreed_kwh / period_days
    observed = np.empty(0) if baseline is None else baseline.usage_kwh
    stats = compute_fit_statistics(observed, np.full(observed.shape, per_day), 0)
    return BaselineModel("static", "static", {"intercept_kwh_per_day": per_day}, stats,
                         metadata={"agreed_kwh": float(agreed_kwh), "period_days": float(period_days)})


def _occupancy_design(temp_f: np.ndarray, occupancy_pct: np.ndarray, params: dict) -> tuple[np.ndarray, list[str]]:
    columns, names = [np.ones_like(temp_f)], ["intercept_kwh_per_day"]
    if "heating_balance_point_f" in params:
        columns.append(heating_degree_days(temp_f, params["heating_balance_point_f"]))
        names.append("beta_hdd_kwh_per_hdd")
    if "cooling_balance_point_f" in params:
        columns.append(cooling_degree_days(temp_f, params["cooling_balance_point_f"]))
        names.append("beta_cdd_kwh_per_cdd")
    columns.append(occupancy_pct)
    names.append("beta_occupancy_kwh_per_pct")
    return np.column_stack(columns), names


def fit_occupancy_normalised(baseline: DailySeries, occupancy_pct: np.ndarray,
                             settings: CaltrackDailySettings = CaltrackDailySettings()) -> BaselineModel:
    """CalTRACK daily model with occupancy (0–100 % per day) as an additional regressor."""
    occupancy = np.asarray(occupancy_pct, dtype=float)
    if occupancy.shape != baseline.usage_kwh.shape:
        raise ValueError("occupancy_pct needs one value per baseline day")
    weather = fit_caltrack_daily(baseline, settings)
    flags = list(weather.disqualifications)
    valid = np.isfinite(baseline.usage_kwh) & np.isfinite(baseline.temp_f) & np.isfinite(occupancy)
    no_variation = not valid.any() or np.ptp(occupancy[valid]) == 0
    if weather.model_type == "no_model" or no_variation:
        flags.append(QualityFlag("occupancy_without_variation",
                                 "Occupancy does not vary in the baseline (or no weather model), so its effect "
                                 "cannot be estimated.", {"weather_model_type": weather.model_type}))
        return BaselineModel("occupancy_normalised", "no_model", {}, weather.fit_statistics, tuple(flags))
    x, names = _occupancy_design(baseline.temp_f, occupancy, weather.parameters)
    coef = np.linalg.lstsq(x[valid], baseline.usage_kwh[valid], rcond=None)[0]
    params = {**{k: v for k, v in weather.parameters.items() if k.endswith("balance_point_f")},
              **{name: float(value) for name, value in zip(names, coef)}}
    model = BaselineModel("occupancy_normalised", "occupancy_normalised", params, weather.fit_statistics)
    predicted = model.predict_daily_kwh(baseline.temp_f, occupancy_pct=occupancy)
    stats = compute_fit_statistics(np.where(valid, baseline.usage_kwh, np.nan), predicted, len(names))
    return BaselineModel("occupancy_normalised", "occupancy_normalised", params, stats, tuple(flags),
                         weather.warnings, {**weather.metadata, "weather_model_type": weather.model_type})
