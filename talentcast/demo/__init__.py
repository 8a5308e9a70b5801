"""The embedded demo dataset: real tables plus a seeded, generated demo city (Liuzhou, 450200).

    assumptions.py  every stated assumption of the generated world (constants and their dataclasses)
    generator.py    generate(): the demo city's tables from the assumptions, real inputs and a seed
    tables.py       build_demo_tables(), table metadata, the bundled real / reference CSVs, canonical_csv /
                    table_checksum, and the shipped files of talentcast/data/generated (write_generated,
                    GENERATED.md; `python -m talentcast.demo --write`)
    load.py         load_embedded_dataset(): validate and store the tables in a Storage

The modules import one another in that order only (no cycle).
"""

from typing import Any

from talentcast.demo.assumptions import DEMO_PARENT_REGION, DEMO_REGION
from talentcast.demo.generator import GeneratedData, RealInputs, default_seed, generate
from talentcast.demo.load import EMBEDDED_SOURCE, load_embedded_dataset
from talentcast.demo.tables import (
    DATA_DIR,
    GENERATED_DIR,
    REAL_DIR,
    REFERENCE_DIR,
    build_demo_tables,
    canonical_csv,
    render_generated_md,
    table_checksum,
    table_metadata,
    write_generated,
)

__all__ = [
    "DATA_DIR",
    "DEMO_PARENT_REGION",
    "DEMO_REGION",
    "EMBEDDED_SOURCE",
    "GENERATED_DIR",
    "GeneratedData",
    "REAL_DIR",
    "REFERENCE_DIR",
    "RealInputs",
    "build_demo_tables",
    "canonical_csv",
    "default_seed",
    "generate",
    "load_embedded_dataset",
    "render_generated_md",
    "table_checksum",
    "table_metadata",
    "write_generated",
]

# Pipeline orchestration moved to talentcast.service. api/compute.py (being rewritten elsewhere) still imports
# `run_and_store` from here; these names resolve to talentcast.service until it does. Remove then.
_MOVED_TO_SERVICE = frozenset({"PIPELINE_STEPS", "StoredRun", "run_and_store", "state_path", "summarise_gaps",
                               "summarise_warnings", "track_pipeline"})


def __getattr__(name: str) -> Any:
    if name in _MOVED_TO_SERVICE:
        import talentcast.service  # temporary compatibility path (see above); not a dependency of the demo

        return getattr(talentcast.service, name)
    raise AttributeError(f"module 'talentcast.demo' has no attribute {name!r}")
