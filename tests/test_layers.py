"""The package's architecture, as the tree and the imports show it: one subpackage per stage, imports pointing only
down the stages, and no import cycle (every import counts: module-level, inside functions and type-only ones)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "eventstudy"

# The stages, lowest first: a module may import its own stage and the stages before it, never one after it.
# ``claims`` comes before ``study`` because the analysis of a study evaluates its claims; ``api`` (the Python API:
# ``eventstudy.run`` and ``Results``) and ``cli`` are the two front ends and call every stage.
STAGES = (
    "errors",
    "spec",
    "data",
    "model",
    "inference",
    "claims",
    "study",
    "placebo",
    "report",
    "publish",
    "cli",
    "api",
    "__main__",  # python -m eventstudy: the command line
)
TOP_LEVEL = {*STAGES[1:-3], "cli", "__init__.py", "__main__.py", "api.py", "errors.py", "py.typed"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _stage(module: str) -> str:
    parts = module.split(".")
    return "api" if len(parts) == 1 else parts[1]  # the root package: its lazy exports are the public face


def _imports(module: str) -> list[tuple[str, int, str]]:
    """Every ``eventstudy`` module that ``module`` imports, with the line and the imported names' text."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "eventstudy"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "eventstudy":
                continue
            names = [a.name for a in node.names]
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            if target == "eventstudy" and names == ["__version__"]:
                continue  # the version string, defined in the root package, which imports nothing eagerly
            found += [(m, node.lineno, m) for m in submodules] or [(target, node.lineno, ", ".join(names))]
    return [(t, line, what) for t, line, what in found if t in MODULES]


GRAPH = {m: sorted({t for t, _, _ in _imports(m)} - {m}) for m in MODULES}


def test_the_top_level_lists_the_stages():
    entries = {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    assert entries == TOP_LEVEL


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_stages(module):
    own = STAGES.index(_stage(module))
    upward = [
        f"{MODULES[module].relative_to(ROOT)}:{line} imports {target} ({what}), stage {_stage(target)!r} "
        f"after {_stage(module)!r}"
        for target, line, what in _imports(module)
        if STAGES.index(_stage(target)) > own
    ]
    assert not upward, "\n".join(upward)


def test_no_import_cycle():
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in GRAPH[module]:
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[module] = 2
        path.pop()
        return None

    for module in MODULES:
        if module not in state:
            cycle = visit(module)
            assert cycle is None, " -> ".join(cycle)


def test_the_checks_see_what_they_check():
    """The walk finds the imports it judges: a known downward import, a lazy one and a type-only one."""
    assert "eventstudy.study.results" in GRAPH["eventstudy.study.analysis"]
    assert "eventstudy.report.figures" in GRAPH["eventstudy.api"]  # imported inside Results.plot_car
    assert "eventstudy.study.results" in GRAPH["eventstudy.report.figures"]
    assert _stage("eventstudy.data.calendar") == "data" and _stage("eventstudy") == "api"
