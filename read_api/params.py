"""Query parameters of the read API: parsed and validated by dependencies into small filter models.

Every rule here answers 422 with FastAPI's usual body, naming the parameter and the reason:
``{"detail": [{"type": ..., "loc": ["query", "<param>"], "msg": "<reason>", "input": ...}]}``.
All of it runs before the route touches the database. The dependencies are ``async def`` because
they only parse: FastAPI would otherwise run each in the thread pool (a hop per dependency).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import Depends, Path, Query
from fastapi.exceptions import RequestValidationError
from pydantic import PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from carbon_stream.events import CATEGORY_PATTERN, ORG_ID_PATTERN

__all__ = [
    "MAX_PER_PAGE", "SortKey", "TimeRange", "EmissionFilters", "PageParams",
    "OrgIdPath", "TimeRangeDep", "EmissionFiltersDep", "PageDep",
    "problem", "raise_problems", "sort_problems", "parse_sort", "format_sort", "sort_query",
]

MAX_PER_PAGE = 1000
DEFAULT_PER_PAGE = 100
RFC3339_EXAMPLE = "2026-11-23T09:00:00Z"
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")
_SORT_SYNTAX = r"^-?[a-z][a-z0-9_]*(,-?[a-z][a-z0-9_]*)*$"


def problem(name: str, reason: str, value: Any, location: str = "query") -> dict[str, Any]:
    """One 422 detail in FastAPI's own shape, for rules that span parameters or need a whitelist."""
    return {"type": "value_error", "loc": (location, name), "msg": reason, "input": value}


def raise_problems(problems: list[dict[str, Any]]) -> None:
    """Answer 422 listing every problem found (the declarative checks have all passed by then)."""
    if problems:
        raise RequestValidationError(problems)


def _parse_rfc3339(value: Any) -> datetime:
    """RFC 3339 date-time with a UTC offset (``Z`` or ``+hh:mm``); naive or date-only is refused."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise PydanticCustomError(
            "rfc3339_datetime", "must be an RFC 3339 date-time with a UTC offset, e.g. {example}",
            {"example": RFC3339_EXAMPLE},
        )
    try:
        moment = datetime.fromisoformat(value.upper())
        moment.astimezone(timezone.utc)
    except (ValueError, OverflowError) as exc:
        raise PydanticCustomError("rfc3339_datetime", "is not a valid date-time: {error}", {"error": str(exc)})
    return moment


Rfc3339 = Annotated[
    datetime,
    PlainValidator(_parse_rfc3339),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": [RFC3339_EXAMPLE]}),
]

OrgIdPath = Annotated[
    str, Path(pattern=ORG_ID_PATTERN, description="Organisation id (1-64 chars: letters, digits, _ . : -)")
]


@dataclass(frozen=True)
class TimeRange:
    """Half-open range ``[start, end)`` of window starts (timezone-aware)."""

    start: datetime
    end: datetime

    def problems(self) -> list[dict[str, Any]]:
        if self.start > self.end:
            return [problem("from", "must not be after `to`", self.start.isoformat())]
        return []


async def get_time_range(
    start: Annotated[Rfc3339, Query(alias="from", description="Inclusive start, RFC 3339 with offset")],
    end: Annotated[Rfc3339, Query(alias="to", description="Exclusive end, RFC 3339 with offset")],
) -> TimeRange:
    """Parsed only; the endpoint's query dependency checks ``problems()`` with its other rules."""
    return TimeRange(start, end)


@dataclass(frozen=True)
class EmissionFilters:
    """Optional equality filters on the GHG scope and the category slug."""

    scope: int | None = None
    category: str | None = None


async def get_emission_filters(
    scope: Annotated[int | None, Query(ge=1, le=3, description="GHG Protocol scope: 1, 2 or 3")] = None,
    category: Annotated[
        str | None, Query(pattern=CATEGORY_PATTERN, description="Category slug, e.g. purchased_electricity")
    ] = None,
) -> EmissionFilters:
    return EmissionFilters(scope, category)


@dataclass(frozen=True)
class PageParams:
    """1-based page number and page size."""

    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


async def get_page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Page number, 1-based")] = 1,
    per_page: Annotated[
        int, Query(ge=1, le=MAX_PER_PAGE, description=f"Items per page (max {MAX_PER_PAGE})")
    ] = DEFAULT_PER_PAGE,
) -> PageParams:
    return PageParams(page, per_page)


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool = False


def sort_problems(raw: str, allowed: tuple[str, ...]) -> list[dict[str, Any]]:
    """Unknown or repeated fields in a ``sort`` value (its syntax is checked by the Query pattern)."""
    names = [token.removeprefix("-") for token in raw.split(",")]
    found = []
    for name in dict.fromkeys(names):
        if name not in allowed:
            reason = f"unknown sort field {name!r}; allowed: {', '.join(allowed)} (prefix '-' for descending)"
            found.append(problem("sort", reason, raw))
        elif names.count(name) > 1:
            found.append(problem("sort", f"sort field {name!r} is given twice", raw))
    return found


def parse_sort(raw: str, primary_key: tuple[str, ...]) -> tuple[SortKey, ...]:
    """``-a,b`` → (a DESC, b ASC, then every primary-key field not yet named, ASC).

    Call after ``sort_problems`` found none. Ending with the primary key makes the order total,
    so pages never overlap or skip rows.
    """
    keys = [SortKey(token.removeprefix("-"), token.startswith("-")) for token in raw.split(",")]
    named = {key.field for key in keys}
    return (*keys, *(SortKey(name) for name in primary_key if name not in named))


def format_sort(keys: tuple[SortKey, ...]) -> str:
    """The effective order in the ``sort=`` syntax, as echoed in every page."""
    return ",".join(("-" if key.descending else "") + key.field for key in keys)


def sort_query(default: str, allowed: tuple[str, ...]) -> Any:
    """The ``sort`` Query declaration shared by every list endpoint."""
    return Query(
        pattern=_SORT_SYNTAX,
        description=(
            f"Comma-separated fields, '-' prefix for descending; allowed: {', '.join(allowed)}. "
            "The primary key is always appended as a tie-breaker."
        ),
        examples=[default],
    )


TimeRangeDep = Annotated[TimeRange, Depends(get_time_range)]
EmissionFiltersDep = Annotated[EmissionFilters, Depends(get_emission_filters)]
PageDep = Annotated[PageParams, Depends(get_page_params)]
