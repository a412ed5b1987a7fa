"""Goodness-of-fit statistics for baseline models and ASHRAE Guideline 14 acceptance.

With observed y_i, predicted ŷ_i (kWh per day or per period), n points, p model parameters
(intercept included) and ȳ the mean observed value (ASHRAE Guideline 14-2014, Annex B / §4.3.2.4):

    R²      = 1 − Σ(y − ŷ)² / Σ(y − ȳ)²
    adj R²  = 1 − (1 − R²)·(n − 1)/(n − p)
    RMSE    = sqrt(Σ(y − ŷ)² / (n − p))                     [kWh]
    CV(RMSE)= RMSE / ȳ                                      [fraction]
    NMBE    = Σ(y − ŷ) / ((n − p)·ȳ)                        [fraction]
    ρ       = lag-1 autocorrelation of the residuals on consecutive points (Pearson correlation of
              e_t with e_{t−1} over pairs where both exist; pandas ``Series.autocorr`` semantics)

ASHRAE G14 calibration limits (monthly CV(RMSE) ≤ 15 %, |NMBE| ≤ 5 %; hourly 30 %, ±10 %) live in
one place, :class:`mrv.settings.AshraeG14Settings`, which also says which pair applies to daily data.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping

import numpy as np

from mrv.flags import QualityFlag
from mrv.settings import AshraeG14Settings

__all__ = [
    "FitStatistics",
    "ashrae_g14_acceptance",
    "compute_fit_statistics",
    "json_float",
    "lag1_autocorrelation",
]


@dataclass(frozen=True)
class FitStatistics:
    """Fit statistics of one model on its baseline data (formulas in the module docstring)."""

    n_points: int
    n_parameters: int
    r_squared: float
    adj_r_squared: float
    rmse_kwh: float
    cvrmse: float
    nmbe: float
    mean_observed_kwh: float
    autocorrelation_lag1: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (NaN → None)."""
        return {k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in asdict(self).items()}

    def ashrae_g14_acceptance(self, limits: AshraeG14Settings) -> tuple[QualityFlag, ...]:
        """Named flags for each ASHRAE G14 limit this fit fails (see :func:`ashrae_g14_acceptance`)."""
        return ashrae_g14_acceptance(self, limits)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "FitStatistics":
        """Inverse of :meth:`to_dict` (None → NaN)."""
        values = {k: (math.nan if d[k] is None else d[k]) for k in cls.__dataclass_fields__}
        return cls(**{**values, "n_points": int(d["n_points"]), "n_parameters": int(d["n_parameters"])})


def lag1_autocorrelation(residuals: np.ndarray) -> float:
    """Pearson correlation of e_t and e_{t−1} over consecutive pairs that are both finite."""
    e = np.asarray(residuals, dtype=float)
    if e.size < 3:
        return math.nan
    current, previous = e[1:], e[:-1]
    both = np.isfinite(current) & np.isfinite(previous)
    if both.sum() < 2:
        return math.nan
    a, b = current[both] - current[both].mean(), previous[both] - previous[both].mean()
    # Correlation is scale-free: normalise first so tiny residuals do not underflow to 0 when squared.
    a, b = a / (np.abs(a).max() or 1.0), b / (np.abs(b).max() or 1.0)
    denominator = math.sqrt(float(np.dot(a, a)) * float(np.dot(b, b)))
    return float(np.dot(a, b)) / denominator if denominator > 0 else math.nan


def json_float(value: float) -> float | None:
    """``value`` for JSON: None for NaN (JSON has no NaN), else the float."""
    return None if math.isnan(value) else float(value)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator != 0 else math.nan


def compute_fit_statistics(
    observed_kwh: np.ndarray, predicted_kwh: np.ndarray, n_parameters: int
) -> FitStatistics:
    """Fit statistics over the points where both observed and predicted are finite.

    The residual autocorrelation keeps the original order (missing points break the pairs).
    """
    y_all, yhat_all = np.asarray(observed_kwh, float), np.asarray(predicted_kwh, float)
    valid = np.isfinite(y_all) & np.isfinite(yhat_all)
    y, yhat = y_all[valid], yhat_all[valid]
    n, p = int(y.size), int(n_parameters)
    mean_y = float(y.mean()) if n else math.nan
    sse = float(np.sum((y - yhat) ** 2))
    sst = float(np.sum((y - mean_y) ** 2))
    r2 = 1.0 - _ratio(sse, sst)
    dof = n - p
    rmse = math.sqrt(sse / dof) if dof > 0 else math.nan
    return FitStatistics(
        n_points=n,
        n_parameters=p,
        r_squared=r2,
        adj_r_squared=1.0 - (1.0 - r2) * _ratio(n - 1, dof) if dof > 0 else math.nan,
        rmse_kwh=rmse,
        cvrmse=_ratio(rmse, mean_y),
        nmbe=_ratio(float(np.sum(y - yhat)), dof * mean_y) if dof > 0 else math.nan,
        mean_observed_kwh=mean_y,
        autocorrelation_lag1=lag1_autocorrelation(np.where(valid, y_all - yhat_all, np.nan)),
    )


def ashrae_g14_acceptance(stats: FitStatistics, limits: AshraeG14Settings) -> tuple[QualityFlag, ...]:
    """Named flags for each ASHRAE G14 limit the model fails (empty tuple = accepted).

    Passes when CV(RMSE) ≤ ``limits.cvrmse_max`` and |NMBE| ≤ ``limits.nmbe_max`` (fractions, for
    the configured granularity). Non-finite statistics fail.
    """
    flags = []
    if not (math.isfinite(stats.cvrmse) and stats.cvrmse <= limits.cvrmse_max):
        flags.append(QualityFlag(
            "cvrmse_above_ashrae_g14_limit",
            "CV(RMSE) of the baseline fit exceeds the ASHRAE Guideline 14 limit.",
            {"cvrmse": json_float(stats.cvrmse), "cvrmse_max": limits.cvrmse_max}))
    if not (math.isfinite(stats.nmbe) and abs(stats.nmbe) <= limits.nmbe_max):
        flags.append(QualityFlag(
            "nmbe_above_ashrae_g14_limit",
            "Absolute NMBE of the baseline fit exceeds the ASHRAE Guideline 14 limit.",
            {"nmbe": json_float(stats.nmbe), "nmbe_max": limits.nmbe_max}))
    return tuple(flags)
