"""Workspaces: one folder per city or province, holding its own database, MLflow store and real data.

`talentcast init --region 610100` (or 西安 / 西安市; provinces too: 450000 / 广西) makes a workspace. This module
holds the pure part (no database): which region a planner means, which real tables a workspace starts with,
and the marker file that says what a folder is. `talentcast.service.Service.init_workspace` stores the tables.

A workspace starts with, in contract form:

    regions            every province and prefecture city                       real
    sectors            the 19 GB/T 4754 sections + the plans' divisions          real
    employment         the region and its province (a province: and all its     real
                       prefecture cities), persons; the 2013 break declared
    majors             the whole MOE catalogue (1,935 majors)                   real
    major_sector_map   the official crosswalk (MOE teaching-standard links ->  real (derived)
                       occupations -> sectors)
    sector_parameters  the contract defaults for every sector                   defaulted

The planner adds schools and enrolment (`talentcast ingest`), then `talentcast run`.

`workspace.json` in the folder marks it: kind "real" (made by init: runs refuse generated tables unless asked)
or "demo" (`talentcast demo`: the embedded generated data; never loaded into a real workspace).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from features.contract import DEFAULT_GRADUATE_ENTRY_SHARE, DEFAULT_REPLACEMENT_RATE, TABLE_NAMES
from features.errors import TalentcastError
from forecasting.pipeline import build_crosswalk
from talentcast import __version__, reference_data
from talentcast.provenance import DEFAULTED, REAL

WORKSPACE_FILE = "workspace.json"
REAL_WORKSPACE = "real"
DEMO_WORKSPACE = "demo"
WORKSPACE_TABLES = ("regions", "sectors", "employment", "majors", "major_sector_map", "sector_parameters")
# Suffixes of official names a planner may leave out (广西壮族自治区 -> 广西, 西安市 -> 西安); longest first.
_NAME_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


@dataclass(frozen=True)
class Region:
    """One province or prefecture city of the regions table."""

    code: str
    name_zh: str
    level: str
    parent: str | None = None
    name_en: str | None = None

    def __str__(self) -> str:
        return f"{self.name_zh} ({self.code})"


@dataclass(frozen=True)
class Workspace:
    """What `workspace.json` says about a folder."""

    kind: str  # "real" | "demo"
    region: str | None = None
    name_zh: str | None = None
    level: str | None = None
    created_at: str | None = None
    talentcast_version: str | None = None

    @property
    def is_real(self) -> bool:
        return self.kind == REAL_WORKSPACE

    def describe(self) -> str:
        if self.is_real:
            return f"the workspace of {self.name_zh} ({self.region})"
        return "the demo workspace"


# ----------------------------------------------------------------------------------------------- marker


def read_workspace(home: str | Path) -> Workspace | None:
    """The workspace marker of `home`, or None when the folder is no workspace (or the file is unreadable)."""
    path = Path(home) / WORKSPACE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("kind") not in (REAL_WORKSPACE, DEMO_WORKSPACE):
        return None
    fields = set(Workspace.__dataclass_fields__)
    return Workspace(**{k: v for k, v in data.items() if k in fields})


def write_workspace(home: str | Path, workspace: Workspace) -> Path:
    """Write `workspace.json` into `home` (created if needed); returns its path."""
    path = Path(home) / WORKSPACE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(workspace), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def new_workspace(region: Region) -> Workspace:
    return Workspace(kind=REAL_WORKSPACE, region=region.code, name_zh=region.name_zh, level=region.level,
                     created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                     talentcast_version=__version__)


def demo_workspace(region: str | None = None) -> Workspace:
    """The marker of the demo's own workspace (`talentcast demo`): generated data, never a real workspace."""
    return Workspace(kind=DEMO_WORKSPACE, region=region,
                     created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                     talentcast_version=__version__)


def default_directory(region: Region) -> Path:
    """Where `talentcast init` puts a workspace without --dir: ./talentcast-<code>."""
    return Path(f"talentcast-{region.code}")


# ----------------------------------------------------------------------------------------------- regions


def _short(name: str) -> str:
    for suffix in _NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _regions(regions: pd.DataFrame | None) -> list[Region]:
    frame = reference_data.regions_table() if regions is None else regions
    out = []
    for row in frame.itertuples(index=False):
        parent = None if pd.isna(row.parent) or not row.parent else str(row.parent)
        name_en = None if pd.isna(row.name_en) or not row.name_en else str(row.name_en)
        out.append(Region(str(row.code), str(row.name_zh), str(row.level), parent, name_en))
    return out


def resolve_region(text: str, regions: pd.DataFrame | None = None) -> Region:
    """The province or prefecture city a planner means: a GB/T 2260 code (610100), a Chinese name with or
    without its suffix (西安市, 西安; 广西壮族自治区, 广西) or an English name where one is curated (Guangxi).

    Raises:
        TalentcastError: one line, naming close matches when the text is unknown, or the candidates when a
            short name is ambiguous (吉林: 吉林省 220000 or 吉林市 220200).
    """
    query = str(text or "").strip()
    known = _regions(regions)
    if not query:
        raise TalentcastError("--region is empty; give a code or a name, e.g. 610100 or 西安",
                              "地区不能为空，请给出代码或名称，例如 610100 或 西安")
    by_code = {r.code: r for r in known}
    if query in by_code:
        return by_code[query]
    aliases: dict[str, list[Region]] = {}
    for r in known:
        for alias in {r.name_zh, _short(r.name_zh), (r.name_en or "").lower()} - {""}:
            aliases.setdefault(alias, []).append(r)
    exact = {r.code: r for r in aliases.get(query, []) + aliases.get(query.lower(), [])}
    if len(exact) == 1:
        return next(iter(exact.values()))
    if len(exact) > 1:
        choices = ", ".join(str(r) for r in sorted(exact.values(), key=lambda r: r.code))
        raise TalentcastError(f"region '{query}' is ambiguous: {choices}; give the code or the full name",
                              "地区名称不唯一，请给出代码或全称")
    raise TalentcastError(f"unknown region '{query}'", f"未知地区: {_close_matches(query, known, aliases)}")


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _close_matches(query: str, known: list[Region], aliases: dict[str, list[Region]], limit: int = 5) -> str:
    scored: dict[str, tuple[float, Region]] = {}

    def offer(region: Region, score: float) -> None:
        if score > scored.get(region.code, (-1.0, region))[0]:
            scored[region.code] = (score, region)

    if query.isascii() and query.isdigit():  # not '²' (a digit int() refuses)
        # A code: the longest shared prefix first (610101 -> 610100 before 610200), then the nearest number.
        for r in known:
            shared = _common_prefix(query, r.code)
            if shared >= 2:
                offer(r, shared - abs(int(r.code) - int(query)) / 1e6)
    else:
        lowered = query.lower()
        for alias, regions in aliases.items():
            ratio = difflib.SequenceMatcher(None, lowered, alias).ratio()
            score = ratio + 0.25 * _common_prefix(lowered, alias) / max(len(lowered), 1)
            if len(lowered) >= 2 and (lowered in alias or (len(alias) >= 2 and alias in lowered)):
                score += 0.5
            if ratio >= 0.5 or score >= 0.75:
                for r in regions:
                    offer(r, score)
    if not scored:
        return ("no province or prefecture city has a similar code or name (codes as in GB/T 2260, e.g. "
                "610100 西安市, 450000 广西壮族自治区)")
    best = sorted(scored.values(), key=lambda item: (-item[0], item[1].code))[:limit]
    return "close matches 相近: " + ", ".join(str(r) for _, r in best)


def municipality_note(region: Region) -> tuple[str, str] | None:
    """(English, Chinese) note for a municipality (北京, 天津, 上海, 重庆): why it has no cities and 2009-2015 only."""
    if region.code not in reference_data.MUNICIPALITIES:
        return None
    return (f"{region.name_zh} is a municipality: province-level, without prefecture cities; its employment is the "
            "NBS provincial series 2009-2015 (the city panel's rows for it, 2003-2015, differ from NBS and are not "
            "used; talentcast/data/real/SOURCE.md)",
            f"{region.name_zh}是直辖市：省级地区，没有地级市；就业数据用国家统计局分省数据 2009-2015"
            "（城市统计年鉴中该市的数据与之不一致，未使用）")


def workspace_regions(region: Region, regions: pd.DataFrame | None = None) -> list[Region]:
    """The regions whose employment a workspace loads: a city and its province; a province and its cities."""
    known = _regions(regions)
    if region.level == "province":
        return [region] + sorted((r for r in known if r.parent == region.code), key=lambda r: r.code)
    parent = next((r for r in known if r.code == region.parent), None)
    return [region] + ([parent] if parent is not None else [])


# ----------------------------------------------------------------------------------------------- tables


def default_sector_parameters(sectors: pd.DataFrame) -> pd.DataFrame:
    """The contract's default parameters for every sector (replacement 0.03, graduate entry share 0.5)."""
    codes = sectors["code"].astype(str).tolist()
    return pd.DataFrame({"sector": codes, "replacement_rate": DEFAULT_REPLACEMENT_RATE,
                         "graduate_entry_share": DEFAULT_GRADUATE_ENTRY_SHARE})


def workspace_tables(region: Region) -> dict[str, tuple[pd.DataFrame, dict]]:
    """The tables a new workspace of `region` starts with: {table: (frame, metadata)} in contract order.

    Employment is real: a city's rows 2003-2015 (City Statistical Yearbook) and its province's 2009-2015 (NBS);
    for a province, its rows and all its prefecture cities'. Both files carry the NBS 2013 survey-frame break,
    declared in the metadata (`"breaks"`) so that the forecasts re-level it.
    """
    regions = reference_data.regions_table()
    sectors = reference_data.sectors_table()
    majors = reference_data.majors_table()
    loaded = workspace_regions(region, regions)
    provinces = [r.code for r in loaded if r.level == "province"]
    cities = [r.code for r in loaded if r.level != "province"]
    employment = pd.concat([reference_data.provincial_employment(provinces),
                            reference_data.city_employment(cities)], ignore_index=True)
    employment = employment.sort_values(["region", "sector", "year"], ignore_index=True)
    links = reference_data.crosswalk_reference()
    crosswalk = build_crosswalk(links["major_occupation_links"], links["occupation_sector"], majors, sectors)
    parameters = default_sector_parameters(sectors)

    real = reference_data.real_path
    ref = reference_data.reference_path
    employment_files = [reference_data.PROVINCIAL_EMPLOYMENT_FILE] + (
        [reference_data.CITY_EMPLOYMENT_FILE] if cities else [])
    with_rows = sorted(set(employment["region"]))
    without = [r for r in loaded if r.code not in with_rows]
    common = {"provenance": reference_data.PROVENANCE, "workspace": region.code}
    real_kind = {"kind": REAL, "synthetic": False, **common}
    metadata = {
        "regions": {**real_kind, "sources": [real(reference_data.PROVINCIAL_EMPLOYMENT_FILE),
                                             real(reference_data.CITY_EMPLOYMENT_FILE),
                                             real(reference_data.CITY_TOTALS_FILE), ref("region_names.csv")]},
        "sectors": {**real_kind, "sources": [real(reference_data.PROVINCIAL_EMPLOYMENT_FILE),
                                             ref("sector_divisions.csv")]},
        "employment": {**real_kind, "sources": [real(f) for f in employment_files],
                       "regions": with_rows,
                       "breaks": reference_data.employment_breaks(employment_files),
                       "note": "万人 x 10,000, rounded to persons; urban non-private units (城镇非私营单位)"
                               + (f"; no sector series for {', '.join(map(str, without))}" if without else "")
                               + (f"; {municipality_note(region)[0]}" if municipality_note(region) else "")},
        "majors": {**real_kind, "sources": [real(reference_data.CATALOGUE_FILE), ref("duration_exceptions.csv")]},
        "major_sector_map": {**real_kind, "sources": [real(reference_data.LINKS_FILE), ref("occupation_sector.csv")],
                             "derived": "forecasting.pipeline.build_crosswalk",
                             "note": "the official MOE teaching-standard links (unweighted: every linked occupation "
                                     "counts once) placed in sectors by the curated occupation -> sector table; "
                                     "majors without links (all 本科 majors) feed no sector until you ingest your "
                                     "own major_sector_map"},
        "sector_parameters": {"kind": DEFAULTED, "synthetic": False, **common,
                              "sources": ["features/contract.py"],
                              "note": f"contract defaults for every sector (replacement_rate {DEFAULT_REPLACEMENT_RATE}, "
                                      f"graduate_entry_share {DEFAULT_GRADUATE_ENTRY_SHARE}); not measured: ingest "
                                      "your own sector_parameters to replace them"},
    }
    frames = {"regions": regions, "sectors": sectors, "employment": employment, "majors": majors,
              "major_sector_map": crosswalk, "sector_parameters": parameters}
    return {name: (frames[name], metadata[name]) for name in TABLE_NAMES if name in frames}
