"""GET /v1/warnings: expand / hold / shrink warnings per school major, with evidence and explanation."""

from __future__ import annotations

from typing import Annotated, Any, Literal

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
from api.schemas import ResultPage, Warning
from api.security import school_filter
from early_warning import BUILTIN_RULE_SETS, LEVELS
from talentcast.service import Service

# Only built-in rule sets by name: a path from a client must never be read on the server.
RuleSetName = Literal[BUILTIN_RULE_SETS]  # type: ignore[valid-type]
Level = Literal[LEVELS]  # type: ignore[valid-type]  # red, yellow, green, not_rated

router = APIRouter(prefix="/v1", tags=["warnings"])


@router.get("/warnings", response_model=ResultPage[Warning], summary="Major early warnings (专业预警)",
            responses=EXPORT_RESPONSES)
async def list_warnings(
    ctx: ReadDep,
    school: Annotated[str | None, Query(max_length=20)] = None,
    major: Annotated[str | None, Query(max_length=20)] = None,
    level: Annotated[Level | None, Query(description="red, yellow, green or not_rated (无法评估: no rule fired "
                                         "and the major's demand - or, for outcome-only rule sets, its "
                                         "employment outcome - is unknown)")] = None,
    year: Annotated[int | None, Query(ge=1990, le=2060, description="plan year (招生计划年度)")] = None,
    region: Annotated[str | None, Query(max_length=20)] = None,
    run_id: RunIdQuery = None,
    rule_set: Annotated[RuleSetName | None, Query(description="compute the run's warnings under this built-in "
                                                  "rule set (default: the stored ones)")] = None,
    fmt: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Any:
    """A school key sees only its own school (another school's code answers 404). With `rule_set`, the warnings
    are computed by the service from the run's own results and dataset versions, exactly as `talentcast
    warnings --rules NAME` does; nothing is stored. `format=csv|xlsx` (or Accept) gives the export file of
    every matching row instead of a page, as `talentcast export warnings` writes it."""

    key, storage, cache, lang, pagination = ctx.key, ctx.storage, ctx.cache, ctx.lang, ctx.pagination
    wanted = response_format(fmt, accept)
    if wanted != "json":  # the export file, under the same school and region scope as the page
        def select() -> Any:
            only_school = school_filter(key, school)
            equals, within = region_scope(key, region, cache, storage)
            run = select_run(cache, storage, run_id)
            return run, {**equals, "school": only_school, "major": major, "level": level, "year_from": year,
                         "year_to": year}, within

        return await export_response(ctx, "warnings", wanted, select, rule_set=rule_set)

    def handler() -> Any:
        only_school = school_filter(key, school)
        equals, within = region_scope(key, region, cache, storage)
        run = select_run(cache, storage, run_id)
        load = None
        if rule_set is not None and run is not None:
            def load() -> Any:
                return Service(storage, ctx.settings).warnings(run_id=int(run.run_id), rule_set=rule_set).frame
        return json_response(queries.result_page(
            cache, storage, run, "warnings", model=ResultPage[Warning], limit=pagination.limit,
            offset=pagination.offset, equals={**equals, "school": only_school, "major": major, "level": level},
            within=within, year_column="plan_year", year_from=year, year_to=year, lang=lang,
            name_tables={"school": "schools", "major": "majors"},
            transform=lambda items: queries.pick_language(items, "explanation", lang),
            variant=("rule_set", rule_set) if rule_set else (), load=load,
        ))

    return await queries.serve_cached(handler)
