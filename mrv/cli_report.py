"""Plain-text rendering of the CLI report (pure: a dict in, a string out)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["json_safe", "render_table"]


def json_safe(value: Any) -> Any:
    """Replace non-finite floats by None, recursively, so the output is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def render_table(report: dict) -> str:
    """The report as aligned text sections: model, fit, flags, quality, savings, CO2e."""
    lines = _model_lines(report["model"], report["model_status"])
    for period, quality in report["quality"].items():
        lines += _quality_lines(period, quality)
    if "savings" in report:
        lines += _savings_lines(report["savings"])
    if "avoided_co2e" in report:
        lines += _co2e_lines(report["avoided_co2e"])
    return "\n".join(lines) + "\n"


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def _rows(pairs: list[tuple[str, Any]], indent: int = 2) -> list[str]:
    width = max((len(k) for k, _ in pairs), default=0)
    return [f"{' ' * indent}{k:<{width}}  {_fmt(v)}" for k, v in pairs]


def _flag_lines(title: str, flags: list[dict]) -> list[str]:
    if not flags:
        return [f"  {title}: none"]
    return [f"  {title}:"] + [f"    - {f['name']}: {f['description']}" for f in flags]


def _model_lines(model: dict, status: str) -> list[str]:
    stats = model["fit_statistics"]
    return (
        ["Baseline model"]
        + _rows([("method", model["method"]), ("model type", model["model_type"]), ("status", status)])
        + ["  parameters:"] + _rows(list(model["parameters"].items()), indent=4)
        + ["Fit statistics"] + _rows(list(stats.items()))
        + _flag_lines("disqualifications", model["disqualifications"])
        + _flag_lines("warnings", model["warnings"])
    )


def _quality_lines(period: str, quality: dict) -> list[str]:
    return (
        [f"Meter data quality ({period} period)"]
        + _rows([("status", quality["status"]), ("expected days", quality["n_expected"]),
                 ("missing days", quality["n_missing"]), ("interpolated days", quality["n_interpolated"])])
        + _flag_lines("flags", quality["flags"])
    )


def _savings_lines(savings: dict) -> list[str]:
    unc = savings["uncertainty"] or {}
    confidence = unc.get("confidence")
    lines = (
        [f"Savings {savings['period_start']} .. {savings['period_end']}"]
        + _rows([
            ("days used", f"{savings['n_days_used']} of {savings['n_days']}"),
            ("baseline kWh", savings["baseline_kwh"]), ("actual kWh", savings["actual_kwh"]),
            ("avoided kWh", savings["avoided_kwh"]), ("fractional savings", savings["fractional_savings"]),
            (f"uncertainty kWh (±, {confidence:.0%})" if confidence else "uncertainty kWh",
             unc.get("savings_uncertainty_kwh")),
            ("fractional savings uncertainty", unc.get("fractional_savings_uncertainty")),
        ])
        + _flag_lines("flags", savings["flags"])
        + [f"  {'month':<8} {'days':>9} {'baseline kWh':>14} {'actual kWh':>14} {'savings kWh':>14}"]
    )
    for m in savings["monthly"]:
        lines.append(f"  {m['month']:<8} {m['n_days_used']:>4}/{m['n_days']:<4} {m['baseline_kwh']:>14,.1f} "
                     f"{m['actual_kwh']:>14,.1f} {m['savings_kwh']:>14,.1f}")
    return lines


def _co2e_lines(co2e: dict) -> list[str]:
    lines = (
        [f"Avoided CO2e (region {co2e['region']}, {co2e['basis']}-based)"]
        + _rows([("avoided kg CO2e", co2e["avoided_co2e_kg"]),
                 ("savings kWh without factor", co2e["savings_kwh_without_factor"])])
        + ["  factors:"]
    )
    lines += [f"    - {f['factor_id']}: {f['co2e_kg_per_kwh']} {f['unit']} ({f['source']})"
              for f in co2e["factors"]]
    return lines + _flag_lines("flags", co2e["flags"])
