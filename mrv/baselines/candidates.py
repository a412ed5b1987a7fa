"""Vectorised CalTRACK candidate search: closed-form weighted least squares over the whole grid.

All candidates of CalTRACK 3.4.3.1 are evaluated at once with numpy, in eemeter 3.2.0's order
(which decides ties): intercept-only; HDD-only for each heating balance point (ascending);
CDD-only for each cooling balance point (ascending); HDD+CDD for each cooling balance point
(outer, ascending) and heating balance point ≤ it (inner, ascending).

For one regressor x with weights w (1 per day for daily data, days per period for billing), on
weighted-centred data (x̄ = Σwx/Σw):  β = Σw·x̃·ỹ / Σw·x̃²,  μ = ȳ − β·x̄.
For two regressors c, h the 2×2 normal equations on centred cross products give β_C, β_H.
p-values are two-sided from Student's t with n − k − 1 degrees of freedom (statsmodels OLS/WLS):
se(β) = sqrt(σ̂²·[(X̃ᵀWX̃)⁻¹]_jj), σ̂² = SSR/(n − k − 1).
Adjusted R² = 1 − (1 − R²)(n − 1)/(n − k − 1), R² = 1 − SSR/Σw·ỹ² (statsmodels WLS, n = points).

Qualification (CalTRACK 3.2.2.2 and 3.4.3.2, eemeter 3.2.0 defaults): a weather candidate is fitted
only if each degree-day series has ≥ ``minimum_non_zero`` non-zero values and a total
Σ(w·DD) ≥ ``minimum_total``; a fitted candidate is disqualified when any coefficient (intercept
included) is negative or a slope's p-value exceeds its maximum. The intercept-only model has
adjusted R² = 0 by definition (eemeter) and qualifies when its mean is ≥ 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import stdtr

from mrv.baselines.settings import CandidateRules

__all__ = ["CandidateGrid", "evaluate_candidates", "select_best"]

# Degree days at or below this are "zero" when counting non-zero days: a daily mean 1e-12 °F
# above a balance point must not change the count (stability under input perturbation).
_ZERO_DEGREE_DAYS = 1e-9


@dataclass(frozen=True)
class CandidateGrid:
    """Every candidate in canonical order: type, balance points (°F, NaN if unused), fit, status."""

    model_type: np.ndarray          # str: intercept_only | hdd_only | cdd_only | hdd_cdd
    heating_balance_point_f: np.ndarray
    cooling_balance_point_f: np.ndarray
    adj_r_squared: np.ndarray       # NaN when the candidate was not attempted
    attempted: np.ndarray
    qualified: np.ndarray


def _p_value_within(beta: np.ndarray, cofactor: np.ndarray, det: np.ndarray, ssr: np.ndarray, dof: int,
                    max_p: float) -> np.ndarray | bool:
    """False where the two-sided p-value of β exceeds ``max_p``; Var(β) = σ̂²·cofactor/det, σ̂² = SSR/dof.

    A p-value is at most 1, so ``max_p`` ≥ 1 (the default: no test) cannot disqualify anything and
    the p-values are not computed.
    """
    if max_p >= 1:
        return True
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(ssr / dof * cofactor / det)
        return ~(2.0 * stdtr(dof, -np.abs(beta / se)) > max_p)


def _adj_r2(ssr: np.ndarray, syy: float, n: int, k: int) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 - (ssr / syy) * (n - 1) / (n - k - 1)


def _degree_day_ok(dd: np.ndarray, w: np.ndarray, min_non_zero: int, min_total: float) -> np.ndarray:
    non_zero = np.count_nonzero(dd > _ZERO_DEGREE_DAYS, axis=0)
    return (non_zero >= min_non_zero) & (w @ dd >= min_total)


@dataclass(frozen=True)
class _Centred:
    y: np.ndarray
    w: np.ndarray
    y_mean: float
    syy: float
    n: int


def _single(data: _Centred, x: np.ndarray, ok: np.ndarray, max_p: float) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted R² and qualification of y ~ 1 + x for every column of x."""
    x_mean = (data.w @ x) / data.w.sum()
    xc = x - x_mean
    sxx = data.w @ (xc * xc)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = ((data.w * data.y) @ xc) / sxx
        ssr = data.w @ (data.y[:, None] - xc * beta) ** 2
    intercept = data.y_mean - beta * x_mean
    attempted = ok & (sxx > 0) & (data.n > 2)
    qualified = attempted & ~(intercept < 0) & ~(beta < 0) & _p_value_within(beta, 1.0, sxx, ssr, data.n - 2, max_p)
    return np.where(attempted, _adj_r2(ssr, data.syy, data.n, 1), np.nan), qualified


def _pairs(data: _Centred, h: np.ndarray, c: np.ndarray, ok: np.ndarray, rules: CandidateRules):
    """Adjusted R² and qualification of y ~ 1 + c_i + h_j for all (i, j); arrays (n_c, n_h)."""
    sw = data.w.sum()
    h_mean, c_mean = (data.w @ h) / sw, (data.w @ c) / sw
    hc, cc = h - h_mean, c - c_mean
    b = data.w @ (hc * hc)                 # Σw·h̃²  (n_h,)
    a = data.w @ (cc * cc)                 # Σw·c̃²  (n_c,)
    d = (cc * data.w[:, None]).T @ hc      # Σw·c̃·h̃ (n_c, n_h)
    wy = data.w * data.y
    u, v = wy @ cc, wy @ hc
    det = a[:, None] * b[None, :] - d * d
    with np.errstate(divide="ignore", invalid="ignore"):
        beta_c = (b[None, :] * u[:, None] - d * v[None, :]) / det
        beta_h = (a[:, None] * v[None, :] - d * u[:, None]) / det
        ssr = np.maximum(data.syy - beta_c * u[:, None] - beta_h * v[None, :], 0.0)
    intercept = data.y_mean - beta_c * c_mean[:, None] - beta_h * h_mean[None, :]
    attempted = ok & (det > 1e-12 * a[:, None] * b[None, :]) & (data.n > 3)
    qualified = (attempted & ~(intercept < 0) & ~(beta_c < 0) & ~(beta_h < 0)
                 & _p_value_within(beta_c, b[None, :], det, ssr, data.n - 3, rules.beta_cdd_maximum_p_value)
                 & _p_value_within(beta_h, a[:, None], det, ssr, data.n - 3, rules.beta_hdd_maximum_p_value))
    return np.where(attempted, _adj_r2(ssr, data.syy, data.n, 2), np.nan), qualified


def _centre(y: np.ndarray, w: np.ndarray) -> _Centred:
    y_mean = float(w @ y / w.sum())
    yc = y - y_mean
    return _Centred(y=yc, w=w, y_mean=y_mean, syy=float(w @ (yc * yc)), n=int(y.size))


def evaluate_candidates(
    usage_per_day: np.ndarray, hdd: np.ndarray, cdd: np.ndarray, weights: np.ndarray, rules: CandidateRules
) -> CandidateGrid:
    """Evaluate all candidates in canonical order on points that are all finite.

    ``hdd`` and ``cdd`` are (n_points, n_balance_points) degree days per day for
    ``rules.balance_points_f`` (daily: of the day; billing: mean over the period's days).
    """
    bps = np.asarray(rules.balance_points_f, dtype=float)
    data = _centre(usage_per_day, weights)
    h_ok = _degree_day_ok(hdd, weights, rules.minimum_non_zero_hdd, rules.minimum_total_hdd)
    c_ok = _degree_day_ok(cdd, weights, rules.minimum_non_zero_cdd, rules.minimum_total_cdd)
    parts = [("intercept_only", [np.nan], [np.nan], np.zeros(1), np.ones(1, bool),
              np.array([data.y_mean >= 0]))]
    if rules.fit_hdd_only:
        adj, q = _single(data, hdd, h_ok, rules.beta_hdd_maximum_p_value)
        parts.append(("hdd_only", bps, np.full(bps.size, np.nan), adj, h_ok & np.isfinite(adj), q))
    if rules.fit_cdd:
        adj, q = _single(data, cdd, c_ok, rules.beta_cdd_maximum_p_value)
        parts.append(("cdd_only", np.full(bps.size, np.nan), bps, adj, c_ok & np.isfinite(adj), q))
        adj2, q2 = _pairs(data, hdd, cdd, c_ok[:, None] & h_ok[None, :], rules)
        ci, hi = np.nonzero(bps[None, :] <= bps[:, None])  # row-major: cooling outer, heating inner
        parts.append(("hdd_cdd", bps[hi], bps[ci], adj2[ci, hi], np.isfinite(adj2[ci, hi]), q2[ci, hi]))
    return CandidateGrid(
        model_type=np.concatenate([np.full(len(p[1]), p[0], dtype=object) for p in parts]),
        heating_balance_point_f=np.concatenate([np.asarray(p[1], float) for p in parts]),
        cooling_balance_point_f=np.concatenate([np.asarray(p[2], float) for p in parts]),
        adj_r_squared=np.concatenate([p[3] for p in parts]),
        attempted=np.concatenate([p[4] for p in parts]),
        qualified=np.concatenate([p[5] for p in parts]),
    )


def select_best(grid: CandidateGrid, tie_tolerance: float) -> int | None:
    """Index of the qualified candidate with the highest adjusted R² (CalTRACK 3.4.3.3).

    Candidates within ``tie_tolerance`` of the best are ties; the first in canonical order wins,
    so rounding noise between near-equal fits cannot change the choice. None if none qualifies.
    """
    scores = np.where(grid.qualified & np.isfinite(grid.adj_r_squared), grid.adj_r_squared, -np.inf)
    best = scores.max()
    if not np.isfinite(best):
        return None
    return int(np.flatnonzero(scores >= best - tie_tolerance)[0])
