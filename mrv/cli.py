"""Command line for people with CSV files: fit a CalTRACK daily baseline and report savings.

    python -m mrv baseline --csv daily.csv --baseline 2023-01-01:2023-12-31 \\
        --reporting 2024-01-01:2024-12-31 --fuel electricity --temp-unit F [--json]

Input: one CSV with a date (or timestamp) column, usage (kWh) and mean temperature, or a meter
CSV plus a weather CSV (``--meter-csv`` / ``--weather-csv``). Column names are options. Timestamps
with UTC offsets need ``--timezone`` (IANA) to define the building's local days; sub-daily rows
are summed per complete local day (usage) and averaged (temperature, > 50 % hours present).

The baseline is fitted on the meter values as read (CalTRACK sufficiency sees negatives and gaps
itself); the reporting period uses the quality-checked values (≤ 5 % gaps interpolated, marked).
Bad arguments or unreadable input: a one-line message on stderr and exit code 2.
This is the only module of ``mrv`` that reads files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from dataclasses import replace
from typing import Sequence, TextIO

import pandas as pd

from mrv.baselines import CaltrackDailySettings, fit_caltrack_daily
from mrv.cli_report import json_safe, render_table
from mrv.emission_factors import compute_avoided_co2e
from mrv.quality import QualityResult, assess_meter_quality
from mrv.savings import compute_savings
from mrv.series import (
    DailySeries, aggregate_intervals_to_local_days, celsius_to_fahrenheit, daily_mean_temperature_f,
)

__all__ = ["CliInputError", "build_parser", "main"]

logger = logging.getLogger(__name__)

Period = tuple[dt.date, dt.date]
_OFFSET_PATTERN = r"[T ]\d{2}:\d{2}.*(?:Z|[+-]\d{2}:?\d{2})$"


class CliInputError(Exception):
    """Input the command cannot use (missing file or column, bad dates); exit code 2."""


def parse_period(text: str) -> Period:
    """``YYYY-MM-DD:YYYY-MM-DD`` (both inclusive) → (start, end)."""
    try:
        start_text, end_text = text.split(":")
        start, end = dt.date.fromisoformat(start_text), dt.date.fromisoformat(end_text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected START:END as YYYY-MM-DD:YYYY-MM-DD, got {text!r}")
    if end < start:
        raise argparse.ArgumentTypeError(f"period end {end} is before its start {start}")
    return start, end


_DESCRIPTION = """\
Measurement & verification of building energy savings from CSV files (CalTRACK 2.0,
IPMVP Option C, ASHRAE Guideline 14). No server or database is needed."""

_BASELINE_DESCRIPTION = """\
Fit a CalTRACK 2.0 daily baseline (usage per day = mu + beta_H*HDD + beta_C*CDD, balance points
30-90 F) on the baseline period and, with --reporting, compute avoided energy use
(sum of baseline prediction minus actual, kWh) with its ASHRAE G14 uncertainty at 90 %.
Prints the model, fit statistics, disqualifications, meter data quality flags and savings
(total and by month) as tables, or everything as JSON with --json; with --region, also
avoided CO2e from the shipped grid emission factors.
Exit code 0 on success, 2 on bad arguments or unreadable input."""

_BASELINE_EXAMPLE = """\
example:
  python -m mrv baseline --csv daily.csv --baseline 2023-01-01:2023-12-31 \\
      --reporting 2024-01-01:2024-12-31 --fuel electricity --temp-unit F --region UK"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mrv", description=_DESCRIPTION,
        epilog="'python -m mrv baseline --help' lists the options of the command, with an example.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cmd = commands.add_parser(
        "baseline", help="fit a CalTRACK daily baseline and compute savings from CSV files",
        description=_BASELINE_DESCRIPTION, epilog=_BASELINE_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_baseline_arguments(cmd)
    return parser


def _add_baseline_arguments(cmd: argparse.ArgumentParser) -> None:
    source = cmd.add_argument_group("input (one CSV, or a meter CSV plus a weather CSV)")
    choice = source.add_mutually_exclusive_group(required=True)
    choice.add_argument("--csv", metavar="PATH", help="CSV with date, usage and temperature columns")
    choice.add_argument("--meter-csv", metavar="PATH",
                        help="CSV with date and usage columns (needs --weather-csv)")
    source.add_argument("--weather-csv", metavar="PATH", help="CSV with date and temperature columns")
    periods = cmd.add_argument_group("periods (local calendar days, both ends inclusive)")
    periods.add_argument("--baseline", type=parse_period, required=True, metavar="START:END",
                         help="baseline period, e.g. 2023-01-01:2023-12-31 (CalTRACK wants 365 days)")
    periods.add_argument("--reporting", type=parse_period, metavar="START:END",
                         help="reporting period after the baseline; omit to fit the baseline only")
    meter = cmd.add_argument_group("meter, units and columns")
    meter.add_argument("--fuel", choices=("electricity", "gas"), default="electricity",
                       help="gas fits no cooling (CDD) terms (default: %(default)s)")
    meter.add_argument("--temp-unit", choices=("F", "C"), default="F",
                       help="unit of the temperature column; C is converted to F (default: %(default)s)")
    meter.add_argument("--timezone", metavar="IANA_ZONE",
                       help="building's time zone, e.g. America/New_York; needed when timestamps "
                       "have UTC offsets, to define local days")
    meter.add_argument("--date-column", default="date", metavar="NAME",
                       help="ISO 8601 dates or timestamps (default: %(default)s)")
    meter.add_argument("--usage-column", default="usage_kwh", metavar="NAME",
                       help="usage in kWh (default: %(default)s)")
    meter.add_argument("--temp-column", default="temperature", metavar="NAME",
                       help="mean temperature (default: %(default)s)")
    meter.add_argument("--weather-date-column", metavar="NAME",
                       help="date column of --weather-csv (default: --date-column)")
    output = cmd.add_argument_group("output")
    output.add_argument("--region", metavar="REGION",
                        help="grid region for avoided CO2e, electricity only; shipped factors: UK 2020-2024")
    output.add_argument("--json", action="store_true", help="print the full report as JSON instead of tables")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 bad arguments or input)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    out = out or sys.stdout
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        _check_argument_combinations(args)
        report = run_baseline_command(args)
    except SystemExit as exc:  # argparse already printed its message
        return int(exc.code or 0)
    except (CliInputError, ValueError) as exc:
        logger.debug("input error", exc_info=True)
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    report = json_safe(report)
    out.write(json.dumps(report, indent=2, allow_nan=False) + "\n" if args.json else render_table(report))
    return 0


def _check_argument_combinations(args: argparse.Namespace) -> None:
    if args.meter_csv and not args.weather_csv:
        raise CliInputError("--meter-csv needs --weather-csv")
    if args.csv and args.weather_csv:
        raise CliInputError("--weather-csv goes with --meter-csv, not with --csv")
    if args.region and args.fuel != "electricity":
        raise CliInputError("--region (grid emission factors) applies to --fuel electricity only")
    if args.reporting and args.reporting[0] <= args.baseline[1]:
        raise CliInputError("the reporting period must start after the baseline period ends")


def run_baseline_command(args: argparse.Namespace) -> dict:
    """Read inputs, fit, check quality, compute savings; returns the JSON-ready report."""
    usage, temp_f = _read_inputs(args)
    settings = CaltrackDailySettings.for_gas() if args.fuel == "gas" else CaltrackDailySettings()
    baseline_series = _series(_unique_days(usage), temp_f, args.baseline)
    model = fit_caltrack_daily(baseline_series, settings)
    report = {
        "inputs": {"baseline": _period_dict(args.baseline), "fuel": args.fuel,
                   "temp_unit": args.temp_unit, "timezone": args.timezone, "region": args.region},
        "quality": {"baseline": _quality_summary(_assess(usage, args.baseline))},
        "model": model.to_dict(),
        "model_status": model.status,
    }
    if args.reporting:
        quality = _assess(usage, args.reporting)
        reporting = replace(_series(_unique_days(usage), temp_f, args.reporting),
                            usage_kwh=quality.usage_kwh)
        savings = compute_savings(model, reporting, actual_is_interpolated=quality.is_interpolated)
        report["inputs"]["reporting"] = _period_dict(args.reporting)
        report["quality"]["reporting"] = _quality_summary(quality)
        report["savings"] = savings.to_dict()
        if args.region:
            report["avoided_co2e"] = compute_avoided_co2e(savings, args.region).to_dict()
    return report


def _read_inputs(args: argparse.Namespace) -> tuple[pd.Series, pd.Series]:
    """Daily usage (kWh, may repeat a day) and daily mean temperature (°F, one per day)."""
    meter = _read_csv(args.csv or args.meter_csv, [args.date_column, args.usage_column])
    weather_date = args.weather_date_column or args.date_column
    weather = meter if args.csv else _read_csv(args.weather_csv, [weather_date, args.temp_column])
    if args.csv:
        _require_columns(meter, [args.temp_column], args.csv)
    usage = _daily_values(meter, args.date_column, args.usage_column, "usage", args.timezone)
    temp = _daily_values(weather, weather_date, args.temp_column, "temperature", args.timezone)
    if temp.index.has_duplicates:
        raise CliInputError("the temperature data has more than one row for some days")
    temp_f = celsius_to_fahrenheit(temp.to_numpy()) if args.temp_unit == "C" else temp.to_numpy()
    return usage, pd.Series(temp_f, index=temp.index, dtype=float)


def _read_csv(path: str, columns: list[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CliInputError(f"cannot read {path}: {exc}") from exc
    _require_columns(frame, columns, path)
    return frame


def _require_columns(frame: pd.DataFrame, columns: list[str], path: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CliInputError(f"{path} has no column(s) {missing}; columns are {list(frame.columns)}")


def _daily_values(frame: pd.DataFrame, date_col: str, value_col: str, kind: str, tz: str | None) -> pd.Series:
    """Values per local calendar day (naive midnight index); sub-daily rows are aggregated."""
    stamps = _parse_timestamps(frame[date_col], date_col)
    values = pd.to_numeric(frame[value_col], errors="coerce").to_numpy(dtype=float)
    if stamps.tz is not None and tz is None:
        raise CliInputError(f"{date_col!r} has UTC offsets; give --timezone to define local days")
    local = stamps.tz_convert(tz).tz_localize(None) if stamps.tz is not None else stamps
    if (local == local.normalize()).all():
        return pd.Series(values, index=local.normalize())
    if stamps.tz is None:
        raise CliInputError(f"sub-daily {date_col!r} values need UTC offsets (e.g. 2024-01-01T00:00Z)")
    readings = pd.Series(values, index=stamps).sort_index()
    if kind == "temperature":
        return daily_mean_temperature_f(readings, tz)
    step = pd.Series(readings.index).diff().median()
    return aggregate_intervals_to_local_days(readings, tz, interval=step)


def _parse_timestamps(column: pd.Series, date_col: str) -> pd.DatetimeIndex:
    """Dates or timestamps; with UTC offsets (which change across DST) parsed as UTC instants."""
    text = column.astype(str).str.strip()
    has_offset = text.str.contains(_OFFSET_PATTERN, regex=True)
    if has_offset.any() and not has_offset.all():
        raise CliInputError(f"column {date_col!r} mixes timestamps with and without UTC offsets")
    try:
        return pd.DatetimeIndex(pd.to_datetime(text, utc=bool(has_offset.any()), format="ISO8601"))
    except (ValueError, TypeError) as exc:
        raise CliInputError(f"column {date_col!r} does not hold ISO dates or timestamps: {exc}") from exc


def _unique_days(usage: pd.Series) -> pd.Series:
    """One value per day: identical repeats collapse, conflicting repeats become NaN."""
    grouped = usage.groupby(level=0)
    return grouped.first().where(grouped.nunique(dropna=False) <= 1)


def _series(usage: pd.Series, temp_f: pd.Series, period: Period) -> DailySeries:
    days = pd.date_range(period[0], period[1], freq="D")
    return DailySeries(dates=tuple(d.date() for d in days),
                       usage_kwh=usage.reindex(days).to_numpy(dtype=float),
                       temp_f=temp_f.reindex(days).to_numpy(dtype=float))


def _assess(usage: pd.Series, period: Period) -> QualityResult:
    inside = (usage.index >= pd.Timestamp(period[0])) & (usage.index <= pd.Timestamp(period[1]))
    return assess_meter_quality(list(usage.index[inside]), usage.to_numpy()[inside],
                                period_start=period[0], period_end=period[1], interval="daily")


def _quality_summary(quality: QualityResult) -> dict:
    """The decision and its flags, without the per-day arrays."""
    return {"status": quality.status.value, "n_expected": quality.n_expected,
            "n_missing": quality.n_missing, "n_interpolated": quality.n_interpolated,
            "missing_fraction": quality.missing_fraction,
            "gaps": [g.to_dict() for g in quality.gaps], "flags": [f.to_dict() for f in quality.flags]}


def _period_dict(period: Period) -> dict:
    return {"start": period[0].isoformat(), "end": period[1].isoformat()}


if __name__ == "__main__":
    raise SystemExit(main())
