"""The warnings backtest scores the cohort each plan affects, finds a planted signal and no phantom one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from early_warning.affected import affected_cohort_truth, auc, fit_pressure_weight, score_signals, top_precision
from early_warning.indicators import logit, p_bad_outcome

YEARS = list(range(2010, 2031))
PLAN_YEARS = list(range(2016, 2026))


def _world(seed: int = 1, n_majors: int = 40):
    """A hidden market: each major's yearly shock is an AR(1) nobody observes; the rate of a graduating
    class is logistic(0.8 + 1.5 x shock + class noise). The planted signal is the shock of the affected
    cohort's graduation year seen with noise (a forecast that knows something); the other is pure noise."""
    rng = np.random.default_rng(seed)
    rows, shocks = [], {}
    for m in range(n_majors):
        shock = 0.0
        for year in YEARS:
            shock = 0.6 * shock + rng.normal(0, 1)
            shocks[(f"m{m}", year)] = shock
            rate = 1 / (1 + np.exp(-(0.3 + 1.5 * shock + rng.normal(0, 0.3))))
            rows.append({"school": "S", "major": f"m{m}", "year": year, "intake": 50, "graduates": 100,
                         "graduates_employed": round(100 * rate), "graduates_further_study": 0,
                         "graduates_local": 0})
    majors = pd.DataFrame({"code": [f"m{m}" for m in range(n_majors)], "duration_years": 3})
    return pd.DataFrame(rows), majors, shocks, rng


def test_truth_is_the_cohort_the_plan_affects():
    enrolment = pd.DataFrame({"school": "S", "major": "m", "year": range(2018, 2026), "intake": 50,
                              "graduates": 100, "graduates_employed": [90, 90, 40, 90, 90, 30, 90, 90]})
    majors = pd.DataFrame({"code": ["m"], "duration_years": [3]})
    truth = affected_cohort_truth(enrolment, majors, [2020, 2022], bad_below=0.6).set_index("plan_year")
    # Plan 2020: its own year's class is bad (40%) but the class it admits graduates in 2023 (30%).
    assert truth.loc[2020, "outcome_year"] == 2023 and truth.loc[2020, "bad"]
    assert truth.loc[2020, "last_rate"] == 0.9  # only graduating years before the plan year are known
    # Plan 2022: the affected class graduates 2025 (90%): good, though 2023 was bad.
    assert truth.loc[2022, "outcome_year"] == 2025 and not truth.loc[2022, "bad"]
    assert (truth["lead"] == 3).all()


def test_auc_and_top_precision_known_answers():
    assert auc(np.array([0.9, 0.8, 0.1, 0.2]), np.array([1, 1, 0, 0])) == 1.0
    assert auc(np.array([0.5, 0.5]), np.array([1, 0])) == 0.5
    assert top_precision(np.array([0.9, 0.1, 0.8, 0.2]), np.array([1, 0, 0, 0]), share_top=0.5) == 0.5


def test_a_planted_signal_is_found_and_noise_is_not():
    enrolment, majors, shocks, rng = _world()
    frame = affected_cohort_truth(enrolment, majors, PLAN_YEARS, bad_below=0.6)
    frame["planted"] = [-shocks[(m, y)] + rng.normal(0, 0.7) for m, y in zip(frame["major"], frame["outcome_year"])]
    frame["noise"] = rng.normal(0, 1, len(frame))
    frame["last_rate_score"] = 1 - frame["last_rate"]
    scores = score_signals(frame, {"planted": "planted", "noise": "noise", "last rate": "last_rate_score"},
                           probabilities={"last rate"}, n_boot=300, baseline="last rate").set_index("signal")
    # The planted signal: found, its whole 90% interval above no-skill.
    assert scores.loc["planted", "auc_lo"] > 0.7
    # Pure noise: no skill claimed, the interval covers 0.5.
    assert scores.loc["noise", "auc_lo"] < 0.5 < scores.loc["noise", "auc_hi"]
    # Three years ahead, the last rate knows little of an AR(1) with coefficient 0.6 (0.6^3 = 0.2): far below
    # the planted forecast - the backtest can tell a model that knows the future from one that does not.
    assert scores.loc["last rate", "auc"] < scores.loc["planted", "auc_lo"]
    assert 0 < scores.loc["last rate", "brier"] < 1
    assert scores.loc["planted", "lead_years"] == 3
    # Paired against the last rate (same classes, same resampled years): the planted signal beats it with the
    # whole interval above 0; noise loses to it; the baseline against itself is exactly 0.
    assert scores.loc["planted", "auc_diff_lo"] > 0
    assert scores.loc["noise", "auc_diff_hi"] < 0
    assert scores.loc["last rate", ["auc_diff", "auc_diff_lo", "auc_diff_hi"]].tolist() == [0, 0, 0]


def _judged_classes(true_weight: float, seed: int = 3, n: int = 3000):
    """Classes with a history level, a spread and a net surplus; the outcome drawn from p_bad_outcome with
    true_weight (true_weight = 0: the pressure says nothing the history does not)."""
    rng = np.random.default_rng(seed)
    level = rng.normal(1.0, 0.7, n)
    net = rng.uniform(-1, 1, n)
    sd = np.full(n, 0.6)
    bad = rng.uniform(size=n) < p_bad_outcome(level, net, true_weight, 0.6, 0.6)
    return level, net, sd, bad


def test_pressure_weight_is_fitted_from_the_outcomes_and_zero_without_signal():
    assert fit_pressure_weight(*_judged_classes(1.0)) == pytest.approx(1.0, abs=0.25)
    assert fit_pressure_weight(*_judged_classes(0.0)) < 0.15
    # A surplus that made good outcomes likelier is not a reason for a negative weight: clipped at 0.
    level, net, sd, bad = _judged_classes(1.0)
    assert fit_pressure_weight(level, -net, sd, bad) == pytest.approx(0.0, abs=1e-3)
    # Nothing to learn from: no bad (or only bad) outcomes.
    assert fit_pressure_weight(level, net, sd, np.zeros(len(level), bool)) == 0.0
    assert float(logit(0.6)) == pytest.approx(np.log(1.5))
