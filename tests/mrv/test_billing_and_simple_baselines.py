"""Billing (monthly), historical-mean, static and occupancy-normalised baselines with known answers."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from mrv.baselines import (
    BaselineModel,
    BillingSeries,
    fit_caltrack_billing,
    fit_historical_mean,
    fit_occupancy_normalised,
    fit_static,
)
from mrv.series import DailySeries
from tests.mrv.oracle.synthetic import synthetic_series

BOTH = dict(intercept_kwh_per_day=200.0, beta_hdd=8.0, heating_bp_f=55.0, beta_cdd=15.0, cooling_bp_f=72.0)


def _monthly(daily: DailySeries, with_temperature: bool = True) -> BillingSeries:
    """Calendar-month billing periods summed from a daily series."""
    months = sorted({(d.year, d.month) for d in daily.dates})
    starts, ends, usage = [], [], []
    for year, month in months:
        idx = [i for i, d in enumerate(daily.dates) if (d.year, d.month) == (year, month)]
        starts.append(daily.dates[idx[0]])
        ends.append(daily.dates[idx[-1]])
        usage.append(daily.usage_kwh[idx].sum())
    temps = dict(temp_dates=daily.dates, temp_f=daily.temp_f) if with_temperature else {}
    return BillingSeries(tuple(starts), tuple(ends), np.array(usage), **temps)


def _names(flags) -> set[str]:
    return {flag.name for flag in flags}


def test_billing_noise_free_monthly_building_is_recovered():
    """Mean of daily (μ + β·DD_d) over a month = μ + β·mean(DD_d): the monthly fit is exact."""
    model = fit_caltrack_billing(_monthly(synthetic_series(seed=5, n_days=730, **BOTH)))
    assert (model.method, model.model_type, model.status) == ("caltrack_billing", "hdd_cdd", "QUALIFIED")
    expected = {"intercept_kwh_per_day": 200.0, "beta_hdd_kwh_per_hdd": 8.0, "heating_balance_point_f": 55.0,
                "beta_cdd_kwh_per_cdd": 15.0, "cooling_balance_point_f": 72.0}
    for name, value in expected.items():
        assert model.parameters[name] == pytest.approx(value, rel=1e-8), name
    assert model.fit_statistics.n_points == 24
    assert model.fit_statistics.cvrmse == pytest.approx(0.0, abs=1e-9)


def test_billing_without_temperatures_falls_back_to_12_month_mean():
    daily = synthetic_series(seed=6, n_days=730, **BOTH)
    bills = _monthly(daily, with_temperature=False)
    model = fit_caltrack_billing(bills)
    assert model.model_type == "historical_mean"
    assert _names(model.warnings) == {"billing_fallback_to_historical_mean"}
    assert model.warnings[0].data["reason"] == "no_temperature_data"
    last_year = [i for i, d in enumerate(daily.dates) if d.year == daily.dates[-1].year]
    assert model.parameters["intercept_kwh_per_day"] == pytest.approx(daily.usage_kwh[last_year].mean(), rel=1e-12)


def test_billing_with_too_few_temperature_periods_falls_back():
    daily = synthetic_series(seed=6, n_days=365, **BOTH)
    temp = daily.temp_f.copy()
    temp[::3] = np.nan  # every month has only ~67 % temperature coverage (< 90 %)
    bills = _monthly(DailySeries(daily.dates, daily.usage_kwh, temp))
    model = fit_caltrack_billing(bills)
    assert model.model_type == "historical_mean"
    assert model.warnings[-1].data["reason"] == "too_few_periods_with_temperature"


def test_billing_long_period_is_flagged_and_not_used():
    bills = _monthly(synthetic_series(seed=5, n_days=730, **BOTH))
    merged = BillingSeries(bills.period_start[:1] + bills.period_start[2:],
                           bills.period_end[1:2] + bills.period_end[2:],
                           np.concatenate([[bills.usage_kwh[:2].sum()], bills.usage_kwh[2:]]),
                           bills.temp_dates, bills.temp_f)
    model = fit_caltrack_billing(merged)
    assert _names(model.warnings) == {"billing_period_too_long"}
    assert model.fit_statistics.n_points == 22
    assert model.parameters["heating_balance_point_f"] == 55.0


def test_historical_mean_uses_last_12_months_only():
    dates = tuple(dt.date(2022, 1, 1) + dt.timedelta(days=i) for i in range(500))
    usage = np.where(np.arange(500) < 135, 1000.0, 100.0)
    usage[-1] = np.nan
    model = fit_historical_mean(DailySeries(dates, usage, np.full(500, 50.0)))
    assert model.parameters == {"intercept_kwh_per_day": 100.0}
    assert model.status == "QUALIFIED"
    assert model.metadata["baseline_start"] == dates[135].isoformat()


def test_historical_mean_short_baseline_is_disqualified():
    dates = tuple(dt.date(2022, 1, 1) + dt.timedelta(days=i) for i in range(200))
    model = fit_historical_mean(DailySeries(dates, np.full(200, 10.0), np.full(200, 50.0)))
    assert _names(model.disqualifications) == {"incorrect_number_of_total_days"}


def test_static_baseline_is_agreed_kwh_per_day():
    baseline = synthetic_series(seed=1, intercept_kwh_per_day=100.0, noise_kwh=10.0)
    model = fit_static(36_500.0, 365, baseline)
    assert model.predict_daily_kwh(np.array([np.nan, 0.0, 90.0])).tolist() == [100.0, 100.0, 100.0]
    assert model.fit_statistics.n_points == 365
    expected_nmbe = (baseline.usage_kwh - 100.0).sum() / (365 * baseline.usage_kwh.mean())
    assert model.fit_statistics.nmbe == pytest.approx(expected_nmbe)
    with pytest.raises(ValueError):
        fit_static(100.0, 0)


def _occupancy_building(seed: int, occupancy: np.ndarray | None = None):
    base = synthetic_series(seed=seed, intercept_kwh_per_day=200.0, beta_hdd=8.0, heating_bp_f=55.0)
    rng = np.random.default_rng(seed)
    occ = rng.uniform(20.0, 100.0, 365) if occupancy is None else occupancy
    return DailySeries(base.dates, base.usage_kwh + 3.0 * occ, base.temp_f), occ


def test_occupancy_normalised_recovers_occupancy_slope():
    series, occupancy = _occupancy_building(seed=2)
    model = fit_occupancy_normalised(series, occupancy)
    assert model.model_type == "occupancy_normalised"
    assert model.parameters["beta_occupancy_kwh_per_pct"] == pytest.approx(3.0, rel=1e-6)
    assert model.parameters["beta_hdd_kwh_per_hdd"] == pytest.approx(8.0, rel=1e-6)
    assert model.parameters["intercept_kwh_per_day"] == pytest.approx(200.0, rel=1e-6)
    with pytest.raises(ValueError, match="occupancy_pct"):
        model.predict_daily_kwh(np.array([40.0]))
    assert model.predict_daily_kwh(np.array([40.0]), occupancy_pct=np.array([50.0]))[0] == pytest.approx(
        200.0 + 8.0 * 15.0 + 150.0, rel=1e-6)


def test_occupancy_without_variation_is_disqualified():
    series, occupancy = _occupancy_building(seed=2, occupancy=np.full(365, 80.0))
    model = fit_occupancy_normalised(series, occupancy)
    assert "occupancy_without_variation" in _names(model.disqualifications)
    assert model.status == "DISQUALIFIED"


@pytest.mark.parametrize("make", [
    lambda: fit_caltrack_billing(_monthly(synthetic_series(seed=5, n_days=730, noise_kwh=10.0, **BOTH))),
    lambda: fit_static(1000.0, 31),
    lambda: fit_occupancy_normalised(*_occupancy_building(seed=3)),
])
def test_simple_and_billing_models_round_trip_through_json(make):
    model = make()
    restored = BaselineModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert restored.to_dict() == model.to_dict()
    temps, occupancy = np.linspace(0.0, 100.0, 101), np.linspace(0.0, 100.0, 101)
    kwargs = {"occupancy_pct": occupancy} if model.model_type == "occupancy_normalised" else {}
    assert np.array_equal(restored.predict_daily_kwh(temps, **kwargs), model.predict_daily_kwh(temps, **kwargs))
