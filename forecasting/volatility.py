"""Sample paths whose year-to-year changes are as volatile as history (路径波动校准).

The forecasting engine draws each forecast year's value from that year's predictive distribution; how a path
moves from one year to the next is a by-product of how the draws were coupled. Drawn (nearly) independently,
the paths zig-zag: on the demo city the year-to-year changes of the sample paths were up to twice as volatile
as any change the series ever showed, and every zig adds phantom openings (openings follow the change).

This module keeps each year's distribution exactly (the same values, the engine's intervals are untouched) and
only re-pairs the draws of consecutive years: a Gaussian copula with an AR(1) latent ``z_t = rho z_{t-1} +
sqrt(1 - rho^2) e_t`` decides which path gets which value, and rho is chosen per series from a grid so that the
spread of the simulated yearly log changes is closest to the spread of the series' own history (its last
`HISTORY_CHANGES` yearly log changes). rho = 0 is independence, rho = 1 the comonotone coupling (the smoothest
paths the marginals allow); a series already calmer than its history is left as drawn (rho = 0 never adds
volatility it does not have). Pure numpy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import erfinv

RHO_GRID = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 1.0)
HISTORY_CHANGES = 10
MIN_HISTORY_CHANGES = 4


def path_volatility(paths: np.ndarray) -> np.ndarray:
    """Spread of the yearly log changes of sample paths: (series, years + 1, paths) -> (series,).

    The standard deviation of log(y_t / y_{t-1}) pooled over forecast years and paths - the counterpart of the
    spread of a history's yearly changes (which mixes the same two things: how the trend varies and how a
    year differs from the next).
    """
    logs = np.log1p(np.maximum(np.asarray(paths, dtype=float), 0.0))
    changes = np.diff(logs, axis=1)
    return changes.reshape(changes.shape[0], -1).std(axis=-1)


def historical_volatility(history: pd.DataFrame, series_ids: list[str], last: int = HISTORY_CHANGES) -> np.ndarray:
    """Standard deviation of each series' last `last` yearly log changes (NaN when fewer than 4).

    Args:
        history: series_id, period (year), value - consecutive years per series.
        series_ids: order of the output.
    """
    frame = history.assign(year=history["period"].astype(str).str[:4].astype(int)).sort_values(["series_id", "year"])
    logs = np.log1p(frame["value"].astype(float).clip(lower=0))
    gap = frame.groupby("series_id")["year"].diff()
    change = logs.groupby(frame["series_id"]).diff().where(gap == 1)
    recent = change.dropna().groupby(frame["series_id"]).tail(last)
    spread = recent.groupby(frame["series_id"]).std(ddof=1)
    count = recent.groupby(frame["series_id"]).size()
    spread = spread.where(count >= MIN_HISTORY_CHANGES)
    return spread.reindex(series_ids).to_numpy(dtype=float)


def _couple(paths: np.ndarray, rho: float, noise: np.ndarray) -> np.ndarray:
    """Re-pair the draws of years 2.. along an AR(1) Gaussian copula seeded by year 1's ranks."""
    n, t_plus_1, m = paths.shape
    out = paths.copy()
    if t_plus_1 < 3:
        return out
    # Latent of year 1: normal scores of its own ranks, so year 1 (its change from the observed base) is kept.
    latent = np.sqrt(2.0) * _erfinv_grid(_ranks(paths[:, 1, :]), m)
    ordered = np.sort(paths, axis=-1)
    for t in range(2, t_plus_1):
        latent = rho * latent + np.sqrt(1.0 - rho ** 2) * noise[:, t - 2, :]
        # The path with the k-th smallest latent gets the year's k-th smallest value (one sort, not a rank of
        # ranks: the same pairing).
        np.put_along_axis(out[:, t, :], np.argsort(latent, axis=-1), ordered[:, t, :], axis=-1)
    return out


def _ranks(values: np.ndarray) -> np.ndarray:
    """Rank of each value along the last axis (0 = smallest), ties in sort order (= argsort of argsort)."""
    order = np.argsort(values, axis=-1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(values.shape[-1])[None, :], axis=-1)
    return ranks


def _erfinv_grid(ranks: np.ndarray, m: int) -> np.ndarray:
    return erfinv(2.0 * (ranks + 0.5) / m - 1.0)


def match_volatility(paths: np.ndarray, target: np.ndarray, seed: int,
                     grid: tuple[float, ...] = RHO_GRID) -> tuple[np.ndarray, np.ndarray]:
    """Couple each series' draws so its simulated volatility is closest to `target` (marginals unchanged).

    Args:
        paths: (series, years + 1, paths); index 0 on the year axis is the observed base year.
        target: (series,) historical volatility (`historical_volatility`); NaN leaves the series as drawn.
        seed: seed of the copula noise (the same noise for every rho, so the choice is smooth in rho).

    Returns:
        (coupled paths, chosen rho per series; NaN where left as drawn).
    """
    paths = np.asarray(paths, dtype=float)
    n, t_plus_1, m = paths.shape
    rho_chosen = np.full(n, np.nan)
    if t_plus_1 < 3 or n == 0:
        return paths.copy(), rho_chosen
    noise = np.random.default_rng([int(seed), 4242]).standard_normal((n, t_plus_1 - 2, m))
    drawn = path_volatility(paths)
    known = np.isfinite(target)
    # Only series more volatile than their history are re-paired; each series' coupling uses its own noise, so
    # coupling just those gives the same paths as coupling all (and one candidate at a time bounds the memory).
    todo = np.flatnonzero(known & (drawn > np.where(known, target, np.inf)))
    out = paths.copy()
    if len(todo) == 0:
        return out, rho_chosen
    subset, subset_noise, goal = paths[todo], noise[todo], target[todo]
    best_gap = np.full(len(todo), np.inf)
    for rho in grid:
        candidate = _couple(subset, rho, subset_noise)
        gap = np.abs(path_volatility(candidate) - goal)
        better = gap < best_gap  # strict: the first rho of the grid wins a tie, as np.argmin did
        out[todo[better]] = candidate[better]
        rho_chosen[todo[better]] = rho
        best_gap = np.where(better, gap, best_gap)
    return out, rho_chosen
