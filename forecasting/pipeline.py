"""The supply-demand pipeline: tables in, demand / supply / gaps / major pressure out (pure, no I/O).

    run_pipeline(tables, horizon, scenario, seed, ...)  fits once:
        employment series -> engine sample paths -> reconciled (coherent, non-negative) atom paths
        enrolment -> supply units, shrunken outcome rates, intake model; crosswalk -> sector weights
      = PipelineState, then compute_results(state, scenario) turns the state into result frames.

`compute_results` (and `forecasting.scenarios.apply_scenario`, which calls it) reuses the stored sample paths and
regenerates the supply draws from the state's seed, so a scenario needs no refit and differs from the baseline
only through its changes (common random numbers: a scenario that changes nothing changes nothing).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from features.contract import DEFAULT_SEED
from features.errors import TalentcastError
from forecasting import demand as demand_mod
from forecasting import gaps as gaps_mod
from forecasting import supply as supply_mod
from forecasting.reconcile import Hierarchy, aggregate, ancestors, build_hierarchy, reconcile_atoms
from forecasting.scenarios import Scenario, ScenarioError, load_scenario

REQUIRED_TABLES = ("regions", "sectors", "employment", "majors", "schools", "enrolment")
RESULT_KINDS = ("demand", "supply", "supply_by_sector", "gaps", "major_pressure")
INTAKE_SOURCES = np.array(["pipeline", "forecast", "planned"])
_PATH_BLOCK = 250
# Bumped whenever PipelineState's fields change meaning: older saved states are refused (and rebuilt by callers).
STATE_FORMAT = 2
# Unit x year x path cells per supply chunk: bounds peak memory of the supply simulation (~8 bytes each, x6).
_CHUNK_CELLS = 2_000_000

Sampler = Callable[[pd.DataFrame, int, int, int], pd.DataFrame]


@dataclass
class PipelineState:
    """Everything needed to recompute results without refitting (picklable).

    Attributes:
        tables: the input tables (contract frames) used.
        horizon, base_year, years: forecast years are base_year + 1 .. base_year + horizon.
        seed, n_paths: sample paths; supply draws are regenerated from the seed.
        region: results are kept for this region and its descendants (None = all).
        hierarchy: observed (region, sector) nodes, atoms and summing matrix.
        atom_paths: (atoms, horizon + 1, n_paths) reconciled employment; year index 0 is the base year.
        node_models: forecasting model of each node (engine selection).
        sector_params: sector, replacement_rate, graduate_entry_share, source.
        units: supply units (school, major, region, level, duration_years) with shrunken rates.
        intake_known, intake_model: observed intakes (units x admission year) and the intake forecast model.
        major_sector_map: the crosswalk used; map_source says whether it was given or built.
        supply_weights: (nodes, units) share of a unit's entrants counted in each node.
        pressure_keys, pressure_weights: (region, major) pairs and their (pairs, nodes) sector weights.
        notes: what the run assumed or filled in, for the run's record.
    """

    tables: dict[str, pd.DataFrame]
    horizon: int
    base_year: int
    years: list[int]
    seed: int
    n_paths: int
    region: str | None
    shortage_threshold: float
    surplus_threshold: float
    hierarchy: Hierarchy
    atom_paths: np.ndarray
    node_models: list[str]
    sector_params: pd.DataFrame
    units: pd.DataFrame
    intake_known: pd.DataFrame
    intake_model: pd.DataFrame
    major_sector_map: pd.DataFrame
    map_source: str
    supply_weights: np.ndarray
    pressure_keys: pd.DataFrame
    pressure_weights: np.ndarray
    notes: list[str] = field(default_factory=list)
    format_version: int = STATE_FORMAT

    def to_bytes(self) -> bytes:
        """Serialise (pickle) for storage or a cache; only load bytes you wrote yourself."""
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, data: bytes) -> "PipelineState":
        state = pickle.loads(data)
        if not isinstance(state, cls):
            raise TypeError("bytes do not hold a PipelineState")
        if getattr(state, "format_version", 0) != STATE_FORMAT:
            raise ValueError(f"saved PipelineState has format {getattr(state, 'format_version', 0)}, this version "
                             f"reads format {STATE_FORMAT}; rebuild it with run_pipeline")
        return state


@dataclass
class PipelineResult:
    """results: kind -> frame (RESULT_KINDS); state: PipelineState; meta: run metadata (see INTERFACES.md)."""

    results: dict[str, pd.DataFrame]
    state: PipelineState
    meta: dict[str, Any]


# ----------------------------------------------------------------------------------------------- scope


def region_scope(regions: pd.DataFrame, region: str | None) -> set[str] | None:
    """Codes needed for `region`: itself, its ancestors (for coherence) and its descendants; None = all."""
    if region is None:
        return None
    codes = regions["code"].astype(str)
    if str(region) not in set(codes):
        raise TalentcastError(f"regions: region {region!r} is not in the regions table")
    parent_of = {str(c): (str(p) if isinstance(p, str) and p else None)
                 for c, p in zip(codes, regions.get("parent", pd.Series([None] * len(codes))))}
    keep = set(ancestors(parent_of, str(region)))
    keep |= {c for c in codes if str(region) in ancestors(parent_of, c)}
    return keep


def _descendants_or_self(regions: pd.DataFrame, region: str | None) -> set[str] | None:
    if region is None:
        return None
    parent_of = {str(c): (str(p) if isinstance(p, str) and p else None)
                 for c, p in zip(regions["code"], regions.get("parent", pd.Series([None] * len(regions))))}
    return {c for c in parent_of if str(region) in ancestors(parent_of, c)} | {str(region)}


# ----------------------------------------------------------------------------------------------- demand side


def engine_forecast(frame: pd.DataFrame, horizon: int, n_paths: int, seed: int, method: str = "auto",
                    engine: str = "local", scheduler=None) -> tuple[pd.DataFrame, list]:
    """Sample paths from the forecasting engine, one engine call per group of series ending in the same year.

    Series that end early (e.g. provincial data to 2015 next to city data to 2025) need a longer horizon; fitting
    them apart keeps the model selection of the up-to-date series at the horizon they are used for.

    Returns:
        (paths with series_id, period, path, value, model; list of the engine's ForecastResult per group).
    """
    from forecasting.engine import forecast

    last = frame.groupby("series_id")["period"].max().astype(int)
    target = int(last.max()) + int(horizon)
    all_ids = sorted(last.index)
    parts, results = [], []
    for end, ids in sorted(last.groupby(last).groups.items()):
        group = frame[frame["series_id"].isin(set(ids))]
        result = forecast(group, target - int(end), method=method, engine=engine, scheduler=scheduler)
        models = dict(zip(result.selection["series_id"], result.selection["model"]))
        # Paths are drawn in blocks and kept compact (categorical ids, integer years): the engine's frame has
        # string columns, and a province's 1,000 paths of 600 series would otherwise take about 1 GB.
        for block in range(0, n_paths, _PATH_BLOCK):
            size = min(_PATH_BLOCK, n_paths - block)
            drawn = result.sample_paths(size, seed + int(end) + 7919 * block)
            parts.append(pd.DataFrame({
                "series_id": pd.Categorical(drawn["series_id"], categories=all_ids),
                "period": drawn["period"].astype(str).str[:4].astype(np.int32).to_numpy(),
                "path": (drawn["path"].to_numpy() + block).astype(np.int32),
                "value": drawn["value"].to_numpy(dtype=float)}))
            del drawn
        parts[-1] = parts[-1].assign(model=pd.Categorical(parts[-1]["series_id"].map(models)))
        results.append(result)
    paths = pd.concat(parts, ignore_index=True)
    paths["series_id"] = pd.Categorical(paths["series_id"], categories=all_ids)
    models = {sid: model for r in results for sid, model in zip(r.selection["series_id"], r.selection["model"])}
    paths.attrs["models"] = models
    return paths.drop(columns="model"), results


def employment_series(employment: pd.DataFrame) -> pd.DataFrame:
    """Contract employment -> engine long format (series_id "region|sector", period "YYYY", value)."""
    frame = employment.assign(region=employment["region"].astype(str), sector=employment["sector"].astype(str))
    return pd.DataFrame({"series_id": frame["region"] + "|" + frame["sector"],
                         "period": frame["year"].astype(int).astype(str),
                         "value": frame["employed"].astype(float)})


def base_paths(employment: pd.DataFrame, nodes: pd.DataFrame, base_year: int, horizon: int, n_paths: int,
               paths: pd.DataFrame) -> np.ndarray:
    """(nodes, horizon + 1, n_paths) base values: observed where observed (base year), else sample paths."""
    years = list(range(base_year, base_year + horizon + 1))
    out = np.full((len(nodes), horizon + 1, n_paths), np.nan)
    ids = nodes["region"] + "|" + nodes["sector"]
    node_of = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    period = paths["period"]
    year = (period if period.dtype.kind in "iu" else period.astype(str).str[:4].astype(int)).to_numpy()
    path = paths["path"].astype(int).to_numpy()
    series = paths["series_id"]
    if isinstance(series.dtype, pd.CategoricalDtype):
        # Map the categories once instead of every row's string.
        category_rows = node_of.reindex(series.cat.categories).to_numpy()
        codes = series.cat.codes.to_numpy()
        row = np.where(codes >= 0, category_rows[np.maximum(codes, 0)], np.nan)
    else:
        row = node_of.reindex(series.to_numpy()).to_numpy()
    keep = ~np.isnan(row) & (year >= years[0]) & (year <= years[-1]) & (path >= 0) & (path < n_paths)
    out[row[keep].astype(int), year[keep] - years[0], path[keep]] = paths["value"].to_numpy(dtype=float)[keep]
    observed = employment.assign(sid=employment["region"].astype(str) + "|" + employment["sector"].astype(str))
    observed = observed[observed["year"] == base_year].set_index("sid")["employed"].astype(float)
    for i, sid in enumerate(ids):
        if sid in observed.index:
            out[i, 0, :] = observed[sid]
    missing = np.isnan(out).any(axis=(1, 2))
    if missing.any():
        raise TalentcastError(f"forecast engine returned no sample paths for series {ids[missing].iloc[0]} "
                              f"over {years[0]}-{years[-1]}")
    return np.maximum(out, 0.0)


# ----------------------------------------------------------------------------------------------- crosswalk


def _crosswalk(tables: dict[str, pd.DataFrame], notes: list[str]) -> tuple[pd.DataFrame, str]:
    """The major -> sector map of the run: the given table, else one built from the official links."""
    given = tables.get("major_sector_map")
    if given is not None and not given.empty:
        return given.assign(major=given["major"].astype(str), sector=given["sector"].astype(str)), "given"
    from features.crosswalk import build_major_sector_map

    links, occupation_sector = tables.get("major_occupation_links"), tables.get("occupation_sector")
    if links is None or occupation_sector is None:
        # Packaged read-only reference data (real MOE links, curated occupation -> sector table).
        from pathlib import Path

        data = Path(__file__).resolve().parents[1] / "talentcast" / "data"
        links = pd.read_csv(data / "real" / "major_to_occupation_official_teaching_standards.csv", dtype=str)
        occupation_sector = pd.read_csv(data / "reference" / "occupation_sector.csv", dtype=str)
    built = build_major_sector_map(links, occupation_sector, tables["majors"])
    # The occupation table may name divisions the run's sector list lacks: fall back to their section.
    known = set(tables["sectors"]["code"].astype(str))
    built = built.assign(sector=[s if s in known else s[:1] for s in built["sector"].astype(str)])
    built = built[built["sector"].isin(known)]
    built = built.groupby(["major", "sector"], as_index=False)["weight"].sum()
    built["weight"] = built["weight"] / built.groupby("major")["weight"].transform("sum")
    notes.append(f"major_sector_map was not given: built with features.crosswalk.build_major_sector_map from "
                 f"the official MOE major->occupation links and the occupation->sector table "
                 f"({built['major'].nunique()} majors mapped)")
    return built.assign(major=built["major"].astype(str)), "built"


def supply_weight_matrix(hierarchy: Hierarchy, units: pd.DataFrame, crosswalk: pd.DataFrame) -> np.ndarray:
    """(nodes, units): a unit's entrants count in every observed node containing (its region, mapped sector)."""
    weights = np.zeros((len(hierarchy.nodes), len(units)))
    by_major = {m: list(zip(g["sector"], g["weight"].astype(float))) for m, g in crosswalk.groupby("major")}
    cache: dict[tuple[str, str], np.ndarray] = {}
    for u, (region, major) in enumerate(zip(units["region"], units["major"])):
        for sector, weight in by_major.get(major, []):
            key = (region, sector)
            if key not in cache:
                cache[key] = hierarchy.contains(region, sector)
            weights[cache[key], u] += weight
    return weights


def pressure_weight_matrix(hierarchy: Hierarchy, units: pd.DataFrame,
                           crosswalk: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """(region, major) pairs and (pairs, nodes) weights: each mapped sector's most specific observed node."""
    keys = units[["region", "major"]].drop_duplicates().sort_values(["region", "major"]).reset_index(drop=True)
    weights = np.zeros((len(keys), len(hierarchy.nodes)))
    region_depth = {r: len(hierarchy.region_ancestors.get(r, [r])) for r in hierarchy.nodes["region"]}
    sector_depth = {s: len(hierarchy.sector_ancestors.get(s, [s])) for s in hierarchy.nodes["sector"]}
    depth = np.array([(region_depth[r], sector_depth[s])
                      for r, s in zip(hierarchy.nodes["region"], hierarchy.nodes["sector"])], dtype=float)
    score = depth[:, 0] * 1000 + depth[:, 1]
    by_major = {m: list(zip(g["sector"], g["weight"].astype(float))) for m, g in crosswalk.groupby("major")}
    cache: dict[tuple[str, str], np.ndarray] = {}
    for k, (region, major) in enumerate(zip(keys["region"], keys["major"])):
        for sector, weight in by_major.get(major, []):
            if (region, sector) not in cache:
                cache[(region, sector)] = hierarchy.contains(region, sector)
            mask = cache[(region, sector)]
            if mask.any():
                weights[k, int(np.argmax(np.where(mask, score, -1)))] += weight
    totals = weights.sum(axis=1)
    keep = totals > 0
    return keys[keep].reset_index(drop=True), weights[keep] / totals[keep, None]


# ----------------------------------------------------------------------------------------------- run


def run_pipeline(tables: dict[str, pd.DataFrame], horizon: int = 5, scenario: Any = None, seed: int = DEFAULT_SEED,
                 n_paths: int = 1000, region: str | None = None, method: str = "auto", engine: str = "local",
                 scheduler=None, shortage_threshold: float = gaps_mod.DEFAULT_SHORTAGE_THRESHOLD,
                 surplus_threshold: float = gaps_mod.DEFAULT_SURPLUS_THRESHOLD, sampler: Sampler | None = None,
                 progress: Callable[[str], None] | None = None) -> PipelineResult:
    """Fit the demand and supply sides once and compute all results (pure: no files, no database).

    Args:
        tables: contract tables by name (REQUIRED_TABLES; major_sector_map and sector_parameters optional).
        horizon: forecast years after the last employment year.
        scenario: None (baseline), a Scenario, a dict or a YAML/JSON path.
        seed: seed of the sample paths and supply draws.
        n_paths: sample paths per series.
        region: keep results for this region and its descendants (its ancestors are still forecast, so the
            hierarchy stays coherent). None: the regions of the schools, their ancestors and descendants.
        method, engine, scheduler: passed to the forecasting engine (engine="dask" for large runs).
        shortage_threshold, surplus_threshold: ratio cut-offs of p_shortage / p_surplus.
        sampler: optional function (frame, horizon, n_paths, seed) -> sample paths (series_id, period, path,
            value); default: the forecasting engine.
        progress: optional callback receiving a step name (the CLI advances a progress bar with it).

    Returns:
        PipelineResult(results, state, meta).
    """
    step = progress or (lambda name: None)
    missing = [t for t in REQUIRED_TABLES if t not in tables or tables[t] is None or tables[t].empty]
    if missing:
        raise TalentcastError(f"missing input table(s): {', '.join(missing)}; ingest them first")
    if not 1 <= int(horizon) <= 20:
        raise TalentcastError(f"horizon must be between 1 and 20 years, got {horizon}")
    if n_paths < 10:
        raise TalentcastError(f"n_paths must be at least 10, got {n_paths}")
    notes: list[str] = []
    scenario_obj = load_scenario(scenario) if scenario is not None else None

    regions, sectors = tables["regions"], tables["sectors"]
    scope = region_scope(regions, region)
    if scope is None:
        # Gaps need both sides: forecast the regions that have schools, with their ancestors (coherence) and
        # descendants - not, say, every province of a national table when the schools are in one city.
        school_regions = sorted(set(tables["schools"]["region"].astype(str)))
        scope = set().union(*(region_scope(regions, r) for r in school_regions))
    employment = tables["employment"].assign(region=lambda f: f["region"].astype(str),
                                             sector=lambda f: f["sector"].astype(str))
    if scope is not None:
        employment = employment[employment["region"].isin(scope)]
    if employment.empty:
        raise TalentcastError(f"employment: no rows for region {region}")
    base_year = int(employment["year"].max())
    years = list(range(base_year + 1, base_year + horizon + 1))
    last_year = employment.groupby(["region", "sector"])["year"].max()
    stale = last_year[last_year < base_year]
    if not stale.empty:
        notes.append(f"{len(stale)} employment series end before {base_year} (e.g. "
                     f"{stale.index[0][0]}|{stale.index[0][1]} in {stale.iloc[0]}); they are forecast to "
                     f"{base_year} and weighted by their wider uncertainty in the reconciliation")

    step("forecast")
    nodes = last_year.index.to_frame(index=False)
    series = employment_series(employment)
    if sampler is None:
        paths, forecast_results = engine_forecast(series, horizon, n_paths, seed, method, engine, scheduler)
        model_name = method
    else:
        paths = sampler(series, int(base_year + horizon - last_year.min()), n_paths, seed)
        forecast_results, model_name = [], getattr(sampler, "model_name", "custom")
    base = base_paths(employment, nodes, base_year, horizon, n_paths, paths)
    if paths.attrs.get("models"):
        models = paths.attrs["models"]
        node_models = [str(models.get(f"{r}|{s}", model_name)) for r, s in zip(nodes["region"], nodes["sector"])]
    elif "model" in paths:
        models = paths.drop_duplicates("series_id").set_index("series_id")["model"].astype(str)
        node_models = [models.get(f"{r}|{s}", model_name) for r, s in zip(nodes["region"], nodes["sector"])]
    else:
        node_models = [str(model_name)] * len(nodes)
    del paths

    step("reconcile")
    hierarchy = build_hierarchy(nodes, regions, sectors)
    reconcile_report: dict = {}
    atom_paths = reconcile_atoms(hierarchy, base, report=reconcile_report)
    cells = base.shape[1] * base.shape[2]
    if reconcile_report["nnls"]:
        notes.append(f"reconciliation: in {reconcile_report['nnls']} of {cells} (year, path) draws the divisions "
                     "or cities summed above their parent; solved by non-negative least squares")
    if reconcile_report["clipped"]:
        notes.append(f"reconciliation: in {reconcile_report['clipped']} of {cells} (year, path) draws the "
                     "divisions or cities summed above their parent; the parent was raised to their sum "
                     "(check the hierarchy of the employment table)")
    if hierarchy.summing.sum(axis=0).max() > 1:
        node_models = [f"{m}+mint_wls" for m in node_models]

    step("supply")
    units = supply_mod.supply_units(tables["enrolment"], tables["majors"], tables["schools"])
    if scope is not None:
        units = units[units["region"].isin(scope)].reset_index(drop=True)
    if units.empty:
        raise TalentcastError(f"enrolment: no school in region {region} has enrolment rows")
    units = supply_mod.estimate_rates(tables["enrolment"], units)
    intake_known, intake_model = supply_mod.intake_history(tables["enrolment"], units)
    crosswalk, map_source = _crosswalk(tables, notes)
    unmapped = sorted(set(units["major"]) - set(crosswalk["major"]))
    if unmapped:
        notes.append(f"{len(unmapped)} majors have no crosswalk row and feed no sector (e.g. {unmapped[0]})")
    supply_weights = supply_weight_matrix(hierarchy, units, crosswalk)
    pressure_keys, pressure_weights = pressure_weight_matrix(hierarchy, units, crosswalk)
    sector_params = demand_mod.sector_parameter_table(sectors, tables.get("sector_parameters"))
    if tables.get("sector_parameters") is None or tables["sector_parameters"].empty:
        notes.append("sector_parameters not given: default replacement_rate 0.03 and graduate_entry_share 0.5")

    state = PipelineState(
        tables=tables, horizon=int(horizon), base_year=base_year, years=years, seed=int(seed),
        n_paths=int(n_paths), region=None if region is None else str(region),
        shortage_threshold=float(shortage_threshold), surplus_threshold=float(surplus_threshold),
        hierarchy=hierarchy, atom_paths=atom_paths, node_models=node_models, sector_params=sector_params,
        units=units, intake_known=intake_known, intake_model=intake_model, major_sector_map=crosswalk,
        map_source=map_source, supply_weights=supply_weights, pressure_keys=pressure_keys,
        pressure_weights=pressure_weights, notes=notes)
    step("gaps")
    results = compute_results(state, scenario_obj)
    meta = {"horizon": int(horizon), "base_year": base_year, "years": years, "seed": int(seed),
            "n_paths": int(n_paths), "region": state.region,
            "scenario_id": scenario_obj.id if scenario_obj else None,
            "scenario": scenario_obj.to_dict() if scenario_obj else None,
            "map_source": map_source, "notes": list(notes), "dataset_versions": {},
            "forecast_results": forecast_results}
    return PipelineResult(results=results, state=state, meta=meta)


# ----------------------------------------------------------------------------------------------- results


@dataclass
class _Overrides:
    employment: list = field(default_factory=list)      # (atom mask, year mask over forecast years, change)
    sector: list = field(default_factory=list)          # (parameter, atom mask, year mask, value)
    unit: list = field(default_factory=list)            # (parameter, unit mask, year mask, value)
    planned: dict = field(default_factory=dict)         # (school, major) -> {admission year: intake}


def _compile(state: PipelineState, scenario: Scenario | None) -> _Overrides:
    """Check a scenario's targets against the state and turn its changes into masks."""
    out = _Overrides()
    if scenario is None:
        return out
    nodes = state.hierarchy.node_index()
    atoms = state.hierarchy.atoms
    sector_codes = set(state.sector_params["sector"])
    units = state.units
    last_year = state.years[-1]
    for change in scenario.changes:
        where = f"{scenario.source}: changes[{change.index}]"
        year_mask = np.array([change.years.contains(y) for y in state.years])
        if change.kind != "intake" and not year_mask.any():
            raise ScenarioError(f"{where}.years: selects none of the forecast years "
                                f"{state.years[0]}-{state.years[-1]}")
        if change.kind == "employment_change":
            key = (change.target["region"], change.target["sector"])
            if key not in nodes:
                known = ", ".join(f"{r}|{s}" for r, s in list(nodes)[:8])
                raise ScenarioError(f"{where}.target: no employment series {key[0]}|{key[1]} in this run "
                                    f"(e.g. {known})")
            atom_mask = state.hierarchy.summing[nodes[key]] > 0
            out.employment.append((atom_mask, year_mask, change))
        elif change.kind == "parameter" and change.parameter in demand_mod.SECTOR_PARAMETERS:
            sector = change.target["sector"]
            if sector not in sector_codes:
                raise ScenarioError(f"{where}.target.sector: unknown sector {sector!r}")
            region = change.target.get("region")
            mask = np.array([sector in state.hierarchy.sector_ancestors.get(s, [s]) and
                             (region is None or region in state.hierarchy.region_ancestors.get(r, [r]))
                             for r, s in zip(atoms["region"], atoms["sector"])])
            if not mask.any():
                raise ScenarioError(f"{where}.target: no employment series in sector {sector!r}"
                                    + (f" and region {region!r}" if region else ""))
            out.sector.append((change.parameter, mask, year_mask, change.value))
        elif change.kind == "parameter":
            mask = (units["major"] == change.target["major"]).to_numpy()
            if "school" in change.target:
                mask &= (units["school"] == change.target["school"]).to_numpy()
            if not mask.any():
                raise ScenarioError(f"{where}.target: no school offers major {change.target['major']!r}"
                                    + (f" at school {change.target['school']!r}" if "school" in change.target
                                       else "") + " in this run")
            out.unit.append((change.parameter, mask, year_mask, change.value))
        else:
            key = (change.target["school"], change.target["major"])
            offered = (units["school"] == key[0]) & (units["major"] == key[1])
            if not offered.any():
                raise ScenarioError(f"{where}.target: school {key[0]!r} does not offer major {key[1]!r} in the "
                                    "enrolment table of this run")
            row = state.intake_known.iloc[int(np.flatnonzero(offered.to_numpy())[0])]
            first = int(row.first_valid_index()) if row.notna().any() else state.base_year
            admissions = [y for y in range(first, last_year + 1) if change.years.contains(y)]
            if not admissions:
                raise ScenarioError(f"{where}.years: selects no admission year up to {last_year}")
            out.planned.setdefault(key, {}).update({y: float(change.value) for y in admissions})
    return out


def _apply_employment(state: PipelineState, overrides: _Overrides) -> np.ndarray:
    if not overrides.employment:
        return state.atom_paths
    employment = state.atom_paths.copy()
    for atom_mask, year_mask, change in overrides.employment:
        for j in np.flatnonzero(year_mask):
            block = employment[atom_mask, j + 1, :]
            if change.percent is not None:
                employment[atom_mask, j + 1, :] = block * (1 + change.percent / 100.0)
            else:
                total = block.sum(axis=0, keepdims=True)
                share = np.where(total > 0, block / np.where(total > 0, total, 1), 1.0 / block.shape[0])
                employment[atom_mask, j + 1, :] = np.maximum(block + change.persons * share, 0.0)
    return employment


def _sector_rates(state: PipelineState, overrides: _Overrides) -> tuple[np.ndarray, np.ndarray]:
    params = state.sector_params.set_index("sector")
    atoms = state.hierarchy.atoms["sector"]
    h = len(state.years)
    rates = {}
    for name in demand_mod.SECTOR_PARAMETERS:
        values = params[name].reindex(atoms).to_numpy(dtype=float)
        rates[name] = np.repeat(values[:, None], h, axis=1)
    for name, atom_mask, year_mask, value in overrides.sector:
        rates[name][np.ix_(atom_mask, year_mask)] = value
    return rates["replacement_rate"], rates["graduate_entry_share"]


def _node_frame(state: PipelineState, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    keys = state.hierarchy.nodes[["region", "sector"]]
    return gaps_mod.long_frame(keys, state.years, columns)


def compute_results(state: PipelineState, scenario: Scenario | dict | str | None = None) -> dict[str, pd.DataFrame]:
    """All result frames from a fitted state, under `scenario` (None = baseline). Pure and deterministic."""
    scenario = load_scenario(scenario) if scenario is not None else None
    overrides = _compile(state, scenario)
    hierarchy = state.hierarchy

    # Demand: components per atom (where the floor on expansion applies), then summed to the observed nodes.
    employment = _apply_employment(state, overrides)
    replacement_rate, graduate_share = _sector_rates(state, overrides)
    parts = demand_mod.demand_components(employment, replacement_rate, graduate_share)
    # Paths are summed up only where intervals are needed; means commute with the sums.
    nodes = {name: aggregate(hierarchy, parts[name]) for name in ("employment", "graduate_openings")}
    columns = {"employment_mean": nodes["employment"].mean(axis=-1)}
    intervals = gaps_mod.interval_columns(nodes["employment"], "employment", levels=(80,))
    columns.update(intervals)
    for name in ("expansion", "replacement", "openings"):
        columns[f"{name}_mean"] = aggregate(hierarchy, parts[name].mean(axis=-1))
    columns["graduate_openings_mean"] = nodes["graduate_openings"].mean(axis=-1)
    columns.update(gaps_mod.interval_columns(nodes["graduate_openings"], "graduate_openings"))
    demand = _node_frame(state, columns)
    demand["model"] = np.repeat(np.asarray(state.node_models, dtype=object), len(state.years))

    # Supply: draws regenerated from the seed in fixed path chunks, so every scenario sees the same numbers.
    units = state.units
    n_units, h = len(units), len(state.years)
    intake, lead, source = supply_mod.intake_matrix(units, state.years, state.intake_known, state.intake_model,
                                                    overrides.planned)
    log_sd = state.intake_model["intake_log_sd"].to_numpy()[:, None] * np.sqrt(lead)
    node_supply = np.empty((len(hierarchy.nodes), h, state.n_paths))
    sum_graduates, sum_entrants = np.zeros((n_units, h)), np.zeros((n_units, h))
    chunk = max(1, _CHUNK_CELLS // max(1, n_units * h))
    for start in range(0, state.n_paths, chunk):
        size = min(chunk, state.n_paths - start)
        rng = np.random.default_rng([state.seed, 7, start])
        z = rng.standard_normal((n_units, h, size))
        rates = supply_mod.draw_rates(units, size, rng)
        cohort = intake[:, :, None] * np.exp(log_sd[:, :, None] * z - 0.5 * log_sd[:, :, None] ** 2)
        for name, unit_mask, year_mask, value in overrides.unit:
            full = np.broadcast_to(rates[name], (n_units, h, size)).copy()
            full[np.ix_(unit_mask, year_mask)] = value
            rates[name] = full
        graduates, entrants = supply_mod.graduate_entrants(cohort, rates)
        sum_graduates += graduates.sum(axis=-1)
        sum_entrants += entrants.sum(axis=-1)
        node_supply[:, :, start:start + size] = np.tensordot(state.supply_weights, entrants, axes=(1, 0))
    supply = gaps_mod.long_frame(units[["region", "school", "major"]], state.years, {
        "intake_source": INTAKE_SOURCES[source],
        "expected_graduates": sum_graduates / state.n_paths,
        "graduate_entrants": sum_entrants / state.n_paths})
    supply = supply[["region", "school", "major", "year", "intake_source", "expected_graduates",
                     "graduate_entrants"]]
    supply_by_sector = _node_frame(state, {"graduate_entrants": node_supply.mean(axis=-1)})

    gaps, ratio = gaps_mod.gap_table(hierarchy.nodes[["region", "sector"]], state.years,
                                     nodes["graduate_openings"], node_supply,
                                     state.shortage_threshold, state.surplus_threshold)
    pressure = gaps_mod.pressure_table(state.pressure_keys, state.years, state.pressure_weights, ratio,
                                       state.shortage_threshold, state.surplus_threshold)
    results = {"demand": demand, "supply": supply, "supply_by_sector": supply_by_sector, "gaps": gaps,
               "major_pressure": pressure}
    keep = _descendants_or_self(state.tables["regions"], state.region)
    if keep is not None:
        results = {k: v[v["region"].isin(keep)].reset_index(drop=True) for k, v in results.items()}
    return results
