"""Response models of the read API. Units are in the field names (``co2e_kg_*`` = kg CO2e).

Masses are exact decimals serialised as JSON **strings** (e.g. ``"1234.500000"``, 6 decimals as
stored in PostgreSQL NUMERIC): a JSON number would be read as a binary float by most clients and
lose exactness on large totals. Parse them with a decimal type. Timestamps are RFC 3339 in UTC.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from read_api.grains import Grain
from read_api.params import PageParams, SortKey, format_sort

__all__ = [
    "KgCo2e", "Page", "EmissionWindowOut", "EmissionWindowsPage", "SummaryGroupOut", "EmissionSummaryPage",
    "ComponentHealth", "HealthReport",
]

KgCo2e = Annotated[
    Decimal,
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d+\.\d{6}$", "examples": ["1234.500000"]}),
]

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """The one pagination envelope of every list endpoint."""

    items: list[ItemT]
    page: int = Field(description="This page's number, 1-based")
    per_page: int = Field(description="Page size requested")
    total: int = Field(description="Items matching the filters, over all pages")
    sort: str = Field(description="Effective order, '-' = descending, ending with the primary key")

    @classmethod
    def of(
        cls, items: list[Any], total: int, page: PageParams, sort: tuple[SortKey, ...], **extra: Any
    ) -> Self:
        """The envelope for one page of a list read with ``page`` and ``sort``."""
        return cls(items=items, page=page.page, per_page=page.per_page, total=total, sort=format_sort(sort), **extra)


class EmissionWindowOut(BaseModel):
    """Totals of one (scope, category) in one rollup window of the organisation."""

    window_start: datetime = Field(description="Window start (inclusive), UTC")
    window_end: datetime = Field(description="Window end (exclusive), UTC")
    scope: int = Field(description="GHG Protocol scope: 1, 2 or 3")
    category: str = Field(description="Category slug")
    event_count: int = Field(description="Distinct events (deduplicated by event_id) in the window")
    co2e_kg_sum: KgCo2e = Field(description="Sum of the events' mass, kg CO2e (decimal string)")
    co2e_kg_min: KgCo2e = Field(description="Smallest single event, kg CO2e (decimal string)")
    co2e_kg_max: KgCo2e = Field(description="Largest single event, kg CO2e (decimal string)")
    updated_at: datetime = Field(description="When the row was last written or corrected by a late event, UTC")


class EmissionWindowsPage(Page[EmissionWindowOut]):
    """A page of an organisation's time series."""


class SummaryGroupOut(BaseModel):
    """Totals of one group; exactly one of org_id, scope, category is present (the group_by key)."""

    org_id: str | None = Field(None, description="Organisation id (group_by=org)")
    scope: int | None = Field(None, description="GHG Protocol scope (group_by=scope)")
    category: str | None = Field(None, description="Category slug (group_by=category)")
    event_count: int = Field(description="Distinct events in [from, to)")
    co2e_kg_sum: KgCo2e = Field(description="Total mass in [from, to), kg CO2e (decimal string)")


class EmissionSummaryPage(Page[SummaryGroupOut]):
    """A page of totals per group, with the rollup grain that answered exactly."""

    model_config = ConfigDict(populate_by_name=True)

    group_by: Literal["org", "scope", "category"]
    rollup_grain: Grain = Field(description="Rollup table summed: the coarsest grain both from and to align to")
    from_: datetime = Field(alias="from", description="Inclusive start, UTC")
    to: datetime = Field(description="Exclusive end, UTC")


class ComponentHealth(BaseModel):
    name: str = Field(description="postgresql, kafka or flink_job:<job name>")
    status: Literal["ok", "degraded"]
    latency_ms: float = Field(description="Time the check took, milliseconds")
    details: dict[str, Any] = Field(default_factory=dict)


class HealthReport(BaseModel):
    status: Literal["ok", "degraded"] = Field(
        description="ok only when every component is ok (HTTP 200, else 503)"
    )
    checked_at: datetime
    components: list[ComponentHealth]
