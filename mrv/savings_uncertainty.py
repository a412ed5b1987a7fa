"""Fractional savings uncertainty per ASHRAE Guideline 14-2014, Annex B.

For a baseline regression fitted on n baseline points and applied to m reporting points
(Reddy & Claridge / Kissock approximation, ASHRAE G14-2014 Annex B):

    ΔE_save / E_save = t · 1.26 · CV · sqrt( (n / n') · (1 + 2 / n') · (1 / m) ) / F

    n' = n · (1 − ρ) / (1 + ρ)         effective number of independent baseline points
    F  = E_save / E_baseline            savings fraction over the reporting period

* t   — Student-t quantile at 1 − (1 − c)/2 (two-sided confidence c, default 90 %) with n − p
        degrees of freedom (p = number of model parameters; as in eemeter 3.2 / CalTRACK).
* CV  — CV(RMSE) of the baseline fit, a fraction (``FitStatistics.cvrmse``).
* ρ   — lag-1 autocorrelation of the baseline residuals (``FitStatistics.autocorrelation_lag1``);
        clipped at 0 by default so that negative ρ never inflates n' above n (conservative).
* 1.26 — G14's empirical correction factor for the approximation (valid for daily/monthly data).
* E_baseline — Σ predicted baseline use over the used reporting days (kWh).

The absolute half-width of the interval is ΔE_save = FSU · E_save
= t · 1.26 · CV · sqrt((n/n')(1 + 2/n')/m) · E_baseline (kWh); it is defined even when E_save ≤ 0,
while FSU itself is only defined for positive savings. eemeter 3.2 replaces 1.26 by a polynomial
in the reporting length and E_baseline by the baseline mean × m; this module follows G14 as written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from scipy import stats

from mrv.flags import QualityFlag
from mrv.settings import SavingsSettings

__all__ = ["ASHRAE_G14_CORRECTION_FACTOR", "SavingsUncertainty", "compute_savings_uncertainty"]

ASHRAE_G14_CORRECTION_FACTOR = 1.26


@dataclass(frozen=True)
class SavingsUncertainty:
    """Inputs and result of the G14 savings-uncertainty formula (kWh, fractions)."""

    confidence: float
    t_statistic: float
    n_baseline: int
    n_parameters: int
    n_prime: float
    m_reporting: int
    cvrmse: float
    autocorrelation_lag1: float
    savings_uncertainty_kwh: float
    fractional_savings_uncertainty: float | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict) -> "SavingsUncertainty":
        return cls(**d)


def compute_savings_uncertainty(
    fit_statistics: Any,
    m_reporting: int,
    baseline_kwh: float,
    avoided_kwh: float,
    settings: SavingsSettings = SavingsSettings(),
) -> tuple[SavingsUncertainty | None, tuple[QualityFlag, ...]]:
    """Return the G14 uncertainty (module docstring formula), or None with a named flag."""
    n = int(fit_statistics.n_points)
    p = int(fit_statistics.n_parameters)
    cv = _finite_or_none(fit_statistics.cvrmse)
    rho = _finite_or_none(getattr(fit_statistics, "autocorrelation_lag1", None))
    problem = _undefined_reason(n, p, m_reporting, cv, rho)
    if problem:
        return None, (QualityFlag("savings_uncertainty_undefined",
                                  "The ASHRAE G14 savings uncertainty cannot be computed.",
                                  {"reason": problem, "n_points": n, "n_parameters": p,
                                   "m_reporting": m_reporting, "cvrmse": cv,
                                   "autocorrelation_lag1": rho}),)
    rho_used = max(rho, 0.0) if settings.clip_negative_autocorrelation else rho
    n_prime = n * (1.0 - rho_used) / (1.0 + rho_used)
    t_stat = float(stats.t.ppf(1.0 - (1.0 - settings.confidence) / 2.0, n - p))
    relative = ASHRAE_G14_CORRECTION_FACTOR * cv * math.sqrt(
        (n / n_prime) * (1.0 + 2.0 / n_prime) / m_reporting)
    half_width_kwh = t_stat * relative * baseline_kwh
    fsu = half_width_kwh / avoided_kwh if avoided_kwh > 0 else None
    flags = () if fsu is not None else (QualityFlag(
        "fractional_uncertainty_undefined_for_non_positive_savings",
        "Savings are not positive, so the fractional savings uncertainty is undefined.",
        {"avoided_kwh": avoided_kwh}),)
    return SavingsUncertainty(
        confidence=settings.confidence, t_statistic=t_stat, n_baseline=n, n_parameters=p,
        n_prime=n_prime, m_reporting=m_reporting, cvrmse=cv, autocorrelation_lag1=rho,
        savings_uncertainty_kwh=half_width_kwh, fractional_savings_uncertainty=fsu,
    ), flags


def _undefined_reason(n: int, p: int, m: int, cv: float | None, rho: float | None) -> str | None:
    """Why the formula has no value (division by zero, no degrees of freedom), else None."""
    if m <= 0:
        return "no reporting days with data"
    if n - p <= 0:
        return "no residual degrees of freedom (n_points <= n_parameters)"
    if cv is None:
        return "cvrmse not available"
    if rho is None or abs(rho) >= 1.0:
        return "lag-1 autocorrelation not available or |rho| >= 1"
    return None


def _finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
