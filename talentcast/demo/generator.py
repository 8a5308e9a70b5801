"""Seeded synthetic data for the demo city, Liuzhou (柳州, 450200). GENERATED, NOT OBSERVED.

No public series exists for one city's employment by industry division, its schools' intake per major or its
graduates' outcomes, so the demo fills them from stated assumptions. Every assumption is a named constant in
`talentcast.demo.assumptions`, and `talentcast.demo.tables.render_generated_md` prints them all into
`talentcast/data/generated/GENERATED.md`; every number in the generated tables arises from these assumptions,
the real Liuzhou series and one seeded numpy Generator. Nothing is an output typed in by hand.

How the parts hang together (one pass, no feedback loops):

1. Employment. 2003-2015: Liuzhou's real section series (City Statistical Yearbook; the 2013 survey-frame break
   included), not generated. 2016-2025: stated trend growth per section from the real 2015 level + noise.
   Divisions (C36 ...) 2009-2025 = a share of their (real, then generated) section that drifts by a stated
   trend; their sum stays below the section.
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

Run `python -m talentcast.demo --write` to regenerate the shipped CSVs, metadata.json and GENERATED.md.

That is the "structural" world: it shares the model's stock-flow structure. `generate(..., world="alternative")`
(`generate_alternative`, assumptions.py section 4) builds the same city in a world the model does not share: a
hidden business cycle with persistent sector shocks, true separation rates and entry shares outside the model's
stated ranges, graduates leaving the city, true flows unlike the published crosswalk. Not shipped as files;
`talentcast.demo.worlds.build_world` builds either world in memory with the truth to score against.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.crosswalk import build_major_sector_map, normalise_weights
from talentcast.demo.assumptions import (
    ALT_COMMON_SHOCK_SD,
    ALT_CYCLICALITY_RANGE,
    ALT_EMPLOYED_AWAY,
    ALT_ENTRY_FACTOR_BANDS,
    ALT_FLOW_CONCENTRATION,
    ALT_LOCAL_SHOCK_SD,
    ALT_MAX_ENTRY_SHARE,
    ALT_QUIT_CYCLE,
    ALT_REGIME_STAY,
    ALT_REGIMES,
    ALT_SEPARATION_FACTOR_BANDS,
    ALT_SHOCK_PERSISTENCE,
    ALT_STAY_SLOPE,
    ALT_STAY_TREND,
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
    EMPLOYMENT_YEARS,
    FESTIVAL_LULL,
    FESTIVAL_LULL_CUT,
    FURTHER_STUDY_SHARE,
    GRADUATION_BOOST_SEEKERS,
    INTAKE_BOUNDS,
    INTAKE_NOISE_SD,
    INTAKE_YEARS,
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
    SCHOOL_LEVEL,
    SCHOOLS,
    SECTION_GROWTH_NOISE_SD,
    SECTIONS,
    SPRING_FESTIVAL,
    TIGHTNESS_BOUNDS,
    VACANCY_MONTHS,
    VACANCY_NOISE_SD,
    VACANCY_RATIO_INTERCEPT,
    VACANCY_RATIO_SLOPE,
    WORLDS,
)
from talentcast.settings import get_settings


def default_seed() -> int:
    """The seed used when none is given: `Settings.random_seed` (TALENTCAST_RANDOM_SEED, else its default)."""
    return int(get_settings().random_seed)


# --------------------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------------------
@dataclass
class RealInputs:
    """Real and curated tables the generator starts from (read by `talentcast.demo.tables`).

    Attributes:
        city_employment: Liuzhou's real employment, columns sector, year, employed (persons), 19 sections,
            2003-2015 (talentcast.reference_data.city_employment).
        majors: contract majors frame (code, level, duration_years ...): the whole catalogue.
        links: real major -> occupation links (major_code, occupation_code).
        occupation_sector: curated occupation-group -> sector table.
        sector_parameters: contract sector_parameters frame for the demo sectors.
    """

    city_employment: pd.DataFrame
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
    world: str = DEFAULT_WORLD
    # Alternative world only: what the model cannot see - the regime of each year and the true sector
    # parameters (sector, separation_factor, entry_factor, replacement_rate, graduate_entry_share).
    hidden: dict = field(default_factory=dict)


def generate(real: RealInputs, seed: int | None = None, world: str = DEFAULT_WORLD,
             world_seed: int | None = None) -> GeneratedData:
    """Generate every synthetic table of the demo city from `real` and `seed`.

    Args:
        real: the real and curated inputs.
        seed: seed of the numpy Generator; None = `default_seed()` (Settings.random_seed). The same seed gives
            identical frames.
        world: "structural" (default: the demo's world, which shares the model's stock-flow structure) or
            "alternative" (a hidden business cycle, sector parameters off the model's ranges, graduates
            leaving the city: `generate_alternative`).
        world_seed: alternative world only: seed of what all cities of one world share (the business cycle,
            common sector shocks, the true sector parameters); None = `seed`.

    Returns:
        GeneratedData with contract frames for employment (450200 rows only), schools, enrolment,
        major_sector_map (demo majors) and vacancies.
    """
    seed = default_seed() if seed is None else int(seed)
    if world not in WORLDS:
        raise ValueError(f"unknown generated world {world!r}; choose one of {', '.join(WORLDS)}")
    if world == "alternative":
        return generate_alternative(real, seed, seed if world_seed is None else int(world_seed))
    # One child stream per component, so that changing one component's draws leaves the others unchanged.
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    employment_rng, intake_rng, outcome_rng, vacancy_rng = streams

    employment = liuzhou_employment(real.city_employment, employment_rng)
    crosswalk, weight_sources, levels, cohorts = _school_cohorts(real, intake_rng, outcome_rng)
    openings = graduate_openings(employment, real.sector_parameters)
    tightness = sector_tightness(openings, cohorts, crosswalk, levels)
    enrolment = graduate_outcomes(cohorts, tightness, crosswalk, levels, outcome_rng)
    vacancies = pes_vacancies(openings, tightness, vacancy_rng)
    return _generated(employment, enrolment, crosswalk, vacancies, weight_sources, tightness)


def _school_cohorts(real, intake_rng, outcome_rng):
    """The school side both worlds share: crosswalk (and its sources), major levels, intake and cohorts.

    The draws are taken in this order in both worlds, so a world's enrolment depends only on its seed.
    """
    crosswalk, weight_sources = demo_major_sector_map(real.links, real.occupation_sector)
    levels = real.majors.set_index("code")[["level", "duration_years"]]
    intake = intake_histories(levels, intake_rng)
    cohorts = graduate_cohorts(intake, levels, outcome_rng)
    return crosswalk, weight_sources, levels, cohorts


def _generated(employment, enrolment, crosswalk, vacancies, weight_sources, tightness, **world) -> GeneratedData:
    return GeneratedData(
        employment=employment.assign(region=DEMO_REGION)[["region", "sector", "year", "employed"]],
        schools=schools_frame(),
        enrolment=enrolment,
        major_sector_map=crosswalk,
        vacancies=vacancies,
        weight_sources=weight_sources,
        tightness=tightness,
        **world,
    )


def schools_frame() -> pd.DataFrame:
    """The fictional demo schools as a contract `schools` frame."""
    return pd.DataFrame(
        {"code": [s.code for s in SCHOOLS], "name": [s.name for s in SCHOOLS],
         "name_en": [s.name_en for s in SCHOOLS], "region": DEMO_REGION, "type": [s.type for s in SCHOOLS]}
    )


def liuzhou_employment(city: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Employment of the demo city by section (2003-2025) and target division (2009-2025), persons.

    Args:
        city: Liuzhou's real employment (sector, year, employed in persons), 2003-2015, 19 sections: kept as
            it is; the sections continue from their real 2015 level by the stated trends.
        rng: random stream.

    Returns:
        Frame sector, year, employed for the 19 sections and the 8 divisions.
    """
    table = city.pivot(index="sector", columns="year", values="employed")
    missing = [s for s in SECTIONS if s not in table.index or table.loc[s, list(REAL_YEARS)].isna().any()]
    if missing:
        raise ValueError(f"Liuzhou employment lacks section(s) {missing} for {REAL_YEARS[0]}-{REAL_YEARS[-1]}")
    n_real, n_future = len(REAL_YEARS), len(EMPLOYMENT_YEARS) - len(REAL_YEARS)
    future_years = np.array(EMPLOYMENT_YEARS[n_real:])
    sections: dict[str, np.ndarray] = {}
    for code, assumption in SECTIONS.items():
        history = table.loc[code, list(REAL_YEARS)].to_numpy(dtype=float)
        growth = np.where(future_years <= 2019, assumption.growth_2016_2019, assumption.growth_2020_2025)
        growth = growth + rng.normal(0, SECTION_GROWTH_NOISE_SD, n_future)
        future = np.round(history[-1] * np.exp(np.cumsum(growth)))
        sections[code] = np.concatenate([history, future])

    return _with_divisions(sections, rng)


def _with_divisions(sections: dict[str, np.ndarray], rng: np.random.Generator) -> pd.DataFrame:
    """Sections (code -> values over EMPLOYMENT_YEARS) plus the target divisions as drifting shares of them."""
    years = np.array(DIVISION_YEARS)
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
        rows.append(pd.DataFrame({"sector": code, "year": np.array(EMPLOYMENT_YEARS), "employed": values}))
    offset = EMPLOYMENT_YEARS.index(DIVISION_YEARS[0])
    for code, share in division_shares.items():
        values = np.round(sections[DIVISIONS[code].parent][offset:] * share)
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
    wide = finest_levels(employment)
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


# --------------------------------------------------------------------------------------------------------------
# The alternative world (issue #13): a structure unlike the model's. GENERATED.
# --------------------------------------------------------------------------------------------------------------
def generate_alternative(real: RealInputs, seed: int, world_seed: int) -> GeneratedData:
    """The demo city in a world whose structure the model does not share (assumptions.py, section 4).

    Same real history (2003-2015), schools, intake draws and published crosswalk as the structural world of the
    same seed; different: employment after 2015 (a hidden business cycle with persistent sector shocks, partly
    common to all cities of the world), openings (true separation rates and graduate entry shares outside the
    model's stated ranges, separations moving with the cycle), job seekers (graduates leave the city, more so
    where their sectors are slack and more every year) and the true flows of graduates to sectors.

    Args:
        real: the real and curated inputs (`sector_parameters` = the published values the model is given).
        seed: the city's own draws (intake, outcomes, vacancies, its sector shocks).
        world_seed: what all cities of one world share (cycle, common shocks, true parameters).

    Returns:
        GeneratedData with world "alternative"; `tightness` holds the hidden truth at the finest level (sector,
        year, employed, openings, graduate_openings, entrants = local job seekers, tightness) and `hidden` the
        regimes and true sector parameters.
    """
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    employment_rng, intake_rng, outcome_rng, vacancy_rng = streams
    world_rng = np.random.default_rng(np.random.SeedSequence([int(world_seed), 13]))
    hidden = alternative_world(real.sector_parameters, world_rng)
    employment = cycle_employment(real.city_employment, hidden, employment_rng)
    crosswalk, weight_sources, levels, cohorts = _school_cohorts(real, intake_rng, outcome_rng)
    openings = hidden_graduate_openings(employment, hidden)
    flows = true_flows(cohorts, crosswalk, outcome_rng)
    enrolment, tightness = leaving_outcomes(cohorts, openings, flows, levels, outcome_rng)
    vacancies = pes_vacancies(openings, tightness, vacancy_rng)
    return _generated(employment, enrolment, crosswalk, vacancies, weight_sources, tightness,
                      world="alternative", hidden={**hidden, "flows": flows})


def alternative_world(parameters: pd.DataFrame, rng: np.random.Generator) -> dict:
    """What all cities of one alternative world share: the regime of each year after 2015, each section's
    cyclicality, the common sector shocks and the true sector parameters (published x a factor off the ranges).
    """
    future_years = [y for y in EMPLOYMENT_YEARS if y > REAL_YEARS[-1]]
    names = list(ALT_REGIMES)
    regime, regimes = "normal", []
    for _ in future_years:
        if rng.uniform() > ALT_REGIME_STAY:
            regime = str(rng.choice([n for n in names if n != regime]))
        regimes.append(regime)
    cyclicality = {code: float(rng.uniform(*ALT_CYCLICALITY_RANGE)) for code in SECTIONS}
    common = {code: rng.normal(0, ALT_COMMON_SHOCK_SD, len(future_years)) for code in SECTIONS}
    true = parameters[["sector", "replacement_rate", "graduate_entry_share"]].copy().reset_index(drop=True)

    def factors(bands: tuple[tuple[float, float], ...]) -> np.ndarray:
        # Half the sectors below the model's range, half above, in a random order.
        side = rng.permutation(np.arange(len(true)) % 2)
        return np.array([np.exp(rng.uniform(*np.log(bands[k]))) for k in side])

    true["separation_factor"] = factors(ALT_SEPARATION_FACTOR_BANDS)
    true["entry_factor"] = factors(ALT_ENTRY_FACTOR_BANDS)
    true["replacement_rate"] = true["replacement_rate"] * true["separation_factor"]
    true["graduate_entry_share"] = np.minimum(true["graduate_entry_share"] * true["entry_factor"],
                                              ALT_MAX_ENTRY_SHARE)
    return {"years": future_years, "regimes": regimes,
            "regime_growth": np.array([ALT_REGIMES[r] for r in regimes]), "cyclicality": cyclicality,
            "common_shocks": common, "parameters": true}


def cycle_employment(city: pd.DataFrame, hidden: dict, rng: np.random.Generator) -> pd.DataFrame:
    """Sections after 2015: stated trend + regime growth x cyclicality + AR(1) shocks (common + own part)."""
    table = city.pivot(index="sector", columns="year", values="employed")
    sections: dict[str, np.ndarray] = {}
    future_years = np.array(hidden["years"])
    for code, assumption in SECTIONS.items():
        history = table.loc[code, list(REAL_YEARS)].to_numpy(dtype=float)
        trend = np.where(future_years <= 2019, assumption.growth_2016_2019, assumption.growth_2020_2025)
        innovations = hidden["common_shocks"][code] + rng.normal(0, ALT_LOCAL_SHOCK_SD, len(future_years))
        shocks = np.zeros(len(future_years))
        for t, innovation in enumerate(innovations):
            shocks[t] = (ALT_SHOCK_PERSISTENCE * shocks[t - 1] if t else 0.0) + innovation
        growth = trend + hidden["regime_growth"] * hidden["cyclicality"][code] + shocks
        sections[code] = np.concatenate([history, np.round(history[-1] * np.exp(np.cumsum(growth)))])
    return _with_divisions(sections, rng)


def hidden_graduate_openings(employment: pd.DataFrame, hidden: dict) -> pd.DataFrame:
    """True graduate openings at the finest level: change + separations (true rates, moving with the cycle),
    floored at zero, x the true graduate entry share. Columns as `graduate_openings`."""
    wide = finest_levels(employment)
    params = hidden["parameters"].set_index("sector")
    rate = wide.index.map(params["replacement_rate"]).to_numpy(dtype=float)[:, None]
    share = wide.index.map(params["graduate_entry_share"]).to_numpy(dtype=float)[:, None]
    years = np.asarray(wide.columns[1:], dtype="int64")
    cycle = dict(zip(hidden["years"], hidden["regime_growth"]))
    quits = np.exp(ALT_QUIT_CYCLE * np.array([cycle.get(int(y), 0.0) for y in years]))[None, :]
    values = wide.to_numpy(dtype=float)
    openings = np.maximum(values[:, 1:] - values[:, :-1] + values[:, :-1] * rate * quits, 0.0)
    return pd.DataFrame({
        "sector": np.repeat(wide.index.to_numpy(), len(years)),
        "year": np.tile(years, len(wide)),
        "employed": values[:, 1:].ravel(),
        "openings": openings.ravel(),
        "graduate_openings": (openings * share).ravel(),
    })


def true_flows(cohorts: pd.DataFrame, crosswalk: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Where each school x major's graduates really go: Dirichlet(ALT_FLOW_CONCENTRATION x published weights)."""
    pairs = cohorts[["school", "major"]].drop_duplicates().sort_values(["school", "major"])
    parts = []
    for school, major in pairs.itertuples(index=False):
        published = crosswalk[crosswalk["major"] == major]
        weights = rng.dirichlet(ALT_FLOW_CONCENTRATION * published["weight"].to_numpy(dtype=float))
        parts.append(pd.DataFrame({"school": school, "major": major, "sector": published["sector"].to_numpy(),
                                   "weight": weights}))
    return pd.concat(parts, ignore_index=True)


def leaving_outcomes(cohorts: pd.DataFrame, openings: pd.DataFrame, flows: pd.DataFrame, levels: pd.DataFrame,
                     rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Outcomes when graduates may leave the city: who stays to seek work, who finds it, the true tightness.

    Returns:
        (contract enrolment frame, finest-level truth: sector, year, employed, openings, graduate_openings,
        entrants (local job seekers), tightness).
    """
    frame = cohorts[cohorts["graduates"].notna()].copy()
    level = frame["major"].map(levels["level"])
    graduates = frame["graduates"].to_numpy(dtype="int64")
    further = rng.binomial(graduates, level.map(FURTHER_STUDY_SHARE).to_numpy())
    frame["potential"] = graduates - further
    # Tightness before graduates decide where to look: openings / graduates who would stay at the level share.
    frame["would_stay"] = frame["potential"] * level.map(LOCAL_SHARE).to_numpy()
    pre = _tightness(openings, frame, flows, "would_stay")
    x_pre = _pressure(frame, flows, pre)
    years_on = np.maximum(frame["year"].to_numpy() - REAL_YEARS[-1], 0)
    stay = _logistic(_logit(level.map(LOCAL_SHARE).to_numpy()) + ALT_STAY_TREND * years_on + ALT_STAY_SLOPE * x_pre)
    frame["local_seekers"] = rng.binomial(frame["potential"].to_numpy(dtype="int64"), stay)
    truth = _tightness(openings, frame, flows, "local_seekers")
    x = _pressure(frame, flows, truth)
    pairs = frame[["school", "major"]].drop_duplicates().reset_index(drop=True)
    pairs["school_effect"] = rng.normal(0, SCHOOL_EFFECT_SD, len(pairs))
    effect = frame.merge(pairs, on=["school", "major"], how="left")["school_effect"].to_numpy()
    logit = EMPLOYMENT_LOGIT_INTERCEPT + EMPLOYMENT_LOGIT_SLOPE * x + effect + rng.normal(0, EMPLOYMENT_NOISE_SD,
                                                                                          len(frame))
    local_employed = rng.binomial(frame["local_seekers"].to_numpy(dtype="int64"), _logistic(logit))
    away_employed = rng.binomial((frame["potential"] - frame["local_seekers"]).to_numpy(dtype="int64"),
                                 ALT_EMPLOYED_AWAY)
    outcome = {"graduates_employed": local_employed + away_employed, "graduates_further_study": further,
               "graduates_local": local_employed}
    out = cohorts[["school", "major", "year", "intake", "graduates"]].copy()
    for name, values in outcome.items():
        column = pd.array([pd.NA] * len(out), dtype="Int64")
        column[np.flatnonzero(cohorts["graduates"].notna().to_numpy())] = values
        out[name] = column
    return out.sort_values(["school", "major", "year"], ignore_index=True), truth


def _tightness(openings: pd.DataFrame, frame: pd.DataFrame, flows: pd.DataFrame, column: str) -> pd.DataFrame:
    """Graduate openings / max(`column` of the graduates flowing to each finest sector, 1), per sector and year."""
    supply = (frame[["school", "major", "year", column]].merge(flows, on=["school", "major"])
              .assign(entrants=lambda f: f[column] * f["weight"]).groupby(["sector", "year"])["entrants"].sum())
    table = openings[openings["year"].between(2015, LAST_OBSERVED_YEAR)].join(supply, on=["sector", "year"])
    table["entrants"] = table["entrants"].fillna(0.0)
    table["tightness"] = table["graduate_openings"] / np.maximum(table["entrants"], 1.0)
    return table.reset_index(drop=True)


def _pressure(frame: pd.DataFrame, flows: pd.DataFrame, tightness: pd.DataFrame) -> np.ndarray:
    """Per row of `frame`: sum over its true flows of weight x log(tightness), clipped; 0 where unknown."""
    log_tight = np.log(tightness.set_index(["sector", "year"])["tightness"].clip(*TIGHTNESS_BOUNDS))
    rows = frame[["school", "major", "year"]].reset_index(drop=True).reset_index()
    merged = rows.merge(flows, on=["school", "major"]).join(log_tight.rename("log_t"), on=["sector", "year"])
    merged["weighted"] = merged["weight"] * merged["log_t"].fillna(0.0)
    return merged.groupby("index")["weighted"].sum().reindex(rows["index"], fill_value=0.0).to_numpy()


def finest_levels(employment: pd.DataFrame) -> pd.DataFrame:
    """Wide employment (sector x year) at the finest level: divisions, and each section less its divisions."""
    wide = employment.pivot(index="sector", columns="year", values="employed")
    for parent in {d.parent for d in DIVISIONS.values()}:
        children = [c for c, d in DIVISIONS.items() if d.parent == parent]
        wide.loc[parent] = wide.loc[parent] - wide.loc[children].sum()
    return wide


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
