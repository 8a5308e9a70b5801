"""Benchmark `talentcast run`: wall time and peak memory for the demo city and a province-sized case.

    .venv/bin/python benchmarks/run_pipeline.py                 # demo city + province (local engine)
    .venv/bin/python benchmarks/run_pipeline.py --cases province --engine dask
    .venv/bin/python benchmarks/run_pipeline.py --json out.json

Each case runs in a fresh TALENTCAST_HOME: the tables are ingested into a real SQLite store (not timed), then
`talentcast run --no-track --quiet` runs as a child process, whose wall time and peak resident memory
(ru_maxrss) are reported. The same child also reports the pipeline's own time (without interpreter start and
imports) and the time of one scenario recomputed from the fitted state (no refit).

The province case is GENERATED here (seeded, labelled generated in its dataset metadata): 14 cities x ~40
sectors (19 sections + 21 divisions) plus provincial sections, ~100 schools offering ~60 majors each, 2009-2024
employment and 2012-2024 enrolment. It measures scale, not realism.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GENERATED = {"synthetic": True, "generator": "benchmarks/run_pipeline.py", "seed": 7,
             "note": "GENERATED province-sized benchmark data (not real)"}
SECTIONS = list("ABCDEFGHIJKLMNOPQRS")
DIVISIONS = ["C13", "C14", "C17", "C18", "C22", "C26", "C27", "C29", "C30", "C31", "C33", "C34", "C35", "C36",
             "C37", "C38", "C39", "D44", "I64", "I65", "M74"]


def province_tables(n_cities: int = 14, n_schools: int = 100, majors_per_school: int = 60,
                    n_majors: int = 300, seed: int = 7) -> dict[str, pd.DataFrame]:
    """A GENERATED province: contract tables, seeded."""
    rng = np.random.default_rng(seed)
    province = "990000"
    cities = [f"99{i + 1:02d}00" for i in range(n_cities)]
    regions = pd.DataFrame({"code": [province, *cities],
                            "name_zh": ["生成省（虚构）", *[f"生成市{i + 1}（虚构）" for i in range(n_cities)]],
                            "name_en": ["Generated province", *[f"Generated city {i + 1}" for i in range(n_cities)]],
                            "parent": [None, *[province] * n_cities],
                            "level": ["province", *["city"] * n_cities]})
    sectors = pd.DataFrame({"code": SECTIONS + DIVISIONS,
                            "name_zh": [f"行业{c}" for c in SECTIONS + DIVISIONS],
                            "name_en": [f"Sector {c}" for c in SECTIONS + DIVISIONS],
                            "parent": [None] * len(SECTIONS) + [d[0] for d in DIVISIONS]})
    years = np.arange(2009, 2025)
    rows = []
    city_size = rng.uniform(0.3, 2.0, n_cities)
    for c, city in enumerate(cities):
        for sector in SECTIONS + DIVISIONS:
            # Divisions are a few % of their section, so a section exceeds the sum of its divisions.
            level = city_size[c] * (60000 if len(sector) == 1 else 1500) * rng.uniform(0.5, 1.5)
            growth = rng.normal(0.02, 0.04)
            noise = rng.normal(0, 0.03, len(years)).cumsum()
            values = level * np.exp(growth * (years - years[0]) + noise)
            rows.append(pd.DataFrame({"region": city, "sector": sector, "year": years, "employed": values}))
    employment = pd.concat(rows, ignore_index=True)
    # A section is its listed divisions plus a rest of its own, as in real statistics.
    divisions = employment[employment["sector"].str.len() > 1]
    by_section = divisions.assign(section=divisions["sector"].str[0]).groupby(
        ["region", "section", "year"])["employed"].sum()
    is_section = employment["sector"].str.len() == 1
    extra = by_section.reindex(pd.MultiIndex.from_frame(employment.loc[is_section, ["region", "sector", "year"]]))
    employment.loc[is_section, "employed"] += np.nan_to_num(extra.to_numpy())
    # Provincial sections: the cities' sum plus 30-60% for places outside the listed cities.
    sections = employment[employment["sector"].str.len() == 1]
    prov = sections.groupby(["sector", "year"], as_index=False)["employed"].sum()
    prov["employed"] *= rng.uniform(1.3, 1.6)
    prov["region"] = province
    employment = pd.concat([employment, prov[["region", "sector", "year", "employed"]]], ignore_index=True)
    employment["employed"] = employment["employed"].round()

    levels = np.array(["中职", "高职专科", "本科"])
    major_codes = [f"{rng.integers(41, 80)}{i:04d}" for i in range(n_majors)]
    major_level = levels[rng.integers(0, 3, n_majors)]
    majors = pd.DataFrame({"code": major_codes, "name_zh": [f"专业{i}" for i in range(n_majors)],
                           "name_en": [f"Major {i}" for i in range(n_majors)], "level": major_level,
                           "duration_years": np.where(major_level == "本科", 4, 3)})
    school_type = {"中职": "中职", "高职专科": "高职", "本科": "本科"}
    schools = pd.DataFrame({"code": [f"G{i:03d}" for i in range(n_schools)],
                            "name": [f"生成学校{i}（虚构）" for i in range(n_schools)],
                            "region": rng.choice(cities, n_schools),
                            "type": [school_type[levels[i % 3]] for i in range(n_schools)]})
    enrol_years = np.arange(2012, 2025)
    parts = []
    for s in range(n_schools):
        offered = rng.choice(n_majors, majors_per_school, replace=False)
        base = rng.integers(30, 300, majors_per_school)
        for m, size in zip(offered, base):
            intake = np.maximum(0, size * np.exp(rng.normal(0, 0.08, len(enrol_years)).cumsum())).round()
            grads = np.full(len(enrol_years), np.nan)
            d = 4 if major_level[m] == "本科" else 3
            grads[d:] = np.floor(intake[:-d] * rng.uniform(0.85, 0.97, len(enrol_years) - d))
            further = np.floor(grads * rng.uniform(0.05, 0.3))
            employed = np.floor((grads - further) * rng.uniform(0.6, 0.95))
            local = np.floor(employed * rng.uniform(0.3, 0.8))
            parts.append(pd.DataFrame({"school": schools["code"][s], "major": major_codes[m], "year": enrol_years,
                                       "intake": intake.astype(int), "graduates": grads,
                                       "graduates_employed": employed, "graduates_further_study": further,
                                       "graduates_local": local}))
    enrolment = pd.concat(parts, ignore_index=True)
    for col in ("graduates", "graduates_employed", "graduates_further_study", "graduates_local"):
        enrolment[col] = enrolment[col].astype("Int64")
    all_sectors = SECTIONS + DIVISIONS
    crosswalk = []
    for code in major_codes:
        k = int(rng.integers(1, 4))
        chosen = rng.choice(len(all_sectors), k, replace=False)
        weights = rng.dirichlet(np.ones(k)).round(4)
        weights[-1] = round(1 - weights[:-1].sum(), 4)
        crosswalk += [(code, all_sectors[j], w) for j, w in zip(chosen, weights)]
    crosswalk = pd.DataFrame(crosswalk, columns=["major", "sector", "weight"])
    return {"regions": regions, "sectors": sectors, "employment": employment, "majors": majors,
            "schools": schools, "enrolment": enrolment, "major_sector_map": crosswalk}


def _ingest(tables: dict[str, pd.DataFrame], metadata: dict) -> None:
    from talentcast.service import Service
    from talentcast.storage import Storage

    with Storage() as storage:
        service = Service(storage)
        for name, frame in tables.items():
            service.ingest_frame(name, frame, f"{name}.generated.csv", metadata, skip_unchanged=False)


def _child(args) -> None:
    """Inside the child: time the pipeline itself and one scenario (printed as JSON on the last line)."""
    from talentcast.settings import get_settings
    from talentcast.storage import Storage

    start = time.perf_counter()
    from talentcast.service import Service

    imported = time.perf_counter()
    storage = Storage()
    service = Service(storage, get_settings())
    stored = service.run(track=False, engine=args.engine)
    done = time.perf_counter()
    state = stored.result.state
    node = state.hierarchy.nodes.iloc[-1]
    scenario = {"id": "bench", "name": "benchmark", "changes": [
        {"kind": "employment_change", "target": {"region": node["region"], "sector": node["sector"]},
         "percent": 15, "years": {"from": state.years[1]}}]}
    t0 = time.perf_counter()
    service.scenario(scenario, run_id=stored.run_id)  # the fitted state is in memory: no refit
    scenario_seconds = time.perf_counter() - t0
    storage.close()
    print(json.dumps({"import_seconds": imported - start, "pipeline_seconds": done - imported,
                      "scenario_seconds": scenario_seconds, "series": int(len(state.hierarchy.nodes)),
                      "supply_units": int(len(state.units)), "gap_rows": int(len(stored.result.results["gaps"])),
                      "n_paths": state.n_paths}))


# `talentcast run` exactly as the console script runs it, reporting its own peak RSS on exit (KiB on Linux).
_CLI_WITH_PEAK = (
    "import atexit, resource, sys\n"
    "atexit.register(lambda: sys.stderr.write("
    "f'\\nPEAK_RSS_KIB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n'))\n"
    "from talentcast.cli import main\n"
    "main(sys.argv[1:])\n"
)


def run_case(name: str, engine: str) -> dict:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "TALENTCAST_HOME": home, "MLFLOW_DISABLE_TELEMETRY": "true"}
        os.environ["TALENTCAST_HOME"] = home
        from talentcast.settings import get_settings

        get_settings.cache_clear()
        t0 = time.perf_counter()
        if name == "demo":
            from talentcast.service import load_embedded_dataset
            from talentcast.storage import Storage

            with Storage() as storage:
                load_embedded_dataset(storage)
        else:
            _ingest(province_tables(), GENERATED)
        load_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        command = [sys.executable, "-c", _CLI_WITH_PEAK, "run", "--no-track", "--quiet", "--engine", engine]
        cli = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
        cli_seconds = time.perf_counter() - t0
        peak = [line for line in cli.stderr.splitlines() if line.startswith("PEAK_RSS_KIB ")]
        cli_rss = int(peak[-1].split()[1]) if peak else 0
        if cli.returncode != 0:
            raise SystemExit(f"talentcast run failed for {name}: {cli.stderr[-2000:]}")
        child = subprocess.run([sys.executable, __file__, "--child", "--engine", engine], env=env,
                               capture_output=True, text=True, cwd=ROOT)
        if child.returncode != 0:
            raise SystemExit(f"child failed for {name}: {child.stderr[-2000:]}")
        inner = json.loads(child.stdout.strip().splitlines()[-1])
        return {"case": name, "engine": engine, "ingest_seconds": round(load_seconds, 1),
                "talentcast_run_seconds": round(cli_seconds, 1),
                "talentcast_run_peak_rss_mb": round(cli_rss / 1024, 1),
                **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in inner.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", default=["demo", "province"], choices=["demo", "province"])
    parser.add_argument("--engine", default="local", choices=["local", "dask"])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    out = []
    for case in args.cases:
        result = run_case(case, args.engine)
        print(json.dumps(result, ensure_ascii=False), flush=True)
        out.append(result)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
