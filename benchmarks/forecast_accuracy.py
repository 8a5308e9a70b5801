"""Accuracy benchmark: rolling-origin backtests of `auto` against baselines and statsmodels ETS / ARIMA.

1. Real yearly panel: NBS urban-unit employment, 31 provinces x 19 sections, 2009-2015 (talentcast/data/real).
   Windows within 2009-2015, h = 1 and h = 2, as many cutoffs as leave >= 4 training years. The declared
   2013 survey-frame break is applied (history re-levelled; the re-levelled 2013 value is not scored).
2. Real monthly series: US CES employment by supersector 2006-2015 (vega_datasets `us-employment`, offline),
   h = 12, three cutoffs a year apart.

Reports mean MASE (per-series MASE averaged), sMAPE and 80% / 95% interval coverage per model and the gain of
auto over the best of naive, drift, ETS and ARIMA. `auto` is backtested as the whole engine (selection and
conformal calibration re-run on the data before each cutoff), so its coverage is out of sample. Run:

    .venv/bin/python benchmarks/forecast_accuracy.py [--quick]    # --quick: skips ETS/ARIMA
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

from forecasting.backtest import backtest, evaluate, summarise

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "talentcast/data/real/employment_by_province_sector_2009_2015.csv"
COMPARE = ("naive", "drift", "ets", "arima")


def real_panel() -> pd.DataFrame:
    frame = pd.read_csv(REAL, dtype={"region_code": str})
    frame = frame.rename(columns={"region_code": "region", "sector_code": "sector", "employed_10k": "employed"})
    return frame[["region", "sector", "year", "employed"]]


def us_monthly() -> pd.DataFrame:
    from vega_datasets import data

    wide = data.us_employment()
    wide["period"] = pd.to_datetime(wide["month"]).dt.strftime("%Y-%m")
    series = [c for c in wide.columns if c not in ("month", "period", "nonfarm_change")]
    return wide.melt(id_vars="period", value_vars=series, var_name="series_id", value_name="value")[
        ["series_id", "period", "value"]]


def score(name: str, frame, models, **kwargs) -> dict:
    start = time.perf_counter()
    table = backtest(frame, models, **kwargs)
    summary = summarise(evaluate(table))
    seconds = time.perf_counter() - start
    by_model = summary.set_index("model")
    baselines = [m for m in COMPARE if m in by_model.index]
    best = by_model.loc[baselines, "mase"].idxmin()
    gain = 1 - by_model.loc["auto", "mase"] / by_model.loc[best, "mase"]
    print(f"\n== {name}: {table['series_id'].nunique()} series, cutoffs {sorted(table['cutoff'].unique())}, "
          f"{seconds:.0f} s")
    print(summary[["model", "mase", "smape", "rmsse", "coverage_80", "coverage_95", "n"]].round(4).to_string(
        index=False))
    print(f"auto MASE {by_model.loc['auto', 'mase']:.4f} vs best of {', '.join(baselines)} ({best} "
          f"{by_model.loc[best, 'mase']:.4f}): {gain:+.1%}")
    chosen = table.loc[table["model"] == "auto", "chosen"].value_counts().to_dict() if "chosen" in table else {}
    return {"benchmark": name, "seconds": round(seconds, 1), "best_baseline": best, "auto_gain": round(gain, 4),
            "auto_chosen_models": chosen,
            "summary": summary[["model", "mase", "smape", "rmsse", "coverage_80", "coverage_95", "n"]].round(4)
            .to_dict(orient="records")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip statsmodels ETS / ARIMA")
    parser.add_argument("--only", choices=("yearly", "monthly", "undeclared"), help="run one part; the JSON keeps the other")
    args = parser.parse_args()
    stats = () if args.quick else ("ets", "arima")
    candidates = ("auto", "naive", "drift", "ses", "damped", "theta", "rdrift", "global", "ensemble", *stats)
    panel = real_panel()
    results = []
    if args.only not in ("monthly", "undeclared"):
        for h in (1, 2):
            results.append(score(f"real yearly panel h={h} (declared break 2013)", panel, candidates, h=h,
                                 breaks=["2013"]))
    if args.only != "monthly":
        results.append(score("real yearly panel h=2 (no declared break, detection only)", panel, candidates,
                             h=2))
    if args.only not in ("yearly", "undeclared"):
        results.append(score("US CES monthly h=12", us_monthly(), (*candidates, "snaive"), h=12, n_windows=3,
                             step=12))
    out = ROOT / "benchmarks" / "forecast_accuracy.json"
    previous = json.loads(out.read_text()) if out.exists() and args.only else []
    names = {r["benchmark"] for r in results}
    merged = [r for r in previous if r["benchmark"] not in names] + results
    out.write_text(json.dumps(merged, indent=1, ensure_ascii=False, default=str))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
