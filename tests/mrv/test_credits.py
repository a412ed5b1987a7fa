"""Credit eligibility rules, conservative issuance and the credit lifecycle."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st
from scipy import stats

from mrv.credit_lifecycle import (
    CreditBatch, CreditIneligibleError, CreditState, IllegalCreditTransition, create_credit_batch,
    transition_credit_batch,
)
from mrv.credits import (
    BuildingEvent, BuildingEventKind, CreditAssessment, QualityReview, assess_credits,
    compute_issuable_credits_t,
)
from mrv.emission_factors import compute_avoided_co2e
from mrv.flags import QualityFlag
from mrv.quality import QualityStatus
from mrv.savings import compute_savings
from tests.utils.mrv_factories import (
    StubBaselineModel, StubFitStatistics, avoided_result, daily_series, savings_result,
)

Y2024 = dt.date(2024, 1, 1)
RETROFIT = BuildingEvent(BuildingEventKind.RETROFIT, dt.date(2023, 12, 1), dt.date(2023, 12, 20))
T0 = dt.datetime(2025, 2, 1, 9, 0, tzinfo=dt.timezone.utc)


def _assess(model=None, usage_kwh=4000.0, n_days=366, status=QualityStatus.OK, region="UK",
            events=(RETROFIT,), start=Y2024, **kw):
    model = model or StubBaselineModel(intercept_kwh_per_day=5000.0)
    savings = compute_savings(model, daily_series(start, [usage_kwh] * n_days))
    avoided = compute_avoided_co2e(savings, region)
    return assess_credits(model, savings, avoided, status, events=events, building_id="b1", **kw)


def _reasons(assessment):
    return [f.name for f in assessment.ineligibility_reasons]


@pytest.mark.parametrize(("avoided_t", "fsu", "expected"), [
    ("100", 0.2, 80), ("10.9", 0.05, 10), ("10.9", 0.0, 10), ("0.99", 0.0, 0),
    ("5", 1.0, 0), ("5", 1.7, 0), ("-3", 0.1, 0), ("0", 0.1, 0),
])
def test_issuable_credits_are_whole_conservative_tonnes(avoided_t, fsu, expected):
    assert compute_issuable_credits_t(Decimal(avoided_t), fsu) == Decimal(expected)


def test_credits_eligible_building_gets_floor_of_lower_bound():
    # 366 days · 1000 kWh/day saved = 366 000 kWh; × 0.20705 kg/kWh (UK 2024) = 75.7803 t
    result = _assess()
    t_stat = stats.t.ppf(0.95, 363)
    fsu = t_stat * 1.26 * 0.10 * math.sqrt((1 + 2 / 365) / 366) / 0.2  # F = 1000/5000
    assert result.eligible and result.ineligibility_reasons == ()
    assert result.avoided_co2e_t == Decimal("75.7803")
    assert result.fractional_savings_uncertainty == pytest.approx(fsu)
    assert result.issuable_credits_t == Decimal(math.floor(75.7803 * (1 - fsu))) == Decimal(71)
    assert result.vintage == 2024
    assert {"baseline_sufficient", "baseline_meets_fit_criteria", "positive_reduction",
            "declared_retrofit", "emission_factors_complete"} <= {f.name for f in result.passed_checks}


def test_credits_disqualified_baseline_is_ineligible():
    flag = QualityFlag("too_many_days_with_missing_data", "x", {})
    result = _assess(model=StubBaselineModel(intercept_kwh_per_day=5000.0, disqualifications=(flag,)))
    assert _reasons(result) == ["baseline_disqualified"] and result.issuable_credits_t == 0
    assert result.ineligibility_reasons[0].data["disqualifications"] == ["too_many_days_with_missing_data"]


@pytest.mark.parametrize("fit", [StubFitStatistics(cvrmse=0.31), StubFitStatistics(nmbe=-0.11),
                                 StubFitStatistics(cvrmse=float("nan"))])
def test_credits_baseline_failing_ashrae_limits_is_ineligible(fit):
    result = _assess(model=StubBaselineModel(intercept_kwh_per_day=5000.0, fit_statistics=fit))
    assert _reasons(result)[0] == "baseline_fails_fit_criteria" and result.issuable_credits_t == 0


def test_credits_no_reduction_is_ineligible():
    result = _assess(usage_kwh=5100.0)
    assert "no_positive_reduction" in _reasons(result) and result.issuable_credits_t == 0


def test_credits_rejected_monitoring_data_is_ineligible():
    result = _assess(status=QualityStatus.REJECTED)
    assert _reasons(result) == ["monitoring_data_rejected"] and result.issuable_credits_t == 0


def test_credits_interpolated_monitoring_data_is_eligible():
    assert _assess(status=QualityStatus.INTERPOLATED).eligible


def test_credits_flagged_data_needs_an_approving_review():
    assert _reasons(_assess(status=QualityStatus.FLAGGED)) == ["monitoring_data_not_reviewed"]
    rejected = QualityReview("auditor@example.org", T0, False, "gap covers the retrofit month")
    assert _reasons(_assess(status=QualityStatus.FLAGGED, review=rejected)) == ["monitoring_review_rejected"]
    approved = QualityReview("auditor@example.org", T0, True, "gap explained by meter swap")
    result = _assess(status=QualityStatus.FLAGGED, review=approved)
    assert result.eligible and "monitoring_data_review_approved" in [f.name for f in result.passed_checks]


@pytest.mark.parametrize(("events", "reason"), [
    ((), "no_declared_retrofit"),
    ((BuildingEvent(BuildingEventKind.RETROFIT, dt.date(2024, 3, 1)),), "retrofit_after_reporting_start"),
    ((RETROFIT, BuildingEvent(BuildingEventKind.SHUTDOWN, dt.date(2024, 7, 1), dt.date(2024, 7, 14))),
     "non_additional_events"),
    ((RETROFIT, BuildingEvent(BuildingEventKind.OCCUPANCY_DROP, dt.date(2023, 6, 1))), "non_additional_events"),
    ((RETROFIT, BuildingEvent(BuildingEventKind.EQUIPMENT_FAILURE, dt.date(2024, 12, 31))),
     "non_additional_events"),
])
def test_credits_additionality_from_declared_events(events, reason):
    assert _reasons(_assess(events=events)) == [reason]


def test_credits_event_before_reporting_period_does_not_block():
    ended = BuildingEvent(BuildingEventKind.SHUTDOWN, dt.date(2023, 5, 1), dt.date(2023, 5, 31))
    assert _assess(events=(RETROFIT, ended)).eligible


def test_credits_period_spanning_two_years_is_ineligible():
    result = _assess(start=dt.date(2023, 7, 1), n_days=365, events=(
        BuildingEvent(BuildingEventKind.RETROFIT, dt.date(2023, 6, 1)),))
    assert _reasons(result) == ["reporting_period_spans_calendar_years"]


def test_credits_missing_emission_factor_is_ineligible():
    result = _assess(region="NOWHERE")
    assert "emission_factor_gaps" in _reasons(result) and result.issuable_credits_t == 0


def test_credits_assessment_json_round_trip():
    result = _assess(status=QualityStatus.FLAGGED)
    restored = CreditAssessment.from_dict(json.loads(json.dumps(result.to_dict())))
    assert restored == result and not restored.eligible


@hsettings(max_examples=300, deadline=None)
@given(
    avoided_kg=st.floats(-1e8, 1e8, allow_nan=False),
    fsu=st.one_of(st.none(), st.floats(0.0, 3.0)),
    status=st.sampled_from(list(QualityStatus)),
    reviewed=st.booleans(),
)
def test_credits_never_exceed_avoided_tonnes_nor_issue_on_rejected_data(avoided_kg, fsu, status, reviewed):
    review = QualityReview("r", T0, True, "ok") if reviewed else None
    result = assess_credits(
        StubBaselineModel(), savings_result(avoided_kg / 0.2, fsu, Y2024, dt.date(2024, 12, 31)),
        avoided_result(avoided_kg), status, events=(RETROFIT,), review=review)
    issued = result.issuable_credits_t
    assert issued == issued.to_integral_value() and issued >= 0
    assert issued <= max(result.avoided_co2e_t, Decimal(0))
    if status is QualityStatus.REJECTED:
        assert issued == 0 and "monitoring_data_rejected" in _reasons(result)
    if issued > 0:
        assert result.eligible


def _batch():
    return create_credit_batch(_assess(), "batch-1", "registry-bot", T0, "assessment 2024 approved")


def test_lifecycle_pending_issued_retired_keeps_every_step():
    pending = _batch()
    issued = transition_credit_batch(pending, CreditState.ISSUED, "registrar", T0 + dt.timedelta(days=1),
                                     "verified by auditor")
    retired = transition_credit_batch(issued, CreditState.RETIRED, "buyer-co", T0 + dt.timedelta(days=9),
                                      "offset FY2025 scope 2")
    assert pending.state is CreditState.PENDING and pending.quantity_t == Decimal(71)
    assert [e.to_state for e in retired.audit_trail] == list(CreditState)
    assert retired.audit_trail[:2] == issued.audit_trail and len(pending.audit_trail) == 1
    assert retired.audit_trail[-1].actor == "buyer-co"


@pytest.mark.parametrize(("path", "target"), [
    ((), CreditState.RETIRED), ((), CreditState.PENDING),
    ((CreditState.ISSUED, CreditState.RETIRED), CreditState.ISSUED),
    ((CreditState.ISSUED,), CreditState.ISSUED),
])
def test_lifecycle_illegal_transitions_raise_clear_errors(path, target):
    batch = _batch()
    for i, state in enumerate(path):
        batch = transition_credit_batch(batch, state, "a", T0 + dt.timedelta(hours=i + 1), "step")
    with pytest.raises(IllegalCreditTransition, match=f"{batch.state.value} -> {target.value} is not allowed"):
        transition_credit_batch(batch, target, "a", T0 + dt.timedelta(days=5), "try")


def test_lifecycle_refuses_ineligible_assessment():
    with pytest.raises(CreditIneligibleError, match="monitoring_data_rejected"):
        create_credit_batch(_assess(status=QualityStatus.REJECTED), "b", "bot", T0, "try")


@pytest.mark.parametrize(("actor", "at", "reason"), [
    ("", T0 + dt.timedelta(days=1), "why"), ("a", T0 + dt.timedelta(days=1), " "),
    ("a", dt.datetime(2025, 3, 1), "why"),
])
def test_lifecycle_entries_need_actor_reason_and_aware_time(actor, at, reason):
    with pytest.raises(ValueError):
        transition_credit_batch(_batch(), CreditState.ISSUED, actor, at, reason)


def test_lifecycle_refuses_entries_out_of_time_order():
    with pytest.raises(IllegalCreditTransition, match="time order"):
        transition_credit_batch(_batch(), CreditState.ISSUED, "a", T0 - dt.timedelta(days=1), "backdated")


def test_lifecycle_json_round_trip_and_tampered_trail_is_refused():
    batch = transition_credit_batch(_batch(), CreditState.ISSUED, "r", T0 + dt.timedelta(days=1), "ok")
    data = json.loads(json.dumps(batch.to_dict()))
    assert CreditBatch.from_dict(data) == batch
    data["audit_trail"][1]["to_state"] = "RETIRED"
    with pytest.raises(IllegalCreditTransition):
        CreditBatch.from_dict(data)


def test_events_and_reviews_json_round_trip():
    event = BuildingEvent(BuildingEventKind.OCCUPANCY_DROP, dt.date(2024, 3, 1), None, "tenant left")
    review = QualityReview("auditor", T0, True, "explained")
    assert BuildingEvent.from_dict(json.loads(json.dumps(event.to_dict()))) == event
    assert QualityReview.from_dict(json.loads(json.dumps(review.to_dict()))) == review


def test_credits_end_to_end_on_a_caltrack_baseline():
    baselines = pytest.importorskip("mrv.baselines", reason="mrv.baselines is built on the mrv-baselines branch")
    from mrv.quality import assess_meter_quality
    from mrv.series import DailySeries

    days = [dt.date(2023, 1, 1) + dt.timedelta(days=i) for i in range(731)]
    temp_f = 55.0 + 25.0 * np.sin(2 * np.pi * (np.arange(731) - 100) / 365.0)
    true_kwh = 500.0 + 12.0 * np.maximum(60.0 - temp_f, 0.0)
    noise_kwh = np.where(np.arange(731) % 2 == 0, 1.0, -1.0)
    usage = np.where(np.arange(731) >= 365, 0.8 * true_kwh, true_kwh + noise_kwh)
    model = baselines.fit_caltrack_daily(DailySeries(tuple(days[:365]), usage[:365], temp_f[:365]))
    quality = assess_meter_quality(days[365:], usage[365:], period_start=days[365], period_end=days[-1])
    savings = compute_savings(model, DailySeries(tuple(days[365:]), quality.usage_kwh, temp_f[365:]))
    avoided = compute_avoided_co2e(savings, "UK")
    result = assess_credits(model, savings, avoided, quality.status, events=(RETROFIT,))
    fsu = savings.uncertainty.fractional_savings_uncertainty
    assert result.eligible and result.vintage == 2024 and 0 < fsu < 0.05
    assert result.avoided_co2e_t == pytest.approx(Decimal(0.2 * true_kwh[365:].sum() * 0.20705 / 1000),
                                                  rel=Decimal("0.005"))
    assert result.issuable_credits_t == Decimal(math.floor(float(result.avoided_co2e_t) * (1 - fsu)))
