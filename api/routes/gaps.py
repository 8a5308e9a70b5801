"""GET /v1/gaps: openings minus graduate supply per sector, with intervals and P(shortage)."""

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
from api.schemas import Gap, ResultPage
from api.security import require_role

router = APIRouter(prefix="/v1", tags=["gaps"])


@router.get("/gaps", response_model=ResultPage[Gap], summary="Supply-demand gaps by sector (供需缺口)",
            responses=EXPORT_RESPONSES)
async def list_gaps(
    ctx: ReadDep,
    region: Annotated[str | None, Query(max_length=20)] = None,
    sector: Annotated[str | None, Query(max_length=20)] = None,
    year: Annotated[int | None, Query(ge=1990, le=2060)] = None,
    run_id: RunIdQuery = None,
    fmt: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Any:
    """gap = openings - supply; ratio = openings / supply; p_shortage = P(ratio > shortage_threshold). A gap
    that is not rated (no or negligible local supply, or the region's schools not all in the data) has a null
    ratio and probabilities, `not_rated_reason` and `rating_note` saying why.
    `format=csv|xlsx` (or Accept) gives the export file of every matching row instead of a page."""

    key, storage, cache, lang, pagination = ctx.key, ctx.storage, ctx.cache, ctx.lang, ctx.pagination
    wanted = response_format(fmt, accept)
    if wanted != "json":
        def select() -> Any:
            require_role(key, "admin", "planner")
            equals, within = region_scope(key, region, cache, storage)
            run = select_run(cache, storage, run_id)
            return run, {**equals, "sector": sector, "year_from": year, "year_to": year}, within

        return await export_response(ctx, "gaps", wanted, select)

    def handler() -> Any:
        require_role(key, "admin", "planner")
        equals, within = region_scope(key, region, cache, storage)
        run = select_run(cache, storage, run_id)
        return json_response(queries.result_page(
            cache, storage, run, "gaps", model=ResultPage[Gap], limit=pagination.limit, offset=pagination.offset,
            equals={**equals, "sector": sector}, within=within, year_from=year, year_to=year,
            lang=lang, name_tables={"region": "regions", "sector": "sectors"},
            transform=lambda items: queries.pick_language(items, "rating_note", lang),
        ))

    return await queries.serve_cached(handler)
