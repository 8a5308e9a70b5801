"""Evaluate a rule set on the indicator frame: which rules fire, which one decides, the proposed intake."""

from __future__ import annotations

import math
import operator

import numpy as np
import pandas as pd

from early_warning.rules import NOT_RATED, Rule, RuleSet

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}


def rule_mask(frame: pd.DataFrame, rule: Rule) -> pd.Series:
    """True where every condition of ``rule`` holds. A missing indicator value (NaN) never satisfies a
    condition: without the evidence the rule cannot fire."""
    mask = pd.Series(True, index=frame.index)
    for cond in rule.conditions:
        values = frame[cond.key].astype(float)
        # Rates are stored to 4 decimals in evidence; compare on the same rounding so that a rate that shows as
        # exactly 60.00% is treated as exactly 60% (not below it through float noise such as 0.59999999).
        values = values.round(9)
        mask &= values.notna() & _OPS[cond.op](values, cond.value)
    return mask


def proposed_intake(adjustment_type: str, value: float, current: int, employed_last: float,
                    last_nonzero: int, max_change: float) -> int:
    """Intake a rule proposes before joint allocation (always a whole number >= 0).

    Rounding keeps the change within the bound: an increase is rounded down, a cut is rounded up.
    """
    if adjustment_type == "none":
        return current
    if adjustment_type == "suspend":
        return 0
    if adjustment_type == "percent":
        raw = current * (1.0 + value)
        return int(math.floor(raw + 1e-9)) if value > 0 else max(int(math.ceil(raw - 1e-9)), 0)
    floor_bound = int(math.ceil(current * (1.0 - max_change) - 1e-9))
    if adjustment_type == "cap_employed":
        if np.isnan(employed_last):
            return current
        return max(min(current, int(employed_last)), floor_bound, 0)
    if adjustment_type == "alternate_years":
        # Enrol every other year: a class that admitted students last year pauses; after a pause it resumes,
        # no larger than last year's employed graduates (the Tianjin < 60% cap still applies).
        if current > 0:
            return 0
        cap = last_nonzero if np.isnan(employed_last) else min(last_nonzero, int(employed_last))
        return max(int(cap), 0)
    raise AssertionError(adjustment_type)


def evaluate_rules(frame: pd.DataFrame, rule_set: RuleSet) -> pd.DataFrame:
    """Apply the decision table (first hit decides; all hits are reported).

    Args:
        frame: indicator frame from :func:`compute_indicators`.
        rule_set: validated rule set.

    When no rule fires, the class is green ("no warning") only if the evidence the rule set judges on is there
    (RuleSet.evidence: the major's forecast pressure for a set that reads the forecast, a known employment rate
    for an outcome-only set); otherwise it is "not_rated" with action hold and the current intake, and
    not_rated_reason says why (the pressure's reason, e.g. no_crosswalk, or "no_outcomes").

    Returns:
        A copy of ``frame`` with: rules_fired (list of names, file order), decided_by (rule name or ""),
        level, action, adjustment_type, proposed_intake, shared_cut (a shrink decided by a rule about the
        region's market only, to be shared across schools), not_rated_reason (None unless not rated).
    """
    out = frame.copy()
    masks = {rule.name: rule_mask(out, rule) for rule in rule_set.rules}
    fired = [[name for name in masks if masks[name].iloc[i]] for i in range(len(out))]
    out["rules_fired"] = fired
    by_name = {rule.name: rule for rule in rule_set.rules}
    basis = rule_set.evidence

    def unsupported(row: pd.Series) -> str | None:
        """Why a green default would rest on nothing (None when it is supported)."""
        if basis == "demand" and pd.isna(row.get("pressure_median", np.nan)):
            reason = row.get("pressure_reason")
            return reason if isinstance(reason, str) and reason else "no_forecast"
        if basis == "outcomes" and not row.get("rate_history"):
            return "no_outcomes"
        return None

    def decide(names: list[str], row: pd.Series) -> tuple:
        current = int(row["current_intake"])
        if not names:
            reason = unsupported(row)
            if reason is not None:
                return "", NOT_RATED, "hold", "none", current, False, reason
            return "", "green", "hold", "none", current, False, None
        rule = by_name[names[0]]
        kind = rule.adjustment.type
        return (rule.name, rule.level, rule.action, kind,
                proposed_intake(kind, rule.adjustment.value, current, float(row["graduates_employed_last"]),
                                int(row["last_nonzero_intake"]), rule_set.max_change),
                rule.action == "shrink" and rule.region_scoped and kind == "percent", None)

    decisions = [decide(names, out.iloc[i]) for i, names in enumerate(fired)]
    columns = ("decided_by", "level", "action", "adjustment_type", "proposed_intake", "shared_cut",
               "not_rated_reason")
    for column, values in zip(columns, zip(*decisions) if decisions else [()] * len(columns)):
        out[column] = list(values)
    return out
