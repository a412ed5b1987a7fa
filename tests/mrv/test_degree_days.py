"""Degree days (°F·day) from daily mean temperatures, and the CalTRACK balance-point grid."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mrv.degree_days import (
    DEFAULT_BALANCE_POINTS_F,
    balance_point_grid_f,
    cooling_degree_days,
    heating_degree_days,
)
from mrv.series import celsius_to_fahrenheit


def test_degree_days_by_hand():
    temps = np.array([40.0, 60.0, 75.5, np.nan])
    assert heating_degree_days(temps, 60.0)[:3].tolist() == [20.0, 0.0, 0.0]
    assert cooling_degree_days(temps, 65.0)[:3].tolist() == [0.0, 0.0, 10.5]
    assert np.isnan(heating_degree_days(temps, 60.0)[3]) and np.isnan(cooling_degree_days(temps, 65.0)[3])


def test_degree_day_matrix_over_grid():
    temps = np.array([50.0, 70.0])
    hdd = heating_degree_days(temps, np.array(DEFAULT_BALANCE_POINTS_F, dtype=float))
    assert hdd.shape == (2, 61)
    assert hdd[0, DEFAULT_BALANCE_POINTS_F.index(65)] == 15.0
    assert hdd[1, DEFAULT_BALANCE_POINTS_F.index(65)] == 0.0


def test_default_grid_is_eemeter_3_2_0_range_30_to_90_inclusive():
    assert DEFAULT_BALANCE_POINTS_F == tuple(range(30, 91))
    assert balance_point_grid_f(30, 90, 3) == tuple(range(30, 91, 3))
    with pytest.raises(ValueError):
        balance_point_grid_f(30, 90, 5)


def test_celsius_to_fahrenheit_exact_points():
    assert celsius_to_fahrenheit(np.array([-40.0, 0.0, 100.0])).tolist() == [-40.0, 32.0, 212.0]
    assert np.isnan(celsius_to_fahrenheit(np.nan))


@given(st.floats(-60, 130), st.integers(30, 90))
def test_hdd_minus_cdd_is_balance_point_minus_temperature(temp_f, bp_f):
    """HDD(bp) − CDD(bp) = bp − T and at most one of them is non-zero."""
    hdd, cdd = heating_degree_days(np.array([temp_f]), bp_f)[0], cooling_degree_days(np.array([temp_f]), bp_f)[0]
    assert hdd - cdd == pytest.approx(bp_f - temp_f, abs=1e-9)
    assert hdd >= 0 and cdd >= 0 and hdd * cdd == 0
