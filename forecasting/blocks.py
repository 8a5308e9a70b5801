"""Rolling-origin blocks: every model's log forecasts at every cutoff, for a block of series.

The shared machinery of the engine's inner backtest (:mod:`forecasting.engine`) and of the user-facing
backtest (:mod:`forecasting.backtest`): cutoffs (:func:`holdout_steps`), the cross-series state fitted once per
cutoff (:func:`fit_contexts`), the forecasts of a block of series (:func:`predict_block`, run locally or per
Dask partition by :func:`run_blocks`), and the long backtest table they give (:func:`long_table`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import norm

from features.errors import TalentcastError
from features.series import Panel, ordinal_to_period, period_to_ordinal
from forecasting.breaks import relevel
from forecasting.conformal import combine_scale, scale_parts
from forecasting.metrics import naive_scale
from models.base import Context, back_transform, make_context
from models.ensemble import DEFAULT_MEMBERS
from models.global_model import fit_global_regressor
from models.registry import make_model

MIN_TRAIN = {"year": 4, "month": 25}


def holdout_steps(panel: Panel, h: int, n_windows: int | None, step: int = 1, partial: bool = False) -> list[int]:
    """Cutoffs as "number of trailing periods hidden", earliest cutoff first.

    Full windows hide k = h, h + step, ... (each forecasts h periods). With ``partial`` and fewer than three
    full windows, cutoffs k = 1..h-1 are added too (they score only the first k horizons): short yearly
    series then still give errors at horizon 1 for calibration.
    """
    if h < 1:
        raise TalentcastError(f"horizon must be at least 1, got {h}", f"预测步长至少为 1，实际为 {h}")
    if step < 1:
        raise TalentcastError(f"step must be at least 1, got {step}", f"步长至少为 1，实际为 {step}")
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
    out = {"pred": {}, "scale": {}, "fallbacks": [], "breaks": None}
    base_names = [n for n in names if n != "ensemble"]
    if "ensemble" in names:
        base_names += [m for m in DEFAULT_MEMBERS if m not in base_names]
    for k in ks:
        sub, report = relevel(panel.truncate(k), breaks, common=contexts[k].extras.get("common_breaks"))
        steps = h if k == 0 else min(h, k)
        # The scale skips the growth into and out of a re-levelled break period: after re-levelling the jump
        # equals the series' median growth, and that exact median shrank short series' scale by up to half
        # (NBS, 4 growth rates), so cutoffs after a break got intervals narrower than those calibrated before it.
        out["scale"][k] = scale_parts(sub.log_values, break_growth(sub, report))  # combined in run_blocks
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


def break_growth(panel: Panel, report: pd.DataFrame | None) -> np.ndarray | None:
    """Boolean mask of the growth *into* each reported break period (shaped like the log values)."""
    if report is None or not len(report):
        return None
    skip = np.zeros(panel.log_values.shape, dtype=bool)
    rows = pd.Index(panel.ids).get_indexer(report["series_id"])
    ordinals = period_to_ordinal(report["period"].astype(str), panel.freq)
    cols = panel.log_values.shape[1] - 1 - (panel.last[rows] - ordinals)
    ok = (rows >= 0) & (cols >= 0) & (cols < skip.shape[1])
    skip[rows[ok], cols[ok]] = True
    return skip


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
    if engine == "local":
        out = predict_block(panel, names, h, ks, contexts, breaks)
    elif engine == "dask":
        out = merge_blocks(dask_map(predict_block, panel, scheduler, names, h, ks, contexts, breaks))
    else:
        raise TalentcastError(f"unknown engine {engine!r}; use local or dask", f"未知的计算引擎 {engine!r}，请用 local 或 dask")
    out["scale"] = {k: combine_scale(*parts) for k, parts in out["scale"].items()}
    return out


def dask_map(func, panel: Panel, scheduler: str | None, *args) -> list:
    """Apply ``func(sub_panel, *args)`` to contiguous partitions of the series on a Dask cluster.

    With no scheduler address a small in-process LocalCluster is started (threads, not processes: kind to a
    2-core machine, and nothing to pickle) and closed afterwards.
    """
    try:
        # Imported here: dask.distributed takes seconds to import, and only Dask runs need it.
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask[distributed] is a dependency
        raise TalentcastError(f"the dask engine needs dask[distributed]: {exc}",
                               f"dask 引擎需要安装 dask[distributed]：{exc}") from None
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise TalentcastError(f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                                      f"无法连接 Dask 调度器 {scheduler}：{exc}") from None
    else:
        cluster = LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None)
        client = Client(cluster)
    try:
        workers = max(1, sum(client.nthreads().values()))
        n_parts = max(2, min(4 * workers, math.ceil(panel.n_series / 500))) if panel.n_series > 1 else 1
        parts = [rows for rows in np.array_split(np.arange(panel.n_series), n_parts) if len(rows)]
        shared = client.scatter(list(args), broadcast=True) if scheduler else list(args)
        futures = [client.submit(func, panel.take(rows), *shared, pure=False) for rows in parts]
        return client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def actual_log(panel: Panel, k: int, steps: int) -> np.ndarray:
    """Log actuals of the `steps` periods after cutoff k (k periods hidden)."""
    width = panel.log_values.shape[1]
    return panel.log_values[:, width - k : width - k + steps]


def mask_breaks(panel: Panel, report: pd.DataFrame) -> Panel:
    """A copy of `panel` whose values at declared break periods are NaN.

    After re-levelling, the value at a break period is an artefact (its growth was set to the series'
    typical growth), so it is neither scored nor used to calibrate intervals.
    """
    if report is None or not len(report):
        return panel
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
        mae, mse = naive_scale(actuals if actuals is not None else panel, k)
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
