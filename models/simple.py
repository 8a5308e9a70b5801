"""Baselines, vectorised over series: naive, seasonal naive, drift, mean. Always scored beside real models."""

from __future__ import annotations

import numpy as np

from features.series import Panel
from models.base import Forecaster


def last_values(z: np.ndarray) -> np.ndarray:
    """Last column (every series ends in the last column of a right-aligned panel)."""
    return z[:, -1]


def first_values(z: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each series' first observation."""
    return z[np.arange(len(z)), z.shape[1] - lengths]


class Naive(Forecaster):
    """Last value carried forward (random walk)."""

    name = "naive"
    min_length = 0  # the last fallback: an empty (fully truncated) series just gets NaN
    fallback = None

    def _fit(self, panel: Panel) -> None:
        self.last_ = last_values(panel.log_values)

    def _predict_log(self, h: int) -> np.ndarray:
        return np.repeat(self.last_[:, None], h, axis=1)


class SeasonalNaive(Forecaster):
    """Value of the same season one cycle earlier; equals naive for yearly data."""

    name = "snaive"
    seasonal = True

    def _fit(self, panel: Panel) -> None:
        m = panel.season_length
        self.m_ = m
        z = panel.log_values
        if m == 1 or z.shape[1] < m:
            self.cycle_ = np.repeat(z[:, -1:], m, axis=1)
        else:
            cycle = z[:, -m:]
            # A series shorter than one cycle repeats its last value.
            self.cycle_ = np.where(np.isnan(cycle), z[:, -1:], cycle)

    def _predict_log(self, h: int) -> np.ndarray:
        steps = (np.arange(h)) % self.m_
        return self.cycle_[:, steps]


class Drift(Forecaster):
    """Random walk with drift: the average growth between first and last value, on the log scale."""

    name = "drift"
    min_length = 2

    def _fit(self, panel: Panel) -> None:
        z = panel.log_values
        self.last_ = last_values(z)
        self.slope_ = (self.last_ - first_values(z, panel.lengths)) / np.maximum(panel.lengths - 1, 1)

    def _predict_log(self, h: int) -> np.ndarray:
        return self.last_[:, None] + self.slope_[:, None] * np.arange(1, h + 1)[None, :]


class Mean(Forecaster):
    """Historical mean (of the values, not of their logs)."""

    name = "mean"

    def _fit(self, panel: Panel) -> None:
        values = np.exp(panel.log_values)
        self.level_ = np.log(np.nanmean(values, axis=1))

    def _predict_log(self, h: int) -> np.ndarray:
        return np.repeat(self.level_[:, None], h, axis=1)
