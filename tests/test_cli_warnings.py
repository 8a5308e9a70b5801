"""`talentcast warnings` against a real SQLite store: stored warnings, recomputation with another rule set,
formats, and one-line errors with exit code 2."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from early_warning import compute_warnings
from talentcast.cli import main
from test_rules import PLAN_YEAR, make_results, make_tables

REPO = Path(__file__).resolve().parents[1]

CLASSES = [
    {"school": "S1", "major": "460701", "rates": [0.90, 0.92, 0.93], "intake": 60},       # shortage -> expand
    {"school": "S2", "major": "460701", "rates": [0.88, 0.90, 0.91], "intake": 40},       # shortage -> expand
    {"school": "S1", "major": "440301", "rates": [0.55, 0.52, 0.50], "intake": 45},       # low -> red shrink
    {"school": "S2", "major": "510201", "rates": [0.45, 0.42, 0.40], "intake": 30},       # persistent -> suspend
    {"school": "S3", "major": "470101", "rates": [0.80, 0.82, 0.58], "intake": 50},       # one year low -> yellow
]
PRESSURE = {"460701": (0.9, 0.0), "440301": (0.1, 0.5), "510201": (0.1, 0.6), "470101": (0.4, 0.1)}


def _store(tables, results, warnings):
    from talentcast.storage import RunMeta, Storage

    sectors = pd.DataFrame({"code": ["C36", "I65", "E", "C38"], "name_zh": ["汽车制造业", "软件和信息技术服务业",
                                                                          "建筑业", "电气机械和器材制造业"]})
    with Storage() as storage:
        storage.ingest("regions", tables["regions"], "regions.csv")
        storage.ingest("sectors", sectors, "sectors.csv")
        for name in ("majors", "schools", "enrolment", "major_sector_map"):
            storage.ingest(name, tables[name], f"{name}.csv")
        return storage.save_run({**results, "warnings": warnings}, RunMeta(horizon=5))


@pytest.fixture
def stored_run():
    tables = make_tables(CLASSES)
    results = make_results(PRESSURE, gaps={"C36": 8.0, "I65": -5.0, "E": -20.0, "C38": 3.0})
    warnings = compute_warnings(tables, results, PLAN_YEAR, "forecast")
    run_id = _store(tables, results, warnings)
    return tables, results, warnings, run_id


def run_cli(capsys, *args) -> tuple[int, str, str]:
    try:
        main(["warnings", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_stored_warnings_as_json(stored_run, capsys):
    _tables, _results, warnings, _run_id = stored_run
    code, out, err = run_cli(capsys, "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert len(records) == len(warnings) == 5
    by_key = {(r["school"], r["major"]): r for r in records}
    for _, w in warnings.iterrows():
        r = by_key[(w["school"], w["major"])]
        assert (r["level"], r["action"], r["recommended_intake"]) == (w["level"], w["action"],
                                                                      w["recommended_intake"])
        assert r["rules_fired"] == w["rules_fired"] and r["rule_set"] == "forecast"
    assert {r["level"] for r in records} == {"red", "yellow", "green"}
    assert {r["action"] for r in records} == {"expand", "shrink", "suspend", "hold"}


def test_school_table_shows_explanations(stored_run, capsys):
    code, out, err = run_cli(capsys, "--school", "S2")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["school", "major", "level", "action", "current", "recommended", "rules", "fired"]
    assert any(line.startswith("S2") and "510201" in line and "suspend" in line for line in lines)
    assert not any(line.startswith("S1") for line in lines)
    assert any("【红牌·暂停招生】" in line for line in lines)
    assert any("[RED / suspend]" in line for line in lines)
    assert "source: stored run" in out


def test_other_rule_set_is_computed_from_stored_tables(stored_run, capsys):
    tables, results, _warnings, _run_id = stored_run
    code, out, err = run_cli(capsys, "--rules", "tianjin-2009", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    expected = compute_warnings(tables, results, PLAN_YEAR, "tianjin-2009")
    assert len(rows) == len(expected)
    assert {r["rule_set"] for r in rows} == {"tianjin-2009"}
    got = {(r["school"], r["major"]): (r["level"], r["action"], int(float(r["recommended_intake"]))) for r in rows}
    for _, w in expected.iterrows():
        assert got[(w["school"], w["major"])] == (w["level"], w["action"], w["recommended_intake"])
    # S2 / 510201 at 40%: not below 40% -> plan capped at last year's 40 employed (intake 30 stays 30, yellow)
    assert got[("S2", "510201")] == ("yellow", "hold", 30)
    assert json.loads(rows[0]["rules_fired"]) is not None  # lists are written as JSON


def test_rule_file_and_min_class_size(stored_run, tmp_path, capsys):
    rules = tmp_path / "my-rules.yaml"
    rules.write_text(
        "name: strict\nmax_change: 0.3\nrules:\n"
        "  - name: below-95\n    level: yellow\n    action: shrink\n    adjustment: -0.3\n"
        "    description_zh: 就业率低于95%\n    when:\n"
        "      - {indicator: employment_rate, op: '<', value: 0.95}\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "--rules", str(rules), "--format", "json", "--min-class-size", "35")
    assert code == 0, err
    records = {(r["school"], r["major"]): r for r in json.loads(out)}
    assert {r["rule_set"] for r in records.values()} == {"strict"}
    # S1/460701: 60 -> 42 (>= 35); S2/510201: 30 -> 21 < 35 and already below 35 -> suspended
    assert records[("S1", "460701")]["recommended_intake"] == 42
    assert records[("S2", "510201")]["recommended_intake"] == 0
    assert records[("S2", "510201")]["rules_fired"] == ["below-95", "min-class-size"]
    # S1/440301: 45 -> 32 would break the class of 35; the cut is shortened to 35
    assert records[("S1", "440301")]["recommended_intake"] == 35


def test_level_filter_and_year(stored_run, capsys):
    code, out, err = run_cli(capsys, "--level", "red", "--format", "json", "--year", str(PLAN_YEAR))
    assert code == 0, err
    assert {r["level"] for r in json.loads(out)} == {"red"}
    code, out, err = run_cli(capsys, "--format", "json", "--year", str(PLAN_YEAR + 1))
    assert code == 0, err  # another plan year is computed: the last known intake year is the same
    assert {r["plan_year"] for r in json.loads(out)} == {PLAN_YEAR + 1}


@pytest.mark.parametrize("args, message", [
    (["--rules", "moe-2012"], "error: moe-2012: no such rule set or file; built-in rule sets: forecast"),
    (["--format", "xml"], "error: unknown format 'xml'; use table, csv, json or xlsx"),
    (["--level", "orange"], "error: unknown level 'orange'; use red, yellow, green or not_rated"),
    (["--min-class-size", "-1"], "error: Invalid value for '--min-class-size'"),
])
def test_user_errors_exit_2_with_one_line(capsys, args, message):
    # Checked before the store is opened, so no run is needed.
    code, out, err = run_cli(capsys, *args)
    assert code == 2
    assert err.strip() == err.strip().splitlines()[0]  # one line, no traceback
    assert err.startswith(message), err


def test_unknown_school(stored_run, capsys):
    code, _out, err = run_cli(capsys, "--school", "NOPE")
    assert code == 2
    assert err.strip() == ("error: school 'NOPE' has no warnings in this run; schools with warnings: S1, S2, S3 / "
                           "本次运行中学校 'NOPE' 没有预警；有预警的学校：S1, S2, S3")


def test_bad_rule_file_refused_before_reading_the_store(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nrules:\n  - name: r1\n    level: green\n    action: shrink\n    adjustment: -0.1\n"
                   "    when:\n      - {indicator: employment_rate, op: '<', value: 60}\n", encoding="utf-8")
    code, _out, err = run_cli(capsys, "--check-rules", str(bad))
    assert code == 2
    assert err.strip() == (f"error: {bad}, rule 'r1', field 'action': impossible combination: a green rule "
                           f"cannot shrink / {bad}，规则“r1”，字段“action”：预警规则集有误（原因见前面的英文）")
    code, _out, err = run_cli(capsys, "--rules", str(bad))
    assert code == 2 and "a green rule cannot shrink" in err


def test_no_run_yet(capsys):
    code, _out, err = run_cli(capsys)
    assert code == 2
    assert err.strip() == ("error: no completed run yet; run `talentcast run` (or `talentcast demo`) first / "
                           "还没有已完成的运行；请先运行 `talentcast run`（或 `talentcast demo`）")


def test_list_and_check_rules(capsys):
    code, out, _err = run_cli(capsys, "--list-rules")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert names == ["forecast", "moe-2011", "sichuan", "tianjin-2009"]
    assert "measure=placement" in out.splitlines()[1]
    code, out, _err = run_cli(capsys, "--check-rules", str(REPO / "early_warning/rulesets/sichuan.yaml"))
    assert code == 0 and "rule set 'sichuan' with 3 rules" in out


def test_console_script_exit_code(tmp_path):
    env = dict(os.environ, TALENTCAST_HOME=str(tmp_path / "home"))
    proc = subprocess.run([sys.executable, "-c", "from talentcast.cli import main; main()", "warnings", "--rules",
                           "nope"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: nope: no such rule set or file")
    assert "Traceback" not in proc.stderr


def test_csv_file_for_excel_has_bom_and_chinese(stored_run, tmp_path, capsys):
    target = tmp_path / "预警.csv"
    code, out, err = run_cli(capsys, "--format", "csv", "--school", "S1", "--output", str(target))
    assert code == 0, err
    assert out.startswith("wrote 2 warnings to")
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel on Chinese Windows opens it as UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["major"] for r in rows] == ["440301", "460701"]
    assert "【红牌·调减招生】" in rows[0]["explanation_zh"]
    code, _out, err = run_cli(capsys, "--output", str(tmp_path / "missing" / "x.csv"), "--format", "csv")
    assert code == 2 and "cannot write file" in err
