"""National run: every prefecture city with its province, forecast in one process, local engine vs Dask.

The data is REAL, the panels built into talentcast (talentcast/data/real, provenance in SOURCE.md there):
every province x section 2009-2015 (NBS) and every prefecture city x section 2003-2015 (China City
Statistical Yearbook), the same tables `talentcast init` loads for one region, here for all of them
(`talentcast.reference_data.national_employment`). The four municipalities (北京, 天津, 上海, 重庆) are
provinces: their NBS series are used, not their rows of the city panel (README "National run (#12)").

Two measurements, each in its own child process (wall time of the whole process, interpreter start included;
peak memory = the largest summed RSS of the child and all its descendants, sampled every 50 ms with psutil):

1. `forecast`: what a user runs on the national file (contract employment: region, sector, year, employed):

       talentcast forecast --input national_employment.csv --horizon 3 --breaks 2013 \\
           --output out.csv --engine local|dask --no-track

   then every forecast column of the two engines is compared (max abs difference; models equal).

2. `coherent`: the demand half of `talentcast run` (forecasting.pipeline: engine_forecast -> base_paths ->
   build_hierarchy -> reconcile_atoms) on the whole country: sample paths of every series, cities reconciled
   with their province (MinT-WLS, non-negative), on each engine; checked: the cities of a province never add up
   to more than the province (remainder >= 0) and the two engines give the same reconciled paths.

Run (nice: the machine is shared; about 3-5 minutes in all):

    nice -n 10 .venv/bin/python benchmarks/national_run.py [--horizon 3] [--paths 1000] [--engines local,dask]
        [--stages forecast,coherent] [--limit N  (first N provinces with their cities: a quick slice)]

Prints one JSON line per measurement and writes benchmarks/national_run.json (a run of some stages keeps the
others' last results there).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

from forecasting.pipeline import base_paths, employment_series, engine_forecast
from forecasting.reconcile import aggregate, build_hierarchy, reconcile_atoms
from talentcast import reference_data

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "national_run.json"
BREAKS = ["2013"]  # the NBS survey-frame break both panels declare (forecasting.breaks.KNOWN_BREAKS)
SEED = 20260101


# ----------------------------------------------------------------------------------------------- data


def national_table(limit: int | None = None) -> pd.DataFrame:
    """The national employment table (contract form); `limit`: only the first N provinces and their cities."""
    employment = reference_data.national_employment()
    if limit:
        provinces = sorted(reference_data.provinces_table()["code"])[:limit]
        keep = employment["region"].str[:2].isin({p[:2] for p in provinces})
        employment = employment[keep].reset_index(drop=True)
    return employment


def describe(employment: pd.DataFrame) -> dict:
    regions = reference_data.regions_table()
    level = dict(zip(regions["code"], regions["level"]))
    series = employment[["region", "sector"]].drop_duplicates()
    kinds = series["region"].map(level)
    return {"rows": len(employment), "series": len(series),
            "city_series": int((kinds == "city").sum()), "province_series": int((kinds == "province").sum()),
            "cities": int(series.loc[kinds == "city", "region"].nunique()),
            "provinces": int(series.loc[kinds == "province", "region"].nunique())}


# ----------------------------------------------------------------------------------------------- measuring


def measured(command: list[str]) -> dict:
    """Run `command`; wall seconds and peak RSS of its whole process tree (sampled every 50 ms)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        root = psutil.Process(child.pid)
        while not done.is_set():
            try:
                tree = [root] + root.children(recursive=True)
                total = 0
                for process in tree:
                    try:
                        total += process.memory_info().rss
                    except psutil.Error:
                        pass
                peak[0] = max(peak[0], total)
            except psutil.Error:
                return
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    done.set()
    sampler.join()
    seconds = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{stderr}")
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(peak[0] / 2**20), "stdout": stdout.strip()}


def compare_forecasts(local: Path, dask: Path) -> dict:
    """Max abs difference of every numeric forecast column (rows aligned on series and period)."""
    a = pd.read_csv(local, dtype={"series_id": str, "period": str})
    b = pd.read_csv(dask, dtype={"series_id": str, "period": str})
    keys = ["series_id", "period"]
    joined = a.merge(b, on=keys, how="outer", suffixes=("_local", "_dask"), indicator=True)
    numeric = [c for c in a.columns if c not in keys and pd.api.types.is_numeric_dtype(a[c])]
    diffs = {c: float((joined[f"{c}_local"] - joined[f"{c}_dask"]).abs().max()) for c in numeric}
    return {"rows_local": len(a), "rows_dask": len(b), "rows_only_in_one": int((joined["_merge"] != "both").sum()),
            "max_abs_diff": diffs,
            "models_differ": int((joined["model_local"] != joined["model_dask"]).sum())}


# ----------------------------------------------------------------------------------------------- child: coherent


def coherent_child(args) -> None:
    """In a child process: the pipeline's demand half on the whole country, one engine; prints JSON."""
    employment = national_table(args.limit)
    regions, sectors = reference_data.regions_table(), reference_data.sectors_table()
    timings = {}
    start = time.perf_counter()
    last_year = employment.groupby(["region", "sector"])["year"].max()
    base_year = int(last_year.max())
    nodes = last_year.index.to_frame(index=False)
    paths, _ = engine_forecast(employment_series(employment), args.horizon, args.paths, SEED,
                               engine=args.engine, breaks=BREAKS)
    base = base_paths(employment, nodes, base_year, args.horizon, args.paths, paths)
    del paths
    timings["forecast_s"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    hierarchy = build_hierarchy(nodes, regions, sectors)
    report: dict = {}
    atoms = reconcile_atoms(hierarchy, base, report=report)
    coherent = aggregate(hierarchy, atoms)
    timings["reconcile_s"] = round(time.perf_counter() - start, 1)

    # Coherence: for every province x section, province - sum of its cities >= 0 on every year and path.
    level = dict(zip(regions["code"], regions["level"]))
    parent = dict(zip(regions["code"], regions["parent"]))
    index = hierarchy.node_index()
    worst = 0.0
    children: dict[int, list[int]] = {}
    for (region, sector), row in index.items():
        if level.get(region) == "city" and (parent.get(region), sector) in index:
            children.setdefault(index[(parent[region], sector)], []).append(row)
    for province_row, rows in children.items():
        rest = coherent[province_row] - coherent[rows].sum(axis=0)
        scale = max(1.0, float(np.abs(coherent[province_row]).max()))
        worst = min(worst, float(rest.min()) / scale)
    means = coherent[:, 1:, :].mean(axis=2)
    out_path = Path(args.out)
    np.save(out_path, coherent[:, 1:, :])
    print(json.dumps({**timings, "nodes": len(hierarchy.nodes), "atoms": int(hierarchy.summing.shape[1]),
                      "province_sections_with_cities": len(children),
                      "cities_checked": sum(map(len, children.values())),
                      "worst_remainder_share": worst, "nnls_columns": report["nnls"],
                      "clipped_columns": report["clipped"], "paths": args.paths, "horizon": args.horizon,
                      "mean_total_first_year": float(means[:, 0].sum())}))


# ----------------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--horizon", type=int, default=3)
    parser.add_argument("--paths", type=int, default=1000, help="sample paths per series (stage coherent)")
    parser.add_argument("--engines", default="local,dask")
    parser.add_argument("--stages", default="forecast,coherent")
    parser.add_argument("--limit", type=int, default=None, help="first N provinces only (a quick slice)")
    parser.add_argument("--coherent-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="local", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.coherent_child:
        coherent_child(args)
        return

    engines = args.engines.split(",")
    stages = args.stages.split(",")
    employment = national_table(args.limit)
    results: dict = {"data": describe(employment), "horizon": args.horizon, "limit": args.limit,
                     "date": time.strftime("%Y-%m-%d"), "cpus": psutil.cpu_count()}
    print(json.dumps(results["data"]))
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        national = folder / "national_employment.csv"
        employment.to_csv(national, index=False, encoding="utf-8")
        if "forecast" in stages:
            results["forecast"] = {}
            for engine in engines:
                output = folder / f"forecast_{engine}.csv"
                run = measured([sys.executable, "-c", "from talentcast.cli import main; main()", "forecast",
                                "--input", str(national), "--horizon", str(args.horizon),
                                "--breaks", ",".join(BREAKS), "--output", str(output), "--engine", engine,
                                "--no-track"])
                results["forecast"][engine] = run
                print(json.dumps({"stage": "forecast", "engine": engine, **run}, ensure_ascii=False))
            if {"local", "dask"} <= set(engines):
                results["forecast"]["equal"] = compare_forecasts(folder / "forecast_local.csv",
                                                                 folder / "forecast_dask.csv")
                print(json.dumps({"stage": "forecast", "local_vs_dask": results["forecast"]["equal"]}))
        if "coherent" in stages:
            results["coherent"] = {}
            for engine in engines:
                out = folder / f"coherent_{engine}.npy"
                run = measured([sys.executable, str(Path(__file__).resolve()), "--coherent-child",
                                "--engine", engine, "--horizon", str(args.horizon), "--paths", str(args.paths),
                                "--out", str(out)] + (["--limit", str(args.limit)] if args.limit else []))
                child = json.loads(run.pop("stdout").splitlines()[-1])
                results["coherent"][engine] = {**run, **child}
                print(json.dumps({"stage": "coherent", "engine": engine, **results["coherent"][engine]}))
            if {"local", "dask"} <= set(engines):
                a, b = np.load(folder / "coherent_local.npy"), np.load(folder / "coherent_dask.npy")
                results["coherent"]["equal"] = {"max_abs_diff": float(np.abs(a - b).max()),
                                                "max_value": float(np.abs(a).max())}
                print(json.dumps({"stage": "coherent", "local_vs_dask": results["coherent"]["equal"]}))
    if not args.limit:
        if RESULTS.exists():  # a rerun of some stages keeps the others' last results
            results = {**json.loads(RESULTS.read_text(encoding="utf-8")), **results}
        RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
