"""The embedded default dataset: contract tables built from real files plus the seeded demo-city generator.

Real (talentcast/data/real/, provenance in SOURCE.md there): provinces and sections (NBS employment file),
the whole MOE majors catalogue, provincial employment 2009-2015. Curated by hand
(talentcast/data/reference/, each file described in its README): English names, target divisions, programme
length exceptions, occupation-group -> sector table, sector parameters. Generated (talentcast.generator, seeded):
everything about the demo city Liuzhou (450200): its employment rows, schools, enrolment, vacancies and the
crosswalk of its demo majors.

`build_demo_tables(seed)` returns, for every contract table in contract order, `(frame, metadata)`.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from features.contract import DEFAULT_DURATION_YEARS, SCHEMAS, TABLE_NAMES
from talentcast import generator

DATA_DIR = Path(__file__).resolve().parent / "data"
REAL_DIR = DATA_DIR / "real"
REFERENCE_DIR = DATA_DIR / "reference"
GENERATED_DIR = DATA_DIR / "generated"
PROVENANCE = "talentcast/data/real/SOURCE.md"

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
        seed: seed of the demo-city generator; None = `talentcast.generator.DEFAULT_SEED`.

    Returns:
        {table: (frame, metadata)} in contract order (regions, sectors, employment, vacancies, majors,
        schools, enrolment, major_sector_map, sector_parameters). Frames have exactly the contract columns;
        metadata says whether rows are synthetic, their sources, the generator and seed.
    """
    seed = generator.DEFAULT_SEED if seed is None else int(seed)
    regions = regions_table()
    sectors = sectors_table()
    majors = majors_table()
    parameters = sector_parameters_table()
    provincial = provincial_employment()
    guangxi = provincial.loc[provincial["region"] == generator.DEMO_PARENT_REGION, ["sector", "year", "employed"]]
    real = generator.RealInputs(
        guangxi_employment=guangxi.reset_index(drop=True),
        majors=majors,
        links=_read_real(LINKS_FILE),
        occupation_sector=_read_reference("occupation_sector.csv"),
        sector_parameters=parameters,
    )
    made = generator.generate(real, seed)
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
    synthetic = {"generator": "talentcast.generator", "seed": seed}
    return {
        "regions": {"synthetic": False, "sources": real(EMPLOYMENT_FILE) + ref("region_names.csv"),
                    "provenance": PROVENANCE},
        "sectors": {"synthetic": False, "sources": real(EMPLOYMENT_FILE) + ref("sector_divisions.csv"),
                    "provenance": PROVENANCE},
        "employment": {"synthetic": True, "sources": real(EMPLOYMENT_FILE), **synthetic,
                       "synthetic_rows": f"region == '{generator.DEMO_REGION}'", "provenance": PROVENANCE,
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
    english = {offer.code: offer.name_en for offer in generator.OFFERS}
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
