"""Benchmark: time and peak memory of building the embedded default dataset.

Run: .venv/bin/python benchmarks/bench_demo_data.py [--repeat N]
Prints one line per measure; results are recorded in docs/demo-data.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    from talentcast.demo import build_demo_tables

    imported = time.perf_counter()
    build_demo_tables()  # first call also reads the real CSVs (cached afterwards)
    first = time.perf_counter()
    print(f"import talentcast.demo: {imported - started:.2f} s")
    print(f"first build_demo_tables() (reads real CSVs): {first - imported:.2f} s")

    warm = []
    for seed in range(args.repeat):
        t0 = time.perf_counter()
        build_demo_tables(seed=seed)
        warm.append(time.perf_counter() - t0)
    print(f"warm build_demo_tables() over {args.repeat} seeds: median {statistics.median(warm):.2f} s, "
          f"max {max(warm):.2f} s")

    tracemalloc.start()
    tables = build_demo_tables()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows = sum(len(frame) for frame, _ in tables.values())
    size = sum(frame.memory_usage(deep=True).sum() for frame, _ in tables.values())
    print(f"peak traced memory of one build: {peak / 2**20:.1f} MiB; tables: {rows} rows, "
          f"{size / 2**20:.1f} MiB in memory")


if __name__ == "__main__":
    main()
