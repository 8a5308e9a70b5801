"""Generated worlds by name (talentcast.demo.worlds): the default stays the shipped demo data, and the alternative
world has a structure the model does not share, labelled generated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.assumptions import load_assumptions
from talentcast.demo import build_demo_tables, table_checksum
from talentcast.demo.assumptions import LOCAL_SHARE, REAL_YEARS
from talentcast.demo.worlds import COPIES_PROVINCE, build_world
from talentcast.provenance import GENERATED

CITY = "450200"
SYNTHETIC_TABLES = ("employment", "vacancies", "schools", "enrolment", "major_sector_map", "sector_parameters")


@pytest.fixture(scope="module")
def structural():
    return build_world("structural")


@pytest.fixture(scope="module")
def alternative():
    return build_world("alternative")


def test_structural_world_is_the_default_demo_data_byte_for_byte(structural):
    default = build_demo_tables()
    assert {n: table_checksum(f) for n, (f, _) in structural.tables.items()} == \
        {n: table_checksum(f) for n, (f, _) in default.items()}
    assert all("world" not in meta for _, meta in structural.tables.values())


def test_alternative_world_is_labelled_generated(alternative):
    for name in SYNTHETIC_TABLES:
        meta = alternative.tables[name][1]
        assert meta["kind"] == GENERATED and meta["synthetic"] is True and meta["world"] == "alternative", name
    with pytest.raises(ValueError, match="unknown generated world 'elsewhere'"):
        build_world("elsewhere")


def test_alternative_world_keeps_the_real_history_and_changes_what_follows(structural, alternative):
    s, a = structural.frames()["employment"], alternative.frames()["employment"]
    sections = lambda f, years: f[(f["region"] == CITY) & (f["sector"].str.len() == 1) & f["year"].isin(years)]  # noqa: E731
    real = list(REAL_YEARS)
    pd.testing.assert_frame_equal(sections(s, real).reset_index(drop=True), sections(a, real).reset_index(drop=True))
    later = list(range(2016, 2026))
    growth = lambda f: np.log(sections(f, later).pivot(index="sector", columns="year", values="employed")).diff(axis=1)  # noqa: E731
    # Structural: stated trend + N(0, 0.01) noise; alternative: regime growth x cyclicality + AR(1) shocks.
    assert growth(s).std(axis=1).median() < 0.02
    assert growth(a).std(axis=1).median() > 0.03
    hidden = alternative.hidden[CITY]
    assert len(set(hidden["regimes"])) >= 2                    # the hidden cycle switches regime


def test_alternative_world_parameters_lie_outside_the_models_stated_ranges(alternative):
    ranges = load_assumptions()
    true = alternative.hidden[CITY]["parameters"]
    published = alternative.frames()["sector_parameters"].set_index("sector")
    # The model's 90% range is a multiplier low/central .. high/central around the published value.
    for name, factor in (("replacement_rate", "separation_factor"), ("graduate_entry_share", "entry_factor")):
        spec = ranges[name]
        low, high = spec.low / spec.central, spec.high / spec.central
        outside = (true[factor] < low) | (true[factor] > high)
        assert outside.all(), name
        assert (true[factor] < 1).any() and (true[factor] > 1).any(), name
    assert true.set_index("sector")["replacement_rate"].to_numpy() != pytest.approx(
        published["replacement_rate"].reindex(true["sector"]).to_numpy(), rel=0.3)


def test_alternative_world_graduates_leave_and_truth_is_not_the_models_accounting(structural, alternative):
    e = alternative.frames()["enrolment"].dropna(subset=["graduates"])
    totals = e.groupby("year")[["graduates", "graduates_local"]].sum()
    local = totals["graduates_local"] / totals["graduates"]
    s = structural.frames()["enrolment"].dropna(subset=["graduates"]).groupby("year")[
        ["graduates", "graduates_local"]].sum()
    # Fewer graduates work locally than in the structural world (same intake draws), every year.
    assert (local.loc[2016:2025] < (s["graduates_local"] / s["graduates"]).loc[2016:2025]).all()
    assert local.max() < max(LOCAL_SHARE.values())
    # What a planner can compute from the tables equals the truth only in the structural world.
    pd.testing.assert_frame_equal(structural.observed, structural.truth)
    hidden = alternative.truth.set_index(["sector", "year"])["ratio"]
    seen = alternative.observed.set_index(["sector", "year"])["ratio"].reindex(hidden.index)
    assert ((hidden > 1.2) != (seen > 1.2)).mean() > 0.1
    truth = alternative.truth.set_index(["sector", "year"])["ratio"]
    same_tables_model_truth = structural.truth.set_index(["sector", "year"])["ratio"]
    common = truth.index.intersection(same_tables_model_truth.index)
    assert len(common) > 200 and not np.allclose(truth[common], same_tables_model_truth[common], rtol=0.2)
    # Sections are their rest plus their divisions on both sides of the ratio.
    t = alternative.truth.set_index(["sector", "year"])
    assert t.loc[("C", 2020), "graduate_openings"] >= t.loc[("C36", 2020), "graduate_openings"]


def test_copies_share_the_hidden_cycle_but_not_their_own_draws():
    world = build_world("alternative", seed=5, copies=2)
    frames = world.frames()
    cities = sorted(frames["schools"]["region"].unique())
    assert cities == ["980100", "980200"]
    assert frames["regions"].set_index("code").loc[cities, "parent"].eq(COPIES_PROVINCE).all()
    assert frames["schools"]["code"].is_unique
    assert world.hidden["980100"]["regimes"] == world.hidden["980200"]["regimes"]
    emp = frames["employment"].pivot_table(index=["sector", "year"], columns="region", values="employed")
    assert (emp.loc[("C", 2020), "980100"] != emp.loc[("C", 2020), "980200"])
    assert set(world.truth["region"]) == set(cities)
    assert world.tables["employment"][1]["kind"] == GENERATED


def test_independent_draws_give_copies_their_own_hidden_world():
    world = build_world("alternative", seed=5, copies=2, draws=2)
    first, second = (world.hidden[c]["parameters"].set_index("sector")["separation_factor"] for c in ("980100",
                                                                                                     "980200"))
    assert not np.allclose(first, second)
    with pytest.raises(ValueError, match="draws must be between 1 and copies"):
        build_world("alternative", copies=2, draws=3)
