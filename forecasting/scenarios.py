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

`load_scenario` checks the format (TalentcastError "<file>: changes[1].percent: <reason>");
`forecasting.results.apply_scenario(state, scenario)` checks the targets against the fitted state and recomputes
every result from the stored forecasts and sample paths, without refitting anything.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from features.errors import TalentcastError

KINDS = ("employment_change", "parameter", "intake")
SECTOR_PARAMETERS = ("replacement_rate", "graduate_entry_share")
UNIT_PARAMETERS = ("completion_rate", "further_study_share", "employment_share", "local_retention")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class ScenarioError(TalentcastError):
    """A scenario file or dict is malformed, or names something the data does not have."""


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


def _fail(source: str, where: str, reason: str) -> ScenarioError:
    return ScenarioError(f"{source}: {where}: {reason}")


def _number(source, where, value, minimum=None, maximum=None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(source, where, f"must be a number, got {value!r}")
    if minimum is not None and value < minimum:
        raise _fail(source, where, f"must be >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise _fail(source, where, f"must be <= {maximum}, got {value!r}")
    return float(value)


def _year(source, where, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1990 <= value <= 2100:
        raise _fail(source, where, f"must be a year between 1990 and 2100, got {value!r}")
    return int(value)


def _years(source: str, where: str, raw: Any) -> Years:
    if raw is None:
        return Years()
    if isinstance(raw, int) and not isinstance(raw, bool):
        year = _year(source, where, raw)
        return Years(listed=(year,))
    if isinstance(raw, list):
        if not raw:
            raise _fail(source, where, "an empty list selects no year")
        return Years(listed=tuple(_year(source, f"{where}[{i}]", y) for i, y in enumerate(raw)))
    if isinstance(raw, dict):
        unknown = set(raw) - {"from", "to"}
        if unknown:
            raise _fail(source, where, f"unknown key(s) {sorted(unknown)}; use 'from' and/or 'to'")
        start = _year(source, f"{where}.from", raw["from"]) if raw.get("from") is not None else None
        end = _year(source, f"{where}.to", raw["to"]) if raw.get("to") is not None else None
        if start is not None and end is not None and end < start:
            raise _fail(source, where, f"'to' ({end}) is before 'from' ({start})")
        return Years(start=start, end=end)
    raise _fail(source, where, f"must be a year, a list of years or {{from, to}}, got {raw!r}")


def _target(source: str, where: str, raw: Any, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    if not isinstance(raw, dict):
        raise _fail(source, where, f"must be a mapping with {', '.join(required)}, got {raw!r}")
    unknown = set(raw) - set(required) - set(optional)
    if unknown:
        raise _fail(source, where, f"unknown key(s) {sorted(unknown)}; allowed: {', '.join(required + optional)}")
    for key in required:
        if raw.get(key) in (None, ""):
            raise _fail(source, f"{where}.{key}", "is required")
    return {k: str(v) for k, v in raw.items() if v not in (None, "")}


def _change(source: str, index: int, raw: Any) -> Change:
    where = f"changes[{index}]"
    if not isinstance(raw, dict):
        raise _fail(source, where, f"must be a mapping, got {raw!r}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise _fail(source, f"{where}.kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    allowed = {"employment_change": {"kind", "target", "percent", "persons", "years"},
               "parameter": {"kind", "target", "parameter", "value", "years"},
               "intake": {"kind", "target", "value", "years"}}[kind]
    unknown = set(raw) - allowed
    if unknown:
        raise _fail(source, where, f"unknown field(s) {sorted(unknown)} for kind {kind}; allowed: {sorted(allowed)}")
    years = _years(source, f"{where}.years", raw.get("years"))
    if kind == "employment_change":
        target = _target(source, f"{where}.target", raw.get("target"), ("region", "sector"))
        has_percent, has_persons = raw.get("percent") is not None, raw.get("persons") is not None
        if has_percent == has_persons:
            raise _fail(source, where, "give exactly one of 'percent' or 'persons'")
        percent = _number(source, f"{where}.percent", raw["percent"], minimum=-100) if has_percent else None
        persons = _number(source, f"{where}.persons", raw["persons"]) if has_persons else None
        return Change(index, kind, target, years, percent=percent, persons=persons)
    if kind == "parameter":
        parameter = raw.get("parameter")
        if parameter in SECTOR_PARAMETERS:
            target = _target(source, f"{where}.target", raw.get("target"), ("sector",), ("region",))
            maximum = 0.5 if parameter == "replacement_rate" else 1.0
        elif parameter in UNIT_PARAMETERS:
            target = _target(source, f"{where}.target", raw.get("target"), ("major",), ("school",))
            maximum = 1.0
        else:
            raise _fail(source, f"{where}.parameter",
                        f"must be one of {', '.join(SECTOR_PARAMETERS + UNIT_PARAMETERS)}, got {parameter!r}")
        if raw.get("value") is None:
            raise _fail(source, f"{where}.value", "is required")
        value = _number(source, f"{where}.value", raw["value"], minimum=0, maximum=maximum)
        return Change(index, kind, target, years, parameter=parameter, value=value)
    target = _target(source, f"{where}.target", raw.get("target"), ("school", "major"))
    if raw.get("value") is None:
        raise _fail(source, f"{where}.value", "is required (planned intake, persons)")
    value = _number(source, f"{where}.value", raw["value"], minimum=0, maximum=100000)
    return Change(index, kind, target, years, value=value)


def load_scenario(path_or_dict: str | Path | dict | Scenario) -> Scenario:
    """Read and check a scenario from a YAML / JSON file or a dict.

    Raises:
        ScenarioError (a TalentcastError): "<file>: <field>: <reason>".
    """
    if isinstance(path_or_dict, Scenario):
        return path_or_dict
    if isinstance(path_or_dict, dict):
        source, raw = "scenario", path_or_dict
    else:
        path = Path(path_or_dict)
        source = str(path)
        if not path.is_file():
            raise ScenarioError(f"{source}: scenario file not found")
        try:
            text = path.read_text(encoding="utf-8-sig")
            raw = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        except UnicodeDecodeError as exc:
            raise ScenarioError(f"{source}: not UTF-8 text ({exc.reason})") from None
        except (yaml.YAMLError, json.JSONDecodeError) as exc:
            raise ScenarioError(f"{source}: cannot parse: {str(exc).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: a scenario must be a mapping with id, name and changes")
    unknown = set(raw) - {"id", "name", "description", "changes"}
    if unknown:
        raise _fail(source, "top level", f"unknown field(s) {sorted(unknown)}; allowed: id, name, description, changes")
    scenario_id = raw.get("id")
    if not isinstance(scenario_id, str) or not _ID.match(scenario_id):
        raise _fail(source, "id", f"must be lower-case letters, digits, '-' or '_' (max 64), got {scenario_id!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _fail(source, "name", "is required (text)")
    description = raw.get("description") or ""
    if not isinstance(description, str):
        raise _fail(source, "description", "must be text")
    changes = raw.get("changes")
    if not isinstance(changes, list) or not changes:
        raise _fail(source, "changes", "must be a non-empty list")
    return Scenario(id=scenario_id, name=name.strip(), description=description,
                    changes=tuple(_change(source, i, c) for i, c in enumerate(changes)), source=source)

