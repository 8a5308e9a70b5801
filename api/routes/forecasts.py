"""Forecast results: GET /v1/forecasts/demand and /v1/forecasts/supply."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api import queries
from api.deps import ReadDep
from api.routes.common import (
    EXPORT_RESPONSES,
    AcceptHeader,
    FormatQuery,
    RunIdQuery,
    export_response,
    json_response,
    region_scope,
    response_format,
    select_run,
)
from api.schemas import DemandForecast, ResultPage, SupplyForecast
from api.security import require_role, school_filter

router = APIRouter(prefix="/v1/forecasts", tags=["forecasts"])

CodeQuery = Annotated[str | None, Query(max_length=20)]
YearFrom = Annotated[int | None, Query(alias="from", ge=1990, le=2060, description="first year (inclusive)")]
YearTo = Annotated[int | None, Query(alias="to", ge=1990, le=2060, description="last year (inclusive)")]


@router.get("/demand", response_model=ResultPage[DemandForecast],
            summary="Forecast job openings by region, sector and year (需求预测)",
            responses=EXPORT_RESPONSES)
async def demand_forecasts(
    ctx: ReadDep,
    region: CodeQuery = None, sector: CodeQuery = None, year_from: YearFrom = None, year_to: YearTo = None,
    run_id: RunIdQuery = None, fmt: FormatQuery = None, accept: AcceptHeader = None,
) -> Any:
    """Employment, openings and graduate openings (mean and 80/95% intervals) with the model per series.
    `format=csv|xlsx` (or Accept) gives the export file of every matching row instead of a page."""

    key, storage, cache, lang, pagination = ctx.key, ctx.storage, ctx.cache, ctx.lang, ctx.pagination
    wanted = response_format(fmt, accept)
    if wanted != "json":
        def select() -> Any:
            require_role(key, "admin", "planner")
            equals, within = region_scope(key, region, cache, storage)
            run = select_run(cache, storage, run_id)
            return run, {**equals, "sector": sector, "year_from": year_from, "year_to": year_to}, within

        return await export_response(ctx, "forecasts", wanted, select)

    def handler() -> Any:
        require_role(key, "admin", "planner")
        equals, within = region_scope(key, region, cache, storage)
        run = select_run(cache, storage, run_id)
        return json_response(queries.result_page(
            cache, storage, run, "demand", model=ResultPage[DemandForecast], limit=pagination.limit,
            offset=pagination.offset, equals={**equals, "sector": sector}, within=within,
            year_from=year_from, year_to=year_to, lang=lang, name_tables={"region": "regions", "sector": "sectors"},
        ))

    return await queries.serve_cached(handler)


@router.get("/supply", response_model=ResultPage[SupplyForecast],
            summary="Expected graduates and local entrants by school, major and year (供给预测)",
            responses=EXPORT_RESPONSES)
async def supply_forecasts(
    ctx: ReadDep,
    region: CodeQuery = None, school: CodeQuery = None, major: CodeQuery = None,
    year_from: YearFrom = None, year_to: YearTo = None, run_id: RunIdQuery = None,
    fmt: FormatQuery = None, accept: AcceptHeader = None,
) -> Any:
    """A school key sees only its own school (another school's code answers 404); so does its export
    (`format=csv|xlsx` or Accept: every matching row instead of a page)."""

    key, storage, cache, lang, pagination = ctx.key, ctx.storage, ctx.cache, ctx.lang, ctx.pagination
    wanted = response_format(fmt, accept)
    if wanted != "json":
        def select() -> Any:
            only_school = school_filter(key, school)
            equals, within = region_scope(key, region, cache, storage)
            run = select_run(cache, storage, run_id)
            return run, {**equals, "school": only_school, "major": major, "year_from": year_from,
                         "year_to": year_to}, within

        return await export_response(ctx, "supply", wanted, select)

    def handler() -> Any:
        only_school = school_filter(key, school)
        equals, within = region_scope(key, region, cache, storage)
        run = select_run(cache, storage, run_id)
        return json_response(queries.result_page(
            cache, storage, run, "supply", model=ResultPage[SupplyForecast], limit=pagination.limit,
            offset=pagination.offset, equals={**equals, "school": only_school, "major": major}, within=within,
            year_from=year_from, year_to=year_to, lang=lang,
            name_tables={"school": "schools", "major": "majors"},
        ))

    return await queries.serve_cached(handler)
