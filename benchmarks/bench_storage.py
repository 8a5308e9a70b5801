"""Benchmark talentcast.storage: open, ingest, load, save_run, filtered reads, API key checks.

Run: ``.venv/bin/python benchmarks/bench_storage.py [--rows 100000] [--url sqlite:///...]``
(default: a SQLite file in a temporary directory). Prints one line per measurement; results are recorded in
docs/storage.md. Data are generated (random numbers shaped like the contract tables), not real.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from talentcast.storage import RunMeta, Storage
from features.contract import DEFAULT_SEED  # noqa: E402


def timed(label: str, fn, repeat: int = 1):
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    best = min(times)
    extra = f" (median {statistics.median(times) * 1e3:.3f} ms of {repeat})" if repeat > 1 else ""
    print(f"{label:<58} {best * 1e3:10.3f} ms{extra}")
    return result


def employment_frame(rows: int, rng: np.random.Generator) -> pd.DataFrame:
    regions = [f"45{i:04d}" for i in range(max(1, rows // (40 * 30)))]
    sectors = [f"C{i:02d}" for i in range(13, 53)]
    index = pd.MultiIndex.from_product([regions, sectors, range(1995, 2025)], names=["region", "sector", "year"])
    frame = index.to_frame(index=False).iloc[:rows]
    frame["employed"] = rng.uniform(100, 1e5, len(frame)).round(1)
    frame["year"] = frame["year"].astype("int64")
    return frame.reset_index(drop=True)


def results(rows: int, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    years = list(range(2026, 2031))
    cells = max(1, rows // len(years))
    region = rng.choice([f"45{i:04d}" for i in range(14)], cells)
    sector = rng.choice([f"C{i:02d}" for i in range(13, 53)], cells)
    base = pd.DataFrame({"region": np.repeat(region, len(years)), "sector": np.repeat(sector, len(years)),
                         "year": np.tile(years, cells)})
    n = len(base)
    demand = base.assign(employment_mean=rng.uniform(1e3, 1e5, n), openings_mean=rng.uniform(10, 1e3, n),
                         model="ets")
    gaps = base.assign(gap_mean=rng.normal(0, 100, n), ratio_median=rng.uniform(0.5, 2, n),
                       p_shortage=rng.uniform(0, 1, n), p_surplus=rng.uniform(0, 1, n))
    warnings = pd.DataFrame({
        "region": base["region"].iloc[: n // 5], "school": "S001", "major": "460701", "plan_year": 2026,
        "level": rng.choice(["red", "yellow", "green"], n // 5), "action": "hold",
        "rules_fired": [["employment_below_60"]] * (n // 5), "evidence": [{"employment_rate": 0.55}] * (n // 5),
        "explanation_zh": "连续两年就业率低于60%", "explanation_en": "employment rate below 60% two years running",
    })
    return {"demand": demand, "gaps": gaps, "warnings": warnings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the ingested table and of each result")
    parser.add_argument("--url", default=None, help="SQLAlchemy URL (default: SQLite in a temp dir)")
    args = parser.parse_args()
    rng = np.random.default_rng(DEFAULT_SEED)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        print(f"database: {url.split('@')[-1]}  rows: {args.rows}")
        timed("open + migrate a fresh database", lambda: Storage(url).close())
        timed("open an up-to-date database", lambda: Storage(url).close(), repeat=20)
        st = Storage(url)
        frame = employment_frame(args.rows, rng)
        timed(f"ingest employment ({len(frame)} rows, one transaction)",
              lambda: st.ingest("employment", frame, "bench.csv", {"synthetic": True}))
        loaded = timed(f"load_table employment ({len(frame)} rows)", lambda: st.load_table("employment"))
        assert len(loaded) == len(frame)
        timed("is_current (checksum vs current version)", lambda: st.is_current("employment", frame))
        res = results(args.rows, rng)
        total = sum(len(f) for f in res.values())
        run_id = timed(f"save_run demand+gaps+warnings ({total} rows)", lambda: st.save_run(res, RunMeta()))
        timed("load_results gaps, whole run", lambda: st.load_results("gaps", run_id=run_id), repeat=3)
        timed("load_results gaps, one region (indexed)",
              lambda: st.load_results("gaps", run_id=run_id, filters={"region": "450003"}), repeat=10)
        timed("load_results warnings, level=red, limit 100",
              lambda: st.load_results("warnings", filters={"level": "red"}, limit=100), repeat=10)
        timed("latest_run", st.latest_run, repeat=50)
        key, _ = st.create_api_key("planner", region="450200")
        timed("verify_api_key (lookup + SHA-256)", lambda: st.verify_api_key(key), repeat=200)
        unknown = f"tc_{'z' * 8}_{key.split('_')[2]}"
        timed("verify_api_key, unknown prefix (dummy digest)", lambda: st.verify_api_key(unknown), repeat=200)
        reads_during_ingest(st, url, args.rows)
        st.close()


def reads_during_ingest(st: Storage, url: str, rows: int) -> None:
    """Latency of filtered result reads while another process ingests `rows` rows (WAL on SQLite)."""
    writer = subprocess.Popen([sys.executable, "-c", (
        "import sys, numpy as np; sys.path.insert(0, 'benchmarks'); import bench_storage as b; "
        "from talentcast.storage import Storage; "
        f"st = Storage({url!r}); f = b.employment_frame({rows}, np.random.default_rng(1)); "
        "print('ready', flush=True); st.ingest('employment', f, 'concurrent.csv')")],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    writer.stdout.readline()  # the writer has built its frame and is about to write
    latencies = []
    while writer.poll() is None:
        start = time.perf_counter()
        st.load_results("warnings", filters={"level": "red"}, limit=100)
        latencies.append(time.perf_counter() - start)
    print(f"{'reads during a concurrent ingest (' + str(len(latencies)) + ' reads)':<58} "
          f"median {statistics.median(latencies) * 1e3:.1f} ms, max {max(latencies) * 1e3:.1f} ms"
          if latencies else "reads during a concurrent ingest: writer finished before the first read")


if __name__ == "__main__":
    main()
