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
    print(json.dumps(scores, indent=1))
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
