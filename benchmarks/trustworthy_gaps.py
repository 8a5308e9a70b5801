"""Openings, path volatility, assumption uncertainty and intake forecasts on the demo city (issue #13).

    nice -n 10 .venv/bin/python benchmarks/trustworthy_gaps.py [--out benchmarks/trustworthy_gaps.json]

Runs the pipeline on the demo tables (Liuzhou 450200; employment 2003-2015 real, later years and everything
else GENERATED) as `talentcast demo` does (seed, 1,000 paths, horizon 5, the declared 2013 break) and reports:

1. path volatility: sd of yearly log changes of the sample paths (pooled over years and paths) vs the sd of the
   series' last 10 yearly log changes, for C36, I65, K, C, Q, M; and 2030 openings by sector;
2. majors with P(shortage) >= 0.7 / P(surplus) >= 0.7 in 2030, and those whose uncertainty is mostly the
   assumptions (assumption_share > 0.5), with the assumed parameters fixed, as packaged, and twice as wide;
3. intake forecasts on rolling origins 2016-2022 (leads 1-3): mean of the last three vs the damped trend, for
   majors whose intake grew > 10% over four years and the others (median error and MAPE).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from features.contract import DEFAULT_SEED  # noqa: E402
from forecasting import supply  # noqa: E402
from forecasting.assumptions import load_assumptions  # noqa: E402
from forecasting.pipeline import run_pipeline  # noqa: E402
from forecasting.reconcile import aggregate  # noqa: E402
from forecasting.results import compute_results  # noqa: E402
from talentcast.demo import build_demo_tables  # noqa: E402
from talentcast.reference_data import with_crosswalk_reference  # noqa: E402

CITY = "450200"


def volatility_and_openings(tables, result) -> dict:
    state = result.state
    nodes = state.hierarchy.nodes.reset_index(drop=True)
    paths = aggregate(state.hierarchy, state.atom_paths)
    emp = tables["employment"]
    out = {}
    for sector in ("C36", "I65", "K", "C", "Q", "M"):
        i = nodes.index[(nodes["region"] == CITY) & (nodes["sector"] == sector)][0]
        changes = np.diff(np.log1p(paths[i]), axis=0)
        hist = emp[(emp["region"].astype(str) == CITY) & (emp["sector"].astype(str) == sector)].sort_values("year")
        hist_changes = np.diff(np.log1p(hist["employed"].astype(float).to_numpy()))[-10:]
        out[sector] = {"simulated_sd": round(float(changes.std()), 4),
                       "simulated_sd_by_year": [round(float(v), 4) for v in changes.std(axis=1)],
                       "historical_sd": round(float(hist_changes.std(ddof=1)), 4)}
    demand = result.results["demand"]
    last = demand[(demand["region"] == CITY) & (demand["year"] == state.years[-1])]
    openings = {s: round(float(v), 1) for s, v in zip(last["sector"], last["openings_mean"])}
    return {"volatility": out, "openings_2030": openings}


def assumption_counts(state) -> list[dict]:
    base = load_assumptions()
    rows = []
    for label, assumptions in (("fixed (forecast noise only)", base.fixed()), ("packaged ranges", base),
                               ("ranges x2", base.widened(2.0))):
        results = compute_results(dataclasses.replace(state, assumptions=assumptions))
        mp = results["major_pressure"]
        mp = mp[mp["year"] == state.years[-1]]
        gaps = results["gaps"]
        gaps = gaps[(gaps["year"] == state.years[-1]) & (gaps["region"] == CITY)]
        rows.append({"assumptions": label, "majors_rated": int(mp["p_shortage"].notna().sum()),
                     "majors_p_shortage_ge_0.7": int((mp["p_shortage"] >= 0.7).sum()),
                     "majors_p_surplus_ge_0.7": int((mp["p_surplus"] >= 0.7).sum()),
                     "majors_assumptions_dominate": int((mp["assumption_share"] > 0.5).sum()),
                     "sectors_rated": int(gaps["assumption_share"].notna().sum()),
                     "sectors_assumptions_dominate": int((gaps["assumption_share"] > 0.5).sum()),
                     "median_assumption_share_majors": round(float(mp["assumption_share"].median()), 3)})
    return rows


def intake_backtest(tables) -> list[dict]:
    e = tables["enrolment"].assign(school=lambda f: f["school"].astype(str), major=lambda f: f["major"].astype(str))
    units = supply.supply_units(e, tables["majors"], tables["schools"])
    rows = []
    for origin in range(2016, 2023):
        hist = e[e["year"] <= origin]
        u = units.merge(hist[["school", "major"]].drop_duplicates())
        _known, model = supply.intake_history(hist, u)
        ordered = hist.sort_values("year").groupby(["school", "major"])["intake"]
        last3 = ordered.apply(lambda v: v.to_numpy()[-3:].mean())
        last4 = ordered.apply(lambda v: v.to_numpy()[-4:])
        for lead in (1, 2, 3):
            actual = e[e["year"] == origin + lead].set_index(["school", "major"])["intake"]
            trend = supply.intake_forecast(model, np.full((len(u), 1), lead))[:, 0]
            for i, key in enumerate(zip(u["school"], u["major"])):
                if key not in actual.index or model["last_year"].iloc[i] != origin or actual[key] <= 0:
                    continue
                h4 = last4[key]
                rows.append({"lead": lead, "growing": bool(len(h4) == 4 and h4[-1] > 1.1 * h4[0]),
                             "actual": float(actual[key]), "trend": float(trend[i]), "mean3": float(last3[key])})
    d = pd.DataFrame(rows)
    out = []
    for (growing, lead), sub in d.groupby(["growing", "lead"]):
        out.append({"majors": "growing" if growing else "other", "lead": int(lead), "n": len(sub),
                    "median_error_mean3": round(float(np.median(sub["mean3"] / sub["actual"] - 1)), 3),
                    "median_error_trend": round(float(np.median(sub["trend"] / sub["actual"] - 1)), 3),
                    "mape_mean3": round(float(np.mean(abs(sub["mean3"] / sub["actual"] - 1))), 3),
                    "mape_trend": round(float(np.mean(abs(sub["trend"] / sub["actual"] - 1))), 3)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/trustworthy_gaps.json")
    args = parser.parse_args()
    built = build_demo_tables()
    tables = {name: frame for name, (frame, _meta) in built.items()}
    result = run_pipeline(with_crosswalk_reference(tables), horizon=5, seed=DEFAULT_SEED, n_paths=1000,
                          breaks=built["employment"][1].get("breaks"))
    report = {"data": "demo tables (Liuzhou 450200; GENERATED except employment 2003-2015)",
              **volatility_and_openings(tables, result),
              "path_note": next((n for n in result.meta["notes"] if n.startswith("sample paths")), None),
              "assumptions": assumption_counts(result.state), "intake": intake_backtest(tables)}
    print(json.dumps(report, indent=1, ensure_ascii=False))
    Path(args.out).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
