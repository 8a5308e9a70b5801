"""Scores of probability forecasts of a yes/no event (P(shortage), P(surplus)): reliability table and Brier score
with its decomposition (pure functions over arrays).

    brier = mean (p - y)^2                                             0 = perfect; lower is better
          = reliability - resolution + uncertainty + within-bin term  (Murphy 1973; Stephenson et al. 2008)

    reliability  = sum_k n_k (p_k - o_k)^2 / N   how far the observed frequency o_k of bin k is from its mean
                                                 forecast p_k: 0 = calibrated (the "miscalibration" part)
    resolution   = sum_k n_k (o_k - o)^2 / N     how far the bins' frequencies are from the base rate o: the
                                                 "sharpness that pays"; 0 = no better than the base rate
    uncertainty  = o (1 - o)                     the Brier score of always forecasting the base rate (in sample)
    within-bin   = brier - (reliability - resolution + uncertainty): spread of the forecasts inside the bins
                   (0 when every forecast in a bin is the same); reported so the parts add up exactly

A reliability table gives per bin the count, mean forecast, observed frequency and a Wilson score interval of
the frequency, so a bin with few events shows how little it says.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm


def probability_bins(p: np.ndarray, n_bins: int = 10) -> np.ndarray:
    """Bin index 0..n_bins-1 of each probability on equal-width bins of [0, 1] (1.0 goes to the last bin)."""
    p = np.asarray(p, dtype=float)
    return np.clip(np.floor(p * n_bins).astype(int), 0, n_bins - 1)


def wilson_interval(events: np.ndarray, n: np.ndarray, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial frequency events / n (NaN where n = 0)."""
    events, n = np.asarray(events, dtype=float), np.asarray(n, dtype=float)
    z = norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        freq = events / n
        centre = (freq + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(freq * (1 - freq) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def reliability_table(p: np.ndarray, y: np.ndarray, n_bins: int = 10, level: float = 0.9) -> pd.DataFrame:
    """Per non-empty bin: bin, lower, upper (edges), n, events, p_mean, frequency, band_lo, band_hi (Wilson)."""
    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    which = probability_bins(p, n_bins)
    frame = pd.DataFrame({"bin": which, "p": p, "y": y}).groupby("bin").agg(
        n=("y", "size"), events=("y", "sum"), p_mean=("p", "mean"), frequency=("y", "mean")).reset_index()
    frame.insert(1, "lower", frame["bin"] / n_bins)
    frame.insert(2, "upper", (frame["bin"] + 1) / n_bins)
    frame["band_lo"], frame["band_hi"] = wilson_interval(frame["events"].to_numpy(), frame["n"].to_numpy(), level)
    return frame


def brier_decomposition(p: np.ndarray, y: np.ndarray, n_bins: int = 10) -> dict[str, float]:
    """Brier score of forecasts `p` of outcomes `y` (0/1) and its parts (module docstring).

    Returns:
        {n, base_rate, brier, reliability, resolution, uncertainty, within_bin}.
    """
    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    if len(p) == 0:
        raise ValueError("no forecasts to score")
    n = len(p)
    base_rate = float(y.mean())
    table = reliability_table(p, y, n_bins)
    weights = table["n"].to_numpy() / n
    reliability = float((weights * (table["p_mean"] - table["frequency"]) ** 2).sum())
    resolution = float((weights * (table["frequency"] - base_rate) ** 2).sum())
    uncertainty = base_rate * (1 - base_rate)
    brier = float(((p - y) ** 2).mean())
    return {"n": n, "base_rate": base_rate, "brier": brier, "reliability": reliability, "resolution": resolution,
            "uncertainty": uncertainty, "within_bin": brier - (reliability - resolution + uncertainty)}
