"""Calibration you can see: reliability diagram and Brier scores of demand probabilities vs persistence (#13).

    nice -n 10 .venv/bin/python benchmarks/calibration.py [--cities 40] [--origins 2008,2009,2010]
        [--png docs/calibration-reliability.png] [--out benchmarks/calibration.json]

REAL data: the city panel talentcast/data/real/city_employment_by_sector_2003_2015.csv (NBS City Statistical
Yearbooks; the first `--cities` cities in code order, 19 sections each). On rolling origins (data up to the
origin year only), the forecasting engine's sample paths give, for each series and h = 1, 3, 5 years ahead,
P(employment grows: y[origin + h] > y[origin]) - the demand side of P(shortage): a growing sector's openings
outrun a fixed supply. Scored against what happened with the Brier score, next to persistence (last year's
direction: probability 1 if the last change was up, else 0) and a reliability diagram (observed frequency per
forecast-probability bin).

P(shortage)/P(surplus) themselves need supply, which exists only as GENERATED data: `--generated` scores them on
the generated worlds instead (talentcast.demo.worlds: "structural" and "alternative", `--copies` copies of the
demo city each), with the Brier score decomposed (forecasting.reliability) and a reliability diagram per world and
event; see `generated_main` and README "Trustworthy gaps and warnings (#13)".
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
    parser.add_argument("--generated", action="store_true",
                        help="score P(shortage)/P(surplus) on the generated worlds instead (see generated_main)")
    parser.add_argument("--world", default="structural,alternative", help="generated worlds, comma-separated")
    parser.add_argument("--copies", type=int, default=20, help="copies of the demo city per generated world")
    parser.add_argument("--draws", type=int, default=5,
                        help="alternative world: independent draws of its shared cycle and parameters among the copies")
    parser.add_argument("--gen-paths", type=int, default=200)
    parser.add_argument("--gen-origins", default="2016,2017,2018,2019,2020")
    parser.add_argument("--seed", type=int, default=None, help="generated worlds: seed (default Settings)")
    parser.add_argument("--centred-paths", action="store_true",
                        help="diagnostic counterfactual: engine paths re-centred on its point forecast (centred_sampler)")
    parser.add_argument("--centring-check-real", action="store_true",
                        help="the --centred-paths counterfactual on the real city panel (real_centring_check)")
    parser.add_argument("--gen-png", default="docs/calibration-reliability-generated.png")
    parser.add_argument("--gen-out", default="benchmarks/calibration_generated.json")
    args = parser.parse_args()
    if args.generated:
        generated_main(args)
        return
    if args.centring_check_real:
        check = {"data": f"REAL: {PANEL.name}, {args.cities} cities", "origins": args.origins,
                 "scores": real_centring_check(args.cities, [int(y) for y in args.origins.split(",")])}
        print(json.dumps(check, indent=1))
        Path("benchmarks/calibration_centring_real.json").write_text(json.dumps(check, indent=1) + "\n",
                                                                      encoding="utf-8")
        return
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


# ------------------------------------------------------------------------------------------------------------
# Generated part (issue #13, "Calibration you can see"): P(shortage) / P(surplus) on generated worlds.
#   nice -n 10 .venv/bin/python benchmarks/calibration.py --generated [--world structural,alternative]
#       [--copies 20] [--n-paths 200] [--gen-origins 2016,2017,2018,2019,2020]
#       [--gen-png docs/calibration-reliability-generated.png] [--gen-out benchmarks/calibration_generated.json]
# ------------------------------------------------------------------------------------------------------------
EVENTS = {"shortage": lambda ratio: ratio > SHORTAGE, "surplus": lambda ratio: ratio < SURPLUS}
SHORTAGE, SURPLUS = 1.2, 0.8  # forecasting.gaps defaults, the thresholds of p_shortage / p_surplus


def centred_sampler(breaks):
    """Diagnostic counterfactual (`--centred-paths`), not the model: the engine's sample paths rescaled per series
    and year so their median is the engine's point forecast. The engine maps the paths through calibrated error
    quantiles whose median need not be 0 (it carries the inner backtest's bias), which moves the paths' median
    away from the point forecast; this shows how much of the miscalibration that causes."""
    from forecasting.engine import forecast

    def sampler(frame: pd.DataFrame, horizon: int, n_paths: int, seed: int) -> pd.DataFrame:
        result = forecast(frame, horizon, breaks=breaks)
        paths = result.sample_paths(n_paths, seed)
        point = result.forecasts.set_index(["series_id", "period"])["mean"]
        keys = pd.MultiIndex.from_frame(paths[["series_id", "period"]])
        median = paths.groupby(["series_id", "period"])["value"].transform("median").to_numpy()
        paths["value"] = paths["value"].to_numpy() * point.reindex(keys).to_numpy() / np.maximum(median, 1e-9)
        return paths

    sampler.model_name = "auto (paths centred)"
    return sampler


def real_centring_check(cities: int = 40, origins=(2008, 2009, 2010), n_paths: int = 500) -> list[dict]:
    """The `--centred-paths` counterfactual on the REAL city panel (`--centring-check-real`): Brier score of the
    engine's P(employment grows over h years) with its own paths and with paths re-centred on its point forecast,
    next to the base rate; and the median one-year jump of the paths' median over the last observation."""
    from forecasting.engine import forecast

    panel = pd.read_csv(PANEL, dtype={"region_code": str})
    panel = panel[panel["region_code"].isin(sorted(panel["region_code"].unique())[:cities])]
    frame = pd.DataFrame({"series_id": panel["region_code"] + "|" + panel["sector_code"],
                          "period": panel["year"].astype(str), "value": panel["employed_10k"].astype(float)})
    actual = frame.assign(year=frame["period"].astype(int)).set_index(["series_id", "year"])["value"]
    rows = []
    for origin in origins:
        result = forecast(frame[frame["period"].astype(int) <= origin], max(HORIZONS))
        paths = result.sample_paths(n_paths, origin)
        point = result.forecasts.set_index(["series_id", "period"])["mean"]
        median = paths.groupby(["series_id", "period"])["value"].transform("median").to_numpy()
        keys = pd.MultiIndex.from_frame(paths[["series_id", "period"]])
        paths["centred"] = paths["value"].to_numpy() * point.reindex(keys).to_numpy() / np.maximum(median, 1e-9)
        paths["year"] = paths["period"].astype(str).str[:4].astype(int)
        for h in HORIZONS:
            for sid, group in paths[paths["year"] == origin + h].groupby("series_id"):
                base, later = actual.get((sid, origin)), actual.get((sid, origin + h))
                if base is None or later is None or not np.isfinite([base, later]).all():
                    continue
                rows.append({"h": h, "p": float((group["value"].to_numpy() > base).mean()),
                             "p_centred": float((group["centred"].to_numpy() > base).mean()),
                             "grew": float(later > base), "jump": float(np.log(group["value"].median() / base))})
    d = pd.DataFrame(rows)
    return [{"h": int(h), "n": len(sub), "brier_engine": round(float(((sub["p"] - sub["grew"]) ** 2).mean()), 4),
             "brier_centred": round(float(((sub["p_centred"] - sub["grew"]) ** 2).mean()), 4),
             "brier_climatology": round(float(((sub["grew"].mean() - sub["grew"]) ** 2).mean()), 4),
             "median_jump_of_path_median": round(float(sub["jump"].median()), 4)} for h, sub in d.groupby("h")]


def generated_rows(world, origins: list[int], n_paths: int, centred: bool = False) -> pd.DataFrame:
    """Replay a generated world from rolling origins: rerun the pipeline on the data up to each origin (plan year
    = origin + 1) and pair each rated gap's P(shortage) / P(surplus) with the ratio that came about (World.truth).

    Returns:
        origin, h, region, sector, year, p_shortage, p_surplus, ratio (truth at origin + h), ratio_origin (truth
        at the origin: what persistence forecasts), observed_origin (the ratio at the origin by the model's own
        accounting of the data - what a planner can see; persistence of it is the observable persistence rule;
        equal to ratio_origin in the structural world), climatology_<event> (frequency of the event in every
        sector-year known at the origin: a base rate a planner could have computed).
    """
    from early_warning.backtest import pipeline_results_for_year
    from talentcast.demo.worlds import COPIES_PROVINCE

    tables = world.frames()
    region = COPIES_PROVINCE if tables["regions"]["code"].eq(COPIES_PROVINCE).any() else "450200"
    truth = world.truth.set_index(["region", "sector", "year"])["ratio"]
    observed = world.observed.set_index(["region", "sector", "year"])["ratio"]
    breaks = world.tables["employment"][1].get("breaks")
    extra = {"sampler": centred_sampler(breaks)} if centred else {}
    results_for = pipeline_results_for_year(tables, horizon=max(HORIZONS), n_paths=n_paths, region=region,
                                            breaks=breaks, **extra)
    parts = []
    for origin in origins:
        gaps = results_for(origin + 1)["gaps"]
        gaps = gaps[gaps["p_shortage"].notna()][["region", "sector", "year", "p_shortage", "p_surplus"]].copy()
        gaps["h"] = gaps["year"].astype(int) - origin
        gaps = gaps[gaps["h"].isin(HORIZONS)].copy()
        keys = list(zip(gaps["region"].astype(str), gaps["sector"].astype(str)))
        gaps["ratio"] = truth.reindex([(r, s, y) for (r, s), y in zip(keys, gaps["year"].astype(int))]).to_numpy()
        gaps["ratio_origin"] = truth.reindex([(r, s, origin) for r, s in keys]).to_numpy()
        gaps["observed_origin"] = observed.reindex([(r, s, origin) for r, s in keys]).to_numpy()
        known = world.truth[world.truth["year"].between(2015, origin)]["ratio"]
        for event, happens in EVENTS.items():
            gaps[f"climatology_{event}"] = float(happens(known).mean())
        parts.append(gaps.assign(origin=origin).dropna(subset=["ratio", "ratio_origin", "observed_origin"]))
    return pd.concat(parts, ignore_index=True)


def generated_scores(rows: pd.DataFrame) -> list[dict]:
    """Per horizon and event: Brier score of the forecast (decomposed), of persistence and of climatology."""
    from forecasting.reliability import brier_decomposition, reliability_table

    out = []
    for h, sub in rows.groupby("h"):
        for event, happens in EVENTS.items():
            y = happens(sub["ratio"]).astype(float).to_numpy()
            p = sub[f"p_{event}"].to_numpy(dtype=float)
            persistence = happens(sub["ratio_origin"]).astype(float).to_numpy()
            persistence_observed = happens(sub["observed_origin"]).astype(float).to_numpy()
            climatology = sub[f"climatology_{event}"].to_numpy(dtype=float)
            parts = brier_decomposition(p, y)
            out.append({"h": int(h), "event": event, "n": parts["n"], "base_rate": round(parts["base_rate"], 3),
                        "brier_forecast": round(parts["brier"], 4),
                        "brier_persistence": round(float(((persistence - y) ** 2).mean()), 4),
                        "brier_persistence_observed": round(float(((persistence_observed - y) ** 2).mean()), 4),
                        "brier_climatology": round(float(((climatology - y) ** 2).mean()), 4),
                        **{k: round(parts[k], 4) for k in ("reliability", "resolution", "uncertainty",
                                                           "within_bin")},
                        "reliability_table": reliability_table(p, y).round(3).to_dict("records")})
    return out


def observed_hires_check(world, years: tuple[int, int] = (2016, 2020)) -> dict:
    """What the model could see about its assumed parameters: local graduates hired (graduates_local, allocated to
    sectors by the published crosswalk) / the graduate openings its own accounting gives for the realised
    employment at the published central parameters, per sector summed over the cities and `years`.
    Near 1 when the parameters fit; hires are capped by supply in short sectors, so per sector it is noisy."""
    from forecasting.demand import openings_from_employment
    from forecasting.supply import allocate_to_sectors
    from talentcast.demo.generator import finest_levels

    frames = world.frames()
    region_of = frames["schools"].set_index("code")["region"]
    parameters = frames["sector_parameters"]
    parts = []
    for region in sorted(set(region_of)):
        employment = frames["employment"][frames["employment"]["region"] == region]
        long = finest_levels(employment).stack().rename("employed").reset_index().assign(region=region)
        openings = openings_from_employment(long, parameters)
        e = frames["enrolment"].dropna(subset=["graduates_local"])
        e = e[e["school"].map(region_of) == region]
        hires = allocate_to_sectors(e.assign(region=region, hires=e["graduates_local"].astype(float))[
            ["region", "major", "year", "hires"]], frames["major_sector_map"], value="hires")
        parts.append(openings[["sector", "year", "graduate_openings"]].merge(hires[["sector", "year", "hires"]],
                                                                             on=["sector", "year"]))
    both = pd.concat(parts)
    both = both[both["year"].between(*years)].groupby("sector")[["hires", "graduate_openings"]].sum()
    ratio = (both["hires"] / both["graduate_openings"]).replace(np.inf, np.nan).dropna()
    return {"years": list(years), "sectors": len(ratio), "median": round(float(ratio.median()), 2),
            "quartiles": [round(float(ratio.quantile(0.25)), 2), round(float(ratio.quantile(0.75)), 2)]}


def plot_generated(scores: dict[str, list[dict]], png: str, title: str) -> None:
    """Reliability diagrams: one row per world, one column per event, one line per horizon with 90% bands."""
    worlds = list(scores)
    fig, axes = plt.subplots(len(worlds), 2, figsize=(10, 4.6 * len(worlds)), squeeze=False)
    colours = {1: "tab:blue", 3: "tab:orange", 5: "tab:green"}
    for row, world in enumerate(worlds):
        for col, event in enumerate(EVENTS):
            ax = axes[row][col]
            ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--")
            for score in (s for s in scores[world] if s["event"] == event):
                table = pd.DataFrame(score["reliability_table"])
                h = score["h"]
                shift = (h - 3) * 0.006  # keep the bands of the horizons apart
                ax.errorbar(table["p_mean"] + shift, table["frequency"],
                            yerr=[table["frequency"] - table["band_lo"], table["band_hi"] - table["frequency"]],
                            color=colours[h], marker="o", ms=4, lw=1.2, capsize=2,
                            label=f"h={h}: Brier {score['brier_forecast']:.3f} (persist. observable "
                                  f"{score['brier_persistence_observed']:.3f}, hidden "
                                  f"{score['brier_persistence']:.3f}, clim. {score['brier_climatology']:.3f}), "
                                  f"n={score['n']}")
                for _, b in table.iterrows():
                    if h == 3:
                        ax.annotate(str(int(b["n"])), (b["p_mean"], b["frequency"]), fontsize=6,
                                    xytext=(3, -9), textcoords="offset points", color=colours[h])
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_xlabel(f"forecast P({event})")
            ax.set_ylabel("observed frequency")
            ax.set_title(f"{world} world (GENERATED): P({event})", fontsize=10)
            ax.legend(fontsize=6.5, loc="upper left")
    fig.suptitle(title, fontsize=9, wrap=True)
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def generated_main(args: argparse.Namespace) -> None:
    """Score P(shortage) / P(surplus) on the generated worlds and write the JSON and the PNG."""
    import time

    from talentcast.demo.worlds import build_world

    origins = [int(y) for y in args.gen_origins.split(",")]
    report = {"data": "GENERATED (talentcast.demo.worlds): not real data; the real city panel part is the "
                      "default mode of this script",
              "centred_paths": args.centred_paths, "copies": args.copies, "alternative_draws": args.draws,
              "n_paths": args.gen_paths, "origins": origins, "seed": args.seed,
              "thresholds": {"shortage": SHORTAGE, "surplus": SURPLUS}, "worlds": {}}
    scores = {}
    for name in args.world.split(","):
        started = time.time()
        world = build_world(name, seed=args.seed, copies=args.copies,
                            draws=args.draws if name == "alternative" else 1)
        rows = generated_rows(world, origins, args.gen_paths, centred=args.centred_paths)
        scores[name] = generated_scores(rows)
        report["worlds"][name] = {"seconds": round(time.time() - started, 1), "scores": scores[name],
                                  "observed_hires_check": observed_hires_check(world)}
        for s in scores[name]:
            print(name, {k: v for k, v in s.items() if k != "reliability_table"}, flush=True)
    plot_generated(scores, args.gen_png,
                   f"Reliability of P(shortage) / P(surplus), GENERATED worlds: {args.copies} copies of the demo "
                   f"city (alternative: {args.draws} independent cycle draws), origins {origins[0]}-{origins[-1]}, "
                   f"{args.gen_paths} paths{', paths centred (counterfactual)' if args.centred_paths else ''}; "
                   "bands: 90% Wilson; "
                   "numbers: sector-years per bin (h=3)")
    Path(args.gen_out).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
