"""Demand: expansion + replacement = openings (floored expansion), graduate share, parameter fallbacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecasting.demand import demand_components, openings_from_employment, sector_parameter_table


def test_known_answer_growth_then_decline():
    # 100 -> 110 -> 105 with replacement 3% and graduate share 0.5.
    parts = demand_components(np.array([[[100.0], [110.0], [105.0]]]), np.array([[0.03]]), np.array([[0.5]]))
    np.testing.assert_allclose(parts["expansion"].ravel(), [10.0, -5.0])
    np.testing.assert_allclose(parts["replacement"].ravel(), [3.0, 3.3])
    # A shrinking year still has its replacement openings (BLS convention): max(-5, 0) + 3.3.
    np.testing.assert_allclose(parts["openings"].ravel(), [13.0, 3.3])
    np.testing.assert_allclose(parts["graduate_openings"].ravel(), [6.5, 1.65])


def test_frame_version_uses_sector_parameters_and_defaults():
    employment = pd.DataFrame({"region": ["450200"] * 4, "sector": ["C36", "C36", "I", "I"],
                               "year": [2024, 2025, 2024, 2025], "employed": [1000.0, 1100.0, 200.0, 190.0]})
    params = pd.DataFrame({"sector": ["C36"], "replacement_rate": [0.04], "graduate_entry_share": [0.6]})
    out = openings_from_employment(employment, params).set_index("sector")
    assert out.loc["C36", "openings"] == pytest.approx(100 + 40)
    assert out.loc["C36", "graduate_openings"] == pytest.approx(140 * 0.6)
    # I has no row: defaults 0.03 / 0.5; expansion -10 is floored.
    assert out.loc["I", "openings"] == pytest.approx(6.0)
    assert out.loc["I", "graduate_openings"] == pytest.approx(3.0)
    assert out.loc["I", "year"] == 2025


def test_sector_parameters_fall_back_to_parent_then_default():
    sectors = pd.DataFrame({"code": ["C", "C36", "C35", "I"], "parent": [None, "C", "C", None]})
    params = pd.DataFrame({"sector": ["C", "C36"], "replacement_rate": [0.025, 0.04],
                           "graduate_entry_share": [0.4, 0.55]})
    table = sector_parameter_table(sectors, params).set_index("sector")
    assert table.loc["C36", "replacement_rate"] == 0.04 and table.loc["C36", "source"] == "table"
    assert table.loc["C35", "graduate_entry_share"] == 0.4 and table.loc["C35", "source"] == "parent C"
    assert table.loc["I", "replacement_rate"] == 0.03 and table.loc["I", "graduate_entry_share"] == 0.5
    assert table.loc["I", "source"] == "default"


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (3, 4, 5), elements=st.floats(0, 1e6)),
       st.floats(0, 0.5), st.floats(0, 1))
def test_property_openings_identity(employment, rate, share):
    parts = demand_components(employment, np.array([[rate]]), np.array([[share]]))
    np.testing.assert_allclose(parts["openings"], np.maximum(parts["expansion"], 0) + parts["replacement"])
    np.testing.assert_allclose(parts["expansion"], employment[:, 1:] - employment[:, :-1])
    assert (parts["openings"] >= 0).all()
    assert (parts["graduate_openings"] <= parts["openings"] + 1e-9).all()
