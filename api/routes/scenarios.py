"""POST /v1/scenarios: gaps and warnings under a what-if scenario, computed in memory (nothing stored)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from api import native_memory, queries
from api.deps import CacheDep, CurrentKey, LanguageDep, SettingsDep, StorageDep
from api.routes.common import region_scope
from api.schemas import ScenarioResult
from api.security import check_scenario_scope, require_role
from talentcast.service import Service, load_scenario

router = APIRouter(prefix="/v1", tags=["scenarios"])

EXAMPLE = {
    "id": "ev-plant-2027",
    "name": "新能源汽车新工厂 / New EV plant",
    "changes": [
        {"kind": "employment_change", "target": {"region": "450200", "sector": "C36"}, "percent": 15,
         "years": {"from": 2027}},
        {"kind": "intake", "target": {"school": "S001", "major": "460701"}, "value": 120, "years": {"from": 2026}},
    ],
}


@router.post("/scenarios", response_model=ScenarioResult,
             summary="Evaluate a what-if scenario (情景分析); stored results are not changed")
def run_scenario(
    key: CurrentKey, storage: StorageDep, cache: CacheDep, settings: SettingsDep, lang: LanguageDep,
    scenario: Annotated[dict[str, Any], Body(description="scenario in the format of forecasting/scenarios.py",
                                             examples=[EXAMPLE])],
    region: Annotated[str | None, Query(max_length=20, description="only results for this region")] = None,
    year: Annotated[int | None, Query(ge=1990, le=2060, description="only this year / plan year")] = None,
) -> dict[str, Any]:
    """Planners (every change inside their region: a target region within it, or a school located in it) and
    admins. Runs in the worker thread pool: scenarios reuse the fitted
    state of the latest baseline run (no refit), about 2 s on the demo data once that state is loaded."""
    require_role(key, "admin", "planner")
    parsed = load_scenario(scenario)  # format errors -> 400 naming the field
    # Every change must stay in a planner's region (403), not only the regions the changes name.
    check_scenario_scope(key, parsed.changes, queries.region_tree(cache, storage), queries.school_regions(cache, storage))
    equals, within = region_scope(key, region, cache, storage)
    # The service answers exactly as `talentcast run --scenario` computes it, from the latest baseline run.
    try:
        answer = Service(storage, settings).scenario(parsed)
    finally:
        native_memory.trim()  # the scenario's arrays are freed: hand the memory back (api/native_memory.py)
    run, results = answer.run, answer.results
    gaps = queries.filter_frame(_code_columns_as_text(results["gaps"]), equals, within, "year", year, year)
    warnings = queries.filter_frame(_code_columns_as_text(results["warnings"]), equals, within, "plan_year", year, year)
    gap_items = queries.add_names(queries.records(gaps), {
        "region": queries.name_lookup(cache, storage, "regions", lang),
        "sector": queries.name_lookup(cache, storage, "sectors", lang)})
    warning_items = queries.add_names(queries.records(warnings), {
        "school": queries.name_lookup(cache, storage, "schools", lang),
        "major": queries.name_lookup(cache, storage, "majors", lang)})
    queries.pick_language(warning_items, "explanation", lang)
    queries.pick_language(gap_items, "rating_note", lang)
    return {"baseline_run_id": int(run.run_id), "scenario": queries.clean(parsed.to_dict()),
            "gaps": gap_items, "warnings": warning_items,
            "generated_inputs": queries.generated_tables(cache, storage, run.dataset_versions or {})}


def _code_columns_as_text(frame: Any) -> Any:
    frame = frame.copy()
    for column in ("region", "sector", "school", "major"):
        if column in frame.columns:
            frame[column] = frame[column].astype(str)
    return frame
