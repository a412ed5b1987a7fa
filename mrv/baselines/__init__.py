"""Baselines: what a building would have used without the retrofit (CalTRACK daily, billing, simple).

Public API: :func:`fit_caltrack_daily` (default), :func:`fit_caltrack_billing`,
:func:`fit_historical_mean`, :func:`fit_static`, :func:`fit_occupancy_normalised`, the
:class:`BaselineModel` they return, and their frozen settings.
"""

from mrv.baselines.caltrack_daily import fit_caltrack_daily
from mrv.baselines.model import MODEL_TYPES, BaselineModel
from mrv.baselines.settings import (
    BillingSettings,
    CaltrackDailySettings,
    CandidateRules,
    SufficiencyRules,
)

__all__ = [
    "MODEL_TYPES",
    "BaselineModel",
    "BillingSettings",
    "CaltrackDailySettings",
    "CandidateRules",
    "SufficiencyRules",
    "fit_caltrack_daily",
]
