"""compute_warnings: indicators -> rules -> joint allocation -> explanations, for one plan year."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from early_warning.allocation import allocate
from early_warning.evaluate import evaluate_rules
from early_warning.explain import explain
from early_warning.indicators import compute_indicators
from early_warning.rules import ACTION_ZH, LEVEL_ZH, NOT_RATED, RuleSet, load_rule_set, rule_set_for_region
from features.results import RESULT_SCHEMAS
from features.codes import CodeTree
from features.errors import TalentcastError
from features.jsonsafe import to_jsonable
from forecasting.coverage import pressure_note
from forecasting.supply import RATES, estimate_rates, graduate_entrants, supply_units

# Columns of a warning, from the results contract (features/results.py): typed ones, then those kept in `extra`.
WARNING_COLUMNS = [c.name for c in RESULT_SCHEMAS["warnings"].columns if not c.extra]
EXTRA_COLUMNS = [c.name for c in RESULT_SCHEMAS["warnings"].columns if c.extra]
# Expand / shrink recommendations of a rule marked watch_list (itself or through its rule set: what it rests on has
# not beaten the last-rate baseline in the affected-cohort backtest) are labelled so in the explanation and
# evidence, which every output carries.
WATCH_LIST_ACTIONS = ("expand", "shrink")
WATCH_LIST_ZH = "【观察名单，非决定：此建议所依据的信号在回测中尚未优于“上年就业率”基准】"
WATCH_LIST_EN = ("[WATCH LIST, not a decision: the signal this recommendation rests on has not beaten the "
                 "last-rate baseline in backtests]")
DEFAULT_YIELD = 0.92 * 0.85 * 0.55  # the supply model's documented default rates multiplied out (job seekers)


def supply_yields(enrolment: pd.DataFrame, majors: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """Graduate entrants (local job seekers) per admitted student for each school x major.

    yield = supply.graduate_entrants(1 admitted student, the unit's rates): the chain the supply model
    (forecasting.supply) multiplies an intake by to get local graduate entrants.

    Returns:
        Frame school, major, yield_per_place.
    """
    units = supply_units(enrolment, majors, schools)
    rates = estimate_rates(enrolment, units)
    _, value = graduate_entrants(1.0, {name: rates[name].to_numpy(dtype=float) for name in RATES})
    return pd.DataFrame({"school": rates["school"].astype(str), "major": rates["major"].astype(str),
                         "yield_per_place": np.asarray(value, dtype=float)})


def compute_warnings(tables: dict[str, pd.DataFrame], results: dict[str, pd.DataFrame] | None,
                     plan_year: int | None, rule_set: str | Path | RuleSet | None = "forecast",
                     min_class_size: int = 20, region: str | None = None) -> pd.DataFrame:
    """Warnings per school x major for the next plan year.

    Args:
        tables: contract input tables (enrolment, schools, majors, major_sector_map; regions optional).
        results: pipeline results (gaps, major_pressure used; may be empty, then forecast rules cannot fire).
        plan_year: admission year being planned; only enrolment rows of earlier years are used. None -> the
            year after the latest enrolment year.
        rule_set: built-in name, YAML path, a RuleSet, or None for the region's default
            (:func:`rule_set_for_region`; with region None, each school region gets its own default).
        min_class_size: smallest viable class (0 disables it).
        region: restrict to schools in this region (and its descendants).

    Returns:
        DataFrame with the warnings columns of docs/INTERFACES.md plus level_zh, action_zh, target_year,
        allocation_note; sorted by region, school, major.

    Raises:
        TalentcastError: a needed table is missing, the rule set is invalid, or there is nothing to warn about.
    """
    if "enrolment" not in tables or tables["enrolment"] is None:
        raise TalentcastError("early warning needs the 'enrolment' table; ingest it first",
                              "专业预警需要招生表 enrolment；请先导入")
    if plan_year is None:
        # The next admission season after the latest recorded intake.
        plan_year = int(pd.to_numeric(tables["enrolment"]["year"]).max()) + 1
    if isinstance(plan_year, bool) or not isinstance(plan_year, (int, np.integer, float)) or \
            int(plan_year) != plan_year:
        raise TalentcastError(f"plan year must be a whole year, got {plan_year!r}",
                              f"规划年份必须是整数年份，实际为 {plan_year!r}")
    plan_year = int(plan_year)
    if min_class_size < 0:
        raise TalentcastError(f"min_class_size must be >= 0, got {min_class_size}",
                              f"min_class_size 不能小于 0，实际为 {min_class_size}")
    results = results or {}
    regions = CodeTree.from_table(tables.get("regions"))
    if rule_set is None and region is None and "schools" in tables:
        # Each region gets its own default rule set (e.g. Sichuan's schools the sichuan set).
        by_set: dict[str, list[str]] = {}
        for code in sorted(set(tables["schools"]["region"].astype(str))):
            by_set.setdefault(rule_set_for_region(code, regions), []).append(code)
        if len(by_set) > 1:
            parts = []
            for name, codes in sorted(by_set.items()):
                subset = dict(tables)
                subset["schools"] = tables["schools"][tables["schools"]["region"].astype(str).isin(codes)]
                try:
                    parts.append(compute_warnings(subset, results, plan_year, name, min_class_size))
                except TalentcastError:
                    continue  # a region without current classes has nothing to warn about
            if not parts:
                raise TalentcastError("no school x major to warn about", "没有可预警的学校 × 专业")
            return (pd.concat(parts, ignore_index=True)
                    .sort_values(["region", "school", "major"], kind="mergesort").reset_index(drop=True))
        if by_set:
            rule_set = next(iter(by_set))
    rs = load_rule_set(rule_set if rule_set is not None else rule_set_for_region(region, regions))
    frame, ctx = compute_indicators(tables, results, plan_year, rs, region=region)
    decided = evaluate_rules(frame, rs)

    # Yields only matter when places are added or a regional cut is shared; estimating them is the slowest
    # step, so it is skipped when no row needs it.
    cur, prop = decided["current_intake"], decided["proposed_intake"]
    small = (prop > 0) & (prop < min_class_size) & decided["action"].isin(["expand", "hold"])
    if ((prop > cur) | decided["shared_cut"] | small).any():
        enrolment = tables["enrolment"]
        history = enrolment[enrolment["year"].astype(int) < plan_year]
        yields = supply_yields(history, tables["majors"], tables["schools"])
        decided = decided.merge(yields, on=["school", "major"], how="left")
        regional = decided.groupby("region")["yield_per_place"].transform("mean")
        decided["yield_per_place"] = decided["yield_per_place"].fillna(regional).fillna(DEFAULT_YIELD)
    else:
        decided["yield_per_place"] = np.nan

    gaps = results.get("gaps")
    gap_regions = set(gaps["region"].astype(str)) if gaps is not None and len(gaps) else set()

    def gap_region(code: str) -> str:
        return next((c for c in ctx.regions.ancestors(code) if c in gap_regions), code)

    decided["gap_region"] = decided["region"].astype(str).map(gap_region)
    weights = tables.get("major_sector_map")
    if weights is None:
        weights = pd.DataFrame(columns=["major", "sector", "weight"])
    allocated = allocate(decided, weights, gaps if gaps is not None else pd.DataFrame(),
                         min_class_size=min_class_size, max_change=rs.max_change)

    names = _names(tables)
    records = []
    evidence_keys = [c.key for c in rs.conditions()]
    uses_risk = any(c.indicator == "p_bad_outcome" for c in rs.conditions())
    mapped = set(weights["major"].astype(str)) if len(weights) else None
    for _, row in allocated.sort_values(["region", "school", "major"], kind="mergesort").iterrows():
        r = row.to_dict()
        if r["level"] != NOT_RATED:
            r["not_rated_reason"] = None
        elif r["not_rated_reason"] == "no_forecast" and mapped is not None and str(r["major"]) not in mapped:
            # No pressure row (e.g. results stored before every major got one): the crosswalk says why.
            r["not_rated_reason"] = "no_crosswalk"
            r["pressure_note_zh"], r["pressure_note_en"] = pressure_note("no_crosswalk", str(r["major"]),
                                                                         str(r["region"]), [], [], 0, {}, {})
        r["plan_year"] = plan_year
        r["_shortage_threshold"] = ctx.shortage_threshold
        r["_surplus_threshold"] = ctx.surplus_threshold
        r["_measure"] = rs.employment_measure  # rate_history is in this measure
        r["latest_intake_year"] = ctx.latest_intake_year
        r.update(names.get(("school", r["school"]), {}))
        r.update(names.get(("major", r["major"]), {}))
        zh, en = explain(r, rs, min_class_size)
        watch = bool(_on_watch_list(rs, r.get("decided_by")) and r["action"] in WATCH_LIST_ACTIONS)
        if watch:
            # What the deciding rule rests on has not beaten "last year's rate" on the cohorts plans affect: a
            # watch list, not a decision (README "Trustworthy gaps and warnings (#13)").
            zh, en = WATCH_LIST_ZH + zh, WATCH_LIST_EN + " " + en
        evidence = {"measure": rs.employment_measure, "current_intake": int(r["current_intake"]),
                    "latest_intake_year": ctx.latest_intake_year, "outcome_year": r["outcome_year"],
                    "target_year": int(r["target_year"])}
        evidence.update({f"employment_rate_{year}": r["rate_history"][year] for year in sorted(r["rate_history"])[-3:]})
        if uses_risk:  # what p_bad_outcome is made of: the smoothed rate and the region's spread
            evidence.update({"history_rate": r.get("history_rate"), "outcome_sd": r.get("outcome_sd")})
        evidence.update({key: r.get(key) for key in ("pressure_year", "pressure_median", "p_shortage", "p_surplus",
                                                     "assumption_share", "current_ratio", "conditions_check",
                                                     "yield_per_place",
                                                     "graduates_employed_last")})
        evidence.update({key: r[key] for key in evidence_keys})
        if r["not_rated_reason"]:
            evidence["not_rated_reason"] = r["not_rated_reason"]
        if watch:
            evidence["watch_list"] = True
        if r["extra_entrants"]:
            evidence["extra_entrants_by_sector"] = r["extra_entrants"]
        evidence = to_jsonable(evidence, digits=4)
        records.append({
            "region": str(r["region"]), "school": str(r["school"]), "major": str(r["major"]),
            "plan_year": plan_year, "rule_set": rs.name, "level": r["level"], "action": r["action"],
            "current_intake": int(r["current_intake"]), "recommended_intake": int(r["recommended_intake"]),
            "rules_fired": list(r["rules_fired"]), "evidence": evidence, "explanation_zh": zh,
            "explanation_en": en, "level_zh": LEVEL_ZH[r["level"]], "action_zh": ACTION_ZH[r["action"]],
            "target_year": int(r["target_year"]), "allocation_note": r["allocation_note"],
            "not_rated_reason": r["not_rated_reason"],
        })
    out = pd.DataFrame(records, columns=WARNING_COLUMNS + EXTRA_COLUMNS)
    if not len(out):
        raise TalentcastError("no school x major to warn about", "没有可预警的学校 × 专业")
    return out.reset_index(drop=True)


def _on_watch_list(rule_set: RuleSet, decided_by: str | None) -> bool:
    """The deciding rule's own watch_list when it states one, else its rule set's (min-class-size: the set's)."""
    rule = next((rule for rule in rule_set.rules if rule.name == decided_by), None)
    return rule_set.watch_list if rule is None or rule.watch_list is None else rule.watch_list


def _names(tables: dict[str, pd.DataFrame]) -> dict[tuple[str, str], dict[str, str]]:
    """{("school" | "major", code): {<kind>_name, <kind>_name_en}}; the English name falls back to the Chinese."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for kind, table, name_column in (("school", "schools", "name"), ("major", "majors", "name_zh")):
        frame = tables.get(table)
        if frame is None:
            continue
        for _, row in frame.iterrows():
            en = row.get("name_en")
            out[(kind, str(row["code"]))] = {f"{kind}_name": row[name_column],
                                             f"{kind}_name_en": en if isinstance(en, str) and en else row[name_column]}
    return out
