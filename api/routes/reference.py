"""Reference lists: GET /v1/regions, /v1/sectors, /v1/majors (public to every key), /v1/schools (scoped to the key).

One module for the four because they are the same operation over four contract tables: latest dataset
version, optional filters, a page, names in the request's language.
"""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query

from api import queries
from api.deps import CacheDep, CurrentKey, LanguageDep, PageDep, StorageDep
from api.routes.common import region_scope
from api.schemas import Major, Page, Region, School, Sector
from api.security import school_filter

router = APIRouter(prefix="/v1", tags=["reference"])

SearchQuery = Annotated[str | None, Query(max_length=100, description="text contained in the code or a name")]


def _reference_page(cache: queries.ReadCache, storage: Any, table: str, lang: str, limit: int, offset: int,
                    equals: dict[str, Any], search: str | None, within: dict[str, Any] | None = None
                    ) -> dict[str, Any]:
    version = queries.current_versions(cache, storage).get(table)
    frame = queries.reference_table(cache, storage, table, version)
    selected = queries.filter_frame(frame, equals, within)
    if search and not selected.empty:
        needle = search.strip().lower()
        text_columns = [c for c in ("code", "name", "name_zh", "name_en") if c in selected.columns]
        hit = pd.Series(False, index=selected.index)
        for column in text_columns:
            hit |= selected[column].astype(str).str.lower().str.contains(needle, regex=False, na=False)
        selected = selected[hit]
    total, rows = queries.page(selected, limit, offset)
    items = queries.records(rows)
    for item in items:
        if table == "schools":
            item["name_zh"] = item.pop("name", None)
        zh, en = item.get("name_zh"), item.get("name_en")
        item["name"] = (en or zh) if lang == "en" else (zh or en)
    generated = queries.generated_tables(cache, storage, {table: version}) if version is not None else []
    return {"total": total, "limit": limit, "offset": offset, "items": items, "generated": bool(generated)}


@router.get("/regions", response_model=Page[Region], summary="Administrative regions (行政区划)")
def list_regions(
    _key: CurrentKey, storage: StorageDep, cache: CacheDep, lang: LanguageDep, pagination: PageDep,
    parent: Annotated[str | None, Query(max_length=20, description="children of this region")] = None,
    level: Annotated[str | None, Query(max_length=20, description="province / city / district")] = None,
    q: SearchQuery = None,
) -> dict[str, Any]:
    return _reference_page(cache, storage, "regions", lang, pagination.limit, pagination.offset,
                           {"parent": parent, "level": level}, q)


@router.get("/sectors", response_model=Page[Sector], summary="Industry sectors (GB/T 4754 行业)")
def list_sectors(
    _key: CurrentKey, storage: StorageDep, cache: CacheDep, lang: LanguageDep, pagination: PageDep,
    parent: Annotated[str | None, Query(max_length=20, description="divisions of this section, e.g. C")] = None,
    q: SearchQuery = None,
) -> dict[str, Any]:
    return _reference_page(cache, storage, "sectors", lang, pagination.limit, pagination.offset,
                           {"parent": parent}, q)


@router.get("/majors", response_model=Page[Major], summary="Majors (专业目录)")
def list_majors(
    _key: CurrentKey, storage: StorageDep, cache: CacheDep, lang: LanguageDep, pagination: PageDep,
    level: Annotated[str | None, Query(max_length=20, description="中职 / 高职专科 / 职业本科 / 本科")] = None,
    category: Annotated[str | None, Query(max_length=100, description="专业类, e.g. 4607汽车制造类")] = None,
    q: SearchQuery = None,
) -> dict[str, Any]:
    return _reference_page(cache, storage, "majors", lang, pagination.limit, pagination.offset,
                           {"level": level, "category": category}, q)


@router.get("/schools", response_model=Page[School], summary="Schools (院校)")
def list_schools(
    key: CurrentKey, storage: StorageDep, cache: CacheDep, lang: LanguageDep, pagination: PageDep,
    region: Annotated[str | None, Query(max_length=20, description="region code")] = None,
    type: Annotated[str | None, Query(max_length=20, description="中职 / 高职 / 职业本科 / 本科")] = None,  # noqa: A002
    q: SearchQuery = None,
) -> dict[str, Any]:
    """Scoped to the key: a planner sees the schools of its region (403 for another region), a school key only
    its own school, admins and planners without a region every school."""
    equals, within = region_scope(key, region, cache, storage)
    if key.role == "school":
        equals, within = {"code": school_filter(key, None)}, {}
        if region is not None:
            equals["region"] = region
    return _reference_page(cache, storage, "schools", lang, pagination.limit, pagination.offset,
                           {**equals, "type": type}, q, within)
