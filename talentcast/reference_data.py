"""The real and curated tables talentcast ships, in contract form, read from talentcast/data (read-only).

Real files (`talentcast/data/real/`, provenance in SOURCE.md there) and curated tables
(`talentcast/data/reference/`, README there) become contract tables here, once for every caller: the demo
(`talentcast.demo.tables`), the workspaces of `talentcast init` (`talentcast.workspace`) and the tests.

    regions_table()        every province (31) and prefecture city (296): GB/T 2260 codes, Chinese and English names
    sectors_table()        the 19 GB/T 4754 sections and the divisions the plans name
    majors_table()         the whole MOE catalogue (1,935 majors) as a valid contract `majors` table
    provincial_employment()  NBS employment by province x section, 2009-2015, persons
    city_employment()        City Statistical Yearbook employment by city x section, 2003-2015, persons
    national_employment()    both: every province and every prefecture city (a national run)
    employment_breaks()      declared level shifts of the employment files (the NBS 2013 survey-frame break)

The pipeline (`forecasting.pipeline.run_pipeline`) does no I/O: when a run has no `major_sector_map`, it builds
one from the `major_occupation_links` and `occupation_sector` tables it is given. This module reads the packaged
ones (the official MOE major -> occupation links and the curated occupation -> sector table), so every caller
that runs the pipeline on stored data (`talentcast.service`) hands it the same tables:

    run_pipeline(with_crosswalk_reference(tables), ...)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from features.contract import DEFAULT_DURATION_YEARS
from forecasting.breaks import declared_breaks
from forecasting.pipeline import CROSSWALK_SOURCES

DATA_DIR = Path(__file__).resolve().parent / "data"
REAL_DIR = DATA_DIR / "real"
REFERENCE_DIR = DATA_DIR / "reference"
PROVENANCE = "talentcast/data/real/SOURCE.md"

PROVINCIAL_EMPLOYMENT_FILE = "employment_by_province_sector_2009_2015.csv"
CITY_EMPLOYMENT_FILE = "city_employment_by_sector_2003_2015.csv"
CITY_TOTALS_FILE = "city_totals_2003_2015.csv"
CATALOGUE_FILE = "moe_majors_catalog.csv"
LINKS_FILE = "major_to_occupation_official_teaching_standards.csv"
MAJOR_OCCUPATION_LINKS_FILE = REAL_DIR / LINKS_FILE
OCCUPATION_SECTOR_FILE = REFERENCE_DIR / "occupation_sector.csv"
PERSONS_PER_10K = 10_000
# The four municipalities (直辖市) are provinces with no prefecture cities. The city panel has rows for them too
# (2003-2015), but over 2009-2015 they do not match the NBS provincial series everywhere (share of section-years
# more than 5% apart: Beijing 0.8%, Tianjin 0.8%, Shanghai 28%, Chongqing 71%), so only the NBS series is used.
MUNICIPALITIES = ("110000", "120000", "310000", "500000")

# The catalogue's level codes -> the contract's level names (features.contract.MAJOR_LEVELS).
CATALOGUE_LEVELS = {
    "voc_secondary": "中职",
    "voc_associate": "高职专科",
    "voc_bachelor": "职业本科",
    "ug_bachelor": "本科",
}


def real_path(name: str) -> str:
    """The project-relative path of a real file, as dataset metadata names it."""
    return f"talentcast/data/real/{name}"


def reference_path(name: str) -> str:
    """The project-relative path of a curated file, as dataset metadata names it."""
    return f"talentcast/data/reference/{name}"


# ----------------------------------------------------------------------------------------------- regions


def provinces_table() -> pd.DataFrame:
    """The 31 provinces of the NBS file (codes, Chinese names) with curated English names (region_names.csv)."""
    names = read_reference("region_names.csv")
    provinces = read_real(PROVINCIAL_EMPLOYMENT_FILE)[["region_code", "region_name"]].drop_duplicates("region_code")
    provinces = provinces.rename(columns={"region_code": "code", "region_name": "name_zh"})
    provinces = provinces.merge(names[["code", "name_en"]], on="code", how="left")
    return provinces.assign(parent=None, level="province")[["code", "name_zh", "name_en", "parent", "level"]]


def cities_table() -> pd.DataFrame:
    """Every prefecture city of the city panel (both files): code, Chinese and English name, parent province.

    Names come from reference/region_names.csv (one row per city: the panel's short name + 市, or the official
    name where the unit is no 市 (632500 海南藏族自治州); English by pinyin, hand-verified where the official
    name differs (Hohhot, Urumqi, Lhasa), see its `name_en_source`). A city the file lacks (a newer panel) gets
    its short name + 市 and no English name. The four municipalities (北京, 天津, 上海, 重庆) appear in the
    panel under their province code: they are provinces here, not cities.
    """
    columns = ["region_code", "region_name", "province_code"]
    panel = pd.concat([read_real(CITY_EMPLOYMENT_FILE)[columns], read_real(CITY_TOTALS_FILE)[columns]])
    panel = panel.drop_duplicates("region_code")
    panel = panel[panel["region_code"] != panel["province_code"]]
    names = read_reference("region_names.csv")
    chinese, english = dict(zip(names["code"], names["name_zh"])), dict(zip(names["code"], names["name_en"]))
    frame = pd.DataFrame({
        "code": panel["region_code"],
        "name_zh": [chinese.get(code) or (n if n.endswith("市") else f"{n}市")
                    for code, n in zip(panel["region_code"], panel["region_name"])],
        "name_en": panel["region_code"].map(english),
        "parent": panel["province_code"],
        "level": "city",
    })
    return frame.sort_values("code", ignore_index=True)


def regions_table() -> pd.DataFrame:
    """Every province, then every prefecture city (GB/T 2260 codes, Chinese names, parent links)."""
    frame = pd.concat([provinces_table(), cities_table()], ignore_index=True)
    return frame.astype(object).where(frame.notna(), None)


# ----------------------------------------------------------------------------------------------- sectors


def sectors_table() -> pd.DataFrame:
    """The 19 sections of the real employment file and the plan's target divisions (curated)."""
    sections = read_real(PROVINCIAL_EMPLOYMENT_FILE)[["sector_code", "sector_name_zh", "sector_name_en"]]
    sections = sections.drop_duplicates("sector_code").rename(
        columns={"sector_code": "code", "sector_name_zh": "name_zh", "sector_name_en": "name_en"})
    sections = sections.assign(parent=None)
    divisions = read_reference("sector_divisions.csv")[["code", "name_zh", "name_en", "parent"]]
    frame = pd.concat([sections, divisions], ignore_index=True)
    return frame.sort_values("code", ignore_index=True)


def division_codes() -> list[str]:
    """The curated divisions (C36, ...): no real series exists for them below the province."""
    return sorted(read_reference("sector_divisions.csv")["code"])


# ----------------------------------------------------------------------------------------------- majors


def majors_table(name_en: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The whole MOE catalogue as a contract `majors` table (valid under features.validation).

    The raw catalogue is not one: its levels are codes (voc_associate), it has no programme length and two
    spellings of 专业类. Here: level voc_secondary -> 中职, voc_associate -> 高职专科, voc_bachelor -> 职业本科,
    ug_bachelor -> 本科; duration_years 3 / 3 / 4 / 4, with the 本科 exceptions of
    reference/duration_exceptions.csv (longest code prefix wins); category written "4607汽车制造类".

    Args:
        name_en: optional English names by major code (the demo's curated translations).
    """
    catalogue = read_real(CATALOGUE_FILE)
    level = catalogue["level"].map(CATALOGUE_LEVELS)
    unknown = catalogue.loc[level.isna(), "level"].unique()
    if len(unknown):
        raise ValueError(f"{CATALOGUE_FILE}: unknown level(s) {list(unknown)}")
    duration = level.map(DEFAULT_DURATION_YEARS).astype("int64")
    exceptions = read_reference("duration_exceptions.csv")
    # Longest prefix last, so that it overrides a shorter one.
    exceptions = exceptions.assign(length=exceptions["code_prefix"].str.len()).sort_values("length")
    undergraduate = level == "本科"
    for prefix, years in zip(exceptions["code_prefix"], exceptions["duration_years"].astype(int)):
        duration[undergraduate & catalogue["code"].str.startswith(prefix)] = years
    english = dict(name_en or {})
    frame = pd.DataFrame({
        "code": catalogue["code"],
        "name_zh": catalogue["name"],
        "name_en": catalogue["code"].map(lambda code: english.get(code)),
        "level": level,
        # "0802 机械类" and "4607汽车制造类" are written both ways in the source; keep one form.
        "category": catalogue["category"].str.replace(r"^(\d+)\s+", r"\1", regex=True),
        "duration_years": duration,
    })
    return frame.sort_values("code", ignore_index=True)


# ----------------------------------------------------------------------------------------------- employment


def _persons(raw: pd.DataFrame) -> pd.DataFrame:
    employed = np.round(pd.to_numeric(raw["employed_10k"]) * PERSONS_PER_10K)
    frame = pd.DataFrame({"region": raw["region_code"], "sector": raw["sector_code"],
                          "year": raw["year"].astype("int64"), "employed": employed.astype(float)})
    return frame.dropna(subset=["employed"]).reset_index(drop=True)


def provincial_employment(regions: Iterable[str] | None = None) -> pd.DataFrame:
    """Real employment by province x section x year 2009-2015, in persons (万人 x 10,000, rounded).

    Args:
        regions: keep these province codes only (None: all 31).
    """
    frame = _persons(read_real(PROVINCIAL_EMPLOYMENT_FILE))
    if regions is not None:
        frame = frame[frame["region"].isin(set(map(str, regions)))].reset_index(drop=True)
    return frame


def city_employment(regions: Iterable[str] | None = None) -> pd.DataFrame:
    """Real employment by prefecture city x section x year 2003-2015, in persons (万人 x 10,000, rounded).

    The municipalities' rows (province codes) are left out: they are provinces (see `provincial_employment`).

    Args:
        regions: keep these city codes only (None: every city).
    """
    raw = read_real(CITY_EMPLOYMENT_FILE)
    raw = raw[raw["region_code"] != raw["province_code"]]
    if regions is not None:
        raw = raw[raw["region_code"].isin(set(map(str, regions)))]
    return _persons(raw)


def national_employment() -> pd.DataFrame:
    """Every province (NBS, 2009-2015) and every prefecture city (2003-2015) x section, in persons.

    The whole country in contract form (region, sector, year, employed), for a national run
    (benchmarks/national_run.py). The municipalities are provinces: their NBS series only (see
    `city_employment`).
    """
    frame = pd.concat([provincial_employment(), city_employment()], ignore_index=True)
    return frame.sort_values(["region", "sector", "year"], ignore_index=True)


def employment_breaks(files: Iterable[str]) -> list[str]:
    """Declared break periods of the employment files (forecasting.breaks.KNOWN_BREAKS by file stem)."""
    return sorted({period for name in files for period in declared_breaks(name)})


# ----------------------------------------------------------------------------------------------- crosswalk


def crosswalk_reference() -> dict[str, pd.DataFrame]:
    """The packaged crosswalk sources: {"major_occupation_links": ..., "occupation_sector": ...} (all text)."""
    return {
        "major_occupation_links": pd.read_csv(MAJOR_OCCUPATION_LINKS_FILE, dtype=str),
        "occupation_sector": pd.read_csv(OCCUPATION_SECTOR_FILE, dtype=str),
    }


def needs_crosswalk_reference(tables: Mapping[str, pd.DataFrame | None]) -> bool:
    """True when the pipeline would build the crosswalk and lacks a source table to build it from."""
    given = tables.get("major_sector_map")
    if given is not None and not given.empty:
        return False
    return any(tables.get(name) is None for name in CROSSWALK_SOURCES)


def with_crosswalk_reference(tables: Mapping[str, pd.DataFrame | None]) -> dict[str, pd.DataFrame | None]:
    """`tables` (a new dict) with the packaged crosswalk sources added when the pipeline needs them.

    Nothing is read when a `major_sector_map` is given or both sources are already there; otherwise both
    packaged sources are used (a run never mixes a given source with a packaged one).
    """
    out = dict(tables)
    if needs_crosswalk_reference(out):
        out.update(crosswalk_reference())
    return out


# ----------------------------------------------------------------------------------------------- files


@functools.lru_cache(maxsize=None)
def _read_cached(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")


def read_real(name: str) -> pd.DataFrame:
    """A real file of talentcast/data/real as text columns (a copy: callers may change it)."""
    return _read_cached(str(REAL_DIR / name)).copy()


def read_reference(name: str) -> pd.DataFrame:
    """A curated file of talentcast/data/reference as text columns (a copy)."""
    return _read_cached(str(REFERENCE_DIR / name)).copy()
