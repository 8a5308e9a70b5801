"""The embedded demo: load the bundled dataset (real + generated tables for Liuzhou) into a Storage."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from features.validation import validate_table
from talentcast.demo.tables import build_demo_tables
from talentcast.storage import DatasetVersion, Storage

EMBEDDED_SOURCE = "embedded:demo"  # source_file of embedded tables (built by talentcast.demo.tables)


def load_embedded_dataset(storage: Storage, progress: Callable[[str], None] | None = None,
                          tables: Mapping[str, tuple[pd.DataFrame, dict]] | None = None) -> list[DatasetVersion]:
    """Validate and store every embedded demo table, skipping tables whose data is already current.

    Tables come from `talentcast.demo.tables.build_demo_tables()` in contract order; each is validated against
    the versions of the tables it references that are stored at that moment (so the demo's own regions,
    sectors, majors and schools once they are in). A table whose checksum equals its current version is not
    stored again, so running the demo twice does not pile up versions.

    Args:
        storage: where to store the tables.
        progress: called with one line per table, e.g. "regions v1 stored (12 rows)" or
            "regions v1 unchanged (31 rows)".
        tables: {table: (frame, metadata)} to load instead of `build_demo_tables()` (same shape; used by
            tests and by callers with their own bundled data).

    Returns:
        The current version of each embedded table after loading (new or unchanged), in contract order.

    Raises:
        ValidationError: an embedded table does not pass validation (a bug in the embedded data).
    """
    if tables is None:
        tables = build_demo_tables()
    report = progress or (lambda message: None)
    loaded: list[DatasetVersion] = []
    for table, (frame, metadata) in tables.items():
        source = str((metadata or {}).get("source_file") or EMBEDDED_SOURCE)
        checked = validate_table(table, frame, source, references=storage.load_references(table))
        current = storage.is_current(table, checked.frame)
        if current is not None:
            report(f"{table} v{current.version} unchanged ({current.rows} rows)")
            loaded.append(current)
            continue
        version = storage.ingest(table, checked.frame, source_file=source, metadata=dict(metadata or {}))
        report(f"{table} v{version.version} stored ({version.rows} rows)")
        loaded.append(version)
    return loaded
