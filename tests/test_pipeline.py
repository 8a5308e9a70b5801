"""The pipeline end to end on hand-made tables: known answers, accounting identities, coherence, state."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _supply_demand_fixtures import linear_sampler, tiny_tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.errors import TalentcastError
from forecasting.assumptions import load_assumptions
from forecasting.pipeline import run_pipeline
from forecasting.results import PipelineState, compute_results
from talentcast.reference_data import with_crosswalk_reference

COLUMNS = {
    "demand": "region, sector, year, employment_mean, employment_lo_80, employment_hi_80, expansion_mean, "
              "replacement_mean, openings_mean, graduate_openings_mean, graduate_openings_lo_80, "
              "graduate_openings_hi_80, graduate_openings_lo_95, graduate_openings_hi_95, model",
    "supply": "region, school, major, year, intake_source, expected_graduates, graduate_entrants",
    "supply_by_sector": "region, sector, year, graduate_entrants",
    "gaps": "region, sector, year, openings_mean, supply_mean, gap_mean, gap_lo_80, gap_hi_80, gap_lo_95, "
            "gap_hi_95, ratio_median, ratio_lo_80, ratio_hi_80, ratio_lo_95, ratio_hi_95, p_shortage, p_surplus, "
            "shortage_threshold, surplus_threshold, assumption_share, current_ratio, conditions_check, "
            "not_rated_reason, rating_note_zh, rating_note_en",
    "major_pressure": "region, major, year, pressure_median, pressure_lo_80, pressure_hi_80, p_shortage, "
                      "p_surplus, rated_weight, assumption_share, current_ratio, conditions_check, "
                      "not_rated_reason, rating_note_zh, rating_note_en",
}


@pytest.fixture(scope="module")
def exact():
    """Noise-free employment forecasts and the assumed parameters at their central values: hand-computable."""
    return run_pipeline(tiny_tables(), horizon=3, n_paths=200, seed=3, sampler=linear_sampler(0.0),
                        assumptions=load_assumptions().fixed())


@pytest.fixture(scope="module")
def noisy():
    return run_pipeline(tiny_tables(), horizon=5, n_paths=300, seed=3, sampler=linear_sampler(0.02))


def _row(frame, **keys):
    mask = np.ones(len(frame), dtype=bool)
    for k, v in keys.items():
        mask &= (frame[k] == v).to_numpy()
    assert mask.sum() == 1, keys
    return frame[mask].iloc[0]


def test_result_columns_follow_the_contract(noisy):
    for kind, columns in COLUMNS.items():
        assert list(noisy.results[kind].columns) == columns.split(", "), kind
    assert noisy.meta["years"] == [2025, 2026, 2027, 2028, 2029] and noisy.meta["base_year"] == 2024


def test_known_answer_demand_of_a_growing_and_a_shrinking_division(exact):
    demand = exact.results["demand"]
    c36 = _row(demand, region="450200", sector="C36", year=2025)
    # 1450 in 2024 -> 1500: expansion 50, replacement 0.03 x 1450 = 43.5, graduate share 0.5.
    assert c36["employment_mean"] == pytest.approx(1500)
    assert c36["expansion_mean"] == pytest.approx(50)
    assert c36["replacement_mean"] == pytest.approx(43.5)
    assert c36["openings_mean"] == pytest.approx(93.5)
    assert c36["graduate_openings_mean"] == pytest.approx(46.75)
    c35 = _row(demand, region="450200", sector="C35", year=2025)
    # 410 -> 400: the decline of 10 is taken off its 12.3 leavers (separations method): openings 2.3.
    assert c35["expansion_mean"] == pytest.approx(0)
    assert c35["replacement_mean"] == pytest.approx(2.3)
    assert c35["openings_mean"] == pytest.approx(2.3)
    # Section C (3360 -> 3400) is the sum of C36, C35 and the rest (1500, flat): 93.5 + 2.3 + 45 = 140.8, the
    # section's own change plus separations (40 + 100.8); a per-path floor on C35 made it 150.8.
    section = _row(demand, region="450200", sector="C", year=2025)
    assert section["employment_mean"] == pytest.approx(3400)
    assert section["expansion_mean"] == pytest.approx(50)      # C36's growth; C35's decline sits in replacement
    assert section["openings_mean"] == pytest.approx(140.8)


def test_known_answer_supply_and_gap(exact):
    supply = exact.results["supply"]
    row = _row(supply, school="S1", major="460701", year=2025)
    assert row["intake_source"] == "pipeline"
    # Local job seekers: 200 admitted in 2022 x 0.9 completion x 0.9 not studying on x 0.5 local = 81
    # (72 of them employed; supply counts the 9 without a job too).
    assert row["expected_graduates"] == pytest.approx(180, rel=0.01)
    assert row["graduate_entrants"] == pytest.approx(81, rel=0.01)
    gaps = exact.results["gaps"]
    c36 = _row(gaps, region="450200", sector="C36", year=2025)
    assert c36["supply_mean"] == pytest.approx(0.7 * 81, rel=0.01)          # crosswalk weight 0.7
    assert c36["gap_mean"] == pytest.approx(46.75 - 0.7 * 81, rel=0.02)
    # The sector I is fed by 510201 only (90 x 0.9 x 0.5 = 40.5 job seekers): 0.5 x (5 + 0.03 x 445) / 40.5
    # = 0.23 -> surplus for sure.
    it = _row(gaps, region="450200", sector="I", year=2025)
    assert it["ratio_median"] == pytest.approx(0.5 * (5 + 0.03 * 445) / 40.5, rel=0.02)
    assert it["p_surplus"] == 1.0 and it["p_shortage"] == 0.0


def test_accounting_identities_hold_on_every_row(noisy):
    demand = noisy.results["demand"].set_index(["region", "sector", "year"]).sort_index()
    params = 0.03  # no sector_parameters: the documented default everywhere
    for (region, sector), group in demand.groupby(level=[0, 1]):
        employment = group["employment_mean"].to_numpy()
        # Replacement is at most the leavers (rate x previous year's employment): fewer where parts decline.
        assert (group["replacement_mean"].to_numpy()[1:] <= params * employment[:-1] * (1 + 1e-9)).all()
    # Openings >= expansion + replacement (equal unless a path falls by more than its leavers), expansion >= 0.
    assert (demand["openings_mean"] >= demand["expansion_mean"] + demand["replacement_mean"] - 1e-6).all()
    assert (demand["expansion_mean"] >= -1e-6).all()
    np.testing.assert_allclose(demand["graduate_openings_mean"], 0.5 * demand["openings_mean"], rtol=1e-9)


def test_children_sum_to_parents_and_supply_is_conserved(noisy):
    state = noisy.state
    index = state.hierarchy.node_index()
    # Path by path, the province's section equals the city's plus the rest of the province, and the city's
    # section is at least the sum of its divisions.
    from forecasting.reconcile import aggregate

    nodes = aggregate(state.hierarchy, state.atom_paths)
    assert (nodes[index[("450000", "C")]] >= nodes[index[("450200", "C")]] - 1e-6).all()
    assert (nodes[index[("450200", "C")]] >= nodes[index[("450200", "C36")]] + nodes[index[("450200", "C35")]]
            - 1e-6).all()
    assert state.atom_paths.min() >= 0
    # Every entrant is counted once among the top-level sectors of the city (crosswalk weights sum to 1)...
    by_sector = noisy.results["supply_by_sector"].query("region == '450200' and sector in ['C', 'I']")
    total = noisy.results["supply"].groupby("year")["graduate_entrants"].sum()
    np.testing.assert_allclose(by_sector.groupby("year")["graduate_entrants"].sum().to_numpy(), total.to_numpy())
    # ... and the province counts the city's schools too.
    province = noisy.results["supply_by_sector"].query("region == '450000'")["graduate_entrants"].to_numpy()
    city = noisy.results["supply_by_sector"].query("region == '450200' and sector in ['C', 'I']")
    np.testing.assert_allclose(province, city["graduate_entrants"].to_numpy())


def test_same_seed_same_numbers_and_state_round_trip(noisy):
    again = run_pipeline(tiny_tables(), horizon=5, n_paths=300, seed=3, sampler=linear_sampler(0.02))
    pd.testing.assert_frame_equal(again.results["gaps"], noisy.results["gaps"])
    restored = PipelineState.from_bytes(noisy.state.to_bytes())
    pd.testing.assert_frame_equal(compute_results(restored)["major_pressure"], noisy.results["major_pressure"])


class _RunsCode:
    """What an attacker would put in a pickled state: unpickling it runs `touch <marker>`."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_a_pickled_state_is_refused_without_being_unpickled(noisy, tmp_path):
    import pickle

    from forecasting.state_format import StateFormatError

    marker = tmp_path / "pwned"
    for payload in (pickle.dumps(_RunsCode(marker)), pickle.dumps(noisy.state, protocol=4)):
        with pytest.raises(StateFormatError, match="pickle from an older talentcast.*rerun"):
            PipelineState.from_bytes(payload)
    assert not marker.exists()
    data = noisy.state.to_bytes()
    for damaged in (data[: len(data) // 2], b"PK\x03\x04 not a zip", b"{}"):
        with pytest.raises(StateFormatError, match="rerun"):
            PipelineState.from_bytes(damaged)


def test_region_keeps_its_rows_and_descendants(noisy):
    city = run_pipeline(tiny_tables(), horizon=5, n_paths=300, seed=3, sampler=linear_sampler(0.02),
                        region="450200")
    assert set(city.results["gaps"]["region"]) == {"450200"}
    pd.testing.assert_frame_equal(city.results["gaps"],
                                  noisy.results["gaps"].query("region == '450200'").reset_index(drop=True))


def test_missing_tables_and_bad_region_are_user_errors():
    tables = tiny_tables()
    del tables["enrolment"]
    with pytest.raises(TalentcastError, match="missing input table.*enrolment"):
        run_pipeline(tables, sampler=linear_sampler())
    with pytest.raises(TalentcastError, match="region '999999' is not in the regions table"):
        run_pipeline(tiny_tables(), region="999999", sampler=linear_sampler())


def test_crosswalk_is_built_when_missing_and_the_run_says_so():
    tables = tiny_tables()
    del tables["major_sector_map"]
    # Majors with official teaching-standard links in the real data (物联网应用技术, 软件技术).
    tables["majors"] = tables["majors"].assign(code=["510102", "510203", "460301"])
    tables["enrolment"] = tables["enrolment"].assign(
        major=tables["enrolment"]["major"].map({"460701": "510102", "510201": "510203", "460301": "460301"}))
    with pytest.raises(TalentcastError, match="major_sector_map is missing and cannot be built"):
        run_pipeline(tables, horizon=2, n_paths=50, sampler=linear_sampler())
    # The pipeline reads no file: the packaged crosswalk sources come from talentcast.reference_data.
    result = run_pipeline(with_crosswalk_reference(tables), horizon=2, n_paths=50, sampler=linear_sampler())
    assert result.meta["map_source"] == "built"
    assert "major_occupation_links" not in result.state.tables
    assert any("build_major_sector_map" in note for note in result.meta["notes"])
    crosswalk = result.state.major_sector_map
    np.testing.assert_allclose(crosswalk.groupby("major")["weight"].sum(), 1.0)
    assert set(crosswalk["sector"]) <= set(tables["sectors"]["code"])


def test_crosswalk_reference_is_added_only_when_the_pipeline_needs_it():
    tables = tiny_tables()
    same = with_crosswalk_reference(tables)
    assert same == tables and same is not tables  # a map is given: nothing read, nothing added
    del tables["major_sector_map"]
    added = with_crosswalk_reference(tables)
    assert {"major_occupation_links", "occupation_sector"} <= set(added) and "occupation_sector" not in tables
    assert {"major_code", "occupation_code"} <= set(added["major_occupation_links"].columns)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(growth=st.lists(st.integers(-40, 60), min_size=4, max_size=4),
       intake=st.lists(st.integers(0, 300), min_size=3, max_size=3), seed=st.integers(0, 10))
def test_property_random_small_cities_stay_coherent_and_non_negative(growth, intake, seed):
    tables = tiny_tables()
    employment = tables["employment"].copy()
    for (region, sector), slope in zip([("450200", "C36"), ("450200", "C35"), ("450200", "I"), ("450000", "I")],
                                       growth):
        mask = (employment["region"] == region) & (employment["sector"] == sector)
        employment.loc[mask, "employed"] = np.maximum(
            employment.loc[mask, "employed"] + slope * (employment.loc[mask, "year"] - 2015), 0)
    tables["employment"] = employment
    enrolment = tables["enrolment"].copy()
    for (school, major), n in zip([("S1", "460701"), ("S1", "510201"), ("S2", "460301")], intake):
        enrolment.loc[(enrolment["school"] == school) & (enrolment["major"] == major), "intake"] = n
    tables["enrolment"] = enrolment
    result = run_pipeline(tables, horizon=3, n_paths=60, seed=seed, sampler=linear_sampler(0.05))
    demand, gaps = result.results["demand"], result.results["gaps"]
    assert (demand[["employment_mean", "openings_mean", "graduate_openings_mean"]] >= 0).all().all()
    key = ["region", "sector", "year"]
    wide = demand.set_index(key)["employment_mean"]
    for year in result.meta["years"]:
        assert wide[("450200", "C", year)] >= wide[("450200", "C36", year)] + wide[("450200", "C35", year)] - 1e-6
        assert wide[("450000", "I", year)] >= wide[("450200", "I", year)] - 1e-6
    rated = gaps["not_rated_reason"].isna()
    assert (gaps["supply_mean"] >= 0).all() and gaps.loc[rated, "p_shortage"].between(0, 1).all()
    # Not rated exactly where local supply is below one person or 5% of the openings, or for the province
    # (only one of its regions' schools is in the data): then no ratio and no probability.
    city = gaps["region"] == "450200"
    small = (gaps["supply_mean"] < 1) | (gaps["supply_mean"] < 0.05 * gaps["openings_mean"])
    assert (rated == (city & ~small)).all()
    assert gaps.loc[~rated, ["ratio_median", "p_shortage", "p_surplus"]].isna().all().all()
    assert (result.results["supply"]["graduate_entrants"] <= result.results["supply"]["expected_graduates"]
            + 1e-9).all()


# ------------------------------------------------------------------------------------------------ CLI (real
# SQLite storage, real MLflow store under the test's TALENTCAST_HOME, the real forecasting engine)

DOCS_SCENARIOS = __import__("pathlib").Path(__file__).resolve().parents[1] / "docs" / "scenarios"


def _ingest_tiny(storage):
    from features.validation import validate_table

    for name, frame in tiny_tables().items():
        checked = validate_table(name, frame, f"{name}.csv", references=storage.load_references(name))
        storage.ingest(name, checked.frame, source_file=f"{name}.csv")


def _cli(args, capsys):
    from talentcast.cli import main

    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_run_stores_results_state_and_tracks_scenarios(capsys):
    from talentcast.settings import get_settings
    from talentcast.storage import Storage

    with Storage() as storage:
        _ingest_tiny(storage)
        versions = storage.current_versions()
    code, out, err = _cli(["run", "--quiet", "--paths", "50", "--no-track", "--horizon", "4", "--method", "drift"], capsys)
    assert code == 0, err
    assert "run 1 stored" in out and "not tracked" in out
    assert "Top surplus sectors 过剩行业" in out and "P(surplus) = " in out
    # The run notes say what local supply covers (and that Guangxi cannot be rated on Liuzhou's schools).
    assert "note: supply coverage 450200 Liuzhou: 2 school(s) with enrolment (of 2 in the schools table), " \
           "3 major(s)" in out
    assert "note: supply coverage 450000 Guangxi: 0 of 2 sectors rated (incomplete_supply for the others)" in out
    with Storage() as storage:
        run = storage.latest_run()
        assert run.run_id == 1 and run.dataset_versions == versions and run.horizon == 4
        assert run.scenario_id is None and run.mlflow_run_id is None
        gaps = storage.load_results("gaps", run_id=1)
        assert len(gaps) == 6 * 4 and set(gaps["year"]) == {2025, 2026, 2027, 2028}
        assert len(storage.load_results("warnings", run_id=1)) == 3
    # The saved state recomputes the stored numbers without refitting.
    state_file = get_settings().home / "states" / "run-1.state.zip"
    assert state_file.read_bytes()[:2] == b"PK"  # a zip of Parquet, NumPy and JSON, not a pickle
    state = PipelineState.from_bytes(state_file.read_bytes())
    recomputed = compute_results(state)["gaps"].set_index(["region", "sector", "year"]).sort_index()
    stored = gaps.set_index(["region", "sector", "year"]).sort_index()
    np.testing.assert_allclose(recomputed["p_shortage"], stored["p_shortage"])
    np.testing.assert_allclose(recomputed["gap_mean"], stored["gap_mean"], rtol=1e-9)

    code, out, err = _cli(["run", "--quiet", "--paths", "50", "--horizon", "4", "--method", "drift", "--scenario",
                           str(DOCS_SCENARIOS / "ev-plant-2027.yaml")], capsys)
    assert code == 0, err
    assert "scenario ev-plant-2027" in out and "MLflow run " in out
    with Storage() as storage:
        run = storage.latest_run("ev-plant-2027")
        assert run.run_id == 2 and run.scenario["changes"][0]["percent"] == 15
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=get_settings().mlflow_tracking_uri)
    tracked = client.get_run(run.mlflow_run_id)
    assert tracked.data.params["pipeline.scenario_id"] == "ev-plant-2027"
    assert tracked.data.params["dataset.employment"] == "1"
    assert tracked.data.metrics["gaps.rows"] == 24
    # The engine's rolling-origin backtest is tracked next to the forecast, and the stored run points to it.
    backtest_id = tracked.data.tags["talentcast.backtest_run"]
    assert f"MLflow backtest run {backtest_id}" in run.notes
    backtest = client.get_run(backtest_id)
    assert backtest.data.tags["talentcast.kind"] == "backtest" and backtest.data.metrics["drift.mase"] > 0


def test_cli_errors_are_one_line(tmp_path, capsys):
    code, out, err = _cli(["run", "--quiet", "--no-track"], capsys)
    assert code == 2 and err.startswith("error: missing input table(s): regions") and "Traceback" not in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nname: x\nchanges:\n  - kind: employment_change\n    target: {region: '450200'}\n"
                   "    percent: 5\n", encoding="utf-8")
    code, out, err = _cli(["run", "--quiet", "--no-track", "--scenario", str(bad)], capsys)
    assert code == 2
    assert err.strip() == (f"error: {bad}: changes[0].target.sector: is required / "
                           "情景设置有误（文件、字段与原因见前面的英文）")


def test_demo_summary_ranks_surplus_and_keeps_unrated_sectors_apart(exact):
    from talentcast.service import summarise_gaps

    tables = tiny_tables()
    results = {k: v.copy() for k, v in exact.results.items()}
    summary = summarise_gaps(results, tables, "450200", 2025)
    # C35 (ratio ~0.02) and I (~0.23) are surely in surplus; C36 (46.75 / 56.7 = 0.82) is neither.
    assert list(summary["surplus_sectors"]["sector"])[:2] == ["C35", "I"]
    assert summary["surplus_sectors"]["name_zh"].iloc[0] == "专用设备制造业"
    assert summary["surplus_sectors"]["name_en"].iloc[0] == "Special-purpose machinery"
    assert summary["shortage_sectors"].empty
    # 460701 feeds C36 (0.82) with weight 0.7 and the rest of C (0.50) with 0.3: geometric mean 0.71, surplus.
    assert list(summary["surplus_majors"]["major"]) == ["460301", "510201", "460701"]
    # A sector with openings but no local supply is not ranked as a shortage.
    results["gaps"].loc[results["gaps"]["sector"] == "C36", "supply_mean"] = 0.0
    results["gaps"].loc[results["gaps"]["sector"] == "C36", "p_shortage"] = 1.0
    summary = summarise_gaps(results, tables, "450200", 2025)
    assert "C36" not in set(summary["shortage_sectors"]["sector"])
    assert list(summary["not_rated_sectors"]["sector"]) == ["C36"]
