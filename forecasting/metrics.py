"""Forecast accuracy metrics of a backtest table (per series x model, then per model).

:func:`evaluate` turns a backtest table (``forecasting.backtest.backtest``, or the engine's inner backtest) into
per series x model metrics and :func:`summarise` into one row per model, best first.

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

import warnings

import numpy as np
import pandas as pd

from features.errors import TalentcastError
from features.series import Panel, build_panel, period_to_ordinal, to_long


def naive_scale(panel: Panel, k: int) -> tuple[np.ndarray, np.ndarray]:
    """In-sample naive MAE and MSE (original scale) of each series' history up to cutoff k."""
    sub = panel.truncate(k)
    values = sub.values()
    m = panel.season_length
    lag = m if (m > 1 and np.median(sub.lengths) > m) else 1
    diff = values[:, lag:] - values[:, :-lag] if values.shape[1] > lag else np.full((len(values), 1), np.nan)
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


def evaluate(bt: pd.DataFrame, frame: pd.DataFrame | None = None, levels=(80, 95)) -> pd.DataFrame:
    """Per series x model metrics from a backtest table (see the module docstring).

    Args:
        bt: the table returned by :func:`forecasting.backtest.backtest` (with its ``scale_mae`` / ``scale_mse``
            columns); when the scale columns are missing, `frame` (the long input) is needed to compute them.
        frame: the long input table (only used when `bt` lacks the scale columns).
    """
    bt = bt.copy()
    if "scale_mae" not in bt.columns:
        if frame is None:
            raise TalentcastError("evaluate needs the input frame when the backtest has no scale columns",
                                  "回测结果没有尺度列时，评估需要输入数据")
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
