"""``GET /v1/orgs/{org_id}/emissions``: an organisation's rollup time series."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from read_api.db import SessionDep
from read_api.grains import Grain
from read_api.params import (
    EmissionFiltersDep, OrgIdPath, PageDep, TimeRangeDep, parse_sort, raise_problems, sort_problems, sort_query,
)
from read_api.queries import SERIES_PRIMARY_KEY, SERIES_SORT_FIELDS, SeriesQuery, read_emission_series
from read_api.schemas import EmissionWindowsPage

router = APIRouter(prefix="/v1/orgs/{org_id}/emissions", tags=["emissions"])

DEFAULT_SORT = "window_start"


async def get_series_query(
    org_id: OrgIdPath,
    time_range: TimeRangeDep,
    filters: EmissionFiltersDep,
    page: PageDep,
    grain: Annotated[Grain, Query(description="Rollup window: UTC minute, hour, day or calendar month")] = (
        Grain.hour
    ),
    sort: Annotated[str, sort_query(DEFAULT_SORT, SERIES_SORT_FIELDS)] = DEFAULT_SORT,
) -> SeriesQuery:
    raise_problems([*time_range.problems(), *sort_problems(sort, SERIES_SORT_FIELDS)])
    return SeriesQuery(org_id, grain, time_range, filters, parse_sort(sort, SERIES_PRIMARY_KEY), page)


SeriesQueryDep = Annotated[SeriesQuery, Depends(get_series_query)]


@router.get(
    "",
    response_model=EmissionWindowsPage,
    summary="An organisation's emissions per rollup window",
    description=(
        "Rows of `emission_rollup_<grain>` for the organisation whose `window_start` is in "
        "[`from`, `to`), optionally one scope and/or category. Masses are kg CO2e as exact decimal "
        "strings. Default order: `window_start`, then the primary key (scope, category, window_start)."
    ),
)
def list_org_emissions(query: SeriesQueryDep, session: SessionDep) -> EmissionWindowsPage:
    total, items = read_emission_series(session, query)
    return EmissionWindowsPage.of(items, total, query.page, query.sort)
