"""CalTRACK daily baseline data sufficiency, as named flags (never a bare boolean).

Disqualifications (each blocks the baseline):
- ``no_data``: no day has both usage and temperature.
- ``incorrect_number_of_total_days``: the baseline is not exactly ``baseline_days`` local days
  (CalTRACK 2.2.1.1, 365 days).
- ``too_many_days_with_missing_data``: days missing usage *or* temperature > ``max_missing_days``.
- ``too_many_days_with_missing_meter_data``: days missing usage > ``max_missing_days``.
- ``too_many_days_with_missing_temperature_data``: share of days with a temperature <
  ``min_temperature_coverage`` (CalTRACK 2.2.3.2).
- ``negative_meter_values``: usage < 0 on some day (CalTRACK 2.3.5, possible net metering).
Warnings (for review, CalTRACK 2.3.6): ``extreme_values_detected`` — usage > median + k·IQR.
"""

from __future__ import annotations

import numpy as np

from mrv.baselines.settings import SufficiencyRules
from mrv.flags import QualityFlag
from mrv.quality_checks import extreme_value_limit_kwh
from mrv.series import DailySeries

__all__ = ["check_daily_sufficiency", "extreme_value_warnings"]


def _missing_flags(series: DailySeries, rules: SufficiencyRules) -> list[QualityFlag]:
    n_days = len(series)
    usage_missing = ~np.isfinite(series.usage_kwh)
    temp_missing = ~np.isfinite(series.temp_f)
    n_missing = int(np.count_nonzero(usage_missing | temp_missing))
    n_usage_missing = int(np.count_nonzero(usage_missing))
    coverage = 1.0 - np.count_nonzero(temp_missing) / n_days if n_days else 0.0
    flags = []
    if n_missing > rules.max_missing_days:
        flags.append(QualityFlag(
            "too_many_days_with_missing_data",
            "Too many baseline days lack usage or temperature data.",
            {"n_days_missing": n_missing, "max_missing_days": rules.max_missing_days, "n_days_total": n_days}))
    if n_usage_missing > rules.max_missing_days:
        flags.append(QualityFlag(
            "too_many_days_with_missing_meter_data",
            "Too many baseline days lack meter data.",
            {"n_days_missing": n_usage_missing, "max_missing_days": rules.max_missing_days}))
    if coverage < rules.min_temperature_coverage:
        flags.append(QualityFlag(
            "too_many_days_with_missing_temperature_data",
            "Daily mean temperature is available on too small a share of baseline days.",
            {"temperature_coverage": coverage, "min_temperature_coverage": rules.min_temperature_coverage}))
    return flags


def check_daily_sufficiency(series: DailySeries, rules: SufficiencyRules) -> tuple[QualityFlag, ...]:
    """Named disqualifications of a daily baseline (empty tuple = sufficient)."""
    valid = np.isfinite(series.usage_kwh) & np.isfinite(series.temp_f)
    if not valid.any():
        return (QualityFlag("no_data", "No baseline day has both usage and temperature.",
                            {"n_days_total": len(series)}),)
    flags = []
    if len(series) != rules.baseline_days:
        flags.append(QualityFlag(
            "incorrect_number_of_total_days",
            "The baseline period does not span the required number of days.",
            {"n_days_total": len(series), "baseline_days": rules.baseline_days,
             "start": series.dates[0].isoformat(), "end": series.dates[-1].isoformat()}))
    flags.extend(_missing_flags(series, rules))
    n_negative = int(np.count_nonzero(series.usage_kwh < 0))
    if n_negative:
        flags.append(QualityFlag(
            "negative_meter_values",
            "Negative usage found in the baseline, which may indicate net metering.",
            {"n_negative_meter_values": n_negative}))
    return tuple(flags)


def extreme_value_warnings(usage_kwh: np.ndarray, iqr_multiplier: float) -> tuple[QualityFlag, ...]:
    """``extreme_values_detected`` when usage > median + k·IQR (CalTRACK 2.3.6; flag, keep)."""
    values = np.asarray(usage_kwh, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return ()
    _, _, limit = extreme_value_limit_kwh(values, iqr_multiplier)
    n_extreme = int(np.count_nonzero(values > limit))
    if not n_extreme:
        return ()
    return (QualityFlag(
        "extreme_values_detected",
        "Usage above median + k·IQR must be reviewed manually (CalTRACK 2.3.6).",
        {"n_extreme_values": n_extreme, "extreme_value_limit_kwh": limit,
         "max_value_kwh": float(values.max())}),)
