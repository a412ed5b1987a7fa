"""Test factories: synthetic emission events and their rollups, computed independently of the app.

The rollups built here are the ground truth the integration tests insert (as the Flink job would)
and compare the API against.
"""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tests.utils.ground_truth import window_start

GRAINS = ("minute", "hour", "day", "month")
CATEGORIES = ("purchased_electricity", "stationary_combustion", "business_travel")
_FIXED_WINDOW_LENGTHS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True)
class Event:
    org_id: str
    scope: int
    category: str
    occurred_at: datetime
    co2e_kg: Decimal


def window_of(moment: datetime, grain: str) -> tuple[datetime, datetime]:
    """[start, end) of the UTC window of ``grain`` containing ``moment``."""
    start = window_start(moment, grain)
    if grain in _FIXED_WINDOW_LENGTHS:
        return start, start + _FIXED_WINDOW_LENGTHS[grain]
    if start.month == 12:
        return start, start.replace(year=start.year + 1, month=1)
    return start, start.replace(month=start.month + 1)


def build_rollup_rows(events: list[Event], grain: str) -> list[dict]:
    """Rows of emission_rollup_<grain> for ``events``: count, sum, min, max per key and window."""
    groups: dict[tuple, list[Decimal]] = defaultdict(list)
    for event in events:
        key = (event.org_id, event.scope, event.category, *window_of(event.occurred_at, grain))
        groups[key].append(event.co2e_kg)
    return [
        {
            "org_id": org_id, "scope": scope, "category": category, "window_start": start, "window_end": end,
            "event_count": len(amounts), "co2e_kg_sum": sum(amounts, Decimal(0)),
            "co2e_kg_min": min(amounts), "co2e_kg_max": max(amounts),
        }
        for (org_id, scope, category, start, end), amounts in groups.items()
    ]


def random_events(
    rng: random.Random, orgs: list[str], first: datetime, span: timedelta, count: int
) -> list[Event]:
    """``count`` events at random seconds of [first, first + span), masses with 6 decimals."""
    seconds = int(span.total_seconds())
    return [
        Event(
            org_id=rng.choice(orgs),
            scope=rng.randint(1, 3),
            category=rng.choice(CATEGORIES),
            occurred_at=first + timedelta(seconds=rng.randrange(seconds)),
            co2e_kg=Decimal(rng.randrange(0, 10**12)).scaleb(-6),
        )
        for _ in range(count)
    ]
