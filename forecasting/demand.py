"""Demand for new graduates (job openings) by region x sector x year, by the separations method (BLS, 2023 on).

    change(t)            = employment(t) - employment(t-1)                   (per sample path; may be negative)
    separations(t)       = employment(t-1) x replacement_rate(sector)        (leavers: retirement, exits)
    openings(t)          = max(expansion(t) + replacement(t), 0)      (= change + separations unless the
                                                                        projected decline exceeds separations)
    graduate_openings(t) = openings(t) x graduate_entry_share(sector)

Openings are the change in employment plus the leavers to be replaced. A declining sector replaces fewer of its
leavers: its decline is subtracted from its separations (BLS's separations method), not ignored. The split into
the two reported components is decided on the *projected* (mean over paths) change p, not path by path:

    expansion(t)   = max(p, 0) + (change(t) - p)          mean over paths = max(p, 0)
    replacement(t) = max(separations(t) + min(p, 0), 0)   a declining sector replaces fewer leavers

so expansion + replacement = change + separations on every path (unless the decline exceeds the leavers). (Flooring each noisy path's expansion at zero,
as this module once did, adds openings that exist on no path's mean: E[max(X, 0)] > max(E[X], 0). On the demo
city that floor inflated 2030 openings by 6% in I65 to 159% in K; README "Trustworthy gaps and warnings (#13)".)
The computation runs on the finest level the data can tell apart (reconciliation atoms) and openings are *summed*
up the hierarchy, so a section's openings are coherent with its divisions.

All functions here are pure and work on numpy arrays shaped (units, years, paths) or on long frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.contract import DEFAULT_GRADUATE_ENTRY_SHARE, DEFAULT_REPLACEMENT_RATE

SECTOR_PARAMETERS = ("replacement_rate", "graduate_entry_share")


def sector_parameter_table(sectors: pd.DataFrame, sector_parameters: pd.DataFrame | None = None) -> pd.DataFrame:
    """Parameters for every sector: its own row, else its nearest ancestor's, else the documented default.

    Args:
        sectors: sectors table (code, parent).
        sector_parameters: optional table (sector, replacement_rate, graduate_entry_share).

    Returns:
        Frame sector, replacement_rate, graduate_entry_share, source ("table", "parent <code>", "default").
    """
    parent_of = {}
    if "parent" in sectors:
        parent_of = {str(c): (str(p) if isinstance(p, str) and p else None)
                     for c, p in zip(sectors["code"], sectors["parent"])}
    given = {}
    if sector_parameters is not None and not sector_parameters.empty:
        given = sector_parameters.assign(sector=sector_parameters["sector"].astype(str)).set_index("sector")
        given = given[list(SECTOR_PARAMETERS)].to_dict("index")
    rows = []
    for code in sectors["code"].astype(str):
        row = {"sector": code, "replacement_rate": DEFAULT_REPLACEMENT_RATE,
               "graduate_entry_share": DEFAULT_GRADUATE_ENTRY_SHARE, "source": "default"}
        current, seen = code, set()
        while current and current not in seen:
            seen.add(current)
            if current in given:
                row.update({k: float(given[current][k]) for k in SECTOR_PARAMETERS})
                row["source"] = "table" if current == code else f"parent {current}"
                break
            current = parent_of.get(current)
        rows.append(row)
    return pd.DataFrame(rows, columns=["sector", *SECTOR_PARAMETERS, "source"])


def demand_components(employment: np.ndarray, replacement_rate: np.ndarray,
                      graduate_entry_share: np.ndarray) -> dict[str, np.ndarray]:
    """Expansion, replacement, openings and graduate openings from employment levels (separations method).

    Args:
        employment: (units, years + 1, paths) employment; index 0 on the year axis is the base year (observed).
        replacement_rate: broadcastable to (units, years), e.g. (units, 1) or (units, years), or drawn per path:
            (units, years or 1, paths).
        graduate_entry_share: the same shapes.

    Returns:
        dict with arrays (units, years, paths): employment (forecast years only), expansion (floored on the
        projected change), replacement (separations less the projected decline), openings (change +
        separations, >= 0), graduate_openings.
    """
    employment = np.asarray(employment, dtype=float)
    previous, current = employment[:, :-1, :], employment[:, 1:, :]
    rate, share = (_per_path(np.asarray(v, dtype=float), current.shape)
                   for v in (replacement_rate, graduate_entry_share))
    # In place where an array is not needed again: a province's components are tens of MB each.
    expansion = current - previous                                   # the change, first
    projected = expansion.mean(axis=-1, keepdims=True)
    expansion -= projected
    expansion += np.maximum(projected, 0.0)                          # max(p, 0) + (change - p)
    replacement = previous * rate                                    # separations, first
    replacement += np.minimum(projected, 0.0)
    np.maximum(replacement, 0.0, out=replacement)
    # Openings cannot be negative: on a path where employment falls by more than the year's leavers there are
    # none (this floor is on the total, and binds only where a path's fall exceeds its separations).
    openings = expansion + replacement
    np.maximum(openings, 0.0, out=openings)
    return {
        "employment": current,
        "expansion": expansion,
        "replacement": replacement,
        "openings": openings,
        "graduate_openings": openings * share,
    }


def _per_path(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A (units, years) parameter as (units, years, 1); one already drawn per path (3-d) broadcast as it is."""
    if values.ndim == 3:
        return np.broadcast_to(values, shape)
    return np.broadcast_to(values, shape[:2])[:, :, None]


def openings_from_employment(employment: pd.DataFrame, parameters: pd.DataFrame | None = None,
                             default_replacement_rate: float = DEFAULT_REPLACEMENT_RATE,
                             default_graduate_entry_share: float = DEFAULT_GRADUATE_ENTRY_SHARE) -> pd.DataFrame:
    """Openings of each (region, sector) from a deterministic employment path (point values).

    A frame-level convenience (notebooks, hand checks): no hierarchy, each series on its own.

    Args:
        employment: region, sector, year, employed - consecutive years per series; the first year is the base.
        parameters: optional sector, replacement_rate, graduate_entry_share (missing sectors use the defaults).

    Returns:
        region, sector, year, employment, expansion, replacement, openings, graduate_openings (base year dropped).
    """
    params = {}
    if parameters is not None:
        params = parameters.set_index(parameters["sector"].astype(str))[list(SECTOR_PARAMETERS)].to_dict("index")
    out = []
    for (region, sector), group in employment.sort_values("year").groupby(["region", "sector"], sort=True):
        values = group["employed"].to_numpy(dtype=float)[None, :, None]
        p = params.get(str(sector), {})
        parts = demand_components(values, np.array([[p.get("replacement_rate", default_replacement_rate)]]),
                                  np.array([[p.get("graduate_entry_share", default_graduate_entry_share)]]))
        frame = pd.DataFrame({k: v[0, :, 0] for k, v in parts.items()})
        frame.insert(0, "year", group["year"].to_numpy()[1:])
        frame.insert(0, "sector", sector)
        frame.insert(0, "region", region)
        out.append(frame)
    columns = ["region", "sector", "year", "employment", "expansion", "replacement", "openings",
               "graduate_openings"]
    return pd.concat(out, ignore_index=True)[columns] if out else pd.DataFrame(columns=columns)
