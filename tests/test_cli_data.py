"""Tests of the data commands: `talentcast validate`, `ingest`, `datasets` (exit codes, messages, storage)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from talentcast.cli import main
from talentcast.storage import Storage

REPO = Path(__file__).resolve().parents[1]

REGIONS_CSV = (
    "code,name_zh,name_en,parent,level\n"
    "450000,广西壮族自治区,Guangxi,,province\n"
    "450200,柳州市,Liuzhou,450000,city\n"
    "450202,城中区,Chengzhong,450200,district\n"
)
SECTORS_CSV = (
    "code,name_zh,name_en,parent\n"
    "C,制造业,Manufacturing,\n"
    "C36,汽车制造业,Automobile manufacturing,C\n"
)


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run the real `talentcast` entry point in-process; returns (exit code, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def database_content() -> dict[str, list]:
    """Every dataset version and data row now in the test database."""
    st = Storage()
    try:
        versions = [(v.table, v.version, v.rows, v.checksum) for v in st.versions()]
        rows = {table: st.load_table(table).to_dict("records") for table in st.current_versions()}
    finally:
        st.close()
    return {"versions": versions, "rows": rows}


def test_ingest_gbk_file_keeps_chinese_text(tmp_path, capsys):
    path = write(tmp_path / "regions_gbk.csv", REGIONS_CSV, encoding="gbk")
    code, out, err = run_cli(capsys, "ingest", "regions", str(path), "--metadata", '{"来源": "民政部区划代码"}')
    assert code == 0, err
    assert out.strip().splitlines()[-1].startswith("stored: regions v1: 3 rows, sha256 ")
    st = Storage()
    regions = st.load_table("regions")
    assert regions["name_zh"].tolist() == ["广西壮族自治区", "柳州市", "城中区"]
    assert regions["parent"].tolist() == [None, "450000", "450200"]
    # the user's metadata, and the kind every ingested file gets (talentcast.provenance)
    assert st.versions("regions")[0].metadata == {"来源": "民政部区划代码", "kind": "user-supplied", "synthetic": False}
    assert st.versions("regions")[0].source_file == str(path)
    st.close()


def test_ingest_numbers_versions_and_checks_references(tmp_path, capsys):
    regions = write(tmp_path / "regions.csv", REGIONS_CSV)
    sectors = write(tmp_path / "sectors.csv", SECTORS_CSV)
    assert run_cli(capsys, "ingest", "regions", str(regions))[0] == 0
    assert run_cli(capsys, "ingest", "sectors", str(sectors))[0] == 0
    code, out, _ = run_cli(capsys, "ingest", "regions", str(regions))
    assert code == 0 and "stored: regions v2: 3 rows" in out
    code, out, _ = run_cli(capsys, "ingest", "regions", str(regions), "--skip-unchanged")
    assert code == 0 and "unchanged: regions v2" in out
    employment = write(tmp_path / "employment.csv",
                       "region,sector,year,employed\n450200,C36,2022,81000\n450200,C37,2022,5000\n")
    code, out, err = run_cli(capsys, "ingest", "employment", str(employment))
    assert code == 2
    assert out.strip() == ("error: employment.csv, row 3, column 'sector', value 'C37': unknown code: "
                           "not found in sectors.code / 未知代码：sectors.code 中没有这个代码")
    assert err.strip() == ("error: employment.csv is not a valid 'employment' table: 1 error; nothing stored / "
                           "employment.csv 不是有效的“employment”表：1 个错误；未保存任何数据")
    assert Storage().current_versions() == {"regions": 2, "sectors": 1}


def test_ingest_with_bad_last_row_leaves_database_unchanged(tmp_path, capsys):
    assert run_cli(capsys, "ingest", "regions", str(write(tmp_path / "r.csv", REGIONS_CSV)))[0] == 0
    assert run_cli(capsys, "ingest", "sectors", str(write(tmp_path / "s.csv", SECTORS_CSV)))[0] == 0
    lines = ["region,sector,year,employed"] + [f"450200,C36,{y},{80000 + y}" for y in range(2000, 2023)]
    lines.append("450200,C36,2023,-5")  # the last row is bad
    before = database_content()
    code, out, err = run_cli(capsys, "ingest", "employment", str(write(tmp_path / "e.csv", "\n".join(lines))))
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("error: e.csv is not a valid 'employment' table: 1 error; nothing stored")
    assert out.strip() == "error: e.csv, row 25, column 'employed', value '-5': must not be negative / 不能为负数"
    assert database_content() == before


def test_validate_reports_issues_and_exit_codes(tmp_path, capsys):
    good = write(tmp_path / "regions.csv", REGIONS_CSV)
    code, out, err = run_cli(capsys, "validate", "regions", str(good))
    assert code == 0, err
    assert "ok: regions.csv is a valid 'regions' table: 3 rows, 0 warnings" in out
    bad = write(tmp_path / "bad.csv", REGIONS_CSV + "450300,桂林市,Guilin,450000,town\n450300,桂林市,Guilin,450000,city\n")
    code, out, err = run_cli(capsys, "validate", "regions", str(bad))
    assert code == 2
    assert err.strip().splitlines() == [err.strip()]
    assert err.startswith("error: bad.csv is not a valid 'regions' table: 2 errors; nothing stored / ")
    issues = [line for line in out.splitlines() if line.startswith("error:")]
    assert issues[0].startswith("error: bad.csv, row 5, column 'level', value 'town': not one of the allowed "
                                "values: province (省, 省级), city (市, 地级市), district (区, 县) / 不是允许的取值")
    assert len(issues) == 2 and "duplicate key" in issues[1] and "重复" in issues[1]
    # validate never stores anything.
    assert Storage().versions() == []


def test_ingest_refuses_a_table_before_its_references(tmp_path, capsys):
    path = write(tmp_path / "employment.csv", "region,sector,year,employed\n450200,C36,2021,1\n")
    assert run_cli(capsys, "ingest", "regions", str(write(tmp_path / "r.csv", REGIONS_CSV)))[0] == 0
    code, _, err = run_cli(capsys, "ingest", "employment", str(path))
    assert code == 2
    assert err.strip() == ("error: cannot ingest 'employment' yet: its codes are checked against sectors, which "
                           "has no data; ingest sectors first (order: regions, sectors, employment, vacancies, "
                           "majors, schools, enrolment, major_sector_map, sector_parameters) / “employment”的代码"
                           "要对照 sectors 检查，而这些表还没有数据；请先导入 sectors（顺序：regions, sectors, "
                           "employment, vacancies, majors, schools, enrolment, major_sector_map, sector_parameters）")
    assert Storage().current_versions() == {"regions": 1}


def test_validate_refuses_like_ingest_when_references_are_missing(tmp_path, capsys):
    # validate and ingest give one verdict: codes that cannot be checked are not "valid".
    path = write(tmp_path / "employment.csv", "region,sector,year,employed\n450200,C36,2021,1\n450200,C36,2022,2\n")
    code, out, err = run_cli(capsys, "validate", "employment", str(path))
    assert code == 2 and "cannot check 'employment' yet" in err and "ingest regions, sectors first" in err
    code, out, err_ingest = run_cli(capsys, "ingest", "employment", str(path))
    assert code == 2 and "cannot ingest 'employment' yet" in err_ingest
    assert err.split("yet", 1)[1] == err_ingest.split("yet", 1)[1]


@pytest.mark.parametrize("args, message", [
    (("ingest", "students", "x.csv"), "error: unknown table 'students'; known tables: regions, sectors, employment"),
    (("validate", "regionz", "x.csv"), "error: unknown table 'regionz'; known tables: regions"),
    (("datasets", "--table", "nope"), "error: unknown table 'nope'"),
    (("ingest", "regions", "{tmp}/missing.csv"), "error: "),
    (("ingest", "regions", "{tmp}/r.csv", "--metadata", "{bad json"), "error: --metadata is not valid JSON"),
    (("ingest", "regions", "{tmp}/r.csv", "--metadata", "[1, 2]"), "error: --metadata must be a JSON object"),
    (("datasets", "--format", "xml"), "error: "),
])
def test_user_errors_exit_2_with_one_line(tmp_path, capsys, args, message):
    write(tmp_path / "r.csv", REGIONS_CSV)
    code, _, err = run_cli(capsys, *(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert code == 2
    assert err.startswith(message)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert Storage().versions() == []


def test_datasets_lists_versions_as_table_and_json(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "datasets")
    assert code == 0 and "no datasets stored yet" in out
    path = write(tmp_path / "regions.csv", REGIONS_CSV)
    run_cli(capsys, "ingest", "regions", str(path), "--metadata", '{"synthetic": false}')
    run_cli(capsys, "ingest", "regions", str(path))
    run_cli(capsys, "ingest", "sectors", str(write(tmp_path / "sectors.csv", SECTORS_CSV)))
    code, out, _ = run_cli(capsys, "datasets", "--format", "json")
    assert code == 0
    listed = json.loads(out)
    assert [(d["table"], d["version"], d["current"], d["rows"]) for d in listed] == [
        ("regions", 1, False, 3), ("regions", 2, True, 3), ("sectors", 1, True, 2)]
    assert listed[0]["metadata"] == {"synthetic": False, "kind": "real"} and len(listed[0]["checksum"]) == 64
    # a file without a stated kind is user-supplied (not generated, hence synthetic false)
    assert [d["synthetic"] for d in listed] == [False, False, False]
    assert [d["kind"] for d in listed] == ["real", "user-supplied", "user-supplied"]
    code, out, _ = run_cli(capsys, "datasets", "--table", "sectors")
    assert code == 0 and "sectors" in out and "2*" not in out and "regions" not in out
    code, out, _ = run_cli(capsys, "datasets")
    assert code == 0 and "2*" in out and "数据版本" in out and "real 真实" in out and "user-supplied" in out
    assert "生成" not in out
    run_cli(capsys, "ingest", "sectors", str(tmp_path / "sectors.csv"), "--metadata",
            '{"synthetic": true, "generator": "talentcast.generator"}')
    code, out, _ = run_cli(capsys, "datasets", "--table", "sectors")
    assert code == 0 and "generated" in out and "partly" not in out
    run_cli(capsys, "ingest", "regions", str(tmp_path / "regions.csv"), "--metadata",
            '{"synthetic": true, "synthetic_rows": "code == \'450200\'"}')
    code, out, _ = run_cli(capsys, "datasets", "--table", "regions")
    assert code == 0 and "partly" in out and "部分生成" in out  # the narrow table may wrap the label


def test_console_script_ingests_gb18030_file(tmp_path):
    # One run through a real subprocess: the installed console script and its exit code.
    path = write(tmp_path / "sectors.csv", SECTORS_CSV.replace("汽车制造业", "汽车制造业（含新能源）"), "gb18030")
    env = {**os.environ, "TALENTCAST_HOME": str(tmp_path / "home"), "PYTHONIOENCODING": "utf-8"}
    talentcast = str(Path(sys.executable).parent / "talentcast")
    ok = subprocess.run([talentcast, "ingest", "sectors", str(path)],
                        capture_output=True, text=True, env=env, cwd=REPO, encoding="utf-8")
    assert ok.returncode == 0, ok.stderr
    assert "stored: sectors v1: 2 rows" in ok.stdout
    st = Storage(f"sqlite:///{tmp_path / 'home' / 'talentcast.db'}")
    assert st.load_table("sectors")["name_zh"].tolist() == ["制造业", "汽车制造业（含新能源）"]
    st.close()


def test_datasets_table_never_crops_numbers_in_a_narrow_terminal(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    lines = [REGIONS_CSV.rstrip("\n")] + [f"45{i:04d},区{i},District {i},450200,district" for i in range(300, 1534)]
    path = write(tmp_path / "a_rather_long_file_name_for_regions_of_guangxi.csv", "\n".join(lines) + "\n")
    assert run_cli(capsys, "ingest", "regions", str(path))[0] == 0
    code, out, _ = run_cli(capsys, "datasets")
    assert code == 0
    assert "1237" in out and "1*" in out
    assert max(len(line) for line in out.splitlines()) <= 60


@pytest.mark.parametrize("command", ["validate", "ingest"])
def test_each_issue_is_printed_exactly_once_in_both_languages(tmp_path, capsys, command):
    assert run_cli(capsys, "ingest", "regions", str(write(tmp_path / "r.csv", REGIONS_CSV)))[0] == 0
    assert run_cli(capsys, "ingest", "sectors", str(write(tmp_path / "s.csv", SECTORS_CSV)))[0] == 0
    bad = write(tmp_path / "就业.csv", "地区代码,行业代码,年份,就业人数\n450200,C36,2022,-5\n450200,C99,2023,10\n")
    code, out, err = run_cli(capsys, command, "employment", str(bad))
    assert code == 2
    both = out + err
    for text in ("value '-5'", "must not be negative", "不能为负数", "value 'C99'", "unknown code", "未知代码"):
        assert both.count(text) == 1, (text, both)
    assert out.splitlines() == [
        "error: 就业.csv, row 2, column 'employed', value '-5': must not be negative / 不能为负数",
        "error: 就业.csv, row 3, column 'sector', value 'C99': unknown code: not found in sectors.code / 未知代码："
        "sectors.code 中没有这个代码"]
    assert err == ("error: 就业.csv is not a valid 'employment' table: 2 errors; nothing stored / 就业.csv 不是有效的"
                   "“employment”表：2 个错误；未保存任何数据\n")
