"""The embedded default dataset: contract tables built from real files plus the seeded demo-city generator.

Real (talentcast/data/real/, provenance in SOURCE.md there; read by `talentcast.reference_data`): every province
and prefecture city, the sections, the whole MOE majors catalogue, provincial employment 2009-2015 and Liuzhou's
employment by section 2003-2015. Curated by hand (talentcast/data/reference/, each file described in its README):
English names, target divisions, programme length exceptions, occupation-group -> sector table, sector
parameters. Generated (talentcast.demo.generator, seeded): what no real source has about the demo city Liuzhou
(450200): its employment after 2015 and by division, schools, enrolment, vacancies, the crosswalk of its demo
majors and the sector parameters of its generated world.

`build_demo_tables(seed)` returns, for every contract table in contract order, `(frame, metadata)`.
`write_generated` writes them as the shipped files of `talentcast/data/generated/` with metadata.json and
GENERATED.md (`python -m talentcast.demo --write`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from features.contract import SCHEMAS, TABLE_NAMES
from talentcast import reference_data
from talentcast.demo.assumptions import (
    COMPLETION_RATE_RANGE,
    COVID_2020_FACTOR,
    DEFAULT_WORLD,
    DEMO_REGION,
    DIVISION_SHARE_NOISE_SD,
    DIVISION_YEARS,
    DIVISIONS,
    EMPLOYMENT_LOGIT_INTERCEPT,
    EMPLOYMENT_LOGIT_SLOPE,
    EMPLOYMENT_NOISE_SD,
    FESTIVAL_LULL,
    FESTIVAL_LULL_CUT,
    FURTHER_STUDY_SHARE,
    GRADUATION_BOOST_SEEKERS,
    INTAKE_BOUNDS,
    INTAKE_NOISE_SD,
    LAST_OBSERVED_YEAR,
    LOCAL_LOGIT_SLOPE,
    LOCAL_SHARE,
    MAX_DIVISIONS_SHARE,
    OFFERS,
    PES_POSTING_FACTOR,
    POST_FESTIVAL_BOOST,
    POST_FESTIVAL_WINDOW,
    REAL_YEARS,
    SCHOOL_EFFECT_SD,
    SCHOOLS,
    SECTION_GROWTH_NOISE_SD,
    SECTIONS,
    SPRING_FESTIVAL,
    TIGHTNESS_BOUNDS,
    VACANCY_NOISE_SD,
    VACANCY_RATIO_INTERCEPT,
    VACANCY_RATIO_SLOPE,
    WORLDS,
)
from talentcast.demo.generator import GeneratedData, RealInputs, default_seed, generate
from talentcast.provenance import GENERATED, REAL

DATA_DIR = reference_data.DATA_DIR
REAL_DIR = reference_data.REAL_DIR
REFERENCE_DIR = reference_data.REFERENCE_DIR
GENERATED_DIR = DATA_DIR / "generated"
PROVENANCE = reference_data.PROVENANCE
GENERATOR = "talentcast.demo.generator"  # named in the metadata of generated tables

EMPLOYMENT_FILE = reference_data.PROVINCIAL_EMPLOYMENT_FILE
CITY_EMPLOYMENT_FILE = reference_data.CITY_EMPLOYMENT_FILE
CATALOGUE_FILE = reference_data.CATALOGUE_FILE
LINKS_FILE = reference_data.LINKS_FILE
PERSONS_PER_10K = reference_data.PERSONS_PER_10K
# Rows of the employment table that are generated (a pandas query); every other row is real.
SYNTHETIC_EMPLOYMENT_ROWS = (f"region == '{DEMO_REGION}' and (year > {REAL_YEARS[-1]} or sector in "
                             f"{sorted(DIVISIONS)!r})")


def build_demo_tables(seed: int | None = None, world: str = DEFAULT_WORLD,
                      world_seed: int | None = None) -> dict[str, tuple[pd.DataFrame, dict]]:
    """Build every contract table of the default dataset.

    Args:
        seed: seed of the demo-city generator; None = `generator.default_seed()` (Settings.random_seed).
        world: the generated world, "structural" (the default demo data, shipped) or "alternative" (a structure
            unlike the model's; `generator.generate_alternative`). Both are GENERATED.
        world_seed: alternative world only, see `generator.generate`.

    Returns:
        {table: (frame, metadata)} in contract order (regions, sectors, employment, vacancies, majors,
        schools, enrolment, major_sector_map, sector_parameters). Frames have exactly the contract columns;
        metadata says which kind each table is (real / generated), whether rows are synthetic, their sources,
        the generator and seed, and the declared level shifts of the employment series.
    """
    seed = default_seed() if seed is None else int(seed)
    made = generate(demo_real_inputs(), seed, world, world_seed)
    return demo_tables_from(made, seed)


def demo_real_inputs() -> RealInputs:
    """The real and curated inputs of the demo generator (Liuzhou's real sections, catalogue, links ...)."""
    city = reference_data.city_employment([DEMO_REGION])[["sector", "year", "employed"]]
    return RealInputs(
        city_employment=city.reset_index(drop=True),
        majors=majors_table(),
        links=_read_real(LINKS_FILE),
        occupation_sector=_read_reference("occupation_sector.csv"),
        sector_parameters=sector_parameters_table(),
    )


def demo_tables_from(made: GeneratedData, seed: int) -> dict[str, tuple[pd.DataFrame, dict]]:
    """Contract tables (frame, metadata) of the default dataset around one generated city `made`."""
    employment = pd.concat([provincial_employment(), made.employment], ignore_index=True)
    frames = {
        "regions": regions_table(),
        "sectors": sectors_table(),
        "employment": employment,
        "vacancies": made.vacancies,
        "majors": majors_table(),
        "schools": made.schools,
        "enrolment": made.enrolment,
        "major_sector_map": made.major_sector_map,
        "sector_parameters": sector_parameters_table(),
    }
    metadata = table_metadata(seed, made.world)
    return {name: (conform_table(name, frames[name]), metadata[name]) for name in TABLE_NAMES}


def table_metadata(seed: int, world: str = DEFAULT_WORLD) -> dict[str, dict]:
    """Provenance of each default table: its kind (real or generated), sources, generator and seed (and the
    generated world when it is not the default one)."""
    real = lambda *files: [reference_data.real_path(f) for f in files]  # noqa: E731
    ref = lambda *files: [reference_data.reference_path(f) for f in files]  # noqa: E731
    synthetic = {"kind": GENERATED, "synthetic": True, "generator": GENERATOR, "seed": seed}
    if world != DEFAULT_WORLD:
        synthetic["world"] = world
    actual = {"kind": REAL, "synthetic": False}
    return {
        "regions": {**actual, "sources": real(EMPLOYMENT_FILE, CITY_EMPLOYMENT_FILE, reference_data.CITY_TOTALS_FILE)
                    + ref("region_names.csv"), "provenance": PROVENANCE},
        "sectors": {**actual, "sources": real(EMPLOYMENT_FILE) + ref("sector_divisions.csv"),
                    "provenance": PROVENANCE},
        "employment": {**synthetic, "sources": real(EMPLOYMENT_FILE, CITY_EMPLOYMENT_FILE),
                       "synthetic_rows": SYNTHETIC_EMPLOYMENT_ROWS, "provenance": PROVENANCE,
                       "breaks": reference_data.employment_breaks([EMPLOYMENT_FILE, CITY_EMPLOYMENT_FILE]),
                       "note": f"real: every province 2009-2015 (NBS) and Liuzhou's sections {REAL_YEARS[0]}-"
                               f"{REAL_YEARS[-1]} (City Statistical Yearbook), 万人 x 10,000 rounded to persons; "
                               "generated: Liuzhou after 2015 and its divisions"},
        "vacancies": {**synthetic, "sources": [], "provenance": PROVENANCE},
        "majors": {**actual, "sources": real(CATALOGUE_FILE) + ref("duration_exceptions.csv"),
                   "provenance": PROVENANCE,
                   "note": "English names exist for the demo majors only (curated translations)"},
        "schools": {**synthetic, "sources": [], "provenance": PROVENANCE,
                    "note": "fictional schools, marked （虚构） / (fictional)"},
        "enrolment": {**synthetic, "sources": [], "provenance": PROVENANCE},
        "major_sector_map": {**synthetic, "sources": real(LINKS_FILE) + ref("occupation_sector.csv"),
                             "provenance": PROVENANCE,
                             "note": "weights derived from the official links where a demo major has them, "
                                     "assumed otherwise (see GENERATED.md)"},
        "sector_parameters": {**synthetic, "sources": ref("sector_parameters.csv"), "provenance": PROVENANCE,
                              "note": "assumptions of the demo city's generated world, a stated reason per "
                                      "sector; not measured"},
    }


def regions_table() -> pd.DataFrame:
    """Every province and prefecture city (talentcast.reference_data.regions_table)."""
    return reference_data.regions_table()


def sectors_table() -> pd.DataFrame:
    """The 19 sections of the real employment file and the plan's target divisions (curated)."""
    return reference_data.sectors_table()


def majors_table() -> pd.DataFrame:
    """The whole MOE catalogue in contract form, with the demo majors' curated English names."""
    return reference_data.majors_table(name_en={offer.code: offer.name_en for offer in OFFERS})


def provincial_employment() -> pd.DataFrame:
    """Real employment by province x section x year, in persons (万人 x 10,000, rounded)."""
    return reference_data.provincial_employment()


def sector_parameters_table() -> pd.DataFrame:
    """Curated replacement rates and graduate entry shares of the demo city (reasons in the reference file)."""
    frame = _read_reference("sector_parameters.csv")
    return pd.DataFrame({"sector": frame["sector"],
                         "replacement_rate": frame["replacement_rate"].astype(float),
                         "graduate_entry_share": frame["graduate_entry_share"].astype(float)})


def canonical_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV bytes of `frame` in a fixed form (used for shipped files and checksums)."""
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def table_checksum(frame: pd.DataFrame) -> str:
    """sha256 of the canonical CSV of `frame`."""
    return hashlib.sha256(canonical_csv(frame)).hexdigest()


def conform_table(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Exactly the contract columns in contract order, with codes as str and numbers typed."""
    schema = SCHEMAS[table]
    out = {}
    for column in schema.columns:
        values = frame[column.name] if column.name in frame.columns else pd.Series(pd.NA, index=frame.index)
        if column.dtype in ("str", "period"):
            values = values.astype(object).where(values.notna(), None)
            values = values.map(lambda v: None if v is None else str(v))
        elif column.dtype == "int":
            values = values.astype("int64") if column.required else values.astype("Int64")
        elif column.dtype == "float":
            values = values.astype(float)
        out[column.name] = values.to_numpy() if column.dtype not in ("int",) else values.array
    return pd.DataFrame(out).reset_index(drop=True)


def _read_real(name: str) -> pd.DataFrame:
    return reference_data.read_real(name)


def _read_reference(name: str) -> pd.DataFrame:
    return reference_data.read_reference(name)


# --------------------------------------------------------------------------------------------------------------
# Shipping: CSV files, metadata.json and GENERATED.md (I/O at the edge; `python -m talentcast.demo --write`)
# --------------------------------------------------------------------------------------------------------------
def write_generated(directory: Path = GENERATED_DIR, seed: int | None = None) -> dict[str, Path]:
    """Write every default table as `<table>.csv`, plus metadata.json and GENERATED.md, into `directory`.

    Returns:
        {table: path of its CSV}.
    """
    seed = default_seed() if seed is None else int(seed)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tables = build_demo_tables(seed)
    paths: dict[str, Path] = {}
    summary: dict[str, dict] = {}
    for name, (frame, metadata) in tables.items():
        path = directory / f"{name}.csv"
        path.write_bytes(canonical_csv(frame))
        paths[name] = path
        summary[name] = {"file": path.name, "rows": len(frame), "sha256": table_checksum(frame),
                         "metadata": metadata}
    document = {"generator": GENERATOR, "seed": seed,
                "command": "python -m talentcast.demo --write", "label": "GENERATED, NOT OBSERVED "
                "(Liuzhou employment after 2015 and by division, schools, enrolment, vacancies, demo crosswalk, "
                "sector parameters); Liuzhou's sections 2003-2015 are real; see GENERATED.md",
                "tables": summary}
    (directory / "metadata.json").write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")
    frames = {name: frame for name, (frame, _) in tables.items()}
    (directory / "GENERATED.md").write_text(render_generated_md(frames, seed), encoding="utf-8")
    return paths


def _markdown_table(frame: pd.DataFrame) -> str:
    def cell(value: object) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return ""
        return str(value).replace("|", "/")

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def render_generated_md(frames: dict[str, pd.DataFrame], seed: int) -> str:
    """GENERATED.md: every assumption of the generator in one place, and what the data came out as."""
    majors = frames["majors"].set_index("code")
    sections = pd.DataFrame(
        [(c, a.growth_2016_2019, a.growth_2020_2025, a.why) for c, a in SECTIONS.items()],
        columns=["section", "log growth 2016-2019", "log growth 2020-2025", "why"])
    divisions = pd.DataFrame(
        [(c, a.parent, a.share_2009, a.drift_2010_2019, a.drift_2020_2025, a.why) for c, a in DIVISIONS.items()],
        columns=["division", "section", "share of section 2009", "share drift 2010-2019",
                 "share drift 2020-2025", "why"])
    schools = pd.DataFrame([(s.code, s.name, s.name_en, s.type) for s in SCHOOLS],
                           columns=["code", "name", "name_en", "type"])
    crosswalk = frames["major_sector_map"]
    mapped = crosswalk.groupby("major").apply(
        lambda g: ", ".join(f"{s} {w:.2f}" for s, w in zip(g["sector"], g["weight"])), include_groups=False)
    offers = pd.DataFrame([
        (o.code, majors.loc[o.code, "name_zh"], majors.loc[o.code, "level"],
         ", ".join(SCHOOLS[n - 1].code for n in o.schools), o.intake, o.trend, o.start,
         "assumed" if o.weights else "derived", mapped.get(o.code, ""), o.why)
        for o in OFFERS],
        columns=["major", "name", "level", "schools", "intake (start year)", "intake trend", "start",
                 "weights", "sector weights", "why"])
    enrolment = frames["enrolment"].dropna(subset=["graduates"])
    totals = enrolment.groupby(["major", "year"])[["graduates", "graduates_employed"]].sum()
    rates = (totals["graduates_employed"] / totals["graduates"]).unstack("year")
    recent = [y for y in range(LAST_OBSERVED_YEAR - 4, LAST_OBSERVED_YEAR + 1) if y in rates.columns]
    rates = rates[recent].astype(float).round(2)
    rates.insert(0, "name", rates.index.map(majors["name_zh"]))
    rates = rates.reset_index()
    employment = frames["employment"]
    city = employment[employment["region"] == DEMO_REGION].pivot(index="sector", columns="year", values="employed")
    shown = (2003, 2009, 2012, 2013, 2015, 2019, 2022, 2025)
    city_view = (city[list(shown)] / 1000).round(1).reset_index()
    city_view.columns = ["sector"] + [f"{y} (thousand)" for y in shown]

    text = f"""# GENERATED data of the demo city Liuzhou (柳州, 450200) — generated, not observed

Liuzhou's employment by section **{REAL_YEARS[0]}-{REAL_YEARS[-1]} is real** (China City Statistical Yearbook, 万人 x
10,000; `talentcast/data/real/SOURCE.md`). Everything else about Liuzhou in this folder is **synthetic**
(生成数据，非真实观测), because no real source has it: its employment after {REAL_YEARS[-1]} and by division
(C36 ...), the ten schools (all fictional, marked （虚构） / "(fictional)"), their enrolment and graduate
outcomes, the monthly vacancies, the crosswalk of the demo majors and the sector parameters of this generated
world. Each table's `metadata.json` entry says its kind (`real` / `generated`, `synthetic` true/false); the
employment table is real except the rows `{SYNTHETIC_EMPLOYMENT_ROWS}` (its `synthetic_rows`). The other
tables are real (every province and prefecture city, sections, the MOE catalogue, provincial employment
2009-2015) or curated by hand (`talentcast/data/reference/`, each file explained in its README).

- Generator: `talentcast/demo/generator.py`, seed **{seed}** (`numpy.random.SeedSequence(seed).spawn(4)`: one stream
  each for employment, intake, outcomes, vacancies). Same seed -> identical tables.
- Regenerate: `python -m talentcast.demo --write` (writes the CSVs, `metadata.json` and this file).
- In code: `talentcast.demo.build_demo_tables(seed=None)` builds the same tables in memory.
- This file is rendered from the constants in `talentcast/demo/assumptions.py`; edit them there, not here.

## Files
| file | rows | real / generated |
|---|---|---|
""" + "\n".join(
        f"| `{name}.csv` | {len(frame)} | {_provenance_label(name)} |" for name, frame in frames.items()) + f"""

## 1. Employment (employment.csv, rows with region 450200)

{REAL_YEARS[0]}-{REAL_YEARS[-1]}: Liuzhou's **real** section series (the city panel, 万人 x 10,000, rounded to
persons), not generated; it has the 2013 level break of the NBS survey frame (construction E 34,400 -> 160,800),
declared in the employment dataset's metadata (`"breaks": ["2013"]`) so that the forecasts re-level it.
2016-2025 (**generated**): log employment grows from the real 2015 level by the stated trend + N(0,
{SECTION_GROWTH_NOISE_SD}) a year. Rounded to persons.

{_markdown_table(sections)}

Divisions (GB/T 4754 divisions of the plan's target industries; **generated**, {DIVISION_YEARS[0]}-{DIVISION_YEARS[-1]}):
division = section x share, so a division follows its real section to 2015 (C36 is a share of real C); log share drifts
by the stated amount a year + N(0, {DIVISION_SHARE_NOISE_SD}) noise; the listed divisions of one section never
take more than {MAX_DIVISIONS_SHARE:.0%} of it (the remainder is the rest of the section).

{_markdown_table(divisions)}

As shipped (thousand persons; to 2015 real sections, generated divisions and later years):

{_markdown_table(city_view)}

## 2. Demand for graduates (used to drive outcomes and vacancies)

Same stock-flow method as `forecasting/demand.py`, at the finest level (divisions and the rest of each section):
openings(t) = max(E(t) - E(t-1), 0) + replacement_rate x E(t-1); graduate openings = openings x
graduate_entry_share. The sector parameters of this generated world are assumptions written in
`talentcast/data/reference/sector_parameters.csv` (a reason per sector), shipped as a generated table. Because the demo has ten of the city's schools, graduate_entry_share there is the share
of openings the city's own new graduates fill; the rest go to migrants, graduates from elsewhere and job changers.

## 3. Schools and intake (schools.csv, enrolment.csv)

{_markdown_table(schools)}

Intake of school s, major m, year t >= start: round(intake x school size factor x exp(trend x (t - start)) x
exp(N(0, {INTAKE_NOISE_SD}))), clipped to {INTAKE_BOUNDS}; school size factor = exp(N(0, 0.15)) per school x major.
Intake runs to 2026 (this year's admission). Graduates(t) = Binomial(intake(t - duration), completion rate) for
t <= {LAST_OBSERVED_YEAR}, completion rate drawn uniformly in {COMPLETION_RATE_RANGE} per school x major;
duration from the majors table (3 中职 / 3 高职专科 / 4 职业本科 / 4 本科). Empty graduates and outcomes = no
cohort has graduated yet (or the year is after {LAST_OBSERVED_YEAR}).

Demo majors (all real catalogue codes), their schools, intake assumptions and sector weights:

{_markdown_table(offers)}

**Sector weights (major_sector_map.csv).** "derived" = built by `features.crosswalk.build_major_sector_map`
from the real MOE teaching-standard links (`major_to_occupation_official_teaching_standards.csv`) through the
curated `talentcast/data/reference/occupation_sector.csv` (share of a major's linked occupations per sector,
longest occupation-code prefix wins, rounded to 4 decimals, the largest share absorbing the remainder so the
weights sum to 1). "assumed" = stated in `talentcast/demo/assumptions.py` (reason in the table): majors without links
(all 本科 majors, some 中职) and a few whose links list only generic jobs.

## 4. Graduate outcomes (enrolment.csv: graduates_employed, graduates_further_study, graduates_local)

- Expected local entrants of a school x major = graduates x (1 - further-study share of the level) x local share
  of the level; summed over majors with the sector weights per sector and year.
- Tightness(sector, year) = graduate openings / max(entrants, 1); clipped to {TIGHTNESS_BOUNDS} before logs.
- Pressure x(major, year) = sum over sectors of weight x log(tightness).
- Further study ~ Binomial(graduates, share of the level): {FURTHER_STUDY_SHARE}. (Demo values: the real national
  中职 share of graduates going on to study is higher, above 60%; kept low so employment-rate rules stay
  meaningful for 中职 majors. 毕业去向落实率 counts further study too.)
- Employed ~ Binomial(graduates - further study, logistic({EMPLOYMENT_LOGIT_INTERCEPT} + {EMPLOYMENT_LOGIT_SLOPE} x
  + school effect + noise)); school effect ~ N(0, {SCHOOL_EFFECT_SD}) per school x major, noise ~
  N(0, {EMPLOYMENT_NOISE_SD}) per year.
- Local ~ Binomial(employed, logistic(logit(local share of the level) + {LOCAL_LOGIT_SLOPE} x)); local shares
  {LOCAL_SHARE} (the plan's targets: 25% of higher-education graduates stay, 70% of 中职 work locally).

Employment rate (graduates_employed / graduates, all schools) as generated, last five years:

{_markdown_table(rates)}

## 5. Vacancies (vacancies.csv; public employment service, monthly 2019-01..2025-12, target divisions)

- Yearly postings = {PES_POSTING_FACTOR} x openings of the division; log(vacancies / job seekers) =
  {VACANCY_RATIO_INTERCEPT} + {VACANCY_RATIO_SLOPE} x log(tightness) (tight sectors have 求人倍率 above 1).
- Seasonality: each day in days {POST_FESTIVAL_WINDOW[0]}..{POST_FESTIVAL_WINDOW[1]} after 春节 carries
  (1 + {POST_FESTIVAL_BOOST}) times an ordinary day's volume (节后招聘高峰); days {FESTIVAL_LULL} around the
  festival carry {FESTIVAL_LULL_CUT} times; job seekers rise in June-July by {GRADUATION_BOOST_SEEKERS} (graduates
  leave school). Festival dates: {SPRING_FESTIVAL}.
- Early 2020 postings are cut by {COVID_2020_FACTOR} (COVID-19).
- Monthly log noise N(0, {VACANCY_NOISE_SD}) on vacancies and job seekers independently; rounded to persons.

## 6. Situations the data contains (they arise from the assumptions above; `tests/test_demo_data.py` checks them
from the tables)

- a growing sector short of graduates: automotive C36 (employment grows, graduate openings well above the
  entrants of the demo majors);
- shrinking sectors: construction machinery C35, construction E, real estate K and mining B after 2020;
- a major with an employment rate under 60% two years running, and majors under 40% (mining 620501,
  construction-machinery repair 700204, appliance repair 710105): material for red cards, shrink and suspend;
  real-estate management 440701 slides after the property slump (Liuzhou's real real-estate employment was
  large in 2013-2015, so it stays just above 60%);
- over-supplied majors (the sectors they feed have fewer graduate openings than entrants), and majors
  comfortably above 80% in growing sectors (automotive, rail, nursing, logistics): green cards and expand.
"""
    return text


def _provenance_label(table: str) -> str:
    return {
        "regions": "real (31 provinces, NBS; prefecture cities, city panel) + English names (curated, hand-verified or pinyin: reference/region_names.csv)",
        "sectors": "real (19 sections) + curated (8 target divisions)",
        "employment": f"real provinces 2009-2015 and Liuzhou sections {REAL_YEARS[0]}-{REAL_YEARS[-1]} (万人 x 10,000) "
                      f"+ **generated** Liuzhou {REAL_YEARS[-1] + 1}-2025 and divisions",
        "vacancies": "**generated**",
        "majors": "real (MOE catalogue, 1,935 majors) + curated (durations, English names of demo majors)",
        "schools": "**generated** (fictional)",
        "enrolment": "**generated**",
        "major_sector_map": "**generated** (derived from real links or assumed)",
        "sector_parameters": "**generated** (assumptions of the demo world, a reason per sector)",
    }.get(table, "")


def main(argv: list[str] | None = None) -> int:
    """Command line: print a summary, or `--write` the shipped files."""
    parser = argparse.ArgumentParser(prog="python -m talentcast.demo",
                                     description="Seeded synthetic data of the demo city (generated, not observed).")
    parser.add_argument("--write", action="store_true", help="write CSVs, metadata.json and GENERATED.md")
    parser.add_argument("--seed", type=int, default=None,
                        help=f"seed (default: Settings.random_seed, now {default_seed()})")
    parser.add_argument("--out", type=Path, default=GENERATED_DIR, help="output folder (default: shipped folder)")
    parser.add_argument("--world", choices=WORLDS, default=DEFAULT_WORLD,
                        help="generated world to summarise: structural (the shipped demo data) or alternative "
                             "(a structure unlike the model's; in memory only: talentcast.demo.worlds.build_world)")
    args = parser.parse_args(argv)
    if args.write and args.world != DEFAULT_WORLD:
        parser.error("only the structural world is written as files; build the alternative world in memory "
                     "(talentcast.demo.worlds.build_world('alternative')) / 只有 structural 世界写成文件")
    if args.write:
        paths = write_generated(args.out, args.seed)
        for name, path in paths.items():
            print(f"{name}: {path}")
        return 0
    for name, (frame, metadata) in build_demo_tables(args.seed, args.world).items():
        label = metadata.get("kind", "generated" if metadata.get("synthetic") else "real")
        label += f", world {metadata['world']}" if "world" in metadata else ""
        print(f"{name}: {len(frame)} rows ({label})")
    return 0
