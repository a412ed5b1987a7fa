"""Savings (IPMVP Option C) and ASHRAE G14 uncertainty on hand-built series.

The baseline is a stand-in implementing the contract's BaselineModel interface: savings are a
pure function of predict_daily_kwh and fit_statistics, so the maths is tested on its own.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from mrv.savings import SavingsResult, compute_savings
from mrv.savings_uncertainty import compute_savings_uncertainty
from mrv.settings import SavingsSettings
from tests.utils.mrv_factories import StubBaselineModel, StubFitStatistics, daily_series

JAN1 = dt.date(2024, 1, 1)


def _names(result):
    return [f.name for f in result.flags]


def test_savings_constant_baseline_totals_and_months():
    # 31 January + 29 February days, baseline 500 kWh/day, actual 400 kWh/day -> 100 kWh/day
    result = compute_savings(StubBaselineModel(), daily_series(JAN1, [400.0] * 60))
    assert result.avoided_kwh == pytest.approx(6000.0)
    assert result.baseline_kwh == pytest.approx(30000.0) and result.actual_kwh == pytest.approx(24000.0)
    assert [(m.month, m.n_days, m.savings_kwh) for m in result.monthly] == [
        ("2024-01", 31, pytest.approx(3100.0)), ("2024-02", 29, pytest.approx(2900.0))]
    assert result.fractional_savings == pytest.approx(0.2)


def test_savings_follow_the_weather_normalised_prediction():
    # μ = 500, β_H = 12 kWh/HDD at 60 °F; a 50 °F day predicts 500 + 12·10 = 620 kWh
    model = StubBaselineModel(beta_hdd_kwh_per_hdd=12.0)
    result = compute_savings(model, daily_series(JAN1, [600.0, 600.0], temp_f=[50.0, 70.0]))
    assert [d.baseline_kwh for d in result.daily] == [620.0, 500.0]
    assert [d.savings_kwh for d in result.daily] == [20.0, -100.0]
    assert result.avoided_kwh == pytest.approx(-80.0)


def test_savings_missing_actual_days_are_excluded_and_flagged():
    usage = [400.0] * 10
    usage[3] = np.nan
    result = compute_savings(StubBaselineModel(), daily_series(JAN1, usage))
    assert result.n_days == 10 and result.n_days_used == 9
    assert result.avoided_kwh == pytest.approx(900.0)
    flag = next(f for f in result.flags if f.name == "missing_actual_usage_days")
    assert flag.data == {"dates": ["2024-01-04"], "count": 1}
    assert result.daily[3].savings_kwh is None and result.daily[3].actual_kwh is None


def test_savings_missing_temperature_days_are_excluded_and_flagged():
    temps = [60.0] * 5
    temps[1] = np.nan
    result = compute_savings(StubBaselineModel(), daily_series(JAN1, [400.0] * 5, temp_f=temps))
    assert result.n_days_used == 4 and result.avoided_kwh == pytest.approx(400.0)
    assert "missing_temperature_days" in _names(result)


def test_savings_without_usable_days_is_flagged():
    result = compute_savings(StubBaselineModel(), daily_series(JAN1, [np.nan] * 3))
    assert result.avoided_kwh == 0.0 and result.uncertainty is None
    assert {"no_reporting_days_with_data", "savings_uncertainty_undefined"} <= set(_names(result))


def test_savings_marks_interpolated_actual_days():
    marks = np.array([False, True, False])
    result = compute_savings(StubBaselineModel(), daily_series(JAN1, [400.0] * 3),
                             actual_is_interpolated=marks)
    assert [d.actual_is_interpolated for d in result.daily] == [False, True, False]


def test_uncertainty_ashrae_g14_worked_example():
    # n = 100, ρ = 1/3 -> n' = 50; (n/n')(1 + 2/n')/m = 2 · 1.04 / 52 = 0.04 -> sqrt = 0.2
    # CV = 0.25 -> 1.26 · 0.25 · 0.2 = 0.063; E_base = 26 000, E_save = 5 200 (F = 0.2)
    # t(0.95, 98 dof) = 1.66055 -> ΔE = 1.66055 · 0.063 · 26 000 = 2 719.98 kWh, FSU = 0.52307
    stats = StubFitStatistics(n_points=100, n_parameters=2, cvrmse=0.25, autocorrelation_lag1=1 / 3)
    unc, flags = compute_savings_uncertainty(stats, 52, 26000.0, 5200.0, SavingsSettings())
    assert flags == ()
    assert unc.n_prime == pytest.approx(50.0)
    assert unc.t_statistic == pytest.approx(1.66055, abs=1e-5)
    assert unc.savings_uncertainty_kwh == pytest.approx(2719.98, abs=0.05)
    assert unc.fractional_savings_uncertainty == pytest.approx(0.52307, abs=1e-5)


def test_uncertainty_grows_with_confidence():
    stats = StubFitStatistics(n_points=100, cvrmse=0.25, autocorrelation_lag1=0.0)
    u90, _ = compute_savings_uncertainty(stats, 52, 26000.0, 5200.0, SavingsSettings(confidence=0.90))
    u95, _ = compute_savings_uncertainty(stats, 52, 26000.0, 5200.0, SavingsSettings(confidence=0.95))
    assert u95.fractional_savings_uncertainty > u90.fractional_savings_uncertainty


def test_uncertainty_negative_autocorrelation_is_clipped_by_default():
    stats = StubFitStatistics(n_points=100, cvrmse=0.25, autocorrelation_lag1=-0.5)
    clipped, _ = compute_savings_uncertainty(stats, 52, 26000.0, 5200.0, SavingsSettings())
    raw, _ = compute_savings_uncertainty(
        stats, 52, 26000.0, 5200.0, SavingsSettings(clip_negative_autocorrelation=False))
    assert clipped.n_prime == pytest.approx(100.0) and raw.n_prime == pytest.approx(300.0)


def test_uncertainty_is_undefined_for_non_positive_savings():
    unc, flags = compute_savings_uncertainty(StubFitStatistics(), 30, 15000.0, -10.0)
    assert unc.fractional_savings_uncertainty is None and unc.savings_uncertainty_kwh > 0
    assert [f.name for f in flags] == ["fractional_uncertainty_undefined_for_non_positive_savings"]


@pytest.mark.parametrize(("stats", "reason"), [
    (StubFitStatistics(autocorrelation_lag1=None), "lag-1 autocorrelation"),
    (StubFitStatistics(autocorrelation_lag1=float("nan")), "lag-1 autocorrelation"),
    (StubFitStatistics(n_points=2, n_parameters=2), "degrees of freedom"),
    (StubFitStatistics(cvrmse=float("nan")), "cvrmse"),
])
def test_uncertainty_undefined_inputs_are_named(stats, reason):
    unc, flags = compute_savings_uncertainty(stats, 30, 15000.0, 100.0)
    assert unc is None and flags[0].name == "savings_uncertainty_undefined"
    assert reason in flags[0].data["reason"]


def test_savings_result_json_round_trip():
    usage = [400.0] * 40
    usage[5] = np.nan
    result = compute_savings(StubBaselineModel(), daily_series(JAN1, usage))
    restored = SavingsResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert restored == result


class _ConstantModel:
    """A model that needs no temperature (like intercept_only / static)."""

    fit_statistics = StubFitStatistics()

    def predict_daily_kwh(self, temp_f, *, occupancy_pct=None):
        base = np.full(len(temp_f), 500.0)
        return base if occupancy_pct is None else base + 2.0 * np.asarray(occupancy_pct)


def test_savings_models_without_weather_terms_keep_days_without_temperature():
    result = compute_savings(_ConstantModel(), daily_series(JAN1, [400.0] * 3, temp_f=[np.nan] * 3))
    assert result.n_days_used == 3 and "missing_temperature_days" not in _names(result)


def test_savings_pass_occupancy_to_the_baseline():
    result = compute_savings(_ConstantModel(), daily_series(JAN1, [400.0] * 2), occupancy_pct=[50.0, 0.0])
    assert [d.baseline_kwh for d in result.daily] == [600.0, 500.0]


def test_savings_day_without_prediction_is_flagged():
    class _Gappy(_ConstantModel):
        def predict_daily_kwh(self, temp_f, *, occupancy_pct=None):
            return np.array([500.0, np.nan])

    result = compute_savings(_Gappy(), daily_series(JAN1, [400.0] * 2))
    assert "missing_prediction_days" in _names(result) and result.n_days_used == 1
