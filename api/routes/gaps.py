"""GET /v1/gaps: openings minus graduate supply per sector, with intervals and P(shortage)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api import queries
from api.deps import CacheDep, CurrentKey, LanguageDep, PageDep, StorageDep
from api.routes.common import RunIdQuery, region_scope, select_run
from api.schemas import Gap, ResultPage
from api.security import require_role

router = APIRouter(prefix="/v1", tags=["gaps"])


@router.get("/gaps", response_model=ResultPage[Gap], summary="Supply-demand gaps by sector (供需缺口)")
def list_gaps(
    key: CurrentKey, storage: StorageDep, cache: CacheDep, lang: LanguageDep, pagination: PageDep,
    region: Annotated[str | None, Query(max_length=20)] = None,
    sector: Annotated[str | None, Query(max_length=20)] = None,
    year: Annotated[int | None, Query(ge=1990, le=2060)] = None,
    run_id: RunIdQuery = None,
) -> dict[str, Any]:
    """gap = openings - supply; ratio = openings / supply; p_shortage = P(ratio > shortage_threshold)."""
    require_role(key, "admin", "planner")
    equals, within = region_scope(key, region, cache, storage)
    run = select_run(cache, storage, run_id)
    return queries.result_page(
        cache, storage, run, "gaps", limit=pagination.limit, offset=pagination.offset,
        equals={**equals, "sector": sector}, within=within, year_from=year, year_to=year, lang=lang,
        name_tables={"region": "regions", "sector": "sectors"},
    )
