"""``GET /v1/emissions/summary``: totals per organisation, scope or category over [from, to)."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from read_api.db import SessionDep
from read_api.grains import Grain, coarsest_aligned_grain, is_aligned
from read_api.params import (
    EmissionFiltersDep, PageDep, TimeRangeDep, parse_sort, problem, raise_problems, sort_problems, sort_query,
)
from read_api.queries import SUMMARY_GROUP_COLUMNS, SummaryQuery, read_emission_summary, summary_sort_fields
from read_api.schemas import EmissionSummaryPage

router = APIRouter(prefix="/v1/emissions/summary", tags=["summary"])

GroupBy = Literal["org", "scope", "category"]
MINUTE_ALIGNMENT_REASON = (
    "must be a whole UTC minute (zero seconds and fraction): totals are read exactly from the "
    "minute/hour/day/month rollups, which cannot split a minute"
)


async def get_summary_query(
    time_range: TimeRangeDep,
    filters: EmissionFiltersDep,
    page: PageDep,
    group_by: Annotated[GroupBy, Query(description="Group totals by org, scope or category")] = "org",
    sort: Annotated[
        str | None, sort_query("-co2e_kg_sum", ("<group column>", "event_count", "co2e_kg_sum"))
    ] = None,
) -> SummaryQuery:
    key_column = SUMMARY_GROUP_COLUMNS[group_by]
    sort = sort or key_column
    problems = [*time_range.problems(), *sort_problems(sort, summary_sort_fields(group_by))]
    grain = coarsest_aligned_grain(time_range.start, time_range.end)
    if grain is None:
        for name, moment in (("from", time_range.start), ("to", time_range.end)):
            if not is_aligned(moment, Grain.minute):
                problems.append(problem(name, MINUTE_ALIGNMENT_REASON, moment.isoformat()))
    raise_problems(problems)
    assert grain is not None  # raise_problems answered 422 otherwise
    return SummaryQuery(grain, group_by, time_range, filters, parse_sort(sort, (key_column,)), page)


SummaryQueryDep = Annotated[SummaryQuery, Depends(get_summary_query)]


@router.get(
    "",
    response_model=EmissionSummaryPage,
    response_model_exclude_none=True,
    summary="Emission totals per group over a time range",
    description=(
        "Event count and total kg CO2e per group over [`from`, `to`). The totals are exact: they "
        "are summed from the coarsest rollup (month, day, hour, minute; UTC) whose window boundaries "
        "both `from` and `to` fall on, reported as `rollup_grain`; `from` and `to` must therefore be "
        "whole UTC minutes. Sort fields: the group column (`org_id`, `scope` or `category`), "
        "`event_count`, `co2e_kg_sum`; default: the group column."
    ),
)
def read_summary(query: SummaryQueryDep, session: SessionDep) -> EmissionSummaryPage:
    total, items = read_emission_summary(session, query)
    return EmissionSummaryPage.of(
        items, total, query.page, query.sort, group_by=query.group_by, rollup_grain=query.grain,
        from_=query.time_range.start, to=query.time_range.end,
    )
