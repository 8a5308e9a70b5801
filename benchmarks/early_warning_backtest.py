"""Backtest of the early-warning rule sets on the demo city (Liuzhou, GENERATED data) + timing.

    .venv/bin/python benchmarks/early_warning_backtest.py [--years 2018-2024] [--window 2] [--no-forecast]
        [--method auto] [--n-paths 200] [--out benchmarks/early_warning_backtest.json]

For every built-in rule set, replays the plan years, scoring shrink and expand warnings against the later
outcomes (definitions in early_warning/backtest.py and docs/early-warning.md). The outcome-only
rule sets need no forecast. The `forecast` set is scored twice: without forecasts (only its outcome rules can
fire) and, unless --no-forecast, with the pipeline rerun on the data known before each plan year (slow: one
pipeline run per year). Results are printed and written as JSON. The demo data are generated, not observed.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def _years(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(y) for y in text.split(",")]


def _fmt(score: dict) -> str:
    p, r = score["precision"], score["recall"]
    show = lambda v: "n/a" if v != v else f"{v:.2f}"  # noqa: E731  (NaN check)
    return f"precision {show(p)} recall {show(r)} ({score['true_positives']}/{score['warnings']} warnings, " \
           f"{score['positives']} positives)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="2018-2024")
    parser.add_argument("--window", type=int, default=2)
    parser.add_argument("--no-forecast", action="store_true")
    parser.add_argument("--method", default="auto")
    parser.add_argument("--n-paths", type=int, default=200)
    parser.add_argument("--out", default="benchmarks/early_warning_backtest.json")
    args = parser.parse_args()

    from early_warning import backtest_warnings, compute_warnings
    from early_warning.backtest import pipeline_results_for_year
    from talentcast.demo import build_demo_tables

    tables = {name: frame for name, (frame, _meta) in build_demo_tables().items()}
    years = _years(args.years)
    report: dict[str, object] = {"data": "GENERATED demo tables (talentcast.demo.build_demo_tables)",
                                 "years": years, "window": args.window, "runs": []}
    for rule_set in ("moe-2011", "sichuan", "tianjin-2009", "forecast"):
        start = time.perf_counter()
        _frame, metrics = backtest_warnings(tables, rule_set, years, window=args.window, region="450200")
        seconds = time.perf_counter() - start
        metrics.pop("by_year")
        metrics["seconds"] = round(seconds, 2)
        report["runs"].append(metrics)
        print(f"{rule_set:13s} no forecast  shrink: {_fmt(metrics['shrink'])}; expand: {_fmt(metrics['expand'])}"
              f"  [{seconds:.1f}s]")
    print(f"baseline      latest rate  shrink: {_fmt(metrics['baseline_shrink'])}; "
          f"expand: {_fmt(metrics['baseline_expand'])}")
    if not args.no_forecast:
        start = time.perf_counter()
        provider = pipeline_results_for_year(tables, n_paths=args.n_paths, method=args.method, region="450200")
        cache: dict[int, dict] = {}

        def cached(year: int) -> dict:
            if year not in cache:
                t0 = time.perf_counter()
                cache[year] = provider(year)
                print(f"  pipeline for plan year {year}: {time.perf_counter() - t0:.0f}s", flush=True)
            return cache[year]

        frame, metrics = backtest_warnings(tables, "forecast", years, results_for_year=cached, window=args.window,
                                           region="450200")
        seconds = time.perf_counter() - start
        metrics["seconds"] = round(seconds, 2)
        metrics["method"], metrics["n_paths"] = args.method, args.n_paths
        report["runs"].append(metrics)
        print(f"forecast      with forecast shrink: {_fmt(metrics['shrink'])}; expand: {_fmt(metrics['expand'])}"
              f"  [{seconds:.0f}s]")
        for year in metrics["by_year"]:
            print(f"  {year['plan_year']}: shrink {_fmt(year['shrink'])}; expand {_fmt(year['expand'])}")
        # Timing of one compute_warnings call on the full demo city with real pipeline results.
        last = max(cache)
        start = time.perf_counter()
        warnings = compute_warnings(tables, cache[last], last, "forecast", region="450200")
        report["compute_warnings_seconds"] = round(time.perf_counter() - start, 2)
        report["compute_warnings_rows"] = len(warnings)
        print(f"compute_warnings: {len(warnings)} rows in {report['compute_warnings_seconds']}s")
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=1, default=float), encoding="utf-8")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
