"""The layers can be read from the tree: every import goes down, none runs in a circle, and project imports
are made at module top (an import hidden inside a function is how cycles were hidden before).

Layers, from the ground up: features < models < forecasting < early_warning < talentcast (service, storage,
tracking, demo, report) < talentcast.cli and api (the two doors, which do not import each other).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("features", "models", "forecasting", "early_warning", "talentcast", "api")
LAYER = {"features": 0, "models": 1, "forecasting": 2, "early_warning": 3, "talentcast": 4,
         "talentcast.cli": 5, "api": 5}


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # Alembic scripts are loaded by Alembic, not imported
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _layer_of(module: str) -> tuple[str, int]:
    for name in sorted(LAYER, key=len, reverse=True):
        if module == name or module.startswith(name + "."):
            return name, LAYER[name]
    raise AssertionError(f"{module} is in no layer")


def _resolve(module: str, node: ast.ImportFrom | ast.Import, is_package: bool) -> list[str]:
    """Project modules an import statement names (a `from x import y` where y is a submodule names x.y)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            anchor = module.split(".") if is_package else module.split(".")[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join(anchor + ([base] if base else []))
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
    found = []
    for name in names:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name:
            found.append(name)
    return found


def _imports(module: str) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """({imported project module: line} made at module level, [(line, name)] made inside functions)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    top: dict[str, int] = {}
    nested: list[tuple[int, str]] = []

    def visit(node: ast.AST, in_function: bool, type_checking: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for target in _resolve(module, child, path.name == "__init__.py"):
                    if in_function:
                        nested.append((child.lineno, target))
                    elif not type_checking:
                        top.setdefault(target, child.lineno)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, True, type_checking)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                visit(child, in_function, True)
            else:
                visit(child, in_function, type_checking)

    visit(tree, False, False)
    return top, nested


GRAPH = {module: _imports(module) for module in MODULES}


def test_the_tree_has_every_layer():
    layers = {_layer_of(m)[0] for m in MODULES}
    assert layers == set(LAYER), f"missing layers: {set(LAYER) - layers}"


def test_no_import_goes_up_or_across_the_doors():
    wrong = []
    for module, (top, nested) in GRAPH.items():
        name, level = _layer_of(module)
        for target, line in list(top.items()) + [(t, ln) for ln, t in nested]:
            target_name, target_level = _layer_of(target)
            if target_level > level or (target_level == level and target_name != name):
                wrong.append(f"{MODULES[module].relative_to(ROOT)}:{line} ({name}) imports {target} ({target_name})")
    assert not wrong, "imports that go up a layer:\n" + "\n".join(wrong)


def test_project_imports_are_at_module_top():
    nested = [f"{MODULES[m].relative_to(ROOT)}:{line} imports {target} inside a function"
              for m, (_, inner) in GRAPH.items() for line, target in inner]
    assert not nested, "\n".join(nested)


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), in the module-level import graph."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def strongconnect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v][0]:
            if w == v or w not in GRAPH:
                continue
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            strongconnect(v)
    return found


def _package_cycles() -> list[list[str]]:
    """A package __init__ that re-exports its submodules is not a cycle; a submodule importing its own
    package's __init__ while that __init__ imports it back is. Count only module <-> module cycles."""
    return _cycles()


def test_no_import_cycles():
    cycles = _package_cycles()
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("bad,expect", [
    ("import talentcast.service\n", "up"),
    ("def f():\n    import features.contract\n", "nested"),
])
def test_the_checks_see_a_planted_violation(tmp_path, monkeypatch, bad, expect):
    """The walk itself must find a violation it is shown (a check that cannot fail is no check)."""
    module = "features._planted"
    path = tmp_path / "_planted.py"
    path.write_text(bad, encoding="utf-8")
    monkeypatch.setitem(MODULES, module, path)
    top, nested = _imports(module)
    if expect == "up":
        assert _layer_of(next(iter(top)))[1] > _layer_of(module)[1]
    else:
        assert nested and nested[0][1] == "features.contract"


def test_every_cli_command_is_in_the_lazy_registry():
    """`talentcast.cli.COMMAND_MODULES` names the module of every command (a command missing from it would
    exist for `--help` but not when run)."""
    from talentcast.cli import COMMAND_MODULES, load_commands

    app = load_commands()
    names = {c.name or c.callback.__name__ for c in app.registered_commands} | {g.name for g in app.registered_groups}
    assert names - {"version"} == set(COMMAND_MODULES)


def test_the_results_contract_page_is_generated_from_the_contract():
    """docs/results-contract.md is `python -m features.results`: regenerate it when a result column changes."""
    from features.results import to_markdown

    assert (ROOT / "docs" / "results-contract.md").read_text(encoding="utf-8") == to_markdown()
