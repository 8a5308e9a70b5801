"""Speed benchmark: the whole `talentcast forecast` process (method auto) on 5,000 yearly series of length 15.

The series are GENERATED (seeded random walks with drift, sector and region codes in the ids); they exist only
to time the engine. Measures wall time, series per second and peak memory (max RSS of the child process) for
the local and the Dask engines. Run:

    .venv/bin/python benchmarks/forecast_speed.py [--series 5000] [--length 15] [--horizon 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from features.contract import DEFAULT_SEED  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def generated_panel(n_series: int, length: int, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """GENERATED yearly employment-like series: log random walks with sector-specific drift."""
    rng = np.random.default_rng(seed)
    sectors = np.array(list("ABCDEFGHIJKLMNOPQRS"))
    sector = sectors[rng.integers(0, len(sectors), n_series)]
    region = np.array([f"{r:02d}0000" for r in rng.integers(11, 66, n_series)])
    drift = rng.normal(0.02, 0.03, n_series)
    shocks = rng.normal(0, 0.05, (n_series, length))
    log_level = np.log(rng.uniform(1, 500, n_series))[:, None] + np.cumsum(drift[:, None] + shocks, axis=1)
    ids = np.char.add(np.char.add(np.char.add(region, "|"), sector), np.char.add("-", np.arange(n_series).astype(str)))
    years = np.arange(2024 - length + 1, 2025)
    return pd.DataFrame({
        "series_id": np.repeat(ids, length),
        "period": np.tile(years.astype(str), n_series),
        "value": np.round(np.exp(log_level).ravel(), 3),
    })


def run(input_path: Path, output: Path, horizon: int, engine: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "from talentcast.cli import main; main()", "forecast", "--input", str(input_path),
         "--horizon", str(horizon), "--output", str(output), "--engine", engine, "--no-track"],
        cwd=ROOT, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"engine": engine, "seconds": round(seconds, 2), "peak_rss_mb": round(max(peak, before) / 1024, 1),
            "stdout": done.stdout.strip().splitlines()[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=5000)
    parser.add_argument("--length", type=int, default=15)
    parser.add_argument("--horizon", type=int, default=3)
    parser.add_argument("--engines", default="local,dask")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated_series.csv"
        generated_panel(args.series, args.length).to_csv(path, index=False)
        results = []
        for engine in args.engines.split(","):
            result = run(path, Path(folder) / f"out_{engine}.csv", args.horizon, engine)
            result["series_per_second"] = round(args.series / result["seconds"], 1)
            results.append(result)
            print(json.dumps(result, ensure_ascii=False))
        if len(results) == 2:
            a = pd.read_csv(Path(folder) / "out_local.csv")
            b = pd.read_csv(Path(folder) / "out_dask.csv")
            print(json.dumps({"local_equals_dask": bool(a.equals(b))}))


if __name__ == "__main__":
    main()
