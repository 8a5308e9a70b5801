"""Seeded synthetic data for the demo city, Liuzhou (柳州, 450200). GENERATED, NOT OBSERVED.

No public series exists for one city's employment by industry division, its schools' intake per major or its
graduates' outcomes, so the demo fills them from stated assumptions. Every assumption is a named constant in
this module, and `render_generated_md` prints them all into `talentcast/data/generated/GENERATED.md`; every
number in the generated tables arises from these assumptions, the real Guangxi series and one seeded numpy
Generator. Nothing is an output typed in by hand.

How the parts hang together (one pass, no feedback loops):

1. Employment. 2009-2015: Liuzhou section = stated share x Guangxi's real section value (so the real 2013
   survey-frame break stays visible). 2016-2025: stated trend growth per section + noise. Divisions (C36 ...) =
   a share of their section that drifts by a stated trend; their sum stays below the section.
2. Demand (the stock-flow method, as `forecasting/demand.py`): openings = max(expansion, 0) + replacement at
   the finest level (divisions and the rest of each section), graduate openings = openings x
   graduate_entry_share (sector parameters, curated in `talentcast/data/reference/sector_parameters.csv`).
3. Intake per school x major: stated base intake, trend and start year + noise; graduates = Binomial(intake of
   t - duration, completion rate drawn in 0.90-0.97).
4. Tightness of a sector = graduate openings / expected local graduate entrants (graduates x weight x
   (1 - further-study share) x local share of the level). A major's pressure x = weighted mean of
   log(tightness) over the sectors it feeds.
5. Outcomes: P(employed | not in further study) = logistic(a + b x + school effect + noise); local share =
   logistic(logit(base) + c x); counts drawn Binomially.
6. Vacancies (public employment service, monthly, target divisions): yearly postings proportional to openings,
   a vacancies/job-seekers ratio rising with tightness, Spring-Festival and graduation seasonality.

Run `python -m talentcast.generator --write` to regenerate the shipped CSVs, metadata.json and GENERATED.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_SEED = 20261129
DEMO_REGION = "450200"
DEMO_PARENT_REGION = "450000"
REAL_YEARS = tuple(range(2009, 2016))  # Guangxi's real section series
EMPLOYMENT_YEARS = tuple(range(2009, 2026))
LAST_OBSERVED_YEAR = 2025  # outcomes and vacancies end here
INTAKE_YEARS = tuple(range(2012, 2027))  # 2026 = this year's admission (already known in a plan)
VACANCY_MONTHS = pd.period_range("2019-01", "2025-12", freq="M")
GENERATED_DIR = Path(__file__).resolve().parent / "data" / "generated"


# --------------------------------------------------------------------------------------------------------------
# 1. Employment assumptions
# --------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SectionAssumption:
    """Liuzhou's share of Guangxi's section (2009-2015) and yearly log growth after 2015."""

    share_of_guangxi: float
    growth_2016_2019: float
    growth_2020_2025: float
    why: str


SECTION_SHARE_NOISE_SD = 0.02  # yearly log noise on the share of Guangxi, 2009-2015
SECTION_GROWTH_NOISE_SD = 0.01  # yearly log noise on growth, 2016-2025

# Liuzhou has ~8.4% of Guangxi's population and is its industrial centre, so industry gets a larger share.
SECTIONS: dict[str, SectionAssumption] = {
    "A": SectionAssumption(0.06, -0.03, -0.03, "farm employment in urban units keeps falling"),
    "B": SectionAssumption(0.05, -0.06, -0.12, "small mines closed (capacity cuts, mine safety campaigns)"),
    "C": SectionAssumption(0.27, 0.010, 0.005, "industrial city: ~27% of Guangxi's manufacturing"),
    "D": SectionAssumption(0.10, 0.010, 0.010, "utilities grow with power demand"),
    "E": SectionAssumption(0.11, 0.020, -0.070, "construction contracts after the 2020 property slump"),
    "F": SectionAssumption(0.10, 0.010, 0.000, "trade flat"),
    "G": SectionAssumption(0.11, 0.020, 0.015, "logistics hub, steady"),
    "H": SectionAssumption(0.10, 0.010, -0.010, "hospitality weak after 2020"),
    "I": SectionAssumption(0.12, 0.050, 0.060, "digital economy grows"),
    "J": SectionAssumption(0.09, 0.020, 0.010, "finance slow growth"),
    "K": SectionAssumption(0.10, 0.030, -0.120, "real estate shrinks fast after 2020 (sales fell ~40%)"),
    "L": SectionAssumption(0.12, 0.030, 0.020, "business services grow"),
    "M": SectionAssumption(0.10, 0.030, 0.030, "R&D and technical services grow with industry upgrading"),
    "N": SectionAssumption(0.09, 0.010, 0.010, "public facilities steady"),
    "O": SectionAssumption(0.20, 0.000, 0.000, "car city: a large repair trade (most of it outside urban units)"),
    "P": SectionAssumption(0.08, 0.010, 0.005, "education steady"),
    "Q": SectionAssumption(0.09, 0.030, 0.030, "health grows with an ageing population"),
    "R": SectionAssumption(0.09, 0.000, 0.000, "culture flat"),
    "S": SectionAssumption(0.08, 0.010, 0.005, "public administration steady"),
}


@dataclass(frozen=True)
class DivisionAssumption:
    """A division's share of its section in 2009 and the yearly drift of its log share."""

    parent: str
    share_2009: float
    drift_2010_2019: float
    drift_2020_2025: float
    why: str


DIVISION_SHARE_NOISE_SD = 0.008  # yearly log noise on a division's share
MAX_DIVISIONS_SHARE = 0.9  # the listed divisions never take more than this of their section

DIVISIONS: dict[str, DivisionAssumption] = {
    "C36": DivisionAssumption("C", 0.36, 0.010, 0.030, "automotive: the city's largest industry; NEV boom from 2020"),
    "C35": DivisionAssumption("C", 0.09, 0.000, -0.090, "construction machinery: slump with construction after 2020"),
    "C38": DivisionAssumption("C", 0.05, 0.020, 0.020, "electrical machinery and smart appliances grow"),
    "C37": DivisionAssumption("C", 0.015, 0.040, 0.040, "smart rail equipment grows from a small base"),
    "C27": DivisionAssumption("C", 0.02, 0.020, 0.020, "biopharma grows from a small base"),
    "D44": DivisionAssumption("D", 0.55, 0.005, 0.005, "power and heat: most of the utilities section"),
    "I65": DivisionAssumption("I", 0.45, 0.030, 0.030, "software and IT services: the fastest-growing division"),
    "M74": DivisionAssumption("M", 0.45, 0.010, 0.010, "professional technical services incl. industrial design"),
}


# --------------------------------------------------------------------------------------------------------------
# 2. Schools and the majors they offer
# --------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class School:
    code: str
    name: str
    name_en: str
    type: str


SCHOOLS: tuple[School, ...] = (
    School("450200-G01", "龙城职业技术学院（虚构）", "Longcheng Polytechnic College (fictional)", "高职"),
    School("450200-G02", "柳南汽车职业技术学院（虚构）", "Liunan Automotive Polytechnic (fictional)", "高职"),
    School("450200-G03", "桂中轨道与电力职业技术学院（虚构）", "Guizhong Rail and Power Polytechnic (fictional)", "高职"),
    School("450200-G04", "柳州医药健康职业学院（虚构）", "Liuzhou Pharmaceutical and Health Vocational College (fictional)",
           "高职"),
    School("450200-G05", "柳州信息商贸职业学院（虚构）", "Liuzhou Information and Commerce Vocational College (fictional)",
           "高职"),
    School("450200-G06", "龙城理工学院（虚构）", "Longcheng Institute of Technology (fictional)", "本科"),
    School("450200-G07", "龙城职业技术大学（虚构）", "Longcheng Vocational University (fictional)", "职业本科"),
    School("450200-G08", "柳州市龙潭职业技术学校（虚构）", "Liuzhou Longtan Vocational School (fictional)", "中职"),
    School("450200-G09", "柳州市鹿山交通机械中等职业学校（虚构）",
           "Liuzhou Lushan Transport and Machinery Secondary Vocational School (fictional)", "中职"),
    School("450200-G10", "柳州市柳江商贸旅游中等职业学校（虚构）",
           "Liuzhou Liujiang Commerce and Tourism Secondary Vocational School (fictional)", "中职"),
)
SCHOOL_LEVEL = {"高职": "高职专科", "本科": "本科", "职业本科": "职业本科", "中职": "中职"}


@dataclass(frozen=True)
class MajorOffer:
    """One catalogue major offered by 1-4 demo schools.

    Attributes:
        code: catalogue code (must exist in the real MOE catalogue).
        name_en: English name (curated translation).
        schools: school number suffixes (1 -> 450200-G01).
        intake: intake per school in the start year, persons.
        trend: yearly log growth of intake (schools' stated enrolment plans).
        start: first admission year (programmes opened later than 2012 start here).
        weights: assumed sector weights; None = derived from the official major -> occupation links.
        why: reason for assumed weights (or for the intake path).
    """

    code: str
    name_en: str
    schools: tuple[int, ...]
    intake: int
    trend: float
    start: int = 2012
    weights: dict[str, float] | None = None
    why: str = ""


INTAKE_NOISE_SD = 0.07  # yearly log noise on intake
INTAKE_BOUNDS = (40, 300)  # a class-size plan stays within these bounds
COMPLETION_RATE_RANGE = (0.90, 0.97)  # drawn once per school x major

NO_LINKS = "no teaching-standard links in the real file"

OFFERS: tuple[MajorOffer, ...] = (
    # automotive (C36), growing: new-energy and connected vehicles
    MajorOffer("460702", "New Energy Vehicle Technology", (1, 2), 80, 0.10, 2015,
               why="NEV programmes expand fast (national count 298 -> 716 colleges 2018-2023)"),
    MajorOffer("460701", "Automobile Manufacturing and Testing Technology", (2, 1), 150, -0.01),
    MajorOffer("460704", "Intelligent Connected Vehicle Technology", (2,), 60, 0.12, 2019),
    MajorOffer("460703", "Automotive Electronics Technology", (2,), 100, 0.0),
    MajorOffer("510107", "Automotive Intelligent Technology", (1,), 60, 0.05, 2016),
    MajorOffer("500211", "Automobile Inspection and Maintenance Technology", (1, 2, 5), 140, -0.02),
    MajorOffer("500210", "Automotive Technical Services and Marketing", (2, 5), 90, -0.01),
    MajorOffer("260702", "New Energy Vehicle Engineering Technology", (7,), 80, 0.08, 2021),
    MajorOffer("260701", "Automotive Engineering Technology", (7,), 80, 0.03, 2020),
    MajorOffer("080207", "Vehicle Engineering", (6,), 120, 0.0,
               weights={"C36": 0.7, "C": 0.2, "M74": 0.1}, why=NO_LINKS + "; vehicle engineers work for car makers"),
    MajorOffer("080216T", "New Energy Vehicle Engineering", (6,), 60, 0.08, 2018,
               weights={"C36": 0.8, "M74": 0.2}, why=NO_LINKS),
    MajorOffer("660702", "New Energy Vehicle Manufacturing and Testing", (8, 9), 100, 0.06, 2016),
    MajorOffer("700206", "Automobile Operation and Maintenance", (8, 9), 150, -0.02,
               weights={"C36": 0.3, "F": 0.4, "O": 0.3},
               why="one link (car mechanic, O); most graduates work in dealers' 4S shops (F) and car plants"),
    # construction machinery (C35), shrinking after 2020 while schools keep enrolling
    MajorOffer("500203", "Intelligent Construction Machinery Operation Technology", (1, 2, 3), 150, 0.03,
               weights={"C35": 0.6, "E": 0.3, "C": 0.1},
               why="links list generic maintenance/operator jobs; Liuzhou employers are the machinery makers"),
    MajorOffer("700204", "Transport and Construction Machinery Operation and Repair", (9,), 150, 0.0,
               weights={"C35": 0.5, "E": 0.3, "O": 0.2},
               why="links list generic jobs; Liuzhou employers are the machinery makers and repairers"),
    MajorOffer("460201", "Intelligent Manufacturing Equipment Technology", (1,), 120, 0.03),
    # electrical machinery and smart appliances (C38)
    MajorOffer("460203", "Motor and Electrical Appliance Technology", (1,), 80, 0.0),
    MajorOffer("460306", "Electrical Automation Technology", (1, 3), 150, 0.0),
    MajorOffer("660203", "Motor and Electrical Appliance Manufacturing and Repair", (8,), 80, 0.0,
               weights={"C38": 0.8, "O": 0.2}, why=NO_LINKS),
    MajorOffer("710105", "Electronic and Electrical Appliance Application and Repair", (8, 10), 90, -0.02,
               weights={"C38": 0.5, "O": 0.5}, why=NO_LINKS),
    # smart rail (C37)
    MajorOffer("460401", "Railway Locomotive and Rolling Stock Manufacturing and Maintenance", (3,), 120, 0.02),
    MajorOffer("460403", "Urban Rail Transit Vehicle Manufacturing and Maintenance", (3,), 100, 0.04, 2014),
    MajorOffer("460404", "Rail Transit Communication and Signal Equipment Manufacturing", (3,), 80, 0.02,
               weights={"C37": 0.7, "G": 0.3}, why=NO_LINKS),
    MajorOffer("500603", "Urban Rail Transit Electromechanical Technology", (3,), 90, 0.03),
    MajorOffer("260401", "Rail Transit Vehicle Engineering Technology", (7,), 60, 0.02, 2021,
               weights={"C37": 0.8, "G": 0.2}, why=NO_LINKS),
    # smart grid (D44)
    MajorOffer("430105", "Power System Automation Technology", (3, 1), 120, 0.01),
    MajorOffer("430101", "Power Plants and Power Systems", (3,), 100, -0.01,
               weights={"D44": 1.0}, why=NO_LINKS),
    MajorOffer("430108", "Power Supply and Utilization Technology", (3,), 110, 0.0),
    MajorOffer("630105", "Power Supply and Utilization Technology (secondary)", (8,), 80, 0.0,
               weights={"D44": 0.8, "E": 0.2}, why=NO_LINKS),
    MajorOffer("080601", "Electrical Engineering and Automation", (6,), 120, 0.0,
               weights={"D44": 0.5, "C38": 0.3, "C": 0.2}, why=NO_LINKS),
    # biopharma (C27)
    MajorOffer("490201", "Pharmaceutical Production Technology", (4,), 120, 0.03),
    MajorOffer("490202", "Biopharmaceutical Technology", (4,), 80, 0.04),
    MajorOffer("490203", "Pharmaceutical Preparation Technology", (4,), 90, 0.0,
               weights={"C27": 0.8, "F": 0.2}, why=NO_LINKS + "; some graduates work in pharmacies"),
    MajorOffer("081302", "Pharmaceutical Engineering", (6,), 60, 0.0,
               weights={"C27": 0.8, "M74": 0.2}, why=NO_LINKS),
    # software and big data (I65), growing
    MajorOffer("510203", "Software Technology", (5, 1), 100, 0.05),
    MajorOffer("510205", "Big Data Technology", (5,), 60, 0.15, 2017),
    MajorOffer("510201", "Computer Application Technology", (5,), 120, 0.0),
    MajorOffer("510214", "Industrial Software Development Technology", (5,), 50, 0.10, 2021),
    MajorOffer("310205", "Big Data Engineering Technology", (7,), 60, 0.10, 2021),
    MajorOffer("080902", "Software Engineering", (6,), 100, 0.04,
               weights={"I65": 1.0}, why=NO_LINKS),
    MajorOffer("080910T", "Data Science and Big Data Technology", (6,), 60, 0.10, 2017,
               weights={"I65": 0.8, "J": 0.2}, why=NO_LINKS),
    # industrial design (M74)
    MajorOffer("460105", "Industrial Design", (1,), 60, 0.02),
    MajorOffer("080205", "Industrial Design (undergraduate)", (6,), 60, 0.0,
               weights={"M74": 0.7, "C36": 0.2, "C38": 0.1}, why=NO_LINKS),
    # general manufacturing (rest of C)
    MajorOffer("460301", "Mechatronics Technology", (1, 2, 3), 180, 0.0),
    MajorOffer("460305", "Industrial Robot Technology", (1, 2), 90, 0.06, 2015),
    MajorOffer("460103", "CNC Technology", (1, 2), 120, -0.02),
    MajorOffer("460113", "Mould Design and Manufacturing", (1,), 90, -0.02),
    MajorOffer("460110", "Intelligent Welding Technology", (1,), 70, 0.0),
    MajorOffer("660105", "Welding Technology Application", (8, 9), 100, -0.01,
               weights={"C": 0.6, "C35": 0.2, "C36": 0.2}, why=NO_LINKS),
    MajorOffer("080202", "Mechanical Design, Manufacturing and Automation", (6,), 150, 0.0,
               weights={"C": 0.7, "C35": 0.1, "C36": 0.1, "M74": 0.1}, why=NO_LINKS),
    MajorOffer("430401", "Intelligent Iron and Steel Metallurgy Technology", (1,), 100, -0.01),
    MajorOffer("480402", "Garment Design and Technology", (5,), 60, -0.03),
    # low-demand and shrinking sectors
    MajorOffer("620501", "Mining Technology", (9,), 80, -0.02, weights={"B": 1.0}, why=NO_LINKS),
    MajorOffer("440301", "Construction Engineering Technology", (1, 5, 3), 200, 0.02,
               weights={"E": 0.8, "M74": 0.2},
               why="the machine-parsed links list generic management engineers (logistics, recycling); "
                   "graduates work for contractors (E) and design/supervision firms (M74). Schools keep "
                   "expanding after construction turns down"),
    MajorOffer("440501", "Construction Cost Engineering", (5,), 90, 0.02),
    MajorOffer("440701", "Real Estate Operation and Management", (5, 1), 120, 0.03,
               weights={"K": 0.8, "L": 0.2},
               why="links list valuers and agents; the employers are developers and agencies (K)"),
    # services
    MajorOffer("530802", "Modern Logistics Management", (5,), 150, 0.02),
    MajorOffer("530701", "E-commerce", (5,), 200, 0.03),
    MajorOffer("530302", "Big Data and Accounting", (5, 4), 250, 0.0),
    MajorOffer("530201", "Financial Services and Management", (5,), 100, 0.0),
    MajorOffer("540101", "Tourism Management", (5,), 100, -0.02),
    MajorOffer("570201", "Business English", (5,), 80, -0.04),
    MajorOffer("520201", "Nursing", (4,), 280, 0.01),
    MajorOffer("570102K", "Preschool Education", (4,), 250, 0.03, weights={"P": 1.0}, why=NO_LINKS),
    MajorOffer("730301", "Accounting Affairs", (10,), 150, -0.02,
               weights={"L": 0.7, "F": 0.3}, why=NO_LINKS),
    MajorOffer("740201", "Chinese Cuisine", (10,), 120, 0.0),
    MajorOffer("790401", "Secretarial Studies", (10,), 100, -0.03),
    MajorOffer("730701", "E-commerce (secondary)", (10,), 120, 0.02),
)


# --------------------------------------------------------------------------------------------------------------
# 3. Outcome model
# --------------------------------------------------------------------------------------------------------------
# Share of graduates going on to further study (升学), by level: demo values, lower than today's national
# 中职 share (which passes 60%) so that employment-rate rules stay meaningful for the demo's 中职 majors.
FURTHER_STUDY_SHARE = {"中职": 0.20, "高职专科": 0.10, "职业本科": 0.08, "本科": 0.15}
# Share of employed graduates who stay in the city, by level (the plan targets 25% of higher-education
# graduates and 70% local direct employment of secondary-vocational graduates).
LOCAL_SHARE = {"中职": 0.75, "高职专科": 0.55, "职业本科": 0.45, "本科": 0.35}
EMPLOYMENT_LOGIT_INTERCEPT = 2.3  # logit(0.91): P(employed) when openings just match entrants
EMPLOYMENT_LOGIT_SLOPE = 1.6  # per unit of log(tightness)
LOCAL_LOGIT_SLOPE = 0.5  # graduates stay more where their sectors are tight
SCHOOL_EFFECT_SD = 0.20  # persistent school x major effect on the employment logit
EMPLOYMENT_NOISE_SD = 0.25  # yearly noise on the employment logit
TIGHTNESS_BOUNDS = (0.05, 20.0)  # log(tightness) is clipped to these before use

# Vacancies at the public employment service (PES), monthly, target divisions only.
PES_POSTING_FACTOR = 0.6  # yearly PES postings = this x all openings of the division
VACANCY_RATIO_INTERCEPT = 0.10  # log(vacancies / job seekers) = intercept + slope x log(tightness)
VACANCY_RATIO_SLOPE = 0.35
VACANCY_NOISE_SD = 0.08  # monthly log noise, vacancies and job seekers independently
SPRING_FESTIVAL = {  # 春节 (first day of the lunar year); hiring peaks in the weeks after it
    2019: "2019-02-05", 2020: "2020-01-25", 2021: "2021-02-12", 2022: "2022-02-01",
    2023: "2023-01-22", 2024: "2024-02-10", 2025: "2025-01-29",
}
POST_FESTIVAL_WINDOW = (7, 52)  # days after the festival with the hiring peak (节后招聘高峰)
POST_FESTIVAL_BOOST = {"vacancies": 1.2, "job_seekers": 0.8}  # extra volume spread over that window
FESTIVAL_LULL = (-10, 7)  # days around the festival with little hiring
FESTIVAL_LULL_CUT = 0.5
GRADUATION_BOOST_SEEKERS = {6: 0.35, 7: 0.45}  # job seekers rise when graduates leave school
COVID_2020_FACTOR = {"2020-02": 0.45, "2020-03": 0.65, "2020-04": 0.85}  # postings fell in early 2020


# --------------------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------------------
@dataclass
class RealInputs:
    """Real and curated tables the generator starts from (read by `talentcast.demo_data`).

    Attributes:
        guangxi_employment: columns sector, year, employed (persons) for region 450000, 2009-2015.
        majors: contract majors frame (code, level, duration_years ...): the whole catalogue.
        links: real major -> occupation links (major_code, occupation_code).
        occupation_sector: curated occupation-group -> sector table.
        sector_parameters: contract sector_parameters frame for the demo sectors.
    """

    guangxi_employment: pd.DataFrame
    majors: pd.DataFrame
    links: pd.DataFrame
    occupation_sector: pd.DataFrame
    sector_parameters: pd.DataFrame


@dataclass
class GeneratedData:
    """Frames of the demo city (contract columns) plus the generator's intermediate series for the docs."""

    employment: pd.DataFrame
    schools: pd.DataFrame
    enrolment: pd.DataFrame
    major_sector_map: pd.DataFrame
    vacancies: pd.DataFrame
    weight_sources: pd.DataFrame  # major, source (derived | assumed), why
    tightness: pd.DataFrame = field(default_factory=pd.DataFrame)  # sector, year, graduate_openings, ...


def generate(real: RealInputs, seed: int | None = None) -> GeneratedData:
    """Generate every synthetic table of the demo city from `real` and `seed`.

    Args:
        real: the real and curated inputs.
        seed: seed of the numpy Generator; None = DEFAULT_SEED. The same seed gives identical frames.

    Returns:
        GeneratedData with contract frames for employment (450200 rows only), schools, enrolment,
        major_sector_map (demo majors) and vacancies.
    """
    seed = DEFAULT_SEED if seed is None else int(seed)
    # One child stream per component, so that changing one component's draws leaves the others unchanged.
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    employment_rng, intake_rng, outcome_rng, vacancy_rng = streams

    employment = liuzhou_employment(real.guangxi_employment, employment_rng)
    crosswalk, weight_sources = demo_major_sector_map(real.links, real.occupation_sector)
    levels = real.majors.set_index("code")[["level", "duration_years"]]
    intake = intake_histories(levels, intake_rng)
    cohorts = graduate_cohorts(intake, levels, outcome_rng)
    openings = graduate_openings(employment, real.sector_parameters)
    tightness = sector_tightness(openings, cohorts, crosswalk, levels)
    enrolment = graduate_outcomes(cohorts, tightness, crosswalk, levels, outcome_rng)
    vacancies = pes_vacancies(openings, tightness, vacancy_rng)
    return GeneratedData(
        employment=employment.assign(region=DEMO_REGION)[["region", "sector", "year", "employed"]],
        schools=schools_frame(),
        enrolment=enrolment,
        major_sector_map=crosswalk,
        vacancies=vacancies,
        weight_sources=weight_sources,
        tightness=tightness,
    )


def schools_frame() -> pd.DataFrame:
    """The fictional demo schools as a contract `schools` frame."""
    return pd.DataFrame(
        {"code": [s.code for s in SCHOOLS], "name": [s.name for s in SCHOOLS],
         "name_en": [s.name_en for s in SCHOOLS], "region": DEMO_REGION, "type": [s.type for s in SCHOOLS]}
    )


def liuzhou_employment(guangxi: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Employment of the demo city by section and target division, 2009-2025 (persons, whole numbers).

    Args:
        guangxi: real Guangxi employment (sector, year, employed in persons), 2009-2015, 19 sections.
        rng: random stream.

    Returns:
        Frame sector, year, employed for the 19 sections and the 8 divisions.
    """
    table = guangxi.pivot(index="sector", columns="year", values="employed")
    missing = [s for s in SECTIONS if s not in table.index or table.loc[s, list(REAL_YEARS)].isna().any()]
    if missing:
        raise ValueError(f"Guangxi employment lacks section(s) {missing} for {REAL_YEARS[0]}-{REAL_YEARS[-1]}")
    n_real, n_future = len(REAL_YEARS), len(EMPLOYMENT_YEARS) - len(REAL_YEARS)
    sections: dict[str, np.ndarray] = {}
    for code, assumption in SECTIONS.items():
        real_part = table.loc[code, list(REAL_YEARS)].to_numpy(dtype=float)
        history = real_part * assumption.share_of_guangxi * np.exp(rng.normal(0, SECTION_SHARE_NOISE_SD, n_real))
        future_years = np.array(EMPLOYMENT_YEARS[n_real:])
        growth = np.where(future_years <= 2019, assumption.growth_2016_2019, assumption.growth_2020_2025)
        growth = growth + rng.normal(0, SECTION_GROWTH_NOISE_SD, n_future)
        future = history[-1] * np.exp(np.cumsum(growth))
        sections[code] = np.concatenate([history, future])

    years = np.array(EMPLOYMENT_YEARS)
    division_shares: dict[str, np.ndarray] = {}
    for code, assumption in DIVISIONS.items():
        drift = np.where(years <= 2019, assumption.drift_2010_2019, assumption.drift_2020_2025)
        drift[0] = 0.0  # 2009 is the base year of the share
        log_share = np.log(assumption.share_2009) + np.cumsum(drift)
        division_shares[code] = np.exp(log_share + rng.normal(0, DIVISION_SHARE_NOISE_SD, len(years)))
    for parent in {d.parent for d in DIVISIONS.values()}:
        children = [c for c, d in DIVISIONS.items() if d.parent == parent]
        total = sum(division_shares[c] for c in children)
        scale = np.minimum(1.0, MAX_DIVISIONS_SHARE / total)  # keep room for the rest of the section
        for c in children:
            division_shares[c] = division_shares[c] * scale

    rows = []
    for code, values in sections.items():
        rows.append(pd.DataFrame({"sector": code, "year": years, "employed": np.round(values)}))
    for code, share in division_shares.items():
        values = np.round(sections[DIVISIONS[code].parent] * share)
        rows.append(pd.DataFrame({"sector": code, "year": years, "employed": values}))
    frame = pd.concat(rows, ignore_index=True)
    frame["employed"] = frame["employed"].astype(float)
    frame["year"] = frame["year"].astype("int64")
    return frame


def demo_major_sector_map(links: pd.DataFrame, occupation_sector: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sector weights of the demo majors: derived from the real links, or assumed where stated.

    Returns:
        (contract major_sector_map frame, frame major/source/why saying which weights are derived or assumed)
    """
    from features.crosswalk import build_major_sector_map, normalise_weights

    derived_codes = [o.code for o in OFFERS if o.weights is None]
    derived = build_major_sector_map(links, occupation_sector, derived_codes)
    lacking = sorted(set(derived_codes) - set(derived["major"]))
    if lacking:
        raise ValueError(f"demo majors {lacking} have no usable links; give them assumed weights")
    parts = [derived]
    sources = []
    for offer in OFFERS:
        if offer.weights is None:
            sources.append((offer.code, "derived", "share of linked occupations per sector"))
            continue
        sectors = sorted(offer.weights)
        weights = normalise_weights(pd.Series([offer.weights[s] for s in sectors], dtype=float))
        parts.append(pd.DataFrame({"major": offer.code, "sector": sectors, "weight": weights.to_numpy()}))
        sources.append((offer.code, "assumed", offer.why))
    crosswalk = pd.concat(parts, ignore_index=True).sort_values(["major", "sector"], ignore_index=True)
    return crosswalk, pd.DataFrame(sources, columns=["major", "source", "why"])


def intake_histories(levels: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Intake per school x major x admission year from the stated base, trend and start year.

    Returns:
        Frame school, major, year, intake (int), from each offer's start year to 2026.
    """
    rows = []
    for offer in OFFERS:
        if offer.code not in levels.index:
            raise ValueError(f"demo major {offer.code} is not in the MOE catalogue")
        for number in offer.schools:
            school = SCHOOLS[number - 1]
            if SCHOOL_LEVEL[school.type] != levels.loc[offer.code, "level"]:
                raise ValueError(f"{school.code} ({school.type}) cannot offer {offer.code} "
                                 f"({levels.loc[offer.code, 'level']})")
            years = np.arange(offer.start, INTAKE_YEARS[-1] + 1)
            school_scale = np.exp(rng.normal(0, 0.15))  # schools differ in size
            log_intake = (np.log(offer.intake * school_scale) + offer.trend * (years - offer.start)
                          + rng.normal(0, INTAKE_NOISE_SD, len(years)))
            intake = np.clip(np.round(np.exp(log_intake)), *INTAKE_BOUNDS).astype("int64")
            rows.append(pd.DataFrame({"school": school.code, "major": offer.code, "year": years, "intake": intake}))
    return pd.concat(rows, ignore_index=True)


def graduate_cohorts(intake: pd.DataFrame, levels: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Add graduates: Binomial(intake of year - duration, completion rate) up to 2025, else missing.

    The completion rate is drawn once per school x major from COMPLETION_RATE_RANGE.
    """
    frame = intake.copy()
    frame["duration"] = frame["major"].map(levels["duration_years"]).astype("int64")
    pairs = frame[["school", "major"]].drop_duplicates().reset_index(drop=True)
    pairs["completion"] = rng.uniform(*COMPLETION_RATE_RANGE, len(pairs))
    cohort = frame[["school", "major", "year", "intake"]].rename(columns={"intake": "cohort_intake"})
    cohort["year"] = cohort["year"] + frame["duration"]
    frame = frame.merge(cohort, on=["school", "major", "year"], how="left").merge(pairs, on=["school", "major"])
    graduating = frame["cohort_intake"].notna().to_numpy() & (frame["year"] <= LAST_OBSERVED_YEAR).to_numpy()
    drawn = rng.binomial(frame.loc[graduating, "cohort_intake"].to_numpy(dtype="int64"),
                         frame.loc[graduating, "completion"].to_numpy())
    graduates = pd.array([pd.NA] * len(frame), dtype="Int64")
    graduates[np.flatnonzero(graduating)] = drawn
    frame["graduates"] = graduates
    return frame[["school", "major", "year", "intake", "duration", "graduates"]]


def graduate_openings(employment: pd.DataFrame, parameters: pd.DataFrame) -> pd.DataFrame:
    """Openings for new graduates per sector and year, at the finest level.

    A section with listed divisions is split into its divisions and its rest (section minus divisions);
    majors mapped to the section itself compete for the openings of that rest.

    Returns:
        Frame sector, year, employed, openings, graduate_openings (from 2010).
    """
    wide = employment.pivot(index="sector", columns="year", values="employed")
    for parent in {d.parent for d in DIVISIONS.values()}:
        children = [c for c, d in DIVISIONS.items() if d.parent == parent]
        wide.loc[parent] = wide.loc[parent] - wide.loc[children].sum()
    params = parameters.set_index("sector")
    rate = wide.index.map(params["replacement_rate"]).to_numpy(dtype=float)[:, None]
    share = wide.index.map(params["graduate_entry_share"]).to_numpy(dtype=float)[:, None]
    values = wide.to_numpy(dtype=float)
    expansion = values[:, 1:] - values[:, :-1]
    openings = np.maximum(expansion, 0.0) + values[:, :-1] * rate
    years = wide.columns[1:]
    out = pd.DataFrame({
        "sector": np.repeat(wide.index.to_numpy(), len(years)),
        "year": np.tile(np.asarray(years, dtype="int64"), len(wide)),
        "employed": values[:, 1:].ravel(),
        "openings": openings.ravel(),
        "graduate_openings": (openings * share).ravel(),
    })
    return out


def sector_tightness(openings: pd.DataFrame, cohorts: pd.DataFrame, crosswalk: pd.DataFrame,
                     levels: pd.DataFrame) -> pd.DataFrame:
    """Graduate openings / expected local graduate entrants, per sector and year (2015-2025).

    Entrants use the stated level shares (not the drawn outcomes), so tightness does not depend on itself.
    """
    graduates = cohorts.dropna(subset=["graduates"]).copy()
    level = graduates["major"].map(levels["level"])
    graduates["entrants"] = (graduates["graduates"].astype(float) * (1 - level.map(FURTHER_STUDY_SHARE))
                             * level.map(LOCAL_SHARE))
    flows = graduates.merge(crosswalk, on="major")
    flows["entrants"] = flows["entrants"] * flows["weight"]
    supply = flows.groupby(["sector", "year"], as_index=False)["entrants"].sum()
    table = openings[openings["year"].between(2015, LAST_OBSERVED_YEAR)].merge(supply, on=["sector", "year"],
                                                                               how="left")
    table["entrants"] = table["entrants"].fillna(0.0)
    table["tightness"] = table["graduate_openings"] / np.maximum(table["entrants"], 1.0)
    return table


def graduate_outcomes(cohorts: pd.DataFrame, tightness: pd.DataFrame, crosswalk: pd.DataFrame,
                      levels: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Draw employed / further-study / local graduates from the tightness of the sectors each major feeds.

    Returns:
        Contract enrolment frame (outcome columns missing where there are no graduates).
    """
    log_tight = tightness.assign(
        log_tightness=np.log(tightness["tightness"].clip(*TIGHTNESS_BOUNDS)))[["sector", "year", "log_tightness"]]
    pressure = (crosswalk.merge(log_tight, on="sector")
                .assign(weighted=lambda f: f["weight"] * f["log_tightness"])
                .groupby(["major", "year"])["weighted"].sum().rename("pressure"))
    frame = cohorts.copy()
    frame = frame.join(pressure, on=["major", "year"])
    pairs = frame[["school", "major"]].drop_duplicates().reset_index(drop=True)
    pairs["school_effect"] = rng.normal(0, SCHOOL_EFFECT_SD, len(pairs))
    frame = frame.merge(pairs, on=["school", "major"], how="left")
    has_graduates = frame["graduates"].notna().to_numpy()
    n = int(has_graduates.sum())
    graduates = frame.loc[has_graduates, "graduates"].to_numpy(dtype="int64")
    level = frame.loc[has_graduates, "major"].map(levels["level"])
    x = frame.loc[has_graduates, "pressure"].fillna(0.0).to_numpy()
    further = rng.binomial(graduates, level.map(FURTHER_STUDY_SHARE).to_numpy())
    logit = (EMPLOYMENT_LOGIT_INTERCEPT + EMPLOYMENT_LOGIT_SLOPE * x
             + frame.loc[has_graduates, "school_effect"].to_numpy() + rng.normal(0, EMPLOYMENT_NOISE_SD, n))
    employed = rng.binomial(graduates - further, _logistic(logit))
    local_logit = _logit(level.map(LOCAL_SHARE).to_numpy()) + LOCAL_LOGIT_SLOPE * x
    local = rng.binomial(employed, _logistic(local_logit))
    out = frame[["school", "major", "year", "intake", "graduates"]].copy()
    for name, values in (("graduates_employed", employed), ("graduates_further_study", further),
                         ("graduates_local", local)):
        column = pd.array([pd.NA] * len(out), dtype="Int64")
        column[np.flatnonzero(has_graduates)] = values
        out[name] = column
    return out.sort_values(["school", "major", "year"], ignore_index=True)


def pes_vacancies(openings: pd.DataFrame, tightness: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Monthly PES vacancies and job seekers for the target divisions, 2019-01 to 2025-12."""
    season_v, season_s = _seasonal_factors()
    yearly = openings.set_index(["sector", "year"])["openings"]
    tight = tightness.set_index(["sector", "year"])["tightness"]
    months = VACANCY_MONTHS
    rows = []
    for sector in DIVISIONS:
        for year in sorted({p.year for p in months}):
            in_year = [p for p in months if p.year == year]
            postings = PES_POSTING_FACTOR * yearly[(sector, year)]
            log_ratio = VACANCY_RATIO_INTERCEPT + VACANCY_RATIO_SLOPE * np.log(
                np.clip(tight[(sector, year)], *TIGHTNESS_BOUNDS))
            seekers = postings / np.exp(log_ratio)
            for period in in_year:
                key = str(period)
                v = postings * season_v[key] * np.exp(rng.normal(0, VACANCY_NOISE_SD))
                s = seekers * season_s[key] * np.exp(rng.normal(0, VACANCY_NOISE_SD))
                rows.append((DEMO_REGION, sector, key, float(np.round(v)), float(np.round(s))))
    return pd.DataFrame(rows, columns=["region", "sector", "period", "vacancies", "job_seekers"])


def _seasonal_factors() -> tuple[dict[str, float], dict[str, float]]:
    """Monthly shares of a year's volume (summing to 1 per year) for vacancies and job seekers."""
    vacancies: dict[str, float] = {}
    seekers: dict[str, float] = {}
    for year, festival_text in SPRING_FESTIVAL.items():
        festival = dt.date.fromisoformat(festival_text)
        days = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
        offset = (days - pd.Timestamp(festival)).days
        peak = (offset >= POST_FESTIVAL_WINDOW[0]) & (offset < POST_FESTIVAL_WINDOW[1])
        lull = (offset >= FESTIVAL_LULL[0]) & (offset < FESTIVAL_LULL[1])
        month = days.month
        # Each day of the post-festival window carries (1 + boost) times an ordinary day's volume.
        base_v = np.ones(len(days))
        base_v[peak] += POST_FESTIVAL_BOOST["vacancies"]
        base_s = np.ones(len(days))
        base_s[peak] += POST_FESTIVAL_BOOST["job_seekers"]
        base_v[lull] *= FESTIVAL_LULL_CUT
        base_s[lull] *= FESTIVAL_LULL_CUT
        for graduation_month, boost in GRADUATION_BOOST_SEEKERS.items():
            base_s[month == graduation_month] += boost
        volume_v = pd.Series(base_v).groupby(month).sum()
        volume_s = pd.Series(base_s).groupby(month).sum()
        for m in range(1, 13):
            key = f"{year}-{m:02d}"
            covid = COVID_2020_FACTOR.get(key, 1.0)
            vacancies[key] = volume_v[m] / volume_v.sum() * covid
            seekers[key] = volume_s[m] / volume_s.sum()
    return vacancies, seekers


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.log(p / (1 - p))


# --------------------------------------------------------------------------------------------------------------
# Shipping: CSV files, metadata.json and GENERATED.md (I/O at the edge; run with --write)
# --------------------------------------------------------------------------------------------------------------
def write_generated(directory: Path = GENERATED_DIR, seed: int | None = None) -> dict[str, Path]:
    """Write every default table as `<table>.csv`, plus metadata.json and GENERATED.md, into `directory`.

    Returns:
        {table: path of its CSV}.
    """
    from talentcast.demo_data import build_demo_tables, canonical_csv, table_checksum

    seed = DEFAULT_SEED if seed is None else int(seed)
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
    document = {"generator": "talentcast.generator", "seed": seed,
                "command": "python -m talentcast.generator --write", "label": "GENERATED, NOT OBSERVED "
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

- Generator: `talentcast/generator.py`, seed **{seed}** (`numpy.random.SeedSequence(seed).spawn(4)`: one stream
  each for employment, intake, outcomes, vacancies). Same seed -> identical tables.
- Regenerate: `python -m talentcast.generator --write` (writes the CSVs, `metadata.json` and this file).
- In code: `talentcast.demo_data.build_demo_tables(seed=None)` builds the same tables in memory.
- This file is rendered from the constants in `talentcast/generator.py`; edit them there, not here.

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
weights sum to 1). "assumed" = stated in `talentcast/generator.py` (reason in the table): majors without links
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
    parser = argparse.ArgumentParser(prog="python -m talentcast.generator",
                                     description="Seeded synthetic data of the demo city (generated, not observed).")
    parser.add_argument("--write", action="store_true", help="write CSVs, metadata.json and GENERATED.md")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed (default {DEFAULT_SEED})")
    parser.add_argument("--out", type=Path, default=GENERATED_DIR, help="output folder (default: shipped folder)")
    args = parser.parse_args(argv)
    if args.write:
        paths = write_generated(args.out, args.seed)
        for name, path in paths.items():
            print(f"{name}: {path}")
        return 0
    from talentcast.demo_data import build_demo_tables

    for name, (frame, metadata) in build_demo_tables(args.seed).items():
        label = "generated" if metadata.get("synthetic") else "real/curated"
        print(f"{name}: {len(frame)} rows ({label})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
