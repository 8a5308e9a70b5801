"""Result frames from a fitted pipeline state: baseline and scenarios, without refitting (结果与情景重算).

    state = run_pipeline(tables, ...).state          # forecasting.pipeline: fits once
    compute_results(state)                            # baseline: demand, supply, supply_by_sector, gaps, ...
    apply_scenario(state, "docs/scenarios/ev-plant-2027.yaml")   # the same under a scenario

Both reuse the stored sample paths and regenerate the supply draws from the state's seed, so a scenario differs
from the baseline only through its changes (common random numbers: a scenario that changes nothing changes
nothing). Pure: no files, no database (a scenario path is read by `forecasting.scenarios.load_scenario`).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd
from scipy import sparse

from features.codes import CodeTree
from forecasting import assumptions as assumptions_mod
from forecasting import conditions as conditions_mod
from forecasting import coverage as coverage_mod
from forecasting import demand as demand_mod
from forecasting import gaps as gaps_mod
from forecasting import supply as supply_mod
from forecasting.reconcile import Hierarchy, aggregate
from forecasting.scenarios import Scenario, ScenarioError, load_scenario
from forecasting.state_format import StateFormatError, dump_fields, load_fields

RESULT_KINDS = ("demand", "supply", "supply_by_sector", "gaps", "major_pressure")
INTAKE_SOURCES = np.array(["pipeline", "forecast", "planned"])
# Bumped whenever PipelineState's fields change meaning: older saved states are refused (and rebuilt by callers).
# 3: saved as data only (forecasting.state_format), no longer as a pickle.
# 4: assumption draws, job-seeker supply and trend-forecast intake (#13).
STATE_FORMAT = 4
# Unit x year x path cells per supply chunk: bounds peak memory of the supply simulation (~8 bytes each, x6).
_CHUNK_CELLS = 2_000_000
# Key x year x path cells of major pressure computed at once (_pressure_blocks).
_PRESSURE_CELLS = 1_000_000


@dataclass
class PipelineState:
    """Everything needed to recompute results without refitting (saved as data only: `to_bytes`).

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
        supply_links, pressure_links: the crosswalk rows behind supply_weights / pressure_weights (pipeline
            `supply_links`, `pressure_links`), so the crosswalk weights can be drawn per path.
        assumptions: the assumed parameters and their ranges (forecasting.assumptions), drawn per path.
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
    supply_links: dict = field(default_factory=dict)
    pressure_links: dict = field(default_factory=dict)
    assumptions: assumptions_mod.Assumptions | None = None
    format_version: int = STATE_FORMAT

    def to_bytes(self) -> bytes:
        """The state as data only (Parquet frames, NumPy arrays, JSON: forecasting.state_format), no pickle."""
        return dump_fields({f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def from_bytes(cls, data: bytes) -> "PipelineState":
        """A state saved by `to_bytes`; nothing in `data` is executed.

        Raises:
            StateFormatError: an old pickled state (never unpickled), another format version, a damaged file.
        """
        saved = load_fields(data)
        if saved.get("format_version") != STATE_FORMAT:
            raise StateFormatError(f"the saved PipelineState has format {saved.get('format_version')}, this "
                                   f"version reads format {STATE_FORMAT}; rerun to rebuild it",
                                   "状态文件版本不符，请重新运行")
        names = {f.name for f in fields(cls)}
        if set(saved) != names:
            raise StateFormatError(f"the saved PipelineState has fields {sorted(set(saved) ^ names)} that do not "
                                   "match this version; rerun to rebuild it", "状态文件字段不符，请重新运行")
        return cls(**saved)


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
                                f"{state.years[0]}-{state.years[-1]}",
                                f"{where}.years：没有选中任何预测年份（{state.years[0]}-{state.years[-1]}）")
        if change.kind == "employment_change":
            key = (change.target["region"], change.target["sector"])
            if key not in nodes:
                known = ", ".join(f"{r}|{s}" for r, s in list(nodes)[:8])
                raise ScenarioError(f"{where}.target: no employment series {key[0]}|{key[1]} in this run "
                                    f"(e.g. {known})", f"{where}.target：本次运行没有就业序列 {key[0]}|{key[1]}"
                                    f"（例如 {known}）")
            atom_mask = state.hierarchy.summing[nodes[key]] > 0
            out.employment.append((atom_mask, year_mask, change))
        elif change.kind == "parameter" and change.parameter in demand_mod.SECTOR_PARAMETERS:
            sector = change.target["sector"]
            if sector not in sector_codes:
                raise ScenarioError(f"{where}.target.sector: unknown sector {sector!r}",
                                    f"{where}.target.sector：未知行业 {sector!r}")
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

    # Assumed parameters (forecasting/data/assumptions.yaml), drawn per path from their own seed so every
    # scenario sees the same draws: a sector's replacement rate and entry share (held over the horizon - a guess
    # that is off is off every year), and each major's crosswalk weights (Dirichlet).
    assumptions = state.assumptions or assumptions_mod.load_assumptions()
    draws = _assumption_draws(state, assumptions)

    # Demand: components per atom (where the floor on the projected change applies), then summed to the nodes.
    employment = _apply_employment(state, overrides)
    replacement_rate, graduate_share = _sector_rates(state, overrides)
    # Computed twice (central parameters, then drawn): only what is reported is kept of each, so the two sets of
    # (atoms, years, paths) components are never alive together (a 14-year province run: ~35 MB per array).
    central_parts = demand_mod.demand_components(employment, replacement_rate, graduate_share)
    # The components' means are the projection at the central parameter values (deterministic); the graduate
    # openings' intervals include the parameter draws.
    central_means = {name: aggregate(hierarchy, central_parts[name].mean(axis=-1))
                     for name in ("expansion", "replacement", "openings")}
    central_openings = aggregate(hierarchy, central_parts["graduate_openings"])
    del central_parts
    parts = demand_mod.demand_components(
        employment, replacement_rate[:, :, None] * draws["replacement_rate"],
        np.minimum(graduate_share[:, :, None] * draws["graduate_entry_share"],
                   assumptions["graduate_entry_share"].upper_bound))
    atom_openings_mean = parts["graduate_openings"].mean(axis=-1)
    # Paths are summed up only where intervals are needed; means commute with the sums.
    nodes = {name: aggregate(hierarchy, parts[name]) for name in ("employment", "graduate_openings")}
    del parts
    columns = {"employment_mean": nodes["employment"].mean(axis=-1)}
    intervals = gaps_mod.interval_columns(nodes["employment"], "employment", levels=(80,))
    columns.update(intervals)
    for name in ("expansion", "replacement", "openings"):
        columns[f"{name}_mean"] = central_means[name]
    columns["graduate_openings_mean"] = central_openings.mean(axis=-1)
    columns.update(gaps_mod.interval_columns(nodes["graduate_openings"], "graduate_openings"))
    demand = _node_frame(state, columns)
    demand["model"] = np.repeat(np.asarray(state.node_models, dtype=object), len(state.years))

    # Supply: draws regenerated from the seed in fixed path chunks, so every scenario sees the same numbers.
    units = state.units
    intake, lead, source = supply_mod.intake_matrix(units, state.years, state.intake_known, state.intake_model,
                                                    overrides.planned)
    if overrides.unit or overrides.planned:
        simulated = _simulate_supply(state, intake, lead, overrides.unit, draws["crosswalk"])
    else:
        # A scenario that leaves supply alone gets the baseline's simulation of this very state (same seed, same
        # draws: the same numbers), kept in memory with the state.
        simulated = _SUPPLY_MEMO.get(state)
        if simulated is None:
            simulated = _SUPPLY_MEMO.put(state, _simulate_supply(state, intake, lead, [], draws["crosswalk"]))
    node_supply, central_supply = simulated["node_supply"], simulated["central_supply"]
    sum_graduates, sum_entrants = simulated["sum_graduates"], simulated["sum_entrants"]
    supply = gaps_mod.long_frame(units[["region", "school", "major"]], state.years, {
        "intake_source": INTAKE_SOURCES[source],
        "expected_graduates": sum_graduates / state.n_paths,
        "graduate_entrants": sum_entrants / state.n_paths})
    supply = supply[["region", "school", "major", "year", "intake_source", "expected_graduates",
                     "graduate_entrants"]]
    supply_by_sector = _node_frame(state, {"graduate_entrants": central_supply.mean(axis=-1)})

    gaps, pressure = _gaps_and_pressure(state, atom_openings_mean, nodes["graduate_openings"],
                                        node_supply, draws["crosswalk"],
                                        gaps_mod.shortage_ratio(central_openings, central_supply))
    results = {"demand": demand, "supply": supply, "supply_by_sector": supply_by_sector, "gaps": gaps,
               "major_pressure": pressure}
    if state.region is not None:
        keep = CodeTree.from_table(state.tables["regions"]).descendants(state.region)
        results = {k: v[v["region"].isin(keep)].reset_index(drop=True) for k, v in results.items()}
    return results


def _simulate_supply(state: PipelineState, intake: np.ndarray, lead: np.ndarray, unit_overrides: list,
                     crosswalk_draws: np.ndarray) -> dict[str, np.ndarray]:
    """The supply simulation: graduate entrants per node (crosswalk weights drawn and central) and per unit.

    Returns:
        node_supply, central_supply (nodes, years, paths); sum_graduates, sum_entrants (units, years) summed
        over paths.
    """
    units, hierarchy = state.units, state.hierarchy
    n_units, h = len(units), len(state.years)
    log_sd = state.intake_model["intake_log_sd"].to_numpy()[:, None] * np.sqrt(lead)
    node_supply = np.empty((len(hierarchy.nodes), h, state.n_paths))
    central_supply = np.empty_like(node_supply)
    sum_graduates, sum_entrants = np.zeros((n_units, h)), np.zeros((n_units, h))
    links = state.supply_links
    # (nodes, links) sparse: a link counts in the few nodes containing its (region, sector).
    link_nodes = sparse.csr_matrix(links["nodes"].T.astype(float)) if links else None
    # (nodes, units) central weights: a unit feeds a few nodes, so sparse (the dense product was most of the
    # supply loop on a province: 600 nodes x 6,000 units).
    unit_nodes = sparse.csr_matrix(state.supply_weights)
    chunk = max(1, _CHUNK_CELLS // max(1, n_units * h))
    for start in range(0, state.n_paths, chunk):
        size = min(chunk, state.n_paths - start)
        rng = np.random.default_rng([state.seed, 7, start])
        z = rng.standard_normal((n_units, h, size))
        rates = supply_mod.draw_rates(units, size, rng)
        cohort = intake[:, :, None] * np.exp(log_sd[:, :, None] * z - 0.5 * log_sd[:, :, None] ** 2)
        for name, unit_mask, year_mask, value in unit_overrides:
            full = np.broadcast_to(rates[name], (n_units, h, size)).copy()
            full[np.ix_(unit_mask, year_mask)] = value
            rates[name] = full
        graduates, entrants = supply_mod.graduate_entrants(cohort, rates)
        sum_graduates += graduates.sum(axis=-1)
        sum_entrants += entrants.sum(axis=-1)
        central_supply[:, :, start:start + size] = (unit_nodes @ entrants.reshape(n_units, -1)).reshape(-1, h, size)
        if links:
            weights = crosswalk_draws[links["row"], start:start + size]
            per_link = (entrants[links["unit"]] * weights[:, None, :]).reshape(len(links["unit"]), -1)
            node_supply[:, :, start:start + size] = (link_nodes @ per_link).reshape(-1, h, size)
        else:
            node_supply[:, :, start:start + size] = central_supply[:, :, start:start + size]
    for array in (node_supply, central_supply, sum_graduates, sum_entrants):
        array.flags.writeable = False  # shared by every scenario of the state (_SUPPLY_MEMO)
    return {"node_supply": node_supply, "central_supply": central_supply, "sum_graduates": sum_graduates,
            "sum_entrants": sum_entrants}


class _StateMemo:
    """Values computed from a PipelineState, kept while that state object lives (keyed by identity).

    A state is not hashable (a dataclass of frames); the entry is dropped when the state is garbage collected.
    `dataclasses.replace(state, ...)` makes a new object, so a changed state never sees an old entry.
    """

    def __init__(self):
        self._values: dict[int, object] = {}
        self._lock = threading.Lock()

    def get(self, state: PipelineState):
        with self._lock:
            return self._values.get(id(state))

    def put(self, state: PipelineState, value):
        with self._lock:
            if id(state) not in self._values:
                weakref.finalize(state, self._forget, id(state))
            self._values[id(state)] = value
        return value

    def _forget(self, key: int) -> None:
        with self._lock:
            self._values.pop(key, None)


_SUPPLY_MEMO = _StateMemo()


def _assumption_draws(state: PipelineState, assumptions: assumptions_mod.Assumptions) -> dict[str, np.ndarray]:
    """Per-path draws of the assumed parameters: multipliers (atoms, 1, paths) and crosswalk weights (rows, paths)."""
    rng = np.random.default_rng([state.seed, 13])
    atom_sectors = state.hierarchy.atoms["sector"].astype(str).to_numpy()
    sectors, sector_index = np.unique(atom_sectors, return_inverse=True)
    out = {}
    for name in demand_mod.SECTOR_PARAMETERS:
        multipliers = assumptions_mod.lognormal_multipliers(assumptions[name], (len(sectors), state.n_paths), rng)
        out[name] = multipliers[sector_index][:, None, :]
    crosswalk = state.major_sector_map.reset_index(drop=True)
    out["crosswalk"] = assumptions_mod.dirichlet_weights(
        crosswalk["major"].to_numpy(), crosswalk["weight"].astype(float).to_numpy(),
        assumptions["crosswalk_weight"].concentration, state.n_paths, rng)
    return out


def _gaps_and_pressure(state: PipelineState, atom_openings: np.ndarray, openings: np.ndarray,
                       node_supply: np.ndarray, crosswalk_draws: np.ndarray,
                       central_ratio: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Gaps and major pressure, rated only where local supply can carry a ratio (forecasting.coverage).

    `central_ratio` is the ratio with every assumed parameter at its central value: the part of the spread the
    forecast alone gives. assumption_share = the rest's share of the variance of the log ratio (log pressure).
    """
    hierarchy = state.hierarchy
    keys = hierarchy.nodes[["region", "sector"]]
    regions, sectors = state.tables.get("regions"), state.tables.get("sectors")
    openings_mean, supply_mean = openings.mean(axis=-1), node_supply.mean(axis=-1)
    rating = coverage_mod.rate_gaps(hierarchy, regions, state.units["region"], atom_openings, openings_mean,
                                    supply_mean, fed=(state.supply_weights > 0).any(axis=1))
    gaps, ratio = gaps_mod.gap_table(keys, state.years, openings, node_supply, state.shortage_threshold,
                                     state.surplus_threshold, rated=rating.rated, gap_known=rating.gap_known)
    gaps["assumption_share"] = np.where(rating.rated, assumptions_mod.assumption_share(central_ratio, ratio),
                                        np.nan).reshape(-1)
    # Current conditions (求人倍率 of the vacancies table) next to the forecast: a clash is flagged, not fixed.
    h = len(state.years)
    node_current = conditions_mod.node_ratios(keys, conditions_mod.current_ratios(state.tables.get("vacancies")))
    gaps["current_ratio"] = np.repeat(node_current, h)
    gaps["conditions_check"] = conditions_mod.conditions_check(
        gaps["p_shortage"], gaps["p_surplus"], gaps["current_ratio"], state.shortage_threshold,
        state.surplus_threshold)
    notes = coverage_mod.gap_notes(keys, rating, supply_mean, openings_mean, regions)
    for name, values in notes.items():
        gaps[name] = values.reshape(-1)

    # Every (region, major) offered gets a pressure row; those without sector weights are not rated.
    pairs = state.units[["region", "major"]].drop_duplicates()
    weighted = set(zip(state.pressure_keys["region"], state.pressure_keys["major"]))
    missing = pairs[[(r, m) not in weighted for r, m in zip(pairs["region"], pairs["major"])]]
    keys_all = pd.concat([state.pressure_keys[["region", "major"]], missing], ignore_index=True)
    weights = np.vstack([state.pressure_weights, np.zeros((len(missing), len(hierarchy.nodes)))])
    pressure = pd.concat(list(_pressure_blocks(state, keys_all, weights, ratio, central_ratio, rating.rated,
                                               crosswalk_draws)), ignore_index=True)
    pressure["current_ratio"] = np.repeat(conditions_mod.major_ratios(weights, node_current), h)
    pressure["conditions_check"] = conditions_mod.conditions_check(
        pressure["p_shortage"], pressure["p_surplus"], pressure["current_ratio"], state.shortage_threshold,
        state.surplus_threshold)
    reasons = coverage_mod.pressure_reasons(keys_all, state.years, weights, rating, hierarchy.nodes,
                                            state.major_sector_map, regions, sectors)
    for name, values in reasons.items():
        pressure[name] = values.reshape(-1)
    pressure = pressure.sort_values(["region", "major", "year"], kind="mergesort").reset_index(drop=True)
    return gaps, pressure


def _pressure_blocks(state: PipelineState, keys: pd.DataFrame, weights: np.ndarray, ratio: np.ndarray,
                     central_ratio: np.ndarray, rated: np.ndarray, crosswalk_draws: np.ndarray):
    """Pressure table rows (gaps.pressure_table + assumption_share) for blocks of (region, major) keys.

    Each key's pressure paths depend on its own links only, so a block gives the same numbers as all keys at once;
    blocks bound the memory (a province's 4,000 keys x 5 years x 1,000 paths are 160 MB per array, and the drawn,
    central and log arrays were all alive at once).
    """
    links = state.pressure_links
    block = max(1, _PRESSURE_CELLS // max(1, len(state.years) * state.n_paths))
    for start in range(0, max(len(keys), 1), block):  # one (empty) block when there are no keys
        stop = min(start + block, len(keys))
        block_weights = weights[start:stop]
        link_draws = None
        if links:
            sel = (links["key"] >= start) & (links["key"] < stop)
            link_draws = (links["key"][sel] - start, links["node"][sel], crosswalk_draws[links["row"][sel]])
        drawn = gaps_mod.pressure_paths(block_weights, ratio, rated, links=link_draws)
        table = gaps_mod.pressure_table(keys.iloc[start:stop].reset_index(drop=True), state.years, block_weights,
                                        ratio, state.shortage_threshold, state.surplus_threshold, rated=rated,
                                        paths=drawn)
        central = gaps_mod.pressure_paths(block_weights, central_ratio, rated)
        share = assumptions_mod.assumption_share(np.nan_to_num(central, nan=1.0, copy=False),
                                                 np.nan_to_num(drawn, nan=1.0, copy=False))
        table["assumption_share"] = np.where(np.isnan(table["pressure_median"].to_numpy()), np.nan,
                                             share.reshape(-1))
        yield table


def apply_scenario(baseline_state: PipelineState, scenario) -> dict[str, pd.DataFrame]:
    """Recompute every result under `scenario` from a fitted PipelineState (pure, no refit).

    Args:
        baseline_state: `PipelineState` (from `forecasting.pipeline.run_pipeline(...).state`).
        scenario: Scenario, dict or path (see :func:`forecasting.scenarios.load_scenario`).

    Returns:
        dict kind -> DataFrame (demand, supply, supply_by_sector, gaps, major_pressure).

    Raises:
        ScenarioError: the scenario is malformed or names something the state does not have.
    """
    return compute_results(baseline_state, load_scenario(scenario))
