"""Current conditions (求人倍率 from the vacancies table) checked against the forecast, through to warnings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _supply_demand_fixtures import linear_sampler, tiny_tables

from early_warning import compute_warnings
from forecasting.assumptions import load_assumptions
from forecasting.conditions import conditions_check, current_ratios
from forecasting.pipeline import run_pipeline


def _vacancies(region: str, sector: str, vacancies: float, seekers: float, months=range(1, 13), year=2024):
    return pd.DataFrame({"region": region, "sector": sector, "period": [f"{year}-{m:02d}" for m in months],
                         "vacancies": vacancies, "job_seekers": seekers})


def test_current_ratio_uses_the_latest_twelve_months():
    old = _vacancies("450200", "I", 10.0, 100.0, months=range(12, 13), year=2023)    # 2023-12: slack, too old
    recent = _vacancies("450200", "I", 30.0, 10.0)                                    # 2024: 3.0
    out = current_ratios(pd.concat([old, recent]))
    assert out["current_ratio"].item() == pytest.approx(3.0)
    assert out["current_period"].item() == "2024-12"


def test_check_flags_only_a_clash():
    check = conditions_check(np.array([0.9, 0.1, 0.1, 0.9]), np.array([0.0, 0.8, 0.8, 0.0]),
                             np.array([0.5, 2.0, 0.5, np.nan]), 1.2, 0.8)
    assert check.tolist() == ["contradicts", "contradicts", "agrees", None]


@pytest.fixture(scope="module")
def with_vacancies():
    tables = tiny_tables()
    # The forecast puts Liuzhou's IT sector (I) surely in surplus (ratio ~0.23); the employment service sees
    # three vacancies per job seeker there now.
    tables["vacancies"] = _vacancies("450200", "I", 300.0, 100.0)
    result = run_pipeline(tables, horizon=3, n_paths=200, seed=3, sampler=linear_sampler(0.0),
                          assumptions=load_assumptions().fixed())
    return tables, result


def test_a_contradicting_vacancy_signal_is_flagged_in_gaps_and_pressure(with_vacancies):
    _, result = with_vacancies
    gaps = result.results["gaps"].query("region == '450200' and year == 2025").set_index("sector")
    assert gaps.loc["I", "p_surplus"] == 1.0 and gaps.loc["I", "current_ratio"] == pytest.approx(3.0)
    assert gaps.loc["I", "conditions_check"] == "contradicts"
    assert gaps.loc["C36", "conditions_check"] is None and np.isnan(gaps.loc["C36", "current_ratio"])
    pressure = result.results["major_pressure"].query("year == 2025").set_index("major")
    assert pressure.loc["510201", "conditions_check"] == "contradicts"   # the computer major feeds I only


def test_a_contradicting_vacancy_signal_appears_in_the_warnings_evidence(with_vacancies):
    tables, result = with_vacancies
    warnings = compute_warnings(tables, result.results, 2025, rule_set="forecast").set_index(["school", "major"])
    w = warnings.loc[("S1", "510201")]
    assert w["evidence"]["conditions_check"] == "contradicts"
    assert w["evidence"]["current_ratio"] == pytest.approx(3.0)
    assert "预测与当前形势相反" in w["explanation_zh"] and "contradicts current conditions" in w["explanation_en"]
    other = warnings.loc[("S1", "460701")]
    assert other["evidence"]["conditions_check"] is None
