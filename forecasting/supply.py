"""Supply of new graduate entrants by school x major x year, and by sector through the crosswalk (毕业生供给).

For a graduation year y and a programme of d years (majors.duration_years):

    expected_graduates(y) = intake(y - d) x completion_rate
    graduate_entrants(y)  = expected_graduates(y) x (1 - further_study_share) x local_retention

Graduate entrants are *job seekers*: graduates not going on to further study who enter the local labour market,
employed or not. (Until #13 supply also multiplied by the employment share, i.e. counted only graduates who found
a job - which made supply an outcome of demand: a weak market lowered "supply" and hid its own surplus.)

with the rates defined so that the chain multiplies out to the contract's counts:

    completion_rate     = graduates(y) / intake(y - d)
    further_study_share = graduates_further_study / graduates
    employment_share    = graduates_employed / (graduates - graduates_further_study)   (of those not studying on)
    local_retention     = graduates_local / graduates_employed

local_retention, observed among the employed, is applied to all job seekers (the unemployed are assumed to look
for work where the employed found it). employment_share is still estimated (warnings and outcomes use it) but no
longer scales supply.

Intake of year y - d comes from the enrolment pipeline when that cohort is already admitted ("pipeline"), from
a planner's scenario ("planned"), or else from a forecast: a damped log-linear trend of the last six intakes with
log-normal uncertainty growing with the square root of the lead ("forecast").

Rates are estimated from the last `recent_years` graduation years of the school's own history (pooled ratio of
sums) and shrunk towards the same major across all schools (or, failing that, the level's average, or the
documented defaults) with the weight n / (n + prior_strength), n = years of own data: a school with one year of
data sits mostly on the average, one with five years mostly on its own record. Their uncertainty is the
year-to-year spread of the school's rates (or its level's typical spread), drawn as logit-normal per sample path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from features.contract import DEFAULT_DURATION_YEARS
from features.errors import TalentcastError
from forecasting.assumptions import load_assumptions

RATES = ("completion_rate", "further_study_share", "employment_share", "local_retention")
# Fallbacks when neither the school, the major nor the level has any outcome data (documented in
# docs/supply-demand.md). Chosen near national vocational averages.
DEFAULT_RATES = {"completion_rate": 0.92, "further_study_share": 0.15, "employment_share": 0.90,
                 "local_retention": 0.55}
DEFAULT_RATE_SD = 0.05
_RATE_PARTS = {  # rate -> (numerator, denominator) columns of the yearly outcome frame
    "completion_rate": ("graduates", "cohort_intake"),
    "further_study_share": ("graduates_further_study", "graduates"),
    "employment_share": ("graduates_employed", "not_further"),
    "local_retention": ("graduates_local", "graduates_employed"),
}
UNIT_COLUMNS = ["school", "major", "region", "level", "duration_years"]
# Rates whose fallback is an assumption with a stated source and range (local retention): value and spread.
ASSUMED_RATES = {name: a for name, a in load_assumptions().parameters.items() if name in RATES}


def supply_units(enrolment: pd.DataFrame, majors: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """One row per (school, major) offered: region of the school, level and programme length of the major."""
    units = enrolment[["school", "major"]].astype(str).drop_duplicates()
    majors = majors.assign(code=majors["code"].astype(str))
    schools = schools.assign(code=schools["code"].astype(str))
    units = units.merge(majors[["code", "level", "duration_years"]].rename(columns={"code": "major"}),
                        on="major", how="left")
    units = units.merge(schools[["code", "region"]].rename(columns={"code": "school"}), on="school", how="left")
    missing = units[units["region"].isna()]
    if not missing.empty:
        raise TalentcastError(f"enrolment: column 'school', value {missing['school'].iloc[0]!r}: "
                              "school is not in the schools table",
                              f"enrolment：“school”列的值 {missing['school'].iloc[0]!r} 不在学校表中")
    missing = units[units["level"].isna()]
    if not missing.empty:
        raise TalentcastError(f"enrolment: column 'major', value {missing['major'].iloc[0]!r}: "
                              "major is not in the majors table",
                              f"enrolment：“major”列的值 {missing['major'].iloc[0]!r} 不在专业表中")
    default_duration = units["level"].map(DEFAULT_DURATION_YEARS)
    units["duration_years"] = units["duration_years"].fillna(default_duration).fillna(3).astype(int)
    units["region"] = units["region"].astype(str)
    return units.sort_values(["region", "school", "major"]).reset_index(drop=True)[UNIT_COLUMNS]


def yearly_outcomes(enrolment: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Enrolment rows with the cohort intake (intake of year - duration) and the rate denominators."""
    frame = enrolment.assign(school=enrolment["school"].astype(str), major=enrolment["major"].astype(str))
    frame = frame.merge(units[["school", "major", "duration_years"]], on=["school", "major"])
    cohort = frame[["school", "major", "year", "intake", "duration_years"]].copy()
    cohort["year"] = cohort["year"] + cohort["duration_years"]
    frame = frame.merge(cohort[["school", "major", "year", "intake"]].rename(columns={"intake": "cohort_intake"}),
                        on=["school", "major", "year"], how="left")
    for col in ("graduates", "graduates_employed", "graduates_further_study", "graduates_local"):
        if col not in frame:
            frame[col] = np.nan
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    frame["not_further"] = frame["graduates"] - frame["graduates_further_study"]
    return frame


def estimate_rates(enrolment: pd.DataFrame, units: pd.DataFrame, recent_years: int = 5,
                   prior_strength: float = 3.0) -> pd.DataFrame:
    """Shrunken outcome rates and their uncertainty per (school, major).

    Args:
        enrolment: contract enrolment table.
        units: from `supply_units`.
        recent_years: graduation years of own history used (the most recent ones with data).
        prior_strength: pseudo-years given to the major / level average in the shrinkage.

    Returns:
        units plus, for each rate R in RATES: R (shrunk mean), R_sd (spread used for simulation),
        R_years (own years used), R_source ("own+major", "own+level", "major", "level", "default").
    """
    outcomes = yearly_outcomes(enrolment, units)
    out = units.copy()
    for rate, (num, den) in _RATE_PARTS.items():
        data = outcomes[["school", "major", "year", num, den]].dropna()
        data = data[data[den] > 0]
        data = data.sort_values("year").groupby(["school", "major"]).tail(recent_years)
        data = data.assign(value=(data[num] / data[den]).clip(0, 1))
        data = data.merge(units[["school", "major", "level"]], on=["school", "major"])
        own = data.groupby(["school", "major"]).agg(num=(num, "sum"), den=(den, "sum"), years=("value", "size"),
                                                    sd=("value", "std")).reset_index()
        own["own"] = (own["num"] / own["den"]).clip(0, 1)
        by_major = data.groupby("major")[[num, den]].sum()
        by_major = (by_major[num] / by_major[den]).clip(0, 1).rename("major_mean")
        by_level = data.groupby("level")[[num, den]].sum()
        by_level = (by_level[num] / by_level[den]).clip(0, 1).rename("level_mean")
        level_sd = own.merge(units[["school", "major", "level"]], on=["school", "major"]).groupby("level")["sd"]
        level_sd = level_sd.median().rename("level_sd")
        merged = out[["school", "major", "level"]].merge(own, on=["school", "major"], how="left")
        merged = merged.merge(by_major, left_on="major", right_index=True, how="left")
        merged = merged.merge(by_level, left_on="level", right_index=True, how="left")
        merged = merged.merge(level_sd, left_on="level", right_index=True, how="left")
        assumed = ASSUMED_RATES.get(rate)
        default_value = assumed.central if assumed is not None else DEFAULT_RATES[rate]
        prior = merged["major_mean"].fillna(merged["level_mean"]).fillna(default_value)
        prior_source = np.where(merged["major_mean"].notna(), "major",
                                np.where(merged["level_mean"].notna(), "level", "default"))
        years = merged["years"].fillna(0).to_numpy()
        own_value = merged["own"].fillna(0).to_numpy()
        shrunk = (years * own_value + prior_strength * prior.to_numpy()) / (years + prior_strength)
        # Own spread needs three years to mean anything; below that the level's typical spread is used.
        sd = np.where(years >= 3, merged["sd"].fillna(np.nan), np.nan)
        sd = np.where(np.isnan(sd), merged["level_sd"].fillna(DEFAULT_RATE_SD), sd)
        if assumed is not None:
            # Nothing known about it at all: the assumption's own range (forecasting/data/assumptions.yaml).
            sd = np.where((years == 0) & (prior_source == "default"), assumed.rate_sd, sd)
        out[rate] = np.clip(shrunk, 0.0, 1.0)
        out[f"{rate}_sd"] = np.clip(np.nan_to_num(sd, nan=DEFAULT_RATE_SD), 0.005, 0.25)
        out[f"{rate}_years"] = years.astype(int)
        out[f"{rate}_source"] = np.where(years > 0, np.char.add("own+", prior_source.astype(str)), prior_source)
    return out


INTAKE_TREND_YEARS = 6      # intakes the trend is fitted on
INTAKE_TREND_DAMPING = 0.8  # each further year keeps 80% of the previous year's growth (damped trend)
INTAKE_TREND_CAP = 0.3      # |log growth| a year at most: a school does not double a class every two years


def intake_history(enrolment: pd.DataFrame, units: pd.DataFrame,
                   recent: int = INTAKE_TREND_YEARS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Observed intakes and the intake forecast model per unit (a damped log-linear trend).

    A plan's intake is forecast from the trend of the last `recent` intakes, not their mean: a mean of the last
    three years undercounts a growing major by about its growth over one and a half years, every year.

    Returns:
        (known, model): known is a units x admission-year frame of observed intakes (row order of `units`,
        NaN where the unit has no row that year); model has one row per unit with last_year, intake_level (the
        trend's fitted intake in the last year), intake_trend (log growth a year, damped by
        INTAKE_TREND_DAMPING each further year; 0 with fewer than three intakes) and intake_log_sd (spread of
        yearly log changes over the last six intakes, 0.03..0.5; 0.1 when too short) - the interval of a lead
        of L years is log-normal with sd intake_log_sd x sqrt(L).
    """
    frame = enrolment.assign(school=enrolment["school"].astype(str), major=enrolment["major"].astype(str))
    wide = frame.pivot_table(index=["school", "major"], columns="year", values="intake", aggfunc="sum")
    wide = wide.reindex(pd.MultiIndex.from_frame(units[["school", "major"]])).astype(float)
    ordered = frame.sort_values("year")
    grouped = ordered.groupby(["school", "major"], sort=False)
    last_year = grouped["year"].max()
    level, trend = _log_trends(ordered, recent)
    log_change = np.log(ordered["intake"].astype(float) + 1.0).groupby(
        [ordered["school"], ordered["major"]], sort=False).diff()
    recent_changes = log_change.groupby([ordered["school"], ordered["major"]], sort=False).tail(5)
    log_sd = recent_changes.groupby([ordered["school"], ordered["major"]], sort=False).std(ddof=1)
    counts = recent_changes.notna().groupby([ordered["school"], ordered["major"]], sort=False).sum()
    log_sd = log_sd.where(counts >= 2, 0.1).fillna(0.1).clip(0.03, 0.5)
    index = wide.index
    model = pd.DataFrame({"last_year": last_year.reindex(index).to_numpy().astype(int),
                          "intake_level": level.reindex(index).to_numpy(dtype=float),
                          "intake_trend": trend.reindex(index).to_numpy(dtype=float),
                          "intake_log_sd": log_sd.reindex(index).to_numpy(dtype=float)}, index=units.index)
    return wide.reset_index(drop=True), model


def _log_trends(ordered: pd.DataFrame, recent: int) -> tuple[pd.Series, pd.Series]:
    """(fitted intake in the last year, log growth a year) of every (school, major), as Series keyed by both.

    The least-squares line through each unit's last `recent` (year, log(1 + intake)) points, in closed form over
    grouped sums (a polyfit per unit took seconds on a province's 6,000 units). With fewer than three intakes, or
    a last intake of 0: the last intake and no growth. The growth is capped at +-INTAKE_TREND_CAP.
    """
    keys = [ordered["school"], ordered["major"]]
    last = ordered.groupby(keys, sort=False).tail(recent)
    keys = [last["school"], last["major"]]
    intake = last["intake"].astype(float)
    x = last["year"].astype(float) - last.groupby(keys, sort=False)["year"].transform("last").astype(float)
    y = np.log1p(intake.clip(lower=0.0))
    grouped = pd.DataFrame({"x": x, "y": y, "intake": intake}).groupby(keys, sort=False)
    n = grouped["x"].size()
    x_dev = x - grouped["x"].transform("mean")
    y_dev = y - grouped["y"].transform("mean")
    sums = pd.DataFrame({"xy": x_dev * y_dev, "xx": x_dev * x_dev}).groupby(keys, sort=False).sum()
    slope = (sums["xy"] / sums["xx"].where(sums["xx"] > 0)).fillna(0.0)
    intercept = grouped["y"].mean() - slope * grouped["x"].mean()
    last_intake = grouped["intake"].last()
    fitted = (n >= 3) & (last_intake > 0)
    level = pd.Series(np.where(fitted, np.expm1(intercept), last_intake), index=n.index)
    trend = pd.Series(np.where(fitted, slope.clip(-INTAKE_TREND_CAP, INTAKE_TREND_CAP), 0.0), index=n.index)
    return level, trend


def intake_forecast(model: pd.DataFrame, lead: np.ndarray) -> np.ndarray:
    """Trend forecast of intake `lead` years after each unit's last intake: (units, k) for lead (units, k)."""
    lead = np.asarray(lead, dtype=float)
    phi = INTAKE_TREND_DAMPING
    damped = phi * (1 - phi ** lead) / (1 - phi)  # sum of phi^i for i = 1..lead
    level = np.log1p(np.maximum(model["intake_level"].to_numpy(dtype=float), 0.0))[:, None]
    return np.maximum(np.expm1(level + model["intake_trend"].to_numpy(dtype=float)[:, None] * damped), 0.0)


def intake_matrix(units: pd.DataFrame, years: list[int], known: pd.DataFrame, model: pd.DataFrame,
                  planned: dict | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cohort intake behind each graduation year.

    Args:
        units: supply units.
        years: graduation years.
        known: observed intakes, units x admission year (from `intake_history`).
        model: intake model (from `intake_history`).
        planned: optional {(school, major): {admission year: intake}} from a scenario.

    Returns:
        (value, lead, source): arrays (units, years). value = known / planned intake, or the trend forecast
        (`intake_forecast`) where lead > 0; lead = years after the last observed intake (0 when not a forecast); source codes
        0 pipeline, 1 forecast, 2 planned.
    """
    admission = np.asarray(years, dtype=int)[None, :] - units["duration_years"].to_numpy(dtype=int)[:, None]
    last = model["last_year"].to_numpy(dtype=int)[:, None]
    observed_years = np.asarray(known.columns, dtype=int)
    table = known.to_numpy(dtype=float)
    column = np.searchsorted(observed_years, admission)
    inside = (column < len(observed_years)) & (observed_years[np.minimum(column, len(observed_years) - 1)]
                                               == admission)
    # A year missing inside the observed history means no cohort was admitted that year.
    observed = np.where(inside, table[np.arange(len(units))[:, None], np.minimum(column, len(observed_years) - 1)],
                        0.0)
    observed = np.nan_to_num(observed, nan=0.0)
    is_forecast = admission > last
    lead = np.where(is_forecast, admission - last, 0).astype(float)
    value = np.where(is_forecast, intake_forecast(model, lead), observed)
    source = np.where(is_forecast, 1, 0)
    if planned:
        row_of = {key: i for i, key in enumerate(zip(units["school"], units["major"]))}
        for key, plan in planned.items():
            i = row_of[key]
            for j, year in enumerate(admission[i]):
                if int(year) in plan:
                    value[i, j], lead[i, j], source[i, j] = plan[int(year)], 0.0, 2
    return value, lead, source


def draw_rates(rates: pd.DataFrame, n_paths: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Logit-normal draws (units, 1, paths) of each rate, centred on the estimate with its spread.

    One draw per unit and path, held over the horizon: the reported numbers are per-year marginals, and a rate
    that is off is usually off for several cohorts.
    """
    draws = {}
    for rate in RATES:
        mean = np.clip(rates[rate].to_numpy(dtype=float), 1e-4, 1 - 1e-4)
        sd = rates[f"{rate}_sd"].to_numpy(dtype=float)
        logit_sd = sd / (mean * (1 - mean))  # delta method: sd on the logit scale
        z = rng.standard_normal((len(mean), 1, n_paths))
        draws[rate] = expit(logit(mean)[:, None, None] + np.minimum(logit_sd, 3.0)[:, None, None] * z)
    return draws


def graduate_entrants(intake: np.ndarray, rates: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(expected_graduates, graduate_entrants = local job seekers) from intake and rate arrays (broadcastable)."""
    graduates = intake * rates["completion_rate"]
    entrants = graduates * (1 - rates["further_study_share"]) * rates["local_retention"]
    return graduates, entrants


def allocate_to_sectors(supply: pd.DataFrame, major_sector_map: pd.DataFrame,
                        value: str = "graduate_entrants") -> pd.DataFrame:
    """Split supply of each major over sectors with the crosswalk weights (conserves the total of mapped majors).

    Args:
        supply: frame with region, major, year and `value`.
        major_sector_map: major, sector, weight (weights of a major sum to 1).

    Returns:
        region, sector, year, `value` summed over majors and schools.
    """
    crosswalk = major_sector_map.assign(major=major_sector_map["major"].astype(str),
                                        sector=major_sector_map["sector"].astype(str))
    merged = supply.assign(major=supply["major"].astype(str)).merge(crosswalk, on="major", how="inner")
    merged[value] = merged[value] * merged["weight"]
    return merged.groupby(["region", "sector", "year"], as_index=False)[value].sum()
