"""`talentcast template`: one fill-in file per table (bilingual headers, example rows, allowed values) that
round-trips: fill it in, `talentcast validate`, `talentcast ingest`."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from features.contract import COLUMN_NAMES_ZH, SCHEMAS, TABLE_NAMES
from features.templates import ABOUT_SHEET, EXAMPLES, template_csv, template_files, template_readme, template_xlsx
from talentcast.cli import main  # noqa: F401
from test_cli_data import run_cli
from talentcast.service import Service
from talentcast.storage import Storage
from _supply_demand_fixtures import tiny_tables




def test_xlsx_templates_round_trip_through_validate_and_ingest(tmp_path, capsys):
    code, out, err = run_cli(capsys, "template", "--dir", str(tmp_path))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.xlsx" for t in TABLE_NAMES)
    assert out.splitlines()[0] == f"wrote {tmp_path / 'regions.xlsx'} (regions: 5 columns, 2 example rows)"
    for table in TABLE_NAMES:  # contract order: each table's references are stored before it
        path = str(tmp_path / f"{table}.xlsx")
        code, out, err = run_cli(capsys, "validate", table, path)
        assert code == 0 and out.startswith(f"ok: {table}.xlsx is a valid '{table}' table"), err
        code, out, err = run_cli(capsys, "ingest", table, path)
        assert code == 0 and out.startswith(f"stored: {table} v1: {len(EXAMPLES[table])} rows"), err
    with Storage() as storage:
        assert storage.current_versions() == {table: 1 for table in TABLE_NAMES}
        regions = storage.load_table("regions")
        assert regions["level"].tolist() == ["province", "city"]  # 省 / 市 in the example become the contract's
        assert storage.load_table("schools")["type"].tolist() == ["高职"]
        enrolment = storage.load_table("enrolment")
        assert enrolment[["school", "major", "year", "intake", "graduates"]].values.tolist() == [
            ["S001", "460701", 2024, 120, 100]]


def test_a_filled_csv_template_is_ingested_against_stored_references(tmp_path):
    tables = tiny_tables()
    with Storage() as storage:
        service = Service(storage)
        for name in ("regions", "sectors", "majors"):
            service.ingest_frame(name, tables[name], f"tests:{name}")
        for name, data in template_files("schools", "csv").items():
            (tmp_path / name).write_bytes(data)
        # fill it in as a school would: Chinese type names, a full-width code, the example row replaced
        text = (tmp_path / "schools.csv").read_bytes().decode("utf-8-sig").splitlines()
        filled = "\r\n".join([text[0], "S1,柳州职业技术学院,,４５０２００,大专", "S2,柳州第一职业技术学校,,450200,中专"])
        (tmp_path / "schools.csv").write_bytes(filled.encode("utf-8-sig"))
        checked, version, stored = service.ingest("schools", tmp_path / "schools.csv")
        assert stored and version.rows == 2 and checked.issues == []
        schools = storage.load_table("schools")
        assert schools[["code", "region", "type"]].values.tolist() == [["S1", "450200", "高职"],
                                                                       ["S2", "450200", "中职"]]


def test_xlsx_template_holds_headers_examples_notes_and_choice_lists():
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx("majors")))
    assert workbook.sheetnames == ["majors", ABOUT_SHEET]
    sheet = workbook["majors"]
    headers = [c.value for c in sheet[1]]
    assert headers == [f"{COLUMN_NAMES_ZH['majors'][c.name][0]} {c.name}" for c in SCHEMAS["majors"].columns]
    assert headers[0] == "专业代码 code"
    assert [c.value for c in sheet[2]] == ["460701", "汽车制造与试验技术", "Automobile Manufacturing and Testing "
                                          "Technology", "高职专科", "4607汽车制造类", 3]
    assert sheet.max_row == 2  # nothing below the examples: the file reads back as header + examples
    level_note = sheet["D1"].comment.text
    assert "必填 required" in level_note and "中职" in level_note and "高职" in level_note
    assert "选填 optional" in sheet["C1"].comment.text  # name_en
    assert "单位 unit: 年 years" in sheet["F1"].comment.text
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists == {"D2:D501": '"中职,高职专科,职业本科,本科,中专,高职,职教本科,普通本科"'}
    assert sheet["A2"].number_format == "@"  # codes stay text (leading zeros)
    about = [[c for c in row if c is not None] for row in workbook[ABOUT_SHEET].iter_rows(values_only=True)]
    text = "\n".join(" | ".join(map(str, row)) for row in about)
    assert "`talentcast validate majors FILE`" in text and "`talentcast ingest majors FILE`" in text
    row = next(r for r in about if r[:2] == ["层次 level", "level"])
    assert row[2:] == ["层次 / 办学层次", "文本 text", "必填 required",
                       "中职 (中专, 中等职业教育, 中等职业) / 高职专科 (高职, 专科, 大专) / 职业本科 (职教本科, 本科(职业), "
                       "本科(职业教育)) / 本科 (普通本科, 本科(普通), bachelor)", "中职 / 高职专科 / 职业本科 / 本科"]


def test_csv_template_is_bom_utf8_with_only_header_and_examples():
    data = template_csv("regions")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["行政区划代码 code", "名称 name_zh", "英文名称 name_en", "上级代码 parent", "级别 level"],
                    ["450000", "广西壮族自治区", "Guangxi", "", "省"], ["450200", "柳州市", "Liuzhou", "450000", "市"]]
    readme = template_readme("regions").decode("utf-8-sig")
    for column in SCHEMAS["regions"].columns:
        assert f"{COLUMN_NAMES_ZH['regions'][column.name][0]} {column.name}: " in readme
    assert "province (省, 省级, 自治区)" in readme and "talentcast ingest regions FILE" in readme


def test_existing_files_are_not_overwritten_without_force(tmp_path, capsys):
    assert run_cli(capsys, "template", "schools", "-f", "csv", "--dir", str(tmp_path))[0] == 0
    (tmp_path / "schools.csv").write_text("filled in", encoding="utf-8")
    code, out, err = run_cli(capsys, "template", "schools", "-f", "csv", "--dir", str(tmp_path))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--force" in err and out == ""
    assert (tmp_path / "schools.csv").read_text(encoding="utf-8") == "filled in"
    assert run_cli(capsys, "template", "schools", "-f", "csv", "--dir", str(tmp_path), "--force")[0] == 0
    assert (tmp_path / "schools.csv").read_bytes() == template_csv("schools")


@pytest.mark.parametrize("args, message", [
    (("template", "students"), "error: unknown table(s) students; known tables: regions, sectors"),
    (("template", "schools", "--format", "ods"), "error: unknown template format 'ods'; use xlsx or csv"),
])
def test_template_user_errors(tmp_path, capsys, args, message):
    code, _, err = run_cli(capsys, *args, "--dir", str(tmp_path))
    assert code == 2 and err.startswith(message) and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
