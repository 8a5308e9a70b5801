"""Conformal prediction intervals from backtest errors, pooled across series on a scale-free basis.

A 7-point series has one or two backtest errors of its own: far too few for a 95% interval. So errors are
pooled across series after making them scale-free: the log-ratio error log(actual) - log(forecast) at horizon
k, divided by the series' own scale (robust spread of its log growth, shrunk toward the panel median). The
empirical quantiles of these normalised errors, per horizon, give each series' interval:
``log forecast + scale_i x q_k(p)``. Horizons with too few errors borrow from the longest well-measured
horizon, widened by (k / k0) ** gamma (gamma fitted to the measured horizons, else 0.65). The scale leaves
out the growth into a re-levelled break period.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import norm

from features.series import log_diffs

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
    """Quantiles of normalised log errors per horizon.

    Attributes:
        quantiles: (h, len(PROBS)) quantile grid; row k-1 is horizon k.
        counts: errors measured per horizon (0 where extrapolated).
        probs: the probability grid.
    """

    quantiles: np.ndarray
    counts: np.ndarray
    probs: np.ndarray = field(default_factory=lambda: PROBS)

    def bounds(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """(lo, hi) normalised quantiles per horizon for a central interval of `level` percent."""
        p_lo, p_hi = 0.5 - level / 200.0, 0.5 + level / 200.0
        lo = np.array([np.interp(p_lo, self.probs, q) for q in self.quantiles])
        hi = np.array([np.interp(p_hi, self.probs, q) for q in self.quantiles])
        return lo, hi

    def quantile(self, u: np.ndarray, step: int) -> np.ndarray:
        """Normalised error at probabilities `u` for horizon `step` (1-based)."""
        return np.interp(u, self.probs, self.quantiles[step - 1])


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


def calibrate(errors_by_horizon: list[np.ndarray], horizon: int,
              fallback_errors: np.ndarray | None = None) -> Calibration:
    """Build a :class:`Calibration` from pooled normalised errors.

    Args:
        errors_by_horizon: element k-1 holds the normalised errors measured at horizon k (may be empty).
        horizon: number of horizons to cover (longer than measured ones are extrapolated).
        fallback_errors: normalised one-step errors used when no horizon has enough backtest errors
            (see :func:`in_sample_errors`); widened by k ** DEFAULT_GROWTH for horizon k.

    Measured horizons use their own errors only. They were once averaged with the in-sample errors (weight
    1 / (m + 1) for m cutoffs), which are narrower for yearly data (fitted, not forecast) and, for monthly data,
    carry the seasonal swings: with it the city panel's 80% intervals covered 74-76%, US CES 85-86% at h = 1-3;
    without it 77-79% and 81-82% (cutoffs 2008-2014 / 2011-12 to 2014-12).
    """
    counts = np.zeros(horizon, dtype=int)
    quantiles = np.full((horizon, len(PROBS)), np.nan)
    for k in range(1, horizon + 1):
        errors = errors_by_horizon[k - 1] if k - 1 < len(errors_by_horizon) else np.array([])
        errors = errors[np.isfinite(errors)]
        if len(errors) >= MIN_ERRORS:
            quantiles[k - 1] = np.quantile(errors, PROBS)
            counts[k - 1] = len(errors)
    measured = np.flatnonzero(counts)
    if len(measured):
        gamma = _growth(quantiles, measured + 1)
        for k in range(1, horizon + 1):
            if not counts[k - 1]:
                # Before the first measured horizon (rare: masked break periods) shrink, after the last grow.
                ref = measured[measured < k][-1] + 1 if (measured < k).any() else measured[0] + 1
                quantiles[k - 1] = quantiles[ref - 1] * (k / ref) ** gamma
    elif fallback_errors is not None and len(fallback_errors) >= MIN_ERRORS:
        one = np.quantile(fallback_errors, PROBS)
        quantiles = np.stack([one * k**DEFAULT_GROWTH for k in range(1, horizon + 1)])
    else:
        # No backtest at all: a normal random walk in units of the series' scale (documented fallback).
        quantiles = np.stack([norm.ppf(PROBS) * k**DEFAULT_GROWTH * 1.5 for k in range(1, horizon + 1)])
    # Tails never shrink as the horizon grows (a forecast further out is never more certain).
    centre = quantiles[:, len(PROBS) // 2][:, None]
    upper = np.maximum.accumulate(np.maximum(quantiles - centre, 0.0), axis=0)
    lower = np.maximum.accumulate(np.maximum(centre - quantiles, 0.0), axis=0)
    upper_half = PROBS[None, :] >= 0.5
    quantiles = np.where(upper_half, centre + upper, centre - lower)
    return Calibration(quantiles=quantiles, counts=counts)


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


def conformal_bands(point_log: np.ndarray, scale: np.ndarray, calibration: Calibration, levels) -> dict:
    """{level: (lo_log, hi_log)} for (n, h) log forecasts and per-series scales."""
    bands = {}
    h = point_log.shape[1]
    for level in levels:
        lo, hi = calibration.bounds(level)
        bands[level] = (point_log + scale[:, None] * lo[None, :h], point_log + scale[:, None] * hi[None, :h])
    return bands
