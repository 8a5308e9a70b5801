"""Rule sets as data: the indicator catalogue, the YAML loader and its validator.

A rule set is a YAML file of named rules. Each rule has conditions over indicators (all must hold), a level
(red / yellow / green), an action (expand / hold / shrink / suspend) and an adjustment of the intake. Rules are
a decision table with a *first hit* policy: the first rule (in file order) whose conditions hold decides the
level, action and adjustment; every rule that holds is reported in ``rules_fired``.

Everything a user can get wrong in a rule file is refused at load time with a
:class:`RuleSetError` naming the file, the rule, the field and the reason, so that a bad file never produces
silent warnings.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from features.codes import CodeTree
from features.errors import TalentcastError

LEVELS = ("red", "yellow", "green")
ACTIONS = ("expand", "hold", "shrink", "suspend")
LEVEL_ZH = {"red": "红牌", "yellow": "黄牌", "green": "绿牌"}
ACTION_ZH = {"expand": "扩大招生", "hold": "保持规模", "shrink": "调减招生", "suspend": "暂停招生"}
OPERATORS = ("<", "<=", ">", ">=", "==")
EMPLOYMENT_MEASURES = ("employed", "placement")
ADJUSTMENT_TYPES = ("percent", "none", "suspend", "cap_employed", "alternate_years")

# Which province (or city) uses which built-in rule set when none is given. Codes are GB/T 2260; a city
# inherits its province's set through its first two digits.
REGION_RULE_SETS: dict[str, str] = {"510000": "sichuan", "120000": "tianjin-2009"}
DEFAULT_RULE_SET = "forecast"


class RuleSetError(TalentcastError):
    """A rule-set file is unreadable or names an unknown indicator, a bad threshold or an impossible rule."""

    def __init__(self, source: str, reason: str, rule: str | None = None, field_name: str | None = None):
        self.source, self.rule, self.field, self.reason = source, rule, field_name, reason
        where = [source]
        if rule is not None:
            where.append(f"rule '{rule}'")
        if field_name is not None:
            where.append(f"field '{field_name}'")
        super().__init__(f"{', '.join(where)}: {reason}")


@dataclass(frozen=True)
class IndicatorSpec:
    """What an indicator measures, the parameters it takes and the range its values can take.

    Attributes:
        name: indicator name used in rule files.
        kind: "rate" / "probability" / "fraction" (0..1), "count" (integer >= 0), "ratio" (>= 0) or "change"
            (relative change per year, >= -1).
        scope: "school" when the value is the school's own (its graduates' outcomes), "region" when it is the
            same for every school offering the major in the region (forecast pressure, market). Shrink rules
            whose conditions are all region-scoped are shared across schools by the joint allocation.
        params: allowed parameters -> (kind of the parameter value, required?).
        zh / en: phrase templates for explanations; {value} and parameter names are filled in.
    """

    name: str
    kind: str
    scope: str
    params: dict[str, tuple[str, bool]]
    zh: str
    en: str

    @property
    def bounds(self) -> tuple[float, float]:
        return {
            "rate": (0.0, 1.0),
            "probability": (0.0, 1.0),
            "fraction": (0.0, 1.0),
            "count": (0.0, math.inf),
            "ratio": (0.0, math.inf),
            "change": (-1.0, math.inf),
        }[self.kind]


INDICATORS: dict[str, IndicatorSpec] = {
    s.name: s
    for s in (
        IndicatorSpec("employment_rate", "rate", "school",
                      {"measure": ("measure", False), "lag": ("count", False)},
                      "{measure_zh}{value}", "{measure_en} {value}"),
        IndicatorSpec("years_below", "count", "school",
                      {"threshold": ("rate", True), "measure": ("measure", False)},
                      "{measure_zh}连续{value}年低于{threshold}", "{measure_en} below {threshold} for {value} "
                      "consecutive year(s)"),
        IndicatorSpec("rank_percentile", "fraction", "region", {"measure": ("measure", False)},
                      "{measure_zh}在本地区专业中排名百分位{value}",
                      "{measure_en} at the {value} percentile of the region's majors"),
        IndicatorSpec("pressure", "ratio", "region", {"year_offset": ("count", False)},
                      "{target_year}年预测供需比（需求/供给，中位数）{value}",
                      "forecast demand/supply ratio in {target_year} (median) {value}"),
        IndicatorSpec("p_shortage", "probability", "region",
                      {"above": ("ratio", False), "year_offset": ("count", False)},
                      "{target_year}年供需比高于{above}（短缺）的概率{value}",
                      "probability that the {target_year} demand/supply ratio exceeds {above} (shortage) {value}"),
        IndicatorSpec("p_surplus", "probability", "region",
                      {"below": ("ratio", False), "year_offset": ("count", False)},
                      "{target_year}年供需比低于{below}（过剩）的概率{value}",
                      "probability that the {target_year} demand/supply ratio is below {below} (surplus) {value}"),
        IndicatorSpec("intake_trend", "change", "school", {"years": ("count", False)},
                      "近{years}年招生年均变化{value}", "intake trend over {years} years {value} a year"),
        IndicatorSpec("schools_offering", "count", "region", {},
                      "本地区开设该专业的学校{value}所", "{value} school(s) in the region offer the major"),
        IndicatorSpec("local_retention", "fraction", "school", {},
                      "本地留存率（在本市就业/就业）{value}", "local retention (employed in the city / employed) "
                      "{value}"),
        IndicatorSpec("intake", "count", "school", {}, "当前招生{value}人", "current intake {value}"),
        IndicatorSpec("graduates", "count", "school", {"lag": ("count", False)},
                      "毕业生{value}人", "{value} graduates"),
    )
}

MEASURE_TEXT = {
    "employed": ("就业率", "employment rate"),
    "placement": ("毕业去向落实率", "placement rate (employed + further study)"),
}


@dataclass(frozen=True)
class Condition:
    """One comparison ``indicator(params) op value``."""

    indicator: str
    op: str
    value: float
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> str:
        """Canonical evidence key, e.g. ``years_below[threshold=0.6]``."""
        if not self.params:
            return self.indicator
        inner = ",".join(f"{k}={v}" for k, v in self.params)
        return f"{self.indicator}[{inner}]"

    def param(self, name: str, default: Any = None) -> Any:
        return dict(self.params).get(name, default)

    @property
    def spec(self) -> IndicatorSpec:
        return INDICATORS[self.indicator]


@dataclass(frozen=True)
class Adjustment:
    """How the rule changes the intake: type (see ADJUSTMENT_TYPES) and, for "percent", a signed fraction."""

    type: str
    value: float = 0.0


@dataclass(frozen=True)
class Rule:
    name: str
    level: str
    action: str
    adjustment: Adjustment
    conditions: tuple[Condition, ...]
    description_zh: str = ""
    description_en: str = ""

    @property
    def region_scoped(self) -> bool:
        """True when every condition is about the region's market, not the school's own outcomes."""
        return all(c.spec.scope == "region" for c in self.conditions)


@dataclass(frozen=True)
class RuleSet:
    """A validated rule set.

    Attributes:
        name: rule-set name (``forecast``, ``moe-2011`` ... or the file's ``name``).
        rules: rules in priority order (first hit decides).
        employment_measure: "employed" (graduates_employed / graduates) or "placement" ((employed + further
            study) / graduates, 毕业去向落实率), used by employment indicators without a ``measure`` parameter.
        max_change: largest yearly change of a class's intake as a fraction of the current intake (bounded
            change); suspension is the only larger change.
        shrink_outcome_below / expand_outcome_at_least: thresholds the warnings backtest uses to define
            later outcomes (see backtest.py).
    """

    name: str
    rules: tuple[Rule, ...]
    title_zh: str = ""
    title_en: str = ""
    source: str = ""
    employment_measure: str = "employed"
    max_change: float = 0.2
    shrink_outcome_below: float = 0.6
    expand_outcome_at_least: float = 0.9
    path: str = ""

    def conditions(self) -> list[Condition]:
        """Distinct conditions' indicator keys in first-use order (for computing indicators once)."""
        seen: dict[str, Condition] = {}
        for rule in self.rules:
            for c in rule.conditions:
                seen.setdefault(c.key, c)
        return list(seen.values())


_RULESET_FIELDS = {"name", "title_zh", "title_en", "source", "employment_measure", "max_change", "rules",
                   "backtest", "notes"}
_RULE_FIELDS = {"name", "level", "action", "adjustment", "when", "description_zh", "description_en"}
_CONDITION_FIELDS = {"indicator", "op", "value"}
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def builtin_dir() -> Path:
    """Folder of the built-in rule-set YAML files (shipped inside the package)."""
    return Path(str(resources.files("early_warning") / "rulesets"))


def list_rule_sets() -> list[dict[str, str]]:
    """Describe the built-in rule sets.

    Returns:
        One dict per set (sorted by name): name, title_zh, title_en, employment_measure, source, regions
        (comma-separated region codes that use it by default).
    """
    out = []
    for path in sorted(builtin_dir().glob("*.yaml")):
        rs = load_rule_set(path)
        regions = sorted(r for r, n in REGION_RULE_SETS.items() if n == rs.name)
        if rs.name == DEFAULT_RULE_SET:
            regions.append("default")
        out.append({"name": rs.name, "title_zh": rs.title_zh, "title_en": rs.title_en,
                    "employment_measure": rs.employment_measure, "source": rs.source,
                    "regions": ",".join(regions)})
    return out


def rule_set_for_region(region: str | None, regions: pd.DataFrame | CodeTree | None = None) -> str:
    """Name of the built-in rule set a region uses when none is given.

    Args:
        region: GB/T 2260 code (a city such as 510100 uses its province 510000's set).
        regions: optional ``regions`` contract table (or its code tree), used to walk up ``parent`` links.

    Returns:
        A built-in rule-set name; ``forecast`` when the region has no policy of its own.
    """
    if not region:
        return DEFAULT_RULE_SET
    tree = regions if isinstance(regions, CodeTree) else CodeTree.from_table(regions)
    for code in tree.ancestors(str(region)):
        for candidate in (code, code[:2] + "0000"):
            if candidate in REGION_RULE_SETS:
                return REGION_RULE_SETS[candidate]
    return DEFAULT_RULE_SET


def load_rule_set(name_or_path: str | Path | RuleSet) -> RuleSet:
    """Load and validate a rule set.

    Args:
        name_or_path: a built-in name (see :func:`list_rule_sets`), a path to a YAML file, or a RuleSet
            (returned unchanged).

    Returns:
        The validated RuleSet.

    Raises:
        RuleSetError: the file is missing or unreadable, or a rule is invalid (message names file, rule,
            field and reason).
    """
    if isinstance(name_or_path, RuleSet):
        return name_or_path
    text_name = str(name_or_path)
    path = Path(text_name)
    builtin = builtin_dir() / f"{text_name}.yaml"
    if not text_name.endswith((".yaml", ".yml")) and "/" not in text_name and builtin.exists():
        path = builtin
    elif not path.exists():
        names = ", ".join(sorted(p.stem for p in builtin_dir().glob("*.yaml")))
        raise RuleSetError(text_name, f"no such rule set or file; built-in rule sets: {names}")
    try:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Rule files written on Chinese Windows are often GBK / GB18030 (a superset of GBK).
            text = data.decode("gb18030")
        raw = yaml.safe_load(text)
    except UnicodeDecodeError:
        raise RuleSetError(str(path), "neither UTF-8 nor GB18030 text; save the rule file as UTF-8") from None
    except yaml.YAMLError as exc:
        raise RuleSetError(str(path), f"not valid YAML: {exc}".replace("\n", " ")) from None
    except OSError as exc:
        raise RuleSetError(str(path), f"cannot read file: {exc.strerror}") from None
    return parse_rule_set(raw, source=str(path))


def parse_rule_set(raw: Any, source: str = "<rules>") -> RuleSet:
    """Validate a rule set given as plain data (the parsed YAML) and build a RuleSet.

    Raises:
        RuleSetError: naming ``source``, the rule, the field and the reason of the first problem found.
    """
    if not isinstance(raw, dict):
        raise RuleSetError(source, "a rule set must be a mapping with 'name' and 'rules'")
    unknown = sorted(set(raw) - _RULESET_FIELDS)
    if unknown:
        raise RuleSetError(source, f"unknown field; allowed: {', '.join(sorted(_RULESET_FIELDS))}",
                           field_name=str(unknown[0]))
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise RuleSetError(source, "required, lower-case letters, digits, '-', '_' or '.'", field_name="name")
    measure = raw.get("employment_measure", "employed")
    if measure not in EMPLOYMENT_MEASURES:
        raise RuleSetError(source, f"{measure!r} is not one of {', '.join(EMPLOYMENT_MEASURES)}",
                           field_name="employment_measure")
    max_change = _number(raw.get("max_change", 0.2), source, None, "max_change")
    if not 0 < max_change <= 1:
        raise RuleSetError(source, f"{max_change} must be in (0, 1] (a fraction of the current intake)",
                           field_name="max_change")
    backtest = raw.get("backtest") or {}
    if not isinstance(backtest, dict) or set(backtest) - {"shrink_outcome_below", "expand_outcome_at_least"}:
        raise RuleSetError(source, "must map shrink_outcome_below / expand_outcome_at_least to rates",
                           field_name="backtest")
    bt = {}
    for key, default in (("shrink_outcome_below", 0.6), ("expand_outcome_at_least", 0.9)):
        bt[key] = _number(backtest.get(key, default), source, None, f"backtest.{key}")
        if not 0 <= bt[key] <= 1:
            raise RuleSetError(source, f"{bt[key]} is not a rate in [0, 1]", field_name=f"backtest.{key}")
    raw_rules = raw.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise RuleSetError(source, "required: a non-empty list of rules", field_name="rules")
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw_rule in enumerate(raw_rules, start=1):
        rule = _parse_rule(raw_rule, index, source, max_change, measure)
        if rule.name in seen:
            raise RuleSetError(source, "duplicate rule name", rule=rule.name, field_name="name")
        seen.add(rule.name)
        rules.append(rule)
    return RuleSet(
        name=name, rules=tuple(rules), title_zh=str(raw.get("title_zh", "")), title_en=str(raw.get("title_en", "")),
        source=str(raw.get("source", "")), employment_measure=measure, max_change=max_change,
        shrink_outcome_below=bt["shrink_outcome_below"], expand_outcome_at_least=bt["expand_outcome_at_least"],
        path=source,
    )


def _number(value: Any, source: str, rule: str | None, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RuleSetError(source, f"{value!r} is not a number", rule=rule, field_name=field_name)
    return float(value)


def _parse_rule(raw: Any, index: int, source: str, max_change: float, measure: str) -> Rule:
    label = f"#{index}"
    if not isinstance(raw, dict):
        raise RuleSetError(source, "a rule must be a mapping", rule=label)
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise RuleSetError(source, "required, lower-case letters, digits, '-', '_' or '.'", rule=label,
                           field_name="name")
    unknown = sorted(set(raw) - _RULE_FIELDS)
    if unknown:
        raise RuleSetError(source, f"unknown field; allowed: {', '.join(sorted(_RULE_FIELDS))}", rule=name,
                           field_name=str(unknown[0]))
    level = raw.get("level")
    if level not in LEVELS:
        raise RuleSetError(source, f"{level!r} is not one of {', '.join(LEVELS)}", rule=name, field_name="level")
    action = raw.get("action")
    if action not in ACTIONS:
        raise RuleSetError(source, f"{action!r} is not one of {', '.join(ACTIONS)}", rule=name,
                           field_name="action")
    # A warning's colour must agree with what it asks the school to do.
    if level == "green" and action in ("shrink", "suspend"):
        raise RuleSetError(source, f"impossible combination: a green rule cannot {action}", rule=name,
                           field_name="action")
    if level == "red" and action == "expand":
        raise RuleSetError(source, "impossible combination: a red rule cannot expand", rule=name,
                           field_name="action")
    if level == "yellow" and action == "suspend":
        raise RuleSetError(source, "impossible combination: suspension is a red-card action", rule=name,
                           field_name="action")
    adjustment = _parse_adjustment(raw.get("adjustment", "none"), action, name, source, max_change)
    when = raw.get("when")
    if not isinstance(when, list) or not when:
        raise RuleSetError(source, "required: a non-empty list of conditions (all must hold)", rule=name,
                           field_name="when")
    conditions = tuple(_parse_condition(c, i, name, source, measure) for i, c in enumerate(when, start=1))
    _check_satisfiable(conditions, name, source)
    return Rule(name=name, level=level, action=action, adjustment=adjustment, conditions=conditions,
                description_zh=str(raw.get("description_zh", "")), description_en=str(raw.get("description_en", "")))


def _parse_adjustment(raw: Any, action: str, rule: str, source: str, max_change: float) -> Adjustment:
    if isinstance(raw, dict):
        unknown = sorted(set(raw) - {"type", "value"})
        if unknown:
            raise RuleSetError(source, "unknown key; an adjustment has 'type' and 'value'", rule=rule,
                               field_name=f"adjustment.{unknown[0]}")
        kind = raw.get("type", "percent")
        value = raw.get("value", 0.0)
    elif isinstance(raw, str):
        kind, value = raw, 0.0
    else:
        kind, value = "percent", raw
    if kind not in ADJUSTMENT_TYPES:
        raise RuleSetError(source, f"{kind!r} is not one of {', '.join(ADJUSTMENT_TYPES)}", rule=rule,
                           field_name="adjustment")
    value = _number(value, source, rule, "adjustment")
    if kind == "percent":
        if abs(value) > max_change + 1e-12:
            raise RuleSetError(source, f"change {value:+g} exceeds the rule set's max_change {max_change:g} "
                               "(only suspension may change more)", rule=rule, field_name="adjustment")
        expected = {"expand": value > 0, "shrink": value < 0, "hold": value == 0, "suspend": False}[action]
        if not expected:
            want = {"expand": "a positive change", "shrink": "a negative change", "hold": "no change (0)",
                    "suspend": "adjustment 'suspend' or 'alternate_years'"}[action]
            raise RuleSetError(source, f"impossible combination: action '{action}' needs {want}, got "
                               f"{value:+g}", rule=rule, field_name="adjustment")
        if value == 0:
            kind = "none"
    allowed = {"expand": {"percent"}, "hold": {"none"}, "shrink": {"percent", "cap_employed"},
               "suspend": {"suspend", "alternate_years"}}[action]
    if kind not in allowed:
        raise RuleSetError(source, f"impossible combination: action '{action}' cannot use adjustment '{kind}' "
                           f"(allowed: {', '.join(sorted(allowed))})", rule=rule, field_name="adjustment")
    return Adjustment(kind, value)


def _parse_condition(raw: Any, index: int, rule: str, source: str, measure: str) -> Condition:
    where = f"when[{index}]"
    if not isinstance(raw, dict):
        raise RuleSetError(source, "a condition is a mapping {indicator, op, value, parameters...}", rule=rule,
                           field_name=where)
    indicator = raw.get("indicator")
    if indicator not in INDICATORS:
        raise RuleSetError(source, f"unknown indicator {indicator!r}; known: {', '.join(INDICATORS)}",
                           rule=rule, field_name=f"{where}.indicator")
    spec = INDICATORS[indicator]
    params_raw = {k: v for k, v in raw.items() if k not in _CONDITION_FIELDS}
    for key in sorted(params_raw):
        if key not in spec.params:
            allowed = ", ".join(sorted(spec.params)) or "none"
            raise RuleSetError(source, f"unknown parameter for indicator '{indicator}' (allowed: {allowed})",
                               rule=rule, field_name=f"{where}.{key}")
    params: dict[str, Any] = {}
    for key, (kind, required) in sorted(spec.params.items()):
        if key not in params_raw:
            if required:
                raise RuleSetError(source, f"indicator '{indicator}' needs parameter '{key}'", rule=rule,
                                   field_name=f"{where}.{key}")
            continue
        value = params_raw[key]
        if kind == "measure":
            if value not in EMPLOYMENT_MEASURES:
                raise RuleSetError(source, f"{value!r} is not one of {', '.join(EMPLOYMENT_MEASURES)}",
                                   rule=rule, field_name=f"{where}.{key}")
        else:
            value = _number(value, source, rule, f"{where}.{key}")
            if kind == "rate" and not 0 <= value <= 1:
                raise RuleSetError(source, f"bad threshold {value:g}: a rate is in [0, 1] (write 60% as 0.6)",
                                   rule=rule, field_name=f"{where}.{key}")
            if kind == "ratio" and value <= 0:
                raise RuleSetError(source, f"bad threshold {value:g}: a demand/supply ratio is > 0", rule=rule,
                                   field_name=f"{where}.{key}")
            if kind == "count":
                if value < 0 or value != int(value):
                    raise RuleSetError(source, f"{value:g} must be a whole number >= 0", rule=rule,
                                       field_name=f"{where}.{key}")
                value = int(value)
            if key == "years" and value < 2:
                raise RuleSetError(source, "a trend needs at least 2 years", rule=rule,
                                   field_name=f"{where}.{key}")
        params[key] = value
    # Employment indicators always carry their measure so that evidence says which rate was used.
    if "measure" in spec.params and "measure" not in params:
        params["measure"] = measure
    op = raw.get("op")
    if op not in OPERATORS:
        raise RuleSetError(source, f"{op!r} is not one of {', '.join(OPERATORS)}", rule=rule,
                           field_name=f"{where}.op")
    value = _number(raw.get("value"), source, rule, f"{where}.value")
    low, high = spec.bounds
    if not low <= value <= high:
        raise RuleSetError(source, f"bad threshold {value:g}: {indicator} ({spec.kind}) lies in [{low:g}, "
                           f"{high:g}]" + (" (write 60% as 0.6)" if spec.kind == "rate" and value > 1 else ""),
                           rule=rule, field_name=f"{where}.value")
    if spec.kind == "count" and value != int(value):
        raise RuleSetError(source, f"bad threshold {value:g}: {indicator} is a whole number", rule=rule,
                           field_name=f"{where}.value")
    # A comparison that no value in the indicator's range can satisfy is a mistake, not a rule.
    never = (op == "<" and value <= low) or (op == ">" and value >= high)
    if never:
        raise RuleSetError(source, f"impossible condition: {indicator} {op} {value:g} can never hold "
                           f"(range [{low:g}, {high:g}])", rule=rule, field_name=f"{where}.value")
    return Condition(indicator=indicator, op=op, value=value, params=tuple(sorted(params.items())))


def _check_satisfiable(conditions: tuple[Condition, ...], rule: str, source: str) -> None:
    """Refuse rules whose conditions on the same indicator leave an empty interval (e.g. < 0.5 and > 0.6)."""
    by_key: dict[str, list[Condition]] = {}
    for c in conditions:
        by_key.setdefault(c.key, []).append(c)
    for key, group in by_key.items():
        low, high = group[0].spec.bounds
        low_open = high_open = False
        for c in group:
            if c.op in (">", ">=") and (c.value > low or (c.value == low and c.op == ">")):
                low, low_open = c.value, c.op == ">"
            if c.op in ("<", "<=") and (c.value < high or (c.value == high and c.op == "<")):
                high, high_open = c.value, c.op == "<"
            if c.op == "==":
                if c.value > low or (c.value == low and not low_open):
                    low, low_open = c.value, False
                if c.value < high or (c.value == high and not high_open):
                    high, high_open = c.value, False
        empty = low > high or (low == high and (low_open or high_open))
        if not empty:
            equals = {c.value for c in group if c.op == "=="}
            empty = len(equals) > 1
        if empty:
            shown = " and ".join(f"{c.indicator} {c.op} {c.value:g}" for c in group)
            raise RuleSetError(source, f"impossible combination: {shown} can never hold together", rule=rule,
                               field_name="when")
