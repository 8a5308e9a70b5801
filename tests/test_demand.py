"""Demand by the separations method (floor on the projected change), path volatility, parameter fallbacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecasting.demand import demand_components, openings_from_employment, sector_parameter_table
from forecasting.volatility import historical_volatility, match_volatility, path_volatility


def test_known_answer_growth_then_decline():
    # 100 -> 110 -> 105 with separations 3% and graduate share 0.5.
    parts = demand_components(np.array([[[100.0], [110.0], [105.0]]]), np.array([[0.03]]), np.array([[0.5]]))
    np.testing.assert_allclose(parts["expansion"].ravel(), [10.0, 0.0])
    # The decline of 5 is taken off the 3.3 leavers (separations method): none of them is replaced.
    np.testing.assert_allclose(parts["replacement"].ravel(), [3.0, 0.0])
    np.testing.assert_allclose(parts["openings"].ravel(), [13.0, 0.0])
    np.testing.assert_allclose(parts["graduate_openings"].ravel(), [6.5, 0.0])


def test_declining_sector_replaces_fewer_leavers():
    # 1000 -> 990: 30 leavers, 10 of them not replaced because the sector shrinks by 10.
    parts = demand_components(np.array([[[1000.0], [990.0]]]), np.array([[0.03]]), np.array([[1.0]]))
    assert parts["replacement"].item() == pytest.approx(20.0)
    assert parts["openings"].item() == pytest.approx(20.0)


def test_expansion_is_floored_on_the_projected_change_not_per_path():
    # A flat sector (projected change 0) whose paths move +-20 around it: flooring each path's change at zero
    # would add 10 phantom openings a year (E[max(X, 0)] = 10); the projected change is 0, so none are added.
    employment = np.array([[[1000.0, 1000.0], [1020.0, 980.0]]])
    parts = demand_components(employment, np.array([[0.03]]), np.array([[1.0]]))
    assert parts["expansion"].mean() == pytest.approx(0.0)
    assert parts["openings"].mean() == pytest.approx(30.0)          # just the leavers, on average
    np.testing.assert_allclose(parts["openings"].ravel(), [50.0, 10.0])
    # A growing sector: the projected change (+20) is kept in full and the path noise around it too.
    growing = np.array([[[1000.0, 1000.0], [1070.0, 970.0]]])
    parts = demand_components(growing, np.array([[0.03]]), np.array([[1.0]]))
    assert parts["expansion"].mean() == pytest.approx(20.0)
    assert parts["openings"].mean() == pytest.approx(50.0)


def test_frame_version_uses_sector_parameters_and_defaults():
    employment = pd.DataFrame({"region": ["450200"] * 4, "sector": ["C36", "C36", "I", "I"],
                               "year": [2024, 2025, 2024, 2025], "employed": [1000.0, 1100.0, 200.0, 190.0]})
    params = pd.DataFrame({"sector": ["C36"], "replacement_rate": [0.04], "graduate_entry_share": [0.6]})
    out = openings_from_employment(employment, params).set_index("sector")
    assert out.loc["C36", "openings"] == pytest.approx(100 + 40)
    assert out.loc["C36", "graduate_openings"] == pytest.approx(140 * 0.6)
    # I has no row: defaults 0.03 / 0.5; the decline of 10 is taken off its 6 leavers: no openings.
    assert out.loc["I", "openings"] == pytest.approx(0.0)
    assert out.loc["I", "replacement"] == pytest.approx(0.0)
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
    change = employment[:, 1:] - employment[:, :-1]
    separations = employment[:, :-1] * rate
    # Unless the projected decline exceeds the leavers, openings = change + separations on every path.
    np.testing.assert_allclose(parts["openings"], np.maximum(parts["expansion"] + parts["replacement"], 0))
    np.testing.assert_allclose(parts["expansion"].mean(axis=-1), np.maximum(change.mean(axis=-1), 0), atol=1e-6)
    ok = separations + np.minimum(change.mean(axis=-1, keepdims=True), 0) >= 0
    np.testing.assert_allclose(np.where(ok, parts["expansion"] + parts["replacement"], 0),
                               np.where(ok, change + separations, 0), rtol=1e-9, atol=1e-6)
    assert (parts["openings"] >= 0).all()
    assert (parts["graduate_openings"] <= parts["openings"] + 1e-9).all()


def _history(sd: float, years: int = 16, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values = 1000.0 * np.exp(np.cumsum(0.02 + sd * rng.standard_normal(years)))
    return pd.DataFrame({"series_id": "a", "period": [str(2010 + i) for i in range(years)], "value": values})


def test_sample_paths_match_historical_volatility():
    history = _history(0.02)
    target = historical_volatility(history, ["a"])
    assert target[0] == pytest.approx(np.diff(np.log1p(history["value"]))[-10:].std(ddof=1))
    # Paths drawn year by year independently around a trend with a spread growing like a random walk's:
    # consecutive years zig-zag, the yearly changes are several times as volatile as the history's.
    rng = np.random.default_rng(3)
    horizon, n = 6, 2000
    spread = 0.02 * np.sqrt(np.arange(1, horizon + 1))
    levels = history["value"].iloc[-1] * np.exp(0.02 * np.arange(1, horizon + 1)[:, None]
                                                 + spread[:, None] * rng.standard_normal((horizon, n)))
    paths = np.concatenate([np.full((1, n), history["value"].iloc[-1]), levels])[None]
    before = path_volatility(paths)[0]
    coupled, rho = match_volatility(paths, target, seed=5)
    after = path_volatility(coupled)[0]
    assert before > 1.8 * target[0]
    assert after == pytest.approx(target[0], rel=0.25)
    assert 0 < rho[0] <= 1
    # Each year's distribution is untouched: the same values, re-paired.
    np.testing.assert_allclose(np.sort(coupled, axis=-1), np.sort(paths, axis=-1))
    # A series already calmer than its history is left as drawn.
    calm, rho_calm = match_volatility(paths, np.array([1.0]), seed=5)
    np.testing.assert_array_equal(calm, paths)
    assert np.isnan(rho_calm[0])
