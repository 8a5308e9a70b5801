"""Rolling-origin backtests: one long table of every model's forecasts at past cutoffs.

One function, :func:`backtest`, returns one long table (``series_id, cutoff, period, model, actual, mean,
lo_80, hi_80, lo_95, hi_95``); :func:`evaluate` turns it into per series x model metrics and
:func:`summarise` into one row per model, best first (both live in :mod:`forecasting.metrics`, with the
metrics' definitions). Baselines are always scored beside the real models.

This module sits above the engine: ``auto`` is backtested by running :func:`forecasting.engine.forecast` at
each cutoff; the rolling-origin machinery both use is :mod:`forecasting.blocks`.
"""

from __future__ import annotations

import pandas as pd

from features.errors import TalentcastError
from features.series import build_panel, ordinal_to_period, panel_to_long, to_long
from forecasting.blocks import MIN_TRAIN, fit_contexts, holdout_steps, long_table, mask_breaks, run_blocks
from forecasting.breaks import at_cutoff, relevel, split_breaks
from forecasting.engine import check_method, forecast
from forecasting.metrics import evaluate, naive_scale, summarise

# The public backtest interface: backtest -> evaluate -> summarise (docs/INTERFACES.md).
__all__ = ["backtest", "evaluate", "summarise"]


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
        breaks: declared breaks and detection both run at each cutoff on the data before it (the size of a
            declared break is estimated only from the history known then); actuals stay as published, and the
            values at declared break periods are not scored (a survey-frame jump is not forecastable).
        h: horizon of each window; n_windows: number of cutoffs (None = as many as the data allow with at
            least 4 years / 25 months of training data); step: periods between cutoffs.
        levels: interval levels; breaks: see :func:`forecasting.breaks.relevel`.

    Returns:
        Long table ``series_id, cutoff, step, period, model, actual, mean, lo_XX, hi_XX`` plus the naive
        scales used by :func:`evaluate`.
    """
    long = to_long(frame) if "value" not in frame.columns or "series_id" not in frame.columns else frame
    user_breaks = breaks
    declared, detect = split_breaks(breaks)
    panel = build_panel(long, freq)
    # Only *where* the declared breaks are is taken from the whole history (a fact about the data, used to skip
    # scoring those cells); their sizes are estimated at each cutoff by `at_cutoff`.
    _, declared_report = relevel(panel, declared)
    declared_report = declared_report[["series_id", "period"]]
    actuals = mask_breaks(panel, declared_report)
    breaks = at_cutoff(declared, detect)
    ks = holdout_steps(panel, h, n_windows, step)
    if not ks:
        raise TalentcastError(
            f"series are too short to backtest with horizon {h}: need at least {MIN_TRAIN[panel.freq] + h} "
            f"periods, the longest has {panel.log_values.shape[1]}",
            f"序列太短，无法以预测步长 {h} 回测：至少需要 {MIN_TRAIN[panel.freq] + h} 期，"
            f"最长的序列只有 {panel.log_values.shape[1]} 期"
        )
    names = list(dict.fromkeys(models))
    for baseline in ("naive", "drift") + (("snaive",) if panel.freq == "month" else ()):
        if baseline not in names:
            names.append(baseline)
    for name in names:
        check_method(name)  # unknown names raise TalentcastError listing the known ones
    plain = [n for n in names if n != "auto"]
    contexts = fit_contexts(panel, h, ks, plain, breaks)
    blocks = run_blocks(panel, plain, h, ks, contexts, breaks, engine, scheduler)
    table = long_table(panel, blocks, plain, ks, h, levels, actuals=actuals)
    if "auto" in names:
        table = pd.concat([table, _auto_backtest(panel, actuals, ks, h, levels, user_breaks, engine, scheduler)],
                          ignore_index=True)
    return table


def _auto_backtest(panel, actuals, ks, h, levels, user_breaks, engine, scheduler) -> pd.DataFrame:
    """The whole engine at each cutoff, given only the published history before it (and the user's breaks)."""
    frames = []
    for k in ks:
        history = panel_to_long(panel.truncate(k))
        history = history[history["series_id"].isin(panel.ids[panel.lengths - k >= 2])]
        result = forecast(history, min(h, k), method="auto", levels=levels, freq=panel.freq,
                          breaks=user_breaks,
                          engine=engine, scheduler=scheduler)
        fc = result.forecasts.copy()
        fc["cutoff"] = fc["series_id"].map(
            dict(zip(panel.ids, ordinal_to_period(panel.last - k, panel.freq)))
        )
        fc["step"] = fc.groupby("series_id").cumcount() + 1
        fc["chosen"] = fc["model"]
        fc["model"] = "auto"
        actual = panel_to_long(actuals).rename(columns={"value": "actual"})
        fc = fc.merge(actual, on=["series_id", "period"], how="inner")
        mae, mse = naive_scale(actuals, k)
        fc["scale_mae"] = fc["series_id"].map(dict(zip(panel.ids, mae)))
        fc["scale_mse"] = fc["series_id"].map(dict(zip(panel.ids, mse)))
        frames.append(fc)
    return pd.concat(frames, ignore_index=True)
