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

import contextlib
import hashlib
import logging
import os
import socket
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

from talentcast.settings import get_settings
from talentcast.storage import StoreUnavailable
from talentcast.storage.database import unavailable

logger = logging.getLogger("talentcast.tracking")

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_ENABLE_TELEMETRY", "false")
# The served model names its requirements explicitly; copying the uv project files into it adds nothing.
os.environ.setdefault("MLFLOW_LOG_UV_FILES", "false")

EXPERIMENT = "talentcast"
MODEL_NAME = "talentcast-demand"
CHAMPION = "champion"
PIP_REQUIREMENTS = ["numpy", "pandas", "scikit-learn", "scipy", "statsmodels", "mlflow"]


# Tags on every run talentcast creates: which process owns it while it is RUNNING (see close_orphaned_runs).
OWNER_HOST, OWNER_PID, OWNER_STARTED = "talentcast.host", "talentcast.pid", "talentcast.pid_started"
# A RUNNING run without owner tags (made before they existed) counts as orphaned after this long.
_UNOWNED_RUN_SECONDS = 6 * 3600
_CLEANED: set[str] = set()  # tracking URIs whose orphaned runs this process has closed
_CLEAN_LOCK = threading.Lock()


def tracking_uri() -> str:
    """The store in use: MLFLOW_TRACKING_URI when set, else the settings' one (a SQLite file in the home)."""
    return os.environ.get("MLFLOW_TRACKING_URI") or get_settings().mlflow_tracking_uri


def store_location(uri: str) -> str:
    """The file of a SQLite tracking URI, else the URI."""
    return uri.removeprefix("sqlite:///") if uri.startswith("sqlite:///") else uri


def store_unavailable(uri: str, exc: BaseException) -> StoreUnavailable:
    """One line naming the MLflow store and what to do (never the SQL of the failing statement)."""
    where = store_location(uri)
    advice = (f"move it aside (`mv {where} {where}.broken`; talentcast creates a new store at the next run, "
              "without the old runs and model versions) or point MLFLOW_TRACKING_URI at a working store"
              if uri.startswith("sqlite:///") else "check that the tracking server answers, or point "
              "MLFLOW_TRACKING_URI at a working store")
    return unavailable("the MLflow store", where, exc, advice, "MLflow 存储")


def _client():
    """Configure MLflow for the current settings and return (mlflow module, client, experiment id).

    Raises:
        StoreUnavailable: the store cannot be opened (a damaged mlflow.db, a read-only home, ...).
    """
    # Imported here (as below): mlflow takes seconds to import; only commands that track or serve need it.
    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient
    from sqlalchemy.exc import SQLAlchemyError

    settings = get_settings()
    uri = tracking_uri()
    try:
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
    except (MlflowException, SQLAlchemyError, OSError) as exc:
        raise store_unavailable(uri, exc) from None
    with _CLEAN_LOCK:
        first_use = uri not in _CLEANED
        _CLEANED.add(uri)
    if first_use:
        close_orphaned_runs(client, experiment_id)
    return mlflow, client, experiment_id


def ensure_store() -> None:
    """Open the MLflow store now (StoreUnavailable when it cannot be used), e.g. before minutes of computing."""
    _client()


def store_problem(uri: str | None = None) -> str | None:
    """Why the MLflow store cannot be used, or None when it looks fine; cheap (no mlflow import), for health.

    A SQLite store is opened read-only and its schema read: a damaged file ("file is not a database") or an
    unreadable one is reported. A store that does not exist yet is fine (the first run creates it).
    """
    uri = uri or tracking_uri()
    if not uri.startswith("sqlite:///"):
        return None
    path = Path(store_location(uri))
    if not path.exists():
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=2)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except (sqlite3.Error, OSError) as exc:
        return f"the MLflow store {path} cannot be used: {exc}"
    return None


def _process_started(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, from /proc), to tell it from a reused pid."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def owner_tags() -> dict[str, str]:
    """Tags naming this process as the owner of a run it creates."""
    return {OWNER_HOST: socket.gethostname(), OWNER_PID: str(os.getpid()),
            OWNER_STARTED: _process_started(os.getpid()) or ""}


def _owner_alive(tags: dict[str, str], started_ms: int | None) -> bool:
    """Whether the process that created a RUNNING run may still be working on it."""
    if OWNER_PID not in tags:
        return started_ms is not None and time.time() - started_ms / 1000 < _UNOWNED_RUN_SECONDS
    if tags.get(OWNER_HOST) != socket.gethostname():
        return True  # another machine's process: not ours to judge
    pid = int(tags[OWNER_PID])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    return not tags.get(OWNER_STARTED) or _process_started(pid) == tags[OWNER_STARTED]


def close_orphaned_runs(client=None, experiment_id: str | None = None) -> list[str]:
    """Mark RUNNING runs whose process is gone (killed: SIGKILL, power cut) as KILLED; returns their ids.

    A run is RUNNING from `track_run`'s create_run until its set_terminated; a process killed in between leaves
    it RUNNING forever. Called once per process and store on first use (`talentcast run`, the server's first
    registry read) and at `talentcast serve` start. Runs of live processes, or of other hosts, are left alone.
    """
    if client is None:
        _, client, experiment_id = _client()  # closes them on first use
        return []
    from mlflow.entities import ViewType

    closed = []
    try:
        runs = client.search_runs([experiment_id], filter_string="attributes.status = 'RUNNING'",
                                  run_view_type=ViewType.ACTIVE_ONLY, max_results=1000)
        for run in runs:
            if _owner_alive(dict(run.data.tags), run.info.start_time):
                continue
            client.set_tag(run.info.run_id, "talentcast.closed", "owner process ended before the run finished")
            client.set_terminated(run.info.run_id, status="KILLED")
            closed.append(run.info.run_id)
    except Exception as exc:  # never let the clean-up stop the work it precedes; the next start tries again
        logger.warning("could not close orphaned MLflow runs: %s", exc)
    if closed:
        logger.warning("marked %d MLflow run(s) left RUNNING by a killed process as KILLED: %s", len(closed),
                       ", ".join(closed))
    return closed


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
                            tags={"talentcast.kind": kind, **owner_tags(),
                                  **{k: str(v) for k, v in (tags or {}).items()}})
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
    from sqlalchemy.exc import SQLAlchemyError

    _, client, _ = _client()
    try:
        versions = client.search_model_versions(f"name='{MODEL_NAME}'")
        # search results do not carry aliases in every store; the registered model does.
        alias_map = client.get_registered_model(MODEL_NAME).aliases or {}
    except SQLAlchemyError as exc:
        raise store_unavailable(tracking_uri(), exc) from None
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
