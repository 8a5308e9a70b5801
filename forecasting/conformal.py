"""Conformal prediction intervals from backtest errors, pooled across series on a scale-free basis.

A 7-point series has one or two backtest errors of its own: far too few for a 95% interval. So errors are
pooled across series after making them scale-free: the log-ratio error log(actual) - log(forecast) at horizon
k, divided by the series' own scale (robust spread of its log growth, shrunk toward the panel median). The
empirical quantiles of these normalised errors, per horizon, give each series' interval:
``log forecast + scale_i x q_k(p)``. Horizons with too few errors borrow from the longest well-measured
horizon, widened by (k / k0) ** gamma (gamma fitted to the measured horizons, else 0.65), and each tail is made
non-decreasing in the horizon by isotonic regression. The scale leaves out the growth into a re-levelled break
period.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student_t

from features.series import log_diffs

FEW_IN_SAMPLE = 5  # in-sample errors needed for a spread (Student t) when there are too few for quantiles
MIN_ERRORS = 30  # fewer pooled errors than this at a horizon: extrapolate from a shorter horizon
SHRINK_PSEUDO = 20.0  # pseudo-observations pulling a series' scale toward the panel median
PROBS = np.linspace(0.0025, 0.9975, 399)


def scale_parts(log_values: np.ndarray, skip: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-series raw scale of log growth (1.4826 x MAD) and the number of growth rates it rests on.

    Args:
        skip: optional boolean mask shaped like `log_values`: the growth into the marked periods is left out
            (a re-levelled break period).
    """
    diffs = log_diffs(log_values)
    if skip is not None:
        diffs = np.where(skip, np.nan, diffs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        centre = np.nanmedian(diffs, axis=1, keepdims=True)
        own = 1.4826 * np.nanmedian(np.abs(diffs - centre), axis=1)
    count = np.sum(~np.isnan(diffs), axis=1)
    return own, count


def combine_scale(own: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Shrink raw scales toward their cross-series median (a cross-series step: run on all series at once)."""
    usable = np.isfinite(own) & (count >= 2)
    pooled = float(np.median(own[usable])) if usable.any() else 0.05
    pooled = max(pooled, 1e-3)
    own = np.where(usable, own, pooled)
    weight = count / (count + SHRINK_PSEUDO)
    scale = np.sqrt(weight * own**2 + (1 - weight) * pooled**2)
    return np.maximum(scale, 0.2 * pooled)


def series_scale(log_values: np.ndarray) -> np.ndarray:
    """Per-series scale of log growth: 1.4826 x MAD, shrunk toward the cross-series median scale."""
    return combine_scale(*scale_parts(log_values))


@dataclass
class Calibration:
    """Quantiles of normalised log errors per horizon, pooled and per group.

    Attributes:
        quantiles: (h, len(PROBS)) pooled quantile grid; row k-1 is horizon k.
        counts: errors measured per horizon (0 where extrapolated).
        probs: the probability grid.
        groups: {group: (h, len(PROBS)) grid} for groups with their own errors (see :func:`calibrate`);
            a series of any other group, or without one, gets the pooled grid.
        basis: "backtest" (quantiles of backtest errors at one or more horizons), "in-sample" (too few
            backtest errors: one-step in-sample errors) or "default" (too few of either: a normal random walk).
    """

    quantiles: np.ndarray
    counts: np.ndarray
    probs: np.ndarray = field(default_factory=lambda: PROBS)
    groups: dict = field(default_factory=dict)
    basis: str = "backtest"

    def note(self) -> tuple[str, str] | None:
        """(English, Chinese) warning for intervals not calibrated on backtest errors; None when they are."""
        if self.basis == "backtest":
            return None
        what = ("one-step in-sample errors", "样本内一步误差") if self.basis == "in-sample" else (
            "a default normal error model", "默认的正态误差模型")
        return (f"too few backtest errors to calibrate the intervals (fewer than {MIN_ERRORS} at every horizon); "
                f"they rest on {what[0]} and are less reliable. Forecast more series together (e.g. every "
                "sector of the region) for calibrated intervals",
                f"回测误差太少（每个预测步长均不足{MIN_ERRORS}个），区间未经回测校准，而是基于{what[1]}，可靠性较低；"
                "请把更多序列放在一起预测（如本地区全部行业）以得到校准的区间")

    def grid(self, group=None) -> np.ndarray:
        """The (h, len(PROBS)) quantile grid of a group (the pooled one when it has none)."""
        return self.groups.get(group, self.quantiles)

    def bounds(self, level: float, group=None) -> tuple[np.ndarray, np.ndarray]:
        """(lo, hi) normalised quantiles per horizon for a central interval of `level` percent."""
        p_lo, p_hi = 0.5 - level / 200.0, 0.5 + level / 200.0
        grid = self.grid(group)
        lo = np.array([np.interp(p_lo, self.probs, q) for q in grid])
        hi = np.array([np.interp(p_hi, self.probs, q) for q in grid])
        return lo, hi

    def quantile(self, u: np.ndarray, step: int, groups: np.ndarray | None = None) -> np.ndarray:
        """Normalised error at probabilities `u` for horizon `step` (1-based); with `groups` (one label per
        column of `u`) each column uses its group's grid."""
        if groups is None or not self.groups:
            return np.interp(u, self.probs, self.quantiles[step - 1])
        out = np.empty_like(u, dtype=float)
        for group, columns in _members(groups):
            out[..., columns] = np.interp(u[..., columns], self.probs, self.grid(group)[step - 1])
        return out


def _members(groups: np.ndarray):
    """(group, column indices) for each distinct label."""
    labels, index = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    return [(label, np.flatnonzero(index == i)) for i, label in enumerate(labels)]


# No inflation of the in-sample errors: with x 1.25 the NBS cutoffs that rest on this fallback covered 86-88% /
# 97-99% (too wide); at x 1.0 74-82% / 93-97%. (sqrt(k) growth already widens longer horizons.)
IN_SAMPLE_INFLATION = 1.0


def in_sample_errors(log_values: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Pooled normalised one-step in-sample errors of a median-drift random walk (the no-backtest fallback)."""
    diffs = log_diffs(log_values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        centred = diffs - np.nanmedian(diffs, axis=1, keepdims=True)
    errors = (centred / scale[:, None]).ravel()
    return errors[np.isfinite(errors) & (errors != 0)] * IN_SAMPLE_INFLATION


# Error growth beyond the measured horizons: spread x k ** gamma. gamma is measured from the horizons that have
# errors (two or more); else DEFAULT_GROWTH. A random walk gives 0.5, a wrong trend 1. Measured on the inner
# backtests of the real city panel (cutoffs 2008-2014) the 80% band grew as k ** 0.64-0.66, and with sqrt(k)
# the NBS panel's two-year intervals made with no measured horizon covered 73% / 95% (80% nominal).
DEFAULT_GROWTH = 0.65
GROWTH_RANGE = (0.5, 1.0)


# Per-group quantiles (sector groups) are pulled toward the pooled ones with this many pseudo-errors. On the real
# city panel one pooled distribution covered 63% (agriculture) to 94% (education) of one-year-ahead values at 80%.
GROUP_PSEUDO = 100.0
GROUP_MIN_ERRORS = 10


def calibrate(errors_by_horizon: list[np.ndarray], horizon: int,
              fallback_errors: np.ndarray | None = None, groups_by_horizon: list[np.ndarray] | None = None
              ) -> Calibration:
    """Build a :class:`Calibration` from pooled normalised errors.

    Args:
        errors_by_horizon: element k-1 holds the normalised errors measured at horizon k (may be empty).
        horizon: number of horizons to cover (longer than measured ones are extrapolated).
        fallback_errors: normalised one-step errors used when no horizon has enough backtest errors
            (see :func:`in_sample_errors`); widened by k ** DEFAULT_GROWTH for horizon k.
        groups_by_horizon: optional group label of each error (same shapes as `errors_by_horizon`). A group
            with errors at a measured horizon gets its own quantiles there, averaged with the pooled ones
            with weight n / (n + GROUP_PSEUDO) for its n errors, and the pooled growth beyond.

    Measured horizons use their own errors only. They were once averaged with the in-sample errors (weight
    1 / (m + 1) for m cutoffs), which are narrower for yearly data (fitted, not forecast) and, for monthly data,
    carry the seasonal swings: with it the city panel's 80% intervals covered 74-76%, US CES 85-86% at h = 1-3;
    without it 77-79% and 81-82% (cutoffs 2008-2014 / 2011-12 to 2014-12).
    """
    counts = np.zeros(horizon, dtype=int)
    quantiles = np.full((horizon, len(PROBS)), np.nan)
    finite = []
    for k in range(1, horizon + 1):
        errors = errors_by_horizon[k - 1] if k - 1 < len(errors_by_horizon) else np.array([])
        finite.append(np.isfinite(errors))
        errors = errors[finite[-1]]
        if len(errors) >= MIN_ERRORS:
            quantiles[k - 1] = np.quantile(errors, PROBS)
            counts[k - 1] = len(errors)
    measured = np.flatnonzero(counts)
    groups = {}
    basis = "backtest"
    if len(measured):
        gamma = _growth(quantiles, measured + 1)
        pooled = quantiles.copy()
        quantiles = _extrapolate(quantiles, measured, gamma)
        if groups_by_horizon is not None:
            labels = sorted({str(g) for k in measured for g in np.asarray(groups_by_horizon[k])[finite[k]]})
            for label in labels:
                grid = pooled.copy()
                for k in measured:
                    mine = errors_by_horizon[k][finite[k] & (np.asarray(groups_by_horizon[k]).astype(str) == label)]
                    if len(mine) >= GROUP_MIN_ERRORS:
                        weight = len(mine) / (len(mine) + GROUP_PSEUDO)
                        grid[k] = weight * np.quantile(mine, PROBS) + (1 - weight) * pooled[k]
                groups[label] = _monotone_tails(_extrapolate(grid, measured, gamma))
    elif fallback_errors is not None and len(fallback_errors) >= MIN_ERRORS:
        one = np.quantile(fallback_errors, PROBS)
        quantiles = np.stack([one * k**DEFAULT_GROWTH for k in range(1, horizon + 1)])
        basis = "in-sample"
    elif fallback_errors is not None and len(fallback_errors) >= FEW_IN_SAMPLE:
        # Too few in-sample errors for quantiles, enough for a spread: Student t with n - 1 degrees of freedom
        # and their root mean square (the predictive of one more error from n draws of a normal).
        n = len(fallback_errors)
        spread = np.sqrt(np.mean(np.square(fallback_errors)) * (1 + 1 / n))
        one = student_t.ppf(PROBS, df=n - 1) * spread
        quantiles = np.stack([one * k**DEFAULT_GROWTH for k in range(1, horizon + 1)])
        basis = "in-sample"
    else:
        # No backtest at all: a normal random walk in units of the series' scale (documented fallback).
        quantiles = np.stack([norm.ppf(PROBS) * k**DEFAULT_GROWTH * 1.5 for k in range(1, horizon + 1)])
        basis = "default"
    return Calibration(quantiles=_monotone_tails(quantiles), counts=counts, groups=groups, basis=basis)


def _extrapolate(quantiles: np.ndarray, measured: np.ndarray, gamma: float) -> np.ndarray:
    """Fill unmeasured horizons from the nearest measured one k0: x (k / k0) ** gamma."""
    out = quantiles.copy()
    for k in range(1, len(out) + 1):
        if k - 1 not in measured:
            # Before the first measured horizon (rare: masked break periods) shrink, after the last grow.
            ref = measured[measured < k - 1][-1] + 1 if (measured < k - 1).any() else measured[0] + 1
            out[k - 1] = quantiles[ref - 1] * (k / ref) ** gamma
    return out


def _monotone_tails(quantiles: np.ndarray) -> np.ndarray:
    """Tails never shrink as the horizon grows (a forecast further out is never more certain).

    Each tail's distance from the median is made non-decreasing in the horizon by isotonic (least-squares)
    regression, not by a running maximum: with a few dozen errors per horizon (US CES: 22 series x 3 cutoffs)
    the rows are noisy, and a running maximum keeps every upward blip, so it widened later horizons. Measured on
    CES at all 48 monthly cutoffs 2011-01..2014-12: 80% coverage at h = 2-12 was 81.8-83.7% with the running
    maximum, 81.1-83.1% with isotonic regression (95%: 93.7-95.2% and 93.7-95.2%); the yearly panels (two or
    three horizons) did not change.
    """
    centre = quantiles[:, len(PROBS) // 2][:, None]
    upper = isotonic_rows(np.maximum(quantiles - centre, 0.0))
    lower = isotonic_rows(np.maximum(centre - quantiles, 0.0))
    return np.where(PROBS[None, :] >= 0.5, centre + upper, centre - lower)


def isotonic_rows(values: np.ndarray) -> np.ndarray:
    """Least-squares non-decreasing fit down the rows, for every column at once.

    The min-max form of isotonic regression, fit_i = max_{j <= i} min_{k >= i} mean(values[j..k]), computed
    from cumulative sums for all (j, k) pairs: O(rows^2 x columns), small for forecast horizons.
    """
    h = values.shape[0]
    if h < 2:
        return values.copy()
    sums = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    j, k = np.arange(h)[:, None], np.arange(h)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (sums[k + 1] - sums[j]) / (k - j + 1)[:, :, None]  # (j, k, columns): mean of rows j..k
    means = np.where((k >= j)[:, :, None], means, np.inf)
    # min over k >= i (a reverse running minimum along k), then max over j <= i.
    tail_min = np.minimum.accumulate(means[:, ::-1], axis=1)[:, ::-1]
    tail_min = np.where((j <= k)[:, :, None], tail_min, -np.inf)  # rows j > i do not count for row i
    return tail_min.max(axis=0)


def _spread(q: np.ndarray) -> float:
    """Width of the central 80% of a quantile row on the PROBS grid."""
    return float(np.interp(0.9, PROBS, q) - np.interp(0.1, PROBS, q))


def _growth(quantiles: np.ndarray, horizons: np.ndarray) -> float:
    """Exponent gamma of spread ~ k ** gamma, fitted (least squares on logs) to the measured horizons."""
    if len(horizons) < 2:
        return DEFAULT_GROWTH
    spreads = np.array([_spread(quantiles[k - 1]) for k in horizons])
    if (spreads <= 0).any():
        return DEFAULT_GROWTH
    slope = np.polyfit(np.log(horizons), np.log(spreads), 1)[0]
    return float(np.clip(slope, *GROWTH_RANGE))


def conformal_bands(point_log: np.ndarray, scale: np.ndarray, calibration: Calibration, levels,
                    groups: np.ndarray | None = None) -> dict:
    """{level: (lo_log, hi_log)} for (n, h) log forecasts and per-series scales (and groups, one per series)."""
    bands = {}
    n, h = point_log.shape
    members = _members(groups) if groups is not None and calibration.groups else [(None, np.arange(n))]
    for level in levels:
        lo, hi = np.empty((n, h)), np.empty((n, h))
        for group, rows in members:
            g_lo, g_hi = calibration.bounds(level, group)
            lo[rows], hi[rows] = g_lo[None, :h], g_hi[None, :h]
        bands[level] = (point_log + scale[:, None] * lo, point_log + scale[:, None] * hi)
    return bands
