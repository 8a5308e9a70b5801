"""Structural breaks: declared level shifts (per dataset, per period) and a detector, and re-levelling.

Real series have breaks that are not economics: NBS changed the survey frame of urban-unit employment in 2013
(Guangxi construction jumps 42.5 -> 60.9). A model that learns the jump as growth extrapolates it. The fix is to
re-level the history before the break by the size of the shift, so the series looks as if it had always been
measured the new way: shift = (growth at the break) - (the series' typical growth), and every value before
the break is multiplied by exp(shift). The last level is untouched, so forecasts stay on today's level.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from features.series import Panel, log_diffs, ordinal_to_period, period_to_ordinal

# Known breaks of the embedded real datasets: dataset (file stem) -> periods where a new level starts.
KNOWN_BREAKS: dict[str, tuple[str, ...]] = {
    "employment_by_province_sector_2009_2015": ("2013",),
    "city_employment_by_sector_2003_2015": ("2013",),  # same survey frame (Liuzhou construction 3.44 -> 16.08)
}

DETECT_THRESHOLD = 4.0  # robust z-score of a growth rate that counts as a level shift
DETECT_MIN_SHIFT = 0.15  # and at least 15% on the level: smaller jumps are left to the models
DETECT_MIN_LENGTH = 6

# Common breaks: a period where the upper quartile of |growth - series' usual growth| across the panel is far
# above the same statistic in the panel's other periods. The upper quartile, not the median, because a frame
# change moves many series but rarely most of them (NBS 2013: a quarter to a third of the 589 series jumped by
# more than 15%, the median series hardly moved). Measured ratios: NBS 2013 2.5-2.6 at every cutoff after it;
# the largest other NBS period 1.6; clean generated panels and US CES (outside the 2008-09 recession, which
# is not isolated) below 1.8.
COMMON_RATIO = 2.0
COMMON_MIN_SERIES = 20  # with 10 clean series the upper quartile is noisy enough to fire (2 of 20 seeds)
COMMON_MIN_OTHER = 3  # other periods needed to know the panel's usual growth deviation
COMMON_MIN_JUMP = 0.05  # and that quartile >= 5% on the level: CES months of 0.5% reach ratio 2 (Aug 2007)
COMMON_NEIGHBOUR = 1.5  # a neighbouring period this disturbed makes it an episode (recession), not a shift


def declared_breaks(dataset: str | None) -> tuple[str, ...]:
    """Known break periods of a dataset, by its file stem (empty when none are known)."""
    if not dataset:
        return ()
    return KNOWN_BREAKS.get(Path(str(dataset)).stem, ())


def _break_columns(panel: Panel, periods) -> list[tuple[np.ndarray, int]]:
    """(rows, column) pairs for break periods applied to all series."""
    if not periods:
        return []
    ordinals = period_to_ordinal(pd.Series([str(p) for p in periods]), panel.freq)
    width = panel.log_values.shape[1]
    out = []
    for ordinal in ordinals:
        column = width - 1 - (panel.last - ordinal)  # per-row column of the break period
        out.append(column)
    return out


def detect_level_shifts(panel: Panel) -> pd.DataFrame:
    """Find at most one level shift per series: a growth rate far outside the series' own growth.

    A jump that reverses in the next period is an outlier, not a level shift, and is not reported.

    Returns:
        DataFrame ``series_id, period, shift`` (shift = log size of the jump beyond typical growth).
    """
    z = panel.log_values
    diffs = log_diffs(z)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        centre = np.nanmedian(diffs, axis=1, keepdims=True)
        spread = 1.4826 * np.nanmedian(np.abs(diffs - centre), axis=1, keepdims=True)
    spread = np.where(np.isfinite(spread), np.maximum(spread, 0.01), np.inf)
    excess = diffs - centre
    score = np.abs(excess) / spread
    score = np.where(np.isfinite(score), score, 0.0)
    column = np.argmax(score, axis=1)
    rows = np.arange(len(z))
    best = score[rows, column]
    shift = excess[rows, column]
    next_col = np.minimum(column + 1, z.shape[1] - 1)
    prev_col = np.maximum(column - 1, 0)
    # A spike shows as a jump and its reversal (either may score highest): neither is a level shift.
    reverses = (column + 1 < z.shape[1]) & (np.abs(excess[rows, next_col] + shift) < 0.5 * np.abs(shift))
    reverses |= (column >= 2) & (np.abs(np.nan_to_num(excess[rows, prev_col]) + shift) < 0.5 * np.abs(shift))
    found = (best > DETECT_THRESHOLD) & (np.abs(shift) > DETECT_MIN_SHIFT) & ~reverses
    found &= panel.lengths >= DETECT_MIN_LENGTH
    width = z.shape[1]
    ordinals = panel.last[found] - (width - 1 - column[found])
    return pd.DataFrame(
        {
            "series_id": panel.ids[found],
            "period": ordinal_to_period(ordinals, panel.freq),
            "shift": shift[found],
        }
    )


def _aligned_excess(panel: Panel) -> tuple[int, np.ndarray]:
    """Growth beyond each series' usual growth, aligned on periods: (first ordinal, (n, periods) matrix).

    Monthly growth is compared with the median growth of the same calendar month (so every January falling
    together is not a common jump). A median, not the moving-average seasonal adjustment of the models: that
    one spreads a level shift into the seasonal index, and the shift's month then "jumps" every year.
    """
    diffs = log_diffs(panel.log_values)
    n, width = diffs.shape
    ordinal = panel.last[:, None] - (width - 1 - np.arange(width))[None, :]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        if panel.season_length > 1:
            month = ordinal % panel.season_length
            usual = np.full_like(diffs, np.nan)
            for m in range(panel.season_length):
                same = month == m
                median = np.nanmedian(np.where(same, diffs, np.nan), axis=1, keepdims=True)
                usual = np.where(same, median, usual)
        else:
            usual = np.nanmedian(diffs, axis=1, keepdims=True)
    excess = diffs - usual
    first = int(ordinal.min()) if n else 0
    periods = int(ordinal.max()) - first + 1 if n else 0
    aligned = np.full((n, periods), np.nan)
    aligned[np.repeat(np.arange(n), width), (ordinal - first).ravel()] = excess.ravel()
    return first, aligned


def detect_common_breaks(panel: Panel) -> list[str]:
    """Periods where many series of the panel jump together (a survey-frame change, a re-definition).

    Per period, the statistic is the upper quartile across series of |growth - the series' usual growth|
    (median growth; for months, of the same calendar month). A period is a common break when the statistic
    is at least ``COMMON_RATIO`` times its median over the other periods and at least ``COMMON_MIN_JUMP`` on
    the log scale, at least ``COMMON_MIN_SERIES`` series are observed then, its neighbouring periods are
    ordinary (several disturbed periods in a row are a recession, not a level shift), and the jumps do not
    reverse in the next period (a spike).

    Returns:
        The break periods (``YYYY`` / ``YYYY-MM``), oldest first; empty for a clean panel.
    """
    # Monthly: at least three years, so that each calendar month's usual growth is a median of >= 3 values.
    min_width = 3 * panel.season_length + 1 if panel.season_length > 1 else 3
    if panel.n_series < COMMON_MIN_SERIES or panel.log_values.shape[1] < min_width:
        return []
    first, excess = _aligned_excess(panel)
    size = np.abs(excess)
    counts = np.sum(~np.isnan(size), axis=0)
    usable = counts >= COMMON_MIN_SERIES
    if usable.sum() < COMMON_MIN_OTHER + 1:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        stat = np.where(usable, np.nanpercentile(size, 75, axis=0), np.nan)
    found = []
    for t in np.flatnonzero(usable):
        others = np.delete(stat, t)
        others = others[np.isfinite(others)]
        usual = float(np.median(others))
        if usual <= 0 or stat[t] < max(COMMON_RATIO * usual, COMMON_MIN_JUMP):
            continue
        neighbours = [stat[j] for j in (t - 1, t + 1) if 0 <= j < len(stat) and np.isfinite(stat[j])]
        if any(v >= COMMON_NEIGHBOUR * usual for v in neighbours):
            continue
        jumped = size[:, t] >= np.nanpercentile(size[:, t], 75)
        if t + 1 < excess.shape[1] and np.isfinite(excess[jumped, t + 1]).sum() >= COMMON_MIN_SERIES // 2:
            rows = jumped & np.isfinite(excess[:, t + 1])
            back = np.abs(excess[rows, t] + excess[rows, t + 1]) < 0.5 * np.abs(excess[rows, t])
            if back.mean() > 0.5:
                continue
        found.append(first + int(t))
    return [str(p) for p in ordinal_to_period(np.array(found, dtype=int), panel.freq)] if found else []


def relevel_common(panel: Panel) -> tuple[Panel, pd.DataFrame]:
    """Find common breaks on the whole panel and re-level them like declared breaks (source "detected-common").

    The engine does this once on the history it is given, before its inner backtest, for the same reason
    declared breaks are applied to the whole history: a cutoff before the break would otherwise be scored on
    actuals measured the new way, and selection would reward models that happened to guess the jump.
    """
    periods = detect_common_breaks(panel)
    if not periods:
        return panel, pd.DataFrame({"series_id": [], "period": [], "shift": [], "source": []})
    adjusted, report = relevel(panel, periods)
    return adjusted, report.assign(source="detected-common")


def split_breaks(breaks) -> tuple[object, str | bool]:
    """Split a breaks argument into (declared part, detection flag).

    Declared breaks are known facts about the data (a survey-frame change): they are applied once to the
    whole history, so backtests compare forecasts with actuals on one consistent basis. Detection is part of
    the method: it runs at every backtest cutoff on the data known then.

    Returns:
        (declared: False or a list / dict accepted by :func:`relevel`, detect: "detect" (per-series and
        common breaks), "detect-series" (per-series only, ``{"common": False}``) or False)
    """
    if breaks is False or (isinstance(breaks, str) and breaks == "none"):
        return False, False
    if breaks is None or breaks in ("detect", "detect-series"):
        return False, (breaks or "detect")
    if isinstance(breaks, dict) and ("periods" in breaks or "detect" in breaks or "common" in breaks):
        periods = [str(p) for p in breaks.get("periods", ())]
        if not breaks.get("detect", True):
            return (periods or False), False
        return (periods or False), ("detect" if breaks.get("common", True) else "detect-series")
    if isinstance(breaks, (list, tuple)):
        return [str(p) for p in breaks], "detect"
    if isinstance(breaks, dict):
        return breaks, "detect"
    raise ValueError(f"breaks must be None, False, a list of periods or a dict, got {breaks!r}")


def at_cutoff(declared, detect) -> object:
    """One :func:`relevel` spec that applies declared breaks and then detection to a history cut at a cutoff.

    Backtests call :func:`relevel` on each truncated history with this spec, so the size of a declared break is
    estimated only from data before the cutoff (a break after the cutoff is simply not in the history yet).

    Args:
        declared / detect: the two parts returned by :func:`split_breaks`.
    """
    if declared is False or declared is None:
        return detect
    spec = {"detect": bool(detect), "common": detect == "detect"}
    if isinstance(declared, dict):
        spec["series"] = declared
    else:
        spec["periods"] = [str(p) for p in declared]
    return spec


def relevel(panel: Panel, breaks, common: list[str] | None = None) -> tuple[Panel, pd.DataFrame]:
    """Re-level the history before each break.

    Args:
        panel: the series.
        breaks: None or "detect" (run :func:`detect_common_breaks`, then :func:`detect_level_shifts`),
            "detect-series" (only the per-series detector), False or "none" (no handling), a list of
            periods applied to every series (declared breaks, e.g. ``["2013"]``), or a dict
            ``{series_id: [periods]}``. Declared breaks are also combined with detection when given as
            ``{"periods": [...], "detect": True, "common": True}``.
        common: common break periods already found on the whole panel (the engine passes them to Dask
            partitions, which see only some series); None = detect them here when detection is on.

    Returns:
        (adjusted panel, report ``series_id, period, shift, source`` with source "declared", "detected-common"
        or "detected").
    """
    empty = pd.DataFrame({"series_id": [], "period": [], "shift": [], "source": []})
    if breaks is False or (isinstance(breaks, str) and breaks == "none"):
        return panel, empty
    detect = breaks is None or breaks in ("detect", "detect-series")
    detect_common = breaks is None or breaks == "detect"
    declared: dict[str, list[str]] = {}
    everywhere: list[str] = []
    if isinstance(breaks, (list, tuple)):
        detect = detect_common = False  # a plain list declares breaks; split_breaks() adds detection separately
    if isinstance(breaks, dict):
        detect = detect_common = False
        if "periods" in breaks or "detect" in breaks or "common" in breaks or "series" in breaks:
            everywhere = [str(p) for p in breaks.get("periods", ())]
            declared = {str(k): [str(p) for p in v] for k, v in breaks.get("series", {}).items()}
            detect = bool(breaks.get("detect", True))
            detect_common = detect and bool(breaks.get("common", True))
        else:
            declared = {str(k): [str(p) for p in v] for k, v in breaks.items()}
    elif isinstance(breaks, (list, tuple)):
        everywhere = [str(p) for p in breaks]

    z = panel.log_values.copy()
    width = z.shape[1]
    rows_all = np.arange(panel.n_series)
    reports = []
    diffs = log_diffs(z)

    def apply(rows: np.ndarray, column: np.ndarray, source: str) -> None:
        nonlocal z, diffs
        start = width - panel.lengths[rows]
        ok = (column > start) & (column < width)  # a break needs history before it
        rows, column = rows[ok], column[ok]
        if not len(rows):
            return
        jump = diffs[rows, column]
        others = diffs[rows].copy()
        others[np.arange(len(rows)), column] = np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            typical = np.nanmedian(others, axis=1)
        shift = jump - np.where(np.isfinite(typical), typical, 0.0)
        shift = np.where(np.isfinite(shift), shift, 0.0)
        before = np.arange(width)[None, :] < column[:, None]
        z[rows] = np.where(before, z[rows] + shift[:, None], z[rows])
        diffs = log_diffs(z)
        ordinals = panel.last[rows] - (width - 1 - column)
        reports.append(
            pd.DataFrame(
                {"series_id": panel.ids[rows], "period": ordinal_to_period(ordinals, panel.freq),
                 "shift": shift, "source": source}
            )
        )

    for column in _break_columns(panel, everywhere):
        apply(rows_all, column, "declared")
    if declared:
        index = {sid: i for i, sid in enumerate(panel.ids)}
        for sid, periods in declared.items():
            if sid not in index:
                continue
            i = index[sid]
            for column in _break_columns(panel.take(np.array([i])), periods):
                apply(np.array([i]), column, "declared")
    adjusted = Panel(panel.ids, z, panel.offset, panel.lengths, panel.last, panel.freq, panel.filled)
    if detect_common:
        # Panel-wide shifts first, re-levelled like declared ones, so the per-series detector then sees the
        # cleaned history and does not also claim the same jump.
        periods = detect_common_breaks(adjusted) if common is None else list(common)
        for column in _break_columns(panel, [p for p in periods if p not in everywhere]):
            apply(rows_all, column, "detected-common")
        adjusted = Panel(panel.ids, z, panel.offset, panel.lengths, panel.last, panel.freq, panel.filled)
    if detect:
        found = detect_level_shifts(adjusted)
        if len(found):
            index = pd.Index(panel.ids)
            rows = index.get_indexer(found["series_id"])
            ordinals = period_to_ordinal(found["period"], panel.freq)
            column = width - 1 - (panel.last[rows] - ordinals)
            apply(rows, column, "detected")
            adjusted = Panel(panel.ids, z, panel.offset, panel.lengths, panel.last, panel.freq, panel.filled)
    report = pd.concat(reports, ignore_index=True) if reports else empty
    return adjusted, report
