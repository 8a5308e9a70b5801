"""The lower layers read from the tree: features < models < forecasting, nothing imports upward, no cycles.

Checked on the source (ast), not by importing: every project-internal import of features/, models/ and
forecasting/*.py (early_warning/ is a layer of its own above them) is at module top, points to the same or a
lower layer, and the import graph of these modules has no cycle. In models/, only the registry imports the
model classes, and nothing there imports the registry.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RANK = {"features": 0, "models": 1, "forecasting": 2}
PROJECT = ("features", "models", "forecasting", "early_warning", "talentcast", "api")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _lower_modules() -> dict[str, Path]:
    files = [*ROOT.glob("features/*.py"), *ROOT.glob("models/*.py"), *ROOT.glob("forecasting/*.py")]
    return {_module(path): path for path in sorted(files)}


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported project module, line, at module top) for every project-internal import of a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from forecasting import demand` imports the submodule forecasting.demand.
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] in PROJECT:
                found.append((name, node.lineno, id(node) in top))
    return found


def _layer(module: str) -> int:
    if module.startswith(("forecasting.early_warning", "early_warning")):
        return 3
    return RANK.get(module.split(".")[0], 4)


MODULES = _lower_modules()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_are_at_module_top_and_never_upward(module):
    for name, line, at_top in _imports(MODULES[module]):
        where = f"{MODULES[module].relative_to(ROOT)}:{line} imports {name}"
        assert at_top, f"{where} inside a function or block: project imports belong at module top"
        assert _layer(name) <= _layer(module), f"{where}, a layer above {module}"


def test_no_import_cycles_among_features_models_and_forecasting():
    graph = {module: {name for name, _, _ in _imports(path) if name in MODULES and name != module}
             for module, path in MODULES.items()}
    done: set[str] = set()

    def visit(module: str, stack: list[str]) -> None:
        if module in stack:
            cycle = stack[stack.index(module):] + [module]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for target in sorted(graph[module]):
            visit(target, [*stack, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_the_model_registry_is_the_top_of_the_models_package():
    importers = [module for module, path in MODULES.items()
                 if any(name == "models.registry" for name, _, _ in _imports(path)) and module.startswith("models.")]
    assert importers == []
