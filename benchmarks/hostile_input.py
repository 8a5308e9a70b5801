"""Benchmark: how fast hostile input is refused (#15), in process and through the CLI.

Run: .venv/bin/python benchmarks/hostile_input.py
For each hostile input of issue #15 prints the outcome (the first 100 characters of the one-line error), the wall
time and the peak Python memory (tracemalloc) of reading / validating it in process, then the wall time and exit
code of `talentcast validate` on the XLSX bomb as a child process (interpreter start-up included). The files are
GENERATED here (the workbooks by tests/test_fuzz_inputs.py's builder, so the test and the benchmark use the same
bytes). Results: README "Hostile input (#15)" and docs/data-contract.md "Bounds and limits".
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from features.errors import TalentcastError  # noqa: E402
from features.validation import load_and_validate  # noqa: E402
from forecasting.scenarios import load_scenario  # noqa: E402
from test_fuzz_inputs import ALIAS_BOMB, workbook, yaml_scenario  # noqa: E402


def measure(label: str, action: Callable[[], object]) -> None:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        action()
        outcome = "ACCEPTED"
    except TalentcastError as exc:
        outcome = str(exc).splitlines()[0][:100]
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{label:<44} {elapsed * 1000:8.1f} ms {peak / 2**20:8.1f} MiB  {outcome}")


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="hostile-"))
    files = {
        "bomb.xlsx": workbook("A1:XFD1048576", "A1048576"),
        "declared-xfd.xlsx": workbook("A1:XFD1048576", None),
        "far-column.xlsx": workbook("A1:XFD1048576", "XFD3"),
        "overflow.csv": b"school,major,year,intake\nS001,460701,2023,9223372036854775808\n",
        "huge.csv": b"region,sector,year,employed\n450200,C36,2023,1e308\n",
        "utf16.csv": "region,sector,year,employed\n450200,C36,2023,1\n".encode("utf-16-le"),
        "alias-bomb.yaml": ALIAS_BOMB.encode(),
        "nested.yaml": ("[" * 20000 + "]" * 20000).encode(),
        "nested.json": ("[" * 20000 + "]" * 20000).encode(),
        "nan.yaml": yaml_scenario("percent: .nan").encode(),
        "percent-1e9.yaml": yaml_scenario("percent: 1e9").encode(),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    import openpyxl  # noqa: F401  imported before timing: the readers import it lazily, once per process

    print(f"{'input (size)':<44} {'time':>11} {'peak':>12}  outcome")
    for name in ("bomb.xlsx", "declared-xfd.xlsx", "far-column.xlsx", "huge.csv", "utf16.csv"):
        measure(f"validate employment {name} ({len(files[name])} B)",
                lambda name=name: load_and_validate("employment", folder / name))
    measure(f"validate enrolment overflow.csv ({len(files['overflow.csv'])} B)",
            lambda: load_and_validate("enrolment", folder / "overflow.csv"))
    for name in ("alias-bomb.yaml", "nested.yaml", "nested.json", "nan.yaml", "percent-1e9.yaml"):
        measure(f"scenario {name} ({len(files[name])} B)", lambda name=name: load_scenario(folder / name))

    start = time.perf_counter()
    child = subprocess.run([str(ROOT / ".venv" / "bin" / "talentcast"), "--home", str(folder / "home"), "validate",
                            "employment", str(folder / "bomb.xlsx")], capture_output=True, text=True)
    print(f"CLI `talentcast validate employment bomb.xlsx`: exit {child.returncode} in "
          f"{time.perf_counter() - start:.1f} s (start-up included); stderr lines: "
          f"{len(child.stderr.strip().splitlines())}")


if __name__ == "__main__":
    main()
