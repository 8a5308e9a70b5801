"""Honest coverage (供给覆盖): which gaps carry a demand/supply ratio, and how much local supply the data cover.

A ratio openings / local graduate entrants says how tight a sector's graduate market is only where local schools
are a real part of that sector's graduate supply. A region x sector x year is **not rated** - no ratio, interval
or probability; a reason code and a sentence in Chinese and English instead - when:

* ``no_supply``: no major offered by the region's schools feeds the sector (the ratio would be openings / 1);
* ``negligible_supply``: the local entrants are below ``MIN_SUPPLY_PERSONS`` (one person) or below
  ``MIN_SUPPLY_SHARE`` (5%) of the graduate openings, i.e. the ratio would be above 20. Local graduates are then
  at most one in twenty of the sector's graduate hires and the ratio measures how little is trained locally,
  not the market. (In the demo city, whose schools are all in the data, the smallest share of any sector with
  local supply is 24%; with three of its ten schools, 13 of 27 sectors fall below 5%.)
* ``incomplete_supply``: the region's schools are not all in the data - a region whose child regions (cities
  of a province) do not all have schools in the run, or whose graduate openings lie for more than
  ``MAX_UNCOVERED_SHARE`` (5%) in areas without any school in the data (e.g. a province with only one city's
  schools). Such a node's gap is null too: province-wide openings minus the supply of some of its schools is
  not the province's gap.

Majors: a major's pressure counts only the rated sectors it feeds (weights renormalised); it is not rated when
the major has no crosswalk row (``no_crosswalk``), its sectors have no employment series in its region or
above (``no_demand_series``), or none of its sectors is rated (``sectors_not_rated``).

`coverage_notes` states, per region with schools, how many schools and majors local supply comes from and how
many sectors could be rated: the run's notes (printed by `talentcast run`) carry it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.codes import CodeTree
from forecasting.gaps import MIN_SUPPLY_PERSONS, MIN_SUPPLY_SHARE
from forecasting.reconcile import REMAINDER, Hierarchy

MAX_UNCOVERED_SHARE = 0.05
GAP_REASONS = ("no_supply", "negligible_supply", "incomplete_supply")
PRESSURE_REASONS = ("no_crosswalk", "no_demand_series", "sectors_not_rated")
_SHOWN = 4  # region / sector codes named in one note


@dataclass
class RegionCoverage:
    """Whether the schools in the data can stand for a region's whole graduate supply.

    Attributes:
        region: region code.
        complete: every child region (not districts: local retention is city-level) has schools in the data,
            recursively; a region without listed children is complete by definition.
        children: child regions listed in the regions table (districts left out).
        missing: those of them without any school in the data.
    """

    region: str
    complete: bool
    children: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def region_coverage(regions: pd.DataFrame | None, school_regions: Iterable[str], region: str) -> RegionCoverage:
    """Do the schools in `school_regions` cover every child region of `region` (see RegionCoverage)?"""
    tree = CodeTree.from_table(regions)
    levels = {}
    if regions is not None and "level" in regions:
        levels = dict(zip(regions["code"].astype(str), regions["level"].astype(str)))
    schools = {str(r) for r in school_regions}
    with_schools: set[str] = set()
    for code in schools:
        with_schools.update(tree.ancestors(code))
    children: dict[str, list[str]] = {}
    for code, parent in tree.parents.items():
        if parent is not None and levels.get(code) != "district":
            children.setdefault(parent, []).append(code)

    def complete(code: str, seen: frozenset) -> bool:
        kids = children.get(code, [])
        return all(kid in with_schools and kid not in seen and complete(kid, seen | {kid}) for kid in kids)

    kids = sorted(children.get(str(region), []))
    missing = [kid for kid in kids if kid not in with_schools]
    return RegionCoverage(str(region), complete(str(region), frozenset({str(region)})), kids, missing)


def uncovered_atoms(hierarchy: Hierarchy, regions: pd.DataFrame | None, school_regions: Iterable[str]) -> np.ndarray:
    """(atoms,) booleans: atoms with a region cell where the data has no school.

    A school belongs to the region cell of its deepest observed (employment) region: that region itself when it
    has no observed sub-regions, else its remainder ("450000~rest": the province outside its observed cities).
    """
    tree = CodeTree.from_table(regions)
    observed = set(hierarchy.nodes["region"])
    cells = {rc for atom_cells in hierarchy.atoms["cells"] for rc, _ in atom_cells}
    covered = set()
    for code in {str(r) for r in school_regions}:
        deepest = next((a for a in tree.ancestors(code) if a in observed), None)
        if deepest is None:
            continue
        rest = deepest + REMAINDER
        covered.add(rest if rest in cells else deepest)
    return np.array([any(rc not in covered for rc, _ in atom_cells) for atom_cells in hierarchy.atoms["cells"]],
                    dtype=bool)


@dataclass
class Rating:
    """Which gaps are rated, and why not (from `rate_gaps`).

    Attributes:
        reasons: (nodes, years) object array: None where rated, else a GAP_REASONS code.
        uncovered_share: (nodes, years) share of graduate openings in areas without schools in the data.
        regions: region code -> RegionCoverage of every region among the nodes.
    """

    reasons: np.ndarray
    uncovered_share: np.ndarray
    regions: dict[str, RegionCoverage]

    @property
    def rated(self) -> np.ndarray:
        return np.equal(self.reasons, None)

    @property
    def gap_known(self) -> np.ndarray:
        return self.reasons != "incomplete_supply"


def rate_gaps(hierarchy: Hierarchy, regions: pd.DataFrame | None, school_regions: Iterable[str],
              atom_openings: np.ndarray, openings: np.ndarray, supply: np.ndarray, fed: np.ndarray) -> Rating:
    """Decide per node and year whether the gap carries a ratio.

    Args:
        hierarchy: the run's hierarchy (nodes, atoms, summing matrix).
        regions: the regions table (code, parent, level).
        school_regions: regions of the schools whose supply the run counts.
        atom_openings: (atoms, years) mean graduate openings of each atom.
        openings, supply: (nodes, years) mean graduate openings and local graduate entrants.
        fed: (nodes,) True when at least one school x major counts in the node (a crosswalk weight > 0).

    Returns:
        Rating (reasons: incomplete_supply first, then no_supply, then negligible_supply).
    """
    school_regions = sorted({str(r) for r in school_regions})
    coverage = {r: region_coverage(regions, school_regions, r) for r in sorted(set(hierarchy.nodes["region"]))}
    uncovered = uncovered_atoms(hierarchy, regions, school_regions).astype(float)
    outside = (hierarchy.summing * uncovered[None, :]) @ atom_openings
    share = np.where(openings > 0, outside / np.where(openings > 0, openings, 1.0), 0.0)
    complete = np.array([coverage[r].complete for r in hierarchy.nodes["region"]])[:, None]
    reasons = np.full(openings.shape, None, dtype=object)
    negligible = (supply < MIN_SUPPLY_PERSONS) | (supply < MIN_SUPPLY_SHARE * openings)
    reasons[negligible] = "negligible_supply"
    reasons[np.broadcast_to(~np.asarray(fed, dtype=bool)[:, None], openings.shape)] = "no_supply"
    reasons[~complete.repeat(openings.shape[1], axis=1) | (share > MAX_UNCOVERED_SHARE)] = "incomplete_supply"
    return Rating(reasons=reasons, uncovered_share=share, regions=coverage)


# ------------------------------------------------------------------------------------------------ notes


def _names(table: pd.DataFrame | None, zh: str = "name_zh") -> dict[str, tuple[str, str]]:
    if table is None or not len(table):
        return {}
    en = table["name_en"] if "name_en" in table else table[zh]
    return {str(c): (str(z), str(e) if isinstance(e, str) and e else str(z)) for c, z, e in
            zip(table["code"], table[zh], en)}


def _listed(codes: list[str], names: dict[str, tuple[str, str]], lang: int) -> str:
    shown = [f"{names.get(c, (c, c))[lang]}" for c in codes[:_SHOWN]]
    more = len(codes) - _SHOWN
    if lang == 0:
        return "、".join(shown) + (f"等{len(codes)}个" if more > 0 else "")
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def gap_note(reason: str | None, supply: float, openings: float, coverage: RegionCoverage | None,
             uncovered_share: float, region_names: dict[str, tuple[str, str]]) -> tuple[str | None, str | None]:
    """(note_zh, note_en) of one gap that is not rated; (None, None) when it is rated."""
    if reason is None:
        return None, None
    pct = f"{100 * MIN_SUPPLY_SHARE:g}%"
    if reason == "no_supply":
        return ("不评估：本地区学校没有任何专业对口该行业（本地供给为0），供需比只能说明本地不培养，不是缺口大小",
                "not rated: no local supply - no major in the region's schools feeds this sector, so a ratio would "
                "only say that nothing is trained locally")
    if reason == "negligible_supply":
        return (f"不评估：本地供给可忽略——本地毕业生约{supply:.1f}人，不足毕业生岗位需求{openings:,.0f}人的{pct}"
                f"（或不足{MIN_SUPPLY_PERSONS:g}人），供需比只反映本地培养之少",
                f"not rated: negligible local supply - {supply:.1f} local graduate entrants against "
                f"{openings:,.0f} graduate openings (below {pct} of them or below {MIN_SUPPLY_PERSONS:g} person), "
                "so a ratio would measure how little is trained locally rather than the market")
    code = coverage.region if coverage is not None else ""
    name_zh, name_en = region_names.get(code, (code, code))
    if coverage is not None and coverage.missing:
        k, n = len(coverage.children) - len(coverage.missing), len(coverage.children)
        return (f"不评估：供给覆盖不全——数据中的学校只覆盖{name_zh}{n}个下级地区中的{k}个（缺"
                f"{_listed(coverage.missing, region_names, 0)}），不能用全地区的岗位需求对比部分学校的供给；"
                "补充其余地区学校的招生与就业数据后可评估",
                f"not rated: incomplete supply - the schools in the data are in {k} of the {n} regions of "
                f"{name_en} (none in {_listed(coverage.missing, region_names, 1)}), and {name_en}'s openings are "
                "not compared with the supply of part of its schools; add the other regions' schools (enrolment "
                "and outcomes) to rate it")
    share = f"{100 * uncovered_share:.0f}%"
    return (f"不评估：供给覆盖不全——{name_zh}该行业{share}的毕业生岗位需求在数据中没有学校的地区，"
            "补充这些地区学校的招生与就业数据后可评估",
            f"not rated: incomplete supply - {share} of {name_en}'s graduate openings in this sector are in areas "
            "without any school in the data; add those schools (enrolment and outcomes) to rate it")


def gap_notes(keys: pd.DataFrame, rating: Rating, supply: np.ndarray, openings: np.ndarray,
              regions: pd.DataFrame | None) -> dict[str, np.ndarray]:
    """not_rated_reason, rating_note_zh, rating_note_en as (nodes, years) object arrays."""
    names = _names(regions)
    zh = np.full(rating.reasons.shape, None, dtype=object)
    en = np.full(rating.reasons.shape, None, dtype=object)
    for i, j in zip(*np.nonzero(~rating.rated)):
        region = str(keys["region"].iloc[i])
        zh[i, j], en[i, j] = gap_note(rating.reasons[i, j], float(supply[i, j]), float(openings[i, j]),
                                      rating.regions.get(region), float(rating.uncovered_share[i, j]), names)
    return {"not_rated_reason": rating.reasons, "rating_note_zh": zh, "rating_note_en": en}


_GAP_REASON_TEXT = {
    "no_supply": ("本地无对口供给", "no local supply"),
    "negligible_supply": ("本地供给可忽略", "negligible local supply"),
    "incomplete_supply": ("学校数据覆盖不全", "incomplete school coverage"),
}


def pressure_note(reason: str | None, major: str, region: str, sectors: list[str], sector_reasons: list[str],
                  year: int, region_names: dict[str, tuple[str, str]],
                  sector_names: dict[str, tuple[str, str]]) -> tuple[str | None, str | None]:
    """(note_zh, note_en) of a major whose pressure is not rated; (None, None) when it is rated."""
    if reason is None:
        return None, None
    name_zh, name_en = region_names.get(region, (region, region))
    listed_zh, listed_en = _listed(sectors, sector_names, 0), _listed(sectors, sector_names, 1)
    if reason == "no_crosswalk":
        return (f"专业{major}不在专业—行业对照表（major_sector_map）中，无法得知其毕业生对口行业的需求；"
                "在对照表中补充该专业的行业及权重（或官方专业—职业对照）后即可评估",
                f"major {major} has no row in the major-sector crosswalk (major_sector_map), so the demand for its "
                "graduates is unknown; add its sectors and weights to the crosswalk (or its official "
                "major-occupation links) to rate it")
    if reason == "no_demand_series":
        return (f"其对口行业（{listed_zh}）在{name_zh}及上级地区没有就业人数数据，无法预测需求；"
                "补充这些行业的就业人数后即可评估",
                f"the sectors it feeds ({listed_en}) have no employment series in {name_en} or above, so their "
                "demand is not forecast; add their employment to rate it")
    why_zh = "、".join(dict.fromkeys(_GAP_REASON_TEXT[r][0] for r in sector_reasons if r in _GAP_REASON_TEXT))
    why_en = ", ".join(dict.fromkeys(_GAP_REASON_TEXT[r][1] for r in sector_reasons if r in _GAP_REASON_TEXT))
    return (f"其对口行业（{listed_zh}）{year}年均无可评估的供需比（{why_zh}）；"
            f"补充{name_zh}全部学校的招生与就业数据（或这些行业的本地供给）后可评估",
            f"none of the sectors it feeds ({listed_en}) has a rated demand/supply ratio in {year} ({why_en}); "
            f"complete the enrolment of {name_en}'s schools to rate it")


def pressure_reasons(keys: pd.DataFrame, years: list[int], weights: np.ndarray, rating: Rating,
                     nodes: pd.DataFrame, crosswalk: pd.DataFrame, regions: pd.DataFrame | None,
                     sectors: pd.DataFrame | None) -> dict[str, np.ndarray]:
    """not_rated_reason, rating_note_zh, rating_note_en of each (region, major) x year, as (keys, years) arrays.

    Args:
        keys: region, major of the pressure rows.
        weights: (keys, nodes) crosswalk weights on observed nodes (a row of zeros: no observed sector).
        rating: from `rate_gaps`.
        nodes: the hierarchy's nodes (region, sector).
        crosswalk: the run's major -> sector map (major, sector).
    """
    mapped = {str(m): sorted(set(g["sector"].astype(str))) for m, g in crosswalk.groupby("major")}
    region_names, sector_names = _names(regions), _names(sectors)
    h = len(years)
    shape = (len(keys), h)
    reason = np.full(shape, None, dtype=object)
    zh = np.full(shape, None, dtype=object)
    en = np.full(shape, None, dtype=object)
    rated = rating.rated
    node_sectors = nodes["sector"].astype(str).tolist()
    for k, (region, major) in enumerate(zip(keys["region"].astype(str), keys["major"].astype(str))):
        linked = np.flatnonzero(weights[k] > 0)
        for j in range(h):
            if not len(linked):
                code = "no_crosswalk" if major not in mapped else "no_demand_series"
                sectors_of = mapped.get(major, [])
                node_reasons: list[str] = []
            elif rated[linked, j].any():
                continue
            else:
                code = "sectors_not_rated"
                sectors_of = [node_sectors[n] for n in linked]
                node_reasons = [str(rating.reasons[n, j]) for n in linked]
            reason[k, j] = code
            zh[k, j], en[k, j] = pressure_note(code, major, region, sectors_of, node_reasons, years[j],
                                               region_names, sector_names)
    return {"not_rated_reason": reason, "rating_note_zh": zh, "rating_note_en": en}


def coverage_notes(units: pd.DataFrame, schools: pd.DataFrame | None, crosswalk_majors: set[str],
                   gaps: pd.DataFrame, regions: pd.DataFrame | None,
                   sectors: pd.DataFrame | None) -> tuple[list[str], list[dict]]:
    """What local supply covers, per region with schools, and the regions whose gaps cannot be rated.

    Args:
        units: the run's supply units (school, major, region).
        schools: the schools table (to count listed schools without enrolment).
        crosswalk_majors: majors with a crosswalk row.
        gaps: the run's gaps (with not_rated_reason).
        regions, sectors: the code tables (names; sections are sectors without a parent).

    Returns:
        (one note per region, the same as dicts: region, sectors, sectors_rated (every year),
        sectors_rated_some_years, entrants_share (local entrants / graduate openings over the sections in the
        last forecast year), year, and for regions with schools: schools, schools_listed, majors,
        majors_unmapped).
    """
    region_names = _names(regions)
    notes, records = [], []
    if gaps is None or not len(gaps):
        return notes, records
    parents = {}
    if sectors is not None and len(sectors) and "parent" in sectors:
        parents = {str(c): p for c, p in zip(sectors["code"], sectors["parent"])}
    last = int(gaps["year"].max())
    reason = gaps["not_rated_reason"] if "not_rated_reason" in gaps else pd.Series(None, index=gaps.index)
    rated = reason.isna()
    school_regions = set(units["region"].astype(str))
    gap_regions = list(dict.fromkeys(gaps["region"].astype(str)))
    for region in sorted(gap_regions, key=lambda r: (r not in school_regions, r)):
        mask = (gaps["region"].astype(str) == region).to_numpy()
        sub, sub_rated = gaps[mask], rated[mask]
        by_sector = sub_rated.groupby(sub["sector"].astype(str)).agg(["all", "any"])
        n_sectors, n_all = len(by_sector), int(by_sector["all"].sum())
        n_some = int((by_sector["any"] & ~by_sector["all"]).sum())
        name_zh, name_en = region_names.get(region, (region, region))
        latest = sub[sub["year"] == last]
        sections = latest[[pd.isna(parents.get(str(s))) or parents.get(str(s)) in (None, "")
                           for s in latest["sector"].astype(str)]]
        openings = float(sections["openings_mean"].sum())
        share = float(sections["supply_mean"].sum()) / openings if openings > 0 else float("nan")
        record = {"region": region, "sectors": n_sectors, "sectors_rated": n_all,
                  "sectors_rated_some_years": n_some, "entrants_share": share, "year": last}
        if region in school_regions:
            here = units[units["region"].astype(str) == region]
            majors = sorted(set(here["major"].astype(str)))
            unmapped = [m for m in majors if m not in crosswalk_majors]
            listed = None
            if schools is not None and len(schools):
                listed = int((schools["region"].astype(str) == region).sum())
            record.update({"schools": int(here["school"].nunique()), "schools_listed": listed,
                           "majors": len(majors), "majors_unmapped": len(unmapped)})
            text = (f"supply coverage {region} {name_en}: {record['schools']} school(s) with enrolment"
                    + (f" (of {listed} in the schools table)" if listed is not None else "")
                    + f", {len(majors)} major(s)"
                    + (f" ({len(unmapped)} without a crosswalk row, e.g. {unmapped[0]}: not rated)" if unmapped
                       else "")
                    + (f"; local graduate entrants are {100 * share:.0f}% of the graduate openings in {last}"
                       if np.isfinite(share) else "")
                    + f"; {n_all} of {n_sectors} sectors have a rated ratio in every forecast year"
                    + (f", {n_some} in some years" if n_some else "")
                    + f", {n_sectors - n_all - n_some} none (no, negligible or incomplete local supply)")
            if n_all < n_sectors / 2:
                text += ("; fewer than half the sectors are rated: the enrolment data probably cover only some "
                         f"of {name_en}'s schools")
        else:
            reasons = sorted(set(reason[mask].dropna().astype(str)))
            cover = None
            text = (f"supply coverage {region} {name_en}: {n_all} of {n_sectors} sectors rated"
                    + (f" ({', '.join(reasons)} for the others)" if reasons else ""))
            if "incomplete_supply" in reasons:
                note = gaps.loc[mask & (reason == "incomplete_supply").to_numpy(), "rating_note_en"]
                cover = next((str(n) for n in note if isinstance(n, str)), None)
            if cover:
                text += f": {cover.removeprefix('not rated: ')}"
        records.append(record)
        notes.append(text)
    return notes, records
