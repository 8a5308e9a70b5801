"""Pipeline orchestration: run the supply-demand pipeline on stored data, track it, store it, summarise it.

Used by `talentcast run` and `talentcast demo` (talentcast/cli/pipeline.py) and by the API's recompute
(api/compute.py). Moved here unchanged from talentcast/demo.py; to become the application service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

PIPELINE_STEPS = ("load", "forecast", "reconcile", "supply", "gaps", "warnings", "track", "store")


@dataclass
class StoredRun:
    """A pipeline run saved by `run_and_store`: storage run id, the in-memory result, MLflow run ids."""

    run_id: int
    result: Any  # forecasting.pipeline.PipelineResult
    mlflow_run_id: str | None
    tracking_runs: dict[str, str]
    warnings: pd.DataFrame | None
    tables: dict[str, pd.DataFrame]


def state_path(home, run_id: int):
    """Where the fitted PipelineState of a stored run is kept (the API reads the same place)."""
    from pathlib import Path

    return Path(home) / "states" / f"run-{int(run_id)}.bin"


def _warnings(tables: dict, results: dict, plan_year: int | None, region: str | None) -> pd.DataFrame | None:
    try:
        from forecasting.early_warning import compute_warnings
    except ImportError:
        return None
    return compute_warnings(tables, results, plan_year=plan_year, rule_set=None, region=region)


def track_pipeline(result, dataset_versions: dict[str, int], scenario_id: str | None,
                   with_backtest: bool = True) -> dict[str, str]:
    """Record the run's demand forecasts (and the engine's rolling-origin backtests) in MLflow.

    Returns:
        {"forecast": run id, "backtest": run id (when a backtest exists)}.
    """
    import logging

    from models.tracking import track_run

    # MLflow logs its store set-up at INFO ("Creating initial MLflow database tables..."): not for users.
    logging.getLogger("mlflow").setLevel(logging.WARNING)

    meta = result.meta
    engine_results = meta.get("forecast_results") or []
    forecasts = pd.concat([r.forecasts for r in engine_results], ignore_index=True) if engine_results else None
    selection = pd.concat([r.selection for r in engine_results], ignore_index=True) if engine_results else None
    params = {"pipeline.horizon": meta["horizon"], "pipeline.base_year": meta["base_year"],
              "pipeline.seed": meta["seed"], "pipeline.n_paths": meta["n_paths"],
              "pipeline.region": meta["region"] or "all", "pipeline.scenario_id": scenario_id or "baseline",
              "pipeline.crosswalk": meta["map_source"],
              **{f"dataset.{table}": version for table, version in sorted(dataset_versions.items())}}
    gaps = result.results["gaps"]
    metrics = {"gaps.rows": len(gaps), "gaps.p_shortage_gt_0.5": float((gaps["p_shortage"] > 0.5).sum()),
               "gaps.p_surplus_gt_0.5": float((gaps["p_surplus"] > 0.5).sum()),
               "demand.graduate_openings_total": float(result.results["demand"]["graduate_openings_mean"].sum()),
               "supply.graduate_entrants_total": float(result.results["supply"]["graduate_entrants"].sum())}
    runs: dict[str, str] = {}
    if with_backtest:
        scores = [r.scores for r in engine_results if r.scores is not None and len(r.scores)]
        backtests = [r.backtest for r in engine_results if r.backtest is not None and len(r.backtest)]
        if scores:
            from forecasting.backtest import summarise

            summary = summarise(pd.concat(scores, ignore_index=True))
            bt_metrics = {f"{row['model']}.{m}": row[m] for _, row in summary.iterrows()
                          for m in ("mase", "smape", "coverage_80", "coverage_95") if m in summary.columns}
            runs["backtest"] = track_run(
                "backtest", {**params, "backtest.kind": "inner rolling origin (engine auto selection)"},
                bt_metrics, artifacts={"backtest.csv": pd.concat(backtests, ignore_index=True) if backtests
                                       else None, "scores.csv": summary},
                tags={"talentcast.source": "pipeline"})
            metrics.update({f"backtest.{k}": v for k, v in bt_metrics.items() if k.endswith(".mase")})
    runs["forecast"] = track_run(
        "forecast", params, metrics,
        artifacts={"employment_forecasts.csv": forecasts, "selection.csv": selection,
                   "demand.csv": result.results["demand"], "gaps.csv": gaps},
        tags={"talentcast.source": "pipeline", **({"talentcast.backtest_run": runs["backtest"]}
                                                   if "backtest" in runs else {})})
    return runs


def run_and_store(storage, settings, horizon: int | None = None, scenario=None, region: str | None = None,
                  track: bool = True, n_paths: int = 1000, method: str = "auto", engine: str = "local",
                  progress=None) -> StoredRun:
    """Run the pipeline on the current dataset versions, add warnings, track in MLflow and store the run.

    Args:
        storage: talentcast.storage.Storage.
        settings: talentcast.settings.Settings (horizon and seed defaults, home for the state file).
        horizon: forecast years (default settings.horizon_years).
        scenario: None, a Scenario, a dict or a YAML/JSON path.
        region: keep results for this region and its descendants (None: the schools' regions).
        track: record forecasts and backtests in MLflow (models.tracking).
        progress: callback(step name) called as each of PIPELINE_STEPS starts.

    Returns:
        StoredRun.
    """
    from forecasting.pipeline import run_pipeline
    from forecasting.scenarios import load_scenario
    from talentcast.storage import RunMeta

    step = progress or (lambda name: None)
    step("load")
    scenario_obj = load_scenario(scenario) if scenario is not None else None
    versions = storage.current_versions()
    tables = storage.load_tables()
    horizon = int(horizon or settings.horizon_years)
    result = run_pipeline(tables, horizon=horizon, scenario=scenario_obj, seed=settings.random_seed,
                          n_paths=n_paths, region=region, method=method, engine=engine,
                          progress=step)
    result.meta["dataset_versions"] = dict(versions)
    results = dict(result.results)
    step("warnings")
    # plan_year=None: the next admission season after the latest recorded intake (2027 for the demo city,
    # whose 2026 intake is already known), not the first forecast year.
    warnings = _warnings(tables, results, None, region)
    if warnings is not None:
        results["warnings"] = warnings
    step("track")
    tracking_runs = track_pipeline(result, versions, scenario_obj.id if scenario_obj else None) if track else {}
    step("store")
    notes = list(result.meta["notes"])
    if tracking_runs.get("backtest"):
        notes.append(f"MLflow backtest run {tracking_runs['backtest']}")
    meta = RunMeta(scenario_id=scenario_obj.id if scenario_obj else None,
                   scenario=scenario_obj.to_dict() if scenario_obj else {}, dataset_versions=dict(versions),
                   mlflow_run_id=tracking_runs.get("forecast"), horizon=horizon, notes="; ".join(notes) or None)
    run_id = storage.save_run(results, meta)
    path = state_path(settings.home, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(result.state.to_bytes())
    return StoredRun(run_id=run_id, result=result, mlflow_run_id=tracking_runs.get("forecast"),
                     tracking_runs=tracking_runs, warnings=warnings, tables=tables)


def _names(table: pd.DataFrame | None, key: str = "code") -> dict[str, tuple[str, str]]:
    if table is None or table.empty:
        return {}
    en = table["name_en"] if "name_en" in table else pd.Series([""] * len(table), index=table.index)
    zh = table["name_zh"] if "name_zh" in table else table.get("name", en)
    return {str(c): (str(z), "" if pd.isna(e) else str(e)) for c, z, e in zip(table[key], zh, en)}


def summarise_gaps(results: dict, tables: dict, region: str, year: int, n: int = 5) -> dict[str, pd.DataFrame]:
    """Top shortage / surplus sectors and majors of `region` in `year`, with bilingual names.

    Sectors no local major feeds (supply below one person) are listed apart: their ratio says only that
    nothing is trained locally, not how short the market is.

    Returns:
        dict shortage_sectors, surplus_sectors, shortage_majors, surplus_majors, unsupplied_sectors.
    """
    sector_names, major_names = _names(tables.get("sectors")), _names(tables.get("majors"))
    gaps = results["gaps"].query("region == @region and year == @year").copy()
    gaps["name_zh"] = gaps["sector"].map(lambda c: sector_names.get(c, (c, ""))[0])
    gaps["name_en"] = gaps["sector"].map(lambda c: sector_names.get(c, (c, ""))[1])
    supplied = gaps[gaps["supply_mean"] >= 1]
    pressure = results["major_pressure"].query("region == @region and year == @year").copy()
    pressure["name_zh"] = pressure["major"].map(lambda c: major_names.get(c, (c, ""))[0])
    pressure["name_en"] = pressure["major"].map(lambda c: major_names.get(c, (c, ""))[1])
    return {
        "shortage_sectors": supplied[supplied["p_shortage"] >= 0.5].sort_values(
            ["p_shortage", "ratio_median"], ascending=False).head(n),
        "surplus_sectors": supplied[supplied["p_surplus"] >= 0.5].sort_values(
            ["p_surplus", "ratio_median"], ascending=[False, True]).head(n),
        "shortage_majors": pressure[pressure["p_shortage"] >= 0.5].sort_values(
            ["p_shortage", "pressure_median"], ascending=False).head(n),
        "surplus_majors": pressure[pressure["p_surplus"] >= 0.5].sort_values(
            ["p_surplus", "pressure_median"], ascending=[False, True]).head(n),
        "unsupplied_sectors": gaps[gaps["supply_mean"] < 1].sort_values("openings_mean", ascending=False),
    }


def summarise_warnings(warnings: pd.DataFrame | None, n_examples: int = 3) -> dict[str, Any]:
    """Counts per level and per action, and a few example explanations (red first)."""
    if warnings is None or warnings.empty:
        return {"levels": {}, "actions": {}, "examples": []}
    order = {"red": 0, "yellow": 1, "green": 2}
    examples = warnings.assign(_order=warnings["level"].map(order).fillna(3)).sort_values("_order")
    return {"levels": warnings["level"].value_counts().to_dict(),
            "actions": warnings["action"].value_counts().to_dict(),
            "examples": examples.head(n_examples)[["school", "major", "level", "action", "explanation_zh",
                                                   "explanation_en"]].to_dict("records")}
