"""Generated worlds by name, with the truth a forecast of them is scored against. GENERATED, NOT OBSERVED.

    build_world("structural")                the default demo data (byte-identical to build_demo_tables())
    build_world("alternative")               the demo city in a world whose structure the model does not share
    build_world(name, copies=20)             a generated province of 20 copies of the demo city, one seed each
                                             (the alternative world's business cycle and true parameters are
                                             shared by all copies: shocks correlated across cities)

`World.tables` has the shape of `build_demo_tables` ({table: (frame, metadata)}), so anything that runs on the
demo data (the pipeline, a backtest) runs on either world; `World.truth` is the ratio that came about per
(region, sector, year) at the nodes the pipeline reports (sections include their divisions):

- structural: the model's own accounting applied to the realised tables (separations method at the published
  central parameters; job seekers = graduates not studying on x local share of the employed) - true by
  construction, which flatters the model;
- alternative: the world's hidden truth (true separations and entry shares, graduates who really stayed to
  seek work in the city, true flows to sectors), which the model can only estimate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting.demand import openings_from_employment
from forecasting.supply import allocate_to_sectors
from talentcast.demo.assumptions import DEFAULT_WORLD, DEMO_REGION, DIVISIONS, WORLDS
from talentcast.demo.generator import GeneratedData, default_seed, finest_levels, generate
from talentcast.demo.tables import (
    conform_table,
    demo_real_inputs,
    demo_tables_from,
    majors_table,
    regions_table,
    sector_parameters_table,
    sectors_table,
    table_metadata,
)

COPIES_PROVINCE = "980000"  # the generated province holding copies of the demo city (not a real code)


@dataclass
class World:
    """A generated world: contract tables (as `build_demo_tables`), the truth to score against and the hidden
    parts (alternative world: regimes and true sector parameters) per city."""

    name: str
    seed: int
    tables: dict[str, tuple[pd.DataFrame, dict]]
    truth: pd.DataFrame  # region, sector, year, graduate_openings, job_seekers, ratio
    hidden: dict[str, dict] = field(default_factory=dict)
    # The ratio a planner can compute from the tables (the model's own accounting of the realised data), same
    # columns as truth; equal to truth in the structural world.
    observed: pd.DataFrame = field(default_factory=pd.DataFrame)

    def frames(self) -> dict[str, pd.DataFrame]:
        """{table: frame} without the metadata."""
        return {name: frame for name, (frame, _meta) in self.tables.items()}


def build_world(name: str = DEFAULT_WORLD, seed: int | None = None, copies: int = 1, draws: int = 1) -> World:
    """Build a generated world by name.

    Args:
        name: one of WORLDS ("structural", "alternative").
        seed: seed of the (first) city; None = Settings.random_seed. Copy k uses seed + k; the alternative
            world's shared parts use `seed` for every copy.
        copies: 1 = the demo city Liuzhou (450200) as shipped; more = a generated province (980000) of that many
            copies of the demo city (cities 980100, 980200 ...; schools suffixed -01, -02 ...), each with its own
            seed. Every copy starts from Liuzhou's real 2003-2015 sections; everything after is generated.
        draws: alternative world with copies: how many independent draws of what cities share (cycle, common
            shocks, true parameters); copy k gets draw k % draws (world seed `seed + 1000 x draw`; draw 0 uses
            `seed`). 1 = one world for all copies.

    Returns:
        World.
    """
    if name not in WORLDS:
        raise ValueError(f"unknown generated world {name!r}; choose one of {', '.join(WORLDS)}")
    if copies < 1:
        raise ValueError(f"copies must be at least 1, got {copies}")
    seed = default_seed() if seed is None else int(seed)
    real = demo_real_inputs()
    if copies == 1:
        made = generate(real, seed, name, seed)
        tables = demo_tables_from(made, seed)
        return World(name, seed, tables, city_truth(made, DEMO_REGION), {DEMO_REGION: made.hidden},
                     accounting_ratios(made, DEMO_REGION))
    if not 1 <= draws <= copies:
        raise ValueError(f"draws must be between 1 and copies ({copies}), got {draws}")
    cities = [f"98{k + 1:02d}00" for k in range(copies)]
    made = {city: generate(real, seed + k, name, seed + 1000 * (k % draws)) for k, city in enumerate(cities)}
    frames = _copies_frames(made)
    metadata = table_metadata(seed, name)
    for kind in ("regions", "employment", "schools", "enrolment", "vacancies"):
        metadata[kind] = {**metadata[kind], "kind": "generated", "synthetic": True,
                          "note": f"GENERATED province {COPIES_PROVINCE} of {copies} copies of the demo city "
                                  f"(seeds {seed}..{seed + copies - 1}, world {name}, {draws} world draw(s)); "
                                  "not a real place"}
    tables = {kind: (conform_table(kind, frame), metadata[kind]) for kind, frame in frames.items()}
    truth = pd.concat([city_truth(m, city) for city, m in made.items()], ignore_index=True)
    observed = pd.concat([accounting_ratios(m, city) for city, m in made.items()], ignore_index=True)
    return World(name, seed, tables, truth, {city: m.hidden for city, m in made.items()}, observed)


def _copies_frames(made: dict[str, GeneratedData]) -> dict[str, pd.DataFrame]:
    """Contract frames of a generated province made of the generated cities `made` (region code -> city)."""
    regions = pd.concat([regions_table(), pd.DataFrame(
        {"code": [COPIES_PROVINCE, *made], "name_zh": ["生成省（虚构）", *[f"生成市{c[2:4]}（虚构，演示城市副本）"
                                                                     for c in made]],
         "name_en": ["Generated province (fictional)", *[f"Generated city {c[2:4]} (copy of the demo city)"
                                                          for c in made]],
         "parent": [None, *[COPIES_PROVINCE] * len(made)],
         "level": ["province", *["city"] * len(made)]})], ignore_index=True)
    suffix = {city: f"-{city[2:4]}" for city in made}
    employment, schools, enrolment, vacancies = [], [], [], []
    for city, m in made.items():
        employment.append(m.employment.assign(region=city))
        schools.append(m.schools.assign(region=city, code=m.schools["code"] + suffix[city],
                                        name=m.schools["name"] + suffix[city]))
        enrolment.append(m.enrolment.assign(school=m.enrolment["school"] + suffix[city]))
        vacancies.append(m.vacancies.assign(region=city))
    first = next(iter(made.values()))
    return {"regions": regions, "sectors": sectors_table(), "employment": pd.concat(employment, ignore_index=True),
            "vacancies": pd.concat(vacancies, ignore_index=True), "majors": majors_table(),
            "schools": pd.concat(schools, ignore_index=True), "enrolment": pd.concat(enrolment, ignore_index=True),
            "major_sector_map": first.major_sector_map, "sector_parameters": sector_parameters_table()}


def city_truth(made: GeneratedData, region: str) -> pd.DataFrame:
    """The ratio that came about in one generated city, per (sector node, year): see the module docstring.

    Returns:
        region, sector, year, graduate_openings, job_seekers, ratio (= openings / max(job seekers, 1)).
    """
    if made.world == "alternative":
        finest = made.tightness.rename(columns={"entrants": "job_seekers"})[
            ["sector", "year", "graduate_openings", "job_seekers"]]
        return _node_ratios(finest, region)
    return accounting_ratios(made, region)


def accounting_ratios(made: GeneratedData, region: str) -> pd.DataFrame:
    """The model's own accounting applied to a generated city's tables: graduate openings of the realised
    employment (separations method, published central parameters) / job seekers (graduates not studying on x
    local share of the employed, by the published crosswalk). What a planner can compute from the data; the truth
    of the structural world. Columns as `city_truth`."""
    wide = finest_levels(made.employment)
    long = wide.stack().rename("employed").reset_index().assign(region=region)
    openings = openings_from_employment(long.dropna(subset=["employed"]), sector_parameters_table())
    e = made.enrolment.dropna(subset=["graduates", "graduates_employed", "graduates_local"])
    employed = e["graduates_employed"].astype(float)
    local_share = (e["graduates_local"].astype(float) / employed.where(employed > 0)).fillna(0.0)
    seekers = (e["graduates"].astype(float) - e["graduates_further_study"].astype(float).fillna(0)) * local_share
    supply = allocate_to_sectors(e.assign(region=region, job_seekers=seekers)[["region", "major", "year",
                                                                               "job_seekers"]],
                                 made.major_sector_map, value="job_seekers")
    finest = openings[["sector", "year", "graduate_openings"]].merge(
        supply[["sector", "year", "job_seekers"]], on=["sector", "year"], how="left").fillna({"job_seekers": 0.0})
    return _node_ratios(finest, region)


def _node_ratios(finest: pd.DataFrame, region: str) -> pd.DataFrame:
    """Finest-level openings and job seekers -> the pipeline's nodes: divisions as they are, a section = its
    rest + its divisions (both sides summed, as the pipeline sums openings of atoms and counts a division's
    supply in its section)."""
    section_of = {code: d.parent for code, d in DIVISIONS.items()}
    parts = finest.assign(node=finest["sector"].astype(str).map(lambda s: section_of.get(s, s)))
    sections = parts.groupby(["node", "year"], as_index=False)[["graduate_openings", "job_seekers"]].sum()
    sections = sections.rename(columns={"node": "sector"})
    divisions = finest[finest["sector"].isin(list(section_of))]
    out = pd.concat([sections, divisions[sections.columns]], ignore_index=True)
    out["ratio"] = out["graduate_openings"] / np.maximum(out["job_seekers"], 1.0)
    out.insert(0, "region", region)
    return out.sort_values(["sector", "year"], ignore_index=True)


def alternative_tables() -> dict[str, tuple[pd.DataFrame, dict]]:
    """The demo city in the alternative world, shaped like `build_demo_tables()` (a zero-argument function for
    benchmarks that take `module:function`, e.g. `benchmarks/warning_backtest_affected.py --tables
    talentcast.demo.worlds:alternative_tables`)."""
    return build_world("alternative").tables
