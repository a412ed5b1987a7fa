"""Baselines: what a building would have used without the retrofit (CalTRACK daily, billing, simple).

Public API: :func:`fit_caltrack_daily` (default), :func:`fit_caltrack_billing`,
:func:`fit_historical_mean`, :func:`fit_static`, :func:`fit_occupancy_normalised`, the
:class:`BaselineModel` they return, and their frozen settings.
"""

from mrv.baselines.billing import BillingSeries, fit_caltrack_billing
from mrv.baselines.caltrack_daily import fit_caltrack_daily
from mrv.baselines.model import MODEL_TYPES, BaselineModel
from mrv.baselines.settings import (
    BillingSettings,
    CaltrackDailySettings,
    CandidateRules,
    SufficiencyRules,
)
from mrv.baselines.simple import fit_historical_mean, fit_occupancy_normalised, fit_static

__all__ = [
    "MODEL_TYPES",
    "BaselineModel",
    "BillingSeries",
    "BillingSettings",
    "CaltrackDailySettings",
    "CandidateRules",
    "SufficiencyRules",
    "fit_caltrack_billing",
    "fit_caltrack_daily",
    "fit_historical_mean",
    "fit_occupancy_normalised",
    "fit_static",
]
