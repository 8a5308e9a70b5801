"""The embedded demo dataset: real tables plus a seeded, generated demo city (Liuzhou, 450200).

    assumptions.py  every stated assumption of the generated world (constants and their dataclasses)
    generator.py    generate(): the demo city's tables from the assumptions, real inputs and a seed
    tables.py       build_demo_tables(), table metadata, the bundled real / reference CSVs, canonical_csv /
                    table_checksum, and the shipped files of talentcast/data/generated (write_generated,
                    GENERATED.md; `python -m talentcast.demo --write`)
    worlds.py       build_world(name, seed, copies): a generated world by name ("structural" = the shipped demo
                    data, "alternative" = a structure unlike the model's) with the truth to score against
                    (imported on its own: it uses forecasting's accounting for the structural truth)

The modules import one another in that order only (no cycle). Loading the tables into a workspace is
the service's job (talentcast.service.Service.load_demo).
"""

from talentcast.demo.assumptions import DEMO_PARENT_REGION, DEMO_REGION
from talentcast.demo.generator import GeneratedData, RealInputs, default_seed, generate
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
    "GENERATED_DIR",
    "GeneratedData",
    "REAL_DIR",
    "REFERENCE_DIR",
    "RealInputs",
    "build_demo_tables",
    "canonical_csv",
    "default_seed",
    "generate",
    "render_generated_md",
    "table_checksum",
    "table_metadata",
    "write_generated",
]
