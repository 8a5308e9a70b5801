"""Warnings backtest on the cohort each plan affects (issue #13), on the demo city (GENERATED data).

    nice -n 10 .venv/bin/python benchmarks/warning_backtest_affected.py [--years 2016-2022] [--n-paths 100]
        [--out benchmarks/warning_backtest_affected.json]

For each plan year Y, every signal is computed from what was known before Y (the `forecast` rule set from the
pipeline rerun on employment, vacancies and enrolment rows before Y) and scored on the outcome of the class
admitted in Y, graduating Y + d (early_warning/affected.py): AUC, Brier (probabilities), precision among the
top 10% of classes, lead time and 90% intervals by a bootstrap over plan years. "bad" = employment rate
(graduates_employed / graduates) below 60%.

Signals: last known rate (1 - rate), mean of the last three, each policy rule set's level (red 2, yellow 1,
green 0), the forecast rule set's level, and its P(surplus) of the affected cohort's graduation year.

The demo's outcomes are GENERATED (talentcast/demo/generator.py): employment rates follow the realised
tightness of the sectors a major feeds, computed from the generated employment path with the generator's own
parameters. The model sees only the employment history before Y; it does not know the generator's parameters
(it uses its own, drawn from forecasting/data/assumptions.yaml) nor the future path. It is still a world built
with the same stock-flow structure as the model, so a win here is necessary, not sufficient.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LEVEL_SCORE = {"red": 2.0, "yellow": 1.0, "green": 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="2016-2022")
    parser.add_argument("--n-paths", type=int, default=100)
    parser.add_argument("--no-forecast", action="store_true")
    parser.add_argument("--out", default="benchmarks/warning_backtest_affected.json")
    args = parser.parse_args()

    import pandas as pd

    from early_warning import compute_warnings
    from early_warning.affected import affected_cohort_truth, score_signals
    from early_warning.backtest import pipeline_results_for_year
    from talentcast.demo import build_demo_tables

    built = build_demo_tables()
    tables = {name: frame for name, (frame, _meta) in built.items()}
    breaks = built["employment"][1].get("breaks")
    first, last = (int(y) for y in args.years.split("-"))
    years = list(range(first, last + 1))
    frame = affected_cohort_truth(tables["enrolment"], tables["majors"], years, measure="employed", bad_below=0.6)
    frame["last_rate_score"] = 1 - frame["last_rate"]
    frame["mean3_score"] = 1 - frame["mean3_rate"]
    signals = {"last rate": "last_rate_score", "3-year mean": "mean3_score"}
    probabilities = {"last rate", "3-year mean"}
    results_for = pipeline_results_for_year(tables, horizon=6, n_paths=args.n_paths, region="450200",
                                            breaks=breaks) if not args.no_forecast else None
    timing = {}
    for rule_set in ("moe-2011", "sichuan", "tianjin-2009", "forecast"):
        start = time.perf_counter()
        parts = []
        for year in years:
            known = dict(tables)
            known["enrolment"] = tables["enrolment"][tables["enrolment"]["year"].astype(int) < year]
            results = results_for(year) if (rule_set == "forecast" and results_for) else {}
            w = compute_warnings(known, results, year, rule_set=rule_set, region="450200")
            w = w.assign(level_score=w["level"].map(LEVEL_SCORE),
                         p_surplus_target=[e.get("p_surplus") for e in w["evidence"]])
            parts.append(w[["school", "major", "plan_year", "level_score", "p_surplus_target"]])
        timing[rule_set] = time.perf_counter() - start
        levels = pd.concat(parts).rename(columns={"level_score": f"{rule_set}_level",
                                                  "p_surplus_target": f"{rule_set}_p_surplus"})
        frame = frame.merge(levels, on=["school", "major", "plan_year"], how="left")
        signals[f"{rule_set} level"] = f"{rule_set}_level"
        if rule_set == "forecast" and results_for:
            frame["forecast_p_surplus"] = pd.to_numeric(frame["forecast_p_surplus"], errors="coerce")
            signals["forecast P(surplus)"] = "forecast_p_surplus"
            probabilities.add("forecast P(surplus)")
            # Pressure added to the last rate: does the forecast add anything to what a planner already knows?
            frame["last_rate_plus_p"] = frame["last_rate_score"] + 0.5 * frame["forecast_p_surplus"].fillna(0)
            signals["last rate + 0.5 P(surplus)"] = "last_rate_plus_p"
    scores = score_signals(frame, signals, probabilities=probabilities, n_boot=1000)
    show = scores[["signal", "classes", "bad", "lead_years", "auc", "auc_lo", "auc_hi", "brier",
                   "top_precision", "top_precision_lo", "top_precision_hi"]]
    print(show.round(3).to_string(index=False))
    report = {"data": "GENERATED demo tables (talentcast.demo.build_demo_tables); Liuzhou 450200",
              "plan_years": years, "bad_below": 0.6, "measure": "employed", "n_paths": args.n_paths,
              "seconds": {k: round(v, 1) for k, v in timing.items()},
              "scores": json.loads(scores.to_json(orient="records"))}
    Path(args.out).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
