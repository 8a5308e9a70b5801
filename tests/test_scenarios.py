"""Scenario files: format checks with clear errors, and recomputation from a fitted state without refitting."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _supply_demand_fixtures import linear_sampler, tiny_tables

from features.errors import TalentcastError
from forecasting.pipeline import run_pipeline
from forecasting.results import apply_scenario, compute_results
from forecasting.scenarios import load_scenario

DOCS = Path(__file__).resolve().parents[1] / "docs" / "scenarios"


@pytest.fixture(scope="module")
def fitted():
    return run_pipeline(tiny_tables(), horizon=5, n_paths=200, seed=7, sampler=linear_sampler(noise=0.01))


def _scenario(*changes, **top):
    return {"id": "s1", "name": "测试情景 / test", "changes": list(changes), **top}


def test_example_scenarios_in_docs_load():
    files = sorted(DOCS.glob("*.yaml"))
    assert len(files) >= 3
    loaded = {load_scenario(f).id for f in files}
    assert {"ev-plant-2027", "c36-replacement-4pct", "school-intake-plan"} <= loaded


def test_yaml_file_with_chinese_round_trips(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("id: new-plant\nname: 新工厂\nchanges:\n  - kind: employment_change\n"
                    "    target: {region: '450200', sector: C36}\n    persons: 3000\n    years: [2027, 2028]\n",
                    encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.name == "新工厂" and scenario.changes[0].persons == 3000
    assert scenario.to_dict()["changes"][0]["years"] == [2027, 2028]
    assert load_scenario(scenario.to_dict()).changes == tuple(
        c.__class__(**{**c.__dict__}) for c in load_scenario(scenario.to_dict()).changes)


@pytest.mark.parametrize("raw, message", [
    ({"name": "x", "changes": []}, "scenario: id: is required"),
    ({"id": "BAD ID", "name": "x", "changes": []}, "scenario: id: must be lower-case"),
    (_scenario(), "changes: must be a non-empty list"),
    (_scenario({"kind": "plant"}), r"changes\[0\].kind: must be one of employment_change"),
    (_scenario({"kind": "employment_change", "target": {"region": "450200", "sector": "C36"}, "percent": 5,
                "persons": 10}), r"changes\[0\]: give exactly one of 'percent' or 'persons'"),
    (_scenario({"kind": "employment_change", "target": {"sector": "C36"}, "percent": 5}),
     r"changes\[0\].target.region: is required"),
    (_scenario({"kind": "parameter", "target": {"sector": "C36"}, "parameter": "replacement_rate",
                "value": 0.9}), r"changes\[0\].value: must be <= 0.5"),
    (_scenario({"kind": "parameter", "target": {"sector": "C36"}, "parameter": "growth", "value": 1}),
     r"changes\[0\].parameter: must be one of"),
    (_scenario({"kind": "intake", "target": {"school": "S1", "major": "460701"}, "value": 120,
                "years": {"from": 2028, "to": 2026}}), r"changes\[0\].years: 'to' \(2026\) is before"),
    (_scenario({"kind": "intake", "target": {"school": "S1", "major": "460701"}, "value": "many"}),
     r"changes\[0\].value: must be a number"),
])
def test_bad_scenarios_name_field_and_reason(raw, message):
    with pytest.raises(TalentcastError, match=message):
        load_scenario(raw)


def test_bad_files(tmp_path):
    with pytest.raises(TalentcastError, match="scenario file not found"):
        load_scenario(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(TalentcastError, match=r"broken.yaml: cannot parse"):
        load_scenario(broken)


@pytest.mark.parametrize("name, text, message", [
    ("scenario.yaml", "percent: .nan", r"scenario.yaml: changes\[0\].percent: must be a finite number"),
    ("scenario.yaml", "percent: -.inf", r"scenario.yaml: changes\[0\].percent: must be a finite number"),
    ("scenario.json", '"percent": NaN', r"scenario.json: changes\[0\].percent: must be a finite number"),
    ("scenario.json", '"persons": Infinity', r"scenario.json: changes\[0\].persons: must be a finite number"),
])
def test_nan_and_infinity_are_refused_naming_file_and_field(tmp_path, name, text, message):
    path = tmp_path / name
    if name.endswith(".json"):
        path.write_text('{"id": "s1", "name": "x", "changes": [{"kind": "employment_change", '
                        '"target": {"region": "450200", "sector": "C36"}, ' + text + "}]}", encoding="utf-8")
    else:
        path.write_text("id: s1\nname: x\nchanges:\n  - kind: employment_change\n"
                        "    target: {region: '450200', sector: C36}\n    " + text + "\n", encoding="utf-8")
    with pytest.raises(TalentcastError, match=message):
        load_scenario(path)


def test_every_problem_is_named_and_unknown_fields_list_the_allowed_ones():
    with pytest.raises(TalentcastError) as caught:
        load_scenario(_scenario(
            {"kind": "employment_change", "target": {"region": "450200", "sector": "C36"}, "percent": 5,
             "value": 3},
            {"kind": "intake", "target": {"school": "S1", "major": "460701"}, "value": 120, "years": [2027, 3000]}))
    message = str(caught.value)
    assert ("changes[0].value: unknown field; allowed here: kind, target, percent, persons, years" in message
            and "changes[1].years[1]: must be a year between 1990 and 2100, got 3000" in message)


def test_a_scenario_that_changes_nothing_changes_nothing(fitted):
    baseline = compute_results(fitted.state)
    noop = apply_scenario(fitted.state, _scenario(
        {"kind": "employment_change", "target": {"region": "450200", "sector": "C36"}, "percent": 0},
        {"kind": "parameter", "target": {"sector": "C36"}, "parameter": "replacement_rate", "value": 0.03}))
    for kind, frame in baseline.items():
        pd.testing.assert_frame_equal(frame, noop[kind], check_exact=True)
    for kind, frame in fitted.results.items():
        pd.testing.assert_frame_equal(frame, baseline[kind])


def test_scenarios_share_the_baseline_supply_simulation_only_when_they_leave_supply_alone(fitted):
    # The supply simulation of a state is kept for scenarios that do not touch supply; a copy of the state
    # (nothing kept) must give the same numbers, and a supply change must not see the kept simulation.
    plant = load_scenario(DOCS / "ev-plant-2027.yaml")
    kept = apply_scenario(fitted.state, plant)
    fresh = apply_scenario(dataclasses.replace(fitted.state), plant)
    for kind, frame in kept.items():
        pd.testing.assert_frame_equal(frame, fresh[kind], check_exact=True)
    retention = apply_scenario(fitted.state, _scenario(
        {"kind": "parameter", "target": {"major": "460701"}, "parameter": "local_retention", "value": 0.1}))
    mine = retention["supply"]["major"] == "460701"
    before = fitted.results["supply"]
    assert (retention["supply"].loc[mine, "graduate_entrants"].to_numpy()
            < 0.5 * before.loc[mine, "graduate_entrants"].to_numpy()).all()
    pd.testing.assert_frame_equal(retention["supply"][~mine], before[~mine])


def _row(frame, **keys):
    mask = np.ones(len(frame), dtype=bool)
    for k, v in keys.items():
        mask &= (frame[k] == v).to_numpy()
    assert mask.sum() == 1
    return frame[mask].iloc[0]


def test_employment_change_lifts_the_sector_and_its_parents_from_its_year(fitted):
    base = fitted.results["demand"]
    plant = apply_scenario(fitted.state, load_scenario(DOCS / "ev-plant-2027.yaml"))["demand"]
    for year in (2025, 2026):
        assert _row(plant, sector="C36", year=year)["openings_mean"] == pytest.approx(
            _row(base, sector="C36", year=year)["openings_mean"])
    before = _row(base, region="450200", sector="C36", year=2027)
    after = _row(plant, region="450200", sector="C36", year=2027)
    assert after["employment_mean"] == pytest.approx(1.15 * before["employment_mean"])
    # The jump of 15% of the 2027 level is extra expansion in 2027, and it shows in C and in the province.
    jump = after["employment_mean"] - before["employment_mean"]
    assert after["expansion_mean"] == pytest.approx(before["expansion_mean"] + jump)
    for region, sector in (("450200", "C"), ("450000", "C")):
        lift = _row(plant, region=region, sector=sector, year=2027)["employment_mean"] - \
            _row(base, region=region, sector=sector, year=2027)["employment_mean"]
        assert lift == pytest.approx(jump)
    gaps = apply_scenario(fitted.state, load_scenario(DOCS / "ev-plant-2027.yaml"))["gaps"]
    assert _row(gaps, sector="C36", year=2027)["gap_mean"] > _row(fitted.results["gaps"], sector="C36",
                                                                    year=2027)["gap_mean"]


def test_parameter_change_sets_the_replacement_rate(fitted):
    out = apply_scenario(fitted.state, load_scenario(DOCS / "c36-replacement-4pct.yaml"))["demand"]
    c36 = out[out["sector"] == "C36"].sort_values("year")
    employment_before = np.r_[1450.0, c36["employment_mean"].to_numpy()[:-1]]  # 2024 observed = 1000 + 50 x 9
    np.testing.assert_allclose(c36["replacement_mean"], 0.04 * employment_before)
    other = out[out["sector"] == "I"]
    np.testing.assert_allclose(other["replacement_mean"],
                               fitted.results["demand"].query("sector == 'I'")["replacement_mean"])


def test_planned_intake_reaches_supply_after_the_programme_length(fitted):
    out = apply_scenario(fitted.state, _scenario(
        {"kind": "intake", "target": {"school": "S1", "major": "460701"}, "value": 120, "years": {"from": 2026}}))
    supply = out["supply"].query("school == 'S1' and major == '460701'").set_index("year")
    assert supply.loc[2027, "intake_source"] == "pipeline"      # admitted 2024, already in school
    assert supply.loc[2028, "intake_source"] == "forecast"      # admitted 2025, after the data
    assert supply.loc[2029, "intake_source"] == "planned"       # admitted 2026
    base = fitted.results["supply"].query("school == 'S1' and major == '460701'").set_index("year")
    # Same draws of the rates: the planned cohort scales graduates by 120 / 200 exactly.
    assert supply.loc[2029, "expected_graduates"] == pytest.approx(base.loc[2029, "expected_graduates"] * 0.6,
                                                                   rel=0.02)
    assert supply.loc[2029, "expected_graduates"] == pytest.approx(120 * 0.9, rel=0.02)


def test_unknown_targets_are_user_errors(fitted):
    with pytest.raises(TalentcastError, match=r"changes\[0\].target: no employment series 450200\|C99"):
        apply_scenario(fitted.state, _scenario(
            {"kind": "employment_change", "target": {"region": "450200", "sector": "C99"}, "percent": 5}))
    with pytest.raises(TalentcastError, match=r"changes\[0\].years: selects none of the forecast years 2025-2029"):
        apply_scenario(fitted.state, _scenario(
            {"kind": "parameter", "target": {"sector": "C36"}, "parameter": "replacement_rate", "value": 0.04,
             "years": {"to": 2020}}))
    with pytest.raises(TalentcastError, match="school 'S2' does not offer major '460701'"):
        apply_scenario(fitted.state, _scenario(
            {"kind": "intake", "target": {"school": "S2", "major": "460701"}, "value": 10}))
