"""Current conditions from the public employment service (求人倍率) as a check on the forecast (JSA-style).

Australia's JSA and Canada's COPS rate an occupation on the projection *and* on how tight the market is now.
This module reads the `vacancies` table (posted vacancies and registered job seekers by region x sector x period)
and gives each (region, sector) its current ratio, vacancies / job seekers over the latest
`WINDOW_MONTHS` months of data. A forecast that says "surplus likely" for a sector whose current ratio is above
the shortage threshold (or "shortage likely" where it is below the surplus threshold) contradicts current
conditions: the result says so (`conditions_check`), and warnings built on it carry the contradiction in their
evidence. The check does not change any number; it says where a forecast needs a second look.

Pure functions over DataFrames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WINDOW_MONTHS = 12
# A forecast is "likely" shortage / surplus above this probability for the contradiction check.
LIKELY = 0.5
AGREES, CONTRADICTS, NO_DATA = "agrees", "contradicts", None


def current_ratios(vacancies: pd.DataFrame | None, window: int = WINDOW_MONTHS) -> pd.DataFrame:
    """Vacancies / job seekers of each (region, sector) over its latest `window` months (a year = 12 months).

    Returns:
        region, sector, current_ratio, current_period (the latest period used); empty without data.
    """
    columns = ["region", "sector", "current_ratio", "current_period"]
    if vacancies is None or vacancies.empty:
        return pd.DataFrame(columns=columns)
    frame = vacancies.assign(region=vacancies["region"].astype(str), sector=vacancies["sector"].astype(str),
                             period=vacancies["period"].astype(str))
    # A yearly row (YYYY) counts as its twelve months; monthly rows are YYYY-MM.
    frame["month"] = [int(p[:4]) * 12 + (int(p[5:7]) - 1 if len(p) >= 7 else 11) for p in frame["period"]]
    frame["weight"] = [1 if len(p) >= 7 else 12 for p in frame["period"]]
    latest = frame.groupby(["region", "sector"])["month"].transform("max")
    recent = frame[frame["month"] > latest - window]
    sums = recent.groupby(["region", "sector"]).agg(vacancies=("vacancies", "sum"),
                                                    job_seekers=("job_seekers", "sum"),
                                                    current_period=("period", "max")).reset_index()
    sums = sums[sums["job_seekers"].astype(float) > 0]
    sums["current_ratio"] = sums["vacancies"].astype(float) / sums["job_seekers"].astype(float)
    return sums[columns].reset_index(drop=True)


def conditions_check(p_shortage: np.ndarray, p_surplus: np.ndarray, current_ratio: np.ndarray,
                     shortage_threshold: float, surplus_threshold: float) -> np.ndarray:
    """'contradicts' where a likely shortage meets a slack market now (or a likely surplus a tight one),
    'agrees' where both are known and do not clash, None where either is unknown."""
    p_shortage, p_surplus = np.asarray(p_shortage, float), np.asarray(p_surplus, float)
    current = np.asarray(current_ratio, float)
    known = np.isfinite(current) & np.isfinite(p_shortage) & np.isfinite(p_surplus)
    clash = ((p_shortage >= LIKELY) & (current < surplus_threshold)) | \
            ((p_surplus >= LIKELY) & (current > shortage_threshold))
    return np.where(known, np.where(clash, CONTRADICTS, AGREES), NO_DATA).astype(object)


def node_ratios(nodes: pd.DataFrame, ratios: pd.DataFrame) -> np.ndarray:
    """(nodes,) current ratio of each (region, sector) node; NaN where the vacancies table has none."""
    lookup = {(r, s): v for r, s, v in zip(ratios["region"], ratios["sector"], ratios["current_ratio"])}
    return np.array([lookup.get((str(r), str(s)), np.nan) for r, s in zip(nodes["region"], nodes["sector"])],
                    dtype=float)


def major_ratios(weights: np.ndarray, node_ratio: np.ndarray) -> np.ndarray:
    """(m,) current ratio of each major: the weighted geometric mean over the sectors with data (as pressure)."""
    known = np.isfinite(node_ratio)
    w = weights * known[None, :]
    total = w.sum(axis=1)
    logs = np.log(np.maximum(np.where(known, node_ratio, 1.0), 0.01))
    return np.where(total > 0, np.exp((w @ logs) / np.where(total > 0, total, 1.0)), np.nan)
