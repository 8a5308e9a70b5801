"""Rule sets: decision tables for every built-in rule (with boundaries), indicators, and every refusal message.

All inputs are small hand-made frames (helpers `make_tables` / `make_results` are reused by the other early
warning test files).
"""

from __future__ import annotations

import json
import math

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from early_warning import (
    RuleSetError,
    compute_warnings,
    list_rule_sets,
    load_rule_set,
    parse_rule_set,
    rule_set_for_region,
)
from early_warning.indicators import consecutive_years_below, probability_beyond
from features.errors import TalentcastError

PLAN_YEAR = 2025
CITY = "450200"
MAJOR_SECTORS = {"460701": [("C36", 1.0)], "510201": [("I65", 0.5), ("C36", 0.5)], "440301": [("E", 1.0)],
                 "470101": [("C38", 1.0)]}


def make_tables(classes: list[dict], first_year: int | None = None) -> dict[str, pd.DataFrame]:
    """Contract tables for hand-made classes.

    Each class: school, major, rates (employment rates of the last len(rates) graduating years, the last one
    in PLAN_YEAR - 1), optional intake (int or list aligned with rates), further (share of graduates going on
    to study), local (share of employed staying in the city), graduates (per year, default 100).
    """
    schools = sorted({c["school"] for c in classes})
    rows = []
    for c in classes:
        n = len(c["rates"])
        years = list(range(PLAN_YEAR - n, PLAN_YEAR)) if first_year is None else list(range(first_year, first_year + n))
        intake = c.get("intake", 50)
        intakes = intake if isinstance(intake, list) else [intake] * n
        graduates = c.get("graduates", 100)
        for year, rate, taken in zip(years, c["rates"], intakes):
            if rate is None:
                rows.append({"school": c["school"], "major": c["major"], "year": year, "intake": taken,
                             "graduates": None, "graduates_employed": None, "graduates_further_study": None,
                             "graduates_local": None})
                continue
            employed = round(rate * graduates)
            rows.append({"school": c["school"], "major": c["major"], "year": year, "intake": taken,
                         "graduates": graduates, "graduates_employed": employed,
                         "graduates_further_study": round(c.get("further", 0.0) * graduates),
                         "graduates_local": round(c.get("local", 0.8) * employed)})
    enrolment = pd.DataFrame(rows)
    for col in ("graduates", "graduates_employed", "graduates_further_study", "graduates_local"):
        enrolment[col] = enrolment[col].astype("Int64")
    return {
        "regions": pd.DataFrame({"code": ["450000", CITY, "510000", "510100"],
                                 "name_zh": ["广西壮族自治区", "柳州市", "四川省", "成都市"],
                                 "parent": [None, "450000", None, "510000"],
                                 "level": ["province", "city", "province", "city"]}),
        "schools": pd.DataFrame({"code": schools, "name": [f"柳州第{i + 1}职业技术学院" for i in range(len(schools))],
                                 "name_en": [f"Liuzhou Vocational College {i + 1}" for i in range(len(schools))],
                                 "region": [CITY] * len(schools), "type": ["高职"] * len(schools)}),
        "majors": pd.DataFrame({"code": ["460701", "510201", "440301", "470101"],
                                "name_zh": ["汽车制造与试验技术", "计算机应用技术", "建筑工程技术", "智能家用电器技术"],
                                "name_en": ["Automotive manufacturing", "Computer applications", "Construction",
                                            "Smart appliances"],
                                "level": ["高职专科"] * 4, "duration_years": [3, 3, 3, 3]}),
        "enrolment": enrolment,
        "major_sector_map": pd.DataFrame([{"major": m, "sector": s, "weight": w}
                                          for m, links in MAJOR_SECTORS.items() for s, w in links]),
    }


def make_results(pressure: dict[str, tuple[float, float]], gaps: dict[str, float] | None = None,
                 years=range(PLAN_YEAR, PLAN_YEAR + 6)) -> dict[str, pd.DataFrame]:
    """major_pressure with (p_shortage, p_surplus) per major (same every year) and gaps (gap_mean per sector)."""
    gaps = gaps if gaps is not None else {"C36": 1000.0, "I65": 1000.0, "E": 1000.0, "C38": 1000.0}
    mp = pd.DataFrame([{"region": CITY, "major": m, "year": y, "pressure_median": 1.0 + ps - pu,
                        "pressure_lo_80": 0.8, "pressure_hi_80": 1.6, "p_shortage": ps, "p_surplus": pu}
                       for m, (ps, pu) in pressure.items() for y in years])
    gp = pd.DataFrame([{"region": CITY, "sector": s, "year": y, "gap_mean": g, "shortage_threshold": 1.2,
                        "surplus_threshold": 0.8} for s, g in gaps.items() for y in years])
    return {"major_pressure": mp, "gaps": gp}


def one_class(rule_set: str, rates, results=None, **extra) -> pd.Series:
    tables = make_tables([{"school": "S1", "major": "460701", "rates": rates, **extra}])
    out = compute_warnings(tables, results or {}, PLAN_YEAR, rule_set=rule_set)
    assert len(out) == 1
    return out.iloc[0]


# --- built-in decision tables -------------------------------------------------------------------------------

MOE = [  # rates (last = PLAN_YEAR - 1), further study share, level, action, recommended (intake 50), deciding rule
    ([0.70, 0.59, 0.59], 0.0, "red", "shrink", 35, "moe-cut-two-years"),
    ([0.70, 0.70, 0.59], 0.0, "yellow", "hold", 50, "moe-watch-one-year"),
    ([0.70, 0.60, 0.59], 0.0, "yellow", "hold", 50, "moe-watch-one-year"),  # exactly 60% is not below
    ([0.60, 0.60, 0.60], 0.0, "green", "hold", 50, None),
    ([0.59, 0.59, 0.59], 0.0, "red", "suspend", 0, "moe-suspend-three-years"),
    ([0.50, None, 0.50], 0.0, "yellow", "hold", 50, "moe-watch-one-year"),  # a year without data breaks the run
    # placement measure (毕业去向落实率): 50% employed + 15% further study = 65% -> no warning
    ([0.50, 0.50, 0.50], 0.15, "green", "hold", 50, None),
]


@pytest.mark.parametrize("rates, further, level, action, recommended, rule", MOE)
def test_moe_2011_decision_table(rates, further, level, action, recommended, rule):
    w = one_class("moe-2011", rates, further=further)
    assert (w["level"], w["action"], w["recommended_intake"]) == (level, action, recommended)
    assert (w["rules_fired"][0] if w["rules_fired"] else None) == rule
    assert w["evidence"]["measure"] == "placement"


SICHUAN = [  # placement rates (毕业去向落实率; no further study here, so = employment), level, action, intake, rule
    ([0.60, 0.49, 0.49], "yellow", "hold", 50, "sichuan-yellow-two-years"),   # notice and rectification, no cut
    ([0.49, 0.49, 0.49], "red", "shrink", 40, "sichuan-red-three-years"),     # public notice, plan cut
    ([0.60, 0.50, 0.49], "green", "hold", 50, None),  # one year below 50% is no card
    ([0.49, 0.50, 0.49], "green", "hold", 50, None),  # exactly 50% breaks the run
    ([0.49], "green", "hold", 50, None),
]


@pytest.mark.parametrize("rates, level, action, recommended, rule", SICHUAN)
def test_sichuan_decision_table(rates, level, action, recommended, rule):
    w = one_class("sichuan", rates)
    assert (w["level"], w["action"], w["recommended_intake"]) == (level, action, recommended)
    assert (w["rules_fired"][0] if w["rules_fired"] else None) == rule
    assert w["evidence"]["measure"] == "placement"


def test_sichuan_judges_placement_not_employment():
    # 40% employed but another 15% go on to further study: placement 55%, above Sichuan's 50% bar - no card,
    # where the employment rate alone (40% three years) would have been a red card.
    w = one_class("sichuan", [0.40, 0.40, 0.40], further=0.15)
    assert (w["level"], w["action"]) == ("green", "hold") and w["rules_fired"] == []
    # 40% employed + 5% further study = 45% placement: three years below 50% -> red card, public notice.
    w = one_class("sichuan", [0.40, 0.40, 0.40], further=0.05)
    assert (w["level"], w["action"], w["recommended_intake"]) == ("red", "shrink", 40)
    assert "公开通报" in w["explanation_zh"] and "public notice" in w["explanation_en"]
    assert "毕业去向落实率连续3年低于50%" in w["explanation_zh"]
    # The project's readings are said in every explanation the set decides.
    assert "为本项目解读，非政策原文" in w["explanation_zh"] and "this project's readings" in w["explanation_en"]


def test_sichuan_last_place_elimination_takes_the_bottom_red_card_major():
    # 21 majors' classes in the city; the worst (30% placement, three years) is in the bottom 5% and has a red
    # card: 末位淘汰 stops it. The second worst (45%) also has a red card but is not last: cut, not eliminated.
    majors = [f"4607{i:02d}" for i in range(21)]
    classes = [{"school": "S1", "major": m, "rates": [0.8, 0.8, 0.8]} for m in majors[2:]]
    classes += [{"school": "S1", "major": majors[0], "rates": [0.30, 0.30, 0.30]},
                {"school": "S1", "major": majors[1], "rates": [0.45, 0.45, 0.45]}]
    tables = make_tables(classes)
    tables["majors"] = pd.DataFrame({"code": majors, "name_zh": [f"专业{i}" for i in range(21)],
                                     "level": "高职专科", "duration_years": 3})
    out = compute_warnings(tables, {}, PLAN_YEAR, rule_set="sichuan").set_index("major")
    assert (out.loc[majors[0], "level"], out.loc[majors[0], "action"]) == ("red", "suspend")
    assert out.loc[majors[0], "rules_fired"][0] == "sichuan-last-place-elimination"
    assert "末位淘汰" in out.loc[majors[0], "explanation_zh"]
    assert (out.loc[majors[1], "level"], out.loc[majors[1], "action"]) == ("red", "shrink")
    assert (out.loc[majors[2:], "level"] == "green").all()


def test_moe_2011_states_its_scope_and_readings_in_each_explanation():
    w = one_class("moe-2011", [0.70, 0.55, 0.52])
    assert "普通高校" in w["explanation_zh"] and "普通高校" in w["explanation_en"]
    assert "调减30%与连续三年停招为本项目" in w["explanation_zh"]
    assert "the notice states neither" in w["explanation_en"]


TIANJIN = [  # intake 50, graduates 100: employed count = 100 x rate
    ([0.70, 0.29], 50, "red", "suspend", 0, "tianjin-stop-below-30"),
    ([0.70, 0.30], 50, "red", "suspend", 0, "tianjin-alternate-below-40"),  # 30% is not below 30%
    ([0.39, 0.39], 50, "red", "suspend", 0, "tianjin-stop-below-40-twice"),
    ([0.50, 0.40], 50, "yellow", "shrink", 40, "tianjin-cap-below-60"),  # 40% not below 40%; cap = 40 employed
    ([0.50, 0.59], 70, "yellow", "shrink", 59, "tianjin-cap-below-60"),  # plan <= last year's 59 employed
    ([0.50, 0.55], 30, "yellow", "hold", 30, "tianjin-cap-below-60"),  # cap 55 > intake 30: no cut needed
    ([0.50, 0.60], 50, "green", "hold", 50, None),
]


@pytest.mark.parametrize("rates, intake, level, action, recommended, rule", TIANJIN)
def test_tianjin_2009_decision_table(rates, intake, level, action, recommended, rule):
    w = one_class("tianjin-2009", rates, intake=intake)
    assert (w["level"], w["action"], w["recommended_intake"]) == (level, action, recommended)
    assert (w["rules_fired"][0] if w["rules_fired"] else None) == rule


def test_tianjin_alternate_years_resumes_after_a_pause():
    # Intake 0 last year (paused), 35% employment: resume, no larger than last year's 35 employed graduates.
    w = one_class("tianjin-2009", [0.50, 0.35], intake=[60, 0])
    assert w["rules_fired"][0] == "tianjin-alternate-below-40"
    assert (w["current_intake"], w["recommended_intake"], w["action"], w["level"]) == (0, 35, "hold", "red")


FORECAST = [  # rates, (p_shortage, p_surplus), local retention, level, action, recommended, deciding rule
    ([0.45, 0.45, 0.45], (0.29, 0.1), 0.8, "red", "suspend", 0, "forecast-suspend-persistent-low"),
    ([0.45, 0.45, 0.45], (0.30, 0.1), 0.8, "red", "shrink", 40, "forecast-outcome-risk-high"),  # 0.3 not < 0.3
    # Two bad years after a good one: the smoothed level (mean logit, 70%) says the next class is more likely
    # fine than not (P(bad) 0.18), so only the one-year yellow card, not a cut.
    ([0.90, 0.55, 0.55], (0.50, 0.1), 0.8, "yellow", "hold", 50, "forecast-low-employment-one-year"),
    ([0.90, 0.90, 0.55], (0.50, 0.1), 0.8, "yellow", "hold", 50, "forecast-low-employment-one-year"),
    # Never below 60%, but a steady 65% leaves a one-in-three chance that the affected class falls below it.
    ([0.65, 0.65, 0.65], (0.50, 0.1), 0.8, "yellow", "hold", 50, "forecast-outcome-risk-elevated"),
    ([0.90, 0.55, 0.55], (0.70, 0.0), 0.8, "yellow", "hold", 50, "forecast-shortage-weak-outcomes"),
    ([0.90, 0.90, 0.90], (0.10, 0.70), 0.8, "yellow", "shrink", 45, "forecast-surplus-likely"),
    ([0.90, 0.90, 0.90], (0.10, 0.69), 0.8, "yellow", "hold", 50, "forecast-surplus-possible"),
    ([0.90, 0.90, 0.79], (0.80, 0.0), 0.8, "yellow", "hold", 50, "forecast-shortage-weak-outcomes"),
    ([0.90, 0.90, 0.80], (0.80, 0.0), 0.4, "yellow", "hold", 50, "forecast-shortage-low-retention"),
    ([0.90, 0.90, 0.80], (0.70, 0.0), 0.5, "green", "expand", 60, "forecast-shortage-likely"),  # P = 0.7 boundary
    ([0.90, 0.90, 0.90], (0.69, 0.0), 0.8, "green", "hold", 50, None),
    ([0.90, 0.90, 0.90], (0.39, 0.39), 0.8, "green", "hold", 50, None),
]


@pytest.mark.parametrize("rates, probs, local, level, action, recommended, rule", FORECAST)
def test_forecast_decision_table(rates, probs, local, level, action, recommended, rule):
    w = one_class("forecast", rates, make_results({"460701": probs}), local=local)
    assert (w["level"], w["action"], w["recommended_intake"]) == (level, action, recommended)
    assert (w["rules_fired"][0] if w["rules_fired"] else None) == rule
    assert w["evidence"]["p_shortage"] == probs[0]


def test_forecast_outcome_score_uses_history_and_pressure_without_look_ahead():
    from early_warning.indicators import DEFAULT_OUTCOME_SD, logit

    key = "p_bad_outcome[bad_below=0.6,measure=employed]"
    weight = load_rule_set("forecast").outcome_risk.pressure_weight
    assert weight > 0  # fitted on the demo's past plan years (benchmarks/warning_backtest_affected.py)

    def expected(rates, p_shortage, p_surplus, sd=DEFAULT_OUTCOME_SD):
        level = float(np.mean(logit(np.array(rates))))  # the last three rates, smoothed on the logit scale
        z = (logit(0.6) - level + weight * (p_surplus - p_shortage)) / sd
        return float(0.5 * math.erfc(-z / math.sqrt(2)))

    w = one_class("forecast", [0.50, 0.62, 0.58, 0.61], make_results({"460701": (0.2, 0.5)}))
    # Uses the last three known rates (0.50 four years back is dropped) and the pressure of the graduation year.
    assert w["evidence"][key] == pytest.approx(expected([0.62, 0.58, 0.61], 0.2, 0.5), abs=1e-4)
    assert w["evidence"]["history_rate"] == pytest.approx(1 / (1 + np.exp(-np.mean(logit(np.array([0.62, 0.58, 0.61]))))),
                                                          abs=1e-4)
    assert w["evidence"]["outcome_sd"] == DEFAULT_OUTCOME_SD  # one class: too little history to estimate it
    # The history moves it: a worse recent record raises the risk.
    worse = one_class("forecast", [0.50, 0.55, 0.58, 0.61], make_results({"460701": (0.2, 0.5)}))
    assert worse["evidence"][key] > w["evidence"][key]
    # The pressure moves it, with the fitted weight: a likely surplus raises it, a likely shortage lowers it.
    surplus = one_class("forecast", [0.50, 0.62, 0.58, 0.61], make_results({"460701": (0.0, 1.0)}))
    shortage = one_class("forecast", [0.50, 0.62, 0.58, 0.61], make_results({"460701": (1.0, 0.0)}))
    assert shortage["evidence"][key] < w["evidence"][key] < surplus["evidence"][key]
    assert surplus["evidence"][key] == pytest.approx(expected([0.62, 0.58, 0.61], 0.0, 1.0), abs=1e-4)
    # No look-ahead: outcomes of the plan year and later (the affected cohort's own) change nothing.
    tables = make_tables([{"school": "S1", "major": "460701", "rates": [0.50, 0.62, 0.58, 0.61]}])
    results = make_results({"460701": (0.2, 0.5)})
    before = compute_warnings(tables, results, PLAN_YEAR, "forecast").iloc[0]
    later = make_tables([{"school": "S1", "major": "460701", "rates": [0.50, 0.62, 0.58, 0.61, 0.10, 0.99, 0.20]}],
                        first_year=PLAN_YEAR - 4)
    after = compute_warnings(later, results, PLAN_YEAR, "forecast").iloc[0]
    assert after["evidence"] == before["evidence"]
    assert (after["level"], after["recommended_intake"]) == (before["level"], before["recommended_intake"])


def test_forecast_expand_and_shrink_are_a_watch_list_until_the_set_beats_the_last_rate():
    expand = one_class("forecast", [0.90, 0.90, 0.80], make_results({"460701": (0.70, 0.0)}), local=0.5)
    assert expand["action"] == "expand"
    assert expand["explanation_zh"].startswith("【观察名单，非决定")
    assert expand["explanation_en"].startswith("[WATCH LIST, not a decision")
    assert expand["evidence"]["watch_list"] is True
    shrink = one_class("forecast", [0.90, 0.90, 0.90], make_results({"460701": (0.10, 0.70)}))
    assert shrink["action"] == "shrink" and shrink["evidence"]["watch_list"] is True
    hold = one_class("forecast", [0.90, 0.90, 0.90], make_results({"460701": (0.10, 0.69)}))
    assert "watch_list" not in hold["evidence"] and not hold["explanation_zh"].startswith("【观察名单")
    # A cut decided by the outcome score, which beats the last rate on the cohorts plans affect: a decision.
    cut = one_class("forecast", [0.45, 0.45, 0.45], make_results({"460701": (0.30, 0.1)}))
    assert (cut["action"], cut["rules_fired"][0]) == ("shrink", "forecast-outcome-risk-high")
    assert "watch_list" not in cut["evidence"] and cut["explanation_zh"].startswith("【红牌")
    # A policy rule set's decisions are the policy's: not labelled.
    moe = one_class("moe-2011", [0.70, 0.59, 0.59])
    assert moe["action"] == "shrink" and "watch_list" not in moe["evidence"]
    # The CLI's summary counts them (talentcast demo / run print "观察名单 watch list: n of ...").
    from talentcast.service import summarise_warnings

    both = pd.DataFrame([expand, shrink, hold, cut, moe])
    assert summarise_warnings(both)["watch_list"] == 2


def test_forecast_crowded_growing_and_bottom_decile():
    growing = [30, 36, 44]  # +20% a year on average
    classes = [{"school": f"S{i}", "major": "460701", "rates": [0.9, 0.9, 0.9], "intake": growing} for i in range(5)]
    classes.append({"school": "S0", "major": "510201", "rates": [0.7, 0.7, 0.7]})
    out = compute_warnings(make_tables(classes), make_results({"460701": (0.5, 0.0), "510201": (0.5, 0.0)}),
                           PLAN_YEAR, "forecast")
    auto = out[out["major"] == "460701"]
    assert (auto["rules_fired"].map(lambda r: r[0]) == "forecast-crowded-growing").all()
    assert auto["evidence"].map(lambda e: e["schools_offering"]).eq(5).all()
    assert auto["evidence"].map(lambda e: e["intake_trend[years=3]"]).iloc[0] == pytest.approx(7 / 36.6667, abs=1e-3)
    it = out[out["major"] == "510201"].iloc[0]
    assert it["rules_fired"] == ["forecast-bottom-decile"] and it["level"] == "yellow"
    assert it["evidence"]["rank_percentile[measure=employed]"] == 0.0


def test_without_forecast_results_forecast_rules_do_not_fire():
    w = one_class("forecast", [0.45, 0.45, 0.45])
    # Suspension and the red cut need P(shortage) < 0.7 / 0.3; without a forecast only the outcome-only rules
    # fire (the outcome score then rests on the history alone).
    assert w["rules_fired"] == ["forecast-outcome-risk-elevated", "forecast-low-employment-one-year"]
    assert (w["level"], w["action"]) == ("yellow", "hold")
    assert w["evidence"]["p_shortage"] is None


def test_explanations_name_rule_and_numbers_in_both_languages():
    w = one_class("moe-2011", [0.70, 0.55, 0.52])
    assert "moe-cut-two-years" in w["explanation_zh"] and "moe-cut-two-years" in w["explanation_en"]
    assert "红牌" in w["explanation_zh"] and "调减招生" in w["explanation_zh"]
    assert "现招生50人（2024年），2025年建议招生35人（-15）" in w["explanation_zh"]
    assert "毕业去向落实率连续2年低于60%（2023年55.0%，2024年52.0%）" in w["explanation_zh"]
    assert "below 60% for 2 consecutive year(s) (2023: 55.0%, 2024: 52.0%)" in w["explanation_en"]
    assert "intake 50 in 2024, recommended 35 for 2025 (-15)" in w["explanation_en"]
    assert "below 60% for 2 consecutive year(s)" in w["explanation_en"]
    assert w["evidence"]["employment_rate_2024"] == 0.52 and w["evidence"]["employment_rate_2023"] == 0.55


def test_region_selects_rule_set():
    assert rule_set_for_region("510000") == "sichuan"
    assert rule_set_for_region("510100") == "sichuan"  # a city inherits its province's set
    assert rule_set_for_region("120000") == "tianjin-2009"
    assert rule_set_for_region(CITY) == "forecast"
    assert rule_set_for_region(None) == "forecast"
    tables = make_tables([{"school": "S1", "major": "460701", "rates": [0.49, 0.49]}])
    tables["schools"]["region"] = "510100"
    out = compute_warnings(tables, {}, PLAN_YEAR, rule_set=None, region="510000")
    assert out["rule_set"].tolist() == ["sichuan"] and out["level"].tolist() == ["yellow"]


def test_list_rule_sets_names_the_measure():
    sets = {s["name"]: s for s in list_rule_sets()}
    assert set(sets) == {"forecast", "moe-2011", "sichuan", "tianjin-2009"}
    assert sets["moe-2011"]["employment_measure"] == "placement"
    assert sets["forecast"]["employment_measure"] == "employed"
    assert sets["sichuan"]["regions"] == "510000"


def test_consecutive_years_below_and_lognormal_probability():
    years = np.array([2019, 2020, 2021, 2022, 2023])
    assert consecutive_years_below(years, np.array([0.5, 0.5, 0.7, 0.5, 0.5]), 0.6) == 2
    assert consecutive_years_below(years, np.array([0.5, 0.5, 0.5, 0.5, 0.6]), 0.6) == 0
    assert consecutive_years_below(np.array([2019, 2021]), np.array([0.5, 0.5]), 0.6) == 1  # gap year
    # median 1.2, 80% interval (1, 1.44): P(ratio > 1.2) = 0.5 and P(ratio > 1.44) = 0.1 by construction
    assert probability_beyond(1.2, 1.0, 1.44, 1.2, above=True) == pytest.approx(0.5)
    assert probability_beyond(1.2, 1.2 / 1.2, 1.2 * 1.2, 1.44, above=True) == pytest.approx(0.1, abs=1e-6)
    assert probability_beyond(1.2, 1.0, 1.44, 1.0, above=False) == pytest.approx(0.1, abs=1e-6)


def test_custom_threshold_probability_uses_interval():
    rules = {"name": "custom", "rules": [{"name": "strong-shortage", "level": "green", "action": "expand",
                                          "adjustment": 0.1, "when": [{"indicator": "p_shortage", "above": 1.0,
                                                                       "op": ">=", "value": 0.5}]}]}
    rs = parse_rule_set(rules)
    w = one_class(rs, [0.9, 0.9], make_results({"460701": (0.1, 0.0)}))
    # pressure median 1.1 with 80% interval (0.8, 1.6) -> P(ratio > 1.0) > 0.5 although P(> 1.2) = 0.1
    assert w["evidence"]["p_shortage[above=1.0]"] > 0.5
    assert (w["action"], w["recommended_intake"]) == ("expand", 55)


def test_gb18030_rule_file_loads(tmp_path):
    text = ("name: gbk-rules\nrules:\n  - name: low\n    level: yellow\n    action: hold\n"
            "    description_zh: 就业率偏低\n    when:\n      - {indicator: employment_rate, op: '<', value: 0.6}\n")
    path = tmp_path / "rules.yaml"
    path.write_bytes(text.encode("gb18030"))
    rs = load_rule_set(path)
    assert rs.rules[0].description_zh == "就业率偏低"


# --- refusals ----------------------------------------------------------------------------------------------

GOOD_RULE = {"name": "r1", "level": "red", "action": "shrink", "adjustment": -0.1,
             "when": [{"indicator": "employment_rate", "op": "<", "value": 0.6}]}


def _with(**changes):
    rule = dict(GOOD_RULE)
    rule.update(changes)
    return {"name": "bad", "rules": [rule]}


def _cond(**cond):
    return _with(when=[cond])


REFUSALS = [
    ("unknown indicator", _cond(indicator="employment_ratio", op="<", value=0.6),
     "rule 'r1', field 'when[1].indicator': unknown indicator 'employment_ratio'"),
    ("rate above 1", _cond(indicator="employment_rate", op="<", value=60),
     "rule 'r1', field 'when[1].value': bad threshold 60: employment_rate (rate) lies in [0, 1] (write 60% as 0.6)"),
    ("threshold param above 1", _cond(indicator="years_below", threshold=60, op=">=", value=2),
     "field 'when[1].threshold': bad threshold 60: a rate is in [0, 1]"),
    ("fractional years", _cond(indicator="years_below", threshold=0.6, op=">=", value=1.5),
     "field 'when[1].value': bad threshold 1.5: years_below is a whole number"),
    ("negative count", _cond(indicator="schools_offering", op=">=", value=-1),
     "field 'when[1].value': bad threshold -1: schools_offering (count) lies in [0, inf]"),
    ("probability above 1", _cond(indicator="p_shortage", op=">=", value=1.5),
     "field 'when[1].value': bad threshold 1.5: p_shortage (probability) lies in [0, 1]"),
    ("never true", _cond(indicator="p_shortage", op=">", value=1.0),
     "field 'when[1].value': impossible condition: p_shortage > 1 can never hold"),
    ("missing parameter", _cond(indicator="years_below", op=">=", value=2),
     "field 'when[1].threshold': indicator 'years_below' needs parameter 'threshold'"),
    ("unknown parameter", _cond(indicator="employment_rate", window=3, op="<", value=0.6),
     "field 'when[1].window': unknown parameter for indicator 'employment_rate'"),
    ("bad operator", _cond(indicator="employment_rate", op="=<", value=0.6),
     "field 'when[1].op': '=<' is not one of"),
    ("value not a number", _cond(indicator="employment_rate", op="<", value="60%"),
     "field 'when[1].value': '60%' is not a number"),
    ("bad ratio threshold", _cond(indicator="p_shortage", above=0, op=">=", value=0.7),
     "field 'when[1].above': bad threshold 0: a demand/supply ratio is > 0"),
    ("empty interval", _with(when=[{"indicator": "employment_rate", "op": "<", "value": 0.5},
                                   {"indicator": "employment_rate", "op": ">", "value": 0.6}]),
     "field 'when': impossible combination: employment_rate < 0.5 and employment_rate > 0.6 can never hold"),
    ("touching open interval", _with(when=[{"indicator": "employment_rate", "op": "<", "value": 0.6},
                                           {"indicator": "employment_rate", "op": ">=", "value": 0.6}]),
     "impossible combination: employment_rate < 0.6 and employment_rate >= 0.6"),
    ("green shrink", _with(level="green"), "field 'action': impossible combination: a green rule cannot shrink"),
    ("red expand", _with(action="expand", adjustment=0.1),
     "field 'action': impossible combination: a red rule cannot expand"),
    ("yellow suspend", _with(level="yellow", action="suspend", adjustment="suspend"),
     "field 'action': impossible combination: suspension is a red-card action"),
    ("shrink with increase", _with(adjustment=0.1),
     "field 'adjustment': impossible combination: action 'shrink' needs a negative change, got +0.1"),
    ("suspend with percent", _with(action="suspend", adjustment=-0.1),
     "field 'adjustment': impossible combination: action 'suspend' needs adjustment 'suspend' or 'alternate_years'"),
    ("hold with suspend", _with(action="hold", adjustment="suspend"),
     "field 'adjustment': impossible combination: action 'hold' cannot use adjustment 'suspend'"),
    ("change beyond bound", _with(adjustment=-0.5),
     "field 'adjustment': change -0.5 exceeds the rule set's max_change 0.2"),
    ("unknown adjustment", _with(adjustment="halve"), "field 'adjustment': 'halve' is not one of"),
    ("bad level", _with(level="orange"), "field 'level': 'orange' is not one of red, yellow, green"),
    ("bad action", _with(action="close"), "field 'action': 'close' is not one of expand, hold, shrink, suspend"),
    ("no conditions", _with(when=[]), "field 'when': required: a non-empty list of conditions"),
    ("unknown rule field", _with(priority=1), "rule 'r1', field 'priority': unknown field"),
    ("bad rule name", _with(name="Low Rate!"), "rule '#1', field 'name': required"),
    ("duplicate names", {"name": "bad", "rules": [GOOD_RULE, GOOD_RULE]},
     "rule 'r1', field 'name': duplicate rule name"),
    ("no rules", {"name": "bad", "rules": []}, "field 'rules': required: a non-empty list of rules"),
    ("unknown set field", {"name": "bad", "rules": [GOOD_RULE], "version": 2}, "field 'version': unknown field"),
    ("bad measure", {"name": "bad", "rules": [GOOD_RULE], "employment_measure": "jobs"},
     "field 'employment_measure': 'jobs' is not one of employed, placement"),
    ("bad max change", {"name": "bad", "rules": [GOOD_RULE], "max_change": 2},
     "field 'max_change': 2.0 must be in (0, 1]"),
    ("not a mapping", ["rule"], "a rule set must be a mapping"),
    ("NaN threshold", _cond(indicator="employment_rate", op="<", value=float("nan")),
     "rule 'r1', field 'when[1].value': nan is not a finite number"),
    ("infinite max change", {"name": "bad", "rules": [GOOD_RULE], "max_change": float("inf")},
     "field 'max_change': inf is not a finite number"),
    ("boolean value", _cond(indicator="employment_rate", op="<", value=True),
     "field 'when[1].value': True is not a number"),
    ("unknown adjustment key", _with(adjustment={"type": "percent", "value": -0.1, "cap": 3}),
     "rule 'r1', field 'adjustment.cap': unknown field; allowed: type, value"),
    ("unknown backtest key", {"name": "bad", "rules": [GOOD_RULE], "backtest": {"shrink_below": 0.5}},
     "field 'backtest.shrink_below': unknown field; allowed: expand_outcome_at_least, shrink_outcome_below"),
    ("negative pressure weight", {"name": "bad", "rules": [GOOD_RULE], "outcome_risk": {"pressure_weight": -1.0}},
     "field 'outcome_risk.pressure_weight': -1.0 must be in [0, 10]"),
    ("unknown outcome_risk key", {"name": "bad", "rules": [GOOD_RULE], "outcome_risk": {"weight": 1.0}},
     "field 'outcome_risk.weight': unknown field; allowed: fitted, history_years, pressure_weight"),
    ("rule watch_list not a boolean", _with(watch_list="maybe"), "rule 'r1', field 'watch_list':"),
    ("condition not a mapping", _with(when=["employment_rate < 0.6"]),
     "rule 'r1', field 'when[1]': a condition is a mapping"),
]


@pytest.mark.parametrize("case, raw, message", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_bad_rule_files_are_refused_with_file_rule_field_reason(tmp_path, case, raw, message):
    import yaml

    path = tmp_path / "my-rules.yaml"
    # Through JSON: a case that repeats one rule object would otherwise be dumped with YAML aliases, which rule
    # files refuse (features.safe_yaml) before the case's own problem is seen.
    path.write_text(yaml.safe_dump(json.loads(json.dumps(raw)), allow_unicode=True), encoding="utf-8")
    with pytest.raises(RuleSetError) as err:
        load_rule_set(path)
    text = str(err.value)
    assert text.startswith(str(path)), text
    assert message in text, text
    assert isinstance(err.value, TalentcastError)


def test_unreadable_and_unknown_rule_files(tmp_path):
    with pytest.raises(RuleSetError, match="no such rule set or file; built-in rule sets: forecast, moe-2011"):
        load_rule_set("moe-2012")
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: x\nrules: [\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match=r"broken.yaml: not valid YAML"):
        load_rule_set(bad)


def test_builtin_rule_sets_are_valid_and_shipped_as_yaml():
    folder = Path(__file__).resolve().parents[1] / "early_warning" / "rulesets"
    names = sorted(p.stem for p in folder.glob("*.yaml"))
    assert names == ["forecast", "moe-2011", "sichuan", "tianjin-2009"]
    for name in names:
        rs = load_rule_set(name)
        assert rs.name == name and rs.rules


def test_bad_inputs_to_compute_warnings():
    tables = make_tables([{"school": "S1", "major": "460701", "rates": [0.9]}])
    with pytest.raises(TalentcastError, match="no enrolment rows before plan year 2020"):
        compute_warnings(tables, {}, 2020)
    with pytest.raises(TalentcastError, match="needs the 'majors' table"):
        compute_warnings({k: v for k, v in tables.items() if k != "majors"}, {}, PLAN_YEAR)


def test_demo_city_outcome_rule_sets():
    """The embedded demo city (GENERATED data) under the outcome-only policies: every level, real numbers."""
    from talentcast.demo import build_demo_tables

    tables = {name: frame for name, (frame, _meta) in build_demo_tables().items()}
    tianjin = compute_warnings(tables, {}, None, "tianjin-2009", region=CITY)
    assert set(tianjin["level"]) == {"red", "yellow", "green"}
    assert {"suspend", "shrink", "hold"} <= set(tianjin["action"])
    assert (tianjin["recommended_intake"] >= 0).all()
    assert ((tianjin["recommended_intake"] == 0) | (tianjin["recommended_intake"] >= 20)).all()
    # Tianjin's < 60% rule caps the plan at last year's employed graduates (or the minimum class of 20).
    capped = tianjin[tianjin["rules_fired"].map(lambda r: r[:1] == ["tianjin-cap-below-60"])]
    assert len(capped)
    for _, w in capped.iterrows():
        employed = w["evidence"]["graduates_employed_last"]
        assert w["recommended_intake"] <= min(w["current_intake"], max(employed, 20))
    moe = compute_warnings(tables, {}, None, "moe-2011", region=CITY)
    assert moe["plan_year"].iloc[0] == int(tables["enrolment"]["year"].max()) + 1
    assert (moe["evidence"].map(lambda e: e["measure"]) == "placement").all()
    # The placement rate counts further study, so MOE flags no more classes than the employment-rate policies.
    assert (moe["level"] != "green").sum() <= (tianjin["level"] != "green").sum()


def test_late_reporting_school_keeps_last_known_intake():
    tables = make_tables([{"school": "S1", "major": "460701", "rates": [0.9, 0.9, 0.9], "intake": 50},
                          {"school": "S2", "major": "460701", "rates": [0.9, 0.9], "intake": 44}], first_year=2021)
    # S1 reports 2021-2023, S2 only 2021-2022: S2 is still offered (intake in 2022) with its last intake of 44.
    out = compute_warnings(tables, {}, PLAN_YEAR, "moe-2011").set_index("school")
    assert out.loc["S1", "current_intake"] == 50 and out.loc["S2", "current_intake"] == 44
    assert out.loc["S2", "evidence"]["latest_intake_year"] == 2023
