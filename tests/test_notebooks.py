"""Execute every analyst notebook top to bottom (nbclient); a failing cell fails the test.

Each notebook runs in a kernel started from this interpreter (the project's .venv), with TALENTCAST_HOME in
the test's tmp folder (conftest's autouse fixture), so it never touches a developer's database or MLflow store.
Notebooks are stored without outputs; this test also checks that, and that each ends with its conclusion.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = ["01_data_overview", "02_model_comparison", "03_gaps_and_warnings", "04_scenarios"]


@pytest.fixture
def kernel_from_this_interpreter(tmp_path, monkeypatch):
    """A `python3` kernelspec that runs this interpreter, found before any user-installed one."""
    spec_dir = tmp_path / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (talentcast)", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return "python3"


def test_all_notebooks_are_present():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, kernel_from_this_interpreter, isolated_home):
    nb = nbformat.read(path, as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code_cells), (
        f"{path.name} is stored with outputs; clear them before committing")
    assert nb.cells[-1].cell_type == "markdown" and code_cells, "ends with a Markdown cell on how to read it"
    client = NotebookClient(nb, kernel_name=kernel_from_this_interpreter, timeout=300,
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    try:
        client.execute()
    except CellExecutionError as exc:  # the message names the cell and the traceback
        pytest.fail(f"{path.name}: a cell failed:\n{exc}")
    assert not (NOTEBOOK_DIR / ".talentcast").exists(), "a notebook wrote into the repository"
    if path.stem == "02_model_comparison":  # its MLflow run went to the test's own store
        assert (isolated_home / "mlflow.db").is_file()
    # The conclusion is computed in the last code cell and displayed as Markdown.
    last_outputs = code_cells[-1].outputs
    conclusion = [o for o in last_outputs if o.get("output_type") in {"display_data", "execute_result"}
                  and "text/markdown" in o.get("data", {})]
    assert conclusion, f"{path.name}: the last code cell must display the conclusion as Markdown"
    text = conclusion[-1]["data"]["text/markdown"]
    assert len(text) > 80 and any(ch.isdigit() for ch in text)
    images = [o for c in code_cells for o in c.outputs if "image/png" in o.get("data", {})]
    assert images, f"{path.name} drew no figure"
    warnings_text = "".join(o.get("text", "") for c in code_cells for o in c.outputs if o.get("name") == "stderr")
    assert "missing from font" not in warnings_text, f"{path.name}: a Chinese label rendered as boxes"
