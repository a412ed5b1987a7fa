"""Expected pipeline output computed independently of the job, in plain Python, from the input.

Rules (README "What the job computes"): the first copy of each event_id counts; windows are UTC
[start, start + grain); sums in exact decimals.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

__all__ = ["AcceptedEvent", "parse_rfc3339", "window_start", "expected_rollups", "first_copies"]


@dataclass(frozen=True)
class AcceptedEvent:
    event_id: str
    org_id: str
    occurred_at: datetime  # UTC, millisecond precision
    co2e_kg: Decimal
    scope: int
    category: str


def parse_rfc3339(text: str) -> datetime:
    """RFC 3339 → aware UTC datetime truncated to milliseconds (the pipeline's precision)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def window_start(moment: datetime, grain: str) -> datetime:
    if grain == "minute":
        return moment.replace(second=0, microsecond=0)
    if grain == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    if grain == "day":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def first_copies(events: list[AcceptedEvent]) -> list[AcceptedEvent]:
    seen: set[str] = set()
    unique = []
    for event in events:
        if event.event_id not in seen:
            seen.add(event.event_id)
            unique.append(event)
    return unique


def expected_rollups(events: list[AcceptedEvent], grain: str) -> dict[tuple, tuple]:
    """(org_id, scope, category, window_start) → (event_count, sum, min, max) in kg CO2e."""
    groups: dict[tuple, list[Decimal]] = defaultdict(list)
    for event in first_copies(events):
        groups[(event.org_id, event.scope, event.category, window_start(event.occurred_at, grain))].append(
            event.co2e_kg)
    return {key: (len(v), sum(v, Decimal(0)), min(v), max(v)) for key, v in groups.items()}
