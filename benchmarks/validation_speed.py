"""Benchmark: read + validate large input files (CSV UTF-8 / GB18030, XLSX, Parquet, in-memory frames).

Run: cd /work/main && .venv/bin/python benchmarks/validation_speed.py [rows]
Prints wall time (best of 3) and peak Python memory (tracemalloc) per case. The data is generated
(synthetic employment rows with Chinese-free codes; GENERATED, not real). Results go in docs/data-contract.md.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from features.readers import read_table
from features.validation import load_and_validate, validate_table
from features.contract import DEFAULT_SEED  # noqa: E402


def employment_frame(rows: int, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Generated employment table: 10 sectors x 10 years per region, values from a seeded RNG."""
    rng = np.random.default_rng(seed)
    regions = [f"{450000 + i:06d}" for i in range(rows // 100 + 1)]
    return pd.DataFrame({
        "region": np.repeat(regions, 100)[:rows],
        "sector": np.tile(np.repeat([f"C{i}" for i in range(10)], 10), len(regions))[:rows],
        "year": np.tile(np.arange(2010, 2020), 10 * len(regions))[:rows].astype(str),
        "employed": np.round(rng.gamma(2.0, 5000.0, rows), 1).astype(str),
    })


def schools_frame(rows: int) -> pd.DataFrame:
    """Generated schools with Chinese names, so a GB18030 file really needs the fallback decoder."""
    return pd.DataFrame({
        "code": [f"S{i:07d}" for i in range(rows)],
        "name": [f"柳州第{i}职业技术学校" for i in range(rows)],
        "name_en": "",
        "region": "450200",
        "type": np.where(np.arange(rows) % 2 == 0, "中职", "高职"),
    })


def measure(label: str, func, repeats: int = 3) -> None:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<44} best {min(times):7.3f} s   peak {peak / 2**20:7.1f} MiB")


def main(rows: int) -> None:
    frame = employment_frame(rows)
    refs = {"regions": pd.DataFrame({"code": frame["region"].unique()}),
            "sectors": pd.DataFrame({"code": [f"C{i}" for i in range(10)]})}
    bad = frame.copy()
    bad.loc[::10, "employed"] = "-1"  # 10% bad rows: the issue cap must keep this cheap
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        frame.to_csv(tmp / "utf8.csv", index=False)
        schools = schools_frame(rows)
        schools.to_csv(tmp / "schools_utf8.csv", index=False)
        schools.to_csv(tmp / "schools_gb18030.csv", index=False, encoding="gb18030")
        school_refs = {"regions": pd.DataFrame({"code": ["450200"]})}
        frame.to_parquet(tmp / "e.parquet")
        small = min(rows, 20_000)
        frame.head(small).to_excel(tmp / "e.xlsx", index=False)
        print(f"rows: {rows:,} (xlsx: {small:,})")
        measure("validate_table (text frame)", lambda: validate_table("employment", frame, "e", refs))
        measure("validate_table (10% rows negative)", lambda: _expect_error(bad, refs))
        gappy = frame.loc[frame["year"] != "2015"].reset_index(drop=True)  # every series misses 2015
        measure("validate_table (every series has a gap)",
                lambda: validate_table("employment", gappy, "e", refs))
        weights = pd.DataFrame({"major": np.repeat([f"{i:06d}" for i in range(rows // 4)], 4),
                                "sector": np.tile(["C0", "C1", "C2", "C3"], rows // 4), "weight": "0.3"})
        measure("validate_table major_sector_map (no sum is 1)", lambda: _expect_error_table(
            "major_sector_map", weights, {"majors": pd.DataFrame({"code": weights["major"].unique()}),
                                          "sectors": refs["sectors"]}))
        measure("read_table CSV UTF-8", lambda: read_table(tmp / "utf8.csv"))
        measure("load_and_validate CSV UTF-8", lambda: load_and_validate("employment", tmp / "utf8.csv", refs))
        measure("load_and_validate schools CSV UTF-8",
                lambda: load_and_validate("schools", tmp / "schools_utf8.csv", school_refs))
        measure("load_and_validate schools CSV GB18030",
                lambda: load_and_validate("schools", tmp / "schools_gb18030.csv", school_refs))
        measure("load_and_validate Parquet", lambda: load_and_validate("employment", tmp / "e.parquet", refs))
        measure(f"load_and_validate XLSX ({small:,} rows)",
                lambda: load_and_validate("employment", tmp / "e.xlsx", refs), repeats=1)


def _expect_error(frame: pd.DataFrame, refs: dict) -> None:
    _expect_error_table("employment", frame, refs)


def _expect_error_table(table: str, frame: pd.DataFrame, refs: dict) -> None:
    from features.errors import ValidationError

    try:
        validate_table(table, frame, "e", refs)
    except ValidationError:
        return
    raise AssertionError("expected a ValidationError")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
