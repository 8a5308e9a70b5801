"""Helpers the result routes share: run selection, the caller's region / school scope, and exports.

A result route answers JSON pages by default; `?format=csv|xlsx` (or an `Accept: text/csv` / XLSX header)
answers the export file instead - every matching row, names beside codes, Chinese headers, evidence in columns -
built by the service exactly as `talentcast export` builds it, under the same role and scope as the JSON page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import Header, Query, Response
from starlette.concurrency import run_in_threadpool

from api import queries
from api.deps import weighted_values
from api.queries import ReadCache
from api.security import Principal, check_region, not_found, region_predicate
from talentcast.export import MEDIA_TYPES, export_filename
from talentcast.service import Service

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


FormatQuery = Annotated[
    Literal["json", "csv", "xlsx"] | None,
    Query(alias="format", description="csv or xlsx: the export file (every matching row, names beside codes, Chinese "
                                      "headers, evidence in columns; limit/offset do not apply), as `talentcast "
                                      "export` writes it. Default: json, or what the Accept header asks for"),
]
AcceptHeader = Annotated[str | None, Header(description="text/csv or the XLSX media type ask for the export file")]

EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "a page of results (JSON), or with format=csv|xlsx the export file",
          "content": {"text/csv": {"schema": {"type": "string"}},
                      MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}}}},
}

_ACCEPTED = {"application/json": "json", "application/*": "json", "*/*": "json", "text/csv": "csv",
             "text/*": "csv", MEDIA_TYPES["xlsx"]: "xlsx"}


def response_format(fmt: str | None, accept: str | None) -> str:
    """json, csv or xlsx: the `format` parameter if given, else the Accept header's preferred type (json when it
    names none of them)."""
    if fmt:
        return fmt
    best, best_q = "json", 0.0
    for media, q in weighted_values(accept):
        kind = _ACCEPTED.get(media)
        if kind and q > best_q:
            best, best_q = kind, q
    return best


async def export_response(ctx: Any, kind: str, fmt: str,
                          select: Callable[[], tuple[Any, dict[str, Any], dict[str, Any]]],
                          rule_set: str | None = None) -> Response:
    """The export file of `kind` for the caller: the service's bytes (as the CLI gets them), as an attachment.

    `select()` does what the JSON page does first - role and scope checks, run selection - and returns (run,
    filters, within); it runs in a worker thread with the export, since both may read the database.
    """

    def build() -> tuple[int, bytes]:
        run, filters, within = select()
        if run is None:
            raise not_found("no completed run yet: nothing to export (load data and recompute with POST /v1/runs)",
                            "还没有已完成的运行，无可导出（载入数据后用 POST /v1/runs 重新计算）")
        scope = within.get("region")
        label = f"API key scope: region {ctx.key.region} and the regions below it" if scope is not None else None
        data = Service(ctx.storage, ctx.settings).export(kind, fmt, run_id=int(run.run_id), filters=filters,
                                                         lang=ctx.lang, region_scope=scope, scope_label=label,
                                                         rule_set=rule_set)
        return int(run.run_id), data

    run_id, data = await run_in_threadpool(build)
    name = export_filename(kind, fmt, run_id)
    return Response(content=data, media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
