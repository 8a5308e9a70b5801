"""The embedded default dataset: contract tables built from real files plus the seeded demo-city generator.

Real (talentcast/data/real/, provenance in SOURCE.md there): provinces and sections (NBS employment file),
the whole MOE majors catalogue, provincial employment 2009-2015. Curated by hand
(talentcast/data/reference/, each file described in its README): English names, target divisions, programme
length exceptions, occupation-group -> sector table, sector parameters. Generated (talentcast.demo.generator, seeded):
everything about the demo city Liuzhou (450200): its employment rows, schools, enrolment, vacancies and the
crosswalk of its demo majors.

`build_demo_tables(seed)` returns, for every contract table in contract order, `(frame, metadata)`.
`write_generated` writes them as the shipped files of `talentcast/data/generated/` with metadata.json and
GENERATED.md (`python -m talentcast.demo --write`).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from features.contract import DEFAULT_DURATION_YEARS, SCHEMAS, TABLE_NAMES
from talentcast.demo.assumptions import (
    COMPLETION_RATE_RANGE,
    COVID_2020_FACTOR,
    DEMO_PARENT_REGION,
    DEMO_REGION,
    DIVISION_SHARE_NOISE_SD,
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
    SCHOOL_EFFECT_SD,
    SCHOOLS,
    SECTION_GROWTH_NOISE_SD,
    SECTION_SHARE_NOISE_SD,
    SECTIONS,
    SPRING_FESTIVAL,
    TIGHTNESS_BOUNDS,
    VACANCY_NOISE_SD,
    VACANCY_RATIO_INTERCEPT,
    VACANCY_RATIO_SLOPE,
)
from talentcast.demo.generator import RealInputs, default_seed, generate

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
REAL_DIR = DATA_DIR / "real"
REFERENCE_DIR = DATA_DIR / "reference"
GENERATED_DIR = DATA_DIR / "generated"
PROVENANCE = "talentcast/data/real/SOURCE.md"
GENERATOR = "talentcast.demo.generator"  # named in the metadata of generated tables

EMPLOYMENT_FILE = "employment_by_province_sector_2009_2015.csv"
CATALOGUE_FILE = "moe_majors_catalog.csv"
LINKS_FILE = "major_to_occupation_official_teaching_standards.csv"
PERSONS_PER_10K = 10_000

# The catalogue's level names -> the contract's level names.
CATALOGUE_LEVELS = {
    "中等职业教育": "中职",
    "高等职业教育专科": "高职专科",
    "高等职业教育本科": "职业本科",
    "普通本科": "本科",
}


def build_demo_tables(seed: int | None = None) -> dict[str, tuple[pd.DataFrame, dict]]:
    """Build every contract table of the default dataset.

    Args:
        seed: seed of the demo-city generator; None = `generator.default_seed()` (Settings.random_seed).

    Returns:
        {table: (frame, metadata)} in contract order (regions, sectors, employment, vacancies, majors,
        schools, enrolment, major_sector_map, sector_parameters). Frames have exactly the contract columns;
        metadata says whether rows are synthetic, their sources, the generator and seed.
    """
    seed = default_seed() if seed is None else int(seed)
    regions = regions_table()
    sectors = sectors_table()
    majors = majors_table()
    parameters = sector_parameters_table()
    provincial = provincial_employment()
    guangxi = provincial.loc[provincial["region"] == DEMO_PARENT_REGION, ["sector", "year", "employed"]]
    real = RealInputs(
        guangxi_employment=guangxi.reset_index(drop=True),
        majors=majors,
        links=_read_real(LINKS_FILE),
        occupation_sector=_read_reference("occupation_sector.csv"),
        sector_parameters=parameters,
    )
    made = generate(real, seed)
    employment = pd.concat([provincial, made.employment], ignore_index=True)

    frames = {
        "regions": regions,
        "sectors": sectors,
        "employment": employment,
        "vacancies": made.vacancies,
        "majors": majors,
        "schools": made.schools,
        "enrolment": made.enrolment,
        "major_sector_map": made.major_sector_map,
        "sector_parameters": parameters,
    }
    metadata = table_metadata(seed)
    return {name: (_conform(name, frames[name]), metadata[name]) for name in TABLE_NAMES}


def table_metadata(seed: int) -> dict[str, dict]:
    """Provenance of each default table: real, curated or generated (and by which seed)."""
    real = lambda *files: [f"talentcast/data/real/{f}" for f in files]  # noqa: E731
    ref = lambda *files: [f"talentcast/data/reference/{f}" for f in files]  # noqa: E731
    synthetic = {"generator": GENERATOR, "seed": seed}
    return {
        "regions": {"synthetic": False, "sources": real(EMPLOYMENT_FILE) + ref("region_names.csv"),
                    "provenance": PROVENANCE},
        "sectors": {"synthetic": False, "sources": real(EMPLOYMENT_FILE) + ref("sector_divisions.csv"),
                    "provenance": PROVENANCE},
        "employment": {"synthetic": True, "sources": real(EMPLOYMENT_FILE), **synthetic,
                       "synthetic_rows": f"region == '{DEMO_REGION}'", "provenance": PROVENANCE,
                       "note": "provincial rows are real NBS data (万人 x 10,000, rounded to persons); "
                               "the Liuzhou rows are generated"},
        "vacancies": {"synthetic": True, "sources": [], **synthetic, "provenance": PROVENANCE},
        "majors": {"synthetic": False, "sources": real(CATALOGUE_FILE) + ref("duration_exceptions.csv"),
                   "provenance": PROVENANCE,
                   "note": "English names exist for the demo majors only (curated translations)"},
        "schools": {"synthetic": True, "sources": [], **synthetic, "provenance": PROVENANCE,
                    "note": "fictional schools, marked （虚构） / (fictional)"},
        "enrolment": {"synthetic": True, "sources": [], **synthetic, "provenance": PROVENANCE},
        "major_sector_map": {"synthetic": True, "sources": real(LINKS_FILE) + ref("occupation_sector.csv"),
                             **synthetic, "provenance": PROVENANCE,
                             "note": "weights derived from the official links where a demo major has them, "
                                     "assumed otherwise (see GENERATED.md)"},
        "sector_parameters": {"synthetic": False, "sources": ref("sector_parameters.csv"),
                              "provenance": PROVENANCE,
                              "note": "curated assumptions with a stated reason per sector"},
    }


def regions_table() -> pd.DataFrame:
    """Provinces from the real employment file, with curated English names, plus Guangxi's cities."""
    names = _read_reference("region_names.csv")
    provinces = _read_real(EMPLOYMENT_FILE)[["region_code", "region_name"]].drop_duplicates("region_code")
    provinces = provinces.rename(columns={"region_code": "code", "region_name": "name_zh"})
    provinces = provinces.merge(names[["code", "name_en"]], on="code", how="left")
    provinces = provinces.assign(parent=pd.NA, level="province")
    cities = names.loc[names["level"] == "city"]
    frame = pd.concat([provinces, cities], ignore_index=True)
    return frame[["code", "name_zh", "name_en", "parent", "level"]]


def sectors_table() -> pd.DataFrame:
    """The 19 sections of the real employment file and the plan's target divisions (curated)."""
    sections = _read_real(EMPLOYMENT_FILE)[["sector_code", "sector_name_zh", "sector_name_en"]]
    sections = sections.drop_duplicates("sector_code").rename(
        columns={"sector_code": "code", "sector_name_zh": "name_zh", "sector_name_en": "name_en"})
    sections = sections.assign(parent=pd.NA)
    divisions = _read_reference("sector_divisions.csv")[["code", "name_zh", "name_en", "parent"]]
    frame = pd.concat([sections, divisions], ignore_index=True)
    return frame.sort_values("code", ignore_index=True)


def majors_table() -> pd.DataFrame:
    """The whole MOE catalogue in contract form (level names, programme lengths, 专业类)."""
    catalogue = _read_real(CATALOGUE_FILE)
    level = catalogue["level_zh"].map(CATALOGUE_LEVELS)
    unknown = catalogue.loc[level.isna(), "level_zh"].unique()
    if len(unknown):
        raise ValueError(f"{CATALOGUE_FILE}: unknown level(s) {list(unknown)}")
    duration = level.map(DEFAULT_DURATION_YEARS).astype("int64")
    exceptions = _read_reference("duration_exceptions.csv")
    # Longest prefix last, so that it overrides a shorter one.
    exceptions = exceptions.assign(length=exceptions["code_prefix"].str.len()).sort_values("length")
    undergraduate = level == "本科"
    for prefix, years in zip(exceptions["code_prefix"], exceptions["duration_years"].astype(int)):
        duration[undergraduate & catalogue["code"].str.startswith(prefix)] = years
    english = {offer.code: offer.name_en for offer in OFFERS}
    frame = pd.DataFrame({
        "code": catalogue["code"],
        "name_zh": catalogue["name"],
        "name_en": catalogue["code"].map(english),
        "level": level,
        # "0802 机械类" and "4607汽车制造类" are written both ways in the source; keep one form.
        "category": catalogue["category"].str.replace(r"^(\d+)\s+", r"\1", regex=True),
        "duration_years": duration,
    })
    return frame.sort_values("code", ignore_index=True)


def provincial_employment() -> pd.DataFrame:
    """Real employment by province x section x year, in persons (万人 x 10,000, rounded)."""
    raw = _read_real(EMPLOYMENT_FILE)
    employed = np.round(pd.to_numeric(raw["employed_10k"]) * PERSONS_PER_10K)
    frame = pd.DataFrame({"region": raw["region_code"], "sector": raw["sector_code"],
                          "year": raw["year"].astype("int64"), "employed": employed.astype(float)})
    return frame.dropna(subset=["employed"]).reset_index(drop=True)


def sector_parameters_table() -> pd.DataFrame:
    """Curated replacement rates and graduate entry shares (reasons in the reference file)."""
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


def _conform(table: str, frame: pd.DataFrame) -> pd.DataFrame:
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


@functools.lru_cache(maxsize=None)
def _read_cached(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")


def _read_real(name: str) -> pd.DataFrame:
    return _read_cached(str(REAL_DIR / name)).copy()


def _read_reference(name: str) -> pd.DataFrame:
    return _read_cached(str(REFERENCE_DIR / name)).copy()


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
                "(Liuzhou rows, schools, enrolment, vacancies, demo crosswalk); see GENERATED.md",
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
        [(c, a.share_of_guangxi, a.growth_2016_2019, a.growth_2020_2025, a.why) for c, a in SECTIONS.items()],
        columns=["section", "share of Guangxi 2009-2015", "log growth 2016-2019", "log growth 2020-2025", "why"])
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
    city_view = (city[[2009, 2013, 2015, 2019, 2022, 2025]] / 1000).round(1).reset_index()
    city_view.columns = ["sector"] + [f"{y} (thousand)" for y in (2009, 2013, 2015, 2019, 2022, 2025)]

    text = f"""# GENERATED data of the demo city Liuzhou (柳州, 450200) — generated, not observed

Everything about Liuzhou in this folder is **synthetic** (生成数据，非真实观测): its employment rows, the ten
schools (all fictional, marked （虚构） / "(fictional)"), their enrolment and graduate outcomes, the monthly
vacancies and the crosswalk of the demo majors. The other rows are real (provinces, sections, the MOE
catalogue, provincial employment 2009-2015; provenance in `talentcast/data/real/SOURCE.md`) or curated by hand
(`talentcast/data/reference/`, each file explained in its README).

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

2009-2015: Liuzhou section = share x Guangxi's **real** section value x exp(N(0, {SECTION_SHARE_NOISE_SD})),
so the real 2013 level break of the NBS series (survey frame change) is visible in Liuzhou too.
2016-2025: log employment grows by the stated trend + N(0, {SECTION_GROWTH_NOISE_SD}) a year. Rounded to persons.

{_markdown_table(sections)}

Divisions (GB/T 4754 divisions of the plan's target industries): division = section x share; log share drifts
by the stated amount a year + N(0, {DIVISION_SHARE_NOISE_SD}) noise; the listed divisions of one section never
take more than {MAX_DIVISIONS_SHARE:.0%} of it (the remainder is the rest of the section).

{_markdown_table(divisions)}

As generated (thousand persons):

{_markdown_table(city_view)}

## 2. Demand for graduates (used to drive outcomes and vacancies)

Same stock-flow method as `forecasting/demand.py`, at the finest level (divisions and the rest of each section):
openings(t) = max(E(t) - E(t-1), 0) + replacement_rate x E(t-1); graduate openings = openings x
graduate_entry_share. The sector parameters are curated in `talentcast/data/reference/sector_parameters.csv`
(a reason per sector). Because the demo has ten of the city's schools, graduate_entry_share there is the share
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
- a major with an employment rate under 60% two years running, and majors under 40% (real-estate management
  440701 after the property slump, mining 620501, appliance repair 710105): material for red cards, shrink
  and suspend;
- over-supplied majors (the sectors they feed have fewer graduate openings than entrants), and majors
  comfortably above 80% in growing sectors (automotive, rail, nursing, logistics): green cards and expand.
"""
    return text


def _provenance_label(table: str) -> str:
    return {
        "regions": "real (provinces, NBS) + curated (English names, Guangxi's cities)",
        "sectors": "real (19 sections) + curated (8 target divisions)",
        "employment": "real provinces 2009-2015 (万人 x 10,000) + **generated** Liuzhou 2009-2025",
        "vacancies": "**generated**",
        "majors": "real (MOE catalogue, 1,935 majors) + curated (durations, English names of demo majors)",
        "schools": "**generated** (fictional)",
        "enrolment": "**generated**",
        "major_sector_map": "**generated** (derived from real links or assumed)",
        "sector_parameters": "curated assumptions",
    }.get(table, "")


def main(argv: list[str] | None = None) -> int:
    """Command line: print a summary, or `--write` the shipped files."""
    parser = argparse.ArgumentParser(prog="python -m talentcast.demo",
                                     description="Seeded synthetic data of the demo city (generated, not observed).")
    parser.add_argument("--write", action="store_true", help="write CSVs, metadata.json and GENERATED.md")
    parser.add_argument("--seed", type=int, default=None,
                        help=f"seed (default: Settings.random_seed, now {default_seed()})")
    parser.add_argument("--out", type=Path, default=GENERATED_DIR, help="output folder (default: shipped folder)")
    args = parser.parse_args(argv)
    if args.write:
        paths = write_generated(args.out, args.seed)
        for name, path in paths.items():
            print(f"{name}: {path}")
        return 0
    for name, (frame, metadata) in build_demo_tables(args.seed).items():
        label = "generated" if metadata.get("synthetic") else "real/curated"
        print(f"{name}: {len(frame)} rows ({label})")
    return 0
