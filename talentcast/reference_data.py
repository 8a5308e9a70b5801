"""Packaged reference tables that the pure layers below need, read from talentcast/data (read-only).

The pipeline (`forecasting.pipeline.run_pipeline`) does no I/O: when a run has no `major_sector_map`, it builds
one from the `major_occupation_links` and `occupation_sector` tables it is given. This module reads the packaged
ones (the official MOE major -> occupation links and the curated occupation -> sector table), so every caller
that runs the pipeline on stored data (`talentcast.demo.run_and_store`, `api.compute.baseline_state`) hands it
the same tables:

    run_pipeline(with_crosswalk_reference(tables), ...)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from forecasting.pipeline import CROSSWALK_SOURCES

DATA_DIR = Path(__file__).resolve().parent / "data"
MAJOR_OCCUPATION_LINKS_FILE = DATA_DIR / "real" / "major_to_occupation_official_teaching_standards.csv"
OCCUPATION_SECTOR_FILE = DATA_DIR / "reference" / "occupation_sector.csv"


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
