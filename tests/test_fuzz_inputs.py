"""Hostile input, generated (#15): every door refuses it in one line and stores nothing.

Hypothesis generates tables with hostile numbers (beyond the contract's range, beyond int64, NaN, infinities,
numbers with control characters, right-to-left marks, full-width digits), hostile files (UTF-16 without a BOM,
UTF-32, JSON, zero bytes, workbooks that declare or reach a million rows or column XFD) and hostile scenarios
(NaN, infinities, out-of-range percents and persons, aliases, deep nesting). Each goes through the doors a user
has: `validate_table`, `talentcast validate` and `talentcast ingest` (in-process, the real entry point), the API
upload and `POST /v1/scenarios`, and `talentcast run --scenario`. Each must end in exit code 2 or a 4xx with a
JSON error, a single error line, and the same dataset versions and runs as before. The findings of the issue
are fixed @examples, so they are tried on every run.

One database (seeded once per module, tests/test_api_support.py) serves every example: nothing may be stored, so
the examples cannot disturb each other, and the before/after comparison is exactly the property under test.
"""

from __future__ import annotations

import io
import json
import math
import zipfile

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from features.contract import MAX_EMPLOYED, MAX_PROGRAMME_PERSONS
from features.errors import ValidationError
from features.validation import validate_table
from forecasting.scenarios import ScenarioError, load_scenario
from test_api_support import REGIONS, SECTORS, bearer, seeded_api
from test_cli_data import run_cli

FAST = settings(max_examples=12, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
OVERFLOW = "9223372036854775808"  # 2**63: stored as -9223372036854775808 before #15
FULL_WIDTH = str.maketrans("0123456789.-+e", "０１２３４５６７８９．－＋ｅ")
REFERENCES = {"regions": REGIONS, "sectors": SECTORS}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("fuzz") / "home"
    with seeded_api(home, raise_server_exceptions=False) as api:
        yield {"client": api.client, "admin": api.keys["admin"], "storage": api.storage, "home": home,
               "files": tmp_path_factory.mktemp("fuzz-files")}


def stored(env) -> tuple:
    """Every dataset version (table, version, rows, checksum) and every run id: what must not change."""
    versions = tuple((v.table, v.version, v.rows, v.checksum) for v in env["storage"].versions())
    return versions, tuple(run.run_id for run in env["storage"].runs())


def assert_one_line_refusal(code: int, out: str, err: str) -> None:
    assert code == 2, (code, out, err)
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()  # a progress line ("loading dataset versions") may come first
    assert lines and lines[-1].startswith("error: "), err
    assert sum(line.startswith("error: ") for line in lines) == 1, err


# ------------------------------------------------------------------------------------------- hostile numbers

_CONTROL = st.sampled_from(["\x00", "\x1b[31m", "\x07", "\u202e", "\u200f", "\u2066", "\ufeff"])  # not whitespace: strip() keeps them
HOSTILE_NUMBERS = st.one_of(
    st.integers(min_value=MAX_EMPLOYED + 1, max_value=10**40).map(str),           # too large, beyond int64
    st.integers(min_value=-10**40, max_value=-1).map(str),                        # negative
    st.floats(min_value=MAX_EMPLOYED * 1.01, allow_infinity=True, allow_nan=False).map(repr),
    st.sampled_from(["nan", "NaN", "-nan", "inf", "-inf", "+inf", "Infinity", "-Infinity", "1e308", "1e999",
                     "-1e308", "1.7976931348623157e308"]),
    st.builds(lambda n, c, before: f"{c}{n}" if before else f"{n}{c}", st.integers(0, 10**6), _CONTROL,
              st.booleans()),                                                    # control / bidi characters
    st.integers(min_value=MAX_EMPLOYED + 1, max_value=10**30).map(lambda n: str(n).translate(FULL_WIDTH)),
)


def employment_rows(value: str, row: int) -> pd.DataFrame:
    """Three valid employment rows of 450200|C36 with `value` as the employed count of data row `row`."""
    employed = ["1000", "1100", "1200"]
    employed[row] = value
    return pd.DataFrame({"region": "450200", "sector": "C36", "year": ["2021", "2022", "2023"],
                         "employed": employed})


@FAST
@given(value=HOSTILE_NUMBERS, row=st.integers(0, 2))
@example(value=OVERFLOW, row=0).via("issue #15 finding 1")
@example(value="1e308", row=1).via("issue #15 finding 1")
@example(value="nan", row=2)
def test_validate_refuses_hostile_numbers_naming_row_column_value(value, row):
    with pytest.raises(ValidationError) as info:
        validate_table("employment", employment_rows(value, row), "e.csv", REFERENCES)
    errors = info.value.errors
    assert [(i.file, i.row, i.column, i.value) for i in errors] == [("e.csv", row + 2, "employed", value)]
    assert errors[0].reason_zh  # told in Chinese too


@FAST
@given(value=st.one_of(st.integers(MAX_PROGRAMME_PERSONS + 1, 2**64).map(str), HOSTILE_NUMBERS),
       door=st.sampled_from(["validate", "ingest", "upload"]))
@example(value=OVERFLOW, door="validate").via("issue #15 finding 1")
@example(value=OVERFLOW, door="ingest").via("issue #15 finding 1")
@example(value=OVERFLOW, door="upload").via("issue #15 finding 1")
@example(value="0\x00", door="upload").via("a zero byte: refused as a binary file, found 2026-12-03")
def test_hostile_intake_is_refused_by_every_door_and_nothing_stored(env, capsys, value, door):
    frame = pd.DataFrame({"school": ["S001"], "major": ["460701"], "year": ["2023"], "intake": [value]})
    data = frame.to_csv(index=False).encode("utf-8")
    before = stored(env)
    if door == "upload":
        response = upload(env, "enrolment", "enrolment.csv", data)
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["stored"] is False
        errors = [i for i in body["issues"] if i["severity"] == "error"]
        if "\x00" in value:  # a zero byte makes the upload a binary file, refused whole (features/readers.py)
            assert body["errors"] == 1 and "contains zero bytes" in body["detail"] and "零字节" in body["detail"]
        else:
            assert [(i["row"], i["column"], i["value"]) for i in errors] == [(2, "intake", value)]
    else:
        path = env["files"] / "enrolment.csv"
        path.write_bytes(data)
        assert_one_line_refusal(*run_cli(capsys, "--home", str(env["home"]), door, "enrolment", str(path)))
    assert stored(env) == before


@FAST
@given(code=st.builds(lambda c, before: f"{c}450200" if before else f"450200{c}", _CONTROL, st.booleans()),
       row=st.integers(0, 2))
@example(code="\u202e450200", row=0)
def test_codes_with_control_or_bidi_characters_are_unknown_codes(code, row):
    frame = employment_rows("1000", 0)
    frame.loc[row, "region"] = code
    with pytest.raises(ValidationError) as info:
        validate_table("employment", frame, "e.csv", REFERENCES)
    assert [(i.row, i.column, i.value) for i in info.value.errors] == [(row + 2, "region", code)]
    assert "unknown code" in info.value.errors[0].reason


def test_negative_zero_is_stored_as_zero():
    result = validate_table("employment", employment_rows("-0", 0), "e.csv", REFERENCES)
    first = result.frame["employed"].iloc[0]
    assert first == 0 and math.copysign(1.0, first) == 1.0


# --------------------------------------------------------------------------------------------- hostile files

def workbook(dimension: str, extra_cell: str | None) -> bytes:
    """A minimal XLSX (about 1.5 KB) of a valid employment table whose sheet declares `dimension` and holds one
    more cell `extra_cell` (e.g. "A1048576", "XFD2")."""
    cells = ('<row r="1"><c r="A1" t="inlineStr"><is><t>region</t></is></c><c r="B1" t="inlineStr"><is><t>sector'
             '</t></is></c><c r="C1" t="inlineStr"><is><t>year</t></is></c><c r="D1" t="inlineStr"><is><t>employed'
             '</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>450200</t></is></c><c r="B2" '
             't="inlineStr"><is><t>C36</t></is></c><c r="C2"><v>2020</v></c><c r="D2"><v>1000</v></c></row>')
    if extra_cell:
        row = int("".join(ch for ch in extra_cell if ch.isdigit()))
        cells += f'<row r="{row}"><c r="{extra_cell}" t="inlineStr"><is><t>x</t></is></c></row>'
    ns = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{ns}/package/2006/content-types"><Default Extension="rels" '
                               f'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default '
                               f'Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
                               f'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+'
                               f'xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
                               f'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
                       f'Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                       f'</Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/'
                           f'relationships"><sheets><sheet name="employment" sheetId="1" r:id="rId1"/></sheets>'
                           f'</workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship '
                                      f'Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" '
                                      f'Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{ns}/spreadsheetml/2006/main"><dimension '
                                    f'ref="{dimension}"/><sheetData>{cells}</sheetData></worksheet>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():  # a fixed timestamp: the same bytes on every xdist worker
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), text, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


_COLUMNS = st.sampled_from(["A", "E", "Z", "GR", "GS", "XFD"])
_DIMENSIONS = st.sampled_from(["A1:XFD1048576", "A1:D2", "A1:ZZZ99999999", "A1"])
# Below the header and the data row (row 2): a cell with a value there is never a valid employment table.
_EXTRA_CELLS = st.builds(lambda column, row: f"{column}{row}", _COLUMNS, st.sampled_from([3, 70, 5000, 1_048_576]))
CSV_TEXT = "region,sector,year,employed\n450200,C36,2021,1000\n"
HOSTILE_TEXT_FILES = st.one_of(
    st.sampled_from([CSV_TEXT.encode("utf-16-le"), CSV_TEXT.encode("utf-16-be"), CSV_TEXT.encode("utf-32"),
                     json.dumps([{"region": "450200", "employed": 1}]).encode(), b"\x00" * 64,
                     ("[" * 20000 + "]" * 20000).encode(), ",".join(["a"] * 5000).encode() + b"\n1\n",
                     b"PK\x03\x04" + bytes(60), b"PAR1" + bytes(60)]),
    st.binary(min_size=1, max_size=200),
)


@FAST
@given(dimension=_DIMENSIONS, cell=_EXTRA_CELLS, door=st.sampled_from(["validate", "upload"]))
@example(dimension="A1:XFD1048576", cell="A1048576", door="validate").via("issue #15 finding 2: the 1.5 KB bomb")
@example(dimension="A1:XFD1048576", cell="A1048576", door="upload").via("issue #15 finding 2: the 1.5 KB bomb")
@example(dimension="A1:XFD1048576", cell="XFD3", door="validate")
def test_hostile_workbooks_fail_in_one_line(env, capsys, dimension, cell, door):
    refused_by_every_door(env, capsys, workbook(dimension, cell), "employment.xlsx", door)


@FAST
@given(data=HOSTILE_TEXT_FILES, door=st.sampled_from(["validate", "ingest", "upload"]))
@example(data=CSV_TEXT.encode("utf-16-le"), door="validate").via("issue #15 finding 8")
@example(data=json.dumps([{"region": "450200"}]).encode(), door="upload").via("issue #15 finding 8")
def test_hostile_text_files_fail_in_one_line(env, capsys, data, door):
    refused_by_every_door(env, capsys, data, "employment.csv", door)


def refused_by_every_door(env, capsys, data: bytes, name: str, door: str) -> None:
    before = stored(env)
    if door == "upload":
        response = upload(env, "employment", name, data)
        assert response.status_code == 422, response.text
        assert response.json()["stored"] is False and "\n" not in response.json()["detail"]
    else:
        path = env["files"] / name
        path.write_bytes(data)
        assert_one_line_refusal(*run_cli(capsys, "--home", str(env["home"]), door, "employment", str(path)))
    assert stored(env) == before


@pytest.mark.parametrize("data, says", [
    (CSV_TEXT.encode("utf-16-le"), "looks like UTF-16 text (little-endian) without a byte order mark"),
    (CSV_TEXT.encode("utf-16-be"), "looks like UTF-16 text (big-endian) without a byte order mark"),
    (json.dumps([{"region": "450200", "employed": 1}]).encode(), "looks like JSON, not CSV"),
    (workbook("A1:D2", None), "looks like an Excel workbook (.xlsx, a zip file), not CSV text"),
    (workbook("A1:XFD1048576", "A1048576"), "looks like an Excel workbook"),
], ids=["utf-16-le", "utf-16-be", "json", "xlsx", "xlsx-bomb"])
def test_a_csv_that_is_something_else_says_what_it_looks_like(env, capsys, data, says):
    # Before #15 the UTF-16 and JSON files both said "header but no data rows".
    path = env["files"] / "employment.csv"
    path.write_bytes(data)
    code, out, err = run_cli(capsys, "--home", str(env["home"]), "validate", "employment", str(path))
    assert_one_line_refusal(code, out, err)
    assert says in err


def test_the_xlsx_bomb_says_where_it_stopped(env, capsys):
    path = env["files"] / "bomb.xlsx"
    path.write_bytes(workbook("A1:XFD1048576", "A1048576"))
    assert len(path.read_bytes()) < 2000
    code, out, err = run_cli(capsys, "--home", str(env["home"]), "validate", "employment", str(path))
    assert_one_line_refusal(code, out, err)
    assert "sheet 'employment' has more than 1000000 rows (stopped at row 1048576)" in err


def test_a_sheet_declaring_xfd_but_holding_four_columns_is_read_as_four_columns(env, capsys):
    # The declared dimension is ignored: the valid table inside is valid (before #15: 16384 columns, 18 s).
    path = env["files"] / "declared.xlsx"
    path.write_bytes(workbook("A1:XFD1048576", None))
    code, out, err = run_cli(capsys, "--home", str(env["home"]), "validate", "employment", str(path))
    assert code == 0, err
    assert "1 rows" in out


# ------------------------------------------------------------------------------------------ upload filenames

@pytest.mark.parametrize("filename", ["..", "a/..", ".", "", "a" * 300, "../../etc/passwd", "x\x00.csv",
                                      "\u202egnp.csv"])
def test_hostile_upload_filenames_get_a_4xx_and_never_the_contents(env, filename):
    marker = "CONTENTS-MUST-NOT-BE-ECHOED"
    data = f"code,name_zh,name_en,parent,level\n450300,{marker},x,450000,nowhere\n".encode()
    before = stored(env)
    response = upload(env, "regions", filename, data)
    assert 400 <= response.status_code < 500, response.text
    assert marker not in response.text
    assert isinstance(response.json()["detail"], str)
    assert stored(env) == before


@FAST
@given(filename=st.text(max_size=300))
def test_any_upload_filename_is_a_4xx_never_a_500(env, filename):
    data = b"code,name_zh,name_en,parent,level\n450300,x,x,450000,nowhere\n"  # invalid level: never stored
    before = stored(env)
    response = upload(env, "regions", filename, data)
    assert 400 <= response.status_code < 500, response.text
    assert stored(env) == before


def upload(env, table: str, name: str, data: bytes):
    return env["client"].post(f"/v1/datasets/{table}", headers=bearer(env["admin"]),
                              files={"file": (name, data, "application/octet-stream")})


# ------------------------------------------------------------------------------------------ hostile scenarios

def scenario(**size) -> dict:
    return {"id": "fuzz", "name": "fuzz", "changes": [
        {"kind": "employment_change", "target": {"region": "450200", "sector": "C36"}, **size}]}


HOSTILE_SIZES = st.one_of(
    st.builds(lambda v: {"percent": v}, st.sampled_from([math.nan, math.inf, -math.inf])),
    st.builds(lambda v: {"persons": v}, st.sampled_from([math.nan, math.inf, -math.inf])),
    st.builds(lambda v: {"percent": v}, st.floats(min_value=1000.0001, allow_infinity=False)),
    st.builds(lambda v: {"percent": v}, st.floats(max_value=-100.0001, allow_infinity=False)),
    st.builds(lambda v: {"persons": v}, st.floats(min_value=MAX_EMPLOYED * 1.001, allow_infinity=False)),
    st.builds(lambda v: {"persons": v}, st.floats(max_value=-MAX_EMPLOYED * 1.001, allow_infinity=False)),
)


@FAST
@given(size=HOSTILE_SIZES)
@example(size={"percent": math.nan}).via("issue #15 finding 4: the API took NaN")
@example(size={"persons": 1e308}).via("issue #15 finding 4")
@example(size={"percent": 1e9}).via("issue #15 finding 4")
def test_api_refuses_hostile_scenario_numbers(env, size):
    before = stored(env)
    body = json.dumps(scenario(**size))  # NaN / Infinity as Python's json writes them, as a client could send
    response = env["client"].post("/v1/scenarios", content=body,
                                  headers={**bearer(env["admin"]), "content-type": "application/json"})
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    field = next(iter(size))
    assert f"changes[0].{field}: must be" in detail and "\n" not in detail
    assert stored(env) == before


ALIAS_BOMB = ('id: bomb\nname: bomb\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
              + "".join(f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefg", "bcdefgh"))
              + "changes: [*h]\n")


def yaml_scenario(size_line: str) -> str:
    return ('id: fuzz\nname: fuzz\nchanges:\n  - kind: employment_change\n'
            f'    target: {{region: "450200", sector: C36}}\n    {size_line}\n')


@FAST
@given(text=st.one_of(
    st.sampled_from(["percent: .nan", "persons: .NaN", "percent: .inf", "persons: -.inf", "percent: 1e9",
                     "percent: 1.0e9", "percent: -1e308", "persons: 1e308", "persons: -1.5e9", "percent: 1e4",
                     "percent: -101"]).map(yaml_scenario),
    st.integers(40, 30000).map(lambda n: "[" * n + "]" * n),
    st.just(ALIAS_BOMB)))
@example(text=ALIAS_BOMB).via("issue #15 finding 4: the alias bomb")
@example(text="[" * 20000 + "]" * 20000).via("issue #15 finding 4: 20k nested brackets")
@example(text=yaml_scenario("percent: .nan")).via("issue #15 finding 4: .nan stored a run")
@example(text=yaml_scenario("percent: 1e9")).via("issue #15 finding 8: said 'must be a number'")
def test_run_with_a_hostile_scenario_file_exits_2_and_stores_no_run(env, capsys, text):
    path = env["files"] / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    before = stored(env)
    assert_one_line_refusal(*run_cli(capsys, "--home", str(env["home"]), "run", "--scenario", str(path)))
    assert stored(env) == before


def test_scenario_targets_are_checked_before_anything_is_fitted(env, capsys, monkeypatch):
    import forecasting.pipeline as pipeline

    def no_fit(*args, **kwargs):
        raise AssertionError("the pipeline fitted a forecast for a scenario with an unknown region")

    monkeypatch.setattr(pipeline, "engine_forecast", no_fit)
    path = env["files"] / "typo.yaml"
    path.write_text(yaml_scenario("percent: 15").replace('"450200"', '"450299"'), encoding="utf-8")
    before = stored(env)
    code, out, err = run_cli(capsys, "--home", str(env["home"]), "run", "--scenario", str(path))
    assert_one_line_refusal(code, out, err)
    assert "changes[0].target.region: unknown region '450299' (not in the regions table)" in err
    assert stored(env) == before


@pytest.mark.parametrize("text, says", [
    (ALIAS_BOMB, "line 3: anchors and aliases (&name, *name) are not allowed"),
    ("[" * 20000 + "]" * 20000, "line 1: nested more than 32 levels deep"),
    ("a:\n" + "".join("  " * i + "- \n" for i in range(1, 40)), "nested more than 32 levels deep"),
    ("x" * 1_000_001, "1000001 characters, more than the limit of 1000000"),
])
def test_the_yaml_loader_refuses_aliases_depth_and_size_in_one_line(text, says):
    from features.safe_yaml import YamlLimitError, load_yaml

    with pytest.raises(YamlLimitError) as info:
        load_yaml(text)
    assert says in str(info.value) and "\n" not in str(info.value)


def test_the_yaml_loader_reads_plain_data_and_yaml_1_2_numbers():
    from features.safe_yaml import load_yaml

    brackets = "[" * 40  # in quotes and comments they are text, not nesting
    text = f'a: "{brackets}"\nb: [1e9, 1.0e9, -2E3, 15, .5, 1.0e+3]  # {brackets}\n'
    assert load_yaml(text) == {"a": brackets, "b": [1e9, 1e9, -2000.0, 15, 0.5, 1000.0]}


def test_rule_sets_go_through_the_same_loader(tmp_path):
    from early_warning.rules import RuleSetError, load_rule_set

    path = tmp_path / "bomb-rules.yaml"
    path.write_text(ALIAS_BOMB, encoding="utf-8")
    with pytest.raises(RuleSetError, match="anchors and aliases"):
        load_rule_set(path)


def test_percent_1e9_in_yaml_says_out_of_range(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(yaml_scenario("percent: 1e9"), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    english, chinese = str(info.value).split(" / ", 1)
    assert english == f"{path}: changes[0].percent: must be <= 1000, got 1000000000 (out of range)"
    assert chinese == ScenarioError.zh_default


# -------------------------------------------------------------------------------------------------- reader caps
# The caps are far above real files; lowered here so that a small file meets each of them.

def _parquet(rows: int) -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame({"region": ["450200"] * rows, "employed": range(rows)}).to_parquet(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("cap, value, name, data, says", [
    ("MAX_ROWS", 3, "e.csv", CSV_TEXT.encode() + b"450200,C36,2022,1\n" * 3, "4 data lines, more than the limit of 3"),
    ("MAX_COLUMNS", 3, "e.csv", CSV_TEXT.encode(), "the header has 4 fields, more than the limit of 3"),
    ("MAX_CELLS", 50, "e.csv", b"a,b\n" + b"," * 60 + b"\n", "about 63 fields, more than the limit of 50"),
    ("MAX_FILE_BYTES", 10, "e.csv", CSV_TEXT.encode(), "more than the limit of 0 MiB"),
    ("MAX_ROWS", 3, "e.xlsx", workbook("A1:D2", "A70"), "has more than 3 rows (stopped at row 70)"),
    ("MAX_CELLS", 5, "e.xlsx", workbook("A1:D2", None), "has more than 5 cells (stopped at row 2)"),
    ("MAX_XLSX_XML_BYTES", 100, "e.xlsx", workbook("A1:D2", None), "the workbook unpacks to"),
    ("MAX_ROWS", 3, "e.parquet", _parquet(5), "5 rows and 2 columns, more than the limit of 3 rows"),
], ids=["csv-rows", "csv-header", "csv-fields", "bytes", "xlsx-rows", "xlsx-cells", "xlsx-unpacked", "parquet"])
def test_each_reader_cap_refuses_before_reading(monkeypatch, cap, value, name, data, says):
    from features import readers
    from features.errors import InputFileError

    monkeypatch.setattr(readers, cap, value)
    with pytest.raises(InputFileError) as info:
        readers.read_table_bytes(data, name)
    assert says in str(info.value) and "\n" not in str(info.value)
