"""Gaps between graduate openings and graduate supply, with their distribution over sample paths (供需缺口).

For each region x sector x year and each sample path (paths of demand and of supply are drawn independently and
paired by index):

    gap   = graduate_openings - graduate_entrants          (persons; > 0 = shortage)
    ratio = graduate_openings / max(graduate_entrants, 1)  (like 求人倍率; the floor only keeps the division
                                                            defined - see "rated" below)

Reported: mean gap, 80% / 95% intervals of gap and ratio, median ratio, P(ratio > shortage_threshold) and
P(ratio < surplus_threshold). A major's pressure is the geometric mean of the ratios of the sectors it feeds,
weighted by the share of its graduates going to each (the crosswalk weights, drawn per path), computed path by
path so it carries the same uncertainty.

Rated: a ratio says how tight a market is only where local graduates are a real part of its supply.
`forecasting.coverage` decides per node and year which gaps are *rated*; the others get no ratio, interval or
probability (null), and the sectors that are not rated do not enter a major's pressure (its weights are
renormalised over the rated sectors it feeds; a major feeding none of them has no pressure). A node whose supply
is known to be incomplete (a province with schools in only some of its cities) gets no gap either.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

DEFAULT_SHORTAGE_THRESHOLD = 1.2
DEFAULT_SURPLUS_THRESHOLD = 0.8
SUPPLY_FLOOR = 1.0
# Below these, local supply is negligible and the ratio is not rated (forecasting.coverage; docs/supply-demand.md
# "Honest coverage"): less than one person a year, or less than 5% of the graduate openings (a ratio above 20).
MIN_SUPPLY_PERSONS = 1.0
MIN_SUPPLY_SHARE = 0.05
# A ratio of 0 (no openings) enters a major's geometric-mean pressure as 1/100, not as log(0).
PRESSURE_RATIO_FLOOR = 0.01


def shortage_ratio(openings: np.ndarray, supply: np.ndarray) -> np.ndarray:
    """Openings per graduate entrant, supply floored at one person."""
    return openings / np.maximum(supply, SUPPLY_FLOOR)


def interval_columns(paths: np.ndarray, prefix: str, levels=(80, 95)) -> dict[str, np.ndarray]:
    """Central intervals over the last axis: {prefix_lo_80, prefix_hi_80, ...}."""
    out = {}
    for level in levels:
        tail = (100 - level) / 2
        lo, hi = np.percentile(paths, [tail, 100 - tail], axis=-1)
        out[f"{prefix}_lo_{level}"], out[f"{prefix}_hi_{level}"] = lo, hi
    return out


def long_frame(keys: pd.DataFrame, years: list[int], columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """(n, years) arrays -> long frame keyed by keys x year (keys vary slowest)."""
    n, h = len(keys), len(years)
    frame = keys.loc[keys.index.repeat(h)].reset_index(drop=True)
    frame["year"] = np.tile(np.asarray(years, dtype=int), n)
    for name, values in columns.items():
        frame[name] = np.asarray(values).reshape(n * h)
    return frame


def gap_table(keys: pd.DataFrame, years: list[int], openings: np.ndarray, supply: np.ndarray,
              shortage_threshold: float = DEFAULT_SHORTAGE_THRESHOLD,
              surplus_threshold: float = DEFAULT_SURPLUS_THRESHOLD, rated: np.ndarray | None = None,
              gap_known: np.ndarray | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """Gap and ratio statistics per key x year.

    Args:
        keys: frame (n rows), e.g. region, sector.
        years: forecast years (h).
        openings: (n, h, paths) graduate openings.
        supply: (n, h, paths) graduate entrants.
        rated: optional (n, h) booleans; where False the ratio columns and probabilities are null (NaN).
            Default: every cell is rated.
        gap_known: optional (n, h) booleans; where False the gap columns are null too. Default: all known.

    Returns:
        (gaps frame with the contract's gap columns, ratio paths (n, h, paths) - computed for every cell;
        use `rated` to tell which of them mean anything).
    """
    gap = openings - supply
    ratio = shortage_ratio(openings, supply)
    columns = {"openings_mean": openings.mean(axis=-1), "supply_mean": supply.mean(axis=-1),
               "gap_mean": gap.mean(axis=-1)}
    columns.update(interval_columns(gap, "gap"))
    columns["ratio_median"] = np.median(ratio, axis=-1)
    columns.update(interval_columns(ratio, "ratio"))
    columns["p_shortage"] = (ratio > shortage_threshold).mean(axis=-1)
    columns["p_surplus"] = (ratio < surplus_threshold).mean(axis=-1)
    if rated is not None:
        for name in ("ratio_median", "ratio_lo_80", "ratio_hi_80", "ratio_lo_95", "ratio_hi_95", "p_shortage",
                     "p_surplus"):
            columns[name] = np.where(rated, columns[name], np.nan)
    if gap_known is not None:
        for name in ("gap_mean", "gap_lo_80", "gap_hi_80", "gap_lo_95", "gap_hi_95"):
            columns[name] = np.where(gap_known, columns[name], np.nan)
    frame = long_frame(keys, years, columns)
    frame["shortage_threshold"] = float(shortage_threshold)
    frame["surplus_threshold"] = float(surplus_threshold)
    return frame, ratio


def pressure_paths(weights: np.ndarray, ratio: np.ndarray, rated: np.ndarray | None = None,
                   links: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """(m, h, paths) pressure: the supply-weighted *geometric* mean of the rated sector ratios a major feeds.

    log pressure = sum_s w_s log ratio_s / sum_s w_s over the rated sectors s. The geometric mean keeps one thin,
    very tight sector from dominating (an arithmetic mean of 0.5 and 9.5 is 5, "short"; the geometric mean of
    them is 2.2), and a major's pressure is symmetric in shortage and surplus (ratios 2 and 0.5 average to 1).

    Args:
        weights: (m, nodes) central weights; used when `links` is None.
        ratio: (nodes, h, paths) ratio paths (floored at 0.01 for the log: "no openings" counts as 1/100).
        rated: (nodes, h) booleans; only rated sectors count.
        links: optional (key (L,), node (L,), weight draws (L, paths)) - crosswalk weights drawn per path.
    """
    m, n_nodes = weights.shape
    h, n_paths = ratio.shape[1], ratio.shape[2]
    mask = np.ones((n_nodes, h)) if rated is None else rated.astype(float)
    if links is None:
        key, node = np.nonzero(weights)
        draws = weights[key, node][:, None]
    else:
        key, node, draws = links
    out = np.full((m, h, n_paths), np.nan)
    if len(key) == 0:
        return out
    if draws.shape[1] == 1:
        # One weight per link on every path: per year a sparse (keys, nodes) matrix of the rated weights times the
        # nodes' log ratios, without a (links, years, paths) copy of the ratios.
        for j in range(h):
            by_node = sparse.csr_matrix((draws[:, 0] * mask[node, j], (key, node)), shape=(m, n_nodes))
            effective = np.asarray(by_node.sum(axis=1)).reshape(-1, 1)
            total = by_node @ np.log(np.maximum(ratio[:, j, :], PRESSURE_RATIO_FLOOR))
            out[:, j, :] = np.where(effective > 1e-12, np.exp(total / np.where(effective > 1e-12, effective, 1.0)),
                                    np.nan)
        return out
    to_key = sparse.csr_matrix((np.ones(len(key)), (key, np.arange(len(key)))), shape=(m, len(key)))
    step = max(1, 2_000_000 // max(1, len(key) * h))
    for start in range(0, n_paths, step):
        stop = min(start + step, n_paths)
        # Logs on the nodes, then gathered per link (there are more links than nodes).
        log_ratio = np.log(np.maximum(ratio[:, :, start:stop], PRESSURE_RATIO_FLOOR))[node]
        weighted = draws[:, None, start:stop] * mask[node][:, :, None]
        effective = (to_key @ weighted.reshape(len(key), -1)).reshape(m, h, -1)
        total = (to_key @ (weighted * log_ratio).reshape(len(key), -1)).reshape(m, h, -1)
        out[:, :, start:stop] = np.where(effective > 1e-12, np.exp(total / np.where(effective > 1e-12,
                                                                                   effective, 1.0)), np.nan)
    return out


def pressure_table(keys: pd.DataFrame, years: list[int], weights: np.ndarray, ratio: np.ndarray,
                   shortage_threshold: float = DEFAULT_SHORTAGE_THRESHOLD,
                   surplus_threshold: float = DEFAULT_SURPLUS_THRESHOLD,
                   rated: np.ndarray | None = None,
                   links: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                   paths: np.ndarray | None = None) -> pd.DataFrame:
    """Supply-weighted pressure of the sectors each (region, major) feeds (geometric mean, `pressure_paths`).

    Args:
        keys: frame of m rows, e.g. region, major.
        years: forecast years.
        weights: (m, n_nodes) rows summing to 1 (share of the major's graduates going to each node's sector).
        ratio: (n_nodes, h, paths) ratio paths from `gap_table`.
        rated: optional (n_nodes, h) booleans from `forecasting.coverage`: only rated sectors count, with the
            weights renormalised over them year by year; a major with no weight on a rated sector gets null.
        links: optional per-path crosswalk weight draws (see `pressure_paths`).
        paths: the pressure paths if already computed with `pressure_paths(weights, ratio, rated, links)`.

    Returns:
        keys x year with pressure_median, pressure_lo_80, pressure_hi_80, p_shortage, p_surplus and
        rated_weight (the share of the major's central weight on rated sectors, 0..1).
    """
    if rated is None:
        rated = np.ones(ratio.shape[:2], dtype=bool)
    effective = weights @ rated.astype(float)                               # (m, h)
    known = effective > 1e-12
    pressure = paths if paths is not None else pressure_paths(weights, ratio, rated, links)
    pressure = np.where(known[:, :, None], pressure, np.nan)
    columns = {"pressure_median": np.median(pressure, axis=-1)}
    columns.update(interval_columns(pressure, "pressure", levels=(80,)))
    columns["p_shortage"] = np.where(known, (pressure > shortage_threshold).mean(axis=-1), np.nan)
    columns["p_surplus"] = np.where(known, (pressure < surplus_threshold).mean(axis=-1), np.nan)
    totals = weights.sum(axis=1, keepdims=True)
    columns["rated_weight"] = np.where(totals > 0, effective / np.where(totals > 0, totals, 1.0), 0.0)
    return long_frame(keys, years, columns)
