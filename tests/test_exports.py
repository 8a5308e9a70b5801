"""Exports (`talentcast export`, `talentcast warnings -f xlsx`, `GET /v1/...?format=csv|xlsx`): names beside codes,
Chinese headers, evidence in columns, an About sheet; the CLI and the API hand out the same bytes, under the
same role and scope as the JSON pages."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from features.results import headers_zh
from talentcast.cli import main  # noqa: F401
from test_cli_data import run_cli
from talentcast.export import MEDIA_TYPES, export_table
from talentcast.service import Service
from talentcast.settings import get_settings
from test_api_support import bearer, seeded_api

XLSX = MEDIA_TYPES["xlsx"]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("exports") / "home"
    with seeded_api(home) as api:
        yield {"client": api.client, "keys": api.keys, "run_id": api.run_id, "storage": api.storage, "home": home,
               "settings": api.settings}


def api(env, path, who="admin", headers=None, **params):
    return env["client"].get(path, params=params, headers={**bearer(env["keys"][who]), **(headers or {})})


def cli(env, monkeypatch, capsys, *args) -> tuple[int, str, str]:
    monkeypatch.setenv("TALENTCAST_HOME", str(env["home"]))
    get_settings.cache_clear()
    result = run_cli(capsys, *args)
    get_settings.cache_clear()
    return result


def sheet_rows(data: bytes, sheet: int | str = 0) -> list[tuple]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    ws = workbook.worksheets[sheet] if isinstance(sheet, int) else workbook[sheet]
    return list(ws.iter_rows(values_only=True))


def records(data: bytes) -> list[dict]:
    """Rows of an XLSX export (default lang: Chinese header row, then the column names) as dicts."""
    rows = sheet_rows(data)
    return [dict(zip(rows[1], row)) for row in rows[2:]]


@pytest.mark.parametrize("what, path, params, options", [
    ("gaps", "/v1/gaps", {"region": "450200", "year": 2025}, ["--region", "450200", "--year", "2025"]),
    ("forecasts", "/v1/forecasts/demand", {"sector": "C36"}, ["--sector", "C36"]),
    ("supply", "/v1/forecasts/supply", {"school": "S001"}, ["--school", "S001"]),
    ("warnings", "/v1/warnings", {"level": "red"}, ["--level", "red"]),
])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_cli_export_equals_api_export(env, monkeypatch, capsys, tmp_path, what, path, params, options, fmt):
    target = tmp_path / f"out.{fmt}"
    code, out, err = cli(env, monkeypatch, capsys, "export", what, "--format", fmt, "--output", str(target),
                         *options)
    assert code == 0, err
    assert out.strip() == f"wrote {what} of run {env['run_id']} to {target} ({target.stat().st_size:,} bytes)"
    response = api(env, path, format=fmt, **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(MEDIA_TYPES[fmt].split(";")[0])
    assert response.headers["content-disposition"] == (f'attachment; filename="talentcast-{what}-run-'
                                                       f'{env["run_id"]}.{fmt}"')
    assert response.content == target.read_bytes()


def test_xlsx_export_holds_names_chinese_headers_evidence_and_about(env):
    data = Service(env["storage"], env["settings"]).export("warnings", "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["专业预警 warnings", "说明 About"]
    rows = sheet_rows(data)
    zh = headers_zh("warnings")
    assert rows[0][:7] == (zh["region"], zh["region_name"], zh["school"], zh["school_name"], zh["major"],
                           zh["major_name"], zh["plan_year"]) == ("地区代码", "地区名称", "学校代码", "学校名称", "专业代码",
                                                                  "专业名称", "招生计划年度")
    assert "evidence" not in rows[1] and "evidence.p_shortage" in rows[1] and "evidence.employment_rate" in rows[1]
    assert rows[0][rows[1].index("evidence.p_shortage")] == "依据：短缺概率"
    items = records(data)
    assert len(items) == 6 and [(r["school"], r["major"]) for r in items][:2] == [("S003", "440301"), ("S003", "460701")]
    first = next(r for r in items if r["school"] == "S001" and r["major"] == "440301")
    assert first["school_name"] == "柳州职业技术学院" and first["major_name"] == "建筑工程技术"
    assert first["region_name"] == "柳州市"
    assert first["rules_fired"] == "forecast_surplus, moe_2011"
    assert first["evidence.p_shortage"] == 0.02 and first["evidence.employment_rate"] == 0.8
    assert first["recommended_intake"] == 120 and first["explanation_zh"] == "S001 440301 预测过剩"
    about = {row[0]: row[1:] for row in sheet_rows(data, "说明 About") if row and row[0]}
    assert about["运行 run"][0] == env["run_id"]
    assert about["情景 scenario"][0] == "baseline 基准"
    assert about["运行时间 created"][0].endswith(" UTC")
    assert about["regions"][:3] == ("generated 生成", 1, 4)  # every test table is stored as synthetic
    assert "GENERATED" in about["生成的数据 generated inputs"][0]
    assert about["当前招生数"][:3] == ("current_intake", "persons", "intake of the latest recorded year")
    assert any(str(key).startswith("Units 单位") for key in about)
    # reproducible: no wall-clock time inside the file
    stamps = {info.date_time for info in zipfile.ZipFile(io.BytesIO(data)).infolist()}
    created = env["storage"].get_run(env["run_id"]).created_at
    # (zip times have a resolution of two seconds)
    assert stamps == {(created.year, created.month, created.day, created.hour, created.minute,
                       created.second // 2 * 2)}


def test_csv_export_is_bom_utf8_with_two_header_rows_and_names(env):
    data = Service(env["storage"], env["settings"]).export("gaps", "csv", filters={"sector": "C36", "year_from": 2025,
                                                                                   "year_to": 2025})
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:6] == ["地区代码", "地区名称", "行业代码", "行业名称", "年份", "毕业生岗位需求"]
    assert rows[1][:6] == ["region", "region_name", "sector", "sector_name", "year", "openings_mean"]
    assert [r[:5] for r in rows[2:]] == [["450100", "南宁市", "C36", "汽车制造业", "2025"],
                                         ["450200", "柳州市", "C36", "汽车制造业", "2025"]]
    assert rows[2][rows[1].index("p_shortage")] == "0.83"


def test_english_export_has_one_header_row_and_english_names(env):
    data = Service(env["storage"], env["settings"]).export("forecasts", "csv", lang="en", filters={"region": "450200"})
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["region", "region_name", "sector", "sector_name"]
    assert {tuple(r[:4]) for r in rows[1:]} == {("450200", "Liuzhou", "C36", "Automobile manufacturing"),
                                                ("450200", "Liuzhou", "E", "Construction")}
    supply = Service(env["storage"], env["settings"]).export("supply", "csv", lang="en", filters={"school": "S001"})
    names = {(r[4], r[5]) for r in csv.reader(io.StringIO(supply.decode("utf-8-sig")))}
    assert ("440301", "建筑工程技术") in names  # no English name in the majors table: the Chinese one


def test_school_key_exports_only_its_school(env, monkeypatch, capsys, tmp_path):
    for path in ("/v1/warnings", "/v1/forecasts/supply"):
        response = api(env, path, who="school", format="xlsx")
        assert response.status_code == 200
        items = records(response.content)
        assert items and {r["school"] for r in items} == {"S001"}
        assert {r["school_name"] for r in items} == {"柳州职业技术学院"}
    assert api(env, "/v1/warnings", who="school", format="csv", school="S002").status_code == 404
    assert api(env, "/v1/gaps", who="school", format="csv").status_code == 403
    # the same bytes as the CLI export of that school
    target = tmp_path / "w.xlsx"
    assert cli(env, monkeypatch, capsys, "export", "warnings", "--school", "S001", "-o", str(target))[0] == 0
    assert api(env, "/v1/warnings", who="school", format="xlsx").content == target.read_bytes()


def test_planner_export_stays_in_its_region(env):
    response = api(env, "/v1/gaps", who="planner", format="xlsx")
    items = records(response.content)
    assert items and {r["region"] for r in items} == {"450200"}
    about = {row[0]: row[1] for row in sheet_rows(response.content, "说明 About") if row and row[0]}
    assert about["筛选 filters"] == "API key scope: region 450200 and the regions below it"
    assert api(env, "/v1/gaps", who="planner", format="csv", region="450100").status_code == 403


def test_accept_header_asks_for_the_file_and_pages_stay_json(env):
    for _ in range(2):  # the second JSON answer comes from the fast path's memory
        page = api(env, "/v1/warnings", who="school3")
        assert page.headers["content-type"] == "application/json" and page.json()["total"] == 2
    as_csv = api(env, "/v1/warnings", who="school3", headers={"Accept": "text/csv"})
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.content == api(env, "/v1/warnings", who="school3", format="csv").content
    as_xlsx = api(env, "/v1/warnings", who="school3", headers={"Accept": f"{XLSX}, application/json;q=0.5"})
    assert as_xlsx.headers["content-type"] == XLSX and {r["school"] for r in records(as_xlsx.content)} == {"S003"}
    assert api(env, "/v1/warnings", who="school3").headers["content-type"] == "application/json"
    assert api(env, "/v1/gaps", headers={"Accept": "application/json, text/csv;q=0.1"}).json()["total"] == 12


def test_warnings_command_writes_the_export_workbook(env, monkeypatch, capsys, tmp_path):
    target = tmp_path / "warnings.xlsx"
    code, out, err = cli(env, monkeypatch, capsys, "warnings", "-f", "xlsx", "--school", "S002", "-o", str(target))
    assert code == 0, err
    assert out.strip() == f"wrote 2 warnings to {target} (stored run {env['run_id']})"
    items = records(target.read_bytes())
    assert [(r["school"], r["major"], r["level"]) for r in items] == [("S002", "440301", "red"),
                                                                      ("S002", "460701", "green")]
    about = {row[0]: row[1] for row in sheet_rows(target.read_bytes(), "说明 About") if row and row[0]}
    assert about["筛选 filters"] == "school = S002" and about["来源 source"] == f"stored run {env['run_id']}"


@pytest.mark.parametrize("args, message", [
    (("export", "gaps", "--school", "S001"), "error: gaps cannot be filtered by school (gaps has no such column)"),
    (("export", "nope"), "error: unknown export 'nope'; use gaps, forecasts, supply or warnings"),
    (("export", "gaps", "--format", "pdf"), "error: unknown export format 'pdf'; use xlsx or csv"),
    (("export", "gaps", "--lang", "fr"), "error: unknown language 'fr'"),
    (("export", "gaps", "--run-id", "99"), "error: "),
])
def test_export_user_errors_exit_2_with_one_line(env, monkeypatch, capsys, tmp_path, args, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(env, monkeypatch, capsys, *args)
    assert code == 2 and err.startswith(message), err
    assert len(err.strip().splitlines()) == 1 and list(tmp_path.iterdir()) == []


def test_export_without_a_run_says_how_to_get_one(tmp_path, capsys):
    try:
        main(["export", "gaps"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "no completed run yet; run `talentcast run`" in capsys.readouterr().err


def test_nested_evidence_becomes_json_text_in_its_own_column():
    frame = pd.DataFrame({"region": ["450200"], "school": ["S1"], "major": ["460701"], "plan_year": [2027],
                          "rule_set": ["forecast"], "level": ["green"], "action": ["expand"],
                          "current_intake": [60.0], "recommended_intake": [66.0], "rules_fired": [["a", "b"]],
                          "evidence": [{"employment_rate_2025": 0.9, "extra_entrants_by_sector": {"C36": 4.5}}],
                          "explanation_zh": ["…"], "explanation_en": ["..."]})
    table = export_table("warnings", frame, {"school": {"S1": "柳州职业技术学院"}})
    row = table.frame.iloc[0]
    assert row["evidence.extra_entrants_by_sector"] == '{"C36": 4.5}' and row["rules_fired"] == "a, b"
    assert row["school_name"] == "柳州职业技术学院" and row["region_name"] == ""
    header = dict(zip(table.headers_en, table.headers_zh))
    assert header["evidence.employment_rate_2025"] == "依据：2025年就业率"
    assert header["evidence.extra_entrants_by_sector"] == "依据：新增供给（分行业）"


def test_control_characters_in_a_filter_do_not_break_the_workbook(env):
    response = api(env, "/v1/gaps", format="xlsx", region="45\x01")
    assert response.status_code == 200
    about = {row[0]: row[1] for row in sheet_rows(response.content, "说明 About") if row and row[0]}
    assert about["筛选 filters"] == "region = 45\ufffd" and records(response.content) == []


def test_the_output_file_ending_picks_the_format(env, monkeypatch, capsys, tmp_path):
    target = tmp_path / "gaps.csv"
    assert cli(env, monkeypatch, capsys, "export", "gaps", "-o", str(target))[0] == 0
    assert target.read_bytes() == Service(env["storage"], env["settings"]).export("gaps", "csv")
    code, _, err = cli(env, monkeypatch, capsys, "export", "gaps", "-f", "xlsx", "-o", str(tmp_path / "g.csv"))
    assert code == 2 and "--format xlsx but --output" in err and not (tmp_path / "g.csv").exists()
