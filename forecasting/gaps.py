"""Gaps between graduate openings and graduate supply, with their distribution over sample paths (供需缺口).

For each region x sector x year and each sample path (paths of demand and of supply are drawn independently and
paired by index):

    gap   = graduate_openings - graduate_entrants          (persons; > 0 = shortage)
    ratio = graduate_openings / max(graduate_entrants, 1)  (like 求人倍率; supply floored at one person so that a
                                                            sector no local major feeds shows as a shortage)

Reported: mean gap, 80% / 95% intervals of gap and ratio, median ratio, P(ratio > shortage_threshold) and
P(ratio < surplus_threshold). A major's pressure is the ratio of the sectors it feeds, weighted by the share of
its graduates going to each (the crosswalk weights), computed path by path so it carries the same uncertainty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_SHORTAGE_THRESHOLD = 1.2
DEFAULT_SURPLUS_THRESHOLD = 0.8
SUPPLY_FLOOR = 1.0


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
              surplus_threshold: float = DEFAULT_SURPLUS_THRESHOLD) -> tuple[pd.DataFrame, np.ndarray]:
    """Gap and ratio statistics per key x year.

    Args:
        keys: frame (n rows), e.g. region, sector.
        years: forecast years (h).
        openings: (n, h, paths) graduate openings.
        supply: (n, h, paths) graduate entrants.

    Returns:
        (gaps frame with the contract's gap columns, ratio paths (n, h, paths)).
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
    frame = long_frame(keys, years, columns)
    frame["shortage_threshold"] = float(shortage_threshold)
    frame["surplus_threshold"] = float(surplus_threshold)
    return frame, ratio


def pressure_table(keys: pd.DataFrame, years: list[int], weights: np.ndarray, ratio: np.ndarray,
                   shortage_threshold: float = DEFAULT_SHORTAGE_THRESHOLD,
                   surplus_threshold: float = DEFAULT_SURPLUS_THRESHOLD) -> pd.DataFrame:
    """Supply-weighted pressure of the sectors each (region, major) feeds.

    Args:
        keys: frame of m rows, e.g. region, major.
        years: forecast years.
        weights: (m, n_nodes) rows summing to 1 (share of the major's graduates going to each node's sector).
        ratio: (n_nodes, h, paths) ratio paths from `gap_table`.

    Returns:
        keys x year with pressure_median, pressure_lo_80, pressure_hi_80, p_shortage, p_surplus.
    """
    pressure = np.tensordot(weights, ratio, axes=(1, 0))
    columns = {"pressure_median": np.median(pressure, axis=-1)}
    columns.update(interval_columns(pressure, "pressure", levels=(80,)))
    columns["p_shortage"] = (pressure > shortage_threshold).mean(axis=-1)
    columns["p_surplus"] = (pressure < surplus_threshold).mean(axis=-1)
    return long_frame(keys, years, columns)
