"""MLflow tracking: one run per forecast / backtest; the registered model versions (for GET /v1/models).

    run_id = track_run("backtest", params, metrics, artifacts={"backtest.csv": bt}, dataset=dataset_info(...))
    list_model_versions()                       # for GET /v1/models
    # registering and loading the demand model by alias: talentcast.model_registry

The store defaults to ``get_settings().mlflow_tracking_uri`` (SQLite file in the data directory;
``MLFLOW_TRACKING_URI`` overrides) with artifacts under ``Settings().artifacts_dir``. Telemetry is off and the
registered model logs explicit pip requirements (inference takes tens of seconds and needs the network).
Models are served by alias (``models:/talentcast-demand@champion``), never by the deprecated stages.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from talentcast.settings import get_settings

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_ENABLE_TELEMETRY", "false")
# The served model names its requirements explicitly; copying the uv project files into it adds nothing.
os.environ.setdefault("MLFLOW_LOG_UV_FILES", "false")

EXPERIMENT = "talentcast"
MODEL_NAME = "talentcast-demand"
CHAMPION = "champion"
PIP_REQUIREMENTS = ["numpy", "pandas", "scikit-learn", "scipy", "statsmodels", "mlflow"]


def _client():
    """Configure MLflow for the current settings and return (mlflow module, client, experiment id)."""
    # Imported here (as below): mlflow takes seconds to import; only commands that track or serve need it.
    import mlflow
    from mlflow.tracking import MlflowClient

    settings = get_settings()
    uri = os.environ.get("MLFLOW_TRACKING_URI") or settings.mlflow_tracking_uri
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    if experiment is None:
        settings.artifacts_dir.mkdir(parents=True, exist_ok=True)
        experiment_id = client.create_experiment(EXPERIMENT, artifact_location=settings.artifacts_dir.as_uri())
    else:
        experiment_id = experiment.experiment_id
    return mlflow, client, experiment_id


def dataset_info(frame: pd.DataFrame, path: str | os.PathLike | None = None) -> dict:
    """Version facts of an input: file name, sha256 of the file bytes (or of the table), rows, series."""
    if path is not None and Path(path).is_file():
        checksum = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    else:
        hashed = pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy()
        checksum = hashlib.sha256(hashed.tobytes()).hexdigest()
    info = {"dataset_file": str(path) if path else "", "dataset_sha256": checksum, "dataset_rows": len(frame)}
    if "series_id" in frame.columns:
        info["dataset_series"] = int(frame["series_id"].nunique())
    return info


def _metric_key(name: str) -> str:
    # MLflow keys allow letters, digits and _ - . / and space; model names are safe, keep others readable.
    return "".join(ch if ch.isalnum() or ch in "_-./ " else "_" for ch in name)


def track_run(
    kind: str,
    params: dict,
    metrics: dict[str, float] | None = None,
    window_metrics: pd.DataFrame | None = None,
    artifacts: dict[str, pd.DataFrame] | None = None,
    dataset: dict | None = None,
    tags: dict | None = None,
) -> str:
    """Record one forecast or backtest run; returns the MLflow run id.

    Args:
        kind: "forecast" or "backtest" (tag ``talentcast.kind``).
        params: run parameters (method, horizon, levels, engine, ...).
        metrics: overall metrics, e.g. {"auto.mase": 0.91, "naive.mase": 1.0}.
        window_metrics: per-window metrics with columns model, window (int step), and metric columns; each
            becomes a metric ``window.{model}.{metric}`` logged at that step (overall ones have no prefix).
        artifacts: {file name: frame} written as CSV artifacts (the backtest table, the forecasts).
        dataset: :func:`dataset_info` of the input (logged as params, so runs on different data differ).
        tags: extra tags.
    """
    from mlflow.entities import Metric, Param  # lazy: mlflow is slow to import (see _client)

    _, client, experiment_id = _client()
    run = client.create_run(experiment_id, run_name=f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}",
                            tags={"talentcast.kind": kind, **{k: str(v) for k, v in (tags or {}).items()}})
    run_id = run.info.run_id
    now = int(time.time() * 1000)
    all_params = {**params, **(dataset or {})}
    param_list = [Param(str(k), str(v)[:6000]) for k, v in all_params.items()]
    metric_list = [Metric(_metric_key(k), float(v), now, 0) for k, v in (metrics or {}).items()
                   if v is not None and pd.notna(v)]
    if window_metrics is not None and len(window_metrics):
        value_columns = [c for c in window_metrics.columns if c not in ("model", "window", "cutoff")]
        for row in window_metrics.itertuples(index=False):
            record = row._asdict()
            for column in value_columns:
                value = record[column]
                if pd.notna(value):
                    metric_list.append(Metric(_metric_key(f"window.{record['model']}.{column}"), float(value), now,
                                              int(record["window"])))
    # log_batch accepts at most 1000 metrics and 100 params per call; few calls keep tracking fast.
    for start in range(0, len(param_list), 100):
        client.log_batch(run_id, params=param_list[start : start + 100])
    for start in range(0, len(metric_list), 1000):
        client.log_batch(run_id, metrics=metric_list[start : start + 1000])
    if artifacts:
        with tempfile.TemporaryDirectory() as folder:
            for name, frame in artifacts.items():
                if frame is not None:
                    frame.to_csv(Path(folder) / name, index=False, encoding="utf-8")
            client.log_artifacts(run_id, folder)
    client.set_terminated(run_id)
    return run_id


def list_model_versions() -> list[dict]:
    """Registered versions of the demand model, newest first: version, aliases, metric, value, promoted,
    run_id, created_at (ms), config."""
    from mlflow.exceptions import MlflowException  # lazy: mlflow is slow to import (see _client)

    _, client, _ = _client()
    try:
        versions = client.search_model_versions(f"name='{MODEL_NAME}'")
        # search results do not carry aliases in every store; the registered model does.
        alias_map = client.get_registered_model(MODEL_NAME).aliases or {}
    except MlflowException:
        return []
    aliases_of: dict[str, list[str]] = {}
    for alias, number in alias_map.items():
        aliases_of.setdefault(str(number), []).append(alias)
    out = []
    for v in versions:
        value = v.tags.get("metric_value")
        out.append(
            {
                "name": MODEL_NAME,
                "version": int(v.version),
                "aliases": sorted(set(getattr(v, "aliases", []) or []) | set(aliases_of.get(str(v.version), []))),
                "metric": v.tags.get("metric"),
                "metric_value": float(value) if value else None,
                "champion_value_before": float(v.tags["champion_value_before"])
                if v.tags.get("champion_value_before") else None,
                "promoted": v.tags.get("promoted") == "true",
                "run_id": v.run_id,
                "created_at": v.creation_timestamp,
                "config": v.tags.get("config"),
            }
        )
    return sorted(out, key=lambda r: r["version"], reverse=True)
