"""Accuracy benchmark (#11): `auto` against statsforecast's Naive, AutoETS, AutoARIMA and AutoTheta, no look-ahead.

Panels (real data; every step that learns sees only the history up to each cutoff):
1. city: China City Statistical Yearbook, 2003-2015 (talentcast/data/real/city_employment_by_sector_2003_2015.csv),
   the 5,266 series with all 13 years and no zero. Cutoffs 2010-2013, h = 1..3.
2. province: NBS urban-unit employment, 31 provinces x 19 sections, 2009-2015. Cutoffs 2012-2014, h = 1..2.
3. ces: US CES employment by supersector 2006-2015, monthly (vega_datasets `us-employment`), 3 cutoffs a year
   apart, h = 1..12.

The declared 2013 survey-frame break (both Chinese panels) is handled the same way for every model: at each
cutoff the history is re-levelled with the break size estimated from that history only (`forecasting.breaks`),
and the break year itself is not scored (a frame change is not forecastable). `auto` gets the raw history and
does this itself (`forecasting.engine.forecast`, as `talentcast forecast` does); the statsforecast models get the
re-levelled history (the stronger comparison: without it they extrapolate the jump). MASE scale: in-sample naive
MAE (seasonal naive for monthly) of the history up to the cutoff, break years skipped.

Significance: the ratio mean MASE(auto) / mean MASE(best statsforecast model) with a 95% bootstrap CI over
clusters (cities / provinces / CES series resampled with replacement, 2,000 draws). "Better" needs CI < 1.

Speed (--speed): whole `talentcast forecast` process on the full city panel (h = 3) against a whole process
fitting statsforecast AutoETS on the same panel, series per second each.

    nice -n 10 .venv/bin/python benchmarks/forecast_accuracy.py [--panels city,province,ces] [--sample N]
        [--models auto,Naive,AutoETS,AutoARIMA,AutoTheta] [--speed]
    nice -n 10 .venv/bin/python benchmarks/forecast_accuracy.py --rolling-coverage   # auto's coverage, every cutoff
    nice -n 10 .venv/bin/python benchmarks/forecast_accuracy.py --panels ces,city --sample 3 --one-at-a-time

Intervals are scored by coverage and by the scaled interval score (MSIS: width + 2 / alpha x the miss, over the
MASE scale), with auto's ratio to the baseline whose 95% intervals score best. --one-at-a-time forecasts each
series in a run of its own (nothing pooled), as a user with one series would.

--sample N keeps N random cities (seeded) of the city panel (AutoARIMA costs ~0.1 s per short series here).
Results: benchmarks/forecast_accuracy.json (merged per panel) and the README section "Forecast accuracy (#11)".
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from features.series import build_panel, panel_to_long, period_to_ordinal, to_long
from forecasting.blocks import mask_breaks
from forecasting.breaks import relevel
from forecasting.engine import forecast
from forecasting.metrics import naive_scale

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "talentcast/data/real"
BASELINES = ("Naive", "AutoETS", "AutoARIMA", "AutoTheta")
LEVELS = (80, 95)
CACHE = Path(tempfile.gettempdir()) / "talentcast-accuracy-cache"


def city_panel() -> pd.DataFrame:
    frame = pd.read_csv(REAL / "city_employment_by_sector_2003_2015.csv", dtype={"region_code": str})
    return pd.DataFrame({"series_id": frame["region_code"] + "|" + frame["sector_code"],
                         "period": frame["year"].astype(str), "value": frame["employed_10k"]})


def complete_city_panel() -> pd.DataFrame:
    """The 5,266 city series with all 13 years and no zero (a zero history has no MASE scale)."""
    frame = city_panel()
    values = frame.groupby("series_id")["value"]
    keep = (values.transform("size") == 13) & (values.transform("min") > 0)
    return frame[keep].reset_index(drop=True)


def province_panel() -> pd.DataFrame:
    frame = pd.read_csv(REAL / "employment_by_province_sector_2009_2015.csv", dtype={"region_code": str})
    return pd.DataFrame({"series_id": frame["region_code"] + "|" + frame["sector_code"],
                         "period": frame["year"].astype(str), "value": frame["employed_10k"]})


def ces_panel() -> pd.DataFrame:
    from vega_datasets import data

    wide = data.us_employment()
    wide["period"] = pd.to_datetime(wide["month"]).dt.strftime("%Y-%m")
    series = [c for c in wide.columns if c not in ("month", "period", "nonfarm_change")]
    return wide.melt(id_vars="period", value_vars=series, var_name="series_id", value_name="value")[
        ["series_id", "period", "value"]]


PANELS = {
    # name: (loader, cutoffs, horizon, declared breaks, cluster of a series id)
    "city": (complete_city_panel, ["2010", "2011", "2012", "2013"], 3, ["2013"], lambda s: s.str.split("|").str[0]),
    "province": (province_panel, ["2012", "2013", "2014"], 2, ["2013"], lambda s: s.str.split("|").str[0]),
    "ces": (ces_panel, ["2012-12", "2013-12", "2014-12"], 12, None, lambda s: s),
}


# Coverage on more cutoffs (--rolling-coverage, `auto` only): the official cutoffs above leave few scored values
# per horizon (CES: 66), and most yearly targets lie across the 2013 frame change; these add every cutoff with a
# scorable target and split targets by whether a declared break lies between cutoff and target.
ROLLING_CUTOFFS = {
    "city": [str(y) for y in range(2008, 2015)],
    "province": ["2012", "2013", "2014"],
    # Every month from the first with three full inner windows (2011-01: 61 months since 2006-01) to the last
    # with a year to score. Seven half-yearly cutoffs (2011-12..2014-12) gave 74-84% at 80% across horizons,
    # all 48 give 80-84%: with 22 series, which cutoffs are scored moves coverage by several points.
    "ces": [f"{y}-{m:02d}" for y in range(2011, 2015) for m in range(1, 13)],
}
BOOTSTRAP_DRAWS = 2000
MIN_CLUSTERS = 4  # target years needed for a coverage CI


def statsforecast_rows(history: pd.DataFrame, freq: str, h: int, declared, models) -> pd.DataFrame:
    """statsforecast forecasts (original scale) on the history re-levelled at the cutoff."""
    from statsforecast import StatsForecast
    from statsforecast import models as sfm

    panel = build_panel(to_long(history), freq)
    adjusted, _ = relevel(panel, declared) if declared else (panel, None)
    long = panel_to_long(adjusted)
    m = panel.season_length
    data = pd.DataFrame({"unique_id": long["series_id"], "ds": period_to_ordinal(long["period"], freq),
                         "y": long["value"].astype(float)})
    frames = []
    for name in models:
        model = sfm.Naive() if name == "Naive" else getattr(sfm, name)(season_length=m)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # A series too short for the model (AutoETS needs 5+ points) gets Naive, as a user would set it.
            fc = StatsForecast(models=[model], freq=1, n_jobs=1, fallback_model=sfm.Naive()).forecast(
                df=data, h=h, level=list(LEVELS))
        fc = fc.reset_index() if "unique_id" not in fc.columns else fc
        fc["step"] = fc.groupby("unique_id").cumcount() + 1
        out = pd.DataFrame({"series_id": fc["unique_id"].astype(str), "step": fc["step"], "model": name,
                            "mean": fc[name].to_numpy()})
        for lv in LEVELS:
            out[f"lo_{lv}"] = fc[f"{name}-lo-{lv}"].to_numpy()
            out[f"hi_{lv}"] = fc[f"{name}-hi-{lv}"].to_numpy()
        frames.append(out)
    return pd.concat(frames, ignore_index=True)


def run_panel(name: str, sample: int | None, models, cutoffs=None,
              one_at_a_time: bool = False) -> tuple[pd.DataFrame, dict]:
    """Forecasts of every model at each cutoff, scored on the data after it (one row per series x cutoff x step).

    one_at_a_time: `auto` forecasts each series in a run of its own (as a user with one series would), so
    nothing is pooled across series: selection, calibration and the global model see that series only.
    """
    loader, official, h, declared, _ = PANELS[name]
    cutoffs = cutoffs or official
    frame = loader()
    if sample and name == "city":
        cities = np.sort(frame["series_id"].str.split("|").str[0].unique())
        keep = np.random.default_rng(11).choice(cities, size=min(sample, len(cities)), replace=False)
        frame = frame[frame["series_id"].str.split("|").str[0].isin(keep)]
    full = build_panel(to_long(frame))
    freq = full.freq
    _, report = relevel(full, declared) if declared else (full, None)
    actuals = mask_breaks(full, report[["series_id", "period"]] if report is not None else None)
    actual_long = panel_to_long(actuals).rename(columns={"value": "actual"})
    ordinal = period_to_ordinal(frame["period"].astype(str), freq)
    rows, seconds = [], {}
    for cutoff in cutoffs:
        c = int(period_to_ordinal(pd.Series([cutoff]), freq)[0])
        history = frame[ordinal <= c]
        parts = []  # the MASE scales per cutoff are computed once below, for all models
        if "auto" in models:
            start = time.perf_counter()
            runs = [part for _, part in history.groupby("series_id")] if one_at_a_time else [history]
            fc = pd.concat([forecast(part, h, breaks=declared, freq=freq).forecasts for part in runs],
                           ignore_index=True)
            seconds["auto"] = seconds.get("auto", 0.0) + time.perf_counter() - start
            fc["step"] = fc.groupby("series_id").cumcount() + 1
            parts.append(fc.assign(model="auto")[["series_id", "step", "model", "mean", "lo_80", "hi_80",
                                                  "lo_95", "hi_95"]])
        for model in [m for m in models if m != "auto"]:
            # Baselines do not change between runs: cached per panel, sample, cutoff and model (CSV in --cache).
            # --sample only thins the city panel: the other panels' baselines are shared with full runs.
            cached = CACHE / f"{name}-{sample if name == 'city' else None}-{cutoff}-{model}.csv"
            if cached.exists():
                parts.append(pd.read_csv(cached, dtype={"series_id": str}))
                continue
            start = time.perf_counter()
            rows_model = statsforecast_rows(history, freq, h, declared, [model])
            seconds[model] = seconds.get(model, 0.0) + time.perf_counter() - start
            CACHE.mkdir(parents=True, exist_ok=True)
            rows_model.to_csv(cached, index=False)
            parts.append(rows_model)
        table = pd.concat(parts, ignore_index=True)
        table["cutoff"] = cutoff
        table["period_ordinal"] = c + table["step"]
        rows.append(table)
        print(f"  {name} cutoff {cutoff}: " + ", ".join(f"{m} {s:.0f}s" for m, s in seconds.items()), flush=True)
    table = pd.concat(rows, ignore_index=True)
    table["period"] = pd.Series(table["period_ordinal"]).map(
        lambda o: str(o) if freq == "year" else f"{o // 12}-{o % 12 + 1:02d}")
    table = table.merge(actual_long, on=["series_id", "period"], how="inner")
    ks = {cut: int(full.last.max() - int(period_to_ordinal(pd.Series([cut]), freq)[0])) for cut in cutoffs}
    scales = pd.concat([pd.DataFrame({"series_id": full.ids, "cutoff": cut, "scale": naive_scale(actuals, k)[0]})
                        for cut, k in ks.items()])
    table = table.merge(scales, on=["series_id", "cutoff"], how="left")
    table["ase"] = (table["actual"] - table["mean"]).abs() / table["scale"]
    for lv in LEVELS:
        table[f"cov_{lv}"] = ((table["actual"] >= table[f"lo_{lv}"]) & (table["actual"] <= table[f"hi_{lv}"])
                              ).astype(float)
        table[f"sis_{lv}"] = scaled_interval_score(table, lv)
    return table, seconds


def scaled_interval_score(table: pd.DataFrame, level: int) -> pd.Series:
    """Interval score of the `level`% interval divided by the MASE scale (M4's MSIS at 95%); lower is better.

    Width plus 2 / alpha times the distance by which the actual falls outside: coverage alone rewards any
    wide enough interval, this score also charges for the width, so it ranks intervals as a planner would.
    """
    alpha = 1 - level / 100
    lo, hi, y = table[f"lo_{level}"], table[f"hi_{level}"], table["actual"]
    score = (hi - lo) + (2 / alpha) * ((lo - y).clip(lower=0) + (y - hi).clip(lower=0))
    return score / table["scale"]


def bootstrap_ratio(table: pd.DataFrame, a: str, b: str, cluster, draws: int = 2000,
                    value: str = "ase") -> tuple[float, float, float]:
    """mean `value`(a) / mean `value`(b) (ASE, or a scaled interval score) on the rows both scored, with a 95%
    CI resampling clusters."""
    wide = table.pivot_table(index=["series_id", "cutoff", "step"], columns="model", values=value).dropna(
        subset=[a, b]).reset_index()
    groups = cluster(wide["series_id"])
    sums = wide.groupby(groups)[[a, b]].sum()
    sa, sb = sums[a].to_numpy(), sums[b].to_numpy()
    return (float(sa.sum() / sb.sum()), *_resampled_ratio_ci(sa, sb, draws))


def _resampled_ratio_ci(numerators: np.ndarray, denominators: np.ndarray, draws: int) -> tuple[float, float]:
    """95% CI of sum(numerators) / sum(denominators) when whole clusters (one entry each) are resampled."""
    pick = np.random.default_rng(0).integers(0, len(numerators), (draws, len(numerators)))
    ratios = numerators[pick].sum(axis=1) / denominators[pick].sum(axis=1)
    return float(np.quantile(ratios, 0.025)), float(np.quantile(ratios, 0.975))


def summarise_panel(name: str, table: pd.DataFrame, seconds: dict) -> dict:
    cluster = PANELS[name][4]
    out = {"panel": name, "series": int(table["series_id"].nunique()), "cutoffs": sorted(table["cutoff"].unique()),
           "seconds": {m: round(s, 1) for m, s in seconds.items()}, "by_step": []}
    steps = sorted(table["step"].unique())
    for step in steps:
        part = table[table["step"] == step]
        stats = part.groupby("model").agg(mean_mase=("ase", "mean"), median_mase=("ase", "median"),
                                          coverage_80=("cov_80", "mean"), coverage_95=("cov_95", "mean"),
                                          msis_80=("sis_80", "mean"), msis_95=("sis_95", "mean"),
                                          n=("ase", "size"))
        entry = {"step": int(step), "models": stats.round(4).reset_index().to_dict(orient="records")}
        baselines = [m for m in BASELINES if m in stats.index]
        if "auto" in stats.index and baselines:
            best = stats.loc[baselines, "mean_mase"].idxmin()
            ratio, lo, hi = bootstrap_ratio(part, "auto", best, cluster)
            entry.update({"best_baseline": best, "auto_vs_best": round(ratio, 4), "ci95": [round(lo, 4), round(hi, 4)]})
            # Intervals: auto against the baseline whose 95% intervals score best (not the most accurate one).
            best_is = stats.loc[baselines, "msis_95"].idxmin()
            ratio, lo, hi = bootstrap_ratio(part, "auto", best_is, cluster, value="sis_95")
            entry.update({"best_baseline_msis_95": best_is, "auto_vs_best_msis_95": round(ratio, 4),
                          "ci95_msis_95": [round(lo, 4), round(hi, 4)]})
        out["by_step"].append(entry)
        line = "  ".join(f"{m} {r['mean_mase']:.3f}/{r['median_mase']:.3f} ({r['coverage_80']:.2f},"
                         f"{r['coverage_95']:.2f}, msis {r['msis_95']:.1f})" for m, r in stats.iterrows())
        extra = (f" | auto/{entry['best_baseline']} {entry['auto_vs_best']:.3f} "
                 f"[{entry['ci95'][0]:.3f}, {entry['ci95'][1]:.3f}]; msis 95 auto/{entry['best_baseline_msis_95']} "
                 f"{entry['auto_vs_best_msis_95']:.3f} [{entry['ci95_msis_95'][0]:.3f}, {entry['ci95_msis_95'][1]:.3f}]"
                 if "best_baseline" in entry else "")
        print(f"{name} h={step}: {line}{extra}", flush=True)
    return out


def rolling_coverage(name: str, table: pd.DataFrame) -> dict:
    """`auto`'s coverage per horizon, split by whether a declared break lies in (cutoff, target], with a 95% CI.

    The CI resamples target years (2,000 draws): one year's shock moves every series' error at once, so the
    values of one year are one observation of how well intervals calibrated on earlier years carry over, and a
    CI over series alone would be far too narrow.
    """
    declared = PANELS[name][3] or []
    cut = pd.Series(period_to_ordinal(table["cutoff"].astype(str), "year" if name != "ces" else "month"))
    across = np.zeros(len(table), dtype=bool)
    for brk in declared:
        b = int(period_to_ordinal(pd.Series([brk]), "year")[0])
        across |= (cut.to_numpy() < b) & (table["period_ordinal"].to_numpy() >= b)
    part = table.assign(across_break=across, target_year=table["period"].astype(str).str[:4])
    out = {"panel": name, "series": int(table["series_id"].nunique()), "cutoffs": sorted(table["cutoff"].unique()),
           "by_step": []}
    for (step, brk), rows in part.groupby(["step", "across_break"]):
        entry = {"step": int(step), "across_break": bool(brk), "n": int(len(rows)),
                 "target_years": int(rows["target_year"].nunique())}
        for lv in LEVELS:
            value = float(rows[f"cov_{lv}"].mean())
            lo, hi = cluster_ci(rows[f"cov_{lv}"].to_numpy(), rows["target_year"].to_numpy())
            entry.update({f"coverage_{lv}": round(value, 4), f"ci95_{lv}": [round(lo, 4), round(hi, 4)],
                          f"within_2_points_{lv}": bool(abs(value - lv / 100) <= 0.02)})
        out["by_step"].append(entry)
        print(f"{name} h={step} {'across a break' if brk else 'no break      '}: n={entry['n']:6d} "
              f"({entry['target_years']} target years) coverage "
              + " / ".join(f"{entry[f'coverage_{lv}']:.3f} [{entry[f'ci95_{lv}'][0]:.3f}, "
                           f"{entry[f'ci95_{lv}'][1]:.3f}]" for lv in LEVELS), flush=True)
    return out


def cluster_ci(hits: np.ndarray, clusters: np.ndarray, draws: int = BOOTSTRAP_DRAWS) -> tuple[float, float]:
    """95% bootstrap CI of a mean of 0/1 hits, resampling whole clusters; (nan, nan) with fewer than
    MIN_CLUSTERS (resampling two or three years says nothing about a fourth)."""
    labels, index = np.unique(clusters, return_inverse=True)
    if len(labels) < MIN_CLUSTERS:
        return float("nan"), float("nan")
    return _resampled_ratio_ci(np.bincount(index, weights=hits), np.bincount(index), draws)


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def speed() -> dict:
    """Whole-process series per second: `talentcast forecast` vs statsforecast AutoETS, city panel, h = 3."""
    frame = city_panel()
    n = frame["series_id"].nunique()
    with tempfile.TemporaryDirectory() as folder:
        # The file keeps its dataset name so the CLI applies the declared 2013 break, as for a user.
        path = Path(folder) / "city_employment_by_sector_2003_2015.csv"
        frame.to_csv(path, index=False)
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
        start, cpu_start = time.perf_counter(), _children_cpu()
        subprocess.run([sys.executable, "-c", "from talentcast.cli import main; main()", "forecast", "--input",
                        str(path), "--horizon", "3", "--output", str(Path(folder) / "out.csv"), "--no-track"],
                       check=True, cwd=ROOT, env=env, capture_output=True)
        ours, ours_cpu = time.perf_counter() - start, _children_cpu() - cpu_start
        script = ("import pandas as pd, warnings; warnings.simplefilter('ignore');"
                  "from statsforecast import StatsForecast; from statsforecast.models import AutoETS, Naive;"
                  f"f = pd.read_csv({str(path)!r}, dtype={{'period': int}});"
                  "d = pd.DataFrame({'unique_id': f.series_id, 'ds': f.period, 'y': f.value});"
                  "StatsForecast(models=[AutoETS(season_length=1)], freq=1, n_jobs=1, fallback_model=Naive())"
                  ".forecast(df=d, h=3,"
                  " level=[80, 95]).to_csv(" + repr(str(Path(folder) / "ets.csv")) + ")")
        start, cpu_start = time.perf_counter(), _children_cpu()
        subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, env=env, capture_output=True)
        ets, ets_cpu = time.perf_counter() - start, _children_cpu() - cpu_start
    # CPU seconds beside wall seconds: on the shared machine the load changes between the two processes, and
    # wall-clock ratios of the same code ranged 0.95-1.56x; CPU time is what a quiet machine's wall time tracks.
    result = {"series": int(n), "talentcast_forecast_seconds": round(ours, 1),
              "talentcast_series_per_second": round(n / ours, 1), "autoets_seconds": round(ets, 1),
              "autoets_series_per_second": round(n / ets, 1), "speedup": round(ets / ours, 2),
              "talentcast_cpu_seconds": round(ours_cpu, 1), "autoets_cpu_seconds": round(ets_cpu, 1),
              "cpu_speedup": round(ets_cpu / ours_cpu, 2), "load_average": round(os.getloadavg()[0], 1)}
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", default="city,province,ces")
    parser.add_argument("--models", default="auto," + ",".join(BASELINES))
    parser.add_argument("--sample", type=int, default=None, help="random cities of the city panel (seeded)")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--rolling-coverage", action="store_true",
                        help="auto only, more cutoffs (ROLLING_CUTOFFS), coverage split by break; "
                             "writes benchmarks/forecast_coverage.json unless --output")
    parser.add_argument("--one-at-a-time", action="store_true",
                        help="auto forecasts each series alone (no pooling); writes "
                             "benchmarks/forecast_one_at_a_time.json unless --output")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "forecast_accuracy.json"))
    args = parser.parse_args()
    models = [m for m in args.models.split(",") if m]
    if args.rolling_coverage:
        out = Path(args.output if args.output != parser.get_default("output")
                   else ROOT / "benchmarks" / "forecast_coverage.json")
        result = {name: rolling_coverage(name, run_panel(name, args.sample, ["auto"], ROLLING_CUTOFFS[name])[0])
                  for name in [p for p in args.panels.split(",") if p]}
        out.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
        print(f"wrote {out}")
        return
    out = Path(args.output)
    if args.one_at_a_time and args.output == parser.get_default("output"):
        out = ROOT / "benchmarks" / "forecast_one_at_a_time.json"
    previous = json.loads(out.read_text()) if out.exists() else {}
    previous = previous if isinstance(previous, dict) else {}
    for name in [p for p in args.panels.split(",") if p]:
        table, seconds = run_panel(name, args.sample, models, one_at_a_time=args.one_at_a_time)
        summary = summarise_panel(name, table, seconds)
        summary["sample_cities"] = args.sample if name == "city" else None
        previous[name] = summary
    if args.speed:
        previous["speed"] = speed()
    out.write_text(json.dumps(previous, indent=1, ensure_ascii=False, default=str))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
