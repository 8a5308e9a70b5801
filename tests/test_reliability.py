"""Scores of probability forecasts (forecasting.reliability) on hand-made examples worked out on paper."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.reliability import brier_decomposition, probability_bins, reliability_table, wilson_interval


def test_brier_decomposition_of_constant_forecasts_per_bin_adds_up_exactly():
    # Bins: 0.1 (twice, one event) -> bin 1, 0.9 (twice, two events) -> bin 9, 0.5 (no event) -> bin 5.
    p = np.array([0.1, 0.1, 0.9, 0.9, 0.5])
    y = np.array([0, 1, 1, 1, 0])
    parts = brier_decomposition(p, y)
    assert parts["brier"] == pytest.approx(1.09 / 5)                    # (.01 + .81 + .01 + .01 + .25) / 5
    assert parts["base_rate"] == pytest.approx(0.6)
    assert parts["uncertainty"] == pytest.approx(0.24)                  # 0.6 x 0.4
    assert parts["reliability"] == pytest.approx((2 * 0.16 + 2 * 0.01 + 0.25) / 5)   # 0.118
    assert parts["resolution"] == pytest.approx((2 * 0.01 + 2 * 0.16 + 0.36) / 5)    # 0.14
    assert parts["within_bin"] == pytest.approx(0.0, abs=1e-12)         # one forecast value per bin


def test_within_bin_term_is_the_spread_of_forecasts_inside_a_bin():
    # 0.12 and 0.18 share bin 1 (mean 0.15); frequency 0.5 = base rate, so no resolution.
    parts = brier_decomposition(np.array([0.12, 0.18]), np.array([0, 1]))
    assert parts["brier"] == pytest.approx((0.12 ** 2 + 0.82 ** 2) / 2)        # 0.3434
    assert parts["reliability"] == pytest.approx(0.35 ** 2)
    assert parts["resolution"] == pytest.approx(0.0)
    # Stephenson et al.: within-bin variance 0.0009 minus within-bin covariance 2 x 0.015 = -0.0291.
    assert parts["within_bin"] == pytest.approx(0.0009 - 0.03)


def test_reliability_table_bins_counts_and_wilson_band():
    p = np.array([0.0, 0.05, 0.3, 0.35, 0.39, 1.0] + [0.72] * 10)
    y = np.array([0, 0, 1, 0, 0, 1] + [1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    assert list(probability_bins(np.array([0.0, 0.1, 0.999, 1.0]))) == [0, 1, 9, 9]
    table = reliability_table(p, y).set_index("bin")
    assert list(table.index) == [0, 3, 7, 9]
    assert list(table["n"]) == [2, 3, 10, 1]
    assert table.loc[3, "frequency"] == pytest.approx(1 / 3)
    assert table.loc[3, "p_mean"] == pytest.approx(0.34666667)
    assert table.loc[7, ["lower", "upper"]].tolist() == pytest.approx([0.7, 0.8])
    # 3 events in 10, 90% Wilson interval, worked by hand: centre 0.34259, half-width 0.21572.
    assert table.loc[7, "frequency"] == pytest.approx(0.3)
    assert [table.loc[7, "band_lo"], table.loc[7, "band_hi"]] == pytest.approx([0.12687, 0.55831], abs=1e-4)
    lo, hi = wilson_interval(np.array([0, 5]), np.array([5, 5]))
    assert lo[0] == pytest.approx(0.0, abs=1e-12) and hi[1] == pytest.approx(1.0)
    assert hi[0] < 0.4 and lo[1] > 0.6


def test_brier_decomposition_refuses_an_empty_set():
    with pytest.raises(ValueError, match="no forecasts"):
        brier_decomposition(np.array([]), np.array([]))
