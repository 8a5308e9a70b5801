"""Helpers the result routes share: run selection and the caller's region / school scope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Response

from api import queries
from api.queries import ReadCache
from api.security import Principal, check_region, region_predicate

RunIdQuery = Annotated[
    int | None,
    Query(ge=1, le=2**62, description="read this run (default: the latest completed baseline run); pass the "
                                     "run_id of the first page to page through one consistent run"),
]


def select_run(cache: ReadCache, storage: Any, run_id: int | None) -> Any | None:
    """The run a request reads (404 for an unknown run_id)."""
    return queries.find_run(cache, storage, run_id)  # NotFoundError -> 404 (see api.main)


def region_scope(principal: Principal, region: str | None, cache: ReadCache, storage: Any
                 ) -> tuple[dict, dict]:
    """(equals, within) filters on `region` for the caller (403 for a region outside its scope)."""
    regions = queries.region_tree(cache, storage)
    if region is not None:
        check_region(principal, region, regions)
        return {"region": region}, {}
    return {}, {"region": region_predicate(principal, regions)}


def json_response(body: bytes) -> Response:
    """A finished JSON body (already validated against the route's response model)."""
    return Response(content=body, media_type="application/json")
