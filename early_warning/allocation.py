"""Joint allocation: make one region's recommendations add up.

Independent "expand" flags make every school grow the same hot major. Here the rules' proposals for one
region are reconciled:

1. **Shared cuts.** A cut decided by a rule about the region's market only (e.g. "surplus likely") is the
   region's cut for that major: its total is shared among the schools in proportion to their contribution
   to the surplus (their graduate entrants: current intake x yield), each school's cut bounded by the rule
   set's ``max_change``; what a bounded school cannot take goes to the others.
2. **Expansions within unmet openings.** Extra places are turned into extra graduate entrants through the
   supply model's yield (entrants per admitted student). The extra graduates of a major are assumed to go to
   the sectors it feeds that have unmet openings (gap_mean > 0), in proportion to its crosswalk weights among
   those sectors; a major can expand only when at least half (``min_shortage_weight``) of its weight lies in
   such sectors. For every sector and target year, the extra entrants of all majors feeding it never exceed
   the sector's unmet openings. When requests exceed a sector's room, every request touching that sector is
   scaled by the same factor (room / requested), then rounded down. A major with no mapped sector, or feeding
   a sector without a forecast gap, cannot expand (there is no evidence of unmet openings).
3. **Minimum viable class.** A recommendation r with 0 < r < ``min_class_size`` is raised to the minimum
   when that does not increase the class beyond its current intake (the cut is shortened), or when the class
   is held / expanded, the raise stays within ``max_change`` of the current intake and the extra places fit
   in the remaining unmet openings. Otherwise the class is suspended (r = 0, red, rule ``min-class-size``).

Everything is sorted by (region, major, school) with stable sorts; no set or dict iteration order matters.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

MIN_CLASS_RULE = "min-class-size"
MIN_SHORTAGE_WEIGHT = 0.5


def share_cut(total: int, contributions: list[float], caps: list[int]) -> list[int]:
    """Split a whole-number cut in proportion to contributions, each share at most its cap.

    Water-filling: shares above a cap are clipped and the rest is re-split among the others; whole numbers by
    the largest remainder (ties to the earlier position, i.e. the lower school code).

    Args:
        total: places to cut (>= 0).
        contributions: non-negative weights (graduate entrants); all zero -> equal weights.
        caps: largest cut each school may take.

    Returns:
        Cuts, whole numbers, each in [0, cap], summing to min(total, sum(caps)).
    """
    n = len(caps)
    total = int(min(total, sum(caps)))
    weights = np.asarray(contributions, dtype=float)
    weights = np.where(np.isfinite(weights) & (weights > 0), weights, 0.0)
    if weights.sum() <= 0:
        weights = np.ones(n)
    caps_arr = np.asarray(caps, dtype=float)
    share = np.zeros(n)
    free = np.ones(n, dtype=bool)
    remaining = float(total)
    for _ in range(n + 1):
        w = np.where(free, weights, 0.0)
        if remaining <= 1e-9:
            break
        if w.sum() <= 0:
            # Only schools without a known contribution have room left: they share the rest equally.
            w = np.where(free & (caps_arr > share), 1.0, 0.0)
            if w.sum() <= 0:
                break
        tentative = share + remaining * w / w.sum()
        over = free & (tentative > caps_arr + 1e-12)
        if not over.any():
            share = tentative
            remaining = 0.0
            break
        share[over] = caps_arr[over]
        free &= ~over
        remaining = total - share.sum()
    cuts = np.floor(share + 1e-9).astype(int)
    left = total - int(cuts.sum())
    order = sorted(range(n), key=lambda i: (-(share[i] - cuts[i]), i))
    while left > 0:
        for i in order:
            if left > 0 and cuts[i] < caps[i]:
                cuts[i] += 1
                left -= 1
    return [int(c) for c in cuts]


def allocate(proposals: pd.DataFrame, weights: pd.DataFrame, sector_gaps: pd.DataFrame,
             min_class_size: int = 20, max_change: float = 0.2,
             min_shortage_weight: float = MIN_SHORTAGE_WEIGHT) -> pd.DataFrame:
    """Reconcile per-school proposals into a region-consistent plan.

    Args:
        proposals: one row per school x major with region, school, major, target_year, current_intake,
            proposed_intake, level, action, shared_cut, rules_fired, yield_per_place (graduate entrants per
            admitted student) and optionally gap_region (the region whose sector gaps apply; default region).
        weights: major_sector_map (major, sector, weight).
        sector_gaps: gaps results (region, sector, year, gap_mean); unmet openings = max(gap_mean, 0).
        min_class_size: smallest viable class (0 disables the rule).
        max_change: largest change as a fraction of the current intake (the rule set's bound).
        min_shortage_weight: smallest share of a major's crosswalk weight in sectors with unmet openings for
            it to expand at all.

    Returns:
        ``proposals`` (sorted by region, major, school) with recommended_intake (int >= 0), final level /
        action / rules_fired, extra_entrants (dict sector -> extra entrants) and allocation_note (English
        keyword: "", "shared-cut", "expansion-capped", "expansion-blocked", "min-class-raised",
        "min-class-suspended").
    """
    out = proposals.copy()
    if "gap_region" not in out:
        out["gap_region"] = out["region"]
    out = out.sort_values(["region", "major", "school"], kind="mergesort").reset_index(drop=True)
    out["current_intake"] = out["current_intake"].astype(int)
    rec = out["proposed_intake"].astype(int).to_numpy().copy()
    cur = out["current_intake"].to_numpy()
    notes = [""] * len(out)
    yields = pd.to_numeric(out["yield_per_place"], errors="coerce").fillna(0.0).clip(lower=0).to_numpy()

    # 1. Shared cuts for a regional surplus.
    shared = out[out["shared_cut"].astype(bool)]
    for _, group in shared.groupby(["region", "major"], sort=True):
        idx = list(group.index)
        total = int(sum(cur[i] - rec[i] for i in idx))
        caps = [int(math.floor(max_change * cur[i] + 1e-9)) for i in idx]
        cuts = share_cut(total, [cur[i] * yields[i] for i in idx], caps)
        for i, cut in zip(idx, cuts):
            rec[i] = cur[i] - cut
            notes[i] = "shared-cut"

    # 2. Expansions within the unmet openings of every sector the major feeds.
    w = weights.copy()
    w["major"] = w["major"].astype(str)
    w = w[pd.to_numeric(w["weight"], errors="coerce").fillna(0) > 0]
    sector_weights = {m: list(zip(g["sector"].astype(str), g["weight"].astype(float)))
                      for m, g in w.sort_values(["major", "sector"], kind="mergesort").groupby("major", sort=True)}
    room: dict[tuple[str, str, int], float] = {}
    if sector_gaps is not None and len(sector_gaps):
        for r, s, y, gap in zip(sector_gaps["region"].astype(str), sector_gaps["sector"].astype(str),
                                sector_gaps["year"].astype(int), pd.to_numeric(sector_gaps["gap_mean"])):
            room[(r, s, int(y))] = max(float(gap), 0.0) if np.isfinite(gap) else 0.0
    gap_years: dict[tuple[str, str], list[int]] = {}
    for (r, s, y) in sorted(room):
        gap_years.setdefault((r, s), []).append(y)

    def sector_key(i: int, sector: str) -> tuple[str, str, int] | None:
        region = str(out.at[i, "gap_region"])
        years = gap_years.get((region, sector))
        if not years:
            return None
        # Beyond the horizon the last projected year stands in (as for the forecast indicators).
        year = int(min(max(int(out.at[i, "target_year"]), years[0]), years[-1]))
        return (region, sector, year)

    def outlets(i: int) -> list[tuple[tuple[str, str, int], float]] | None:
        """Where the extra graduates of row i go: sectors with unmet openings, crosswalk weights renormalised
        over them. None when the major cannot expand (no mapping, a sector without a forecast, or less than
        ``min_shortage_weight`` of its graduates heading to sectors with unmet openings)."""
        links = sector_weights.get(str(out.at[i, "major"]), [])
        keys = [(sector_key(i, s), wt) for s, wt in links]
        if not links or any(k is None for k, _ in keys):
            return None
        open_links = [(k, wt) for k, wt in keys if room[k] > 0]
        total = sum(wt for _, wt in keys)
        open_weight = sum(wt for _, wt in open_links)
        if not open_links or open_weight < min_shortage_weight * total - 1e-12:
            return None
        return [(k, wt / open_weight) for k, wt in open_links]

    expand_idx = [i for i in range(len(out)) if rec[i] > cur[i] and out.at[i, "action"] == "expand"]
    requested: dict[tuple[str, str, int], float] = {}
    routes = {i: outlets(i) for i in expand_idx}
    for i in expand_idx:
        for k, wt in routes[i] or []:
            requested[k] = requested.get(k, 0.0) + (rec[i] - cur[i]) * yields[i] * wt
    factor = {k: (1.0 if req <= room[k] + 1e-9 else room[k] / req) for k, req in requested.items()}
    used: dict[tuple[str, str, int], float] = {}
    extra_to: dict[int, list[tuple[tuple[str, str, int], float]]] = {}
    for i in expand_idx:
        if routes[i] is None:
            rec[i] = cur[i]
            notes[i] = "expansion-blocked"
            continue
        f = min((factor[k] for k, wt in routes[i] if yields[i] * wt > 0), default=1.0)
        extra = int(math.floor((rec[i] - cur[i]) * f + 1e-9))
        if extra < rec[i] - cur[i]:
            notes[i] = "expansion-capped"
        rec[i] = cur[i] + extra
        extra_to[i] = routes[i]
        for k, wt in routes[i]:
            used[k] = used.get(k, 0.0) + extra * yields[i] * wt

    # 3. Minimum viable class size.
    fired = [list(x) for x in out["rules_fired"]]
    levels = list(out["level"])
    actions = list(out["action"])
    for i in range(len(out)):
        if min_class_size <= 0 or not 0 < rec[i] < min_class_size:
            continue
        if min_class_size <= cur[i]:
            rec[i] = min_class_size
            notes[i] = "min-class-raised"
            continue
        fits = False
        if actions[i] in ("expand", "hold") and min_class_size <= math.floor(cur[i] * (1 + max_change) + 1e-9):
            extra = min_class_size - rec[i]
            route = outlets(i)
            if route is not None:
                fits = all(used.get(k, 0.0) + extra * yields[i] * wt <= room[k] + 1e-9 for k, wt in route)
                if fits:
                    extra_to[i] = route
                    for k, wt in route:
                        used[k] = used.get(k, 0.0) + extra * yields[i] * wt
        if fits:
            rec[i] = min_class_size
            notes[i] = "min-class-raised"
        else:
            rec[i] = 0
            notes[i] = "min-class-suspended"
            fired[i] = fired[i] + [MIN_CLASS_RULE]

    # Final action follows the numbers; the level can only get more severe than the rule's.
    final_actions, final_levels, extra_entrants = [], [], []
    for i in range(len(out)):
        action, level = actions[i], levels[i]
        alternate_resume = out.at[i, "adjustment_type"] == "alternate_years" if "adjustment_type" in out else False
        if rec[i] == 0 and (cur[i] > 0 or action == "suspend"):
            action, level = "suspend", "red"
        elif alternate_resume and cur[i] == 0:
            action = "hold"
        elif rec[i] > cur[i] and not (notes[i] == "min-class-raised" and action == "hold"):
            action = "expand"
        elif rec[i] > cur[i]:
            action = "hold"  # raised to the minimum class: keeping a viable class, not a growth decision
        elif rec[i] < cur[i]:
            action = "shrink"
        else:
            action = "hold"
        final_actions.append(action)
        final_levels.append(level)
        gain = max(rec[i] - cur[i], 0)
        extra_entrants.append({k[1]: round(float(gain * yields[i] * wt), 3) for k, wt in extra_to.get(i, [])}
                              if gain else {})
    out["recommended_intake"] = rec.astype(int)
    out["action"] = final_actions
    out["level"] = final_levels
    out["rules_fired"] = fired
    out["allocation_note"] = notes
    out["extra_entrants"] = extra_entrants
    return out


def sector_extra_entrants(allocated: pd.DataFrame) -> pd.DataFrame:
    """Extra graduate entrants per (gap_region, sector, target year) implied by the expansions (for checks)."""
    rows = []
    for _, r in allocated.iterrows():
        for sector, value in r["extra_entrants"].items():
            rows.append({"region": str(r.get("gap_region", r["region"])), "sector": sector,
                         "target_year": int(r["target_year"]), "extra_entrants": value})
    if not rows:
        return pd.DataFrame(columns=["region", "sector", "target_year", "extra_entrants"])
    return (pd.DataFrame(rows).groupby(["region", "sector", "target_year"], sort=True)["extra_entrants"].sum()
            .reset_index())
