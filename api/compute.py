"""Recomputes and scenarios for the API, over forecasting.pipeline and early_warning.

The pipeline's fitted state (forecasts + sample paths) lets a scenario be evaluated without refitting.
`talentcast run` / `demo` and POST /v1/runs (both through talentcast.demo.run_and_store) write it to
`<home>/states/run-<id>.bin`; the API keeps the states it uses in memory too. When the file is missing (a run
stored by other means) the state is rebuilt once from the run's own dataset versions, horizon and seed and
then kept the same way.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pandas as pd

from features.contract import TABLE_NAMES
from features.errors import TalentcastError
from talentcast.settings import Settings

logger = logging.getLogger("talentcast.api")

_STATE_MEMORY = 4  # fitted states kept in memory (each holds sample paths; a few MB for a city)
_states: OrderedDict[tuple[str, int], Any] = OrderedDict()
_states_lock = threading.Lock()
_recompute_lock = threading.Lock()


class Busy(TalentcastError):
    """Another recompute is running in this server."""


def run_tables(storage: Any, run: Any) -> dict[str, pd.DataFrame]:
    """The input tables at the dataset versions the run used (latest versions for tables it does not list)."""
    versions = dict(getattr(run, "dataset_versions", None) or {}) if run is not None else {}
    current = storage.current_versions()
    tables = {}
    for name in TABLE_NAMES:
        version = versions.get(name, current.get(name))
        if version is not None:
            tables[name] = storage.load_table(name, int(version))
    return tables


def _state_path(settings: Settings, run_id: int) -> Path:
    # The place talentcast.demo.run_and_store (the CLI's `run` / `demo`) writes it.
    return Path(settings.home) / "states" / f"run-{int(run_id)}.bin"


def _remember_state(storage: Any, settings: Settings, run_id: int, state: Any) -> None:
    with _states_lock:
        _states[(str(storage.url), int(run_id))] = state
        while len(_states) > _STATE_MEMORY:
            _states.popitem(last=False)
    try:
        path = _state_path(settings, run_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(state.to_bytes())
        tmp.replace(path)  # atomic: a reader never sees half a file
    except (OSError, AttributeError):
        logger.warning("could not save the pipeline state of run %s", run_id, exc_info=True)


def _warnings_for(tables: dict[str, pd.DataFrame], results: dict[str, pd.DataFrame], plan_year: int | None,
                  region: str | None = None) -> pd.DataFrame | None:
    """Warnings as the pipeline stores them (the region's default rule set)."""
    try:
        from early_warning import compute_warnings
    except ImportError:
        return None
    return compute_warnings(tables, results, plan_year=plan_year, rule_set=None, region=region)


def recompute(storage: Any, settings: Settings, horizon: int | None = None, method: str | None = None,
              n_paths: int = 1000, track: bool = True) -> Any:
    """Run the pipeline on the latest dataset versions and store the run, exactly as `talentcast run` does
    (talentcast.demo.run_and_store: warnings, MLflow tracking, state file); committed before returning.

    Returns:
        The stored RunMeta.

    Raises:
        Busy: a recompute is already running in this server.
        TalentcastError: the data are missing or the pipeline refuses them.
    """
    from talentcast.demo import run_and_store

    if not _recompute_lock.acquire(blocking=False):
        raise Busy("a recompute is already running; try again when it has finished")
    try:
        stored = run_and_store(storage, settings, horizon=horizon, track=track, n_paths=n_paths,
                               method=method or "auto")
        with _states_lock:
            _states[(str(storage.url), int(stored.run_id))] = stored.result.state
            while len(_states) > _STATE_MEMORY:
                _states.popitem(last=False)
        return storage.get_run(stored.run_id)
    finally:
        _recompute_lock.release()


def baseline_state(storage: Any, settings: Settings, run: Any, rebuild: bool = False) -> Any:
    """The fitted PipelineState of `run` (memory, then disk, then rebuilt from the run's inputs)."""
    from forecasting.pipeline import PipelineState, run_pipeline

    key = (str(storage.url), int(run.run_id))
    with _states_lock:
        if key in _states and not rebuild:
            _states.move_to_end(key)
            return _states[key]
    path = _state_path(settings, run.run_id)
    if path.is_file() and not rebuild:
        try:
            state = PipelineState.from_bytes(path.read_bytes())
            with _states_lock:
                _states[key] = state
            return state
        except Exception:  # a state file from an older version: rebuild it below
            logger.warning("could not read %s; rebuilding the state", path, exc_info=True)
    tables = run_tables(storage, run)
    result = run_pipeline(tables, horizon=run.horizon or settings.horizon_years, seed=settings.random_seed)
    _remember_state(storage, settings, run.run_id, result.state)
    return result.state


def evaluate_scenario(storage: Any, settings: Settings, run: Any, scenario: Any,
                      baseline_warnings: pd.DataFrame | None, cache: Any = None) -> dict[str, pd.DataFrame]:
    """Gaps and warnings of `run` under `scenario`, computed in memory (nothing is stored).

    `cache` (an api.queries.ReadCache) keeps the run's input tables between scenarios of the same run.
    """
    from forecasting.scenarios import apply_scenario

    state = baseline_state(storage, settings, run)
    try:
        results = dict(apply_scenario(state, scenario))
    except TalentcastError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        # A state saved by an older talentcast no longer fits the current code: refit it once from the
        # run's own inputs (same seed) and try again; a second failure is a real error.
        logger.warning("the saved state of run %s does not fit this version; rebuilding it", run.run_id,
                       exc_info=True)
        state = baseline_state(storage, settings, run, rebuild=True)
        results = dict(apply_scenario(state, scenario))
    plan_year = None
    if baseline_warnings is not None and len(baseline_warnings) and "plan_year" in baseline_warnings.columns:
        plan_year = int(baseline_warnings["plan_year"].min())
    # Without a stored baseline, compute_warnings picks the next admission season itself (plan_year=None).
    if cache is not None:
        tables = cache.frame((str(storage.url), "run_tables", int(run.run_id)), lambda: run_tables(storage, run))
    else:
        tables = run_tables(storage, run)
    warnings = _warnings_for(tables, results, plan_year)
    return {"gaps": results.get("gaps", pd.DataFrame()),
            "warnings": warnings if warnings is not None else pd.DataFrame()}
