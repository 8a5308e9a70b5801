"""The `talentcast forecast` / `backtest` contract: columns, period formats, GB18030, exit 2 with one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from talentcast.cli import main

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ["series_id", "period", "mean", "lo_80", "hi_80", "lo_95", "hi_95", "model"]


def run(argv, capsys) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def yearly_csv(tmp_path) -> Path:
    rng = np.random.default_rng(3)
    rows = []
    for i, name in enumerate(["柳州|汽车制造", "柳州|工程机械", "南宁|软件", "桂林|旅游", "梧州|陶瓷"]):
        level = 100 * (i + 1)
        for year in range(2012, 2024):
            rows.append({"series_id": name, "period": year, "value": level * np.exp(0.03 * (year - 2012)
                                                                                     + rng.normal(0, 0.02))})
    path = tmp_path / "就业.csv"
    pd.DataFrame(rows).to_csv(path, index=False, encoding="gb18030")
    return path


def test_forecast_writes_the_contract_csv_from_a_gb18030_file(yearly_csv, tmp_path, capsys):
    out = tmp_path / "fc.csv"
    code, stdout, _ = run(["forecast", "--input", str(yearly_csv), "--horizon", "3", "--output", str(out),
                           "--no-track"], capsys)
    assert code == 0
    fc = pd.read_csv(out, dtype={"period": str})
    assert list(fc.columns) == COLUMNS
    assert len(fc) == 15 and set(fc["series_id"]) >= {"柳州|汽车制造", "梧州|陶瓷"}
    assert fc[fc["series_id"] == "柳州|汽车制造"]["period"].tolist() == ["2024", "2025", "2026"]
    assert "wrote 15 rows for 5 series" in stdout
    # Levels 100 .. 500 growing 3% a year: year-one forecasts near level x e^(0.03 x 12).
    first = fc[fc["period"] == "2024"].set_index("series_id")["mean"]
    assert first["柳州|汽车制造"] == pytest.approx(100 * np.exp(0.36), rel=0.1)


def test_intervals_without_enough_backtest_errors_say_so(yearly_csv, tmp_path, capsys):
    # Five series x 12 years: fewer than 30 backtest errors at every horizon, so the intervals rest on in-sample
    # errors; the user is told, in English and Chinese. Forty series give 30+ errors one year ahead: no note.
    code, stdout, _ = run(["forecast", "--input", str(yearly_csv), "--horizon", "2", "--output",
                           str(tmp_path / "few.csv"), "--no-track"], capsys)
    assert code == 0
    assert "note: too few backtest errors to calibrate the intervals" in stdout
    assert "one-step in-sample errors" in stdout and "区间未经回测校准" in stdout
    rng = np.random.default_rng(5)
    rows = [{"series_id": f"s{i}", "period": year, "value": 100 * np.exp(0.02 * (year - 2012) + rng.normal(0, 0.05))}
            for i in range(40) for year in range(2012, 2024)]
    many = tmp_path / "many.csv"
    pd.DataFrame(rows).to_csv(many, index=False)
    code, stdout, _ = run(["forecast", "--input", str(many), "--horizon", "2", "--output", str(tmp_path / "m.csv"),
                           "--no-track"], capsys)
    assert code == 0 and "wrote 80 rows for 40 series" in stdout and "note:" not in stdout


def test_monthly_periods_and_levels_and_the_employment_table(tmp_path, capsys):
    months = pd.period_range("2019-01", "2023-12", freq="M").strftime("%Y-%m")
    frame = pd.DataFrame({"series_id": "s", "period": months,
                          "value": 50 + 5 * np.sin(np.arange(len(months)) * 2 * np.pi / 12)})
    path = tmp_path / "m.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out.csv"
    code, _, _ = run(["forecast", "-i", str(path), "--horizon", "2", "-o", str(out), "--levels", "50,90",
                      "--method", "snaive", "--no-track"], capsys)
    assert code == 0
    fc = pd.read_csv(out, dtype={"period": str})
    assert fc["period"].tolist() == ["2024-01", "2024-02"]
    assert list(fc.columns) == ["series_id", "period", "mean", "lo_50", "hi_50", "lo_90", "hi_90", "model"]
    np.testing.assert_allclose(fc["mean"], frame["value"].iloc[:2], rtol=1e-9)

    employment = pd.DataFrame({"region": "450200", "sector": "C36", "year": range(2015, 2023),
                               "employed": [30, 31, 33, 34, 36, 37, 39, 40]})
    path = tmp_path / "employment.csv"
    employment.to_csv(path, index=False)
    code, _, _ = run(["forecast", "-i", str(path), "--horizon", "1", "-o", str(out), "--no-track"], capsys)
    assert code == 0
    assert pd.read_csv(out, dtype={"period": str})[["series_id", "period"]].values.tolist() == [["450200|C36",
                                                                                                "2023"]]


def test_backtest_writes_the_long_table_and_prints_models_best_first(yearly_csv, tmp_path, capsys):
    out = tmp_path / "bt.csv"
    code, stdout, _ = run(["backtest", "--input", str(yearly_csv), "--horizon", "2", "--windows", "3",
                           "--output", str(out), "--models", "theta,rdrift", "--no-track"], capsys)
    assert code == 0
    bt = pd.read_csv(out, dtype={"period": str, "cutoff": str})
    assert {"series_id", "cutoff", "period", "model", "actual", "mean", "lo_80", "hi_95"} <= set(bt.columns)
    # 2012-2023, h = 2, three windows one year apart: the last cutoff leaves exactly two years out.
    assert sorted(bt["cutoff"].unique()) == ["2019", "2020", "2021"]
    assert set(bt["model"]) == {"theta", "rdrift", "naive", "drift"}
    lines = [line for line in stdout.splitlines() if line.split() and line.split()[0] in set(bt["model"])]
    mase = [float(line.split()[1]) for line in lines]
    assert len(lines) == 4 and mase == sorted(mase)


BAD_CASES = [
    ("series_id,period,value\na,2020,1\na,2021,x\n", [], "row 3, column 'value', value 'x': not a number"),
    ("series_id,period,value\na,2020,1\na,2020,2\n", [], "duplicate period 2020 for series 'a'"),
    ("series_id,period,value\na,2020,1\na,2021,2\n", ["--horizon", "0"], "--horizon must be at least 1"),
    ("series_id,period,value\na,2020,1\na,2021,2\n", ["--method", "magic"], "known methods: auto, naive"),
    ("id,year,amount\na,2020,1\n", [], "missing columns series_id, period, value"),
]


@pytest.mark.parametrize(("text", "extra", "message"), BAD_CASES)
def test_bad_input_exits_2_with_one_line(text, extra, message, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    argv = ["forecast", "--input", str(path), "--horizon", "1", "--output", str(tmp_path / "o.csv"), "--no-track"]
    code, _, err = run(argv + extra, capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_unreadable_file_exits_2_with_one_line(tmp_path, capsys):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\xff\xfe\x00\x81\x82\x83 not text \x80\x81")
    code, _, err = run(["forecast", "--input", str(junk), "--horizon", "2", "--output", str(tmp_path / "o.csv"),
                        "--no-track"], capsys)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1 and "junk.csv" in err


def test_missing_file_exits_2_in_a_real_process(tmp_path):
    """The installed entry point itself: exit code 2, one line, no traceback."""
    missing = tmp_path / "missing.csv"
    done = subprocess.run(
        [sys.executable, "-c", "from talentcast.cli import main; main()", "forecast", "--input", str(missing),
         "--horizon", "2", "--output", str(tmp_path / "o.csv"), "--no-track"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == "error: missing.csv: file not found / missing.csv：文件不存在\n"


# Runs the real CLI on each argv of the JSON list in argv[1], in one process, then prints the MLflow modules loaded.
_RUN_THEN_LIST_MLFLOW = """
import json, sys
from talentcast.cli import main
for argv in json.loads(sys.argv[1]):
    main(argv)
print(json.dumps(sorted(name for name in sys.modules if name.partition('.')[0] == 'mlflow')))
"""


def test_untracked_commands_never_import_mlflow(yearly_csv, tmp_path):
    """`--help` (which loads every command's module) and `forecast --no-track` leave MLflow unimported: it takes
    seconds to import, a large share of a whole-process forecast of the city panel (benchmarks/forecast_accuracy.py
    --speed). Only tracking and registering the model need it."""
    import json

    out = tmp_path / "fc.csv"
    commands = [["--help"],
                ["forecast", "--input", str(yearly_csv), "--horizon", "3", "--output", str(out), "--no-track"]]
    done = subprocess.run([sys.executable, "-c", _RUN_THEN_LIST_MLFLOW, json.dumps(commands)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "backtest" in done.stdout and "wrote 15 rows for 5 series" in done.stdout
    assert len(pd.read_csv(out)) == 15
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_common_breaks_on_by_default_and_switchable(tmp_path, capsys):
    # 30 series, a third of them re-based by +-30% in 2018 (a survey-frame change nobody declared).
    rng = np.random.default_rng(11)
    rows = []
    for i in range(30):
        shift = (0.3 if i % 2 else -0.3) if i % 3 == 0 else 0.0
        for year in range(2010, 2022):
            value = 100 * np.exp(0.03 * (year - 2010) + rng.normal(0, 0.03) + (shift if year >= 2018 else 0.0))
            rows.append({"series_id": f"s{i:02d}", "period": year, "value": value})
    path = tmp_path / "panel.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    out_csv = tmp_path / "fc.csv"
    code, out, _ = run(["forecast", "--input", str(path), "--horizon", "2", "--output", str(out_csv),
                        "--no-track"], capsys)
    assert code == 0 and "level shifts handled: 30" in out  # every series re-levelled at 2018
    code, out, _ = run(["forecast", "--input", str(path), "--horizon", "2", "--output", str(out_csv),
                        "--no-track", "--no-common-breaks"], capsys)
    handled = int(out.split("level shifts handled: ")[1].split(")")[0])
    assert code == 0 and handled < 30  # only the per-series detector's jumps
