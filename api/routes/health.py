"""GET /v1/health: is the service up, can it use its stores, what data does it hold (no key needed).

200 with status "ok", or "degraded" when the MLflow store fails (results are still served; GET /v1/models
answers 503); 503 with status "failing" when the database cannot be used. Each failing store is named with
its path and the reason.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from api import queries
from api.deps import get_storage
from api.routes.models import tracking_uri
from api.schemas import Health
from talentcast import __version__
from talentcast.storage import StoreUnavailable
from talentcast.storage.database import database_location, short_reason
from talentcast.tracking import store_problem

router = APIRouter(prefix="/v1", tags=["health"])

EMPTY_HINT = ("no results yet: load the demo with `talentcast demo`, or your own tables with "
              "`talentcast ingest TABLE FILE` (or POST /v1/datasets/{table}) and then recompute (POST /v1/runs)")


@router.get("/health", response_model=Health, summary="Service status, its stores and loaded data",
            responses={503: {"model": Health, "description": "the database cannot be used"}})
async def health(request: Request) -> Health | JSONResponse:
    tracking = store_problem(tracking_uri(request.app.state.settings))
    try:
        storage = await get_storage(request)
        versions = await run_in_threadpool(queries.current_versions, request.app.state.read_cache, storage)
        run = await run_in_threadpool(queries.latest_run, request.app.state.read_cache, storage)
    except (StoreUnavailable, SQLAlchemyError) as exc:
        problem = str(exc) if isinstance(exc, StoreUnavailable) else (
            f"the database {database_location(request.app.state.settings.database_url)} cannot be used: "
            f"{short_reason(exc)}")
        body = Health(status="failing", version=__version__, database=problem, tracking=tracking or "ok")
        return JSONResponse(body.model_dump(), status_code=503)
    return Health(
        status="degraded" if tracking else "ok",
        version=__version__,
        tracking=tracking or "ok",
        datasets={str(k): int(v) for k, v in versions.items()},
        latest_run_id=int(run.run_id) if run is not None else None,
        hint=EMPTY_HINT if run is None else None,
    )

