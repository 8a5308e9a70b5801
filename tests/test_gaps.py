"""Gap and ratio statistics over sample paths, major pressure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecasting.gaps import gap_table, pressure_table, shortage_ratio

KEYS = pd.DataFrame({"region": ["450200", "450200"], "sector": ["C36", "I"]})


def test_known_probabilities_and_intervals():
    paths = 100
    openings = np.zeros((2, 1, paths))
    openings[0, 0, :] = 120.0
    openings[1, 0, :] = 50.0
    supply = np.zeros((2, 1, paths))
    supply[0, 0, :] = np.linspace(50, 149, paths)   # ratio > 1.2 exactly when supply < 100
    supply[1, 0, :] = 100.0                          # ratio 0.5 on every path
    frame, ratio = gap_table(KEYS, [2026], openings, supply)
    c36, it = frame.iloc[0], frame.iloc[1]
    assert c36["p_shortage"] == pytest.approx(0.5) and c36["p_surplus"] == 0
    assert c36["gap_mean"] == pytest.approx(120 - 99.5)
    assert it["ratio_median"] == pytest.approx(0.5) and it["p_surplus"] == 1 and it["gap_mean"] == -50
    assert it["shortage_threshold"] == 1.2 and it["surplus_threshold"] == 0.8
    assert list(frame.columns[:3]) == ["region", "sector", "year"]
    assert ratio.shape == (2, 1, paths)


def test_no_supply_counts_as_shortage():
    assert shortage_ratio(np.array([30.0]), np.array([0.0]))[0] == 30.0


def test_pressure_is_the_weighted_geometric_mean_path_by_path():
    ratio = np.stack([np.full((1, 10), 2.0), np.full((1, 10), 0.5)])
    keys = pd.DataFrame({"region": ["450200"], "major": ["460701"]})
    out = pressure_table(keys, [2026], np.array([[0.7, 0.3]]), ratio)
    assert out["pressure_median"].iloc[0] == pytest.approx(2 ** 0.7 * 0.5 ** 0.3)
    assert out["p_shortage"].iloc[0] == 1.0 and out["p_surplus"].iloc[0] == 0.0


def test_one_thin_tight_sector_does_not_dominate_a_majors_pressure():
    # 90% of the major's graduates go to a sector in surplus (0.6), 10% to a thin sector with ratio 9:
    # the arithmetic mean (1.44) would call the major short; the geometric mean (0.75) does not.
    ratio = np.stack([np.full((1, 10), 0.6), np.full((1, 10), 9.0)])
    keys = pd.DataFrame({"region": ["450200"], "major": ["x"]})
    out = pressure_table(keys, [2026], np.array([[0.9, 0.1]]), ratio)
    assert out["pressure_median"].iloc[0] == pytest.approx(0.6 ** 0.9 * 9.0 ** 0.1)
    assert out["p_shortage"].iloc[0] == 0.0 and out["p_surplus"].iloc[0] == 1.0


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (2, 3, 50), elements=st.floats(0, 1e4)),
       arrays(np.float64, (2, 3, 50), elements=st.floats(0, 1e4)))
def test_property_intervals_nest_and_probabilities_are_probabilities(openings, supply):
    frame, _ = gap_table(KEYS, [2025, 2026, 2027], openings, supply)
    tol = 1e-6 * (1 + frame[["gap_hi_95", "ratio_hi_95"]].abs().max().max())
    assert (frame["gap_lo_95"] <= frame["gap_lo_80"] + tol).all()
    assert (frame["gap_hi_80"] <= frame["gap_hi_95"] + tol).all()
    assert (frame["ratio_lo_80"] <= frame["ratio_median"] + tol).all()
    assert (frame["ratio_median"] <= frame["ratio_hi_80"] + tol).all()
    assert frame["p_shortage"].between(0, 1).all() and frame["p_surplus"].between(0, 1).all()
    assert ((frame["p_shortage"] + frame["p_surplus"]) <= 1 + 1e-12).all()
    np.testing.assert_allclose(frame["gap_mean"], frame["openings_mean"] - frame["supply_mean"], atol=1e-6)
