"""End-to-end tests of ``python -m mrv baseline`` on CSV files of a synthetic building.

The building: μ = 500 kWh/day, β_H = 12 kWh/HDD at T_bh = 60 °F (± 1 kWh alternating noise) in
2023; in 2024 it uses 80 % of that, so the avoided energy is 20 % of the weather-normalised
baseline, known by hand from the temperatures.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("mrv.baselines", reason="mrv.baselines is built on the mrv-baselines branch")

from mrv.cli import main  # noqa: E402

DAYS = pd.date_range("2023-01-01", "2024-12-31", freq="D")
TEMP_F = 55.0 + 25.0 * np.sin(2 * np.pi * (np.arange(len(DAYS)) - 100) / 365.0)
TRUE_KWH = 500.0 + 12.0 * np.maximum(60.0 - TEMP_F, 0.0)
NOISE_KWH = np.where(np.arange(len(DAYS)) % 2 == 0, 1.0, -1.0)
USAGE_KWH = np.where(DAYS.year == 2024, 0.8 * TRUE_KWH, TRUE_KWH + NOISE_KWH)
EXPECTED_AVOIDED_KWH = 0.2 * TRUE_KWH[DAYS.year == 2024].sum()
PERIODS = ["--baseline", "2023-01-01:2023-12-31", "--reporting", "2024-01-01:2024-12-31"]


@pytest.fixture
def daily_csv(tmp_path):
    path = tmp_path / "daily.csv"
    pd.DataFrame({"date": DAYS.strftime("%Y-%m-%d"), "usage_kwh": USAGE_KWH,
                  "temperature": TEMP_F}).to_csv(path, index=False)
    return path


def _run_json(capsys, *args):
    code = main(["baseline", *args, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_cli_daily_csv_recovers_building_and_savings(capsys, daily_csv):
    report = _run_json(capsys, "--csv", str(daily_csv), *PERIODS, "--fuel", "electricity",
                       "--temp-unit", "F", "--region", "UK")
    model = report["model"]
    assert model["model_type"] == "hdd_only" and report["model_status"] == "QUALIFIED"
    assert model["parameters"]["heating_balance_point_f"] == 60.0
    assert model["parameters"]["beta_hdd_kwh_per_hdd"] == pytest.approx(12.0, rel=0.01)
    assert model["parameters"]["intercept_kwh_per_day"] == pytest.approx(500.0, rel=0.01)
    savings = report["savings"]
    assert savings["avoided_kwh"] == pytest.approx(EXPECTED_AVOIDED_KWH, rel=0.005)
    assert [m["month"] for m in savings["monthly"]] == [f"2024-{m:02d}" for m in range(1, 13)]
    assert 0 < savings["uncertainty"]["fractional_savings_uncertainty"] < 0.1
    assert report["quality"]["reporting"]["status"] == "OK"
    assert report["avoided_co2e"]["avoided_co2e_kg"] == pytest.approx(
        savings["avoided_kwh"] * 0.20705, rel=1e-9)


def test_cli_prints_tables_by_default(capsys, daily_csv):
    assert main(["baseline", "--csv", str(daily_csv), *PERIODS]) == 0
    out = capsys.readouterr().out
    for heading in ("Baseline model", "Fit statistics", "disqualifications: none",
                    "Meter data quality (reporting period)", "Savings 2024-01-01 .. 2024-12-31", "2024-12"):
        assert heading in out


def test_cli_separate_meter_and_weather_files_in_celsius(capsys, tmp_path, daily_csv):
    meter, weather = tmp_path / "meter.csv", tmp_path / "weather.csv"
    pd.DataFrame({"day": DAYS.strftime("%Y-%m-%d"), "kwh": USAGE_KWH}).to_csv(meter, index=False)
    pd.DataFrame({"when": DAYS.strftime("%Y-%m-%d"), "t_mean": (TEMP_F - 32.0) / 1.8}).to_csv(
        weather, index=False)
    split = _run_json(capsys, "--meter-csv", str(meter), "--weather-csv", str(weather), *PERIODS,
                      "--date-column", "day", "--usage-column", "kwh", "--weather-date-column", "when",
                      "--temp-column", "t_mean", "--temp-unit", "C")
    single = _run_json(capsys, "--csv", str(daily_csv), *PERIODS)
    assert split["model"]["parameters"] == pytest.approx(single["model"]["parameters"], rel=1e-9)
    assert split["savings"]["avoided_kwh"] == pytest.approx(single["savings"]["avoided_kwh"], rel=1e-9)


def test_cli_hourly_meter_with_offsets_is_summed_per_local_day(capsys, tmp_path, daily_csv):
    tz = "America/New_York"
    hours = pd.date_range(DAYS[0].tz_localize(tz), (DAYS[-1] + pd.Timedelta(days=1)).tz_localize(tz),
                          freq="h", inclusive="left")
    local_day = hours.tz_localize(None).normalize()
    per_day = pd.Series(USAGE_KWH, index=DAYS)
    hours_in_day = pd.Series(local_day).groupby(local_day).transform("size").to_numpy()
    meter = tmp_path / "hourly.csv"
    # local ISO timestamps: the offset changes from -05:00 to -04:00 and back across DST
    pd.DataFrame({"date": [t.isoformat() for t in hours],
                  "usage_kwh": per_day.reindex(local_day).to_numpy() / hours_in_day}).to_csv(meter, index=False)
    weather = tmp_path / "weather.csv"
    pd.DataFrame({"date": DAYS.strftime("%Y-%m-%d"), "temperature": TEMP_F}).to_csv(weather, index=False)
    hourly = _run_json(capsys, "--meter-csv", str(meter), "--weather-csv", str(weather), *PERIODS,
                       "--timezone", tz)
    daily = _run_json(capsys, "--csv", str(daily_csv), *PERIODS)
    assert hourly["savings"]["avoided_kwh"] == pytest.approx(daily["savings"]["avoided_kwh"], rel=1e-9)


def test_cli_missing_reporting_readings_are_interpolated_and_marked(capsys, tmp_path):
    usage = USAGE_KWH.copy()
    usage[[400, 401]] = np.nan  # 2 of 366 reporting days, 5 and 6 February 2024
    path = tmp_path / "gappy.csv"
    pd.DataFrame({"date": DAYS.strftime("%Y-%m-%d"), "usage_kwh": usage,
                  "temperature": TEMP_F}).to_csv(path, index=False)
    report = _run_json(capsys, "--csv", str(path), *PERIODS)
    assert report["quality"]["reporting"]["status"] == "INTERPOLATED"
    marked = [d["date"] for d in report["savings"]["daily"] if d["actual_is_interpolated"]]
    assert marked == ["2024-02-05", "2024-02-06"] and report["savings"]["n_days_used"] == 366


@pytest.mark.parametrize(("args", "message"), [
    (["--baseline", "2023-02-30:2023-12-31"], "expected START:END"),
    (["--baseline", "2023-12-31:2023-01-01"], "before its start"),
    (["--baseline", "2023-01-01:2023-12-31", "--usage-column", "kwh"], "no column(s) ['kwh']"),
    (["--baseline", "2023-01-01:2023-12-31", "--fuel", "coal"], "invalid choice"),
    (["--baseline", "2023-01-01:2023-12-31", "--fuel", "gas", "--region", "UK"], "electricity only"),
    (["--baseline", "2023-01-01:2023-12-31", "--reporting", "2023-06-01:2024-01-01"], "must start after"),
    (["--reporting", "2024-01-01:2024-12-31"], "--baseline"),
])
def test_cli_bad_arguments_exit_2_with_a_message(capsys, daily_csv, args, message):
    assert main(["baseline", "--csv", str(daily_csv), *args]) == 2
    assert message in capsys.readouterr().err


def test_cli_unreadable_file_exits_2(capsys, tmp_path):
    assert main(["baseline", "--csv", str(tmp_path / "absent.csv"), *PERIODS]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_cli_offsets_without_timezone_exit_2(capsys, tmp_path):
    path = tmp_path / "offsets.csv"
    pd.DataFrame({"date": ["2023-01-01T00:00:00+00:00"], "usage_kwh": [1.0],
                  "temperature": [50.0]}).to_csv(path, index=False)
    assert main(["baseline", "--csv", str(path), *PERIODS]) == 2
    assert "--timezone" in capsys.readouterr().err


def test_cli_mixed_naive_and_offset_timestamps_exit_2(capsys, tmp_path):
    path = tmp_path / "mixed.csv"
    pd.DataFrame({"date": ["2023-01-01T00:00:00+00:00", "2023-01-02T00:00:00"], "usage_kwh": [1.0, 2.0],
                  "temperature": [50.0, 51.0]}).to_csv(path, index=False)
    assert main(["baseline", "--csv", str(path), *PERIODS, "--timezone", "UTC"]) == 2
    assert "mixes timestamps" in capsys.readouterr().err
