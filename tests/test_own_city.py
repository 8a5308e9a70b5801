"""A Xi'an planner with two hand-filled templates (schools in GB18030 with 大专/高职, enrolment with Chinese
headers; tests/data/xian/) gets forecasts, gaps, warnings and an XLSX export in five commands, no code:

    talentcast init --region 西安 --dir W
    talentcast --home W ingest schools schools.csv
    talentcast --home W ingest enrolment enrolment.csv
    talentcast --home W run
    talentcast --home W export warnings --output W/warnings.xlsx
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from talentcast.settings import get_settings
from talentcast.storage import Storage
from test_cli_data import run_cli

FIXTURES = Path(__file__).resolve().parent / "data" / "xian"

pytestmark = pytest.mark.slow


def test_a_planner_gets_results_for_xian_in_five_commands(tmp_path, capsys):
    workspace = tmp_path / "xian"
    steps = [
        ["init", "--region", "西安", "--dir", str(workspace)],
        ["--home", str(workspace), "ingest", "schools", str(FIXTURES / "schools.csv")],
        ["--home", str(workspace), "ingest", "enrolment", str(FIXTURES / "enrolment.csv")],
        # --paths / --no-track only keep the test short; a planner runs `talentcast run` as it is
        ["--home", str(workspace), "run", "--quiet", "--no-track", "--paths", "200"],
        ["--home", str(workspace), "export", "warnings", "--output", str(workspace / "warnings.xlsx")],
    ]
    outputs = []
    for step in steps:
        code, out, err = run_cli(capsys, *step)
        assert code == 0, f"{step}: {err}"
        outputs.append(out)
    assert "西安市 (610100)" in outputs[0] and "employment v1 stored" in outputs[0]
    assert "stored: schools v1: 2 rows" in outputs[1] and "stored: enrolment v1: 45 rows" in outputs[2]
    assert "user-supplied" in outputs[3] and "real" in outputs[3] and "generated" not in outputs[3].split(
        "user-supplied")[0].splitlines()[-1]

    get_settings.cache_clear()
    with Storage(f"sqlite:///{(workspace / 'talentcast.db').resolve()}") as storage:
        run = storage.latest_run()
        gaps = storage.load_results("gaps", run_id=run.run_id)
        warnings = storage.load_results("warnings", run_id=run.run_id)
        demand = storage.load_results("demand", run_id=run.run_id)
    assert set(gaps["region"]) >= {"610100"} and len(demand) > 0
    assert set(warnings["school"]) == {"610100-X01", "610100-X02"} and len(warnings) == 5
    assert set(warnings["level"]) <= {"red", "yellow", "green", "not_rated"}

    book = openpyxl.load_workbook(workspace / "warnings.xlsx")
    table = book[book.sheetnames[0]]
    rows = [[cell.value for cell in row] for row in table.iter_rows()]
    flat = {str(v) for row in rows[:3] for v in row if v is not None}
    assert {"学校名称", "专业名称", "预警等级"} <= flat or {"学校代码", "预警等级"} <= flat
    body = {str(v) for row in rows for v in row if v is not None}
    assert "西安示例职业技术学院（虚构）" in body and "计算机应用技术" in body
    assert len(book.sheetnames) >= 2  # the table and the sheet that says which run and data produced it
    get_settings.cache_clear()
