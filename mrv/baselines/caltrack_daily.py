"""CalTRACK 2.0 daily baseline (the platform default), as eemeter 3.2.0 implements it.

Model (CalTRACK 3.3, 3.4): usage per day [kWh/day] = μ + β_H·HDD(T_bh) + β_C·CDD(T_bc), with
HDD/CDD from the day's mean temperature in °F (:mod:`mrv.degree_days`). Candidates: intercept-only,
HDD-only, CDD-only and HDD+CDD over an integer balance-point grid (30–90 °F); qualification by
minimum degree days, non-negative coefficients and p-values; the qualified candidate with the best
adjusted R² wins (CalTRACK 3.4.3.3). The grid search is closed-form and vectorised
(:mod:`mrv.baselines.candidates`); the winner is then refitted with least squares (numpy
``lstsq``) for its final coefficients. Days missing usage or temperature are left out of the fit.

Determinism: the same input gives the same model; near-ties in adjusted R² (within
``adj_r_squared_tie_tolerance``) go to the first candidate in eemeter's order.
"""

from __future__ import annotations

import logging

import numpy as np

from mrv.baselines.candidates import CandidateGrid, evaluate_candidates, select_best
from mrv.baselines.model import BaselineModel
from mrv.baselines.settings import CaltrackDailySettings, CandidateRules
from mrv.baselines.sufficiency import check_daily_sufficiency, extreme_value_warnings
from mrv.degree_days import cooling_degree_days, heating_degree_days
from mrv.fit_statistics import compute_fit_statistics
from mrv.flags import QualityFlag
from mrv.series import DailySeries

__all__ = ["fit_caltrack_daily", "fit_usage_per_day_model"]

_LOG = logging.getLogger(__name__)
METHOD = "caltrack_daily"
# Fitted parameters per candidate type (μ, β_H, β_C), for fit statistics' degrees of freedom.
N_PARAMETERS = {"intercept_only": 1, "hdd_only": 2, "cdd_only": 2, "hdd_cdd": 3}


def _refit(y: np.ndarray, hdd: np.ndarray, cdd: np.ndarray, w: np.ndarray, grid: CandidateGrid,
           best: int, rules: CandidateRules) -> dict[str, float]:
    """Weighted least squares (numpy ``lstsq``) of the chosen candidate: its final parameters."""
    bps = list(rules.balance_points_f)
    hbp, cbp = float(grid.heating_balance_point_f[best]), float(grid.cooling_balance_point_f[best])
    columns, names = [np.ones_like(y)], ["intercept_kwh_per_day"]
    if np.isfinite(hbp):
        columns.append(hdd[:, bps.index(int(hbp))])
        names.append("beta_hdd_kwh_per_hdd")
    if np.isfinite(cbp):
        columns.append(cdd[:, bps.index(int(cbp))])
        names.append("beta_cdd_kwh_per_cdd")
    root_w = np.sqrt(w)
    coef = np.linalg.lstsq(np.column_stack(columns) * root_w[:, None], y * root_w, rcond=None)[0]
    params = {name: float(value) for name, value in zip(names, coef)}
    if np.isfinite(hbp):
        params["heating_balance_point_f"] = hbp
    if np.isfinite(cbp):
        params["cooling_balance_point_f"] = cbp
    return params


def _no_candidate_flag(grid: CandidateGrid) -> QualityFlag:
    return QualityFlag(
        "no_qualified_candidate_model",
        "No candidate model met the CalTRACK qualification rules.",
        {"n_candidates": int(grid.model_type.size), "n_attempted": int(grid.attempted.sum()),
         "n_qualified": int(grid.qualified.sum())})


def fit_usage_per_day_model(
    usage_per_day_kwh: np.ndarray, hdd: np.ndarray, cdd: np.ndarray, weights: np.ndarray, rules: CandidateRules
) -> tuple[str, dict[str, float], dict, tuple[QualityFlag, ...]]:
    """Search, select and refit on valid points: (model_type, parameters, metadata, disqualifications).

    Shared by the daily (weights 1) and billing (weights = days per period) methods; ``hdd`` and
    ``cdd`` are degree days per day on ``rules.balance_points_f`` (NaN rows are left out).
    """
    valid = np.isfinite(usage_per_day_kwh) & np.isfinite(hdd[:, 0]) & np.isfinite(cdd[:, 0]) & np.isfinite(weights)
    y, h, c, w = usage_per_day_kwh[valid], hdd[valid], cdd[valid], weights[valid]
    if y.size == 0:
        return "no_model", {}, {"n_fit_points": 0}, ()
    grid = evaluate_candidates(y, h, c, w, rules)
    best = select_best(grid, rules.adj_r_squared_tie_tolerance)
    meta = {"n_fit_points": int(y.size), "n_candidates": int(grid.model_type.size),
            "n_qualified_candidates": int(grid.qualified.sum())}
    if best is None:
        return "no_model", {}, meta, (_no_candidate_flag(grid),)
    meta["selection_adj_r_squared"] = float(grid.adj_r_squared[best])
    return str(grid.model_type[best]), _refit(y, h, c, w, grid, best, rules), meta, ()


def fit_caltrack_daily(
    baseline: DailySeries, settings: CaltrackDailySettings = CaltrackDailySettings()
) -> BaselineModel:
    """Fit the CalTRACK 2.0 daily baseline on a daily series (kWh per local day, °F daily mean).

    Data sufficiency (:mod:`mrv.baselines.sufficiency`) and candidate failures are named
    disqualifications; the model is still fitted when the data suffice to fit it, so that
    reviewers can see it, but its ``status`` is then "DISQUALIFIED".
    """
    disqualifications = list(check_daily_sufficiency(baseline, settings.sufficiency))
    usage, temp = baseline.usage_kwh, baseline.temp_f
    bps = np.asarray(settings.candidates.balance_points_f, dtype=float)
    model_type, params, meta, fit_flags = fit_usage_per_day_model(
        usage, heating_degree_days(temp, bps), cooling_degree_days(temp, bps), np.ones_like(usage),
        settings.candidates)
    disqualifications.extend(fit_flags)
    model = BaselineModel(METHOD, model_type, params, compute_fit_statistics([], [], 0))
    predicted = model.predict_daily_kwh(temp)
    stats = compute_fit_statistics(
        np.where(np.isfinite(temp), usage, np.nan), predicted, N_PARAMETERS.get(model_type, 0))
    _LOG.debug("caltrack_daily: %s %s, disqualifications %s", model_type, params,
               [flag.name for flag in disqualifications])
    metadata = {**meta, "baseline_start": baseline.dates[0].isoformat() if len(baseline) else None,
                "baseline_end": baseline.dates[-1].isoformat() if len(baseline) else None}
    return BaselineModel(
        method=METHOD, model_type=model_type, parameters=params, fit_statistics=stats,
        disqualifications=tuple(disqualifications),
        warnings=extreme_value_warnings(usage, settings.sufficiency.extreme_value_iqr_multiplier),
        metadata=metadata)
