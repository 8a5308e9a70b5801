"""Backtest of warnings on hand-made histories with known right and wrong warnings."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from early_warning import backtest_warnings, compute_warnings
from features.errors import TalentcastError
from test_rules import make_results, make_tables

FIRST = 2014  # rates below cover graduating years 2014..2021
PLAN = 2020   # replayed plan year; window 2 -> later outcomes of 2020 and 2021

CLASSES = [
    {"school": "A", "major": "460701", "rates": [0.5] * 8},                                   # low, stays low
    {"school": "B", "major": "460701", "rates": [0.8, 0.8, 0.8, 0.8, 0.55, 0.55, 0.8, 0.8]},  # recovers
    {"school": "C", "major": "460701", "rates": [0.8] * 6 + [0.5, 0.8]},                      # drops later
    {"school": "D", "major": "460701", "rates": [0.8] * 8},                                   # fine
    {"school": "E", "major": "470101", "rates": [0.85] * 6 + [0.86, 0.87]},                   # fine, rising
    {"school": "F", "major": "470101", "rates": [0.85] * 6 + [0.70, 0.70]},                   # falls later
]


@pytest.fixture
def tables():
    return make_tables(CLASSES, first_year=FIRST)


def forecasts(year: int) -> dict[str, pd.DataFrame]:
    # What a forecast made before `year` says: a shortage for 470101's sector, none for 460701's.
    return make_results({"460701": (0.1, 0.1), "470101": (0.8, 0.0)}, years=range(year, year + 6))


def test_moe_shrink_precision_and_recall(tables):
    frame, metrics = backtest_warnings(tables, "moe-2011", [PLAN], window=2)
    flagged = set(frame.loc[frame["shrink_warning"], "school"])
    assert flagged == {"A", "B"}  # A: six years below 60% -> suspend; B: two years -> cut
    assert set(frame.loc[frame["later_low"], "school"]) == {"A", "C"}
    assert metrics["shrink"] == {"warnings": 2, "positives": 2, "true_positives": 1, "precision": 0.5,
                                 "recall": 0.5}
    assert metrics["expand"]["warnings"] == 0 and math.isnan(metrics["expand"]["precision"])
    assert metrics["by_year"][0]["plan_year"] == PLAN


def test_forecast_expand_precision_and_recall(tables):
    frame, metrics = backtest_warnings(tables, "forecast", [PLAN], results_for_year=forecasts, window=2)
    got = frame.set_index("school")
    assert got.loc["E", "action"] == "expand" and got.loc["F", "action"] == "expand"
    # Later good (>= 80% every year and not falling): B (0.55 -> 0.8), D (0.8 -> 0.8), E (0.85 -> 0.865).
    assert set(frame.loc[frame["later_good"], "school"]) == {"B", "D", "E"}
    assert metrics["expand"] == {"warnings": 2, "positives": 3, "true_positives": 1, "precision": 0.5,
                                 "recall": pytest.approx(1 / 3)}
    # Shrink: only A (50% every year: P(bad outcome) >= 0.5, no likely shortage). B's two bad years after four good
    # ones smooth to about 64%, below the cut's bar - and B recovers.
    assert set(frame.loc[frame["shrink_warning"], "school"]) == {"A"}
    assert metrics["shrink"]["warnings"] == 1 and metrics["shrink"]["true_positives"] == 1
    assert metrics["forecast_used"] is True
    # The naive baseline (last known rate < 60%) flags both, one of them wrongly.
    assert metrics["baseline_shrink"]["warnings"] == 2 and metrics["baseline_shrink"]["true_positives"] == 1


def test_no_look_ahead(tables):
    """Warnings for a plan year must not change when later outcomes change."""
    before = compute_warnings(tables, {}, PLAN, "moe-2011")
    changed = {k: v.copy() for k, v in tables.items()}
    later = changed["enrolment"]["year"] >= PLAN
    changed["enrolment"].loc[later, "graduates_employed"] = 0
    changed["enrolment"].loc[later, "intake"] = 999
    after = compute_warnings(changed, {}, PLAN, "moe-2011")
    pd.testing.assert_frame_equal(before, after)


def test_several_years_and_windows(tables):
    frame, metrics = backtest_warnings(tables, "sichuan", [2016, 2019, 2020, 2021], window=1)
    # 2016: two years of history; 2021: window 2021 only; Sichuan's bar is 50%, so only A-like runs matter.
    assert sorted(frame["plan_year"].unique()) == [2016, 2019, 2020, 2021]
    assert metrics["shrink_outcome_below"] == 0.5
    # A's rate is exactly 50%: not below, so neither flagged nor a later-low outcome.
    assert metrics["shrink"]["warnings"] == 0 and metrics["shrink"]["positives"] == 0
    assert [y["classes"] for y in metrics["by_year"]] == [6, 6, 6, 6]


def test_bad_backtest_inputs(tables):
    with pytest.raises(TalentcastError, match="at least one plan year"):
        backtest_warnings(tables, "forecast", [])
    with pytest.raises(TalentcastError, match="window must be >= 1"):
        backtest_warnings(tables, "forecast", [PLAN], window=0)
    with pytest.raises(TalentcastError, match="no plan year in \\[2030\\] has both history"):
        backtest_warnings(tables, "forecast", [2030])
