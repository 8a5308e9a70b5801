"""Reconciliation over the region x sector hierarchy: coherence, non-negativity, known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.errors import TalentcastError
from forecasting.reconcile import aggregate, build_hierarchy, reconcile_atoms, reconcile_frame

REGIONS = pd.DataFrame({"code": ["450000", "450200", "450100"], "parent": [None, "450000", "450000"]})
SECTORS = pd.DataFrame({"code": ["C", "C36", "C35", "I"], "parent": [None, "C", "C", None]})


def test_remainders_make_atoms_and_divisions_sum_to_their_section():
    nodes = pd.DataFrame({"region": ["450200"] * 3, "sector": ["C", "C36", "C35"]})
    hierarchy = build_hierarchy(nodes, REGIONS, SECTORS)
    cells = sorted(c for cells in hierarchy.atoms["cells"] for c in cells)
    assert cells == [("450200", "C35"), ("450200", "C36"), ("450200", "C~rest")]
    base = np.array([100.0, 30.0, 20.0])[:, None, None]
    coherent = aggregate(hierarchy, reconcile_atoms(hierarchy, base))[:, 0, 0]
    # Consistent input is kept; the remainder C~rest takes 100 - 30 - 20 = 50.
    np.testing.assert_allclose(coherent, [100.0, 30.0, 20.0])
    rest = hierarchy.atoms.index[hierarchy.atoms["cells"].map(lambda c: c == [("450200", "C~rest")])][0]
    assert reconcile_atoms(hierarchy, base)[rest, 0, 0] == pytest.approx(50.0)


def test_children_above_parent_share_the_discrepancy_by_variance():
    # Province 100 (variance 100) vs its one city 110 (variance 1): the remainder cannot be negative, so both
    # become the weighted mean (100/100 + 110/1) / (1/100 + 1/1) = 109.90...
    nodes = pd.DataFrame({"region": ["450000", "450200"], "sector": ["C", "C"]})
    hierarchy = build_hierarchy(nodes, REGIONS, SECTORS)
    atoms = reconcile_atoms(hierarchy, np.array([[[100.0]], [[110.0]]]), variance=np.array([[100.0], [1.0]]))
    expected = (100 / 100 + 110 / 1) / (1 / 100 + 1)
    np.testing.assert_allclose(aggregate(hierarchy, atoms).ravel(), [expected, expected])
    assert atoms.min() >= 0


def test_cross_hierarchy_province_section_contains_city_divisions():
    nodes = pd.DataFrame({"region": ["450000", "450200", "450200", "450200"], "sector": ["C", "C", "C36", "I"]})
    hierarchy = build_hierarchy(nodes, REGIONS, SECTORS)
    index = hierarchy.node_index()
    assert hierarchy.contains("450200", "C36").tolist() == [True, True, True, False]
    # (450000, C) holds every atom of (450200, C) plus the rest of the province.
    province, city = hierarchy.summing[index[("450000", "C")]], hierarchy.summing[index[("450200", "C")]]
    assert (province >= city).all() and province.sum() == city.sum() + 1


def test_duplicate_series_is_a_user_error():
    with pytest.raises(TalentcastError, match="450200|C36 appears twice"):
        build_hierarchy(pd.DataFrame({"region": ["450200", "450200"], "sector": ["C36", "C36"]}), REGIONS, SECTORS)


def test_reconcile_frame_returns_coherent_point_forecasts():
    base = pd.DataFrame({"region": ["450000", "450200", "450100"] * 2, "sector": ["C"] * 6,
                         "year": [2025] * 3 + [2026] * 3, "value": [100.0, 70.0, 50.0, 100.0, 40.0, 30.0]})
    out = reconcile_frame(base, REGIONS, SECTORS).set_index(["region", "year"])["value"]
    for year in (2025, 2026):
        assert out[("450000", year)] >= out[("450200", year)] + out[("450100", year)] - 1e-6
    # 2025: children 70 + 50 > 100 -> equal weights meet in the middle: minimise (p-100)^2 + (a-70)^2 +
    # (b-50)^2 with p = a + b -> a = 70 - d, b = 50 - d, p = 100 + d, d = 20/3.
    assert out[("450000", 2025)] == pytest.approx(100 + 20 / 3)
    assert out[("450200", 2025)] == pytest.approx(70 - 20 / 3)
    # 2026: children 40 + 30 < 100 -> the rest of the province is 30, nothing moves.
    assert out[("450000", 2026)] == pytest.approx(100.0)


@st.composite
def _hierarchy_inputs(draw):
    sectors = draw(st.lists(st.sampled_from(["C", "C36", "C35", "I"]), min_size=1, max_size=4, unique=True))
    regions = draw(st.lists(st.sampled_from(["450000", "450200", "450100"]), min_size=1, max_size=3, unique=True))
    nodes = pd.DataFrame([(r, s) for r in regions for s in sectors], columns=["region", "sector"])
    values = draw(st.lists(st.floats(0, 1e5), min_size=len(nodes) * 3, max_size=len(nodes) * 3))
    return nodes, np.array(values).reshape(len(nodes), 1, 3)


@settings(max_examples=40, deadline=None)
@given(_hierarchy_inputs())
def test_property_reconciled_nodes_are_coherent_and_non_negative(inputs):
    nodes, base = inputs
    hierarchy = build_hierarchy(nodes, REGIONS, SECTORS)
    atoms = reconcile_atoms(hierarchy, base)
    coherent = aggregate(hierarchy, atoms)
    assert atoms.min() >= 0
    index = hierarchy.node_index()
    parents = {"C36": "C", "C35": "C", "450200": "450000", "450100": "450000"}
    for (region, sector), i in index.items():
        # A node with observed children is at least their sum (the remainder is never negative).
        kids = [index[(region, s)] for s, p in parents.items() if p == sector and (region, s) in index]
        kids_r = [index[(r, sector)] for r, p in parents.items() if p == region and (r, sector) in index]
        for group in (kids, kids_r):
            if group:
                assert (coherent[i] >= coherent[group].sum(axis=0) - 1e-6 * (1 + coherent[i])).all()


def test_blockwise_nnls_equals_nnls_of_the_whole_problem():
    """A province with cities and several sections falls apart into one block per section; solving only the
    blocks with a negative atom gives the answer of NNLS on the whole matrix (it is block-diagonal)."""
    from scipy.optimize import nnls

    from forecasting.reconcile import components

    nodes = pd.DataFrame({"region": ["450000", "450200", "450100"] * 2, "sector": ["C"] * 3 + ["I"] * 3})
    hierarchy = build_hierarchy(nodes, REGIONS, SECTORS)
    blocks = components(hierarchy.summing)
    assert sorted(len(atom_ids) for _, atom_ids in blocks) == [3, 3]  # per section: 2 cities + the remainder
    rng = np.random.default_rng(3)
    # cities above the province in most paths of C, consistent in I
    base = np.stack([rng.normal(loc, 5, size=(2, 40)) for loc in (100, 70, 60, 200, 80, 90)])
    variance = np.full(base.shape[:2], 25.0)
    atoms = reconcile_atoms(hierarchy, base, variance=variance)
    lhs = hierarchy.summing / 5.0
    for t in range(2):
        for k in range(40):
            whole = nnls(lhs, base[:, t, k] / 5.0)[0]
            np.testing.assert_allclose(aggregate(hierarchy, atoms[:, t, k]), hierarchy.summing @ whole, atol=1e-6)
