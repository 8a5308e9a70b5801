"""Evaluate a rule set on the indicator frame: which rules fire, which one decides, the proposed intake."""

from __future__ import annotations

import math
import operator

import numpy as np
import pandas as pd

from early_warning.rules import Rule, RuleSet

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

    Returns:
        A copy of ``frame`` with: rules_fired (list of names, file order), decided_by (rule name or ""),
        level, action, adjustment_type, proposed_intake, shared_cut (a shrink decided by a rule about the
        region's market only, to be shared across schools).
    """
    out = frame.copy()
    masks = {rule.name: rule_mask(out, rule) for rule in rule_set.rules}
    fired = [[name for name in masks if masks[name].iloc[i]] for i in range(len(out))]
    out["rules_fired"] = fired
    by_name = {rule.name: rule for rule in rule_set.rules}

    def decide(names: list[str], row: pd.Series) -> tuple:
        current = int(row["current_intake"])
        if not names:
            return "", "green", "hold", "none", current, False
        rule = by_name[names[0]]
        kind = rule.adjustment.type
        return (rule.name, rule.level, rule.action, kind,
                proposed_intake(kind, rule.adjustment.value, current, float(row["graduates_employed_last"]),
                                int(row["last_nonzero_intake"]), rule_set.max_change),
                rule.action == "shrink" and rule.region_scoped and kind == "percent")

    decisions = [decide(names, out.iloc[i]) for i, names in enumerate(fired)]
    columns = ("decided_by", "level", "action", "adjustment_type", "proposed_intake", "shared_cut")
    for column, values in zip(columns, zip(*decisions) if decisions else [()] * len(columns)):
        out[column] = list(values)
    return out
