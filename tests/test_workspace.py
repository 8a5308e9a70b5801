"""Workspaces (`talentcast init`): real data of one city or province, provenance kinds, and the demo kept apart.

The city panel, the NBS provincial file and the MOE catalogue are real files in talentcast/data/real; the
schools and enrolment of tests/data/workspace are small test fixtures (a planner's own files in real use).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from features.errors import TalentcastError, ValidationError
from features.validation import validate_table
from talentcast import reference_data
from talentcast.cli import main  # noqa: F401
from test_cli_data import run_cli
from talentcast.demo import GENERATED_DIR
from talentcast.service import Service
from talentcast.settings import Settings, get_settings
from talentcast.storage import Storage
from talentcast.workspace import read_workspace, resolve_region

FIXTURES = Path(__file__).resolve().parent / "data" / "workspace"
REAL_DIR = reference_data.REAL_DIR
XIAN_ROWS = 19 * 13  # Xi'an: 19 sections x 2003-2015 in the city panel
SHAANXI_ROWS = 19 * 7  # Shaanxi: 19 sections x 2009-2015 in the NBS file
KINDS = {"regions": "real", "sectors": "real", "employment": "real", "majors": "real",
         "major_sector_map": "real", "sector_parameters": "defaulted"}




def open_storage(home: Path) -> Storage:
    return Storage(f"sqlite:///{home / 'talentcast.db'}")


@pytest.fixture(scope="module")
def xian(tmp_path_factory) -> Path:
    """One Xi'an workspace made by `talentcast init --region 610100` (shared by the read-only tests)."""
    home = tmp_path_factory.mktemp("ws") / "xian"
    code = main_exit("init", "--region", "610100", "--dir", str(home))
    assert code == 0
    return home


def main_exit(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


# ----------------------------------------------------------------------------------------------- reference


def test_real_catalogue_fails_as_a_majors_table_and_majors_table_returns_it_valid():
    raw = pd.read_csv(REAL_DIR / "moe_majors_catalog.csv", dtype=str, keep_default_na=False)
    with pytest.raises(ValidationError):  # no name_zh, levels as codes (voc_associate), no duration_years
        validate_table("majors", raw, "moe_majors_catalog.csv")
    majors = reference_data.majors_table()
    checked = validate_table("majors", majors, "majors")
    assert len(checked.frame) == 1935 and not [i for i in checked.issues if i.severity == "error"]
    assert majors["level"].value_counts().to_dict() == {"高职专科": 732, "本科": 622, "中职": 344, "职业本科": 237}
    by_code = majors.set_index("code")
    assert by_code.loc["460702", ["level", "duration_years"]].tolist() == ["高职专科", 3]
    assert by_code.loc["660702", ["level", "duration_years"]].tolist() == ["中职", 3]
    assert by_code.loc["260702", ["level", "duration_years"]].tolist() == ["职业本科", 4]
    assert by_code.loc["100201K", ["level", "duration_years"]].tolist() == ["本科", 5]  # duration exception


def test_code_lists_cover_every_province_and_prefecture_city():
    regions = reference_data.regions_table()
    assert len(regions) == 31 + 296 and regions["code"].is_unique
    checked = validate_table("regions", regions, "regions")
    assert len(checked.frame) == 327
    cities = regions[regions["level"] == "city"]
    assert set(cities["parent"]) <= set(regions.loc[regions["level"] == "province", "code"])
    assert regions.set_index("code").loc["610100", "name_zh"] == "西安市"
    assert not {"110000", "120000", "310000", "500000"} & set(cities["code"])  # municipalities are provinces
    sectors = reference_data.sectors_table()
    assert len(sectors) == 19 + 8 and set(sectors.loc[sectors["parent"].notna(), "code"]) == {
        "C27", "C35", "C36", "C37", "C38", "D44", "I65", "M74"}


def test_every_province_and_city_has_an_english_name_with_its_source():
    regions = reference_data.regions_table().set_index("code")
    assert regions["name_en"].notna().all() and (regions["name_en"].str.strip() != "").all()
    assert regions["name_en"].str.fullmatch(r"[A-Za-z' ü()-]+").all()  # no Chinese, no tone marks (but ü)
    names = regions["name_en"]
    # Official names where they are not the pinyin; apostrophes between syllables; polyphones read right.
    assert (names["610100"], names["150100"], names["650100"], names["540100"]) == ("Xi'an", "Hohhot", "Urumqi",
                                                                                    "Lhasa")
    assert (names["341500"], names["140400"], names["411100"], names["141100"]) == ("Lu'an", "Changzhi", "Luohe",
                                                                                    "Lüliang")
    assert (names["450200"], names["440300"], names["500000"]) == ("Liuzhou", "Shenzhen", "Chongqing")
    # An autonomous prefecture is no 市, and is not Hainan province.
    assert regions.loc["632500", "name_zh"] == "海南藏族自治州" and resolve_region("海南").code == "460000"
    source = reference_data.read_reference("region_names.csv").set_index("code")["name_en_source"]
    assert set(source.index) == set(regions.index)
    assert source["610000"] == source["450200"] == "curated" and source["650100"] == "hand-verified"
    assert source["610100"].startswith("pinyin (pypinyin ")


def test_municipalities_are_provinces_with_their_nbs_series_only():
    from talentcast.workspace import municipality_note, workspace_tables

    beijing = resolve_region("北京")
    assert beijing.level == "province" and municipality_note(resolve_region("西安")) is None
    employment, meta = workspace_tables(beijing)["employment"]
    assert set(employment["region"]) == {"110000"} and employment["year"].agg(["min", "max"]).tolist() == [2009, 2015]
    assert "municipality" in meta["note"] and len(employment) == 133  # 19 sections x 7 years
    en, zh = municipality_note(resolve_region("重庆"))
    assert en.startswith("重庆市 is a municipality") and zh.startswith("重庆市是直辖市")


def test_national_employment_is_every_province_and_city_once():
    national = reference_data.national_employment()
    assert not national.duplicated(["region", "sector", "year"]).any()
    series = national.drop_duplicates(["region", "sector"])
    regions = reference_data.regions_table().set_index("code")
    level = series["region"].map(regions["level"])
    assert (level == "province").sum() == 589 and (level == "city").sum() == 5487
    assert series.loc[level == "province", "region"].nunique() == 31
    assert series.loc[level == "city", "region"].nunique() == 289  # 7 cities of the panel have totals only
    for code in reference_data.MUNICIPALITIES:  # NBS only: no 2003-2008 rows from the city panel
        assert national.loc[national["region"] == code, "year"].min() == 2009


@pytest.mark.parametrize("text, code", [("Xi'an", "610100"), ("hohhot", "150100"), ("Shenzhen", "440300")])
def test_regions_resolve_by_english_name(text, code):
    assert resolve_region(text).code == code


@pytest.mark.parametrize("text, code", [("610100", "610100"), ("西安", "610100"), ("西安市", "610100"),
                                        ("450000", "450000"), ("广西", "450000"), ("广西壮族自治区", "450000"),
                                        ("Guangxi", "450000"), ("柳州", "450200"), ("北京", "110000")])
def test_regions_resolve_by_code_or_name(text, code):
    assert resolve_region(text).code == code


def test_unknown_or_ambiguous_regions_name_the_candidates():
    with pytest.raises(TalentcastError, match=r"unknown region '柳洲'.*柳州市 \(450200\)"):
        resolve_region("柳洲")
    with pytest.raises(TalentcastError, match=r"unknown region '610101'.*西安市 \(610100\)"):
        resolve_region("610101")
    with pytest.raises(TalentcastError, match=r"ambiguous: 吉林省 \(220000\), 吉林市 \(220200\)"):
        resolve_region("吉林")


# ----------------------------------------------------------------------------------------------- init


def test_init_city_by_code_loads_real_tables_with_their_kinds(xian):
    marker = json.loads((xian / "workspace.json").read_text(encoding="utf-8"))
    assert (marker["kind"], marker["region"], marker["name_zh"], marker["level"]) == ("real", "610100", "西安市", "city")
    with open_storage(xian) as st:
        versions = {v.table: v for v in st.versions()}
        assert {t: v.rows for t, v in versions.items()} == {
            "regions": 327, "sectors": 27, "employment": XIAN_ROWS + SHAANXI_ROWS, "majors": 1935,
            "major_sector_map": 1130, "sector_parameters": 27}
        assert {t: v.metadata["kind"] for t, v in versions.items()} == KINDS
        assert all(v.metadata["workspace"] == "610100" for v in versions.values())
        assert versions["employment"].metadata["breaks"] == ["2013"]
        employment = st.load_table("employment").set_index(["region", "sector", "year"])["employed"]
        parameters = st.load_table("sector_parameters")
        crosswalk = st.load_table("major_sector_map")
    # Real values, 万人 x 10,000: Xi'an manufacturing 2015 = 45.456, Shaanxi construction 2013 (NBS).
    assert employment[("610100", "C", 2015)] == 454_560.0
    raw = pd.read_csv(REAL_DIR / "employment_by_province_sector_2009_2015.csv", dtype={"region_code": str})
    shaanxi_e = raw.query("region_code == '610000' and sector_code == 'E' and year == 2013")["employed_10k"]
    assert employment[("610000", "E", 2013)] == round(float(shaanxi_e.iloc[0]) * 10_000)
    assert set(employment.index.get_level_values("region")) == {"610100", "610000"}
    assert (parameters["replacement_rate"] == 0.03).all() and (parameters["graduate_entry_share"] == 0.5).all()
    assert crosswalk.groupby("major")["weight"].sum().sub(1).abs().max() < 1e-9
    assert crosswalk.loc[crosswalk["major"] == "460702"].set_index("sector")["weight"]["C36"] > 0.3


def test_init_by_chinese_name_prints_the_export_line_and_is_idempotent(tmp_path, capsys, xian):
    home = tmp_path / "西安 workspace"
    code, out, err = run_cli(capsys, "init", "--region", "西安市", "--dir", str(home))
    assert code == 0, err
    assert "talentcast init: 西安市 (610100), city, in 陕西省 (610000)" in out
    assert f"export TALENTCAST_HOME='{home.resolve()}'" in out  # quoted: the path has a space
    assert "employment v1 stored (380 rows, real 真实)" in out
    assert "sector_parameters v1 stored (27 rows, defaulted 默认值)" in out
    assert "西安市 (610100) 2003-2015, 陕西省 (610000) 2009-2015; declared level shift 2013" in out
    with open_storage(home) as st, open_storage(xian) as other:
        assert [(v.table, v.rows, v.checksum) for v in st.versions()] == [
            (v.table, v.rows, v.checksum) for v in other.versions()]
    # again: nothing new is stored; another region in the same folder is refused
    code, out, _ = run_cli(capsys, "--home", str(home), "init", "--region", "610100")
    assert code == 0 and "employment v1 unchanged" in out
    code, _, err = run_cli(capsys, "init", "--region", "广西", "--dir", str(home))
    assert code == 2 and "already the workspace of 西安市 (610100)" in err and len(err.strip().splitlines()) == 1
    with open_storage(home) as st:
        assert len(st.versions()) == 6


def test_init_province_loads_all_its_cities(tmp_path):
    settings = Settings(home=tmp_path / "guangxi")
    with Storage(settings.database_url) as st:
        report = Service(st, settings).init_workspace("广西")
        employment = st.load_table("employment")
        marker = read_workspace(settings.home)
    cities = ["450100", "450200", "450300", "450400", "450500", "450600", "450700", "450800", "450900",
              "451000", "451100", "451200", "451300", "451400"]
    assert marker.region == "450000" and marker.level == "province"
    assert [r.code for r in report.employment_regions] == ["450000"] + cities and not report.missing_employment
    raw = pd.read_csv(REAL_DIR / "city_employment_by_sector_2003_2015.csv", dtype={"province_code": str})
    assert len(employment) == 133 + int((raw["province_code"] == "450000").sum()) == 133 + 3439
    assert report.employment_years["450200"] == (2003, 2015) and report.employment_years["450000"] == (2009, 2015)
    liuzhou = employment.query("region == '450200' and sector == 'E'").set_index("year")["employed"]
    assert liuzhou[2012] == 34_400.0 and liuzhou[2013] == 160_800.0  # the 2013 break, declared in the metadata


def test_unknown_region_exits_2_with_one_line_naming_close_matches(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "init", "--region", "西按市")
    assert code == 2 and out == ""
    assert err.startswith("error: unknown region '西按市' / 未知地区: close matches 相近: ")
    assert "西安市 (610100)" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # no folder made


def test_home_option_and_settings_follow_the_workspace(xian, capsys):
    code, out, _ = run_cli(capsys, "--home", str(xian), "datasets", "--format", "json")
    assert code == 0
    listed = json.loads(out)
    assert {d["table"]: d["kind"] for d in listed} == KINDS
    get_settings.cache_clear()
    assert Settings(home=xian).default_region == "610100"  # reports and the API default to the workspace's region
    assert Settings(home=xian, default_region="450200").default_region == "450200"


# ----------------------------------------------------------------------------------------------- demo apart


def test_demo_is_refused_in_a_real_workspace(xian, capsys):
    code, out, err = run_cli(capsys, "--home", str(xian), "demo", "--no-track", "--quiet")
    assert code == 2 and out == ""
    assert "is the workspace of 西安市 (610100) (real data): the demo data (generated) is not loaded into it" in err
    assert len(err.strip().splitlines()) == 1
    settings = Settings(home=xian)
    with open_storage(xian) as st:
        with pytest.raises(TalentcastError, match="not loaded into it"):
            Service(st, settings).load_demo()
        assert sorted(st.current_versions()) == sorted(KINDS)  # nothing of the demo got in


def test_ingested_files_are_user_supplied_and_shipped_demo_files_generated(tmp_path):
    settings = Settings(home=tmp_path / "plain")
    with Storage(settings.database_url) as st:
        service = Service(st, settings)
        _, regions, _ = service.ingest("regions", GENERATED_DIR / "regions.csv")
        _, sectors, _ = service.ingest("sectors", GENERATED_DIR / "sectors.csv", metadata={"kind": "real"})
        copy = tmp_path / "majors.csv"
        copy.write_bytes((GENERATED_DIR / "majors.csv").read_bytes())
        _, majors, _ = service.ingest("majors", copy)
        with pytest.raises(TalentcastError, match="not one of real, user-supplied, defaulted, generated"):
            service.ingest("majors", copy, metadata={"kind": "invented"})
    assert (regions.metadata["kind"], regions.metadata["synthetic"]) == ("generated", True)
    assert sectors.metadata["kind"] == "real"
    assert (majors.metadata["kind"], majors.metadata["synthetic"]) == ("user-supplied", False)


def test_real_workspace_run_states_kinds_and_refuses_generated_tables(xian, tmp_path, capsys):
    home = tmp_path / "run"
    home.mkdir()
    for name in ("talentcast.db", "workspace.json"):  # a copy of the Xi'an workspace
        (home / name).write_bytes((xian / name).read_bytes())
    code, _, err = run_cli(capsys, "--home", str(home), "run", "--quiet", "--no-track")
    assert code == 2 and "has no schools and no enrolment yet" in err and len(err.strip().splitlines()) == 1
    assert run_cli(capsys, "--home", str(home), "ingest", "schools", str(FIXTURES / "schools_610100.csv"))[0] == 0
    code, _, err = run_cli(capsys, "--home", str(home), "ingest", "enrolment", str(FIXTURES / "enrolment_610100.csv"),
                           "--metadata", '{"kind": "generated", "note": "made up for this test"}')
    assert code == 0, err
    code, out, err = run_cli(capsys, "--home", str(home), "run", "--quiet", "--no-track")
    assert code == 2 and out == ""
    assert err.strip() == ("error: this is a real workspace (610100) but enrolment v1 is generated (demo) data; "
                           "ingest your own file(s), or run with --allow-generated to use them anyway / "
                           "这是真实数据的工作区（610100），但 enrolment v1 是生成（演示）数据，真实工作区拒绝使用；"
                           "请导入自己的文件，或加 --allow-generated 仍然使用")
    code, out, err = run_cli(capsys, "--home", str(home), "run", "--quiet", "--no-track", "--allow-generated",
                             "--paths", "50", "--method", "drift")
    assert code == 0, err
    assert ("  real 真实: regions v1, sectors v1, employment v1, majors v1, major_sector_map v1\n"
            "  user-supplied 用户提供: schools v1\n"
            "  defaulted 默认值: sector_parameters v1\n"
            "  generated 生成: enrolment v1\n") in out
    # Real data end in 2015 and the next intake (2026) graduates in 2029: the horizon reaches it.
    assert "run 1 stored: 266 gap rows, years 2016-2029" in out
    assert "note: employment data end in 2015: forecasting 14 years ahead (2016-2029)" in out
    assert "note: declared level shift(s) 2013" in out
    assert "Graduate supply vs openings in 西安市 (610100), 2029" in out
    with open_storage(home) as st:
        run = st.latest_run()
        gaps = st.load_results("gaps")
    assert run.notes.startswith("data 数据 - real 真实: regions v1, sectors v1, employment v1, majors v1, "
                                "major_sector_map v1; user-supplied 用户提供: schools v1; defaulted 默认值: "
                                "sector_parameters v1; generated 生成: enrolment v1")
    assert set(gaps["region"]) == {"610100"} and gaps["sector"].nunique() == 19
    assert sorted(gaps["year"].unique()) == list(range(2016, 2030))


def test_province_run_forecasts_every_city_coherently(tmp_path):
    """A province workspace: every prefecture city is forecast with the province, and gaps come per city."""
    settings = Settings(home=tmp_path / "guangxi")
    schools = pd.read_csv(FIXTURES / "schools_610100.csv", dtype=str)
    schools["region"] = ["450200", "450100"]  # one test school in Liuzhou, one in Nanning
    schools.to_csv(tmp_path / "schools.csv", index=False)
    with Storage(settings.database_url) as st:
        service = Service(st, settings)
        service.init_workspace("450000")
        service.ingest("schools", tmp_path / "schools.csv")
        service.ingest("enrolment", FIXTURES / "enrolment_610100.csv")
        stored = service.run(track=False, n_paths=50, method="drift")
    cities = {"450100", "450200", "450300", "450400", "450500", "450600", "450700", "450800", "450900", "451000",
              "451100", "451200", "451300", "451400"}
    gaps, demand = stored.result.results["gaps"], stored.result.results["demand"]
    assert stored.region == "450000" and set(gaps["region"]) == cities | {"450000"}
    assert (gaps.groupby("region").size() == 19 * 14).all()  # 19 sections x 2016-2029 for every city
    # Coherent: the province's employment holds its cities' (the remainder is the rest of the province) ...
    wide = demand.pivot_table(index=["sector", "year"], columns="region", values="employment_mean")
    assert (wide["450000"] + 1e-6 >= wide[sorted(cities)].sum(axis=1)).all()
    # ... and its supply is its cities' supply: only Liuzhou and Nanning have schools.
    supply = gaps.pivot_table(index=["sector", "year"], columns="region", values="supply_mean")
    assert ((supply["450000"] - supply[["450100", "450200"]].sum(axis=1)).abs() < 1e-6).all()
    assert (supply.drop(columns=["450000", "450100", "450200"]) == 0).all(axis=None)
    assert supply["450200"].sum() > 0 and supply["450100"].sum() > 0


def test_city_without_a_sector_series_runs_on_its_province(tmp_path):
    """日喀则 (540200) is in the city totals but not in the sector panel: init says so, the run uses Tibet."""
    settings = Settings(home=tmp_path / "rkz")
    schools = pd.read_csv(FIXTURES / "schools_610100.csv", dtype=str).assign(region="540200")
    schools.to_csv(tmp_path / "schools.csv", index=False)
    with Storage(settings.database_url) as st:
        service = Service(st, settings)
        report = service.init_workspace("日喀则")
        assert [str(r) for r in report.missing_employment] == ["日喀则市 (540200)"]
        assert [r.code for r in report.employment_regions] == ["540000"]
        service.ingest("schools", tmp_path / "schools.csv")
        service.ingest("enrolment", FIXTURES / "enrolment_610100.csv")
        stored = service.run(track=False, n_paths=20, method="drift")
    assert stored.region == "540000" and set(stored.result.results["gaps"]["region"]) == {"540000"}
    assert "; region 540200 has no employment series of its own: results are for 540000" in stored.meta.notes
