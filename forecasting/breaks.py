"""Structural breaks: declared level shifts (per dataset, per period) and a detector, and re-levelling.

Real series have breaks that are not economics: NBS changed the survey frame of urban-unit employment in 2013
(Guangxi construction jumps 42.5 -> 60.9). A model that learns the jump as growth extrapolates it. The fix is to
re-level the history before the break by the size of the shift, so the series looks as if it had always been
measured the new way: shift = (growth at the break) - (the series' typical growth), and every value before
the break is multiplied by exp(shift). The last level is untouched, so forecasts stay on today's level.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from features.series import Panel, log_diffs, ordinal_to_period, period_to_ordinal

# Known breaks of the embedded real datasets: dataset (file stem) -> periods where a new level starts.
KNOWN_BREAKS: dict[str, tuple[str, ...]] = {
    "employment_by_province_sector_2009_2015": ("2013",),
}

DETECT_THRESHOLD = 4.0  # robust z-score of a growth rate that counts as a level shift
DETECT_MIN_SHIFT = 0.15  # and at least 15% on the level: smaller jumps are left to the models
DETECT_MIN_LENGTH = 6


def declared_breaks(dataset: str | None) -> tuple[str, ...]:
    """Known break periods of a dataset, by its file stem (empty when none are known)."""
    if not dataset:
        return ()
    from pathlib import Path

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


def split_breaks(breaks) -> tuple[object, str | bool]:
    """Split a breaks argument into (declared part, detection flag).

    Declared breaks are known facts about the data (a survey-frame change): they are applied once to the
    whole history, so backtests compare forecasts with actuals on one consistent basis. Detection is part of
    the method: it runs at every backtest cutoff on the data known then.

    Returns:
        (declared: False or a list / dict accepted by :func:`relevel`, detect: "detect" or False)
    """
    if breaks is False or (isinstance(breaks, str) and breaks == "none"):
        return False, False
    if breaks is None or breaks == "detect":
        return False, "detect"
    if isinstance(breaks, dict) and ("periods" in breaks or "detect" in breaks):
        periods = [str(p) for p in breaks.get("periods", ())]
        return (periods or False), ("detect" if breaks.get("detect", True) else False)
    if isinstance(breaks, (list, tuple)):
        return [str(p) for p in breaks], "detect"
    if isinstance(breaks, dict):
        return breaks, "detect"
    raise ValueError(f"breaks must be None, False, a list of periods or a dict, got {breaks!r}")


def relevel(panel: Panel, breaks) -> tuple[Panel, pd.DataFrame]:
    """Re-level the history before each break.

    Args:
        panel: the series.
        breaks: None or "detect" (run :func:`detect_level_shifts`), False or "none" (no handling), a list of
            periods applied to every series (declared breaks, e.g. ``["2013"]``), or a dict
            ``{series_id: [periods]}``. Declared breaks are also combined with detection when given as
            ``{"periods": [...], "detect": True}``.

    Returns:
        (adjusted panel, report ``series_id, period, shift, source`` with source "declared" or "detected").
    """
    empty = pd.DataFrame({"series_id": [], "period": [], "shift": [], "source": []})
    if breaks is False or (isinstance(breaks, str) and breaks == "none"):
        return panel, empty
    detect = breaks is None or breaks == "detect"
    declared: dict[str, list[str]] = {}
    everywhere: list[str] = []
    if isinstance(breaks, (list, tuple)):
        detect = False  # a plain list declares breaks; split_breaks() adds detection separately
    if isinstance(breaks, dict):
        detect = False
        if "periods" in breaks or "detect" in breaks:
            everywhere = [str(p) for p in breaks.get("periods", ())]
            detect = bool(breaks.get("detect", True))
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
