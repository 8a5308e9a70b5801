"""Forecast combination weighted by backtest error: the ``combination`` candidate of ``auto`` (issue #11).

On short yearly panels no single model beats naive reliably, but the average of naive and the pooled global
model does: measured without look-ahead it was below naive one year ahead at all eight outer cutoffs of the
city, provincial and CES panels that score a year (month) ahead (docs/forecasting.md, "Accuracy without
look-ahead"). So ``auto`` gets a combination of :data:`POOL`, on the log scale, with weights inverse to each
member's squared mean MASE in the inner backtest, per group (the sector part of ``region|sector`` ids, as in
:mod:`forecasting.selection`) and horizon; selection then treats it as the reference to beat.

No look-ahead, also inside the inner backtest: the combination's forecast at inner cutoff k uses weights learnt
only from the inner cutoffs before k (equal weights at the earliest one), so the MASE by which selection judges
it is as honest as the single models'. The forecast beyond the data uses weights from every inner cutoff.
All of it is numpy over the whole panel after the blocks are merged, so local and Dask runs give the same
numbers.
"""

from __future__ import annotations

import warnings

import numpy as np

from features.series import Panel, split_series_id
from forecasting.blocks import actual_log
from forecasting.metrics import naive_scale
# Shared with selection: one series with a near-zero naive scale must not decide the weights either, and groups
# smaller than GROUP_MIN_SERIES use the panel's weights.
from forecasting.selection import GROUP_MIN_SERIES, MASE_CAP
from models.base import back_transform

NAME = "combination"
# Members. Measured (benchmarks/forecast_accuracy.py panels, outer cutoffs, h = 1 / 2, ratio to naive): naive +
# global 0.979 / 0.965 city, 0.961 / 0.944 provinces; adding rdrift or damped was no better on the yearly
# panels (0.979-0.985 city, 0.961-0.994 provinces) and mixed on CES.
POOL = ("naive", "global")
POWER = 2.0  # weights ~ 1 / MASE^2 (inverse-MSE-like); powers 1 and 4 were within 0.005 of it on every panel


def available(names) -> bool:
    """Whether every member of the combination is among the models run."""
    return all(m in names for m in POOL)


def _groups(ids: np.ndarray) -> np.ndarray:
    _, sector = split_series_id(np.asarray(ids))
    return np.asarray(sector, dtype=object).astype(str)


def member_errors(panel: Panel, actuals: Panel, blocks: dict, ks) -> dict:
    """{(k, member): (n, steps) absolute scaled errors} of the members at the inner cutoffs (NaN: not scored)."""
    out = {}
    for k in ks:
        steps = blocks["pred"][(k, POOL[0])].shape[1]
        actual = back_transform(actual_log(actuals, k, steps), panel.offset)
        mae, _ = naive_scale(actuals, k)
        enough = (panel.lengths - k >= 2)[:, None]
        for m in POOL:
            forecast = back_transform(blocks["pred"][(k, m)][:, :steps], panel.offset)
            ase = np.minimum(np.abs(forecast - actual) / mae[:, None], MASE_CAP)
            out[(k, m)] = np.where(enough, ase, np.nan)
    return out


def weights(errors: dict, ks_before, groups: np.ndarray, steps: int) -> np.ndarray:
    """(members, n, steps) weights from the errors at cutoffs `ks_before`; equal weights where none scored.

    Per horizon j: each group with at least GROUP_MIN_SERIES scored series gets weights from its own mean
    MASE per member, the others the panel's; a horizon no cutoff reached borrows the previous horizon's.
    """
    n = len(groups)
    out = np.full((len(POOL), n, steps), 1.0 / len(POOL))
    for j in range(steps):
        stacks = []
        for m in POOL:
            cols = [errors[(k, m)][:, j] for k in ks_before if errors[(k, m)].shape[1] > j]
            stacks.append(np.column_stack(cols) if cols else np.full((n, 0), np.nan))
        if stacks[0].shape[1] == 0:
            if j:
                out[:, :, j] = out[:, :, j - 1]
            continue
        scored = np.all([np.isfinite(s).any(axis=1) for s in stacks], axis=0)
        if not scored.any():
            if j:
                out[:, :, j] = out[:, :, j - 1]
            continue

        def inverse(rows):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=RuntimeWarning)
                mase = np.array([np.nanmean(s[rows]) for s in stacks])
            w = 1.0 / np.maximum(mase, 1e-6) ** POWER
            return w / w.sum()

        out[:, :, j] = inverse(scored)[:, None]
        for group in np.unique(groups):
            rows = (groups == group) & scored
            if rows.sum() >= GROUP_MIN_SERIES:
                out[:, groups == group, j] = inverse(rows)[:, None]
    return out


def add_combination(panel: Panel, actuals: Panel, blocks: dict, ks) -> None:
    """Add ``blocks["pred"][(k, NAME)]`` for the forecast (k = 0) and every inner cutoff k (in place)."""
    errors = member_errors(panel, actuals, blocks, ks)
    groups = _groups(panel.ids)
    for k in [0, *ks]:
        # Inner cutoff k: only the cutoffs before it (more periods hidden = earlier) teach its weights.
        before = [kk for kk in ks if kk > k] if k else list(ks)
        members = np.stack([blocks["pred"][(k, m)] for m in POOL])
        w = weights(errors, before, groups, members.shape[2])
        blocks["pred"][(k, NAME)] = np.sum(w * members, axis=0)
