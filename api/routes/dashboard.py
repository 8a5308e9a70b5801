"""Routes the web dashboard needs beside the result routes (same keys, same roles and scope as the rest).

    GET    /v1/me                         who the key is (role, region, school): what the dashboard shows
    GET    /v1/data-sources               input tables of a run: real / generated / user-supplied, last real year
    GET    /v1/sectors/{sector}/context   a sector's employment history, supply by feeding major, assumptions
    GET    /v1/major-sector-map           which sectors each major feeds (filter warnings by sector)
    GET    /v1/keys, POST /v1/keys, DELETE /v1/keys/{prefix}   admin: API keys as `talentcast keys` manages them

The numbers come from talentcast.dashboard (pure functions over the run's input tables).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api import queries
from api.deps import CacheDep, CurrentKey, StorageDep
from api.routes.common import RunIdQuery, region_scope, select_run
from api.security import check_region, not_found, require_role
from features.errors import TalentcastError
from talentcast.dashboard import data_sources, sector_context

router = APIRouter(prefix="/v1", tags=["dashboard"])


def _run_or_404(cache: Any, storage: Any, run_id: int | None) -> Any:
    run = select_run(cache, storage, run_id)
    if run is None:
        raise not_found("no completed run yet (load data with `talentcast demo` or POST /v1/runs)",
                        "还没有完成的运行（先用 talentcast demo 载入数据，或 POST /v1/runs）")
    return run


def _run_table(cache: Any, storage: Any, run: Any, table: str) -> Any:
    versions = dict(run.dataset_versions or {})
    version = versions.get(table, queries.current_versions(cache, storage).get(table))
    return queries.reference_table(cache, storage, table, version)


def _key_dict(key: Any) -> dict[str, Any]:
    return {"id": int(key.id), "prefix": key.prefix, "role": key.role, "school": key.school, "region": key.region,
            "name": key.name, "created_at": key.created_at, "revoked_at": getattr(key, "revoked_at", None)}


@router.get("/me", summary="The caller's role and scope (what the dashboard shows)")
async def me(key: CurrentKey) -> dict[str, Any]:
    return {"role": key.role, "region": key.region, "school": key.school, "name": key.name}


@router.get("/data-sources", summary="Input tables of a run: real, generated or user-supplied; last real year")
def list_data_sources(
    key: CurrentKey, storage: StorageDep, cache: CacheDep,
    region: Annotated[str | None, Query(max_length=20)] = None, run_id: RunIdQuery = None,
) -> dict[str, Any]:
    require_role(key, "admin", "planner")
    region = region or key.region
    if region is not None:
        check_region(key, region, queries.region_tree(cache, storage))
    run = _run_or_404(cache, storage, run_id)
    used = dict(run.dataset_versions or {})
    versions = [v for v in storage.versions() if used.get(v.table) == v.version]
    employment = _run_table(cache, storage, run, "employment") if "employment" in used else None
    return {"run_id": int(run.run_id), "run_created_at": run.created_at, "region": region,
            "items": data_sources(versions, employment, region)}


@router.get("/sectors/{sector}/context", summary="A sector's history, supply by feeding major and assumptions")
def get_sector_context(
    key: CurrentKey, storage: StorageDep, cache: CacheDep, sector: str,
    region: Annotated[str | None, Query(max_length=20)] = None, run_id: RunIdQuery = None,
) -> dict[str, Any]:
    require_role(key, "admin", "planner")
    region = region or key.region
    if region is None:
        raise TalentcastError("give the region: ?region=CODE (an admin key has no region of its own)",
                              "请给出地区：?region=代码（管理员密钥没有自己的地区）")
    equals, within = region_scope(key, region, cache, storage)
    run = _run_or_404(cache, storage, run_id)
    tables = {name: _run_table(cache, storage, run, name)
              for name in ("employment", "major_sector_map", "sector_parameters")}
    supply = queries.filter_frame(queries.run_results(cache, storage, "supply", int(run.run_id)), equals, within)
    employment_version = dict(run.dataset_versions or {}).get("employment")
    metadata = next((v.metadata for v in storage.versions("employment") if v.version == employment_version), {})
    context = sector_context(tables, supply, metadata, region, sector)
    names = queries.name_lookup(cache, storage, "majors", "zh")
    names_en = queries.name_lookup(cache, storage, "majors", "en")
    for row in context["supply_by_major"]:
        row["major_name_zh"], row["major_name_en"] = names.get(row["major"]), names_en.get(row["major"])
    return {"run_id": int(run.run_id), "region": region, "sector": sector, **context}


@router.get("/major-sector-map", summary="Which sectors each major feeds (share of its graduates)")
def major_sector_map(key: CurrentKey, storage: StorageDep, cache: CacheDep, run_id: RunIdQuery = None
                     ) -> dict[str, Any]:
    run = _run_or_404(cache, storage, run_id)
    frame = _run_table(cache, storage, run, "major_sector_map")
    return {"items": [{"major": str(r.major), "sector": str(r.sector), "weight": float(r.weight)}
                      for r in frame.itertuples(index=False)]}


class KeyRequest(BaseModel):
    role: Literal["admin", "planner", "school"]
    region: str | None = Field(default=None, max_length=20)
    school: str | None = Field(default=None, max_length=40)
    name: str = Field(default="", max_length=200)


@router.get("/keys", summary="API keys (admin; secrets are never shown)")
async def list_keys(key: CurrentKey, storage: StorageDep) -> dict[str, Any]:
    require_role(key, "admin")
    keys = await run_in_threadpool(storage.list_api_keys)
    return {"total": len(keys), "items": [_key_dict(k) for k in keys]}


@router.post("/keys", status_code=201, summary="Create an API key (admin); the secret is shown once")
def create_key(key: CurrentKey, storage: StorageDep, request: Annotated[KeyRequest, Body()]) -> dict[str, Any]:
    require_role(key, "admin")
    plaintext, created = storage.create_api_key(request.role, school=request.school, region=request.region,
                                                name=request.name)
    return {**_key_dict(created), "key": plaintext}


@router.delete("/keys/{prefix}", summary="Revoke an API key (admin)")
def revoke_key(key: CurrentKey, storage: StorageDep, prefix: str) -> dict[str, Any]:
    require_role(key, "admin")
    return _key_dict(storage.revoke_api_key(prefix))
