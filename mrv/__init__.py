"""Measurement & verification (MRV) of building energy savings: quality, baselines, savings,
avoided CO2e and carbon credits — pure functions, no I/O (the CLI in :mod:`mrv.cli` reads files).

The public API of every module is re-exported here and imported lazily on first use (PEP 562),
so ``import mrv.flags`` in a streaming UDF does not pull in pandas, scipy or statsmodels.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, tuple[str, ...]] = {
    "mrv.flags": ("QualityFlag",),
    "mrv.settings": ("AshraeG14Settings", "CreditSettings", "MrvSettings", "QualitySettings",
                     "SavingsSettings"),
    "mrv.quality": ("Gap", "QualityResult", "QualityStatus", "assess_meter_quality"),
    "mrv.series": ("DailySeries", "aggregate_intervals_to_local_days", "celsius_to_fahrenheit",
                   "daily_mean_temperature_f"),
    "mrv.fit_statistics": ("FitStatistics", "ashrae_g14_acceptance"),
    "mrv.baselines": ("BaselineModel", "BillingSettings", "CaltrackDailySettings", "fit_caltrack_billing",
                      "fit_caltrack_daily", "fit_historical_mean", "fit_occupancy_normalised",
                      "fit_static"),
    "mrv.savings": ("DailySavings", "MonthlySavings", "SavingsResult", "compute_savings"),
    "mrv.savings_uncertainty": ("SavingsUncertainty", "compute_savings_uncertainty"),
    "mrv.emission_factors": ("DEFAULT_EMISSION_FACTORS", "AvoidedCo2eResult", "DailyAvoidedCo2e",
                             "EmissionFactor", "compute_avoided_co2e", "kg_per_kwh_from_lb_per_mwh",
                             "select_emission_factors"),
    "mrv.credits": ("BuildingEvent", "BuildingEventKind", "CreditAssessment", "QualityReview",
                    "assess_credits", "compute_issuable_credits_t"),
    "mrv.credit_lifecycle": ("AuditEntry", "CreditBatch", "CreditIneligibleError", "CreditState",
                             "IllegalCreditTransition", "create_credit_batch", "transition_credit_batch"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    """Import the defining module on first access of a public name."""
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'mrv' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
