"""What-if scenarios a planner writes in a small YAML or JSON file (情景分析).

Format (see docs/supply-demand.md and docs/scenarios/*.yaml)::

    id: ev-plant-2027
    name: 新能源汽车新工厂 / New EV plant
    description: optional text
    changes:
      - kind: employment_change            # target {region, sector}; percent: 15 or persons: 3000
        target: {region: "450200", sector: C36}
        percent: 15
        years: {from: 2027}                # {from, to} | [years] | year ; omitted = all forecast years
      - kind: parameter                    # sector: replacement_rate | graduate_entry_share, target {sector}
        target: {sector: C36}              # school x major: completion_rate | further_study_share |
        parameter: replacement_rate        #   employment_share | local_retention, target {school?, major}
        value: 0.04
      - kind: intake                       # planned intake of a school's major in admission years
        target: {school: S001, major: "460701"}
        value: 120
        years: {from: 2026}

`load_scenario` parses the format with pydantic models (`_ScenarioSpec` and the change models below) and reports
every problem as ScenarioError "<file>: changes[1].percent: <reason>" (numbers must be finite: NaN and
Infinity are refused);
`forecasting.results.apply_scenario(state, scenario)` checks the targets against the fitted state and recomputes
every result from the stored forecasts and sample paths, without refitting anything.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping, Sequence, Union

import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from features.contract import ENROLMENT, MAX_EMPLOYED, SECTOR_PARAMETERS as SECTOR_PARAMETER_TABLE
from features.errors import TalentcastError
from features.safe_yaml import MAX_YAML_CHARS, YamlLimitError, check_depth, load_yaml

KINDS = ("employment_change", "parameter", "intake")
SECTOR_PARAMETERS = ("replacement_rate", "graduate_entry_share")
UNIT_PARAMETERS = ("completion_rate", "further_study_share", "employment_share", "local_retention")
_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
YEAR_RANGE = (1990, 2100)
_MAX_REPORTED = 5  # problems listed in one error message
MAX_PERCENT = 1000
"""An employment change of at most +1000% (eleven times the baseline); -100% removes the sector."""


class ScenarioError(TalentcastError):
    """A scenario file or dict is malformed, or names something the data does not have."""

    zh_default = "情景设置有误（文件、字段与原因见前面的英文）"


@dataclass(frozen=True)
class Years:
    """Which years a change applies to: a range (from / to, either open) or an explicit list."""

    start: int | None = None
    end: int | None = None
    listed: tuple[int, ...] | None = None

    def contains(self, year: int) -> bool:
        if self.listed is not None:
            return year in self.listed
        return (self.start is None or year >= self.start) and (self.end is None or year <= self.end)

    def to_dict(self) -> Any:
        if self.listed is not None:
            return list(self.listed)
        out = {}
        if self.start is not None:
            out["from"] = self.start
        if self.end is not None:
            out["to"] = self.end
        return out


@dataclass(frozen=True)
class Change:
    """One change of a scenario (see the module docstring for the fields each kind uses)."""

    index: int
    kind: str
    target: dict
    years: Years = field(default_factory=Years)
    percent: float | None = None
    persons: float | None = None
    parameter: str | None = None
    value: float | None = None

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"kind": self.kind, "target": dict(self.target)}
        for name in ("percent", "persons", "parameter", "value"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        years = self.years.to_dict()
        if years:
            out["years"] = years
        return out


@dataclass(frozen=True)
class Scenario:
    """A named list of changes. `source` is the file it came from (for error messages)."""

    id: str
    name: str
    changes: tuple[Change, ...]
    description: str = ""
    source: str = "scenario"

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "description": self.description,
                "changes": [c.to_dict() for c in self.changes]}


# ----------------------------------------------------------------------------------------------- file format
# The pydantic models below are the file format: every check of a scenario's shape lives in them, and
# `_message` turns pydantic's errors into "<file>: changes[0].percent: <reason>". A valid file is turned into
# the frozen Scenario / Change / Years above, which the rest of the code uses.

Year = Annotated[int, Field(strict=True, ge=YEAR_RANGE[0], le=YEAR_RANGE[1])]
Code = Annotated[str, Field(min_length=1)]
Text = Annotated[str, Field(strict=True)]


def _number(minimum: float, maximum: float) -> Any:
    """A finite number (not a bool, not text, not NaN or Infinity) within the bounds (every number of a scenario
    has both: an unbounded `persons: 1e308` once turned ratios into 1.79e303)."""
    return Annotated[float, Field(strict=True, allow_inf_nan=False, ge=minimum, le=maximum)]


def _bounds(schema: Any, column: str) -> tuple[float, float]:
    """The data contract's range of a column: a scenario may set a value only where the data could hold it."""
    found = schema.column(column)
    return found.minimum, found.maximum


class _Spec(BaseModel):
    # Numbers in code fields (region: 450200 unquoted in YAML) are taken as their text.
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class _YearRange(_Spec):
    start: Year | None = Field(None, alias="from")
    end: Year | None = Field(None, alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> "_YearRange":
        if self.start is not None and self.end is not None and self.end < self.start:
            raise PydanticCustomError("year_order", "'to' ({end}) is before 'from' ({start})",
                                      {"start": self.start, "end": self.end})
        return self


def _years_form(raw: Any) -> str | None:
    """Which form a `years` value has: one year, a list of years or a {from, to} range (None: none)."""
    return None if isinstance(raw, bool) else {int: "year", list: "list", dict: "range"}.get(type(raw))


_YEARS_FORMS = ("year", "list", "range")
_YearsSpec = Annotated[
    Union[Annotated[Year, Tag("year")], Annotated[list[Year], Field(min_length=1), Tag("list")],
          Annotated[_YearRange, Tag("range")]],
    Discriminator(_years_form, custom_error_type="years_form",
                  custom_error_message="must be a year, a list of years or {from, to}"),
]


class _RegionSector(_Spec):
    region: Code
    sector: Code


# Fields in the order the docs write them (a parsed target keeps it: {school, major}, {region, sector}).
class _SectorTarget(_Spec):
    region: Code | None = None
    sector: Code


class _MajorTarget(_Spec):
    school: Code | None = None
    major: Code


class _SchoolMajor(_Spec):
    school: Code
    major: Code


class _ChangeSpec(_Spec):
    years: _YearsSpec | None = None

    def parsed(self, index: int) -> Change:
        if self.years is None:
            years = Years()
        elif isinstance(self.years, _YearRange):
            years = Years(start=self.years.start, end=self.years.end)
        else:
            years = Years(listed=(self.years,) if isinstance(self.years, int) else tuple(self.years))
        target = self.target.model_dump(exclude_none=True)  # type: ignore[attr-defined]
        fields = self.model_dump(exclude={"years", "target"}, exclude_none=True)
        return Change(index=index, target=target, years=years, **fields)


class _EmploymentChange(_ChangeSpec):
    kind: Literal["employment_change"]
    target: _RegionSector
    percent: _number(minimum=-100, maximum=MAX_PERCENT) | None = None
    persons: _number(minimum=-MAX_EMPLOYED, maximum=MAX_EMPLOYED) | None = None

    @model_validator(mode="after")
    def _one_size(self) -> "_EmploymentChange":
        if (self.percent is None) == (self.persons is None):
            raise PydanticCustomError("one_of", "give exactly one of 'percent' or 'persons'")
        return self


class _ReplacementRate(_ChangeSpec):
    kind: Literal["parameter"]
    parameter: Literal["replacement_rate"]
    target: _SectorTarget
    value: _number(*_bounds(SECTOR_PARAMETER_TABLE, "replacement_rate"))


class _GraduateEntryShare(_ChangeSpec):
    kind: Literal["parameter"]
    parameter: Literal["graduate_entry_share"]
    target: _SectorTarget
    value: _number(*_bounds(SECTOR_PARAMETER_TABLE, "graduate_entry_share"))


class _UnitParameter(_ChangeSpec):
    kind: Literal["parameter"]
    parameter: Literal[UNIT_PARAMETERS]  # type: ignore[valid-type]
    target: _MajorTarget
    value: _number(minimum=0, maximum=1)


class _Intake(_ChangeSpec):
    kind: Literal["intake"]
    target: _SchoolMajor
    value: _number(*_bounds(ENROLMENT, "intake"))  # planned intake, persons: the contract's range


_ParameterChange = Annotated[Union[_ReplacementRate, _GraduateEntryShare, _UnitParameter],
                             Field(discriminator="parameter")]
_AnyChange = Annotated[Union[_EmploymentChange, _ParameterChange, _Intake], Field(discriminator="kind")]


class _ScenarioSpec(_Spec):
    id: Annotated[Text, Field(pattern=_ID_PATTERN)]
    name: Text
    description: Text | None = None
    changes: Annotated[list[_AnyChange], Field(min_length=1)]

    @field_validator("name")
    @classmethod
    def _not_blank(cls, name: str) -> str:
        if not name.strip():
            raise PydanticCustomError("blank", "is required (text)")
        return name.strip()

    def parsed(self, source: str) -> Scenario:
        return Scenario(id=self.id, name=self.name, description=self.description or "", source=source,
                        changes=tuple(change.parsed(i) for i, change in enumerate(self.changes)))


# ----------------------------------------------------------------------------------------------- messages

# The change model a union tag in an error location stands for (a kind, or a parameter's name).
_CHANGE_MODELS: dict[str, type[_Spec]] = {
    "employment_change": _EmploymentChange, "intake": _Intake, "replacement_rate": _ReplacementRate,
    "graduate_entry_share": _GraduateEntryShare, **{name: _UnitParameter for name in UNIT_PARAMETERS}}
_CHOICES = {"kind": KINDS, "parameter": SECTOR_PARAMETERS + UNIT_PARAMETERS}
_ID_FORM = "lower-case letters, digits, '-' or '_', at most 64"
_YEAR_ERRORS = {"int_type", "int_from_float", "int_parsing", "greater_than_equal", "less_than_equal"}


def _locate(loc: tuple) -> tuple[list, type[BaseModel] | None, str | None]:
    """(field path without pydantic's union tags, the model the last field belongs to, the years form)."""
    items = list(loc)
    if items[:1] != ["changes"] or len(items) < 3:
        return items, _ScenarioSpec, None
    path, rest, model, form = items[:2], items[2:], None, None
    if rest and rest[0] in KINDS:  # the tag of the change's kind, and of the parameter for a parameter change
        kind = rest.pop(0)
        model = _CHANGE_MODELS.get(kind)
        if kind == "parameter" and rest and rest[0] in _CHANGE_MODELS:
            model = _CHANGE_MODELS[rest.pop(0)]
    if rest[:1] == ["years"] and len(rest) > 1 and rest[1] in _YEARS_FORMS:
        form = rest.pop(1)
        if form == "range":
            model = _YearRange
    elif rest[:1] == ["target"] and len(rest) > 1 and model is not None:
        model = model.model_fields["target"].annotation
    return path + rest, model, form


def _path_text(path: list) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))


def _reason(error: dict, path: list, model: type[BaseModel] | None, form: str | None) -> tuple[list, str]:
    """(the path to name, the reason) of one pydantic error."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    last = path[-1] if path else None
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        field = str(ctx.get("discriminator", "")).strip("'")
        choices = ", ".join(_CHOICES.get(field, ()))
        if kind == "union_tag_not_found":
            return [*path, field], f"is required (one of {choices})"
        return [*path, field], f"must be one of {choices}, got {ctx.get('tag')!r}"
    if kind == "missing":
        return path, f"is required ({_ID_FORM})" if path == ["id"] else "is required"
    if kind == "extra_forbidden":
        names = [f.alias or name for name, f in model.model_fields.items()] if model else []
        allowed = ", ".join(sorted(names, key=lambda name: name == "years"))  # years last, as in the files
        return path, "unknown field" + (f"; allowed here: {allowed}" if allowed else "")
    if kind == "years_form":
        return path, f"must be a year, a list of years or {{from, to}}, got {value!r}"
    if "years" in path and kind in _YEAR_ERRORS and (form in ("year", "list") or last in ("from", "to")):
        return path, f"must be a year between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}, got {value!r}"
    if kind == "too_short":
        return path, "an empty list selects no year" if last == "years" else "must be a non-empty list"
    if kind == "list_type":
        return path, f"must be a {'non-empty ' if path == ['changes'] else ''}list, got {value!r}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return path, f"must be a mapping, got {value!r}"
    if kind == "string_pattern_mismatch" or (path == ["id"] and kind == "string_type"):
        return path, f"must be {_ID_FORM}, got {value!r}"
    if kind == "string_type":
        return path, f"must be text, got {value!r}"
    if kind == "string_too_short":
        return path, "must not be empty"
    if kind == "float_type":
        return path, f"must be a number, got {value!r}"
    if kind == "finite_number":
        return path, f"must be a finite number, got {value!r}"
    if kind == "greater_than_equal":
        return path, f"must be >= {_plain_number(ctx.get('ge'))}, got {_plain_number(value)} (out of range)"
    if kind == "less_than_equal":
        return path, f"must be <= {_plain_number(ctx.get('le'))}, got {_plain_number(value)} (out of range)"
    message = str(error.get("msg", kind))
    return path, message[:1].lower() + message[1:]


def _plain_number(value: Any) -> str:
    """1000000000 rather than 1e+09 for a bound or a value a user wrote as an integer; 1e+308 stays short."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer() \
            and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else repr(value)


def _message(source: str, exc: ValidationError) -> str:
    """"<source>: <field>: <reason>" for each problem (the first few), most precise location first."""
    problems = []
    for error in exc.errors():
        path, model, form = _locate(tuple(error["loc"]))
        if not path and error["type"] in ("model_type", "model_attributes_type", "dict_type"):
            return f"{source}: a scenario must be a mapping with id, name and changes"
        path, reason = _reason(error, path, model, form)
        text = f"{_path_text(path)}: {reason}" if path else reason
        if text not in problems:
            problems.append(text)
    more = len(problems) - _MAX_REPORTED
    return f"{source}: " + "; ".join(problems[:_MAX_REPORTED]) + (f" (and {more} more)" if more > 0 else "")


def load_scenario(path_or_dict: str | os.PathLike | dict | Scenario) -> Scenario:
    """Read and check a scenario from a YAML / JSON file or a dict.

    Raises:
        ScenarioError (a TalentcastError): "<file>: <field>: <reason>" (several problems separated by "; ").
    """
    if isinstance(path_or_dict, Scenario):
        return path_or_dict
    if not isinstance(path_or_dict, (str, os.PathLike)):
        source, raw = "scenario", path_or_dict  # a dict (anything else is refused as not a mapping)
        try:
            check_depth(raw)
        except YamlLimitError as exc:
            raise ScenarioError(f"{source}: refused: {exc}") from None
    else:
        path = Path(path_or_dict)
        source = str(path)
        if not path.is_file():
            raise ScenarioError(f"{source}: scenario file not found", f"{source}：情景文件不存在")
        if path.stat().st_size > MAX_YAML_CHARS * 4:  # before reading: a UTF-8 character is at most 4 bytes
            raise ScenarioError(f"{source}: {path.stat().st_size} bytes, more than a scenario file can be "
                                f"({MAX_YAML_CHARS} characters)",
                                f"{source}：{path.stat().st_size} 字节，超过情景文件的上限（{MAX_YAML_CHARS} 个字符）")
        try:
            text = path.read_text(encoding="utf-8-sig")
            if path.suffix.lower() == ".json":
                raw = json.loads(text)
                check_depth(raw)
            else:
                raw = load_yaml(text)  # no aliases, bounded depth and size (features.safe_yaml)
        except UnicodeDecodeError as exc:
            raise ScenarioError(f"{source}: not UTF-8 text ({exc.reason})",
                                f"{source}：不是 UTF-8 文本（{exc.reason}）") from None
        except RecursionError:  # json's C decoder on thousands of nested brackets
            raise ScenarioError(f"{source}: cannot parse: nested too deeply", f"{source}：无法解析：嵌套层数过多") from None
        except YamlLimitError as exc:
            raise ScenarioError(f"{source}: refused: {exc}", f"{source}：已拒绝：{exc}") from None
        except (yaml.YAMLError, json.JSONDecodeError) as exc:
            raise ScenarioError(f"{source}: cannot parse: {str(exc).splitlines()[0]}",
                                f"{source}：无法解析：{str(exc).splitlines()[0]}") from None
    try:
        spec = _ScenarioSpec.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(_message(source, exc)) from None
    return spec.parsed(source)


def check_targets(scenario: Scenario, tables: Mapping[str, Any], years: Sequence[int]) -> None:
    """Check a scenario against the input tables before anything is fitted (#15: a typo in a target code once
    surfaced only after the whole pipeline had run).

    Codes must exist (regions, sectors; schools and majors in the enrolment table) and a change's years must
    select a forecast year (admission years for intake changes are checked against the fitted state later,
    in `forecasting.results`, which also checks that a region x sector series exists).

    Raises:
        ScenarioError: "<file>: changes[i].target.region: unknown region '450299' (not in the regions table)".
    """
    def codes(table: str, column: str) -> set[str]:
        frame = tables.get(table)
        return set() if frame is None or column not in frame else set(frame[column].dropna().astype(str))

    regions, sectors = codes("regions", "code"), codes("sectors", "code")
    enrolment = tables.get("enrolment")
    offered = set() if enrolment is None else set(zip(enrolment["school"].astype(str), enrolment["major"].astype(str)))
    majors = {major for _, major in offered}
    for change in scenario.changes:
        where = f"{scenario.source}: changes[{change.index}]"
        if change.kind != "intake" and years and not any(change.years.contains(y) for y in years):
            raise ScenarioError(f"{where}.years: selects none of the forecast years {years[0]}-{years[-1]}")
        target = change.target
        if "region" in target and target["region"] not in regions:
            raise ScenarioError(f"{where}.target.region: unknown region {target['region']!r} (not in the regions "
                                "table)")
        if "sector" in target and target["sector"] not in sectors:
            raise ScenarioError(f"{where}.target.sector: unknown sector {target['sector']!r} (not in the sectors "
                                "table)")
        if "major" in target and target["major"] not in majors:
            raise ScenarioError(f"{where}.target.major: no school offers major {target['major']!r} in the "
                                "enrolment table")
        if "school" in target and (target["school"], target["major"]) not in offered:
            raise ScenarioError(f"{where}.target: school {target['school']!r} does not offer major "
                                f"{target['major']!r} in the enrolment table")
