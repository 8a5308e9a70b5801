"""GET /v1/health: is the service up, what data does it hold (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter

from api import queries
from api.deps import CacheDep, StorageDep
from api.schemas import Health
from talentcast import __version__

router = APIRouter(prefix="/v1", tags=["health"])

EMPTY_HINT = ("no results yet: load the demo with `talentcast demo`, or your own tables with "
              "`talentcast ingest TABLE FILE` (or POST /v1/datasets/{table}) and then recompute (POST /v1/runs)")


@router.get("/health", response_model=Health, summary="Service status and loaded data")
def health(storage: StorageDep, cache: CacheDep) -> Health:
    versions = queries.current_versions(cache, storage)
    run = queries.latest_run(cache, storage)
    return Health(
        version=__version__,
        datasets={str(k): int(v) for k, v in versions.items()},
        latest_run_id=int(run.run_id) if run is not None else None,
        hint=EMPTY_HINT if run is None else None,
    )
