"""Classical seasonal adjustment on the log scale, vectorised over series (monthly data).

Seasonal indices are the average deviation of each month from a centred 12-month moving average; the
vectorised models forecast the adjusted series and the indices are added back. Series shorter than two full
seasons get no seasonal component (too little data to estimate twelve indices), and neither do series whose
seasonality is weak: a seasonally adjusted series' twelve "indices" are noise, and adding them back to every
forecast made the models' forecasts of US CES (seasonally adjusted) 7-25% worse one month ahead (issue #11).
"""

from __future__ import annotations

import warnings

import numpy as np

from features.series import Panel

# Seasonal strength (Hyndman & Athanasopoulos, FPP3 4.3): 1 - var(remainder) / var(detrended). Measured: the 22
# seasonally adjusted US CES series 0.00-0.15; a generated monthly random walk with a seasonal amplitude of
# 0.5x / 1x / 2x its monthly noise 0.12-0.29 / 0.38-0.52 / 0.61-0.78. Below this, no seasonal component.
MIN_SEASONAL_STRENGTH = 0.3


def deseasonalise(panel: Panel) -> tuple[np.ndarray, np.ndarray]:
    """Return (adjusted log values, seasonal indices (n, m) by position) of `panel`.

    Index position p refers to periods whose distance to the series' last period is congruent to -p mod m,
    i.e. position 0 is the month of the last observation; a forecast k steps ahead uses position k mod m.
    """
    m = panel.season_length
    z = panel.log_values
    n, width = z.shape
    if m == 1 or width < 2 * m:
        return z, np.zeros((n, max(m, 1)))
    # Centred 2x12 moving average via cumulative sums (NaN windows stay NaN).
    filled = np.nan_to_num(z)
    valid = (~np.isnan(z)).astype(float)
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(filled, axis=1)], axis=1)
    ccount = np.concatenate([np.zeros((n, 1)), np.cumsum(valid, axis=1)], axis=1)
    trailing = np.full_like(z, np.nan)
    window_sum = csum[:, m:] - csum[:, :-m]
    window_count = ccount[:, m:] - ccount[:, :-m]
    trailing[:, m - 1:] = np.where(window_count == m, window_sum / m, np.nan)
    # trailing[j] covers j-m+1..j; the 2x12 centred average at j averages trailing[j+5] and trailing[j+6].
    centred = np.full_like(z, np.nan)
    half = m // 2
    centred[:, : width - half] = 0.5 * (trailing[:, half - 1 : width - 1] + trailing[:, half:])
    detrended = z - centred
    position = (width - 1 - np.arange(width)) % m
    position = (-position) % m  # distance -d  ->  position (−d mod m)
    indices = np.zeros((n, m))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        for p in range(m):
            indices[:, p] = np.nanmean(detrended[:, position == p], axis=1)
    enough = panel.lengths >= 2 * m + 1
    indices = np.where(enough[:, None] & np.isfinite(indices), indices, 0.0)
    indices -= indices.mean(axis=1, keepdims=True)
    remainder = detrended - indices[:, position]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        strength = 1.0 - np.nanvar(remainder, axis=1) / np.nanvar(detrended, axis=1)
    enough &= np.isfinite(strength) & (strength >= MIN_SEASONAL_STRENGTH)
    indices = np.where(enough[:, None], indices, 0.0)
    adjusted = z - indices[:, position]
    return adjusted, indices


def reseasonalise(point_adjusted: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Add the seasonal indices back to (n, h) forecasts of the adjusted series."""
    m = indices.shape[1]
    h = point_adjusted.shape[1]
    if m == 1:
        return point_adjusted
    steps = np.arange(1, h + 1) % m
    return point_adjusted + indices[:, steps]
