"""Backtest of warnings on history: would the rules have flagged the majors whose outcomes later went bad?

For each past plan year Y the warnings are computed from what was known then (enrolment rows before Y and,
if a ``results_for_year`` callable is given, forecasts made from data before Y). They are then compared with
the outcomes of the graduating classes of the next ``window`` years (Y .. Y + window - 1) at the same school:

* **shrink warning** (action shrink or suspend) is *right* when the later outcome is bad: at least one of
  those years has an employment rate below the rule set's ``shrink_outcome_below`` (60% unless the set says
  otherwise, 50% for Sichuan).
* **expand warning** is *right* when the later outcome is good: every one of those years has an employment
  rate of at least ``expand_outcome_at_least`` (90%) **and** their mean is not below the last rate known at
  planning time (the rate stays >= 90% and does not fall).

Precision = right warnings / warnings; recall = right warnings / classes with that later outcome. Classes
without any outcome in the window are left out. A naive baseline ("shrink when the latest known rate is below
the threshold"; "expand when the latest known rate is >= 90%") is scored next to the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from early_warning.core import compute_warnings
from early_warning.indicators import employment_rates, keyed
from early_warning.rules import RuleSet, load_rule_set
from features.contract import DEFAULT_SEED
from features.errors import TalentcastError
from forecasting.pipeline import run_pipeline


def _score(flag: pd.Series, truth: pd.Series) -> dict[str, float | int]:
    tp = int((flag & truth).sum())
    fp = int((flag & ~truth).sum())
    fn = int((~flag & truth).sum())
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    return {"warnings": tp + fp, "positives": tp + fn, "true_positives": tp, "precision": precision,
            "recall": recall}


def backtest_warnings(tables: dict[str, pd.DataFrame], rule_set: str | Path | RuleSet, years: Iterable[int],
                      results_for_year: Callable[[int], dict[str, pd.DataFrame]] | None = None, window: int = 2,
                      min_class_size: int = 20, region: str | None = None
                      ) -> tuple[pd.DataFrame, dict[str, object]]:
    """Score the warnings a rule set would have given in past plan years against later outcomes.

    Args:
        tables: contract input tables with enrolment outcomes covering the years and their windows.
        rule_set: built-in name, YAML path or RuleSet.
        years: past plan years to replay.
        results_for_year: optional callable Y -> pipeline results made from data before Y; without it the
            forecast indicators are missing and forecast conditions cannot fire (outcome rules still do).
        window: graduating years after the plan year that define the later outcome.
        min_class_size: as in compute_warnings.
        region: as in compute_warnings.

    Returns:
        (frame, metrics). frame: plan_year, region, school, major, level, action, rules_fired, last_rate,
        later_rates, later_low, later_good, shrink_warning, expand_warning. metrics: rule_set, years, window,
        thresholds, "shrink" and "expand" (warnings, positives, true_positives, precision, recall),
        "baseline_shrink", "baseline_expand" (the naive rule), and "by_year" (list of per-year dicts).
    """
    rs = load_rule_set(rule_set)
    years = sorted({int(y) for y in years})
    if not years:
        raise TalentcastError("backtest needs at least one plan year", "回测至少需要一个规划年份")
    if window < 1:
        raise TalentcastError(f"window must be >= 1, got {window}", f"窗口至少为 1，实际为 {window}")
    enrolment = keyed(tables["enrolment"], "school", "major")
    enrolment["rate"] = employment_rates(enrolment, rs.employment_measure)
    rates = enrolment.dropna(subset=["rate"])
    parts = []
    for year in years:
        results = results_for_year(year) if results_for_year is not None else {}
        try:
            warnings = compute_warnings(tables, results, year, rs, min_class_size=min_class_size, region=region)
        except TalentcastError:
            continue  # no history before this year: nothing would have been warned
        later = rates[(rates["year"] >= year) & (rates["year"] < year + window)]
        before = rates[rates["year"] < year].sort_values("year", kind="mergesort")
        last = before.groupby(["school", "major"], sort=True)["rate"].last().rename("last_rate")
        later_map: dict[tuple[str, str], dict[int, float]] = {}
        for s, m, y, r in zip(later["school"], later["major"], later["year"], later["rate"]):
            later_map.setdefault((s, m), {})[int(y)] = round(float(r), 4)
        later_rates = pd.Series(later_map, name="later_rates", dtype=object)
        if later_rates.empty:
            continue  # no outcome after this plan year yet
        frame = warnings[["plan_year", "region", "school", "major", "level", "action", "rules_fired"]]
        frame = frame.merge(last, left_on=["school", "major"], right_index=True, how="left")
        frame = frame.merge(later_rates, left_on=["school", "major"], right_index=True, how="inner")
        parts.append(frame)
    if not parts:
        raise TalentcastError(f"no plan year in {years} has both history before it and outcomes after it",
                              f"{years} 中没有哪个规划年份既有之前的历史又有之后的结果")
    frame = pd.concat(parts, ignore_index=True)
    values = frame["later_rates"].map(lambda d: np.array(list(d.values()), dtype=float))
    frame["later_low"] = values.map(lambda v: bool((v < rs.shrink_outcome_below).any()))
    frame["later_good"] = [bool((v >= rs.expand_outcome_at_least).all() and (np.isnan(last) or v.mean() >= last))
                           for v, last in zip(values, frame["last_rate"])]
    frame["shrink_warning"] = frame["action"].isin(["shrink", "suspend"])
    frame["expand_warning"] = frame["action"].eq("expand")
    baseline_shrink = frame["last_rate"] < rs.shrink_outcome_below
    baseline_expand = frame["last_rate"] >= rs.expand_outcome_at_least
    metrics: dict[str, object] = {
        "rule_set": rs.name, "years": sorted(frame["plan_year"].unique().tolist()), "window": window,
        "shrink_outcome_below": rs.shrink_outcome_below, "expand_outcome_at_least": rs.expand_outcome_at_least,
        "classes": int(len(frame)),
        "shrink": _score(frame["shrink_warning"], frame["later_low"]),
        "expand": _score(frame["expand_warning"], frame["later_good"]),
        "baseline_shrink": _score(baseline_shrink, frame["later_low"]),
        "baseline_expand": _score(baseline_expand, frame["later_good"]),
        "forecast_used": results_for_year is not None,
        "by_year": [],
    }
    for year, g in frame.groupby("plan_year", sort=True):
        metrics["by_year"].append({"plan_year": int(year), "classes": int(len(g)),
                                   "shrink": _score(g["shrink_warning"], g["later_low"]),
                                   "expand": _score(g["expand_warning"], g["later_good"])})
    return frame.reset_index(drop=True), metrics


def pipeline_results_for_year(tables: dict[str, pd.DataFrame], horizon: int = 6, n_paths: int = 200,
                              seed: int = DEFAULT_SEED, region: str | None = None, **pipeline_kwargs
                              ) -> Callable[[int], dict[str, pd.DataFrame]]:
    """A ``results_for_year`` callable that reruns the pipeline on the data known before each plan year.

    Employment, vacancies and enrolment rows of the plan year and later are removed before forecasting, so
    the forecast indicators are what a planner would have seen. Slow (one pipeline run per year): for
    benchmarks and docs, not for tests.
    """
    def results_for(year: int) -> dict[str, pd.DataFrame]:
        known = {}
        for name, frame in tables.items():
            if not isinstance(frame, pd.DataFrame):
                continue
            if "year" in frame and name in ("employment", "enrolment"):
                frame = frame[frame["year"].astype(int) < year]
            elif name == "vacancies" and "period" in frame:
                frame = frame[frame["period"].astype(str).str[:4].astype(int) < year]
            known[name] = frame
        run = run_pipeline(known, horizon=horizon, n_paths=n_paths, seed=seed, region=region, **pipeline_kwargs)
        return run.results

    return results_for
