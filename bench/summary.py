"""One row per figure: value, unit, and the limit measured in the same run (or the issue's target)."""
from __future__ import annotations

from typing import Any

__all__ = ["summarise", "table"]

PIPELINE_TARGET = 50_000
FRESHNESS_P95_TARGET_S = 3.0


def _row(bench: str, figure: str, value: Any, unit: str, limit_name: str | None = None,
         limit: float | None = None) -> dict:
    row = {"bench": bench, "figure": figure, "value": value, "unit": unit, "limit": limit_name,
           "limit_value": limit}
    if isinstance(value, (int, float)) and limit:
        row["pct_of_limit"] = round(100 * value / limit, 1)
    return row


def _flatten(result: dict, prefix: str = "") -> dict[str, float]:
    flat = {}
    for key, value in result.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            flat[prefix + key] = value
        elif isinstance(value, dict) and not prefix:
            flat.update(_flatten(value, f"{key}."))
    return flat


def summarise(results: dict[str, dict]) -> list[dict]:
    rows: list[dict] = []
    kafka = results.get("kafka") or {}
    produce = (kafka.get("producer_performance") or {}).get("events_per_s")
    consume = (kafka.get("consumer_performance") or {}).get("events_per_s")
    if kafka:
        rows += [_row("kafka", "ProducerPerformance (2M x 200 B, acks=all)", produce, "events/s"),
                 _row("kafka", "ConsumerPerformance", consume, "events/s")]
    pipeline = results.get("pipeline") or {}
    if pipeline:
        for key, label in [("events_per_s", "pipeline, all outputs (raw rows + 4 rollups, dedup)"),
                           ("raw_events_per_s", "pipeline, raw rows (emission_event)"),
                           ("rollup_events_per_s", "pipeline, rollups (minute/hour/day/month)")]:
            rows.append(_row("pipeline", label, pipeline.get(key), "events/s", "ConsumerPerformance", consume))
        rows.append(_row("pipeline", "target", PIPELINE_TARGET, "events/s"))
        rows.append(_row("pipeline", "totals exact (count, sum per day)", (pipeline.get("totals") or {}).get("exact"), ""))
    fresh = results.get("freshness") or {}
    if fresh:
        for key, label in [("row_freshness", "freshness, minute row final"),
                           ("window_freshness", "freshness, whole minute window final")]:
            stats = fresh.get(key) or {}
            rows.append(_row("freshness", f"{label} p50", stats.get("p50_s"), "s"))
            rows.append(_row("freshness", f"{label} p95", stats.get("p95_s"), "s", "target", FRESHNESS_P95_TARGET_S))
    # The ingest figures' limit: the ingest module's own ProducerPerformance (its guarantees and event
    # size, median of its runs), else the kafka module's.
    ingest_limit = ((results.get("ingest") or {}).get("producer_performance") or {}).get("events_per_s") or produce
    for name, result in results.items():  # modules written elsewhere (ingest, read API): their numbers as given
        if name in ("kafka", "pipeline", "freshness") or not result:
            continue
        for key, value in _flatten(result).items():
            compared = name == "ingest" and key.endswith(("per_s", "_rps")) and not key.startswith("producer_performance.")
            rows.append(_row(name, key, value, "", "ProducerPerformance" if compared else None,
                             ingest_limit if compared else None))
    return rows


def table(summary: dict) -> str:
    lines = [f"Carbon Stream benchmarks — profile {summary['profile']}, {summary['cpus']} CPUs, "
             f"loadavg before {summary['loadavg_before']} after {summary['loadavg_after']}, "
             f"{summary['total_s']:.0f} s"]
    lines.append(f"{'BENCH':10} {'FIGURE':56} {'VALUE':>12} {'UNIT':9} {'LIMIT / TARGET':>32} {'%':>6}")
    for row in summary["figures"]:
        value = row["value"]
        shown = f"{value:,.0f}" if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 100 \
            else str(value)
        limit = f"{row['limit'] or ''} {row['limit_value']:,.0f}" if row.get("limit_value") and row["limit_value"] >= 100 \
            else f"{row['limit'] or ''} {row['limit_value'] if row['limit_value'] is not None else ''}"
        lines.append(f"{row['bench']:10} {row['figure'][:56]:56} {shown:>12} {row['unit']:9} {limit.strip():>32} "
                     f"{row.get('pct_of_limit', ''):>6}")
    for name, run in summary["benchmarks"].items():
        if run["status"] != "ok":
            lines.append(f"!! {name}: {run['status']}")
    return "\n".join(lines)
