"""Honest coverage: gaps without local supply have no ratio, majors without demand information are not rated,
provinces are compared only with provincial supply, and the run says what local supply covers.

Hand-made tables (tests/_supply_demand_fixtures.py: a tiny Liuzhou with hand-computable numbers) through the
real pipeline, warnings and summaries.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _supply_demand_fixtures import linear_sampler, tiny_tables

from early_warning import compute_warnings
from forecasting.assumptions import load_assumptions
from forecasting.gaps import gap_table, pressure_table
from forecasting.pipeline import run_pipeline
from talentcast.service import summarise_gaps, summarise_warnings
from test_pipeline import _row

RATIO_COLUMNS = ["ratio_median", "ratio_lo_80", "ratio_hi_80", "ratio_lo_95", "ratio_hi_95", "p_shortage",
                 "p_surplus"]


def _run(tables, **kw):
    # Assumed parameters at their central values: coverage is about which ratios exist, not their spread.
    return run_pipeline(tables, horizon=kw.pop("horizon", 3), n_paths=kw.pop("n_paths", 100), seed=3,
                        sampler=linear_sampler(0.0), assumptions=load_assumptions().fixed(), **kw)




# --- the statistics ---------------------------------------------------------------------------------------


def test_gap_table_leaves_unrated_cells_without_ratio_and_keeps_their_gap():
    keys = pd.DataFrame({"region": ["450200", "450200", "450000"], "sector": ["C36", "S", "C"]})
    openings = np.full((3, 1, 50), 200.0)
    supply = np.stack([np.full((1, 50), 100.0), np.zeros((1, 50)), np.full((1, 50), 100.0)])
    rated = np.array([[True], [False], [False]])
    gap_known = np.array([[True], [True], [False]])
    frame, ratio = gap_table(keys, [2026], openings, supply, rated=rated, gap_known=gap_known)
    assert frame.loc[0, "ratio_median"] == 2.0 and frame.loc[0, "p_shortage"] == 1.0
    # Before: 200 openings / max(0, 1) = a ratio of 200 and P(shortage) = 100% for a sector nobody trains for.
    assert ratio[1, 0, 0] == 200.0
    assert frame.loc[1, RATIO_COLUMNS].isna().all() and frame.loc[1, "gap_mean"] == 200.0
    assert frame.loc[2, RATIO_COLUMNS + ["gap_mean", "gap_lo_80", "gap_hi_95"]].isna().all()
    assert frame.loc[2, "supply_mean"] == 100.0


def test_pressure_counts_only_rated_sectors_renormalised():
    # A major sends 70% of its graduates to a rated sector (ratio 2) and 30% to one without local supply (200).
    ratio = np.stack([np.full((2, 10), 2.0), np.full((2, 10), 200.0)])
    rated = np.array([[True, False], [False, False]])  # year 2: neither sector rated
    keys = pd.DataFrame({"region": ["450200"], "major": ["460701"]})
    out = pressure_table(keys, [2026, 2027], np.array([[0.7, 0.3]]), ratio, rated=rated)
    first, second = out.iloc[0], out.iloc[1]
    assert first["pressure_median"] == pytest.approx(2.0)  # not 0.7 x 2 + 0.3 x 200 = 61.4
    assert first["rated_weight"] == pytest.approx(0.7) and first["p_shortage"] == 1.0
    assert np.isnan(second[["pressure_median", "pressure_lo_80", "p_shortage", "p_surplus"]].astype(float)).all()
    assert second["rated_weight"] == 0.0


# --- sectors without local supply -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def no_it_supply():
    """The computer major 510201 feeds manufacturing (C) instead of IT (I): nobody trains for I in Liuzhou."""
    tables = tiny_tables()
    crosswalk = tables["major_sector_map"]
    tables["major_sector_map"] = crosswalk.assign(sector=crosswalk["sector"].replace({"I": "C"}))
    return tables, _run(tables)


def test_sector_without_local_supply_has_no_ratio_and_a_reason(no_it_supply):
    tables, result = no_it_supply
    it = _row(result.results["gaps"], region="450200", sector="I", year=2025)
    # 0.5 x (5 expansion + 0.03 x 445 replacement) = 9.175 graduate openings, no local entrant.
    assert it["openings_mean"] == pytest.approx(9.175) and it["supply_mean"] == 0.0
    assert it["gap_mean"] == pytest.approx(9.175)  # the unmet openings are real
    assert it[RATIO_COLUMNS].isna().all()           # was ratio 9.175 and P(shortage) = 100%
    assert it["not_rated_reason"] == "no_supply"
    assert it["rating_note_en"].startswith("not rated: no local supply - no major in the region's schools feeds")
    assert it["rating_note_zh"].startswith("不评估：本地区学校没有任何专业对口该行业")
    rated = _row(result.results["gaps"], region="450200", sector="C", year=2025)
    assert rated["not_rated_reason"] is None and rated["ratio_median"] > 0


def test_summary_never_ranks_an_unrated_sector(no_it_supply):
    tables, result = no_it_supply
    summary = summarise_gaps(result.results, tables, "450200", 2025)
    ranked = set(summary["shortage_sectors"]["sector"]) | set(summary["surplus_sectors"]["sector"])
    assert "I" not in ranked
    assert list(summary["not_rated_sectors"]["sector"]) == ["I"]
    assert summary["not_rated_sectors"]["not_rated_reason"].tolist() == ["no_supply"]


def test_negligible_supply_is_not_rated_and_leaves_the_major_pressure():
    tables = tiny_tables()
    enrolment = tables["enrolment"]
    # Five automotive students a year: 5 x 0.405 = 2.0 local job seekers, 0.7 of them (1.4) into C36, whose
    # 46.75 graduate openings they cover 3% of: below 5%, so C36 has no ratio (it would have been ~37).
    tables["enrolment"] = enrolment.assign(intake=enrolment["intake"].where(enrolment["major"] != "460701", 5))
    for column in ("graduates", "graduates_employed", "graduates_further_study", "graduates_local"):
        tables["enrolment"][column] = tables["enrolment"][column].where(enrolment["major"] != "460701", None)
    result = _run(tables)
    gaps = result.results["gaps"]
    c36 = _row(gaps, region="450200", sector="C36", year=2025)
    assert c36["supply_mean"] > 1 and c36["supply_mean"] < 0.05 * c36["openings_mean"]
    assert c36["not_rated_reason"] == "negligible_supply" and np.isnan(c36["ratio_median"])
    assert "below 5% of them or below 1 person" in c36["rating_note_en"]
    # The major feeds C36 (0.7) and C (0.3): its pressure is C's ratio alone, path by path.
    section = _row(gaps, region="450200", sector="C", year=2025)
    pressure = _row(result.results["major_pressure"], region="450200", major="460701", year=2025)
    assert pressure["rated_weight"] == pytest.approx(0.3)
    assert pressure["pressure_median"] == pytest.approx(section["ratio_median"])
    assert pressure["p_shortage"] == section["p_shortage"]


# --- provinces ----------------------------------------------------------------------------------------------


def test_province_without_provincial_supply_is_not_rated():
    """Today's case: Liuzhou's schools only, but Guangxi's openings forecast (for coherence)."""
    result = _run(tiny_tables())
    province = result.results["gaps"].query("region == '450000'")
    assert len(province) == 6 and (province["not_rated_reason"] == "incomplete_supply").all()
    assert province[RATIO_COLUMNS + ["gap_mean", "gap_lo_95"]].isna().all().all()
    c = _row(province, sector="C", year=2025)
    # Before: 363.5 Guangxi graduate openings against Liuzhou's 141.7 job seekers, "ratio 2.6".
    assert c["openings_mean"] == pytest.approx(363.5) and c["supply_mean"] == pytest.approx(141.7, rel=0.01)
    # 293.1 of the 363.5 openings (81%) are outside Liuzhou, where the data has no school.
    assert c["rating_note_en"] == ("not rated: incomplete supply - 81% of Guangxi's graduate openings in this "
                                   "sector are in areas without any school in the data; add those schools "
                                   "(enrolment and outcomes) to rate it")
    # The city itself is rated as before.
    assert result.results["gaps"].query("region == '450200'")["not_rated_reason"].isna().all()


def _with_nanning(tables, enrolled: bool = True):
    """A second city (Nanning, no employment series) with one school training 150 machinery students a year."""
    tables["regions"] = pd.concat([tables["regions"], pd.DataFrame({
        "code": ["450100"], "name_zh": ["南宁市"], "name_en": ["Nanning"], "parent": ["450000"],
        "level": ["city"]})], ignore_index=True)
    tables["schools"] = pd.concat([tables["schools"], pd.DataFrame({
        "code": ["S3"], "name": ["南宁职业技术学院"], "region": ["450100"], "type": ["高职"]})], ignore_index=True)
    if enrolled:
        s2 = tables["enrolment"][tables["enrolment"]["school"] == "S2"]
        tables["enrolment"] = pd.concat([tables["enrolment"], s2.assign(school="S3")], ignore_index=True)
    return tables


def test_province_with_all_its_schools_is_compared_with_provincial_supply():
    result = _run(_with_nanning(tiny_tables()))
    gaps = result.results["gaps"]
    city = _row(gaps, region="450200", sector="C", year=2025)
    province = _row(gaps, region="450000", sector="C", year=2025)
    # Guangxi = Liuzhou + Nanning (the regions table's two cities, both with schools): supply adds Nanning's
    # 61.6 machinery job seekers (150 x 0.41) to Liuzhou's 141.7; the ratio is provincial openings / provincial supply.
    assert province["not_rated_reason"] is None
    assert province["supply_mean"] == pytest.approx(city["supply_mean"] + 61.6, rel=0.01)
    assert province["ratio_median"] == pytest.approx(363.5 / province["supply_mean"], rel=0.02)
    assert province["gap_mean"] == pytest.approx(363.5 - province["supply_mean"])


def test_province_with_a_city_missing_its_schools_is_not_rated():
    tables = _with_nanning(tiny_tables(), enrolled=False)  # Nanning is listed, its school has no enrolment
    result = _run(tables)
    province = _row(result.results["gaps"], region="450000", sector="I", year=2025)
    assert province["not_rated_reason"] == "incomplete_supply" and np.isnan(province["ratio_median"])
    assert "the schools in the data are in 1 of the 2 regions of Guangxi (none in Nanning)" in \
        province["rating_note_en"]
    assert "缺南宁市" in province["rating_note_zh"]


# --- the coverage note ----------------------------------------------------------------------------------------


def test_run_notes_state_supply_coverage():
    tables = _with_nanning(tiny_tables(), enrolled=False)
    result = _run(tables)
    notes = [n for n in result.meta["notes"] if n.startswith("supply coverage")]
    # Last forecast year 2027: sections C and I have 71.6 + 9.325 graduate openings and 141.7 + 40.5 job seekers
    # (C35's decline of 10 a year is taken off its leavers: 5 graduate openings fewer than with a per-path floor).
    assert notes[0] == ("supply coverage 450200 Liuzhou: 2 school(s) with enrolment (of 2 in the schools "
                        "table), 3 major(s); local graduate entrants are 225% of the graduate openings in 2027; "
                        "4 of 4 sectors have a rated ratio in every forecast year, 0 none (no, negligible or "
                        "incomplete local supply)")
    assert notes[1].startswith("supply coverage 450000 Guangxi: 0 of 2 sectors rated (incomplete_supply for the "
                               "others): incomplete supply - the schools in the data are in 1 of the 2 regions")
    city = result.meta["coverage"][0]
    assert (city["region"], city["schools"], city["schools_listed"], city["majors"], city["majors_unmapped"],
            city["sectors"], city["sectors_rated"]) == ("450200", 2, 2, 3, 0, 4, 4)
    assert city["entrants_share"] == pytest.approx((141.7 + 40.5) / (71.6 + 9.325), rel=0.01)


def test_coverage_note_says_when_few_sectors_have_local_supply():
    tables = tiny_tables()
    # Only S1's computer class (-> I) is in the enrolment data; S2 and a third school are listed without it.
    enrolment = tables["enrolment"]
    tables["enrolment"] = enrolment[(enrolment["school"] == "S1") & (enrolment["major"] == "510201")]
    tables["schools"] = pd.concat([tables["schools"], pd.DataFrame({
        "code": ["S9"], "name": ["柳州第九职业学校"], "region": ["450200"], "type": ["中职"]})], ignore_index=True)
    result = _run(tables)
    gaps = result.results["gaps"].query("region == '450200' and year == 2025").set_index("sector")
    assert gaps["not_rated_reason"].to_dict() == {"C": "no_supply", "C35": "no_supply", "C36": "no_supply",
                                                  "I": None}
    note = next(n for n in result.meta["notes"] if n.startswith("supply coverage 450200"))
    assert "1 school(s) with enrolment (of 3 in the schools table), 1 major(s)" in note
    assert "1 of 4 sectors have a rated ratio in every forecast year, 3 none" in note
    assert note.endswith("fewer than half the sectors are rated: the enrolment data probably cover only some of "
                         "Liuzhou's schools")


# --- majors without demand information --------------------------------------------------------------------


@pytest.fixture(scope="module")
def unmapped_major():
    """S1 also teaches 460608 航空发动机维修技术, which has no crosswalk row (80% employed, like its others)."""
    tables = tiny_tables()
    tables["majors"] = pd.concat([tables["majors"], pd.DataFrame({
        "code": ["460608"], "name_zh": ["航空发动机维修技术"], "level": ["高职专科"], "duration_years": [3]})],
        ignore_index=True)
    s1 = tables["enrolment"][(tables["enrolment"]["school"] == "S1") & (tables["enrolment"]["major"] == "510201")]
    tables["enrolment"] = pd.concat([tables["enrolment"], s1.assign(major="460608")], ignore_index=True)
    return tables, _run(tables, horizon=5)


def test_major_without_crosswalk_has_an_unrated_pressure_row(unmapped_major):
    tables, result = unmapped_major
    rows = result.results["major_pressure"].query("major == '460608'")
    assert len(rows) == 5 and rows["pressure_median"].isna().all() and rows["p_shortage"].isna().all()
    assert (rows["not_rated_reason"] == "no_crosswalk").all() and (rows["rated_weight"] == 0).all()
    assert rows["rating_note_en"].iloc[0].startswith("major 460608 has no row in the major-sector crosswalk")


def test_major_without_demand_information_is_not_rated_never_green(unmapped_major):
    tables, result = unmapped_major
    warnings = compute_warnings(tables, result.results, 2025, rule_set="forecast")
    w = warnings.set_index("major").loc["460608"]
    # 80% employed, no rule fires: before this was "green / no warning" with nothing known about its demand.
    assert (w["level"], w["action"], w["level_zh"]) == ("not_rated", "hold", "无法评估")
    assert w["recommended_intake"] == w["current_intake"] == 100
    assert w["rules_fired"] == [] and w["not_rated_reason"] == "no_crosswalk"
    assert w["evidence"]["not_rated_reason"] == "no_crosswalk"
    assert w["explanation_zh"].startswith("【无法评估·保持规模】柳州职业技术学院「航空发动机维修技术」（460608）：现招生100人")
    assert "不作调整建议。无法评估：专业460608不在专业—行业对照表（major_sector_map）中" in w["explanation_zh"]
    assert "[NOT RATED / hold]" in w["explanation_en"] and "add its sectors and weights to the crosswalk" in \
        w["explanation_en"]
    # The mapped majors keep their ratings (their sectors are in surplus: yellow shrink / hold, not not_rated).
    others = warnings[warnings["major"] != "460608"]
    assert "not_rated" not in set(others["level"])
    assert summarise_warnings(warnings)["levels"]["not_rated"] == 1


def test_outcome_rules_still_rate_a_major_without_demand_information(unmapped_major):
    tables, result = unmapped_major
    enrolment = tables["enrolment"].copy()
    # 460608's last two classes: 40% employed (placement 40% + 10% further study = 50%).
    bad = (enrolment["major"] == "460608") & enrolment["year"].isin([2023, 2024])
    enrolment.loc[bad, "graduates_employed"] = (enrolment.loc[bad, "graduates"] * 0.4).astype(int)
    enrolment.loc[bad, "graduates_local"] = (enrolment.loc[bad, "graduates_employed"] * 0.5).astype(int)
    poor = {**tables, "enrolment": enrolment}
    # The forecast set: a firing outcome rule decides (yellow), not the missing demand.
    w = compute_warnings(poor, result.results, 2025, rule_set="forecast").set_index("major").loc["460608"]
    assert (w["level"], w["rules_fired"][0]) == ("yellow", "forecast-outcome-risk-elevated")
    assert "forecast-low-employment-one-year" in w["rules_fired"]
    assert w["not_rated_reason"] is None
    # The outcome-only policies judge employment rates alone, with or without demand information: 80% employed
    # passes MOE 2011's test (green); placement below 60% two years running cuts the intake by 30% (red).
    good = compute_warnings(tables, {}, 2025, rule_set="moe-2011").set_index("major").loc["460608"]
    assert (good["level"], good["action"]) == ("green", "hold")
    cut = compute_warnings(poor, {}, 2025, rule_set="moe-2011").set_index("major").loc["460608"]
    assert (cut["level"], cut["action"], cut["recommended_intake"]) == ("red", "shrink", 70)


def test_outcome_only_rule_set_without_outcomes_is_not_rated():
    tables = tiny_tables()
    # A new class admitted from 2022: no graduate has been surveyed by the 2025 plan.
    new = pd.DataFrame({"school": "S2", "major": "460701", "year": [2022, 2023, 2024], "intake": 40})
    tables["enrolment"] = pd.concat([tables["enrolment"], new], ignore_index=True)
    w = compute_warnings(tables, {}, 2025, rule_set="moe-2011").set_index(["school", "major"]).loc[("S2", "460701")]
    assert (w["level"], w["action"], w["recommended_intake"]) == ("not_rated", "hold", 40)
    assert w["not_rated_reason"] == "no_outcomes"
    assert "尚无毕业生就业结果（2025年前没有已调查的毕业届），规则集moe-2011只依据就业率判断" in w["explanation_zh"]
    assert "judges on employment rates only" in w["explanation_en"]


def test_api_serves_unrated_gaps_and_not_rated_warnings(unmapped_major, tmp_path):
    from fastapi.testclient import TestClient
    from test_api_support import bearer, settings_for

    from api.main import create_app
    from features.validation import validate_table
    from talentcast.storage import RunMeta, Storage

    tables, result = unmapped_major
    settings = settings_for(tmp_path / "home")
    with Storage(settings.database_url) as storage:
        for name, frame in tables.items():
            checked = validate_table(name, frame, f"{name}.csv", references=storage.load_references(name))
            storage.ingest(name, checked.frame, source_file=f"{name}.csv")
        warnings = compute_warnings(tables, result.results, 2025, rule_set="forecast")
        storage.save_run({**result.results, "warnings": warnings},
                         RunMeta(dataset_versions=storage.current_versions(), horizon=5))
        key = bearer(storage.create_api_key("admin", name="ops")[0])
    with TestClient(create_app(settings)) as client:
        def get(path, lang="zh-CN", **params):
            return client.get(path, params=params, headers={**key, "Accept-Language": lang})

        item = get("/v1/gaps", "en", region="450000", sector="C", year=2025).json()["items"][0]
        # Was: ratio 2.9 and P(shortage) = 100% - Guangxi's openings against Liuzhou's schools.
        assert (item["ratio_median"], item["p_shortage"], item["gap_mean"]) == (None, None, None)
        assert item["supply_mean"] == pytest.approx(141.7, rel=0.01)
        assert item["not_rated_reason"] == "incomplete_supply"
        assert item["rating_note"].startswith("not rated: incomplete supply - 81% of Guangxi's graduate openings")
        item = get("/v1/gaps", region="450200", sector="C", year=2025).json()["items"][0]
        assert item["ratio_median"] > 0 and item["not_rated_reason"] is None and item["rating_note"] is None
        body = get("/v1/warnings", level="not_rated").json()
        assert body["total"] == 1 and body["items"][0]["major"] == "460608"
        assert body["items"][0]["level_zh"] == "无法评估" and body["items"][0]["action"] == "hold"
        assert body["items"][0]["explanation"].startswith("【无法评估·保持规模】")
        assert get("/v1/warnings", level="grey").status_code == 422


def test_major_whose_sectors_have_no_demand_forecast_is_not_rated():
    tables = tiny_tables()
    # 440301 建筑工程技术 feeds construction (E), for which no region has an employment series.
    tables["sectors"] = pd.concat([tables["sectors"], pd.DataFrame({
        "code": ["E"], "name_zh": ["建筑业"], "name_en": ["Construction"], "parent": [None]})], ignore_index=True)
    tables["majors"] = pd.concat([tables["majors"], pd.DataFrame({
        "code": ["440301"], "name_zh": ["建筑工程技术"], "level": ["高职专科"], "duration_years": [3]})],
        ignore_index=True)
    s2 = tables["enrolment"][tables["enrolment"]["school"] == "S2"]
    tables["enrolment"] = pd.concat([tables["enrolment"], s2.assign(major="440301")], ignore_index=True)
    tables["major_sector_map"] = pd.concat([tables["major_sector_map"], pd.DataFrame({
        "major": ["440301"], "sector": ["E"], "weight": [1.0]})], ignore_index=True)
    result = _run(tables)
    row = _row(result.results["major_pressure"], major="440301", year=2025)
    assert row["not_rated_reason"] == "no_demand_series" and np.isnan(row["pressure_median"])
    assert row["rating_note_en"] == ("the sectors it feeds (Construction) have no employment series in Liuzhou or "
                                     "above, so their demand is not forecast; add their employment to rate it")
    w = compute_warnings(tables, result.results, 2025, rule_set="forecast").set_index(["school", "major"])
    w = w.loc[("S2", "440301")]
    assert (w["level"], w["action"], w["not_rated_reason"]) == ("not_rated", "hold", "no_demand_series")
    assert "其对口行业（建筑业）在柳州市及上级地区没有就业人数数据" in w["explanation_zh"]
