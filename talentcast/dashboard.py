"""What the web dashboard shows beside the stored results: pure functions over the run's input tables.

The result tables (forecasts, supply, gaps, warnings) come from the API's own routes; the dashboard also needs
a sector's employment history, the majors that feed it and the parameters assumed for it, and for every input
table whether it is real, generated or user-supplied and up to which year its data are real. These are
computed here, from frames, so that the API route stays thin and the numbers are testable without HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from talentcast.provenance import GENERATED, dataset_kind

# The range a scenario may set each sector parameter to (forecasting/scenarios.py validates the same bounds).
PARAMETER_RANGES = {"replacement_rate": (0.0, 0.5), "graduate_entry_share": (0.0, 1.0)}


def synthetic_mask(frame: pd.DataFrame, metadata: Mapping[str, Any] | None) -> pd.Series:
    """True for the rows of `frame` that are generated, from the version's metadata.

    A generated version marks every row unless it names the generated rows in `synthetic_rows` (a pandas query
    written by talentcast.demo, e.g. "region == '450200' and year > 2015"); real and user-supplied: none.
    """
    metadata = metadata or {}
    if dataset_kind(metadata) != GENERATED:
        return pd.Series(False, index=frame.index)
    rows = metadata.get("synthetic_rows")
    if not rows or frame.empty:
        return pd.Series(True, index=frame.index)
    return frame.eval(str(rows), engine="python").astype(bool)


def last_real_year(employment: pd.DataFrame, metadata: Mapping[str, Any] | None, region: str | None) -> int | None:
    """The last year of real (not generated) employment data of `region` (all regions when None)."""
    frame = employment if region is None else employment[employment["region"].astype(str) == str(region)]
    real = frame[~synthetic_mask(frame, metadata)]
    return int(real["year"].max()) if len(real) else None


def data_sources(versions: list[Any], employment: pd.DataFrame | None, region: str | None) -> list[dict[str, Any]]:
    """One row per input table version a run used: table, version, rows, kind, which rows are generated, note,
    and for employment the last year of real data in `region`."""
    out = []
    for version in versions:
        metadata = dict(version.metadata or {})
        row = {"table": version.table, "version": int(version.version), "rows": int(version.rows or 0),
               "kind": dataset_kind(metadata), "synthetic_rows": metadata.get("synthetic_rows"),
               "source_file": version.source_file, "note": metadata.get("note"), "last_real_year": None}
        if version.table == "employment" and employment is not None:
            row["last_real_year"] = last_real_year(employment, metadata, region)
        out.append(row)
    return out


def sector_context(tables: Mapping[str, pd.DataFrame], supply: pd.DataFrame, employment_metadata: Mapping[str, Any],
                   region: str, sector: str) -> dict[str, Any]:
    """History, feeding majors and assumptions of one sector in one region.

    Args:
        tables: the run's input tables (employment, major_sector_map, sector_parameters).
        supply: the run's supply results (school x major x year: graduate_entrants), already limited to the
            caller's scope.
        employment_metadata: metadata of the employment version (to mark generated history rows).

    Returns:
        {"history": [{year, employed, generated}], "supply_by_major": [{major, year, entrants, weight}],
         "parameters": [{parameter, value, low, high}]}. Supply by major is the graduates entering the local
        labour market from each major, times the share of the major that feeds this sector (the map's weight):
        the central split; the gap's supply is the mean over paths with drawn weights (forecasting.assumptions),
        so the two totals differ by the draws' spread (about 1%).
    """
    employment = tables.get("employment", pd.DataFrame(columns=["region", "sector", "year", "employed"]))
    history = employment[(employment["region"].astype(str) == region) & (employment["sector"].astype(str) == sector)]
    generated = synthetic_mask(history, employment_metadata)
    history = history.assign(generated=generated.values).sort_values("year")
    mapping = tables.get("major_sector_map", pd.DataFrame(columns=["major", "sector", "weight"]))
    mapping = mapping[mapping["sector"].astype(str) == sector].assign(major=lambda f: f["major"].astype(str))
    feeding = supply[(supply["region"].astype(str) == region) & supply["major"].astype(str).isin(set(mapping["major"]))]
    by_major = (feeding.assign(major=feeding["major"].astype(str)).groupby(["major", "year"], as_index=False)
                ["graduate_entrants"].sum())
    by_major = by_major.merge(mapping[["major", "weight"]], on="major", how="left")
    by_major["entrants"] = by_major["graduate_entrants"] * by_major["weight"]
    parameters_table = tables.get("sector_parameters", pd.DataFrame(columns=["sector"]))
    row = parameters_table[parameters_table["sector"].astype(str) == sector]
    parameters = []
    for name, (low, high) in PARAMETER_RANGES.items():
        if name in row.columns and len(row):
            parameters.append({"parameter": name, "value": float(row[name].iloc[0]), "low": low, "high": high})
    return {
        "history": [{"year": int(r.year), "employed": float(r.employed), "generated": bool(r.generated)}
                    for r in history.itertuples(index=False) if pd.notna(r.employed)],
        "supply_by_major": [{"major": r.major, "year": int(r.year), "entrants": float(r.entrants),
                             "weight": float(r.weight)} for r in by_major.itertuples(index=False)],
        "parameters": parameters,
    }
