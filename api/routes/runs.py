"""Pipeline runs: GET /v1/runs (history) and POST /v1/runs (admin: recompute on the latest data)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from api.deps import CacheDep, CurrentKey, PageDep, SettingsDep, StorageDep
from api.schemas import Page, Run, RunRequest
from api.security import require_role
from talentcast.service import Service

router = APIRouter(prefix="/v1/runs", tags=["runs"])


def _run_dict(run: Any) -> dict[str, Any]:
    return {
        "run_id": int(run.run_id), "created_at": run.created_at, "scenario_id": run.scenario_id,
        "dataset_versions": {str(k): int(v) for k, v in (run.dataset_versions or {}).items()},
        "mlflow_run_id": run.mlflow_run_id, "horizon": run.horizon, "status": run.status,
    }


@router.get("", response_model=Page[Run], summary="Pipeline runs, newest first")
def list_runs(key: CurrentKey, storage: StorageDep, pagination: PageDep) -> dict[str, Any]:
    require_role(key, "admin", "planner")
    runs = storage.runs()
    rows = runs[pagination.offset: pagination.offset + pagination.limit]
    return {"total": len(runs), "limit": pagination.limit, "offset": pagination.offset,
            "items": [_run_dict(r) for r in rows]}


@router.post("", response_model=Run, status_code=201,
             summary="Recompute forecasts, gaps and warnings on the latest data (admin)",
             responses={409: {"description": "a recompute is already running"}})
def create_run(
    key: CurrentKey, storage: StorageDep, cache: CacheDep, settings: SettingsDep,
    request: Annotated[RunRequest | None, Body()] = None,
) -> dict[str, Any]:
    """Synchronous: answers when the new run is committed (readers switch to it atomically)."""
    require_role(key, "admin")
    request = request or RunRequest()
    # wait=False: a second recompute while one runs answers 409 (service.Busy) instead of queueing.
    meta = Service(storage, settings).run(horizon=request.horizon, method=request.method or "auto",
                                          n_paths=request.n_paths, track=request.track, wait=False).meta
    cache.invalidate_pointers()
    return _run_dict(meta)
