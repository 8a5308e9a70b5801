"""Forecast inputs from other tools: column aliases, dates as periods, missing values, output in the input's format."""

from __future__ import annotations

import pandas as pd
import pytest

from features.errors import TalentcastError
from features.series import normalise_input, to_long
from talentcast.cli import load_commands

app = load_commands()



def _frame(rows, columns=("series_id", "period", "value")):
    return pd.DataFrame(rows, columns=list(columns), dtype=str)


def test_month_start_dates_become_months_and_render_back():
    frame = _frame([["a", f"2020-{m:02d}-01", str(10 + m)] for m in range(1, 13)])
    long, fmt, dropped = normalise_input(frame, "in.csv")
    assert list(long["period"][:2]) == ["2020-01", "2020-02"] and dropped == 0
    assert (fmt.kind, fmt.freq, fmt.anchor) == ("date", "month", "start")
    assert list(fmt.render(pd.Series(["2021-01", "2021-02"]))) == ["2021-01-01", "2021-02-01"]


def test_month_end_dates_render_as_month_ends():
    dates = pd.date_range("2019-01-31", periods=24, freq="ME").strftime("%Y-%m-%d")
    long, fmt, _ = normalise_input(_frame([["a", d, "5"] for d in dates]), "in.csv")
    assert long["period"].iloc[-1] == "2020-12" and fmt.anchor == "end"
    assert list(fmt.render(pd.Series(["2021-02", "2024-02"]))) == ["2021-02-28", "2024-02-29"]


def test_year_end_dates_are_yearly_and_nixtla_columns_are_recognised():
    frame = _frame([[f"{y}-12-31", "x", str(100 + y - 2000)] for y in range(2000, 2010)], ("ds", "unique_id", "y"))
    long, fmt, _ = normalise_input(frame, "in.csv")
    assert list(long.columns) == ["series_id", "period", "value"]
    assert list(long["period"][:2]) == ["2000", "2001"] and (fmt.freq, fmt.month) == ("year", 12)
    assert list(fmt.render(pd.Series(["2010"]))) == ["2010-12-31"]


def test_missing_values_are_dropped_and_counted_but_text_is_still_an_error():
    frame = _frame([["a", "2000", "1"], ["a", "2001", ""], ["a", "2002", "NA"], ["a", "2003", "4"]])
    long, _, dropped = normalise_input(frame, "in.csv")
    assert dropped == 2 and list(to_long(long)["value"]) == [1.0, 4.0]
    bad = _frame([["a", "2000", "1"], ["a", "2001", "lots"]])
    with pytest.raises(TalentcastError, match=r"row 3, column 'value', value 'lots': not a number"):
        to_long(normalise_input(bad, "in.csv")[0], source="in.csv")


def test_weekly_dates_are_refused_with_the_reason():
    frame = _frame([["a", d.strftime("%Y-%m-%d"), "1"] for d in pd.date_range("2020-01-06", periods=8, freq="W-MON")])
    with pytest.raises(TalentcastError, match="first or all on the last day of a month"):
        normalise_input(frame, "w.csv")


def test_cli_writes_periods_in_the_input_format(tmp_path):
    from typer.testing import CliRunner

    path = tmp_path / "monthly.csv"
    rows = [["a", f"{y}-{m:02d}-01", str(1000 + 10 * (y - 2016) + m)] for y in range(2016, 2020) for m in range(1, 13)]
    _frame(rows).to_csv(path, index=False)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["forecast", "--input", str(path), "--horizon", "2", "--output", str(out),
                                      "--no-track"])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, dtype={"period": str})
    assert list(written["period"]) == ["2020-01-01", "2020-02-01"]
    assert (written["lo_95"] <= written["mean"]).all() and (written["mean"] <= written["hi_95"]).all()
