"""CalTRACK daily baseline agrees with eemeter 3.2.0 on eemeter's own sample datasets.

The oracle (tests/mrv/oracle/eemeter_reference.py) runs eemeter 3.2.0 in .venv-oracle, fits
``fit_caltrack_usage_per_day_model`` on the baseline year and computes ``metered_savings`` on the
reporting year, and exports the exact per-day inputs it used; we fit those same inputs here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mrv.baselines import fit_caltrack_daily
from mrv.series import DailySeries
from mrv.series import daily_mean_temperature_f
from tests.mrv.oracle.runner import (
    OracleUnavailable,
    hourly_temperatures,
    our_model_type,
    our_parameters,
    sample_results,
    to_array,
    to_daily_series,
)

SAMPLES = ("il-electricity-cdd-hdd-daily", "il-electricity-cdd-only-daily",
           "il-gas-hdd-only-daily", "il-gas-intercept-only-daily")


def hourly_series() -> pd.Series:
    """eemeter's hourly sample temperatures (°F) on a UTC index."""
    hourly = hourly_temperatures()
    index = pd.date_range(pd.Timestamp(hourly["start"]), periods=len(hourly["temp_f"]), freq="h")
    return pd.Series(to_array(hourly["temp_f"]), index=index)


@pytest.fixture(scope="module")
def oracle() -> dict:
    try:
        results = sample_results()
    except OracleUnavailable as error:
        pytest.skip(f"eemeter 3.2.0 oracle venv could not be created: {error}")
    assert results["eemeter_version"] == "3.2.0"
    return {sample["sample"]: sample for sample in results["samples"]}


def _savings_kwh(model, reporting: dict) -> tuple[float, np.ndarray]:
    """Σ(predicted − observed) over reporting days with usage and temperature (CalTRACK 3.5.1)."""
    temp, observed = to_array(reporting["temp_f"]), to_array(reporting["usage_kwh"])
    predicted = np.where(np.isfinite(temp), model.predict_daily_kwh(temp), np.nan)
    return float(np.nansum(predicted - observed)), predicted


@pytest.mark.parametrize("sample", SAMPLES)
def test_caltrack_daily_matches_eemeter_model_and_coefficients(oracle, sample):
    reference = oracle[sample]
    model = fit_caltrack_daily(to_daily_series(reference["baseline"]))
    assert reference["model"]["status"] == "SUCCESS"
    assert model.status == "QUALIFIED"
    assert model.model_type == our_model_type(reference["model"]["model_type"])
    expected = our_parameters(reference["model"]["params"])
    assert set(model.parameters) == set(expected)
    for name, value in expected.items():
        assert model.parameters[name] == pytest.approx(value, rel=1e-6), name
    assert model.metadata["n_qualified_candidates"] == reference["model"]["n_qualified"]
    assert model.metadata["selection_adj_r_squared"] == pytest.approx(reference["model"]["r_squared_adj"], rel=1e-9)


@pytest.mark.parametrize("sample", SAMPLES)
def test_caltrack_daily_matches_eemeter_metered_savings(oracle, sample):
    reference = oracle[sample]
    model = fit_caltrack_daily(to_daily_series(reference["baseline"]))
    savings_kwh, predicted = _savings_kwh(model, reference["reporting"])
    counterfactual = to_array(reference["reporting"]["counterfactual_kwh"])
    np.testing.assert_array_equal(np.isfinite(predicted), np.isfinite(counterfactual))
    np.testing.assert_allclose(predicted[np.isfinite(predicted)], counterfactual[np.isfinite(counterfactual)],
                               rtol=1e-9)
    assert savings_kwh == pytest.approx(reference["metered_savings_kwh"], rel=1e-6)


@pytest.mark.parametrize("sample", SAMPLES)
def test_caltrack_daily_sample_result_does_not_move_under_1e12_perturbation(oracle, sample):
    reference = oracle[sample]
    baseline = to_daily_series(reference["baseline"])
    bumped = DailySeries(baseline.dates, baseline.usage_kwh * (1 + 1e-12), baseline.temp_f * (1 + 1e-12))
    model, moved = fit_caltrack_daily(baseline), fit_caltrack_daily(bumped)
    assert moved.model_type == model.model_type
    for key in ("heating_balance_point_f", "cooling_balance_point_f"):
        assert moved.parameters.get(key) == model.parameters.get(key)
    savings, _ = _savings_kwh(model, reference["reporting"])
    moved_savings, _ = _savings_kwh(moved, reference["reporting"])
    assert abs(moved_savings - savings) / abs(savings) < 1e-9


def test_local_day_mean_temperature_matches_eemeter_daily_temperatures(oracle):
    """eemeter's daily method takes the mean of the day's hourly temperatures, then degree days."""
    ours = daily_mean_temperature_f(hourly_series(), "UTC")
    baseline = oracle[SAMPLES[0]]["baseline"]
    days = pd.DatetimeIndex(baseline["dates"])
    np.testing.assert_allclose(ours.reindex(days).to_numpy(), to_array(baseline["temp_f"]), rtol=1e-12)
