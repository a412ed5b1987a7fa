"""Rollup grains (UTC minute, hour, day, calendar month) and which one answers a summary exactly.

The Flink job writes one rollup table per grain; the windows of a grain tile time without gaps or
overlap. A total over ``[from, to)`` is therefore exact from a grain's table when both ``from`` and
``to`` fall on that grain's window boundaries (in UTC): the windows with ``from <= window_start < to``
are exactly the windows inside the range. The coarsest such grain reads the fewest rows.
"""
from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum

__all__ = ["Grain", "is_aligned", "coarsest_aligned_grain"]


class Grain(str, Enum):
    """Width of a rollup window (UTC)."""

    minute = "minute"
    hour = "hour"
    day = "day"
    month = "month"


_COARSEST_FIRST = (Grain.month, Grain.day, Grain.hour, Grain.minute)


def is_aligned(moment: datetime, grain: Grain) -> bool:
    """True when ``moment`` (timezone-aware) is the start of a UTC window of ``grain``."""
    utc = moment.astimezone(timezone.utc)
    if utc.second or utc.microsecond:
        return False
    if grain is Grain.minute:
        return True
    if utc.minute:
        return False
    if grain is Grain.hour:
        return True
    if utc.hour:
        return False
    return grain is Grain.day or utc.day == 1


def coarsest_aligned_grain(start: datetime, end: datetime) -> Grain | None:
    """The coarsest grain whose window boundaries both ``start`` and ``end`` fall on, or None.

    None means the range is not even minute-aligned, so no rollup table can total it exactly.
    """
    for grain in _COARSEST_FIRST:
        if is_aligned(start, grain) and is_aligned(end, grain):
            return grain
    return None
