"""CalTRACK daily baseline on hand-built buildings whose answer is known by construction."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import statsmodels.api as sm

from mrv.baselines import BaselineModel, CaltrackDailySettings, CandidateRules, fit_caltrack_daily
from mrv.baselines.candidates import evaluate_candidates
from mrv.degree_days import cooling_degree_days, heating_degree_days
from mrv.series import DailySeries
from tests.mrv.oracle.synthetic import synthetic_series

HEATING = dict(intercept_kwh_per_day=500.0, beta_hdd=12.0, heating_bp_f=60.0)
COOLING = dict(intercept_kwh_per_day=300.0, beta_cdd=20.0, cooling_bp_f=70.0)
BOTH = dict(intercept_kwh_per_day=200.0, beta_hdd=8.0, heating_bp_f=55.0, beta_cdd=15.0, cooling_bp_f=72.0)


def _names(flags) -> set[str]:
    return {flag.name for flag in flags}


@pytest.mark.parametrize("model, expected_type, expected", [
    (HEATING, "hdd_only",
     {"intercept_kwh_per_day": 500.0, "beta_hdd_kwh_per_hdd": 12.0, "heating_balance_point_f": 60.0}),
    (COOLING, "cdd_only",
     {"intercept_kwh_per_day": 300.0, "beta_cdd_kwh_per_cdd": 20.0, "cooling_balance_point_f": 70.0}),
    (BOTH, "hdd_cdd", {"intercept_kwh_per_day": 200.0, "beta_hdd_kwh_per_hdd": 8.0, "heating_balance_point_f": 55.0,
                       "beta_cdd_kwh_per_cdd": 15.0, "cooling_balance_point_f": 72.0}),
    (dict(intercept_kwh_per_day=400.0), "intercept_only", {"intercept_kwh_per_day": 400.0}),
])
def test_caltrack_daily_noise_free_building_is_recovered_exactly(model, expected_type, expected):
    fitted = fit_caltrack_daily(synthetic_series(seed=1, **model))
    assert fitted.status == "QUALIFIED"
    assert fitted.model_type == expected_type
    assert set(fitted.parameters) == set(expected)
    for name, value in expected.items():
        assert fitted.parameters[name] == pytest.approx(value, rel=1e-9), name


@pytest.mark.parametrize("seed", range(5))
def test_caltrack_daily_heating_building_with_noise_recovered_within_1_percent(seed):
    """μ = 500 kWh/day, β_H = 12 kWh/HDD at 60 °F, σ = 5 kWh/day (gas: no CDD candidates)."""
    series = synthetic_series(seed=seed, noise_kwh=5.0, **HEATING)
    fitted = fit_caltrack_daily(series, CaltrackDailySettings.for_gas())
    assert fitted.model_type == "hdd_only"
    assert fitted.parameters["heating_balance_point_f"] == 60.0
    assert fitted.parameters["intercept_kwh_per_day"] == pytest.approx(500.0, rel=0.01)
    assert fitted.parameters["beta_hdd_kwh_per_hdd"] == pytest.approx(12.0, rel=0.01)


@pytest.mark.parametrize("seed", range(5))
def test_caltrack_daily_cooling_building_with_noise_recovered_within_1_percent(seed):
    fitted = fit_caltrack_daily(synthetic_series(seed=seed, noise_kwh=5.0, **COOLING))
    assert fitted.model_type == "cdd_only"
    assert fitted.parameters["cooling_balance_point_f"] == 70.0
    assert fitted.parameters["intercept_kwh_per_day"] == pytest.approx(300.0, rel=0.01)
    assert fitted.parameters["beta_cdd_kwh_per_cdd"] == pytest.approx(20.0, rel=0.01)


def _statsmodels_fit(y: np.ndarray, t: np.ndarray, hbp: float, cbp: float):
    columns = [np.maximum(t - cbp, 0.0)] if np.isfinite(cbp) else []
    columns += [np.maximum(hbp - t, 0.0)] if np.isfinite(hbp) else []
    return sm.OLS(y, sm.add_constant(np.column_stack(columns))).fit()


@pytest.mark.parametrize("seed", range(6))
def test_caltrack_daily_p_value_rule_keeps_only_significant_slopes(seed):
    """CalTRACK 1.0's p ≤ 0.1 rule (off by default in 2.0): the chosen slopes pass statsmodels' t-test."""
    series = synthetic_series(seed=seed, intercept_kwh_per_day=400.0, noise_kwh=20.0)
    strict = CandidateRules(beta_hdd_maximum_p_value=0.1, beta_cdd_maximum_p_value=0.1)
    fitted = fit_caltrack_daily(series, CaltrackDailySettings(candidates=strict))
    if fitted.model_type == "intercept_only":
        return
    p = fitted.parameters
    result = _statsmodels_fit(series.usage_kwh, series.temp_f, p.get("heating_balance_point_f", np.nan),
                              p.get("cooling_balance_point_f", np.nan))
    assert np.all(result.pvalues[1:] <= 0.1)


def test_candidate_grid_matches_statsmodels_ols_adj_r2_and_p_values():
    series = synthetic_series(seed=7, noise_kwh=30.0, **BOTH)
    y, t = series.usage_kwh, series.temp_f
    ones = np.ones_like(y)
    bps = np.asarray(CandidateRules().balance_points_f, dtype=float)
    hdd, cdd = heating_degree_days(t, bps), cooling_degree_days(t, bps)
    grid = evaluate_candidates(y, hdd, cdd, ones, CandidateRules())
    attempted = np.flatnonzero(grid.attempted)
    assert attempted.size > 1000
    for index in attempted[1::97]:
        result = _statsmodels_fit(y, t, grid.heating_balance_point_f[index], grid.cooling_balance_point_f[index])
        assert grid.adj_r_squared[index] == pytest.approx(result.rsquared_adj, rel=1e-9, abs=1e-12)
        # a maximum p-value just below the largest slope p-value must disqualify the candidate
        p_max = float(np.max(result.pvalues[1:]))
        if p_max < 1e-250:
            continue
        tighter = CandidateRules(beta_hdd_maximum_p_value=p_max * 0.999, beta_cdd_maximum_p_value=p_max * 0.999)
        looser = CandidateRules(beta_hdd_maximum_p_value=min(1.0, p_max * 1.001),
                                beta_cdd_maximum_p_value=min(1.0, p_max * 1.001))
        assert not evaluate_candidates(y, hdd, cdd, ones, tighter).qualified[index]
        assert evaluate_candidates(y, hdd, cdd, ones, looser).qualified[index] == grid.qualified[index]


def _with(series: DailySeries, usage=None, temp=None) -> DailySeries:
    return DailySeries(series.dates, series.usage_kwh if usage is None else usage,
                       series.temp_f if temp is None else temp)


def _heating(n_days: int = 365) -> DailySeries:
    return synthetic_series(seed=3, n_days=n_days, noise_kwh=20.0, **HEATING)


@pytest.mark.parametrize("n_missing, disqualified", [(37, False), (38, True)])
def test_caltrack_daily_missing_usage_days_boundary(n_missing, disqualified):
    base = _heating()
    usage = base.usage_kwh.copy()
    usage[10:10 + n_missing] = np.nan
    names = _names(fit_caltrack_daily(_with(base, usage=usage)).disqualifications)
    assert ("too_many_days_with_missing_data" in names) is disqualified
    assert ("too_many_days_with_missing_meter_data" in names) is disqualified


def test_caltrack_daily_missing_temperature_disqualifies():
    base = _heating()
    temp = base.temp_f.copy()
    temp[::9] = np.nan   # 41 of 365 days: coverage 88.8 % < 90 %
    model = fit_caltrack_daily(_with(base, temp=temp))
    assert _names(model.disqualifications) == {"too_many_days_with_missing_data",
                                                "too_many_days_with_missing_temperature_data"}
    assert model.status == "DISQUALIFIED"
    assert model.model_type == "hdd_only"  # still fitted, for review


def test_caltrack_daily_short_baseline_disqualifies():
    model = fit_caltrack_daily(_heating(n_days=300))
    assert _names(model.disqualifications) == {"incorrect_number_of_total_days"}
    assert model.disqualifications[0].data["n_days_total"] == 300


def test_caltrack_daily_negative_usage_disqualifies():
    base = _heating()
    usage = base.usage_kwh.copy()
    usage[100] = -5.0
    assert _names(fit_caltrack_daily(_with(base, usage=usage)).disqualifications) == {"negative_meter_values"}


def test_caltrack_daily_no_data_and_no_model():
    base = _heating()
    empty = fit_caltrack_daily(_with(base, usage=np.full(365, np.nan)))
    assert empty.model_type == "no_model" and "no_data" in _names(empty.disqualifications)
    assert np.isnan(empty.predict_daily_kwh(np.array([50.0]))).all()
    negative = fit_caltrack_daily(_with(base, usage=-base.usage_kwh))
    assert negative.model_type == "no_model"
    assert "no_qualified_candidate_model" in _names(negative.disqualifications)


def test_caltrack_daily_extreme_values_are_warnings_not_disqualifications():
    base = _heating()
    usage = base.usage_kwh.copy()
    usage[200] = 50_000.0
    model = fit_caltrack_daily(_with(base, usage=usage))
    assert _names(model.warnings) == {"extreme_values_detected"}
    assert model.status == "QUALIFIED"


def test_baseline_model_json_round_trip_predicts_identically():
    model = fit_caltrack_daily(synthetic_series(seed=2, noise_kwh=15.0, **BOTH))
    restored = BaselineModel.from_dict(json.loads(json.dumps(model.to_dict())))
    temps = np.linspace(-20.0, 110.0, 1001)
    assert np.array_equal(restored.predict_daily_kwh(temps), model.predict_daily_kwh(temps))
    assert restored.to_dict() == model.to_dict()
    assert restored.fit_statistics == model.fit_statistics


def test_caltrack_daily_is_deterministic_and_stable_under_1e12_perturbation():
    series = synthetic_series(seed=9, noise_kwh=25.0, **BOTH)
    first, second = fit_caltrack_daily(series), fit_caltrack_daily(series)
    assert first.to_dict() == second.to_dict()
    bumped = fit_caltrack_daily(_with(series, usage=series.usage_kwh * (1 + 1e-12), temp=series.temp_f * (1 + 1e-12)))
    def key(model):
        return (model.model_type, model.parameters.get("heating_balance_point_f"),
                model.parameters.get("cooling_balance_point_f"))
    assert key(bumped) == key(first)
    temps = synthetic_series(seed=10, **BOTH).temp_f
    before, after = first.predict_daily_kwh(temps).sum(), bumped.predict_daily_kwh(temps).sum()
    assert abs(after - before) / abs(before) < 1e-9


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        CandidateRules().minimum_total_hdd = 0  # type: ignore[misc]
