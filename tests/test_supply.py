"""Supply: units, shrunken rates, intake pipeline / forecast / plan, the entrant chain, crosswalk conservation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _supply_demand_fixtures import tiny_tables
from hypothesis import given, settings
from hypothesis import strategies as st

from features.errors import TalentcastError
from forecasting import supply


@pytest.fixture
def tables():
    return tiny_tables()


def _units(tables):
    return supply.supply_units(tables["enrolment"], tables["majors"], tables["schools"])


def test_units_carry_region_level_and_duration(tables):
    units = _units(tables)
    assert list(units["school"]) == ["S1", "S1", "S2"]
    assert set(units["region"]) == {"450200"} and set(units["duration_years"]) == {3}


def test_unknown_school_names_the_value(tables):
    enrolment = tables["enrolment"].copy()
    enrolment.loc[0, "school"] = "S9"
    with pytest.raises(TalentcastError, match="'S9': school is not in the schools table"):
        supply.supply_units(enrolment, tables["majors"], tables["schools"])


def test_rates_from_a_steady_history_multiply_out_to_local_graduates(tables):
    units = supply.estimate_rates(tables["enrolment"], _units(tables)).set_index(["school", "major"])
    row = units.loc[("S1", "460701")]
    # 200 admitted -> 180 graduates, 18 further study, 144 employed, 72 local; local retention 72 / 144 = 0.5.
    assert row["completion_rate"] == pytest.approx(0.9)
    assert row["further_study_share"] == pytest.approx(0.1)
    assert row["employment_share"] == pytest.approx(144 / 162)
    assert row["local_retention"] == pytest.approx(0.5)
    assert row["completion_rate_years"] == 5 and row["completion_rate_source"] == "own+major"
    graduates, entrants = supply.graduate_entrants(200.0, {k: row[k] for k in supply.RATES})
    # Supply is local job seekers, employed or not: the 162 not studying on x 0.5 = 81 (72 employed, 9 not);
    # counting only the employed made supply shrink when the market did.
    assert graduates == pytest.approx(180) and entrants == pytest.approx(81)


def test_intake_of_a_growing_major_follows_its_trend_with_a_widening_interval():
    # 100 -> 146 over four years (+10% a year): the mean of the last three (133) undercounts next year's
    # intake by about 16%; the damped trend carries the growth on, a little less each year.
    enrolment = pd.DataFrame({"school": "A", "major": "m", "year": range(2019, 2024),
                              "intake": [100, 110, 121, 133, 146]})
    majors = pd.DataFrame({"code": ["m"], "level": ["高职专科"], "duration_years": [3]})
    units = supply.supply_units(enrolment, majors, pd.DataFrame({"code": ["A"], "region": ["r"]}))
    known, model = supply.intake_history(enrolment, units)
    value, lead, source = supply.intake_matrix(units, [2027, 2028], known, model)
    assert source[0].tolist() == [1, 1] and lead[0].tolist() == [1, 2]
    growth = np.log(147 / 101)  / 4
    assert model["intake_trend"].iloc[0] == pytest.approx(growth, rel=0.02)
    assert value[0, 0] == pytest.approx(np.expm1(np.log(147) + 0.8 * growth), rel=0.01)   # ~157
    assert value[0, 1] == pytest.approx(np.expm1(np.log(147) + 1.44 * growth), rel=0.01)  # ~166
    assert value[0, 0] > 1.15 * np.mean([121, 133, 146])


def test_intake_trends_of_many_units_at_once_are_each_units_own_least_squares_line():
    # Four units fitted together: a long history (only the last six intakes count), a short one (no trend), one
    # whose last intake is 0 (paused: no trend), one falling. Each must equal its own line through log(1 + x).
    rows = {("A", "m1"): (range(2012, 2024), [50, 60, 70, 80, 90, 100, 130, 120, 150, 140, 170, 160]),
            ("A", "m2"): (range(2022, 2024), [80, 90]),
            ("B", "m1"): (range(2018, 2024), [40, 45, 50, 55, 60, 0]),
            ("B", "m2"): (range(2019, 2024), [300, 270, 240, 210, 200])}
    enrolment = pd.concat([pd.DataFrame({"school": s, "major": m, "year": list(y), "intake": x})
                           for (s, m), (y, x) in rows.items()], ignore_index=True).sample(frac=1, random_state=3)
    majors = pd.DataFrame({"code": ["m1", "m2"], "level": ["高职专科"] * 2, "duration_years": [3, 3]})
    units = supply.supply_units(enrolment, majors, pd.DataFrame({"code": ["A", "B"], "region": ["r", "r"]}))
    _, model = supply.intake_history(enrolment, units)
    model.index = list(zip(units["school"], units["major"]))
    for key, (years, intake) in rows.items():
        years, intake = np.array(list(years))[-6:], np.array(intake, dtype=float)[-6:]
        level, trend = model.loc[[key], "intake_level"].iloc[0], model.loc[[key], "intake_trend"].iloc[0]
        if len(intake) < 3 or intake[-1] == 0:
            assert (level, trend) == (intake[-1], 0.0)
        else:
            slope, intercept = np.polyfit(years - years[-1], np.log1p(intake), 1)
            assert trend == pytest.approx(np.clip(slope, -0.3, 0.3), abs=1e-12)
            assert level == pytest.approx(np.expm1(intercept), rel=1e-12)
    assert model.loc[[("B", "m2")], "intake_trend"].iloc[0] < 0


def test_thin_history_is_shrunk_towards_the_major_average():
    enrolment = pd.DataFrame({
        "school": ["A"] * 8 + ["B"] * 4, "major": ["m"] * 12,
        "year": list(range(2015, 2023)) + list(range(2016, 2020)),
        "intake": [100] * 8 + [100] * 4,
        # A: 5 graduation years (2018-2022) with completion 0.9; B: one year (2019) with 0.6.
        "graduates": [None, None, None, 90, 90, 90, 90, 90] + [None, None, None, 60],
    })
    majors = pd.DataFrame({"code": ["m"], "level": ["高职专科"], "duration_years": [3]})
    schools = pd.DataFrame({"code": ["A", "B"], "region": ["r", "r"]})
    units = supply.supply_units(enrolment, majors, schools)
    rates = supply.estimate_rates(enrolment, units, prior_strength=3).set_index("school")
    prior = (450 + 60) / 600  # pooled over the major's graduation years
    assert rates.loc["B", "completion_rate"] == pytest.approx((1 * 0.6 + 3 * prior) / 4)
    assert rates.loc["A", "completion_rate"] == pytest.approx((5 * 0.9 + 3 * prior) / 8)
    # No outcome columns at all: the documented defaults.
    assert rates.loc["B", "local_retention"] == supply.DEFAULT_RATES["local_retention"]
    assert rates.loc["B", "local_retention_source"] == "default"


def test_intake_matrix_pipeline_forecast_and_plan(tables):
    units = _units(tables)
    known, model = supply.intake_history(tables["enrolment"], units)
    years = [2025, 2026, 2027, 2028, 2029]
    value, lead, source = supply.intake_matrix(units, years, known, model,
                                               planned={("S1", "460701"): {2027: 120.0}})
    # Graduates of 2025-2027 were admitted 2022-2024 (pipeline); 2028 from the forecast; S1/460701 2030 plan.
    assert source[0].tolist() == [0, 0, 0, 1, 1] and source[1].tolist() == [0, 0, 0, 1, 1]
    assert lead[1].tolist() == [0, 0, 0, 1, 2]
    np.testing.assert_allclose(value[1], [100, 100, 100, 100, 100])  # flat intake: the trend is flat
    value, _, source = supply.intake_matrix(units, [2030], known, model, planned={("S1", "460701"): {2027: 120.0}})
    assert source[0, 0] == 2 and value[0, 0] == 120


def test_draw_rates_centre_on_the_estimate():
    rates = pd.DataFrame({r: [0.7] for r in supply.RATES} | {f"{r}_sd": [0.05] for r in supply.RATES})
    draws = supply.draw_rates(rates, 20000, np.random.default_rng(1))
    for rate in supply.RATES:
        assert draws[rate].mean() == pytest.approx(0.7, abs=0.005)
        assert draws[rate].std() == pytest.approx(0.05, rel=0.1)
        assert ((draws[rate] > 0) & (draws[rate] < 1)).all()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.01, 1), min_size=1, max_size=4), st.floats(0, 1e4), st.integers(2025, 2030))
def test_property_crosswalk_conserves_supply(raw_weights, entrants, year):
    weights = np.array(raw_weights) / sum(raw_weights)
    crosswalk = pd.DataFrame({"major": "m1", "sector": [f"S{i}" for i in range(len(weights))], "weight": weights})
    frame = pd.DataFrame({"region": ["r", "r"], "major": ["m1", "m1"], "year": [year, year],
                          "graduate_entrants": [entrants, 2 * entrants]})
    out = supply.allocate_to_sectors(frame, crosswalk)
    assert out["graduate_entrants"].sum() == pytest.approx(3 * entrants, rel=1e-9, abs=1e-9)
    assert len(out) == len(weights)
