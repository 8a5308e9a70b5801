"""Early warning of majors (专业预警): rules as data, joint allocation across schools, explanations, backtest.

Public entry points::

    compute_warnings(tables, results, plan_year, rule_set="forecast", min_class_size=20, region=None)
    load_rule_set(name_or_path) -> RuleSet;  list_rule_sets();  rule_set_for_region(region)
    backtest_warnings(tables, rule_set, years, results_for_year=None, window=2) -> (frame, metrics)

See docs/early-warning.md.
"""

from early_warning.backtest import backtest_warnings
from early_warning.core import WARNING_COLUMNS, compute_warnings
from early_warning.rules import (
    BUILTIN_RULE_SETS,
    INDICATORS,
    LEVEL_ZH,
    LEVELS,
    NOT_RATED,
    REGION_RULE_SETS,
    RuleSet,
    RuleSetError,
    list_rule_sets,
    load_rule_set,
    parse_rule_set,
    rule_set_for_region,
)

__all__ = [
    "BUILTIN_RULE_SETS", "INDICATORS", "LEVELS", "LEVEL_ZH", "NOT_RATED", "REGION_RULE_SETS", "RuleSet",
    "RuleSetError", "WARNING_COLUMNS", "backtest_warnings", "compute_warnings", "list_rule_sets", "load_rule_set",
    "parse_rule_set", "rule_set_for_region",
]
