"""The generated world of the demo city, Liuzhou (柳州, 450200): every stated assumption. GENERATED, NOT OBSERVED.

Liuzhou's employment by GB/T 4754 section 2003-2015 is real (China City Statistical Yearbook, the city panel in
talentcast/data/real). No public series exists for the years after 2015, for one city's employment by industry
division, its schools' intake per major or its graduates' outcomes, so the demo fills them from the assumptions
below: named constants and the dataclasses they are made of. `talentcast.demo.generator` turns them (with the real
Liuzhou series and one seeded numpy Generator) into tables; `talentcast.demo.tables.render_generated_md` prints them all into
`talentcast/data/generated/GENERATED.md`. Edit them here, then run `python -m talentcast.demo --write`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

DEMO_REGION = "450200"
DEMO_PARENT_REGION = "450000"
REAL_YEARS = tuple(range(2003, 2016))  # Liuzhou's real section series (city panel, 2003-2015)
EMPLOYMENT_YEARS = tuple(range(2003, 2026))  # sections: real to 2015, generated 2016-2025
DIVISION_YEARS = tuple(range(2009, 2026))  # divisions (generated shares of the section) from 2009
LAST_OBSERVED_YEAR = 2025  # outcomes and vacancies end here
INTAKE_YEARS = tuple(range(2012, 2027))  # 2026 = this year's admission (already known in a plan)
VACANCY_MONTHS = pd.period_range("2019-01", "2025-12", freq="M")


# --------------------------------------------------------------------------------------------------------------
# 1. Employment assumptions
# --------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SectionAssumption:
    """Yearly log growth of a Liuzhou section after its last real year (2015)."""

    growth_2016_2019: float
    growth_2020_2025: float
    why: str


SECTION_GROWTH_NOISE_SD = 0.01  # yearly log noise on growth, 2016-2025

# 2003-2015 is the real city series; these trends only continue it from its real 2015 level.
SECTIONS: dict[str, SectionAssumption] = {
    "A": SectionAssumption(-0.03, -0.03, "farm employment in urban units keeps falling"),
    "B": SectionAssumption(-0.06, -0.12, "small mines closed (capacity cuts, mine safety campaigns)"),
    "C": SectionAssumption(0.010, 0.005, "industrial city: manufacturing holds up"),
    "D": SectionAssumption(0.010, 0.010, "utilities grow with power demand"),
    "E": SectionAssumption(0.020, -0.070, "construction contracts after the 2020 property slump"),
    "F": SectionAssumption(0.010, 0.000, "trade flat"),
    "G": SectionAssumption(0.020, 0.015, "logistics hub, steady"),
    "H": SectionAssumption(0.010, -0.010, "hospitality weak after 2020"),
    "I": SectionAssumption(0.050, 0.060, "digital economy grows"),
    "J": SectionAssumption(0.020, 0.010, "finance slow growth"),
    "K": SectionAssumption(0.030, -0.120, "real estate shrinks fast after 2020 (sales fell ~40%)"),
    "L": SectionAssumption(0.030, 0.020, "business services grow"),
    "M": SectionAssumption(0.030, 0.030, "R&D and technical services grow with industry upgrading"),
    "N": SectionAssumption(0.010, 0.010, "public facilities steady"),
    "O": SectionAssumption(0.000, 0.000, "resident services flat (most of the trade is outside urban units)"),
    "P": SectionAssumption(0.010, 0.005, "education steady"),
    "Q": SectionAssumption(0.030, 0.030, "health grows with an ageing population"),
    "R": SectionAssumption(0.000, 0.000, "culture flat"),
    "S": SectionAssumption(0.010, 0.005, "public administration steady"),
}


@dataclass(frozen=True)
class DivisionAssumption:
    """A division's share of its (real, then generated) section in 2009 and the yearly drift of its log share."""

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
# 4. The alternative world (`world="alternative"`; issue #13): a structure unlike the model's. GENERATED.
# --------------------------------------------------------------------------------------------------------------
# The default ("structural") world above shares the model's stock-flow structure: employment follows a trend
# with small independent noise, openings follow the model's own accounting with the stated sector parameters,
# and every job-seeking graduate stays in the city. A model scored on it is scored on its own assumptions. The
# alternative world keeps the real 2003-2015 history, schools, intake and crosswalk as published, and changes
# what the model cannot see:
WORLDS = ("structural", "alternative")
DEFAULT_WORLD = "structural"
# 1. Demand follows a hidden province-wide business cycle (a Markov chain of regimes, shared by every city of a
#    world) instead of a steady trend: each regime adds its log growth x the section's cyclicality, and sector
#    shocks are persistent (AR(1)) with a part common to all cities of the world (correlated across cities).
ALT_REGIMES = {"boom": 0.03, "normal": 0.0, "bust": -0.04}  # added log growth a year at cyclicality 1
ALT_REGIME_STAY = 0.65  # P(the regime continues next year); otherwise one of the others, equally likely
ALT_CYCLICALITY_RANGE = (0.3, 1.5)  # per section, drawn once per world
ALT_COMMON_SHOCK_SD = 0.03  # sector shock shared by all cities of the world, log, a year
ALT_LOCAL_SHOCK_SD = 0.03  # the city's own sector shock, log, a year
ALT_SHOCK_PERSISTENCE = 0.6  # AR(1) coefficient of the sector shocks
# 2. Separations and graduate entry differ from the published sector parameters by more than the model's stated
#    90% ranges (forecasting/data/assumptions.yaml: replacement x0.67-1.5, entry share x0.6-1.6): each sector's
#    true value is the published one x a factor drawn from one of these bands (half the sectors below, half
#    above), once per world; separations also rise in booms (quits) and fall in busts.
ALT_SEPARATION_FACTOR_BANDS = ((0.35, 0.55), (1.8, 2.6))
ALT_ENTRY_FACTOR_BANDS = ((0.3, 0.5), (1.7, 2.2))
ALT_MAX_ENTRY_SHARE = 0.95
ALT_QUIT_CYCLE = 5.0  # separations x exp(this x the regime's log growth): +16% in a boom, -18% in a bust
# 3. Graduates leave the region: the share of job-seeking graduates who look for work in the city falls by a
#    trend (out-migration) and rises with how tight their sectors are before they decide (logit scale); the true
#    flows of a major's graduates to sectors differ from the published crosswalk (Dirichlet around it).
ALT_STAY_TREND = -0.05  # logit of the share staying, per year after 2015
ALT_STAY_SLOPE = 0.4  # per unit of log(tightness before the decision)
ALT_FLOW_CONCENTRATION = 6.0  # true flows ~ Dirichlet(this x published weights), per school x major
ALT_EMPLOYED_AWAY = 0.85  # P(employed) of a graduate who left the city (not observed locally)
