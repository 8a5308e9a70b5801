"""GET /v1/models: registered versions of the demand model, their aliases and backtest metrics (MLflow).

The list comes from `talentcast.tracking.list_model_versions` (the forecasting side owns the registry); each
version is completed with every metric of the MLflow run that produced it.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import CurrentKey, PageDep, SettingsDep
from api.queries import clean
from api.schemas import ModelVersion, Page
from api.security import require_role
from talentcast.tracking import list_model_versions, store_unavailable

router = APIRouter(prefix="/v1/models", tags=["models"])


def tracking_uri(settings: Any) -> str:
    """The store talentcast.tracking uses: MLFLOW_TRACKING_URI when set, else the settings' one."""
    return os.environ.get("MLFLOW_TRACKING_URI") or settings.mlflow_tracking_uri


def _store_missing(uri: str) -> bool:
    """True for a SQLite tracking store whose file does not exist yet: nothing registered, nothing to open.

    Opening it would create the database (MLflow migrations take seconds) only to answer "no models".
    """
    if not uri.startswith("sqlite:///"):
        return False
    path = uri.removeprefix("sqlite:///")
    return path not in ("", ":memory:") and not Path(path).exists()


def registered_versions(uri: str) -> list[dict[str, Any]]:
    """Every registered version (newest first) with aliases, comparison metric and its run's metrics.

    Raises:
        StoreUnavailable: the MLflow store cannot be read (a damaged file): the API answers 503.
    """
    if _store_missing(uri):
        return []
    from mlflow.exceptions import MlflowException  # heavy: imported only when the registry is read
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return _registered_versions(uri)
    except (MlflowException, SQLAlchemyError) as exc:
        raise store_unavailable(uri, exc) from None


def _registered_versions(uri: str) -> list[dict[str, Any]]:
    from mlflow.tracking import MlflowClient  # heavy: imported only when the registry is read

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    aliases_of: dict[tuple[str, str], set[str]] = {}  # MLflow's version search leaves `aliases` empty
    versions = []
    for version in list_model_versions():
        item = dict(version)
        name = str(item.get("name"))
        if name not in {n for n, _ in aliases_of}:
            try:
                registered = client.get_registered_model(name)
                for alias, number in (getattr(registered, "aliases", None) or {}).items():
                    aliases_of.setdefault((name, str(number)), set()).add(alias)
            except Exception:  # registry without the model: no aliases to add
                pass
            aliases_of.setdefault((name, ""), set())
        item["aliases"] = sorted(set(item.get("aliases") or []) | aliases_of.get((name, str(item.get("version"))), set()))
        created = item.get("created_at")
        if isinstance(created, (int, float)):
            item["created_at"] = dt.datetime.fromtimestamp(created / 1000, tz=dt.timezone.utc)
        item["metrics"] = {}
        if item.get("run_id"):
            try:
                item["metrics"] = clean(dict(client.get_run(item["run_id"]).data.metrics))
            except Exception:  # the run was deleted: the version is still listed, without metrics
                item["metrics"] = {}
        versions.append(item)
    return versions


@router.get("", response_model=Page[ModelVersion], summary="Registered model versions with backtest metrics")
def list_models(
    key: CurrentKey, settings: SettingsDep, pagination: PageDep,
    alias: Annotated[str | None, Query(max_length=100, description="only versions with this alias")] = None,
) -> dict[str, Any]:
    require_role(key, "admin", "planner")
    versions = registered_versions(tracking_uri(settings))
    if alias is not None:
        versions = [v for v in versions if alias in (v.get("aliases") or [])]
    rows = versions[pagination.offset: pagination.offset + pagination.limit]
    return {"total": len(versions), "limit": pagination.limit, "offset": pagination.offset, "items": rows}
