"""GET /v1/models: registered forecasting model versions, their aliases and backtest metrics (MLflow)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import CurrentKey, PageDep, SettingsDep
from api.schemas import ModelVersion, Page
from api.security import require_role

router = APIRouter(prefix="/v1/models", tags=["models"])


def _store_missing(tracking_uri: str) -> bool:
    """True for a SQLite tracking store whose file does not exist yet: nothing registered, nothing to open.

    Opening it would create the database (MLflow migrations take seconds) only to answer "no models".
    """
    if not tracking_uri.startswith("sqlite:///"):
        return False
    path = tracking_uri.removeprefix("sqlite:///")
    return path not in ("", ":memory:") and not Path(path).exists()


def registered_versions(tracking_uri: str) -> list[dict[str, Any]]:
    """Every registered model version with aliases and the metrics of the run that produced it."""
    if _store_missing(tracking_uri):
        return []
    try:
        from models import tracking
    except ImportError:
        tracking = None
    if tracking is not None and hasattr(tracking, "list_model_versions"):
        return [dict(v) for v in tracking.list_model_versions(tracking_uri=tracking_uri)]
    return _versions_from_mlflow(tracking_uri)


def _versions_from_mlflow(tracking_uri: str) -> list[dict[str, Any]]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    found: list[dict[str, Any]] = []
    for model in client.search_registered_models():
        aliases_by_version: dict[str, list[str]] = {}
        for alias, version in (getattr(model, "aliases", None) or {}).items():
            aliases_by_version.setdefault(str(version), []).append(alias)
        for version in client.search_model_versions(f"name='{model.name}'"):
            metrics: dict[str, float] = {}
            if version.run_id:
                try:
                    metrics = dict(client.get_run(version.run_id).data.metrics)
                except Exception:  # the run was deleted: the version is still listed
                    metrics = {}
            found.append({
                "name": model.name, "version": str(version.version),
                "aliases": sorted(set(aliases_by_version.get(str(version.version), []))
                                  | set(getattr(version, "aliases", []) or [])),
                "run_id": version.run_id, "created_at": version.creation_timestamp and
                _from_millis(version.creation_timestamp), "status": version.status,
                "metrics": metrics, "tags": dict(version.tags or {}),
            })
    found.sort(key=lambda v: (v["name"], -int(v["version"]) if v["version"].isdigit() else 0))
    return found


def _from_millis(value: int) -> Any:
    import datetime as dt

    return dt.datetime.fromtimestamp(value / 1000, tz=dt.timezone.utc)


@router.get("", response_model=Page[ModelVersion], summary="Registered model versions with backtest metrics")
def list_models(
    key: CurrentKey, settings: SettingsDep, pagination: PageDep,
    name: Annotated[str | None, Query(max_length=200, description="only this registered model")] = None,
) -> dict[str, Any]:
    require_role(key, "admin", "planner")
    versions = registered_versions(settings.mlflow_tracking_uri)
    if name is not None:
        versions = [v for v in versions if v["name"] == name]
    rows = versions[pagination.offset: pagination.offset + pagination.limit]
    return {"total": len(versions), "limit": pagination.limit, "offset": pagination.offset, "items": rows}
