"""DailySeries and local-calendar-day aggregation (IANA zones, 23/25-hour DST days, no spreading)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from mrv.series import DailySeries, aggregate_intervals_to_local_days, daily_mean_temperature_f, from_pandas

TZ = "America/New_York"  # DST starts 2023-03-12 (23 h), ends 2023-11-05 (25 h)


def _hourly(start_local: str, end_local: str, value: float = 1.0) -> pd.Series:
    index = pd.date_range(pd.Timestamp(start_local, tz=TZ), pd.Timestamp(end_local, tz=TZ), freq="h",
                          inclusive="left").tz_convert("UTC")
    return pd.Series(value, index=index)


def test_dst_days_have_23_and_25_hours_and_are_complete():
    spring = aggregate_intervals_to_local_days(_hourly("2023-03-11", "2023-03-14"), TZ)
    autumn = aggregate_intervals_to_local_days(_hourly("2023-11-04", "2023-11-07"), TZ)
    assert spring.tolist() == [24.0, 23.0, 24.0]
    assert autumn.tolist() == [24.0, 25.0, 24.0]
    assert spring.index[1] == pd.Timestamp("2023-03-12")


def test_incomplete_day_is_missing_not_spread():
    readings = _hourly("2023-06-01", "2023-06-04", value=2.0).drop(
        pd.Timestamp("2023-06-02 13:00", tz=TZ).tz_convert("UTC"))
    days = aggregate_intervals_to_local_days(readings, TZ)
    assert days.tolist()[0] == 48.0 and np.isnan(days.tolist()[1]) and days.tolist()[2] == 48.0


def test_whole_missing_day_inside_range_is_nan():
    readings = pd.concat([_hourly("2023-06-01", "2023-06-02"), _hourly("2023-06-03", "2023-06-04")])
    days = aggregate_intervals_to_local_days(readings, TZ)
    assert len(days) == 3 and np.isnan(days.iloc[1])


def test_naive_timestamps_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        aggregate_intervals_to_local_days(pd.Series([1.0], index=pd.DatetimeIndex(["2023-01-01"])), TZ)


def test_daily_mean_temperature_needs_more_than_half_the_hours():
    temps = _hourly("2023-06-01", "2023-06-03", value=70.0)
    temps.iloc[24:36] = np.nan  # day 2 keeps exactly 12 of 24 hours: not more than half
    means = daily_mean_temperature_f(temps, TZ)
    assert means.iloc[0] == 70.0 and np.isnan(means.iloc[1])
    temps.iloc[35] = 70.0       # 13 hours: kept
    assert daily_mean_temperature_f(temps, TZ).iloc[1] == 70.0


def test_from_pandas_fills_absent_days_with_nan_and_converts_celsius():
    frame = pd.DataFrame({"kwh": [1.0, 3.0], "t": [0.0, 100.0]},
                         index=pd.to_datetime(["2023-01-01", "2023-01-03"]))
    series = from_pandas(frame, usage_column="kwh", temp_column="t", temp_unit="C")
    assert series.dates == (dt.date(2023, 1, 1), dt.date(2023, 1, 2), dt.date(2023, 1, 3))
    assert np.isnan(series.usage_kwh[1]) and series.temp_f.tolist()[::2] == [32.0, 212.0]
    with pytest.raises(ValueError):
        from_pandas(frame, usage_column="kwh", temp_column="t", temp_unit="K")


def test_daily_series_refuses_gaps_and_is_read_only():
    with pytest.raises(ValueError, match="consecutive"):
        DailySeries((dt.date(2023, 1, 1), dt.date(2023, 1, 3)), [1.0, 2.0], [50.0, 50.0])
    series = DailySeries((dt.date(2023, 1, 1),), [1.0], [50.0])
    with pytest.raises(ValueError):
        series.usage_kwh[0] = 5.0
    assert len(series.between(dt.date(2023, 1, 1), dt.date(2023, 1, 1))) == 1
