"""Warnings backtest on the cohort each plan affects (issue #13), on the demo city (GENERATED data).

    nice -n 10 .venv/bin/python benchmarks/warning_backtest_affected.py [--years 2016-2022] [--n-paths 100]
        [--tables talentcast.demo:build_demo_tables] [--region 450200]
        [--out benchmarks/warning_backtest_affected.json]

For each plan year Y, every signal is computed from what was known before Y (the `forecast` rule set from the
pipeline rerun on employment, vacancies and enrolment rows before Y) and scored on the outcome of the class
admitted in Y, graduating Y + d (early_warning/affected.py): AUC, the AUC difference to the last known rate
(paired: the same classes, the same resampled years), Brier (probabilities), precision among the top 10% of
classes, lead time, and 90% intervals by a bootstrap over plan years. "bad" = employment rate
(graduates_employed / graduates) below 60%.

Signals: last known rate (1 - rate), mean of the last three, each rule set's level (red 2, yellow 1, green 0),
the `forecast` set's outcome score p_bad_outcome (its smoothed history combined with its forecast pressure) and
its P(surplus) of the affected cohort's graduation year.

The pressure's weight in p_bad_outcome is fitted without look-ahead: for plan year Y, by maximum likelihood on
the classes of earlier plan years whose affected cohort graduated before Y (at least two such plan years; before
that the weight is 0 - no evidence, no weight). The weight fitted on every plan year scored is printed as the one
to ship in early_warning/rulesets/forecast.yaml (`outcome_risk.pressure_weight`).

--tables names a function returning {table: (frame, metadata)} like talentcast.demo.build_demo_tables, so the
same backtest runs on another generated world. The demo's outcomes are GENERATED (talentcast/demo/generator.py):
employment rates follow the realised tightness of the sectors a major feeds, computed from a hidden employment
path with its own shocks; the model sees only the history before Y and its own drawn parameters. It is still a
world built with the same stock-flow structure as the model, so a win here is necessary, not sufficient.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LEVEL_SCORE = {"red": 2.0, "yellow": 1.0, "green": 0.0}
MIN_PLAN_YEARS_TO_FIT = 2


def load_tables(spec: str):
    """(tables, breaks) from 'module:function' returning {name: (frame, metadata)}."""
    module, _, function = spec.partition(":")
    built = getattr(importlib.import_module(module), function)()
    tables = {name: frame for name, (frame, _meta) in built.items()}
    return tables, built["employment"][1].get("breaks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="2016-2022")
    parser.add_argument("--n-paths", type=int, default=100)
    parser.add_argument("--tables", default="talentcast.demo:build_demo_tables")
    parser.add_argument("--region", default="450200")
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--out", default="benchmarks/warning_backtest_affected.json")
    args = parser.parse_args()

    import numpy as np
    import pandas as pd

    from early_warning import compute_warnings, load_rule_set
    from early_warning.affected import affected_cohort_truth, fit_pressure_weight, score_signals
    from early_warning.backtest import pipeline_results_for_year
    from early_warning.indicators import logit

    tables, breaks = load_tables(args.tables)
    first, last = (int(y) for y in args.years.split("-"))
    years = list(range(first, last + 1))
    frame = affected_cohort_truth(tables["enrolment"], tables["majors"], years, measure="employed", bad_below=0.6)
    frame["last_rate_score"] = 1 - frame["last_rate"]
    frame["mean3_score"] = 1 - frame["mean3_rate"]
    signals = {"last rate": "last_rate_score", "3-year mean": "mean3_score"}
    probabilities = {"last rate", "3-year mean"}
    results_for = pipeline_results_for_year(tables, horizon=6, n_paths=args.n_paths, region=args.region,
                                            breaks=breaks)
    forecast = load_rule_set("forecast")
    risk_key = next(c.key for c in forecast.conditions() if c.indicator == "p_bad_outcome")
    timing, weights = {}, {}
    for rule_set in ("moe-2011", "sichuan", "tianjin-2009", "forecast"):
        start = time.perf_counter()
        parts = []
        for year in years:
            known = dict(tables)
            known["enrolment"] = tables["enrolment"][tables["enrolment"]["year"].astype(int) < year]
            rs, results = rule_set, {}
            if rule_set == "forecast":
                results = results_for(year)
                # The pressure's weight from the classes already judged before this plan year (no look-ahead).
                judged = (pd.concat(parts).merge(frame[["school", "major", "plan_year", "outcome_year", "bad"]],
                                                 on=["school", "major", "plan_year"]) if parts else pd.DataFrame())
                if len(judged):
                    judged = judged[judged["outcome_year"] < year]
                weight = 0.0
                if len(judged) and judged["plan_year"].nunique() >= MIN_PLAN_YEARS_TO_FIT:
                    weight = fit_pressure_weight(logit(judged["history_rate"].to_numpy(float)),
                                                 judged["p_surplus"] - judged["p_shortage"], judged["outcome_sd"],
                                                 judged["bad"])
                weights[year] = round(weight, 4)
                rs = forecast.model_copy(update={"outcome_risk": forecast.outcome_risk.model_copy(
                    update={"pressure_weight": weight})})
            w = compute_warnings(known, results, year, rule_set=rs, region=args.region)
            evidence = pd.DataFrame(list(w["evidence"]), index=w.index)
            part = w[["school", "major", "plan_year"]].assign(level_score=w["level"].map(LEVEL_SCORE))
            for column in ("p_surplus", "p_shortage", "history_rate", "outcome_sd", risk_key):
                part[column] = pd.to_numeric(evidence.get(column, pd.Series(np.nan, index=w.index)), errors="coerce")
            parts.append(part)
        timing[rule_set] = time.perf_counter() - start
        levels = pd.concat(parts)
        if rule_set == "forecast":
            levels = levels.rename(columns={"level_score": "forecast_level", risk_key: "forecast_risk",
                                            "p_surplus": "forecast_p_surplus", "history_rate": "forecast_history",
                                            "outcome_sd": "forecast_sd", "p_shortage": "forecast_p_shortage"})
            frame = frame.merge(levels, on=["school", "major", "plan_year"], how="left")
            signals["forecast level"] = "forecast_level"
            signals["forecast p_bad_outcome"] = "forecast_risk"
            signals["forecast P(surplus)"] = "forecast_p_surplus"
            probabilities |= {"forecast p_bad_outcome", "forecast P(surplus)"}
        else:
            frame = frame.merge(levels[["school", "major", "plan_year", "level_score"]]
                                .rename(columns={"level_score": f"{rule_set}_level"}),
                                on=["school", "major", "plan_year"], how="left")
            signals[f"{rule_set} level"] = f"{rule_set}_level"
    scores = score_signals(frame, signals, probabilities=probabilities, n_boot=args.n_boot, baseline="last rate")
    versus_mean = score_signals(frame, signals, probabilities=probabilities, n_boot=args.n_boot,
                                baseline="3-year mean").set_index("signal")
    for column in ("auc_diff", "auc_diff_lo", "auc_diff_hi"):
        scores[f"{column}_vs_mean3"] = scores["signal"].map(versus_mean[column])
    # The weight to ship: fitted on every plan year scored (all their affected cohorts have graduated).
    ship = fit_pressure_weight(logit(frame["forecast_history"].to_numpy(float)),
                               frame["forecast_p_surplus"] - frame["forecast_p_shortage"], frame["forecast_sd"],
                               frame["bad"])
    # Flags: precision and recall of the forecast set's red level (its shrink decisions) against the affected cohort,
    # against the naive flags a planner has without a model (the last rate / the 3-year mean below 60%).
    flags = {}
    for label, flag in (("forecast red", frame["forecast_level"] == 2), ("last rate < 60%", frame["last_rate"] < 0.6),
                        ("3-year mean < 60%", frame["mean3_rate"] < 0.6)):
        hits = int((flag & frame["bad"]).sum())
        flags[label] = {"flags": int(flag.sum()), "bad": hits, "precision": round(hits / max(int(flag.sum()), 1), 3),
                        "recall": round(hits / int(frame["bad"].sum()), 3)}
    show = scores[["signal", "classes", "bad", "lead_years", "auc", "auc_lo", "auc_hi", "auc_diff", "auc_diff_lo",
                   "auc_diff_hi", "auc_diff_vs_mean3", "auc_diff_lo_vs_mean3", "auc_diff_hi_vs_mean3", "brier",
                   "brier_lo", "brier_hi", "top_precision", "top_precision_lo", "top_precision_hi"]]
    pd.set_option("display.width", 250)
    print(show.round(3).to_string(index=False))
    print("pressure weight by plan year (fitted on earlier plan years):", weights)
    print(f"pressure weight fitted on plan years {years[0]}-{years[-1]} (to ship): {ship:.4f}")
    print("flags:", flags)
    report = {"data": f"GENERATED tables from {args.tables}; region {args.region}",
              "plan_years": years, "bad_below": 0.6, "measure": "employed", "n_paths": args.n_paths,
              "seconds": {k: round(v, 1) for k, v in timing.items()},
              "pressure_weight_by_plan_year": weights, "pressure_weight_all_years": round(ship, 4),
              "flags": flags,
              "scores": json.loads(scores.to_json(orient="records"))}
    Path(args.out).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
