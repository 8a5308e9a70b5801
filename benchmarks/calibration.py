"""Calibration you can see: reliability diagram and Brier scores of demand probabilities vs persistence (#13).

    nice -n 10 .venv/bin/python benchmarks/calibration.py [--cities 40] [--origins 2008,2009,2010]
        [--png docs/calibration-reliability.png] [--out benchmarks/calibration.json]

REAL data: the city panel talentcast/data/real/city_employment_by_sector_2003_2015.csv (NBS City Statistical
Yearbooks; the first `--cities` cities in code order, 19 sections each). On rolling origins (data up to the
origin year only), the forecasting engine's sample paths give, for each series and h = 1, 3, 5 years ahead,
P(employment grows: y[origin + h] > y[origin]) - the demand side of P(shortage): a growing sector's openings
outrun a fixed supply. Scored against what happened with the Brier score, next to persistence (last year's
direction: probability 1 if the last change was up, else 0) and a reliability diagram (observed frequency per
forecast-probability bin). P(shortage)/P(surplus) themselves need supply, which exists only as generated data;
their calibration on the generated world is not done here (README "Trustworthy gaps and warnings (#13)").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from forecasting.engine import sample_paths  # noqa: E402

PANEL = ROOT / "talentcast/data/real/city_employment_by_sector_2003_2015.csv"
HORIZONS = (1, 3, 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", type=int, default=40)
    parser.add_argument("--origins", default="2008,2009,2010")
    parser.add_argument("--n-paths", type=int, default=500)
    parser.add_argument("--png", default="docs/calibration-reliability.png")
    parser.add_argument("--out", default="benchmarks/calibration.json")
    parser.add_argument("--generated", action="store_true")
    args = parser.parse_args()
    panel = pd.read_csv(PANEL, dtype={"region_code": str})
    cities = sorted(panel["region_code"].unique())[:args.cities]
    panel = panel[panel["region_code"].isin(cities)]
    frame = pd.DataFrame({"series_id": panel["region_code"] + "|" + panel["sector_code"],
                          "period": panel["year"].astype(str), "value": panel["employed_10k"].astype(float)})
    actual = frame.assign(year=frame["period"].astype(int)).set_index(["series_id", "year"])["value"]
    rows = []
    for origin in (int(y) for y in args.origins.split(",")):
        known = frame[frame["period"].astype(int) <= origin]
        paths = sample_paths(known, max(HORIZONS), args.n_paths, seed=origin)
        paths["year"] = paths["period"].astype(str).str[:4].astype(int)
        for h in HORIZONS:
            at = paths[paths["year"] == origin + h]
            for sid, group in at.groupby("series_id"):
                base, later = actual.get((sid, origin)), actual.get((sid, origin + h))
                before = actual.get((sid, origin - 1))
                if base is None or later is None or before is None or not np.isfinite([base, later, before]).all():
                    continue
                rows.append({"origin": origin, "h": h, "series_id": sid,
                             "p_grow": float((group["value"].to_numpy() > base).mean()),
                             "persistence": float(base > before), "grew": float(later > base)})
    d = pd.DataFrame(rows)
    scores = []
    for h, sub in d.groupby("h"):
        scores.append({"h": int(h), "n": len(sub), "base_rate": round(float(sub["grew"].mean()), 3),
                       "brier_forecast": round(float(((sub["p_grow"] - sub["grew"]) ** 2).mean()), 4),
                       "brier_persistence": round(float(((sub["persistence"] - sub["grew"]) ** 2).mean()), 4),
                       "brier_climatology": round(float(((sub["grew"].mean() - sub["grew"]) ** 2).mean()), 4)})
    bins = np.linspace(0, 1, 11)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="perfect")
    reliability = {}
    for h, sub in d.groupby("h"):
        which = np.clip(np.digitize(sub["p_grow"], bins) - 1, 0, 9)
        table = sub.assign(bin=which).groupby("bin").agg(p=("p_grow", "mean"), freq=("grew", "mean"),
                                                         n=("grew", "size"))
        table = table[table["n"] >= 5]
        ax.plot(table["p"], table["freq"], marker="o", label=f"h = {h} years")
        reliability[int(h)] = table.round(3).reset_index().to_dict("records")
    ax.set_xlabel("forecast P(employment grows)")
    ax.set_ylabel("observed frequency")
    ax.set_title(f"Reliability, {len(cities)} real cities x 19 sections,\norigins {args.origins}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.png, dpi=110)
    report = {"data": f"REAL: {PANEL.name}, {len(cities)} cities", "origins": args.origins, "scores": scores,
              "reliability": reliability}
    if args.generated:
        report["generated"] = generated_calibration()
        print(json.dumps(report["generated"], indent=1))
    print(json.dumps(scores, indent=1))
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


def realised_ratios(tables: dict) -> pd.DataFrame:
    """The ratio that came about per (sector, year) in Liuzhou: graduate openings of the realised employment
    (separations method, central parameters) / realised local job seekers (graduates not studying on x local
    share of the employed), allocated to sectors by the crosswalk."""
    from forecasting.demand import openings_from_employment
    from forecasting.supply import allocate_to_sectors

    employment = tables["employment"][tables["employment"]["region"].astype(str) == "450200"]
    openings = openings_from_employment(employment, tables["sector_parameters"])
    schools = tables["schools"].assign(code=tables["schools"]["code"].astype(str))
    e = tables["enrolment"].assign(school=tables["enrolment"]["school"].astype(str)).dropna(
        subset=["graduates", "graduates_employed", "graduates_local"])
    e = e.merge(schools[["code", "region"]].rename(columns={"code": "school"}), on="school")
    e = e[e["region"].astype(str) == "450200"]
    employed = e["graduates_employed"].astype(float)
    seekers = (e["graduates"].astype(float) - e["graduates_further_study"].astype(float).fillna(0)) * \
        (e["graduates_local"].astype(float) / employed.where(employed > 0)).fillna(0)
    supply = allocate_to_sectors(e.assign(job_seekers=seekers)[["region", "major", "year", "job_seekers"]],
                                 tables["major_sector_map"], value="job_seekers")
    merged = openings.merge(supply, on=["region", "sector", "year"])
    merged["ratio"] = merged["graduate_openings"] / merged["job_seekers"].clip(lower=1.0)
    return merged[["sector", "year", "ratio"]]


def generated_calibration() -> list[dict]:
    from early_warning.backtest import pipeline_results_for_year
    from talentcast.demo import build_demo_tables

    built = build_demo_tables()
    tables = {name: frame for name, (frame, _meta) in built.items()}
    truth = realised_ratios(tables).set_index(["sector", "year"])["ratio"]
    results_for = pipeline_results_for_year(tables, horizon=5, n_paths=300, region="450200",
                                            breaks=built["employment"][1].get("breaks"))
    rows = []
    for plan_year in range(2017, 2022):
        origin = plan_year - 1
        gaps = results_for(plan_year)["gaps"]
        gaps = gaps[(gaps["region"] == "450200") & gaps["p_shortage"].notna()]
        for _, g in gaps.iterrows():
            h = int(g["year"]) - origin
            now, later = truth.get((g["sector"], origin)), truth.get((g["sector"], int(g["year"])))
            if h not in HORIZONS or now is None or later is None:
                continue
            rows.append({"h": h, "p_shortage": g["p_shortage"], "p_surplus": g["p_surplus"],
                         "shortage": float(later > 1.2), "surplus": float(later < 0.8),
                         "persist_shortage": float(now > 1.2), "persist_surplus": float(now < 0.8)})
    d = pd.DataFrame(rows)
    out = []
    for h, sub in d.groupby("h"):
        row = {"h": int(h), "n": len(sub)}
        for event in ("shortage", "surplus"):
            row[f"brier_p_{event}"] = round(float(((sub[f"p_{event}"] - sub[event]) ** 2).mean()), 4)
            row[f"brier_persistence_{event}"] = round(float(((sub[f"persist_{event}"] - sub[event]) ** 2).mean()), 4)
            row[f"base_rate_{event}"] = round(float(sub[event].mean()), 3)
        out.append(row)
    return out


if __name__ == "__main__":
    main()
