"""Rolling-origin backtests and forecast accuracy metrics.

One function, :func:`backtest`, returns one long table (``series_id, cutoff, period, model, actual, mean,
lo_80, hi_80, lo_95, hi_95``); :func:`evaluate` turns it into per series x model metrics and
:func:`summarise` into one row per model, best first. Baselines are always scored beside the real models.

Metrics (per series, averaged over its backtest rows):
    mase   mean |error| / in-sample MAE of the naive forecast at the cutoff (seasonal naive, lag 12, for
           monthly series with more than a year of history).
    smape  mean 200 |error| / (|actual| + |forecast|), in percent.
    rmsse  sqrt(mean error^2 / in-sample MSE of the naive forecast).
    coverage_XX   share of actuals inside the XX% interval.
    interval_score_XX   Winkler score (width + 2/alpha x miss) divided by the same naive scale as MASE, so
           it averages across series of different size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from features.errors import TalentcastError
from features.series import Panel, build_panel, ordinal_to_period, to_long
from models.base import Context, back_transform, make_context

BASELINES = ("naive", "snaive", "drift", "mean")
MIN_TRAIN = {"year": 4, "month": 25}


def holdout_steps(panel: Panel, h: int, n_windows: int | None, step: int = 1, partial: bool = False) -> list[int]:
    """Cutoffs as "number of trailing periods hidden", earliest cutoff first.

    Full windows hide k = h, h + step, ... (each forecasts h periods). With ``partial`` and fewer than three
    full windows, cutoffs k = 1..h-1 are added too (they score only the first k horizons): short yearly
    series then still give errors at horizon 1 for calibration.
    """
    if h < 1:
        raise TalentcastError(f"horizon must be at least 1, got {h}")
    if step < 1:
        raise TalentcastError(f"step must be at least 1, got {step}")
    width = panel.log_values.shape[1]
    most = width - MIN_TRAIN[panel.freq]
    ks = []
    w = 0
    while h + step * w <= most and (n_windows is None or w < n_windows):
        ks.append(h + step * w)
        w += 1
    if partial and len(ks) < 3:
        ks = sorted(set(ks) | {k for k in range(1, h) if k <= most})
    return sorted(ks, reverse=True)


def fit_contexts(panel: Panel, h: int, ks, names, breaks) -> dict[int, Context]:
    """Shared cross-series state per cutoff k (fitted once, on the whole panel, also for Dask runs)."""
    from forecasting.breaks import relevel
    from models.global_model import fit_global_regressor

    needs_global = any(n in ("global", "ensemble", "auto") for n in names)
    contexts = {}
    for k in ks:
        sub, report = relevel(panel.truncate(k), breaks)
        context = make_context(sub, h)
        # Common breaks are a whole-panel fact: found once here and handed to every (Dask) block.
        common = report.loc[report["source"] == "detected-common", "period"]
        context.extras["common_breaks"] = sorted(set(common.astype(str)))
        if needs_global and sub.log_values.shape[1] >= 4:
            try:
                context.global_regressor = fit_global_regressor(sub, h, context.regions, context.sectors)
            except ValueError:
                context.global_regressor = None  # too little history: the global model falls back
        contexts[k] = context
    return contexts


def predict_block(panel: Panel, names, h: int, ks, contexts: dict[int, Context], breaks) -> dict:
    """Log forecasts of every model at every cutoff for a block of series (pure; run per Dask partition).

    Returns:
        dict with "pred" {(k, name): (n, min(h, k) or h) log forecasts}, "scale" {k: (n,) series scales},
        "fallbacks" (list of dicts, at k = 0 only), "breaks" (frame, at k = 0 only).
    """
    from forecasting.breaks import relevel
    from forecasting.conformal import scale_parts
    from models.ensemble import DEFAULT_MEMBERS
    from models.registry import make_model

    out = {"pred": {}, "scale": {}, "fallbacks": [], "breaks": None}
    base_names = [n for n in names if n != "ensemble"]
    if "ensemble" in names:
        base_names += [m for m in DEFAULT_MEMBERS if m not in base_names]
    for k in ks:
        sub, report = relevel(panel.truncate(k), breaks, common=contexts[k].extras.get("common_breaks"))
        steps = h if k == 0 else min(h, k)
        out["scale"][k] = scale_parts(sub.log_values)  # combined across all series in run_blocks
        for name in base_names:
            model = make_model(name).fit(sub, contexts[k])
            out["pred"][(k, name)] = model.predict_log(steps)
            if k == 0:
                out["fallbacks"].extend(model.fallbacks_)
        if "ensemble" in names:
            members = np.stack([out["pred"][(k, m)] for m in DEFAULT_MEMBERS])
            out["pred"][(k, "ensemble")] = np.median(members, axis=0)
        if k == 0:
            out["breaks"] = report
    if "ensemble" in names:
        for k in ks:
            for m in DEFAULT_MEMBERS:
                if m not in names:
                    out["pred"].pop((k, m), None)
    return out


def merge_blocks(blocks: list[dict]) -> dict:
    """Concatenate per-partition results in partition order (partitions are contiguous row ranges)."""
    if len(blocks) == 1:
        return blocks[0]
    merged = {"pred": {}, "scale": {}, "fallbacks": [], "breaks": None}
    for key in blocks[0]["pred"]:
        merged["pred"][key] = np.concatenate([b["pred"][key] for b in blocks])
    for key in blocks[0]["scale"]:
        merged["scale"][key] = tuple(np.concatenate([b["scale"][key][i] for b in blocks]) for i in range(2))
    for b in blocks:
        merged["fallbacks"].extend(b["fallbacks"])
    reports = [b["breaks"] for b in blocks if b["breaks"] is not None]
    merged["breaks"] = pd.concat(reports, ignore_index=True) if reports else None
    return merged


def run_blocks(panel: Panel, names, h, ks, contexts, breaks, engine="local", scheduler=None) -> dict:
    """Run :func:`predict_block` locally (one block) or over a Dask cluster (one block per partition)."""
    from forecasting.conformal import combine_scale

    if engine == "local":
        out = predict_block(panel, names, h, ks, contexts, breaks)
    elif engine == "dask":
        from forecasting.engine import dask_map

        out = merge_blocks(dask_map(predict_block, panel, scheduler, names, h, ks, contexts, breaks))
    else:
        raise TalentcastError(f"unknown engine {engine!r}; use local or dask")
    out["scale"] = {k: combine_scale(*parts) for k, parts in out["scale"].items()}
    return out


def actual_log(panel: Panel, k: int, steps: int) -> np.ndarray:
    """Log actuals of the `steps` periods after cutoff k (k periods hidden)."""
    width = panel.log_values.shape[1]
    return panel.log_values[:, width - k : width - k + steps]


def naive_scale(panel: Panel, k: int) -> tuple[np.ndarray, np.ndarray]:
    """In-sample naive MAE and MSE (original scale) of each series' history up to cutoff k."""
    sub = panel.truncate(k)
    values = sub.values()
    m = panel.season_length
    lag = m if (m > 1 and np.median(sub.lengths) > m) else 1
    diff = values[:, lag:] - values[:, :-lag] if values.shape[1] > lag else np.full((len(values), 1), np.nan)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        mae = np.nanmean(np.abs(diff), axis=1)
        mse = np.nanmean(diff**2, axis=1)
        level = np.nanmean(np.abs(values), axis=1)
    # A flat history has zero naive error: fall back to 1% of its level so MASE stays finite.
    level = np.where(np.isfinite(level), level, 0.0)
    floor = np.maximum(0.01 * level, 1e-9)
    mae = np.where(np.isfinite(mae) & (mae > 0), mae, floor)
    mse = np.where(np.isfinite(mse) & (mse > 0), mse, floor**2)
    return mae, mse


def mask_breaks(panel: Panel, report: pd.DataFrame) -> Panel:
    """A copy of `panel` whose values at declared break periods are NaN.

    After re-levelling, the value at a break period is an artefact (its growth was set to the series'
    typical growth), so it is neither scored nor used to calibrate intervals.
    """
    if report is None or not len(report):
        return panel
    from features.series import period_to_ordinal

    z = panel.log_values.copy()
    rows = pd.Index(panel.ids).get_indexer(report["series_id"])
    ordinals = period_to_ordinal(report["period"].astype(str), panel.freq)
    cols = z.shape[1] - 1 - (panel.last[rows] - ordinals)
    ok = (rows >= 0) & (cols >= 0) & (cols < z.shape[1])
    z[rows[ok], cols[ok]] = np.nan
    return Panel(panel.ids, z, panel.offset, panel.lengths, panel.last, panel.freq, panel.filled)


def long_table(panel: Panel, blocks: dict, names, ks, h, levels, bands_for=None,
               actuals: Panel | None = None) -> pd.DataFrame:
    """Backtest rows ``series_id, cutoff, step, period, model, actual, mean, lo_XX, hi_XX, scale_mae, scale_mse``.

    Intervals: `bands_for(k, name, point)` returns {level: (lo, hi)} on the log scale; by default the normal
    random-walk interval in units of the series' scale at the cutoff (a model's own, uncalibrated interval).
    """
    frames = []
    for k in ks:
        if k == 0:
            continue
        steps = min(h, k)
        actual = actual_log(actuals if actuals is not None else panel, k, steps)
        mae, mse = naive_scale(panel, k)
        cutoff = ordinal_to_period(panel.last - k, panel.freq)
        periods = panel.last[:, None] - k + np.arange(1, steps + 1)[None, :]
        has_history = panel.lengths - k >= 2
        for name in names:
            point = blocks["pred"][(k, name)]
            if bands_for is None:
                scale = blocks["scale"][k][:, None] * np.sqrt(np.arange(1, steps + 1))[None, :]
                bands = {lv: (point - norm.ppf(0.5 + lv / 200) * scale, point + norm.ppf(0.5 + lv / 200) * scale)
                         for lv in levels}
            else:
                bands = bands_for(k, name, point)
            keep = (~np.isnan(actual)) & has_history[:, None]
            rows, cols = np.nonzero(keep)
            frame = {
                "series_id": panel.ids[rows],
                "cutoff": cutoff[rows],
                "step": cols + 1,
                "period": ordinal_to_period(periods[rows, cols], panel.freq),
                "model": name,
                "actual": back_transform(actual, panel.offset)[rows, cols],
                "mean": back_transform(point, panel.offset)[rows, cols],
            }
            lo_prev, hi_prev = point, point
            for lv in sorted(levels):
                lo, hi = bands[lv]
                lo_prev, hi_prev = np.minimum(lo, lo_prev), np.maximum(hi, hi_prev)
                frame[f"lo_{lv}"] = back_transform(lo_prev, panel.offset)[rows, cols]
                frame[f"hi_{lv}"] = back_transform(hi_prev, panel.offset)[rows, cols]
            frame["scale_mae"] = mae[rows]
            frame["scale_mse"] = mse[rows]
            frames.append(pd.DataFrame(frame))
    if not frames:
        return pd.DataFrame(columns=["series_id", "cutoff", "step", "period", "model", "actual", "mean"])
    return pd.concat(frames, ignore_index=True)


def backtest(
    frame: pd.DataFrame,
    models=("naive", "drift", "damped", "theta", "global", "ensemble"),
    h: int = 1,
    n_windows: int | None = None,
    step: int = 1,
    levels=(80, 95),
    freq: str | None = None,
    breaks=None,
    engine: str = "local",
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Rolling-origin backtest of registered models (and ``auto``, the full engine) on a long table.

    Args:
        frame: long table ``series_id, period, value`` (or the employment table).
        models: registry names; "auto" runs the whole engine (selection + conformal calibration) at each
            cutoff on the data before it, so its coverage is an honest out-of-sample measure. Baselines
            naive and drift (and snaive for monthly data) are always added.
        breaks: declared breaks are applied to the whole history first (actuals are compared on the
            adjusted basis); detection runs at each cutoff on the data before it.
        h: horizon of each window; n_windows: number of cutoffs (None = as many as the data allow with at
            least 4 years / 25 months of training data); step: periods between cutoffs.
        levels: interval levels; breaks: see :func:`forecasting.breaks.relevel`.

    Returns:
        Long table ``series_id, cutoff, step, period, model, actual, mean, lo_XX, hi_XX`` plus the naive
        scales used by :func:`evaluate`.
    """
    from models.registry import make_model

    from forecasting.breaks import relevel, split_breaks

    long = to_long(frame) if "value" not in frame.columns or "series_id" not in frame.columns else frame
    declared, breaks = split_breaks(breaks)
    panel, declared_report = relevel(build_panel(long, freq), declared)
    actuals = mask_breaks(panel, declared_report)
    ks = holdout_steps(panel, h, n_windows, step)
    if not ks:
        raise TalentcastError(
            f"series are too short to backtest with horizon {h}: need at least {MIN_TRAIN[panel.freq] + h} "
            f"periods, the longest has {panel.log_values.shape[1]}"
        )
    names = list(dict.fromkeys(models))
    for baseline in ("naive", "drift") + (("snaive",) if panel.freq == "month" else ()):
        if baseline not in names:
            names.append(baseline)
    for name in names:
        if name != "auto":
            make_model(name)  # unknown names raise TalentcastError listing the known ones
    plain = [n for n in names if n != "auto"]
    contexts = fit_contexts(panel, h, ks, plain, breaks)
    blocks = run_blocks(panel, plain, h, ks, contexts, breaks, engine, scheduler)
    table = long_table(panel, blocks, plain, ks, h, levels, actuals=actuals)
    if "auto" in names:
        # The declared breaks are already applied to `panel`; the engine only detects at each cutoff.
        table = pd.concat([table, _auto_backtest(panel, actuals, declared_report, ks, h, levels, breaks, engine,
                                                  scheduler)],
                          ignore_index=True)
    return table


def _auto_backtest(panel, actuals, declared_report, ks, h, levels, breaks, engine, scheduler) -> pd.DataFrame:
    from features.series import panel_to_long
    from forecasting.engine import forecast

    frames = []
    for k in ks:
        history = panel_to_long(panel.truncate(k))
        history = history[history["series_id"].isin(panel.ids[panel.lengths - k >= 2])]
        result = forecast(history, min(h, k), method="auto", levels=levels, freq=panel.freq, breaks=breaks,
                          engine=engine, scheduler=scheduler, exclude=declared_report)
        fc = result.forecasts.copy()
        fc["cutoff"] = fc["series_id"].map(
            dict(zip(panel.ids, ordinal_to_period(panel.last - k, panel.freq)))
        )
        fc["step"] = fc.groupby("series_id").cumcount() + 1
        fc["chosen"] = fc["model"]
        fc["model"] = "auto"
        actual = panel_to_long(actuals).rename(columns={"value": "actual"})
        fc = fc.merge(actual, on=["series_id", "period"], how="inner")
        mae, mse = naive_scale(panel, k)
        fc["scale_mae"] = fc["series_id"].map(dict(zip(panel.ids, mae)))
        fc["scale_mse"] = fc["series_id"].map(dict(zip(panel.ids, mse)))
        frames.append(fc)
    return pd.concat(frames, ignore_index=True)


def evaluate(bt: pd.DataFrame, frame: pd.DataFrame | None = None, levels=(80, 95)) -> pd.DataFrame:
    """Per series x model metrics from a backtest table (see the module docstring).

    Args:
        bt: the table returned by :func:`backtest` (with its ``scale_mae`` / ``scale_mse`` columns); when the
            scale columns are missing, `frame` (the long input) is needed to compute them.
        frame: the long input table (only used when `bt` lacks the scale columns).
    """
    bt = bt.copy()
    if "scale_mae" not in bt.columns:
        if frame is None:
            raise TalentcastError("evaluate needs the input frame when the backtest has no scale columns")
        bt = _attach_scales(bt, frame)
    error = bt["actual"] - bt["mean"]
    bt["_ase"] = np.abs(error) / bt["scale_mae"]
    bt["_sse"] = error**2 / bt["scale_mse"]
    denom = np.abs(bt["actual"]) + np.abs(bt["mean"])
    bt["_smape"] = np.where(denom > 0, 200 * np.abs(error) / np.where(denom > 0, denom, 1), 0.0)
    aggregations = {"mase": ("_ase", "mean"), "smape": ("_smape", "mean"), "_msse": ("_sse", "mean"),
                    "n": ("_ase", "size")}
    for lv in levels:
        lo, hi = f"lo_{lv}", f"hi_{lv}"
        if lo not in bt.columns:
            continue
        alpha = 1 - lv / 100
        inside = (bt["actual"] >= bt[lo]) & (bt["actual"] <= bt[hi])
        score = (bt[hi] - bt[lo]) + 2 / alpha * ((bt[lo] - bt["actual"]).clip(lower=0)
                                                + (bt["actual"] - bt[hi]).clip(lower=0))
        bt[f"_cov{lv}"] = inside.astype(float)
        bt[f"_is{lv}"] = score / bt["scale_mae"]
        aggregations[f"coverage_{lv}"] = (f"_cov{lv}", "mean")
        aggregations[f"interval_score_{lv}"] = (f"_is{lv}", "mean")
    metrics = bt.groupby(["series_id", "model"], sort=False).agg(**aggregations).reset_index()
    metrics["rmsse"] = np.sqrt(metrics.pop("_msse"))
    return metrics


def _attach_scales(bt: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    long = to_long(frame) if "series_id" not in frame.columns else frame
    panel = build_panel(long)
    frames = []
    for cutoff in bt["cutoff"].unique():
        from features.series import period_to_ordinal

        k_by_series = panel.last - int(period_to_ordinal(pd.Series([str(cutoff)]), panel.freq)[0])
        for k in np.unique(k_by_series[k_by_series > 0]):
            mae, mse = naive_scale(panel, int(k))
            rows = k_by_series == k
            frames.append(pd.DataFrame({"series_id": panel.ids[rows], "cutoff": str(cutoff),
                                        "scale_mae": mae[rows], "scale_mse": mse[rows]}))
    scales = pd.concat(frames, ignore_index=True)
    return bt.merge(scales, on=["series_id", "cutoff"], how="left")


def summarise(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per model: mean of the per-series metrics (coverage pooled over rows), best MASE first."""
    numeric = [c for c in metrics.columns if c not in ("series_id", "model", "n")]
    weighted = metrics.copy()
    for c in [c for c in numeric if c.startswith("coverage_")]:
        weighted[c] = weighted[c] * weighted["n"]
    summary = weighted.groupby("model").agg({**{c: "mean" for c in numeric}, "n": "sum"})
    for c in [c for c in numeric if c.startswith("coverage_")]:
        summary[c] = weighted.groupby("model")[c].sum() / summary["n"]
    summary["series"] = metrics.groupby("model")["series_id"].nunique()
    return summary.sort_values("mase").reset_index()
