"""Indicators per school x major for one plan year, computed from the contract tables and pipeline results.

Only data a planner has when the plan for ``plan_year`` is made are used: enrolment rows of years before the
plan year (the outcomes of the class graduating in ``plan_year - 1`` are surveyed by the end of that year).
Forecast indicators are read for the *target year*, the year the class admitted in the plan year graduates
(``plan_year + duration_years``), because that is the labour market the plan decides about.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from early_warning.rules import Condition, RuleSet
from features.codes import CodeTree
from features.errors import TalentcastError

DEFAULT_SHORTAGE_THRESHOLD = 1.2
DEFAULT_SURPLUS_THRESHOLD = 0.8
_Z80 = 1.2815515655446004  # standard normal quantile of 0.9 (edges of the central 80% interval)
# Probability indicators: their threshold parameter, the IndicatorContext threshold the pipeline simulated,
# and whether the probability is of the ratio lying above the threshold.
_PROBABILITIES = {"p_shortage": ("above", "shortage_threshold", True),
                  "p_surplus": ("below", "surplus_threshold", False)}


def employment_rates(enrolment: pd.DataFrame, measure: str = "employed") -> pd.Series:
    """Graduate employment rate per enrolment row.

    Args:
        enrolment: contract enrolment rows.
        measure: "employed" -> graduates_employed / graduates; "placement" (毕业去向落实率) ->
            (graduates_employed + graduates_further_study) / graduates. MOE counts the latter from the 2021
            cohort on.

    Returns:
        Rates in [0, 1]; NaN where graduates are 0 or unknown or the outcome is unknown.
    """
    graduates = pd.to_numeric(enrolment.get("graduates"), errors="coerce").astype(float)
    employed = pd.to_numeric(enrolment.get("graduates_employed"), errors="coerce").astype(float)
    if measure == "placement":
        further = pd.to_numeric(enrolment.get("graduates_further_study"), errors="coerce").astype(float)
        employed = employed + further.fillna(0.0)
    rate = employed / graduates.where(graduates > 0)
    return rate.clip(upper=1.0)


def keyed(frame: pd.DataFrame, *text_columns: str) -> pd.DataFrame:
    """A copy of ``frame`` with ``text_columns`` as text and ``year`` as int (the keys everything joins on)."""
    out = frame.copy()
    for column in text_columns:
        out[column] = out[column].astype(str)
    out["year"] = out["year"].astype(int)
    return out


def local_retention(enrolment: pd.DataFrame) -> pd.Series:
    """graduates_local / graduates_employed per enrolment row (NaN when nobody was employed or unknown)."""
    employed = pd.to_numeric(enrolment.get("graduates_employed"), errors="coerce").astype(float)
    local = pd.to_numeric(enrolment.get("graduates_local"), errors="coerce").astype(float)
    return (local / employed.where(employed > 0)).clip(upper=1.0)


def consecutive_years_below(years: np.ndarray, rates: np.ndarray, threshold: float) -> int:
    """Number of consecutive years, ending at the latest year with a rate, whose rate is below ``threshold``.

    A year without a known rate ends the run (the policy counts *consecutive* surveyed years). Exactly the
    threshold is not below it (60.0% is not "below 60%").
    """
    known = ~np.isnan(rates)
    years, rates = years[known], rates[known]
    count = 0
    for i in range(len(years) - 1, -1, -1):
        if rates[i] >= threshold:
            break
        if i < len(years) - 1 and years[i] != years[i + 1] - 1:
            break
        count += 1
    return count


def probability_beyond(median: float, lo_80: float, hi_80: float, x: float, above: bool) -> float:
    """P(ratio > x) (or < x) from a median and central 80% interval, assuming a log-normal ratio.

    Used only when a rule asks for a threshold other than the one the pipeline simulated; the pipeline's own
    ``p_shortage`` / ``p_surplus`` (from sample paths) are used whenever the threshold matches.
    """
    from scipy.stats import norm  # third-party and slow to import (~1.5 s); only custom thresholds need it

    if not (median > 0 and lo_80 > 0 and hi_80 > 0) or any(map(math.isnan, (median, lo_80, hi_80))):
        return float("nan")
    sigma = (math.log(hi_80) - math.log(lo_80)) / (2 * _Z80)
    if sigma <= 0:
        p = 1.0 if median > x else 0.0
        return p if above else 1.0 - p if median != x else 0.0
    z = (math.log(x) - math.log(median)) / sigma
    return float(norm.sf(z) if above else norm.cdf(z))


# Rates are clipped to [1%, 99%] before taking logits, so that a class with 0% or 100% has a finite level.
_RATE_CLIP = (0.01, 0.99)
# Spread of a class's yearly employment logit around its level when the region has too little history to
# estimate it (fewer than _MIN_CLASSES_FOR_SD classes with two known years): about the demo's and typical survey
# spread; only the Brier score, not the ranking, depends on it.
DEFAULT_OUTCOME_SD = 0.5
_MIN_CLASSES_FOR_SD = 5
# Never below the sampling noise of a class of about 100 graduates (logit sd ~ 1 / sqrt(n p (1 - p)) ~ 0.2-0.3):
# identical past rates do not make the next class certain.
MIN_OUTCOME_SD = 0.2


def logit(rate: np.ndarray | float) -> np.ndarray:
    clipped = np.clip(np.asarray(rate, dtype=float), *_RATE_CLIP)
    return np.log(clipped / (1 - clipped))


def history_logit(rates: np.ndarray, years: int) -> float:
    """The class's smoothed outcome level: mean logit of its last ``years`` known rates (NaN without any).

    A school x major's own level is its persistent school effect plus its major's market; averaging the last
    few years removes most of the yearly noise that makes the last rate alone a worse predictor.
    """
    known = np.asarray(rates, dtype=float)
    known = known[~np.isnan(known)][-years:]
    return float(logit(known).mean()) if len(known) else float("nan")


def outcome_sd(histories: list[np.ndarray], years: int) -> float:
    """Spread of a future year's employment logit around a class's ``years``-year mean, pooled over classes.

    Within-class variance of the logits (classes with >= 2 known rates, each class's own mean removed), times
    (1 + 1/years) for the uncertainty of the mean itself. Only history known at planning time is used.
    """
    squares, dof, classes = 0.0, 0, 0
    for rates in histories:
        known = logit(np.asarray(rates, dtype=float)[~np.isnan(np.asarray(rates, dtype=float))])
        if len(known) >= 2:
            squares += float(((known - known.mean()) ** 2).sum())
            dof += len(known) - 1
            classes += 1
    if classes < _MIN_CLASSES_FOR_SD:
        return DEFAULT_OUTCOME_SD
    return max(float(np.sqrt(squares / dof * (1 + 1 / years))), MIN_OUTCOME_SD)


def p_bad_outcome(level: np.ndarray, net_surplus: np.ndarray, weight: float, sd: float,
                  bad_below: float) -> np.ndarray:
    """P(the affected cohort's rate < bad_below) from the smoothed history and the forecast pressure.

    Args:
        level: history_logit of each class.
        net_surplus: P(surplus) - P(shortage) of the class's graduation year (NaN = no forecast: no shift).
        weight: logit points the expected rate falls per unit of net surplus (RuleSet.outcome_risk).
        sd: outcome_sd of the region.
        bad_below: the bar (0.6 = "below 60%").

    Returns:
        Probabilities (NaN where the class has no known rate).
    """
    shift = weight * np.nan_to_num(np.asarray(net_surplus, dtype=float), nan=0.0)
    z = (float(logit(bad_below)) - (np.asarray(level, dtype=float) - shift)) / sd
    return np.array([0.5 * math.erfc(-v / math.sqrt(2)) if not math.isnan(v) else float("nan") for v in z])


@dataclass
class IndicatorContext:
    """What the evaluation needs besides the indicator columns (regions: the code tree of the regions table)."""

    plan_year: int
    latest_intake_year: int
    shortage_threshold: float
    surplus_threshold: float
    notes: list[str]
    regions: CodeTree = field(default_factory=CodeTree)
    history_years: int = 3
    pressure_weight: float = 0.0


def compute_indicators(tables: dict[str, pd.DataFrame], results: dict[str, pd.DataFrame], plan_year: int,
                       rule_set: RuleSet, region: str | None = None) -> tuple[pd.DataFrame, IndicatorContext]:
    """One row per school x major currently offered, with every indicator the rule set uses.

    Args:
        tables: contract input tables; needs enrolment, schools, majors (regions optional).
        results: pipeline results; major_pressure and gaps are used when present.
        plan_year: the admission year being planned.
        rule_set: decides which indicator columns are computed (one per distinct condition key).
        region: keep schools in this region (or its descendants); None = all.

    Returns:
        (frame, context). Frame columns: region, school, major, duration_years, target_year, current_intake,
        last_nonzero_intake, outcome_year, graduates_employed_last, rate_history (dict year -> rate of the rule
        set's measure), pressure_year, pressure_median, p_shortage, p_surplus, and one column per condition key.
    """
    for name in ("enrolment", "schools", "majors"):
        if name not in tables or tables[name] is None:
            raise TalentcastError(f"early warning needs the '{name}' table; ingest it first",
                                  f"专业预警需要“{name}”表；请先导入")
    enrolment = keyed(tables["enrolment"], "school", "major")
    schools = tables["schools"].copy()
    majors = tables["majors"].copy()
    regions = CodeTree.from_table(tables.get("regions"))
    schools["code"] = schools["code"].astype(str)
    schools["region"] = schools["region"].astype(str)
    if region is not None:
        schools = schools[regions.members(schools["region"], str(region))]
    enrolment = enrolment[enrolment["school"].isin(schools["code"]) & (enrolment["year"] < plan_year)]
    columns = ["region", "school", "major", "duration_years", "target_year", "current_intake",
               "last_nonzero_intake", "outcome_year", "graduates_employed_last", "rate_history",
               "pressure_year", "pressure_median", "p_shortage", "p_surplus", "assumption_share"]
    notes: list[str] = []
    if enrolment.empty:
        raise TalentcastError(
            f"no enrolment rows before plan year {plan_year}" + (f" for region {region}" if region else "")
            + "; warnings need at least one year of intake",
            (f"地区 {region} " if region else "") + f"在规划年份 {plan_year} 之前没有招生数据；预警至少需要一年的招生")
    latest = int(enrolment["year"].max())
    enrolment = enrolment.sort_values(["school", "major", "year"], kind="mergesort").reset_index(drop=True)
    enrolment["intake"] = pd.to_numeric(enrolment["intake"], errors="coerce").fillna(0).astype(int)
    for measure in ("employed", "placement"):
        enrolment[f"rate_{measure}"] = employment_rates(enrolment, measure)
    enrolment["retention"] = local_retention(enrolment)

    # A class is "currently offered" when it admitted students in the latest year or the one before (a major
    # enrolling every other year is still offered).
    recent = enrolment[enrolment["year"] >= latest - 1]
    offered = recent.groupby(["school", "major"], sort=True)["intake"].sum()
    offered = offered[offered > 0].index
    school_region = dict(zip(schools["code"], schools["region"]))
    duration = dict(zip(majors["code"].astype(str), pd.to_numeric(majors["duration_years"]).astype(int)))

    rows = []
    # Each class's rows by position in column arrays (enrolment is sorted by school, major, year): a pandas
    # selection per class and column made this loop most of a province's warning time (6,000 classes).
    positions = enrolment.groupby(["school", "major"], sort=True).indices
    year_of, intake_of = enrolment["year"].to_numpy(), enrolment["intake"].to_numpy()
    rate_of = {m: enrolment[f"rate_{m}"].to_numpy(dtype=float) for m in ("employed", "placement")}
    graduates_of = pd.to_numeric(enrolment.get("graduates"), errors="coerce").to_numpy(dtype=float)
    employed_of = enrolment["graduates_employed"].to_numpy(dtype=object)
    retention_of = enrolment["retention"].to_numpy(dtype=float)
    for school, major in offered:
        g = positions[(school, major)]
        years, intake = year_of[g], intake_of[g]
        rates = {m: rate_of[m][g] for m in ("employed", "placement")}
        intake_latest = intake[years == latest]
        nonzero = intake[intake > 0]
        known = np.flatnonzero(~np.isnan(rates[rule_set.employment_measure]))
        d = duration.get(major)
        if d is None:
            raise TalentcastError(f"enrolment: major {major!r} of school {school!r} is not in the majors table",
                                  f"enrolment：学校 {school!r} 的专业 {major!r} 不在专业表中")
        rows.append({
            "region": school_region[school], "school": school, "major": major, "duration_years": d,
            "target_year": plan_year + d,
            # A class without a row for the latest year (a school reporting late) keeps its last known intake;
            # an explicit 0 is a pause (e.g. alternate-year enrolment).
            "current_intake": int(intake_latest[0]) if len(intake_latest) else int(intake[-1]),
            "last_nonzero_intake": int(nonzero[-1]) if len(nonzero) else 0,
            "outcome_year": int(years[known[-1]]) if len(known) else np.nan,
            "graduates_employed_last": (float(employed_of[g[known[-1]]]) if len(known) else np.nan),
            "rate_history": {int(y): round(float(r), 4) for y, r in
                             zip(years[known], rates[rule_set.employment_measure][known])},
            "_years": years,
            "_rates": rates,
            "_intake": intake.astype(float),
            "_graduates": graduates_of[g],
            "_retention": retention_of[g],
        })
    frame = pd.DataFrame(rows)
    if frame.empty:
        raise TalentcastError(f"no major had intake in {latest - 1}-{latest}; nothing to warn about",
                              f"{latest - 1}-{latest} 年没有任何专业招生；没有可预警的专业")

    shortage_threshold, surplus_threshold = DEFAULT_SHORTAGE_THRESHOLD, DEFAULT_SURPLUS_THRESHOLD
    gaps = results.get("gaps") if results else None
    if gaps is not None and len(gaps):
        if "shortage_threshold" in gaps:
            shortage_threshold = float(gaps["shortage_threshold"].dropna().iloc[0])
        if "surplus_threshold" in gaps:
            surplus_threshold = float(gaps["surplus_threshold"].dropna().iloc[0])
    pressure = results.get("major_pressure") if results else None
    _attach_pressure(frame, pressure, regions, offset=None)
    if pressure is None or not len(pressure):
        notes.append("no major_pressure results: forecast conditions are not met (no forecast)")

    ctx = IndicatorContext(plan_year=plan_year, latest_intake_year=latest, shortage_threshold=shortage_threshold,
                           surplus_threshold=surplus_threshold, notes=notes, regions=regions,
                           history_years=int(rule_set.outcome_risk.history_years),
                           pressure_weight=float(rule_set.outcome_risk.pressure_weight))
    # The smoothed outcome level and the region's spread, in the set's measure (evidence of p_bad_outcome).
    own = [r[rule_set.employment_measure] for r in frame["_rates"]]
    frame["history_rate"] = [1 / (1 + math.exp(-v)) if not math.isnan(v) else np.nan
                             for v in (history_logit(r, ctx.history_years) for r in own)]
    frame["outcome_sd"] = outcome_sd(own, ctx.history_years)
    for cond in rule_set.conditions():
        frame[cond.key] = _indicator_column(frame, cond, ctx, pressure)
    return frame, ctx


def _attach_pressure(frame: pd.DataFrame, pressure: pd.DataFrame | None, regions: CodeTree,
                     offset: int | None) -> None:
    """Add pressure_year / pressure_median / p_shortage / p_surplus (+ lo/hi 80) for each row's target year, and
    why the pressure is missing: pressure_reason (the major_pressure row's not_rated_reason; "no_forecast" when
    there is no row for the major) with pressure_note_zh / pressure_note_en (the row's rating notes)."""
    cols = ["pressure_year", "pressure_median", "pressure_lo_80", "pressure_hi_80", "p_shortage", "p_surplus",
            "assumption_share", "current_ratio"]
    texts = ["pressure_reason", "pressure_note_zh", "pressure_note_en", "conditions_check"]
    sources = {"pressure_reason": "not_rated_reason", "pressure_note_zh": "rating_note_zh",
               "pressure_note_en": "rating_note_en", "conditions_check": "conditions_check"}
    values = {c: [] for c in cols + texts}
    # (region, major) -> positions of its rows in year order, and the columns as arrays: a pandas row lookup per
    # class was a quarter of a province's warning time.
    lookup: dict[tuple[str, str], np.ndarray] = {}
    column: dict[str, np.ndarray] = {}
    if pressure is not None and len(pressure):
        p = keyed(pressure, "region", "major").reset_index(drop=True)
        year_of = p["year"].to_numpy()
        lookup = {k: g[np.argsort(year_of[g], kind="stable")]
                  for k, g in p.groupby(["region", "major"], sort=True).indices.items()}
        column = {c: p[c].to_numpy(dtype=object) for c in p.columns}
    for region, major, target_year, duration in zip(frame["region"], frame["major"], frame["target_year"],
                                                    frame["duration_years"]):
        target = int(target_year)
        if offset is not None:  # years after the plan year instead of the graduation year
            target = int(target_year - duration + offset)
        hit = None
        for code in regions.ancestors(str(region)):
            if (code, major) in lookup:
                hit = lookup[(code, major)]
                break
        if hit is None:
            for c in cols:
                values[c].append(np.nan)
            values["pressure_reason"].append("no_forecast")
            values["pressure_note_zh"].append(None)
            values["pressure_note_en"].append(None)
            values["conditions_check"].append(None)
            continue
        # Beyond the forecast horizon, the last forecast year is the best available view of the market.
        hit_years = year_of[hit]
        year = int(min(max(target, hit_years.min()), hit_years.max()))
        rec = hit[hit_years == year][0]
        values["pressure_year"].append(year)
        for c in cols[1:]:
            values[c].append(float(column[c][rec]) if c in column and pd.notna(column[c][rec]) else np.nan)
        known = pd.notna(values["pressure_median"][-1])
        for c in texts:
            text = column[sources[c]][rec] if sources[c] in column and (c == "conditions_check") == known else None
            values[c].append(text if isinstance(text, str) and text else None)
        if not known and values["pressure_reason"][-1] is None:
            values["pressure_reason"][-1] = "no_forecast"  # results stored before the reason column existed
    for c in cols + texts:
        frame[c] = values[c]


def _indicator_column(frame: pd.DataFrame, cond: Condition, ctx: IndicatorContext,
                      pressure: pd.DataFrame | None) -> pd.Series:
    name = cond.indicator
    measure = cond.param("measure", "employed")
    if name == "employment_rate":
        lag = cond.param("lag", 0)
        return frame.apply(lambda r: _nth_latest(r["_rates"][measure], lag), axis=1).astype(float)
    if name == "years_below":
        thr = cond.param("threshold")
        return frame.apply(lambda r: consecutive_years_below(r["_years"], r["_rates"][measure], thr),
                           axis=1).astype(float)
    if name == "graduates":
        lag = cond.param("lag", 0)
        return frame.apply(lambda r: _nth_latest(r["_graduates"], lag), axis=1).astype(float)
    if name == "local_retention":
        return frame.apply(lambda r: _nth_latest(r["_retention"], 0), axis=1).astype(float)
    if name == "intake":
        return frame["current_intake"].astype(float)
    if name == "intake_trend":
        n = cond.param("years", 3)
        return frame.apply(lambda r: _relative_slope(r["_years"], r["_intake"], ctx.latest_intake_year, n),
                           axis=1).astype(float)
    if name == "schools_offering":
        offering = frame[frame["current_intake"] > 0].groupby(["region", "major"], sort=True)["school"].nunique()
        return frame.apply(lambda r: float(offering.get((r["region"], r["major"]), 0)), axis=1)
    if name == "rank_percentile":
        return _rank_percentile(frame, measure)
    if name == "p_bad_outcome":
        rates = list(frame["_rates"].map(lambda r: r[measure]))
        level = np.array([history_logit(r, ctx.history_years) for r in rates])
        net = frame["p_surplus"].astype(float).to_numpy() - frame["p_shortage"].astype(float).to_numpy()
        return pd.Series(p_bad_outcome(level, net, ctx.pressure_weight, outcome_sd(rates, ctx.history_years),
                                       cond.param("bad_below", 0.6)), index=frame.index)
    if name in ("pressure", "p_shortage", "p_surplus"):
        offset = cond.param("year_offset")
        sub = frame
        if offset is not None:
            sub = frame[["region", "major", "target_year", "duration_years"]].copy()
            _attach_pressure(sub, pressure, ctx.regions, offset=offset)
        if name == "pressure":
            return sub["pressure_median"].astype(float)
        param, pipeline_threshold, above = _PROBABILITIES[name]
        x = cond.param(param)
        if x is None or abs(x - getattr(ctx, pipeline_threshold)) < 1e-9:
            return sub[name].astype(float)
        return sub.apply(lambda r: probability_beyond(r["pressure_median"], r["pressure_lo_80"], r["pressure_hi_80"],
                                                      x, above=above), axis=1).astype(float)
    raise AssertionError(f"indicator {name} has no implementation")  # the validator only admits known ones


def _nth_latest(values: np.ndarray, lag: int) -> float:
    known = values[~np.isnan(values)]
    return float(known[-1 - lag]) if len(known) > lag else float("nan")


def _relative_slope(years: np.ndarray, intake: np.ndarray, latest: int, n: int) -> float:
    """Least-squares slope of intake over the last ``n`` years divided by their mean (relative change a year)."""
    mask = years > latest - n
    if mask.sum() < 2:
        return float("nan")
    y, x = intake[mask], years[mask].astype(float)
    mean = y.mean()
    if mean <= 0:
        return float("nan")
    slope = np.polyfit(x, y, 1)[0]
    return float(max(slope / mean, -1.0))


def _rank_percentile(frame: pd.DataFrame, measure: str) -> pd.Series:
    """Percentile rank (0 = lowest, 1 = highest) of each major's pooled rate among the region's majors.

    The pooled rate of a major is the mean of its schools' latest rates weighted equally per school, so that a
    large school does not hide a small one's outcome; ties share the average rank.
    """
    latest = frame.apply(lambda r: _nth_latest(r["_rates"][measure], 0), axis=1)
    per_major = pd.DataFrame({"region": frame["region"], "major": frame["major"], "rate": latest})
    per_major = per_major.dropna().groupby(["region", "major"], sort=True)["rate"].mean().reset_index()

    def pct(s: pd.Series) -> pd.Series:
        if len(s) == 1:
            return pd.Series(0.5, index=s.index)
        return (s.rank(method="average") - 1) / (len(s) - 1)

    per_major["pct"] = per_major.groupby("region", sort=True)["rate"].transform(pct)
    lookup = {(r, m): p for r, m, p in zip(per_major["region"], per_major["major"], per_major["pct"])}
    return frame.apply(lambda r: lookup.get((r["region"], r["major"]), np.nan), axis=1).astype(float)
