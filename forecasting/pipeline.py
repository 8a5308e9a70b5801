"""The supply-demand pipeline: tables in, demand / supply / gaps / major pressure out (pure, no I/O).

    run_pipeline(tables, horizon, scenario, seed, ...)  fits once:
        employment series -> engine sample paths -> reconciled (coherent, non-negative) atom paths
        enrolment -> supply units, shrunken outcome rates, intake model; crosswalk -> sector weights
      = PipelineState, then compute_results(state, scenario) turns the state into result frames.

`forecasting.results.compute_results` (and `apply_scenario` there, which calls it) reuses the stored sample paths
and regenerates the supply draws from the state's seed, so a scenario needs no refit and differs from the
baseline only through its changes (common random numbers: a scenario that changes nothing changes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from features.codes import CodeTree
from features.contract import DEFAULT_SEED
from features.crosswalk import build_major_sector_map
from features.errors import TalentcastError
from forecasting import assumptions as assumptions_mod
from forecasting import coverage as coverage_mod
from forecasting import demand as demand_mod
from forecasting import gaps as gaps_mod
from forecasting import supply as supply_mod
from forecasting import volatility as volatility_mod
from forecasting.engine import forecast
from forecasting.reconcile import Hierarchy, build_hierarchy, reconcile_atoms
from forecasting.results import PipelineState, compute_results
from forecasting.scenarios import check_targets, load_scenario

REQUIRED_TABLES = ("regions", "sectors", "employment", "majors", "schools", "enrolment")
# What a missing major_sector_map is built from (features.crosswalk.build_major_sector_map): the official MOE
# major -> occupation links and the occupation -> sector table. The caller passes them as tables (the packaged
# ones: talentcast.reference_data.with_crosswalk_reference); they are not kept in the state.
CROSSWALK_SOURCES = ("major_occupation_links", "occupation_sector")
_PATH_BLOCK = 250

Sampler = Callable[[pd.DataFrame, int, int, int], pd.DataFrame]


@dataclass
class PipelineResult:
    """results: kind -> frame (forecasting.results.RESULT_KINDS); state: PipelineState; meta: run metadata
    (see INTERFACES.md)."""

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
        raise TalentcastError(f"regions: region {region!r} is not in the regions table",
                              f"regions：地区 {region!r} 不在地区表中")
    tree = CodeTree.from_table(regions)
    return set(tree.ancestors(str(region))) | tree.descendants(str(region))



# ----------------------------------------------------------------------------------------------- demand side


def engine_forecast(frame: pd.DataFrame, horizon: int, n_paths: int, seed: int, method: str = "auto",
                    engine: str = "local", scheduler=None, breaks=None) -> tuple[pd.DataFrame, list]:
    """Sample paths from the forecasting engine, one engine call per group of series ending in the same year.

    Series that end early (e.g. provincial data to 2015 next to city data to 2025) need a longer horizon; fitting
    them apart keeps the model selection of the up-to-date series at the horizon they are used for.
    `breaks` is the engine's argument (None: detect level shifts; a list of periods: declared for every series,
    plus detection), e.g. ["2013"] for the NBS survey-frame break the employment dataset declares.

    Returns:
        (paths with series_id, period, path, value, model; list of the engine's ForecastResult per group).
    """
    last = frame.groupby("series_id")["period"].max().astype(int)
    target = int(last.max()) + int(horizon)
    all_ids = sorted(last.index)
    parts, results = [], []
    for end, ids in sorted(last.groupby(last).groups.items()):
        group = frame[frame["series_id"].isin(set(ids))]
        result = forecast(group, target - int(end), method=method, engine=engine, scheduler=scheduler,
                          breaks=breaks)
        models = dict(zip(result.selection["series_id"], result.selection["model"]))
        # Paths are drawn in blocks and kept compact (categorical ids, integer years): the engine's frame has
        # string columns, and a province's 1,000 paths of 600 series would otherwise take about 1 GB.
        for block in range(0, n_paths, _PATH_BLOCK):
            size = min(_PATH_BLOCK, n_paths - block)
            drawn = result.sample_paths(size, seed + int(end) + 7919 * block)
            parts.append(pd.DataFrame({
                "series_id": pd.Categorical(drawn["series_id"], categories=all_ids),
                "period": _period_years(drawn["period"]),
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


def _period_years(period: pd.Series) -> np.ndarray:
    """int32 years of engine periods ("2025", ...): parsed once per distinct period, not once per row."""
    codes, uniques = pd.factorize(period)
    return np.array([int(str(u)[:4]) for u in uniques], dtype=np.int32)[codes]


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
                              f"over {years[0]}-{years[-1]}",
                              f"预测引擎没有给出序列 {ids[missing].iloc[0]} 在 {years[0]}-{years[-1]} 的样本路径")
    return np.maximum(out, 0.0)


# ----------------------------------------------------------------------------------------------- crosswalk


def _has_crosswalk(tables: dict[str, pd.DataFrame]) -> bool:
    given = tables.get("major_sector_map")
    return given is not None and not given.empty


def build_crosswalk(links: pd.DataFrame, occupation_sector: pd.DataFrame, majors: pd.DataFrame,
                    sectors: pd.DataFrame) -> pd.DataFrame:
    """The official major -> sector map for a sector list: `features.crosswalk.build_major_sector_map`, with
    divisions the sector list lacks folded into their section (weights of a major still sum to 1).

    Returns:
        contract major_sector_map frame (major, sector, weight), majors with usable links only.
    """
    built = build_major_sector_map(links, occupation_sector, majors)
    # The occupation table may name divisions the run's sector list lacks: fall back to their section.
    known = set(sectors["code"].astype(str))
    built = built.assign(sector=[s if s in known else s[:1] for s in built["sector"].astype(str)])
    built = built[built["sector"].isin(known)]
    built = built.groupby(["major", "sector"], as_index=False)["weight"].sum()
    built["weight"] = built["weight"] / built.groupby("major")["weight"].transform("sum")
    return built.assign(major=built["major"].astype(str))[["major", "sector", "weight"]]


def _crosswalk(tables: dict[str, pd.DataFrame], notes: list[str]) -> tuple[pd.DataFrame, str]:
    """The major -> sector map of the run: the given table, else one built from the crosswalk sources."""
    if _has_crosswalk(tables):
        given = tables["major_sector_map"]
        return given.assign(major=given["major"].astype(str), sector=given["sector"].astype(str)), "given"
    links, occupation_sector = (tables[name] for name in CROSSWALK_SOURCES)
    built = build_crosswalk(links, occupation_sector, tables["majors"], tables["sectors"])
    notes.append(f"major_sector_map was not given: built with features.crosswalk.build_major_sector_map from "
                 f"the official MOE major->occupation links and the occupation->sector table "
                 f"({built['major'].nunique()} majors mapped)")
    return built, "built"


def supply_links(hierarchy: Hierarchy, units: pd.DataFrame, crosswalk: pd.DataFrame) -> dict[str, np.ndarray]:
    """One link per (unit, crosswalk row of its major): the observed nodes containing (its region, that sector).

    Returns:
        {"unit": (L,), "row": (L,) position in `crosswalk`, "nodes": (L, nodes) booleans}. The crosswalk weight of
        each link is drawn per path in the simulation (forecasting.assumptions.dirichlet_weights).
    """
    rows_of = {m: list(g.index) for m, g in crosswalk.reset_index(drop=True).groupby("major")}
    sector_of = crosswalk["sector"].astype(str).to_numpy()
    link_unit, link_row, masks = [], [], []
    cache: dict[tuple[str, str], np.ndarray] = {}
    for u, (region, major) in enumerate(zip(units["region"], units["major"])):
        for r in rows_of.get(major, []):
            key = (region, sector_of[r])
            if key not in cache:
                cache[key] = hierarchy.contains(region, sector_of[r])
            link_unit.append(u)
            link_row.append(r)
            masks.append(cache[key])
    nodes = np.array(masks, dtype=bool).reshape(len(masks), len(hierarchy.nodes))
    return {"unit": np.array(link_unit, dtype=int), "row": np.array(link_row, dtype=int), "nodes": nodes}


def supply_weight_matrix(hierarchy: Hierarchy, units: pd.DataFrame, crosswalk: pd.DataFrame,
                         links: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """(nodes, units): a unit's entrants count in every observed node containing (its region, mapped sector)."""
    links = links if links is not None else supply_links(hierarchy, units, crosswalk)
    weights = np.zeros((len(hierarchy.nodes), len(units)))
    central = crosswalk["weight"].astype(float).to_numpy()
    for node_mask, unit, row in zip(links["nodes"], links["unit"], links["row"]):
        weights[node_mask, unit] += central[row]
    return weights


def pressure_links(hierarchy: Hierarchy, units: pd.DataFrame,
                   crosswalk: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """(region, major) pairs and one link per (pair, crosswalk row): the most specific observed node of the row.

    Returns:
        (keys, {"key": (L,) position in keys, "node": (L,), "row": (L,) position in `crosswalk`}); keys are the
        pairs with at least one link, sorted by region and major.
    """
    keys = units[["region", "major"]].drop_duplicates().sort_values(["region", "major"]).reset_index(drop=True)
    region_depth = {r: len(hierarchy.region_ancestors.get(r, [r])) for r in hierarchy.nodes["region"]}
    sector_depth = {s: len(hierarchy.sector_ancestors.get(s, [s])) for s in hierarchy.nodes["sector"]}
    depth = np.array([(region_depth[r], sector_depth[s])
                      for r, s in zip(hierarchy.nodes["region"], hierarchy.nodes["sector"])], dtype=float)
    score = depth[:, 0] * 1000 + depth[:, 1]
    rows_of = {m: list(g.index) for m, g in crosswalk.reset_index(drop=True).groupby("major")}
    sector_of = crosswalk["sector"].astype(str).to_numpy()
    cache: dict[tuple[str, str], np.ndarray] = {}
    link_key, link_node, link_row = [], [], []
    for k, (region, major) in enumerate(zip(keys["region"], keys["major"])):
        for r in rows_of.get(major, []):
            if (region, sector_of[r]) not in cache:
                cache[(region, sector_of[r])] = hierarchy.contains(region, sector_of[r])
            mask = cache[(region, sector_of[r])]
            if mask.any():
                link_key.append(k)
                link_node.append(int(np.argmax(np.where(mask, score, -1))))
                link_row.append(r)
    link_key = np.array(link_key, dtype=int)
    kept = np.unique(link_key)
    renumber = np.full(len(keys), -1)
    renumber[kept] = np.arange(len(kept))
    return keys.iloc[kept].reset_index(drop=True), {"key": renumber[link_key] if len(link_key) else link_key,
                                                    "node": np.array(link_node, dtype=int),
                                                    "row": np.array(link_row, dtype=int)}


def pressure_weight_matrix(hierarchy: Hierarchy, units: pd.DataFrame, crosswalk: pd.DataFrame,
                           links: tuple[pd.DataFrame, dict[str, np.ndarray]] | None = None
                           ) -> tuple[pd.DataFrame, np.ndarray]:
    """(region, major) pairs and (pairs, nodes) weights: each mapped sector's most specific observed node."""
    keys, links = links if links is not None else pressure_links(hierarchy, units, crosswalk)
    weights = np.zeros((len(keys), len(hierarchy.nodes)))
    np.add.at(weights, (links["key"], links["node"]), crosswalk["weight"].astype(float).to_numpy()[links["row"]])
    totals = weights.sum(axis=1)
    return keys, weights / np.where(totals > 0, totals, 1.0)[:, None]


# ----------------------------------------------------------------------------------------------- run


def run_pipeline(tables: dict[str, pd.DataFrame], horizon: int = 5, scenario: Any = None, seed: int = DEFAULT_SEED,
                 n_paths: int = 1000, region: str | None = None, method: str = "auto", engine: str = "local",
                 scheduler=None, shortage_threshold: float = gaps_mod.DEFAULT_SHORTAGE_THRESHOLD,
                 surplus_threshold: float = gaps_mod.DEFAULT_SURPLUS_THRESHOLD, sampler: Sampler | None = None,
                 progress: Callable[[str], None] | None = None, breaks=None,
                 assumptions: assumptions_mod.Assumptions | None = None) -> PipelineResult:
    """Fit the demand and supply sides once and compute all results (pure: no files, no database).

    Args:
        tables: contract tables by name (REQUIRED_TABLES; major_sector_map and sector_parameters optional;
            without a major_sector_map, the CROSSWALK_SOURCES tables to build one from).
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
        breaks: level shifts of the employment series, passed to the engine (None: detected; a list of
            periods, e.g. ["2013"]: declared for every series, detection still on). The service passes the
            periods the employment dataset's metadata declares (`"breaks"`).
        assumptions: the assumed parameters and their ranges, drawn in the simulation (None: the packaged
            forecasting/data/assumptions.yaml; `.fixed()` for forecast noise only).

    Returns:
        PipelineResult(results, state, meta).
    """
    step = progress or (lambda name: None)
    assumptions = assumptions if assumptions is not None else assumptions_mod.load_assumptions()
    missing = [t for t in REQUIRED_TABLES if t not in tables or tables[t] is None or tables[t].empty]
    if missing:
        raise TalentcastError(f"missing input table(s): {', '.join(missing)}; ingest them first",
                              f"缺少输入表：{'、'.join(missing)}；请先导入")
    if not _has_crosswalk(tables) and any(tables.get(name) is None for name in CROSSWALK_SOURCES):
        raise TalentcastError("major_sector_map is missing and cannot be built: pass it, or the tables it is "
                              f"built from ({', '.join(CROSSWALK_SOURCES)})",
                              "缺少专业-行业对照表 major_sector_map，且无法构建：请提供它，或提供构建它的表"
                              f"（{'、'.join(CROSSWALK_SOURCES)}）")
    if not 1 <= int(horizon) <= 20:
        raise TalentcastError(f"horizon must be between 1 and 20 years, got {horizon}",
                              f"预测年数必须在 1 到 20 之间，实际为 {horizon}")
    if n_paths < 10:
        raise TalentcastError(f"n_paths must be at least 10, got {n_paths}", f"样本路径数至少为 10，实际为 {n_paths}")
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
        raise TalentcastError(f"employment: no rows for region {region}", f"employment：地区 {region} 没有就业数据")
    base_year = int(employment["year"].max())
    years = list(range(base_year + 1, base_year + horizon + 1))
    if scenario_obj is not None:
        check_targets(scenario_obj, tables, years)  # a wrong code or year fails now, not after the fit
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
        paths, forecast_results = engine_forecast(series, horizon, n_paths, seed, method, engine, scheduler,
                                                  breaks=breaks)
        if breaks:
            notes.append(f"declared level shift(s) {', '.join(map(str, breaks))} (survey-frame change) applied "
                         "to the employment history before forecasting")
        model_name = method
    else:
        paths = sampler(series, int(base_year + horizon - last_year.min()), n_paths, seed)
        forecast_results, model_name = [], getattr(sampler, "model_name", "custom")
    base = base_paths(employment, nodes, base_year, horizon, n_paths, paths)
    # Re-pair the draws of consecutive years so the paths move as much as the series' history did, no more:
    # openings follow the year-to-year change, and independent draws make phantom ones (forecasting.volatility).
    node_ids = list(nodes["region"] + "|" + nodes["sector"])
    history_volatility = volatility_mod.historical_volatility(series, node_ids)
    drawn_volatility = volatility_mod.path_volatility(base)
    base, coupling = volatility_mod.match_volatility(base, history_volatility, seed)
    if np.isfinite(coupling).any():
        notes.append(f"sample paths: in {int(np.isfinite(coupling).sum())} of {len(node_ids)} series the draws of "
                     "consecutive years were re-paired so year-to-year changes are as volatile as history "
                     f"(median {np.nanmedian(drawn_volatility[np.isfinite(coupling)]):.3f} drawn -> "
                     f"{np.nanmedian(volatility_mod.path_volatility(base)[np.isfinite(coupling)]):.3f} simulated vs "
                     f"{np.nanmedian(history_volatility[np.isfinite(coupling)]):.3f} historical, sd of yearly log "
                     "change); each year's distribution is unchanged")
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
        raise TalentcastError(f"enrolment: no school in region {region} has enrolment rows",
                              f"enrolment：地区 {region} 没有学校有招生数据")
    units = supply_mod.estimate_rates(tables["enrolment"], units)
    intake_known, intake_model = supply_mod.intake_history(tables["enrolment"], units)
    crosswalk, map_source = _crosswalk(tables, notes)
    unmapped = sorted(set(units["major"]) - set(crosswalk["major"]))
    if unmapped:
        notes.append(f"{len(unmapped)} majors have no crosswalk row and feed no sector (e.g. {unmapped[0]})")
    crosswalk = crosswalk.reset_index(drop=True)
    links = supply_links(hierarchy, units, crosswalk)
    supply_weights = supply_weight_matrix(hierarchy, units, crosswalk, links)
    pressure_keys, p_links = pressure_links(hierarchy, units, crosswalk)
    _, pressure_weights = pressure_weight_matrix(hierarchy, units, crosswalk, (pressure_keys, p_links))
    sector_params = demand_mod.sector_parameter_table(sectors, tables.get("sector_parameters"))
    if tables.get("sector_parameters") is None or tables["sector_parameters"].empty:
        notes.append("sector_parameters not given: default replacement_rate 0.03 and graduate_entry_share 0.5")

    state = PipelineState(
        tables={name: frame for name, frame in tables.items() if name not in CROSSWALK_SOURCES},
        horizon=int(horizon), base_year=base_year, years=years, seed=int(seed),
        n_paths=int(n_paths), region=None if region is None else str(region),
        shortage_threshold=float(shortage_threshold), surplus_threshold=float(surplus_threshold),
        hierarchy=hierarchy, atom_paths=atom_paths, node_models=node_models, sector_params=sector_params,
        units=units, intake_known=intake_known, intake_model=intake_model, major_sector_map=crosswalk,
        map_source=map_source, supply_weights=supply_weights, pressure_keys=pressure_keys,
        pressure_weights=pressure_weights, notes=notes, supply_links=links, pressure_links=p_links,
        assumptions=assumptions)
    step("gaps")
    results = compute_results(state, scenario_obj)
    # What local supply covers (schools, majors, sectors with a rated ratio): said in the run's notes.
    coverage_text, coverage = coverage_mod.coverage_notes(units, tables.get("schools"), set(crosswalk["major"]),
                                                          results["gaps"], regions, sectors)
    notes.extend(coverage_text)
    meta = {"horizon": int(horizon), "base_year": base_year, "years": years, "seed": int(seed),
            "n_paths": int(n_paths), "region": state.region,
            "scenario_id": scenario_obj.id if scenario_obj else None,
            "scenario": scenario_obj.to_dict() if scenario_obj else None,
            "map_source": map_source, "notes": list(notes), "coverage": coverage, "dataset_versions": {},
            "breaks": list(breaks) if breaks else [],
            "assumptions_version": assumptions.version, "assumptions_source": assumptions.source,
            "forecast_results": forecast_results}
    return PipelineResult(results=results, state=state, meta=meta)
