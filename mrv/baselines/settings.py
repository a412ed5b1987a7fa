"""Frozen settings of the baseline methods; every field states its meaning and its source.

Defaults are those of CalTRACK 2.0 as implemented in eemeter 3.2.0
(``fit_caltrack_usage_per_day_model``, ``caltrack_sufficiency_criteria``,
``create_caltrack_daily_design_matrix``), read from its source, except where noted.
``describe(settings)`` returns ``{field: description}`` for reports and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from mrv.degree_days import DEFAULT_BALANCE_POINTS_F

__all__ = [
    "BillingSettings",
    "CaltrackDailySettings",
    "CandidateRules",
    "SufficiencyRules",
    "describe",
]


def _f(default: Any, description: str) -> Any:
    return field(default=default, metadata={"description": description})


def describe(settings: Any) -> dict[str, str]:
    """``{field name: description}`` of a settings object."""
    return {f.name: f.metadata.get("description", "") for f in fields(settings)}


@dataclass(frozen=True)
class CandidateRules:
    """Candidate models and their qualification (CalTRACK 3.2.2, 3.4.3)."""

    balance_points_f: tuple[int, ...] = _f(
        DEFAULT_BALANCE_POINTS_F,
        "Integer balance-point grid searched for HDD and CDD (°F); eemeter 3.2.0: range(30, 91).")
    minimum_non_zero_hdd: int = _f(
        10, "Min. days with HDD > 0 to fit an HDD candidate (CalTRACK 3.2.2.2.1; billing: 0).")
    minimum_non_zero_cdd: int = _f(
        10, "Min. days with CDD > 0 to fit a CDD candidate (CalTRACK 3.2.2.2.1; billing: 0).")
    minimum_total_hdd: float = _f(20.0, "Min. total HDD (°F·day) to fit an HDD candidate (CalTRACK 3.2.2.2.2).")
    minimum_total_cdd: float = _f(20.0, "Min. total CDD (°F·day) to fit a CDD candidate (CalTRACK 3.2.2.2.2).")
    beta_hdd_maximum_p_value: float = _f(
        1.0, "Max. p-value of β_H; 1 disables the test as in CalTRACK 2.0 / eemeter 3.2.0 (1.0 used 0.1).")
    beta_cdd_maximum_p_value: float = _f(
        1.0, "Max. p-value of β_C; 1 disables the test as in CalTRACK 2.0 / eemeter 3.2.0 (1.0 used 0.1).")
    fit_cdd: bool = _f(True, "Fit CDD-only and HDD+CDD candidates; False for gas meters (no cooling load).")
    fit_hdd_only: bool = _f(True, "Fit HDD-only candidates.")
    adj_r_squared_tie_tolerance: float = _f(
        1e-10, "Candidates within this adjusted R² of the best are ties; the first in eemeter's "
        "candidate order wins (determinism under rounding noise; not in CalTRACK).")

    def __post_init__(self) -> None:
        if not self.balance_points_f or list(self.balance_points_f) != sorted(set(self.balance_points_f)):
            raise ValueError("balance_points_f must be a non-empty strictly increasing grid")
        if min(self.beta_hdd_maximum_p_value, self.beta_cdd_maximum_p_value) <= 0:
            raise ValueError("maximum p-values must be > 0")


@dataclass(frozen=True)
class SufficiencyRules:
    """Baseline data sufficiency (CalTRACK 2.2.1, 2.2.3, 2.3.5, 2.3.6)."""

    baseline_days: int = _f(365, "Required baseline length in days (CalTRACK 2.2.1.1: 365 days).")
    max_missing_days: int = _f(
        37, "Max. days whose usage or temperature is missing (platform spec; ≈ 10 % of 365, "
        "CalTRACK 2.2.1.2 90 % coverage).")
    min_temperature_coverage: float = _f(
        0.90, "Min. fraction of baseline days with a daily mean temperature (CalTRACK 2.2.3.2).")
    extreme_value_iqr_multiplier: float = _f(
        3.0, "Usage above median + k·IQR is flagged for review, not removed (CalTRACK 2.3.6).")


@dataclass(frozen=True)
class CaltrackDailySettings:
    """CalTRACK 2.0 daily method: candidate rules + sufficiency rules."""

    candidates: CandidateRules = _f(CandidateRules(), "Candidate models and qualification rules.")
    sufficiency: SufficiencyRules = _f(SufficiencyRules(), "Baseline data sufficiency rules.")

    @classmethod
    def for_gas(cls) -> "CaltrackDailySettings":
        """Gas meters: no CDD candidates (eemeter ``fit_cdd=False``)."""
        return cls(candidates=replace(CandidateRules(), fit_cdd=False))


@dataclass(frozen=True)
class BillingSettings:
    """CalTRACK 2.0 billing method (usage per day per period, weighted by days)."""

    candidates: CandidateRules = _f(
        CandidateRules(minimum_non_zero_hdd=0, minimum_non_zero_cdd=0),
        "Candidate rules with eemeter's billing presets (no minimum non-zero degree days).")
    min_temperature_coverage_per_period: float = _f(
        0.90, "A period's degree days need ≥ this fraction of its days with a temperature "
        "(CalTRACK 2.2.3.2), otherwise the period is not used in the fit.")
    max_period_days: int = _f(35, "Periods longer than this are not used (CalTRACK 2.2.3.4: > 35 days, monthly).")
    min_periods: int = _f(12, "Fewer usable periods than this gives the historical-mean fallback.")
