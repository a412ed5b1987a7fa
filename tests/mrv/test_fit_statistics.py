"""Fit statistics (ASHRAE Guideline 14) on hand-computed examples, and G14 acceptance flags."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mrv.fit_statistics import (
    FitStatistics,
    ashrae_g14_acceptance,
    compute_fit_statistics,
    lag1_autocorrelation,
)
from mrv.settings import AshraeG14Settings

MONTHLY = AshraeG14Settings(granularity="monthly")
HOURLY = AshraeG14Settings(granularity="hourly")


def test_fit_statistics_by_hand():
    observed = np.array([10.0, 12.0, 14.0, 16.0])
    predicted = np.array([11.0, 11.0, 15.0, 15.0])   # residuals -1, 1, -1, 1
    stats = compute_fit_statistics(observed, predicted, n_parameters=2)
    # SSE = 4, SST = 20, mean = 13, n − p = 2
    assert stats.r_squared == pytest.approx(1 - 4 / 20)
    assert stats.adj_r_squared == pytest.approx(1 - (4 / 20) * 3 / 2)
    assert stats.rmse_kwh == pytest.approx(math.sqrt(2.0))
    assert stats.cvrmse == pytest.approx(math.sqrt(2.0) / 13)
    assert stats.nmbe == pytest.approx(0.0)
    assert stats.autocorrelation_lag1 == pytest.approx(-1.0)
    assert (stats.n_points, stats.n_parameters, stats.mean_observed_kwh) == (4, 2, 13.0)


def test_nmbe_sign_and_missing_points_are_skipped():
    stats = compute_fit_statistics(np.array([10.0, np.nan, 10.0, 10.0]), np.array([9.0, 9.0, 9.0, 9.0]), 1)
    assert stats.n_points == 3
    assert stats.nmbe == pytest.approx(3.0 / (2 * 10.0))   # observed above predicted: positive


# Residuals at mWh resolution: pandas (the oracle) loses precision on values near 1e-186, where it
# squares them into underflow; tiny magnitudes are covered by the scale-invariance test below.
RESIDUALS_KWH = st.lists(st.floats(-1e3, 1e3).map(lambda v: round(v, 6)), min_size=5, max_size=60)


@settings(max_examples=50)
@given(RESIDUALS_KWH)
def test_lag1_autocorrelation_matches_pandas(values):
    e = np.array(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = pd.Series(e).autocorr(lag=1)
    ours = lag1_autocorrelation(e)
    if np.isnan(expected):
        assert np.isnan(ours) or abs(ours) <= 1
    else:
        assert ours == pytest.approx(expected, abs=1e-9)


@settings(max_examples=50)
@given(RESIDUALS_KWH, st.sampled_from([1e-200, 1e-30, 1e30]))
def test_lag1_autocorrelation_is_scale_free(values, scale):
    """A correlation does not depend on units: even residuals scaled to 1e-200 keep their value."""
    e = np.array(values)
    unscaled, scaled = lag1_autocorrelation(e), lag1_autocorrelation(e * scale)
    assert (np.isnan(unscaled) and np.isnan(scaled)) or scaled == pytest.approx(unscaled, abs=1e-9)


def test_lag1_autocorrelation_gap_breaks_pairs():
    e = np.array([1.0, 2.0, np.nan, 3.0, 1.0, 2.0])
    expected = pd.Series(e).autocorr(lag=1)
    assert lag1_autocorrelation(e) == pytest.approx(expected)


@pytest.mark.parametrize("limits, cvrmse, nmbe, expected", [
    (MONTHLY, 0.15, 0.05, set()),
    (MONTHLY, 0.151, -0.02, {"cvrmse_above_ashrae_g14_limit"}),
    (MONTHLY, 0.10, -0.051, {"nmbe_above_ashrae_g14_limit"}),
    (HOURLY, 0.29, 0.09, set()),
    (HOURLY, 0.31, 0.11, {"cvrmse_above_ashrae_g14_limit", "nmbe_above_ashrae_g14_limit"}),
    (AshraeG14Settings(cvrmse_max_hourly=0.2, nmbe_max_hourly=0.01), float("nan"), 0.0, {"cvrmse_above_ashrae_g14_limit"}),
    (HOURLY, float("-inf"), float("inf"), {"cvrmse_above_ashrae_g14_limit", "nmbe_above_ashrae_g14_limit"}),
])
def test_ashrae_g14_acceptance(limits, cvrmse, nmbe, expected):
    stats = FitStatistics(100, 2, 0.9, 0.9, 1.0, cvrmse, nmbe, 10.0, 0.1)
    assert {flag.name for flag in ashrae_g14_acceptance(stats, limits)} == expected
    assert stats.ashrae_g14_acceptance(limits) == ashrae_g14_acceptance(stats, limits)


def test_fit_statistics_json_round_trip_with_nan():
    stats = compute_fit_statistics(np.array([1.0, 2.0]), np.array([1.0, 2.0]), 2)
    restored = FitStatistics.from_dict(json.loads(json.dumps(stats.to_dict())))
    assert restored.n_points == 2 and math.isnan(restored.cvrmse) and math.isnan(stats.cvrmse)
    assert restored.to_dict() == stats.to_dict()
