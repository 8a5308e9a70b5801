"""Rule sets as data: the indicator catalogue, the pydantic models a rule file is parsed into, and the loader.

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
from typing import Annotated, Any, Literal, Optional, Union, get_args

import pandas as pd
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Strict,
    StringConstraints,
    Tag,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from features.codes import CodeTree
from features.errors import TalentcastError
from features.safe_yaml import load_yaml

# "not_rated" (无法评估) is no rule's level: it replaces the green "no warning" default when the evidence the rule
# set judges on is missing (evaluate.evaluate_rules; docs/early-warning.md "Not rated").
NOT_RATED = "not_rated"
LEVEL_ZH = {"red": "红牌", "yellow": "黄牌", "green": "绿牌", NOT_RATED: "无法评估"}
ACTION_ZH = {"expand": "扩大招生", "hold": "保持规模", "shrink": "调减招生", "suspend": "暂停招生"}

# Which province (or city) uses which built-in rule set when none is given. Codes are GB/T 2260; a city
# inherits its province's set through its first two digits.
REGION_RULE_SETS: dict[str, str] = {"510000": "sichuan", "120000": "tianjin-2009"}
DEFAULT_RULE_SET = "forecast"


class RuleSetError(TalentcastError):
    """A rule-set file is unreadable or names an unknown indicator, a bad threshold or an impossible rule."""

    def __init__(self, source: str, reason: str, rule: str | None = None, field_name: str | None = None,
                 reason_zh: str | None = None):
        self.source, self.rule, self.field, self.reason = source, rule, field_name, reason
        where, where_zh = [source], [source]
        if rule is not None:
            where.append(f"rule '{rule}'")
            where_zh.append(f"规则“{rule}”")
        if field_name is not None:
            where.append(f"field '{field_name}'")
            where_zh.append(f"字段“{field_name}”")
        # Field reasons come from the rule-file parser in English; the Chinese names the place and says so.
        super().__init__(f"{', '.join(where)}: {reason}",
                         f"{'，'.join(where_zh)}：{reason_zh or '预警规则集有误（原因见前面的英文）'}")


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
        params: allowed parameters -> (kind of the parameter value, required?); kinds: "measure", "rate",
            "ratio", "count" (whole number >= 0) and "years" (a count >= 2).
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
        IndicatorSpec("p_bad_outcome", "probability", "school",
                      {"bad_below": ("rate", False), "measure": ("measure", False)},
                      "受影响届次（{target_year}年毕业）{measure_zh}低于{bad_below}的概率{value}（近年{measure_zh}平滑值"
                      "{history_rate}）",
                      "probability that the {measure_en} of the class graduating in {target_year} falls below "
                      "{bad_below} {value} (smoothed recent {measure_en} {history_rate})"),
        IndicatorSpec("intake_trend", "change", "school", {"years": ("years", False)},
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


# --- the rule-file models ---------------------------------------------------------------------------------
# A rule file is validated by these pydantic models. Their own checks raise `_refuse(reason, *loc)`, worded
# for the planner who wrote the file; `_rule_set_error` turns the first validation error into a RuleSetError
# naming the file, the rule and the field.

Level = Literal["red", "yellow", "green"]  # the levels a rule may give
Action = Literal["expand", "hold", "shrink", "suspend"]
Operator = Literal["<", "<=", ">", ">=", "=="]
Measure = Literal["employed", "placement"]
AdjustmentType = Literal["percent", "none", "suspend", "cap_employed", "alternate_years"]
RULE_LEVELS: tuple[str, ...] = get_args(Level)
LEVELS: tuple[str, ...] = RULE_LEVELS + (NOT_RATED,)  # every level a warning can have, most severe first
# Indicators read from the forecast (major_pressure); a rule set using any of them judges on demand.
FORECAST_INDICATORS = ("pressure", "p_shortage", "p_surplus")
# Indicators read from the school's graduate outcomes.
OUTCOME_INDICATORS = ("employment_rate", "years_below", "rank_percentile", "local_retention", "p_bad_outcome")
ACTIONS: tuple[str, ...] = get_args(Action)
OPERATORS: tuple[str, ...] = get_args(Operator)
EMPLOYMENT_MEASURES: tuple[str, ...] = get_args(Measure)
ADJUSTMENT_TYPES: tuple[str, ...] = get_args(AdjustmentType)

# Which adjustments each action may use, and the sign a percent change must have.
_ADJUSTMENTS_FOR = {"expand": ("percent",), "hold": ("none",), "shrink": ("cap_employed", "percent"),
                    "suspend": ("alternate_years", "suspend")}
_PERCENT_SIGN = {"expand": "a positive change", "shrink": "a negative change", "hold": "no change (0)",
                 "suspend": "adjustment 'suspend' or 'alternate_years'"}
# A warning's colour must agree with what it asks the school to do.
_CLASHES = {("green", "shrink"): "a green rule cannot shrink", ("green", "suspend"): "a green rule cannot suspend",
            ("red", "expand"): "a red rule cannot expand", ("yellow", "suspend"): "suspension is a red-card action"}

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_QUOTED = re.compile(r"'([^']*)'")


def _refuse(reason: str, *loc: str | int) -> PydanticCustomError:
    """A refusal in our words; ``loc`` continues the location of the validator raising it (e.g. "value")."""
    return PydanticCustomError("rule_set", "{reason}", {"reason": reason, "loc": loc})


def _rate(value: float) -> float:
    if not 0 <= value <= 1:
        raise _refuse(f"bad threshold {value:g}: a rate is in [0, 1] (write 60% as 0.6)")
    return value


def _ratio(value: float) -> float:
    if value <= 0:
        raise _refuse(f"bad threshold {value:g}: a demand/supply ratio is > 0")
    return value


def _count(value: float) -> int:
    if value < 0 or value != int(value):
        raise _refuse(f"{value:g} must be a whole number >= 0")
    return int(value)


def _trend_years(value: int) -> int:
    if value < 2:
        raise _refuse("a trend needs at least 2 years")
    return value


def _history_years(value: int) -> int:
    if value < 1:
        raise _refuse("history_years must be at least 1")
    return value


def _weight(value: float) -> float:
    if not 0 <= value <= 10:
        raise _refuse(f"{value} must be in [0, 10] (logit units per unit of P(surplus) - P(shortage))")
    return value


def _max_change(value: float) -> float:
    if not 0 < value <= 1:
        raise _refuse(f"{value} must be in (0, 1] (a fraction of the current intake)")
    return value


# Numbers are strict (an int or a float; not a bool or text) and finite (the models refuse NaN and inf).
Number = Annotated[float, Strict()]
Rate = Annotated[float, Strict(), AfterValidator(_rate)]
Ratio = Annotated[float, Strict(), AfterValidator(_ratio)]
Count = Annotated[float, Strict(), AfterValidator(_count)]
Text = Annotated[str, Field(coerce_numbers_to_str=True)]  # a title such as 2011 is text, not a mistake
Name = Annotated[str, StringConstraints(pattern=_NAME.pattern),
                 Field(description="lower-case letters, digits, '-', '_' or '.'")]
TrendYears = Annotated[Count, AfterValidator(_trend_years)]
PARAMETER_TYPES: dict[str, Any] = {"measure": Measure, "count": Count, "years": TrendYears, "rate": Rate,
                                   "ratio": Ratio}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_by_name=True)


class Condition(_Model):
    """One comparison ``indicator(parameters) op value``. Each indicator has its own subclass (CONDITIONS)
    whose extra fields are the indicator's parameters; an unset optional parameter is None."""

    indicator: str
    op: Operator
    value: Number

    @property
    def spec(self) -> IndicatorSpec:
        return INDICATORS[self.indicator]

    @property
    def params(self) -> tuple[tuple[str, Any], ...]:
        """The parameters that are set, sorted by name."""
        values = ((k, getattr(self, k, None)) for k in sorted(self.spec.params))
        return tuple((k, v) for k, v in values if v is not None)

    @property
    def key(self) -> str:
        """Canonical evidence key, e.g. ``years_below[measure=employed,threshold=0.6]``."""
        if not self.params:
            return self.indicator
        inner = ",".join(f"{k}={v}" for k, v in self.params)
        return f"{self.indicator}[{inner}]"

    def param(self, name: str, default: Any = None) -> Any:
        return dict(self.params).get(name, default)

    @model_validator(mode="after")
    def _in_range(self) -> Condition:
        spec, value = self.spec, self.value
        low, high = spec.bounds
        if not low <= value <= high:
            hint = " (write 60% as 0.6)" if spec.kind == "rate" and value > 1 else ""
            raise _refuse(f"bad threshold {value:g}: {self.indicator} ({spec.kind}) lies in [{low:g}, {high:g}]"
                          + hint, "value")
        if spec.kind == "count" and value != int(value):
            raise _refuse(f"bad threshold {value:g}: {self.indicator} is a whole number", "value")
        # A comparison that no value in the indicator's range can satisfy is a mistake, not a rule.
        if (self.op == "<" and value <= low) or (self.op == ">" and value >= high):
            raise _refuse(f"impossible condition: {self.indicator} {self.op} {value:g} can never hold "
                          f"(range [{low:g}, {high:g}])", "value")
        return self


def _condition_model(spec: IndicatorSpec) -> type[Condition]:
    fields: dict[str, Any] = {"indicator": (Literal[spec.name], ...)}
    for key, (kind, required) in spec.params.items():
        fields[key] = (PARAMETER_TYPES[kind], ...) if required else (Optional[PARAMETER_TYPES[kind]], None)
    return create_model(f"Condition_{spec.name}", __base__=Condition, **fields)


CONDITIONS: dict[str, type[Condition]] = {name: _condition_model(spec) for name, spec in INDICATORS.items()}


def _indicator_of(value: Any) -> str | None:
    indicator = value.get("indicator") if isinstance(value, dict) else getattr(value, "indicator", None)
    return None if indicator is None else str(indicator)


AnyCondition = Annotated[Union[tuple(Annotated[model, Tag(name)] for name, model in CONDITIONS.items())],
                         Discriminator(_indicator_of)]


class Adjustment(_Model):
    """How the rule changes the intake: type (see ADJUSTMENT_TYPES) and, for "percent", a signed fraction.

    A rule file may write it as a number (percent), a type name, or a mapping {type, value}."""

    type: AdjustmentType = "percent"
    value: Number = 0.0

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, raw: Any) -> Any:
        if isinstance(raw, (dict, Adjustment)):
            return raw
        return {"type": raw} if isinstance(raw, str) else {"type": "percent", "value": raw}


class Rule(_Model):
    """One row of the decision table: when every condition holds, the level, action and adjustment apply."""

    name: Name
    level: Level
    action: Action
    adjustment: Adjustment = Field(default="none", validate_default=True)
    conditions: tuple[AnyCondition, ...] = Field(alias="when", min_length=1,
                                                 description="a non-empty list of conditions (all must hold)")
    description_zh: Text = ""
    description_en: Text = ""
    # None: the rule set's watch_list decides. False: this rule's expand / shrink is a decision, because what it
    # rests on has beaten the last-rate baseline in the affected-cohort backtest (README #13).
    watch_list: Optional[bool] = None

    @property
    def region_scoped(self) -> bool:
        """True when every condition is about the region's market, not the school's own outcomes."""
        return all(c.spec.scope == "region" for c in self.conditions)

    @field_validator("action")
    @classmethod
    def _agrees_with_level(cls, action: str, info: ValidationInfo) -> str:
        clash = _CLASHES.get((info.data.get("level"), action))
        if clash:
            raise _refuse(f"impossible combination: {clash}")
        return action

    @field_validator("adjustment")
    @classmethod
    def _fits_action(cls, adjustment: Adjustment, info: ValidationInfo) -> Adjustment:
        action = info.data.get("action")
        if action is None:
            return adjustment  # the action is refused itself
        kind, value = adjustment.type, adjustment.value
        if kind == "percent":
            if not {"expand": value > 0, "shrink": value < 0, "hold": value == 0, "suspend": False}[action]:
                raise _refuse(f"impossible combination: action '{action}' needs {_PERCENT_SIGN[action]}, got "
                              f"{value:+g}")
            if value == 0:
                kind = "none"
        if kind not in _ADJUSTMENTS_FOR[action]:
            raise _refuse(f"impossible combination: action '{action}' cannot use adjustment '{kind}' "
                          f"(allowed: {', '.join(_ADJUSTMENTS_FOR[action])})")
        return adjustment if kind == adjustment.type else Adjustment(type=kind)


class Backtest(_Model):
    """Thresholds the warnings backtest uses to define later outcomes (see backtest.py)."""

    shrink_outcome_below: Rate = 0.6
    expand_outcome_at_least: Rate = 0.9


class OutcomeRisk(_Model):
    """How the ``p_bad_outcome`` indicator combines a class's outcome history with the forecast pressure.

    The affected cohort's employment logit is predicted as the mean logit of the class's last ``history_years``
    known rates (its own school x major level, smoothed) minus ``pressure_weight`` x (P(surplus) - P(shortage))
    of its graduation year, with the spread of the region's rates around their class means; P(bad) is the
    normal probability of falling below the bar. ``pressure_weight`` is fitted, never tuned on test years:
    ``benchmarks/warning_backtest_affected.py`` fits it by maximum likelihood on plan years whose affected
    cohort had graduated (``fitted`` says on which).
    """

    history_years: Annotated[Count, AfterValidator(_history_years)] = 3
    pressure_weight: Annotated[float, Strict(), AfterValidator(_weight)] = 0.0
    fitted: Text = ""


class RuleSet(_Model):
    """A validated rule set.

    Attributes:
        name: rule-set name (``forecast``, ``moe-2011`` ... or the file's ``name``).
        rules: rules in priority order (first hit decides).
        employment_measure: "employed" (graduates_employed / graduates) or "placement" ((employed + further
            study) / graduates, 毕业去向落实率), used by employment indicators without a ``measure`` parameter.
        max_change: largest yearly change of a class's intake as a fraction of the current intake (bounded
            change); suspension is the only larger change.
        backtest: shrink_outcome_below / expand_outcome_at_least, thresholds the warnings backtest uses to
            define later outcomes (also readable as attributes of the rule set).
        scope_zh / scope_en, reading_zh / reading_en: the policy's scope and the project's readings of it.
        watch_list: expand / shrink recommendations are labelled a watch list (what they rest on has not
            beaten the last-rate baseline in the warnings backtest); a rule's own ``watch_list`` overrides it.
        outcome_risk: settings of the ``p_bad_outcome`` indicator (:class:`OutcomeRisk`).
        path: the file the set was read from ("" when built from data).
    """

    name: Name
    title_zh: Text = ""
    title_en: Text = ""
    source: Text = ""
    employment_measure: Measure = "employed"
    max_change: Annotated[float, Strict(), AfterValidator(_max_change)] = 0.2
    backtest: Backtest = Backtest()
    notes: Any = None
    # Whom the policy applies to, and what in this file is the project's reading rather than the policy's text;
    # both are appended to every explanation of a warning a rule of this set decides.
    scope_zh: Text = ""
    scope_en: Text = ""
    reading_zh: Text = ""
    reading_en: Text = ""
    # True while what the set's rules rest on has not beaten the last-rate baseline in the affected-cohort
    # backtest (benchmarks/warning_backtest_affected.py): their expand / shrink recommendations are a watch list
    # (观察名单), not decisions, in every output. A rule may say watch_list: false when its own evidence has.
    watch_list: bool = False
    outcome_risk: OutcomeRisk = OutcomeRisk()
    rules: tuple[Rule, ...] = Field(min_length=1, description="a non-empty list of rules")
    _path: str = PrivateAttr("")

    @property
    def shrink_outcome_below(self) -> float:
        return self.backtest.shrink_outcome_below

    @property
    def expand_outcome_at_least(self) -> float:
        return self.backtest.expand_outcome_at_least

    @property
    def path(self) -> str:
        return self._path

    @property
    def evidence(self) -> str:
        """What the set's "no warning" (green) rests on: "demand" when any rule reads the forecast (pressure,
        p_shortage, p_surplus), else "outcomes" when any rule reads graduate outcomes (the policy sets moe-2011,
        sichuan, tianjin-2009), else "none". A class without that evidence and without a firing rule is
        not rated rather than green."""
        indicators = {c.indicator for c in self.conditions()}
        if indicators & set(FORECAST_INDICATORS):
            return "demand"
        if indicators & set(OUTCOME_INDICATORS):
            return "outcomes"
        return "none"

    def conditions(self) -> list[Condition]:
        """Distinct conditions (by evidence key) in first-use order (for computing indicators once)."""
        seen: dict[str, Condition] = {}
        for rule in self.rules:
            for c in rule.conditions:
                seen.setdefault(c.key, c)
        return list(seen.values())

    @field_validator("backtest", mode="before")
    @classmethod
    def _no_backtest(cls, raw: Any) -> Any:
        return {} if raw is None else raw

    @model_validator(mode="after")
    def _across_rules(self) -> RuleSet:
        names: set[str] = set()
        rules = []
        for index, rule in enumerate(self.rules):
            if rule.name in names:
                raise _refuse("duplicate rule name", "rules", index, "name")
            names.add(rule.name)
            change = rule.adjustment.value
            if rule.adjustment.type == "percent" and abs(change) > self.max_change + 1e-12:
                raise _refuse(f"change {change:+g} exceeds the rule set's max_change {self.max_change:g} (only "
                              "suspension may change more)", "rules", index, "adjustment")
            # Employment indicators always carry their measure so that evidence says which rate was used.
            conditions = tuple(c.model_copy(update={"measure": self.employment_measure})
                               if "measure" in c.spec.params and c.param("measure") is None else c
                               for c in rule.conditions)
            _check_satisfiable(conditions, index)
            rules.append(rule.model_copy(update={"conditions": conditions}))
        return self.model_copy(update={"rules": tuple(rules)})


def _check_satisfiable(conditions: tuple[Condition, ...], index: int) -> None:
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
            raise _refuse(f"impossible combination: {shown} can never hold together", "rules", index, "when")


def builtin_dir() -> Path:
    """Folder of the built-in rule-set YAML files (shipped inside the package)."""
    return Path(str(resources.files("early_warning") / "rulesets"))


# The built-in rule sets by name (the files in rulesets/), e.g. for an API parameter that must never be a path.
BUILTIN_RULE_SETS: tuple[str, ...] = tuple(sorted(p.stem for p in builtin_dir().glob("*.yaml")))


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
        raise RuleSetError(text_name, f"no such rule set or file; built-in rule sets: {names}",
                           reason_zh=f"没有这个规则集或文件；内置规则集：{names}")
    try:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Rule files written on Chinese Windows are often GBK / GB18030 (a superset of GBK).
            text = data.decode("gb18030")
        raw = load_yaml(text)  # no aliases, bounded depth and size (features.safe_yaml)
    except UnicodeDecodeError:
        raise RuleSetError(str(path), "neither UTF-8 nor GB18030 text; save the rule file as UTF-8",
                           reason_zh="既不是 UTF-8 也不是 GB18030 文本；请把规则文件存为 UTF-8") from None
    except yaml.YAMLError as exc:
        raise RuleSetError(str(path), f"not valid YAML: {exc}".replace("\n", " "),
                           reason_zh=f"不是有效的 YAML：{exc}".replace("\n", " ")) from None
    except OSError as exc:
        raise RuleSetError(str(path), f"cannot read file: {exc.strerror}",
                           reason_zh=f"无法读取文件：{exc.strerror}") from None
    return parse_rule_set(raw, source=str(path))


def parse_rule_set(raw: Any, source: str = "<rules>") -> RuleSet:
    """Validate a rule set given as plain data (the parsed YAML) and build a RuleSet.

    Raises:
        RuleSetError: naming ``source``, the rule, the field and the reason of the first problem found.
    """
    if not isinstance(raw, dict):
        raise RuleSetError(source, "a rule set must be a mapping with 'name' and 'rules'",
                          reason_zh="规则集必须是包含 name 和 rules 的映射")
    try:
        rule_set = RuleSet.model_validate(raw)
    except ValidationError as exc:
        raise _rule_set_error(source, raw, exc.errors()[0]) from None
    rule_set._path = source
    return rule_set


def _rule_set_error(source: str, raw: dict, error: ErrorDetails) -> RuleSetError:
    """The RuleSetError for one pydantic error: the rule and field from its location, the reason in words."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    loc = list(error["loc"]) + list(ctx.get("loc", ()))
    rule, model, indicator = None, RuleSet, None
    if loc[:1] == ["backtest"]:
        model = Backtest
    elif loc[:1] == ["outcome_risk"]:
        model = OutcomeRisk
    elif len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        raw_rule = raw["rules"][loc[1]] if isinstance(raw.get("rules"), list) else None
        raw_rule = raw_rule if isinstance(raw_rule, dict) else {}
        name = raw_rule.get("name")
        rule = name if isinstance(name, str) and _NAME.fullmatch(name) else f"#{loc[1] + 1}"
        loc, model = loc[2:], Rule
        if loc[:1] == ["adjustment"]:
            model = Adjustment
            if not isinstance(raw_rule.get("adjustment"), dict):
                loc = loc[:1]  # written as a number or a type name: no sub-fields to name
        elif loc[:1] == ["when"] and len(loc) >= 2:
            model = Condition
            if kind.startswith("union_tag") and isinstance(value, dict):
                loc.append("indicator")
            elif len(loc) >= 3 and loc[2] in CONDITIONS:  # the discriminated union names the member
                indicator = loc.pop(2)
                model = CONDITIONS[indicator]
    field_name = "".join(f"[{p + 1}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".") or None
    leaf = next((p for p in reversed(loc) if isinstance(p, str)), None)
    fields = {info.alias or name: info for name, info in model.model_fields.items()}
    if kind == "rule_set":
        reason = ctx["reason"]
    elif kind.startswith("union_tag"):
        reason = (f"unknown indicator {value.get('indicator')!r}; known: {', '.join(INDICATORS)}"
                  if isinstance(value, dict) else "a condition is a mapping {indicator, op, value, parameters...}")
    elif kind == "extra_forbidden" and indicator is not None:
        allowed = ", ".join(sorted(INDICATORS[indicator].params)) or "none"
        reason = f"unknown parameter for indicator '{indicator}' (allowed: {allowed})"
    elif kind == "extra_forbidden":
        reason = f"unknown field; allowed: {', '.join(sorted(fields))}"
    elif kind == "missing" and indicator is not None and leaf in INDICATORS[indicator].params:
        reason = f"indicator '{indicator}' needs parameter '{leaf}'"
    elif kind == "literal_error":  # ctx["expected"] reads "'red', 'yellow' or 'green'"
        reason = f"{value!r} is not one of {', '.join(re.findall(_QUOTED, ctx['expected']))}"
    elif kind == "float_type":
        reason = f"{value!r} is not a number"
    elif kind == "finite_number":
        reason = f"{value!r} is not a finite number"
    elif leaf in fields and fields[leaf].description:
        reason = f"required: {fields[leaf].description}"
    elif kind == "missing":
        reason = "required"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        reason = "must be a mapping"
    else:
        reason = error["msg"][:1].lower() + error["msg"][1:]
    return RuleSetError(source, reason, rule=rule, field_name=field_name)
