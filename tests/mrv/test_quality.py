"""Meter data quality rules on hand-built series (answers worked out by hand)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from mrv.quality import QualityResult, QualityStatus, assess_meter_quality
from mrv.settings import QualitySettings
from tests.utils.mrv_factories import days

START = dt.date(2024, 1, 1)


def _assess(values, n=None, **kw):
    n = n or len(values)
    return assess_meter_quality(days(START, len(values)), values, period_start=START,
                                period_end=START + dt.timedelta(days=n - 1), **kw)


def _names(result):
    return [f.name for f in result.flags]


def test_quality_complete_series_is_ok():
    result = _assess([10.0] * 20)
    assert result.status is QualityStatus.OK
    assert result.n_expected == 20 and result.n_missing == 0 and result.flags == ()


def test_quality_one_in_twenty_missing_is_interpolated_linearly():
    values = [10.0] * 20
    values[4], values[5], values[6] = 10.0, np.nan, 20.0  # 1/20 = 5 % exactly
    result = _assess(values)
    assert result.status is QualityStatus.INTERPOLATED
    assert result.usage_kwh[5] == pytest.approx(15.0)
    assert result.is_interpolated.tolist() == [i == 5 for i in range(20)]
    assert {"missing_intervals", "values_interpolated"} <= set(_names(result))


@pytest.mark.parametrize(("n_missing", "status"), [
    (0, QualityStatus.OK), (1, QualityStatus.INTERPOLATED), (2, QualityStatus.FLAGGED),
    (4, QualityStatus.FLAGGED), (5, QualityStatus.REJECTED),
])
def test_quality_status_thresholds_on_twenty_days(n_missing, status):
    values = [10.0] * 20
    for i in range(n_missing):
        values[2 + 3 * i] = np.nan
    assert _assess(values).status is status


def test_quality_flagged_period_is_not_interpolated():
    values = [10.0] * 20
    values[3] = values[9] = np.nan
    result = _assess(values)
    assert result.status is QualityStatus.FLAGGED
    assert np.isnan(result.usage_kwh[[3, 9]]).all() and not result.is_interpolated.any()
    flag = next(f for f in result.flags if f.name == "missing_data_requires_review")
    assert flag.data["n_missing"] == 2 and flag.data["missing_fraction"] == pytest.approx(0.1)


def test_quality_rejected_names_threshold():
    result = _assess([np.nan] * 6 + [10.0] * 14)
    assert result.status is QualityStatus.REJECTED
    flag = next(f for f in result.flags if f.name == "missing_data_above_rejection_threshold")
    assert flag.data["threshold"] == 0.2 and flag.data["n_missing"] == 6


def test_quality_absent_rows_count_as_missing_and_gaps_are_reported():
    dates = days(START, 40)
    kept = [d for i, d in enumerate(dates) if i not in (10, 11, 12, 30)]
    result = assess_meter_quality(kept, [5.0] * len(kept), period_start=START, period_end=dates[-1])
    assert result.n_missing == 4 and result.status is QualityStatus.FLAGGED  # 10 %
    assert [g.to_dict() for g in result.gaps] == [
        {"start": "2024-01-11", "end": "2024-01-13", "n_intervals": 3},
        {"start": "2024-01-31", "end": "2024-01-31", "n_intervals": 1},
    ]


def test_quality_negative_reading_becomes_missing():
    values = [10.0] * 20
    values[7] = -3.0
    result = _assess(values)
    flag = next(f for f in result.flags if f.name == "negative_usage")
    assert flag.data["timestamps"] == ["2024-01-08"] and flag.data["values_kwh"] == [-3.0]
    assert result.n_missing == 1 and result.usage_kwh[7] == pytest.approx(10.0)


def test_quality_implausible_reading_uses_configured_limit():
    values = [10.0] * 20
    values[2] = 5000.0
    result = _assess(values, settings=QualitySettings(max_plausible_kwh_per_interval=1000.0))
    assert "implausible_usage" in _names(result) and result.n_missing == 1
    assert "implausible_usage" not in _names(_assess(values))


def test_quality_extreme_value_above_median_plus_three_iqr():
    # q25 = 3.25, median = 5.5, q75 = 7.75 -> threshold = 5.5 + 3 * 4.5 = 19
    values = [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 100]
    result = _assess(values)
    flag = next(f for f in result.flags if f.name == "extreme_usage_values")
    assert flag.data["threshold_kwh"] == pytest.approx(19.0)
    assert flag.data["timestamps"] == ["2024-01-10"]
    assert result.status is QualityStatus.OK and result.usage_kwh[9] == 100.0


def test_quality_extreme_values_can_require_review():
    values = [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 100]
    result = _assess(values, settings=QualitySettings(outliers_require_review=True))
    assert result.status is QualityStatus.FLAGGED
    assert "extreme_values_require_review" in _names(result)


def test_quality_duplicates_identical_collapse_conflicting_become_missing():
    dates = days(START, 20)
    result = assess_meter_quality(dates + [dates[3], dates[4]], [10.0] * 20 + [10.0, 99.0],
                                  period_start=START, period_end=dates[-1])
    dup = next(f for f in result.flags if f.name == "duplicate_timestamps")
    assert dup.data["timestamps"] == ["2024-01-04", "2024-01-05"]
    conflict = next(f for f in result.flags if f.name == "conflicting_duplicate_timestamps")
    assert conflict.data["timestamps"] == ["2024-01-05"]
    assert result.n_missing == 1 and result.usage_kwh[3] == 10.0


def test_quality_edge_gap_is_not_extrapolated():
    values = [np.nan] + [10.0] * 19
    result = _assess(values)
    assert result.status is QualityStatus.INTERPOLATED
    assert np.isnan(result.usage_kwh[0]) and not result.is_interpolated.any()
    assert "edge_gaps_not_interpolated" in _names(result)


def test_quality_readings_outside_period_and_off_grid_are_ignored():
    dates = days(START, 20)
    stamps = [pd.Timestamp(d) for d in dates] + [pd.Timestamp("2023-12-31"),
                                                 pd.Timestamp("2024-01-05 12:00")]
    result = assess_meter_quality(stamps, [1.0] * 22, period_start=START, period_end=dates[-1])
    assert result.status is QualityStatus.OK
    assert {"readings_outside_period", "misaligned_timestamps"} <= set(_names(result))


@pytest.mark.parametrize(("day", "hours"), [(dt.date(2024, 3, 10), 23), (dt.date(2024, 11, 3), 25),
                                            (dt.date(2024, 6, 1), 24)])
def test_quality_hourly_grid_follows_local_dst_days(day, hours):
    tz = "America/New_York"
    stamps = pd.date_range(pd.Timestamp(day).tz_localize(tz), periods=hours, freq="h")
    result = assess_meter_quality(list(stamps.tz_convert("UTC")), [1.0] * hours, period_start=day,
                                  period_end=day, interval="hourly", timezone=tz)
    assert result.n_expected == hours and result.status is QualityStatus.OK


def test_quality_hourly_missing_hour_is_a_gap():
    tz = "Europe/London"
    stamps = list(pd.date_range("2024-06-01", periods=48, freq="h", tz=tz))
    del stamps[5]
    result = assess_meter_quality(stamps, [2.0] * 47, period_start=dt.date(2024, 6, 1),
                                  period_end=dt.date(2024, 6, 2), interval="hourly", timezone=tz)
    assert result.gaps[0].start == "2024-06-01T05:00:00+01:00" and result.gaps[0].n_intervals == 1
    assert result.status is QualityStatus.INTERPOLATED  # 1/48 ≈ 2 %


def test_quality_hourly_rejects_naive_timestamps():
    with pytest.raises(ValueError, match="timezone-aware"):
        assess_meter_quality([pd.Timestamp("2024-06-01 00:00")], [1.0], period_start=dt.date(2024, 6, 1),
                             period_end=dt.date(2024, 6, 1), interval="hourly", timezone="UTC")


def test_quality_result_json_round_trip():
    values = [10.0] * 20
    values[5] = np.nan
    result = _assess(values)
    restored = QualityResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert restored.to_dict() == result.to_dict() and restored.status is QualityStatus.INTERPOLATED


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.just(np.nan), st.floats(0, 1e4)), min_size=1, max_size=120))
def test_quality_interpolation_never_invents_more_than_five_percent(values):
    result = _assess(values)
    n = len(values)
    missing = np.isnan(np.asarray(values, dtype=float))
    assert result.n_interpolated * 20 <= n  # ≤ 5 % of the period, exactly
    assert not (result.is_interpolated & ~missing).any()  # only gaps are filled
    kept = ~missing
    assert np.array_equal(result.usage_kwh[kept], np.asarray(values, dtype=float)[kept])
    share = missing.sum() / n
    expected = (QualityStatus.OK if share == 0 else QualityStatus.INTERPOLATED if missing.sum() * 20 <= n
                else QualityStatus.FLAGGED if missing.sum() * 5 <= n else QualityStatus.REJECTED)
    assert result.status is expected


def test_quality_hourly_grid_in_a_zone_without_local_midnight_on_dst_day():
    # America/Santiago skipped 00:00-01:00 on 2024-09-08: the local day starts at 01:00, 23 hours
    tz = "America/Santiago"
    day = dt.date(2024, 9, 8)
    stamps = pd.date_range(pd.Timestamp("2024-09-08 01:00").tz_localize(tz), periods=23, freq="h")
    result = assess_meter_quality(list(stamps), [1.0] * 23, period_start=day, period_end=day,
                                  interval="hourly", timezone=tz)
    assert result.n_expected == 23 and result.status is QualityStatus.OK
