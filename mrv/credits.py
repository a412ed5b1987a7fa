"""Carbon-credit eligibility and conservative issuance (1 credit = 1 t CO2e avoided).

Eligibility (platform rules; every failed rule is a named reason, every passed rule a named check):

1. valid baseline — no disqualification (CalTRACK sufficiency) and ASHRAE G14 fit criteria met
   (|NMBE| and CV(RMSE) within the configured limits);
2. positive reduction — avoided CO2e > 0;
3. monitoring quality — reporting data OK or INTERPOLATED; FLAGGED only with an approving review
   record; REJECTED never;
4. additionality — a declared retrofit on or before the reporting start, and no occupancy drop,
   shutdown or equipment failure overlapping the reporting period (savings from those are not
   caused by the intervention);
5. a defined savings uncertainty, every reporting day covered by one emission factor, and a
   reporting period inside one calendar year (vintage = that year).

Issued credits (conservative, whole tonnes, Decimal):

    issuable_t = min( floor(avoided_t · (1 − FSU)), floor(avoided_t) ),  and 0 if negative,

where FSU is the ASHRAE G14 fractional savings uncertainty at the chosen confidence. Because the
half-width of the savings interval is ΔE = FSU · E_save, avoided_t · (1 − FSU) is exactly the lower
confidence bound of the avoided tonnes (emission factors are taken as exact). Issued credits can
therefore never exceed the avoided tonnes.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from enum import Enum
from typing import Any, Sequence

from mrv.emission_factors import AvoidedCo2eResult
from mrv.fit_statistics import ashrae_g14_acceptance
from mrv.flags import QualityFlag
from mrv.quality import QualityStatus
from mrv.savings import SavingsResult
from mrv.settings import AshraeG14Settings, CreditSettings

__all__ = [
    "BuildingEvent",
    "BuildingEventKind",
    "CreditAssessment",
    "QualityReview",
    "assess_credits",
    "compute_issuable_credits_t",
]

_KG_PER_T = Decimal(1000)
_GRAM_IN_T = Decimal("0.000001")


class BuildingEventKind(str, Enum):
    """Declared building events relevant to additionality."""

    RETROFIT = "RETROFIT"
    OCCUPANCY_DROP = "OCCUPANCY_DROP"
    SHUTDOWN = "SHUTDOWN"
    EQUIPMENT_FAILURE = "EQUIPMENT_FAILURE"


NON_ADDITIONAL_EVENTS = frozenset(
    {BuildingEventKind.OCCUPANCY_DROP, BuildingEventKind.SHUTDOWN, BuildingEventKind.EQUIPMENT_FAILURE})


@dataclass(frozen=True)
class BuildingEvent:
    """A declared event; ``end`` None means ongoing (dates inclusive)."""

    kind: BuildingEventKind
    start: dt.date
    end: dt.date | None = None
    description: str = ""

    def overlaps(self, start: dt.date, end: dt.date) -> bool:
        return self.start <= end and (self.end is None or self.end >= start)

    def to_dict(self) -> dict:
        return {"kind": self.kind.value, "start": self.start.isoformat(),
                "end": self.end.isoformat() if self.end else None, "description": self.description}

    @classmethod
    def from_dict(cls, d: dict) -> "BuildingEvent":
        return cls(BuildingEventKind(d["kind"]), dt.date.fromisoformat(d["start"]),
                   dt.date.fromisoformat(d["end"]) if d["end"] else None, d["description"])


@dataclass(frozen=True)
class QualityReview:
    """An explicit human review of FLAGGED monitoring data (who, when, decision, why)."""

    reviewer: str
    reviewed_at: dt.datetime
    approved: bool
    reason: str

    def to_dict(self) -> dict:
        return {"reviewer": self.reviewer, "reviewed_at": self.reviewed_at.isoformat(),
                "approved": self.approved, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict) -> "QualityReview":
        return cls(d["reviewer"], dt.datetime.fromisoformat(d["reviewed_at"]), d["approved"], d["reason"])


@dataclass(frozen=True)
class CreditAssessment:
    """The credit decision for one building and reporting period, with its named reasons."""

    building_id: str
    period_start: dt.date
    period_end: dt.date
    vintage: int
    avoided_co2e_t: Decimal
    fractional_savings_uncertainty: float | None
    issuable_credits_t: Decimal
    ineligibility_reasons: tuple[QualityFlag, ...]
    passed_checks: tuple[QualityFlag, ...]

    @property
    def eligible(self) -> bool:
        """True when no rule failed (derived from the named reasons, never stored alone)."""
        return not self.ineligibility_reasons

    def to_dict(self) -> dict:
        return {
            "building_id": self.building_id, "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(), "vintage": self.vintage,
            "avoided_co2e_t": str(self.avoided_co2e_t),
            "fractional_savings_uncertainty": self.fractional_savings_uncertainty,
            "issuable_credits_t": str(self.issuable_credits_t), "eligible": self.eligible,
            "ineligibility_reasons": [f.to_dict() for f in self.ineligibility_reasons],
            "passed_checks": [f.to_dict() for f in self.passed_checks],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "CreditAssessment":
        return cls(
            building_id=d["building_id"], period_start=dt.date.fromisoformat(d["period_start"]),
            period_end=dt.date.fromisoformat(d["period_end"]), vintage=d["vintage"],
            avoided_co2e_t=Decimal(d["avoided_co2e_t"]),
            fractional_savings_uncertainty=d["fractional_savings_uncertainty"],
            issuable_credits_t=Decimal(d["issuable_credits_t"]),
            ineligibility_reasons=tuple(QualityFlag.from_dict(f) for f in d["ineligibility_reasons"]),
            passed_checks=tuple(QualityFlag.from_dict(f) for f in d["passed_checks"]),
        )


def compute_issuable_credits_t(avoided_co2e_t: Decimal, fractional_uncertainty: float) -> Decimal:
    """Whole tonnes: min(floor(avoided_t · (1 − FSU)), floor(avoided_t)), never below 0."""
    if avoided_co2e_t <= 0 or not math.isfinite(fractional_uncertainty) or fractional_uncertainty < 0:
        return Decimal(0)
    lower_bound_t = avoided_co2e_t * (Decimal(1) - Decimal(str(fractional_uncertainty)))
    whole_t = min(lower_bound_t, avoided_co2e_t).to_integral_value(rounding=ROUND_FLOOR)
    return max(whole_t, Decimal(0))


def assess_credits(
    model: Any,
    savings: SavingsResult,
    avoided: AvoidedCo2eResult,
    monitoring_status: QualityStatus,
    *,
    events: Sequence[BuildingEvent] = (),
    review: QualityReview | None = None,
    building_id: str = "",
    settings: CreditSettings = CreditSettings(),
) -> CreditAssessment:
    """Apply the eligibility rules (module docstring) and size the conservative issuance."""
    start, end = savings.period_start, savings.period_end
    avoided_t = _tonnes_to_the_gram(avoided.avoided_co2e_kg)
    fsu = savings.uncertainty.fractional_savings_uncertainty if savings.uncertainty else None
    outcomes = (
        _check_baseline(model, settings.fit_criteria)
        + _check_reduction(avoided_t, fsu)
        + _check_monitoring(monitoring_status, review)
        + _check_additionality(events, start, end)
        + _check_period_and_factors(start, end, avoided, settings)
    )
    failed = tuple(flag for ok, flag in outcomes if not ok)
    issuable = compute_issuable_credits_t(avoided_t, fsu) if not failed and fsu is not None else Decimal(0)
    return CreditAssessment(
        building_id=building_id, period_start=start, period_end=end, vintage=start.year,
        avoided_co2e_t=avoided_t, fractional_savings_uncertainty=fsu, issuable_credits_t=issuable,
        ineligibility_reasons=failed, passed_checks=tuple(flag for ok, flag in outcomes if ok),
    )


_Outcome = tuple[bool, QualityFlag]


def _tonnes_to_the_gram(co2e_kg: float) -> Decimal:
    """kg (float sum) → t as Decimal rounded half-even to 1 g, dropping float summation noise."""
    return (Decimal(repr(float(co2e_kg))) / _KG_PER_T).quantize(_GRAM_IN_T, rounding=ROUND_HALF_EVEN)


def _check_baseline(model: Any, limits: AshraeG14Settings) -> list[_Outcome]:
    """Rule 1: no disqualification; ASHRAE G14 |NMBE| ≤ limit and CV(RMSE) ≤ limit."""
    names = [f.name for f in model.disqualifications]
    stats = model.fit_statistics
    data = {"cvrmse": float(stats.cvrmse), "nmbe": float(stats.nmbe), "cvrmse_max": limits.cvrmse_max,
            "nmbe_max": limits.nmbe_max, "granularity": limits.granularity}
    fit_ok = not ashrae_g14_acceptance(stats, limits)
    return [
        (not names, QualityFlag("baseline_disqualified", "The baseline model is disqualified.",
                                {"disqualifications": names}) if names else
         QualityFlag("baseline_sufficient", "The baseline model has no disqualification.", {})),
        (fit_ok, QualityFlag("baseline_fails_fit_criteria" if not fit_ok else "baseline_meets_fit_criteria",
                             "ASHRAE Guideline 14 calibration limits (CV(RMSE), NMBE).", data)),
    ]


def _check_reduction(avoided_t: Decimal, fsu: float | None) -> list[_Outcome]:
    """Rule 2 and the uncertainty part of rule 5."""
    positive = avoided_t > 0
    outcomes = [(positive, QualityFlag(
        "positive_reduction" if positive else "no_positive_reduction",
        "Avoided emissions must be positive.", {"avoided_co2e_t": str(avoided_t)}))]
    if positive:
        defined = fsu is not None
        outcomes.append((defined, QualityFlag(
            "savings_uncertainty_defined" if defined else "savings_uncertainty_undefined",
            "The ASHRAE G14 fractional savings uncertainty is needed for conservative issuance.",
            {"fractional_savings_uncertainty": fsu})))
    return outcomes


def _check_monitoring(status: QualityStatus, review: QualityReview | None) -> list[_Outcome]:
    """Rule 3: OK or INTERPOLATED; FLAGGED only with an approving review; REJECTED never."""
    data = {"status": status.value, "review": review.to_dict() if review else None}
    if status in (QualityStatus.OK, QualityStatus.INTERPOLATED):
        return [(True, QualityFlag("monitoring_quality_acceptable", "Monitoring data is usable.", data))]
    if status is QualityStatus.REJECTED:
        return [(False, QualityFlag("monitoring_data_rejected", "Monitoring data was rejected.", data))]
    if review is None:
        return [(False, QualityFlag("monitoring_data_not_reviewed",
                                    "FLAGGED monitoring data needs an explicit review.", data))]
    if not review.approved:
        return [(False, QualityFlag("monitoring_review_rejected", "The reviewer rejected the data.", data))]
    return [(True, QualityFlag("monitoring_data_review_approved", "FLAGGED data approved on review.", data))]


def _check_additionality(events: Sequence[BuildingEvent], start: dt.date, end: dt.date) -> list[_Outcome]:
    """Rule 4: a retrofit by the reporting start; no non-additional event in the period."""
    retrofits = [e for e in events if e.kind is BuildingEventKind.RETROFIT]
    in_time = [e for e in retrofits if e.start <= start]
    outcomes = [(bool(in_time), QualityFlag(
        "declared_retrofit" if in_time else
        ("retrofit_after_reporting_start" if retrofits else "no_declared_retrofit"),
        "Savings must follow a declared retrofit completed by the reporting start.",
        {"retrofits": [e.to_dict() for e in retrofits]}))]
    blocking = [e for e in events if e.kind in NON_ADDITIONAL_EVENTS and e.overlaps(start, end)]
    outcomes.append((not blocking, QualityFlag(
        "non_additional_events" if blocking else "no_non_additional_events",
        "Occupancy drops, shutdowns and equipment failures in the period make savings non-additional.",
        {"events": [e.to_dict() for e in blocking]})))
    return outcomes


def _check_period_and_factors(
    start: dt.date, end: dt.date, avoided: AvoidedCo2eResult, settings: CreditSettings
) -> list[_Outcome]:
    """Rule 5: vintage needs one calendar year; every day needs exactly one emission factor."""
    outcomes = []
    if settings.require_single_calendar_year:
        one_year = start.year == end.year
        outcomes.append((one_year, QualityFlag(
            "single_calendar_year" if one_year else "reporting_period_spans_calendar_years",
            "Vintage is the reporting period's year; split periods that span years.",
            {"period_start": start.isoformat(), "period_end": end.isoformat()})))
    if settings.block_on_missing_emission_factor:
        problems = [f for f in avoided.flags
                    if f.name in ("missing_emission_factor", "ambiguous_emission_factor")]
        outcomes.append((not problems, QualityFlag(
            "emission_factor_gaps" if problems else "emission_factors_complete",
            "Every reporting day with savings needs exactly one valid emission factor.",
            {"flags": [f.to_dict() for f in problems],
             "factors": [f.to_dict() for f in avoided.factors]})))
    return outcomes
