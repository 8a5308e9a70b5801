"""CLI commands `forecast` and `backtest` (registered on `talentcast.cli.app`).

    talentcast forecast --input F --horizon H [--freq year|month] [--method auto|NAME] [--levels 80,95]
                        --output O [--engine local|dask [--scheduler ADDRESS]] [--no-track]
    talentcast backtest --input F --horizon H [--windows K] --output O [--models a,b] [--register]

Input: CSV/XLSX/Parquet (UTF-8 or GB18030) in the long format ``series_id, period, value``, or the employment
contract table ``region, sector, year, employed`` (series "region|sector"). Output CSV columns:
``series_id, period, mean, lo_80, hi_80, lo_95, hi_95, model`` with periods in the input's format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer

from features.errors import TalentcastError, bilingual
from features.readers import read_table
from features.series import normalise_input, to_long
from forecasting.backtest import backtest, evaluate, summarise
from forecasting.breaks import declared_breaks
from forecasting.engine import forecast
from talentcast.cli.app import app
from talentcast.model_registry import register_champion
from talentcast.tracking import dataset_info, track_run


def _levels(text: str) -> tuple[int, ...]:
    try:
        levels = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise TalentcastError(f"--levels must be whole percentages like 80,95, got {text!r}",
                              f"--levels 必须是整数百分比，例如 80,95，实际为 {text!r}") from None
    if not levels:
        raise TalentcastError("--levels is empty; give e.g. 80,95", "--levels 为空，请给出例如 80,95")
    return levels


def _read_series(path: Path):
    """Read the input file and turn it into the long series table (errors name file, row and value)."""

    frame = read_table(path, source=path.name)
    frame, period_format, dropped = normalise_input(frame, source=path.name)
    if dropped:
        typer.echo("note: " + bilingual(f"{dropped} missing value(s) in {path.name} skipped; gaps inside a series "
                                        "are interpolated", f"{path.name} 中 {dropped} 个缺失值已跳过；序列中间的缺口按插值补齐"),
                   err=True)
    return to_long(frame, source=path.name), period_format


def _breaks(path: Path, declared: str | None, detect: bool, common: bool = True):

    periods = [p.strip() for p in declared.split(",") if p.strip()] if declared else list(declared_breaks(path))
    if not periods and detect and common:
        return None
    if not periods and not detect:
        return False
    return {"periods": periods, "detect": detect, "common": common}


def _check_freq(freq: str | None) -> str | None:
    if freq is not None and freq not in ("year", "month"):
        raise TalentcastError(f"--freq must be year or month, got {freq!r}",
                              f"--freq 只能是 year（年）或 month（月），实际为 {freq!r}")
    return freq


def _check_output(output: Path) -> None:
    if output.parent and not output.parent.exists():
        raise TalentcastError(f"{output}: output folder {output.parent} does not exist",
                              f"{output}：输出目录 {output.parent} 不存在")


InputOpt = Annotated[Path, typer.Option("--input", "-i", help="input file (CSV UTF-8/GB18030, XLSX, Parquet)")]
HorizonOpt = Annotated[int, typer.Option("--horizon", help="periods ahead (>= 1)")]
OutputOpt = Annotated[Path, typer.Option("--output", "-o", help="output CSV file")]
FreqOpt = Annotated[Optional[str], typer.Option("--freq", help="year or month (inferred from the periods)")]
EngineOpt = Annotated[str, typer.Option("--engine", help="local or dask")]
SchedulerOpt = Annotated[Optional[str], typer.Option("--scheduler", help="Dask scheduler address (default: "
                                                      "a small local cluster)")]
BreaksOpt = Annotated[Optional[str], typer.Option("--breaks", help="declared level-shift periods, e.g. 2013 "
                                                   "(known breaks of embedded datasets are applied anyway)")]
DetectOpt = Annotated[bool, typer.Option("--detect-breaks/--no-detect-breaks", help="detect level shifts")]
CommonOpt = Annotated[bool, typer.Option("--common-breaks/--no-common-breaks", help="detect periods where many "
                                         "series jump together (survey-frame changes)")]
TrackOpt = Annotated[bool, typer.Option("--track/--no-track", help="record the run in MLflow")]


@app.command("forecast")
def forecast_command(
    input: InputOpt,
    horizon: HorizonOpt,
    output: OutputOpt,
    freq: FreqOpt = None,
    method: Annotated[str, typer.Option("--method", help="auto or a model name")] = "auto",
    levels: Annotated[str, typer.Option("--levels", help="interval levels, e.g. 80,95")] = "80,95",
    engine: EngineOpt = "local",
    scheduler: SchedulerOpt = None,
    breaks: BreaksOpt = None,
    detect_breaks: DetectOpt = True,
    common_breaks: CommonOpt = True,
    track: TrackOpt = True,
    register: Annotated[bool, typer.Option("--register", help="register as demand model if it beats the "
                                           "champion's backtest MASE")] = False,
) -> None:
    """Forecast every series with calibrated intervals (预测). Writes one row per series and future period."""

    level_tuple = _levels(levels)
    if horizon < 1:
        raise TalentcastError(f"--horizon must be at least 1, got {horizon}", f"--horizon 至少为 1，实际为 {horizon}")
    _check_freq(freq)
    _check_output(output)
    long, period_format = _read_series(input)
    result = forecast(long, horizon, method=method, levels=level_tuple, freq=freq, engine=engine,
                      scheduler=scheduler, breaks=_breaks(input, breaks, detect_breaks, common_breaks),
                      source=input.name)
    # Periods go out in the input's own format (e.g. 2016-01-31 when the input used month-end dates).
    result.forecasts.assign(period=period_format.render(result.forecasts["period"])).to_csv(
        output, index=False, encoding="utf-8")
    counts = result.selection["model"].value_counts()
    typer.echo(
        f"wrote {len(result.forecasts)} rows for {len(result.selection)} series to {output} "
        f"(models: {', '.join(f'{m} {n}' for m, n in counts.items())}; fallbacks: {len(result.fallbacks)}; "
        f"level shifts handled: {len(result.breaks)})"
    )
    if (note := result.calibration.note()) is not None:
        typer.echo(f"note: {note[0]} / 注意：{note[1]}")
    if track or register:
        _track_forecast(result, input, long, method, horizon, level_tuple, engine, register)


def _track_forecast(result, path, long, method, horizon, levels, engine, register) -> None:

    summary = result.summary()
    metrics = {}
    for row in summary.itertuples(index=False):
        for name in ("mase", "smape", "rmsse"):
            metrics[f"inner.{row.model}.{name}"] = getattr(row, name)
    chosen = _chosen_mase(result)
    if chosen is not None:
        metrics["selected.mase"] = chosen
    run_id = track_run(
        "forecast",
        params={"method": method, "horizon": horizon, "levels": ",".join(map(str, levels)), "engine": engine,
                "freq": result.freq, "fallbacks": len(result.fallbacks), "breaks": len(result.breaks),
                "interval_basis": result.calibration.basis},
        metrics=metrics,
        artifacts={"forecasts.csv": result.forecasts, "selection.csv": result.selection,
                   "fallbacks.csv": result.fallbacks, "inner_backtest.csv": result.backtest},
        dataset=dataset_info(long, path),
    )
    typer.echo(f"mlflow run {run_id}")
    if register:
        if chosen is None:
            raise TalentcastError("cannot register: the series are too short to backtest",
                                  "无法登记模型：序列太短，无法回测")
        info = register_champion({"method": method, "horizon": horizon, "levels": list(levels)}, "mase",
                                 chosen, run_id=run_id)
        _echo_registration(info)


def _chosen_mase(result) -> float | None:
    if result.scores is None or not len(result.scores):
        return None
    merged = result.scores.merge(result.selection[["series_id", "model"]], on=["series_id", "model"])
    return float(merged["mase"].mean()) if len(merged) else None


def _echo_registration(info: dict) -> None:
    if info["promoted"]:
        typer.echo(f"registered talentcast-demand version {info['version']} as @champion "
                   f"({info['metric']} {info['value']:.4f}; before: {info['champion_value_before']})")
    else:
        typer.echo(f"registered talentcast-demand version {info['version']}, not promoted "
                   f"({info['metric']} {info['value']:.4f} vs champion {info['champion_value_before']:.4f})")


@app.command("backtest")
def backtest_command(
    input: InputOpt,
    horizon: HorizonOpt,
    output: OutputOpt,
    windows: Annotated[Optional[int], typer.Option("--windows", help="number of cutoffs (default: all that "
                                                   "fit)")] = None,
    step: Annotated[int, typer.Option("--step", help="periods between cutoffs")] = 1,
    models: Annotated[str, typer.Option("--models", help="comma-separated models; baselines always added")] =
    "auto,naive,drift,ses,damped,theta,rdrift,global,ensemble",
    freq: FreqOpt = None,
    levels: Annotated[str, typer.Option("--levels", help="interval levels, e.g. 80,95")] = "80,95",
    engine: EngineOpt = "local",
    scheduler: SchedulerOpt = None,
    breaks: BreaksOpt = None,
    detect_breaks: DetectOpt = True,
    common_breaks: CommonOpt = True,
    track: TrackOpt = True,
    register: Annotated[bool, typer.Option("--register", help="register auto as the demand model if its "
                                           "MASE beats the champion's")] = False,
) -> None:
    """Rolling-origin backtest (回测): writes the long table, prints MASE and coverage per model, best first."""

    level_tuple = _levels(levels)
    if horizon < 1:
        raise TalentcastError(f"--horizon must be at least 1, got {horizon}", f"--horizon 至少为 1，实际为 {horizon}")
    if windows is not None and windows < 1:
        raise TalentcastError(f"--windows must be at least 1, got {windows}", f"--windows 至少为 1，实际为 {windows}")
    _check_freq(freq)
    _check_output(output)
    names = [m.strip() for m in models.split(",") if m.strip()]
    long, period_format = _read_series(input)
    table = backtest(long, names, h=horizon, n_windows=windows, step=step, levels=level_tuple, freq=freq,
                     breaks=_breaks(input, breaks, detect_breaks, common_breaks), engine=engine,
                     scheduler=scheduler)
    written = table.drop(columns=[c for c in ("scale_mae", "scale_mse", "chosen") if c in table.columns])
    written = written.assign(period=period_format.render(written["period"]),
                             cutoff=period_format.render(written["cutoff"]))
    written.to_csv(output, index=False, encoding="utf-8")
    metrics = evaluate(table, levels=level_tuple)
    summary = summarise(metrics)
    typer.echo(f"wrote {len(table)} rows ({table['cutoff'].nunique()} cutoffs, {table['series_id'].nunique()} "
               f"series) to {output}")
    coverage = [c for c in summary.columns if c.startswith("coverage_")]
    typer.echo(f"{'model':<10} {'MASE':>7} {'sMAPE':>7} " + " ".join(f"{c.replace('coverage_', 'cov') :>6}"
                                                                   for c in coverage))
    for row in summary.itertuples(index=False):
        record = row._asdict()
        typer.echo(f"{record['model']:<10} {record['mase']:>7.3f} {record['smape']:>7.2f} "
                   + " ".join(f"{record[c]:>6.1%}" for c in coverage))
    if track or register:
        _track_backtest(table, metrics, summary, input, long, names, horizon, windows, step, level_tuple,
                        engine, register)


def _track_backtest(table, metrics, summary, path, long, names, horizon, windows, step, levels, engine,
                    register) -> None:


    overall = {}
    for row in summary.itertuples(index=False):
        record = row._asdict()
        for key, value in record.items():
            if key not in ("model", "n", "series"):
                overall[f"{record['model']}.{key}"] = value
    per_window = []
    cutoffs = sorted(table["cutoff"].unique())
    for window, cutoff in enumerate(cutoffs):
        part = evaluate(table[table["cutoff"] == cutoff], levels=levels)
        means = part.groupby("model")[[c for c in part.columns if c not in ("series_id", "model", "n")]].mean()
        means = means.reset_index()
        means["window"] = window
        per_window.append(means)
    window_metrics = pd.concat(per_window, ignore_index=True) if per_window else None
    run_id = track_run(
        "backtest",
        params={"models": ",".join(names), "horizon": horizon, "windows": windows, "step": step,
                "levels": ",".join(map(str, levels)), "engine": engine, "cutoffs": ",".join(map(str, cutoffs))},
        metrics=overall,
        window_metrics=window_metrics,
        artifacts={"backtest.csv": table, "metrics.csv": metrics, "summary.csv": summary},
        dataset=dataset_info(long, path),
    )
    typer.echo(f"mlflow run {run_id}")
    if register:
        if "auto" not in set(summary["model"]):
            raise TalentcastError("--register needs auto among --models (the served model is the auto engine)",
                                  "--register 需要 --models 中包含 auto（服务使用的是 auto 引擎）")
        value = float(summary.loc[summary["model"] == "auto", "mase"].iloc[0])
        info = register_champion({"method": "auto", "horizon": horizon, "levels": list(levels)}, "mase", value,
                                 run_id=run_id)
        _echo_registration(info)
