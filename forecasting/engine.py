"""The forecasting engine: one entry point for local and Dask runs.

    result = forecast(frame, horizon=3)              # method "auto": backtest, select, calibrate, forecast
    result.forecasts                                  # series_id, period, mean, lo_80, hi_80, lo_95, hi_95, model
    paths = sample_paths(frame, horizon=3, n_paths=1000, seed=1)

``auto`` runs every vectorised candidate at a few rolling cutoffs (the inner backtest), adds the combination of
naive and the global model weighted by that backtest's errors (:mod:`forecasting.combination`), picks a model
per panel / group / series by MASE with the combination as the reference to beat (:mod:`forecasting.selection`),
and calibrates intervals by pooled conformal errors of the chosen models (:mod:`forecasting.conformal`). All of
it is numpy over all series at once; the Dask engine partitions the series, while cross-series state (the
global model, the shrinkage targets, the combination) is computed once on the whole panel, so both engines give
the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from features.errors import TalentcastError
from features.series import Panel, build_panel, split_series_id, to_long
from forecasting import combination
from forecasting.blocks import actual_log, fit_contexts, holdout_steps, long_table, mask_breaks, run_blocks
from forecasting.breaks import at_cutoff, relevel, relevel_common, split_breaks
from forecasting.conformal import Calibration, calibrate, conformal_bands, in_sample_errors
from forecasting.metrics import evaluate, summarise
from forecasting.selection import select_models
from models.base import forecast_frame
from models.ensemble import DEFAULT_MEMBERS
from models.registry import model_names

CANDIDATES = ("naive", "drift", "ses", "damped", "theta", "rdrift", "global", "ensemble")
MONTHLY_CANDIDATES = ("snaive",)
INNER_WINDOWS = 3


@dataclass
class ForecastResult:
    """Everything a forecast run produced.

    Attributes:
        forecasts: ``series_id, period, mean, lo_XX, hi_XX, model`` (one row per series and future period).
        selection: ``series_id, model, reason``.
        fallbacks: ``series_id, requested, used, error`` (series a model could not handle).
        backtest: the inner backtest table (models' own intervals) or None when too short to backtest.
        scores: per series x model backtest metrics (or None).
        breaks: level shifts applied (``series_id, period, shift, source``).
        calibration: the conformal calibration (normalised log-error quantiles per horizon).
        freq: "year" or "month".
    """

    forecasts: pd.DataFrame
    selection: pd.DataFrame
    fallbacks: pd.DataFrame
    backtest: pd.DataFrame | None
    scores: pd.DataFrame | None
    breaks: pd.DataFrame
    calibration: Calibration
    freq: str
    levels: tuple
    method: str
    _panel: Panel = field(repr=False, default=None)
    _point_log: np.ndarray = field(repr=False, default=None)
    _scale: np.ndarray = field(repr=False, default=None)
    _groups: np.ndarray | None = field(repr=False, default=None)

    def summary(self) -> pd.DataFrame:
        """Backtest summary per model (best MASE first), or an empty frame."""
        return summarise(self.scores) if self.scores is not None and len(self.scores) else pd.DataFrame()

    def sample_paths(self, n_paths: int, seed: int) -> pd.DataFrame:
        """Joint sample paths (see :func:`sample_paths`)."""
        return _draw_paths(self, n_paths, seed)


def check_method(name: str) -> None:
    """Refuse a method name the model registry does not know (one bilingual line listing the known ones)."""
    known = ["auto", *model_names()]
    if name not in known:
        raise TalentcastError(f"unknown method {name!r}; known methods: {', '.join(known)}",
                              f"未知的预测方法 {name!r}；可用：{'、'.join(known)}")


def _check_args(horizon, levels) -> tuple[int, tuple[int, ...]]:
    try:
        horizon_int = int(horizon)
    except (TypeError, ValueError):
        raise TalentcastError(f"horizon must be a whole number, got {horizon!r}",
                               f"预测步长必须是整数，实际为 {horizon!r}") from None
    if horizon_int != horizon or horizon_int < 1:
        raise TalentcastError(f"horizon must be at least 1, got {horizon}", f"预测步长至少为 1，实际为 {horizon}")
    levels = tuple(int(lv) for lv in levels)
    for lv in levels:
        if not 0 < lv < 100:
            raise TalentcastError(f"interval level {lv} must be between 0 and 100 (e.g. 80,95)",
                                  f"区间水平 {lv} 必须在 0 到 100 之间（例如 80,95）")
    return horizon_int, tuple(sorted(set(levels)))


def forecast(
    frame: pd.DataFrame,
    horizon: int,
    method: str = "auto",
    levels=(80, 95),
    freq: str | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    breaks=None,
    n_windows: int | None = None,
    selection_level: str = "auto",
    source: str = "input",
    exclude: pd.DataFrame | None = None,
) -> ForecastResult:
    """Forecast every series of a long table with calibrated intervals.

    Args:
        frame: long table ``series_id, period, value`` or the employment table (region, sector, year,
            employed -> series "region|sector").
        horizon: periods ahead (>= 1).
        method: "auto" or a registry name (see ``models.registry.model_names()``).
        levels: central interval levels in percent.
        freq: "year" / "month"; inferred from the period format when None.
        engine: "local" or "dask"; scheduler: Dask scheduler address (None = a small LocalCluster).
        breaks: None (detect level shifts), False (none), a list of periods (declared for every series) or
            {series_id: [periods]}; see :func:`forecasting.breaks.relevel`.
        n_windows: cutoffs of the inner backtest (default 3).
        selection_level: "auto", "panel", "group" or "series" (see :mod:`forecasting.selection`).
        source: name used in error messages (the input file).
        exclude: ``series_id, period`` cells not to score or calibrate on (e.g. break periods of a history
            that was re-levelled before it was passed in).

    Raises:
        TalentcastError: bad input or arguments (message names the row / series / value).
    """
    horizon, levels = _check_args(horizon, levels)
    if engine not in ("local", "dask"):
        raise TalentcastError(f"unknown engine {engine!r}; use local or dask", f"未知的计算引擎 {engine!r}，请用 local 或 dask")
    long = to_long(frame, source)  # always: duplicates and bad values are caught for API callers too
    if long.empty:
        raise TalentcastError(f"{source}: no data rows", f"{source}：没有数据行")
    declared, detect = split_breaks(breaks)
    panel = build_panel(long, freq)
    # Breaks are re-levelled at every inner cutoff from the history before it (`at_cutoff`), so the inner
    # backtest that selects models and sizes intervals also pays for estimating a break's size from few points.
    # Only where the breaks are is taken from the whole history: those periods are not scored.
    _, declared_report = relevel(panel, declared)
    if detect == "detect":
        _, common_report = relevel_common(relevel(panel, declared)[0])
        declared_report = pd.concat([r for r in (declared_report, common_report) if len(r)] or [declared_report],
                                    ignore_index=True)
    breaks = at_cutoff(declared, detect)
    if method == "auto":
        names = list(CANDIDATES) + (list(MONTHLY_CANDIDATES) if panel.freq == "month" else [])
    else:
        check_method(method)
        names = [method]
    # Monthly cutoffs a season apart (up to h): adjacent cutoffs share most of their errors, so their pooled
    # quantiles would understate the spread. Yearly cutoffs are one year apart.
    inner_step = max(1, min(horizon, panel.season_length))
    ks = holdout_steps(panel, horizon, n_windows or INNER_WINDOWS, step=inner_step, partial=True)
    all_ks = [0, *ks]
    contexts = fit_contexts(panel, horizon, all_ks, names, breaks)
    blocks = run_blocks(panel, names, horizon, all_ks, contexts, breaks, engine, scheduler)

    # Break periods (declared, passed in, or detected on the full history) are not forecastable signal: a model
    # must not be chosen, nor intervals sized, for having guessed a survey-frame jump.
    masked = [r for r in (declared_report, exclude, blocks["breaks"]) if r is not None and len(r)]
    actuals = mask_breaks(panel, pd.concat(masked, ignore_index=True) if masked else None)
    hedge = None
    if method == "auto" and combination.available(names):
        # Computed here on the whole panel (also for Dask runs), from the members' inner backtest errors.
        combination.add_combination(panel, actuals, blocks, ks)
        names, hedge = [*names, combination.NAME], combination.NAME
    bt = long_table(panel, blocks, names, ks, horizon, levels, actuals=actuals) if ks else None
    scores = evaluate(bt, levels=levels) if bt is not None and len(bt) else None
    if method == "auto":
        empty = pd.DataFrame(columns=["series_id", "model", "mase", "n"])
        selection = select_models(scores if scores is not None else empty, panel.ids, selection_level, hedge=hedge)
    else:
        selection = pd.DataFrame({"series_id": panel.ids, "model": method, "reason": "requested"})
    chosen = selection["model"].to_numpy()

    groups = calibration_groups(panel.ids)
    errors = _normalised_errors(actuals, blocks, chosen, ks, horizon)
    calibration = calibrate(errors, horizon, in_sample_errors(actuals.log_values, blocks["scale"][0]),
                            None if groups is None else [np.tile(groups, len(e) // len(groups)) for e in errors])
    point = _pick(blocks, 0, chosen, panel.n_series, horizon)
    scale = blocks["scale"][0]
    bands = conformal_bands(point, scale, calibration, levels, groups)
    forecasts = forecast_frame(panel, point, bands, model=chosen).drop(columns="step")
    fallbacks = _relevant_fallbacks(blocks["fallbacks"], selection)
    reports = [r for r in (blocks["breaks"],) if r is not None and len(r)]
    breaks_report = pd.concat(reports, ignore_index=True) if reports else pd.DataFrame(
        columns=["series_id", "period", "shift", "source"])
    return ForecastResult(
        forecasts=forecasts, selection=selection, fallbacks=fallbacks, backtest=bt, scores=scores,
        breaks=breaks_report, calibration=calibration, freq=panel.freq, levels=levels, method=method,
        _panel=panel, _point_log=point, _scale=scale, _groups=groups,
    )


def calibration_groups(ids: np.ndarray) -> np.ndarray | None:
    """Interval groups: the sector part of ``region|sector`` ids (None when the ids have no sectors or one)."""
    _, sector = split_series_id(np.asarray(ids))
    if len(sector) == 0 or (sector == "").any() or len(set(sector)) < 2:
        return None
    return sector.astype(str)


def _pick(blocks: dict, k: int, chosen: np.ndarray, n: int, steps: int) -> np.ndarray:
    out = np.full((n, steps), np.nan)
    for name in np.unique(chosen):
        rows = chosen == name
        out[rows] = blocks["pred"][(k, name)][rows, :steps]
    return out


def _normalised_errors(panel: Panel, blocks: dict, chosen, ks, horizon) -> list[np.ndarray]:
    """Backtest log errors of each series' chosen model, divided by its scale, pooled by horizon."""
    by_step = [[] for _ in range(horizon)]
    for k in ks:
        steps = min(horizon, k)
        point = _pick(blocks, k, chosen, panel.n_series, steps)
        actual = actual_log(panel, k, steps)
        enough = (panel.lengths - k >= 2)[:, None]
        errors = np.where(enough, (actual - point) / blocks["scale"][k][:, None], np.nan)
        for j in range(steps):
            by_step[j].append(errors[:, j])
    return [np.concatenate(e) if e else np.array([]) for e in by_step]


def _relevant_fallbacks(fallbacks: list[dict], selection: pd.DataFrame) -> pd.DataFrame:
    columns = ["series_id", "requested", "used", "error"]
    if not fallbacks:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(fallbacks, columns=columns).drop_duplicates()
    chosen = dict(zip(selection["series_id"], selection["model"]))
    wanted = frame.apply(
        lambda r: chosen.get(r["series_id"]) == r["requested"]
        or (chosen.get(r["series_id"]) == "ensemble" and r["requested"] in DEFAULT_MEMBERS)
        or (chosen.get(r["series_id"]) == combination.NAME and r["requested"] in combination.POOL),
        axis=1,
    )
    return frame[wanted.to_numpy(dtype=bool)].reset_index(drop=True)


def sample_paths(
    frame: pd.DataFrame,
    horizon: int,
    n_paths: int,
    seed: int,
    method: str = "auto",
    **kwargs,
) -> pd.DataFrame:
    """Joint sample paths from the calibrated predictive distribution (for the gap simulation).

    Each path draws correlated standard normals ``Z_k = (u_1 + ... + u_k) / sqrt(k)`` (a random walk, so errors
    accumulate across horizons as they do in real forecasts: corr(Z_j, Z_k) = sqrt(j / k)) and maps them
    through the calibrated quantiles of horizon k: the marginal distribution at every horizon is exactly the
    conformal one, and cumulative demand over several years gets the right, wider spread.

    Returns:
        DataFrame ``series_id, period, path, value`` with values >= 0.
    """
    result = forecast(frame, horizon, method=method, **kwargs)
    return _draw_paths(result, n_paths, seed)


def _draw_paths(result: ForecastResult, n_paths: int, seed: int) -> pd.DataFrame:
    if n_paths < 1:
        raise TalentcastError(f"n_paths must be at least 1, got {n_paths}", f"样本路径数至少为 1，实际为 {n_paths}")
    panel, point, scale = result._panel, result._point_log, result._scale
    n, h = point.shape
    rng = np.random.default_rng(seed)
    shocks = rng.standard_normal((n_paths, n, h))
    walk = np.cumsum(shocks, axis=2) / np.sqrt(np.arange(1, h + 1))[None, None, :]
    uniform = norm.cdf(walk)
    errors = np.empty_like(walk)
    for step in range(1, h + 1):
        errors[:, :, step - 1] = result.calibration.quantile(uniform[:, :, step - 1], step, result._groups)
    log_values = point[None, :, :] + scale[None, :, None] * errors
    with np.errstate(over="ignore"):
        values = np.maximum(np.exp(log_values) - panel.offset[None, :, None], 0.0)
    periods = panel.future_periods(h)
    return pd.DataFrame(
        {
            "series_id": np.tile(np.repeat(panel.ids, h), n_paths),
            "period": np.tile(periods.ravel(), n_paths),
            "path": np.repeat(np.arange(n_paths), n * h),
            "value": values.reshape(n_paths, n * h).ravel(),
        }
    )
