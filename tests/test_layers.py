"""The library's stages: each imports only the stages below it, nothing imports in a circle (function-local
imports included), no module is over 500 lines, and each package says what it holds."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "recexplore"
# Lowest first: a stage may import the stages before it, never one after it (cli and app share a rank).
STAGES = ("config", "families", "data", "models", "evaluation", "training", "serving", "store", "engine")
TOP = ("cli", "app")
RANK = {**{stage: rank for rank, stage in enumerate(STAGES)}, **dict.fromkeys(TOP, len(STAGES))}
TOP_MODULES = {"__init__.py", "__main__.py", "families.py"}
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(LIBRARY.rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """The library module `name` is, or is inside of (an imported name resolves to its module)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(path: Path) -> dict[str, int]:
    """Every library module `path` imports, anywhere in the file, with the first line it does so."""
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            module = _resolve(name) if name.startswith("recexplore.") else None
            if module is not None and module != "recexplore":
                found.setdefault(module, node.lineno)
    return found


def _stage(module: str) -> str:
    return module.split(".")[1] if module.count(".") else "recexplore"


GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def test_the_stages_are_the_packages_there_are() -> None:
    packages = {p.parent.name for p in LIBRARY.glob("*/__init__.py")}
    assert packages == set(STAGES) - {"families"} | set(TOP)
    top = {p.name for p in LIBRARY.glob("*.py")}
    assert top == TOP_MODULES, "at most the entry points and the family table sit at the top of recexplore/"


def upward_imports(graph: dict[str, dict[str, int]]) -> list[str]:
    """'module:line (stage) imports other (stage)' for each import of a stage at or above its own."""
    offenders = []
    for module, imported in graph.items():
        stage = _stage(module)
        if stage not in RANK:
            continue  # recexplore/__init__.py and __main__.py
        for other, line in imported.items():
            theirs = _stage(other)
            if theirs != stage and RANK.get(theirs, -1) >= RANK[stage]:
                offenders.append(f"{module}:{line} ({stage}) imports {other} ({theirs})")
    return offenders


def circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The import circles of `graph`: Tarjan's strongly connected components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, {}):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            members = []
            while True:
                member = stack.pop()
                members.append(member)
                if member == node:
                    break
            if len(members) > 1:
                found.append(sorted(members))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_each_stage_imports_only_stages_below_it() -> None:
    assert upward_imports(GRAPH) == []


def test_no_import_circle_anywhere() -> None:
    assert circles(GRAPH) == []


def test_the_checks_catch_an_upward_import_and_a_circle(tmp_path: Path) -> None:
    """The checks above can fail: a function-local upward import is read, reported and a circle found."""
    upward = tmp_path / "upward.py"
    upward.write_text("def f():\n    from recexplore.engine.jobs import JobManager\n")
    found = imports_of(upward)
    assert found == {"recexplore.engine.jobs": 2}
    assert upward_imports({"recexplore.data.splits": found}) == [
        "recexplore.data.splits:2 (data) imports recexplore.engine.jobs (engine)"
    ]
    assert upward_imports({"recexplore.engine.jobs": {"recexplore.data.splits": 1}}) == []
    loop = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert circles(loop) == [["a", "b", "c"]]


def test_no_module_over_500_lines() -> None:
    files = [*LIBRARY.rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "streamlit_app.py"]
    long = {
        str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


@pytest.mark.parametrize("package", [*(s for s in STAGES if s != "families"), *TOP])
def test_each_package_says_what_it_holds_and_exports_what_exists(package: str) -> None:
    module = importlib.import_module(f"recexplore.{package}")
    assert module.__doc__ and len(module.__doc__.strip()) > 40, f"recexplore/{package}/__init__.py has no docstring"
    for name in getattr(module, "__all__", ()):
        assert getattr(module, name) is not None, f"recexplore.{package}.{name}"


def _defined_names(module: str) -> set[str] | None:
    """The names `module` (a library module or package) defines or imports at its top, its lazy
    exports and, for a package, its submodules; None when there is no such module."""
    path = MODULES.get(module)
    if path is None:
        return None
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    exports = re.search(r"_EXPORTS = \{(.*?)\}", path.read_text(encoding="utf-8"), re.S)
    if exports:
        names |= set(re.findall(r'"(\w+)":', exports.group(1)))
    if path.name == "__init__.py":
        names |= {p.stem for p in path.parent.glob("*.py")} | {p.name for p in path.parent.iterdir() if p.is_dir()}
    return names


FROM_IMPORT = re.compile(r"from (recexplore(?:\.\w+)*) import \(?([\w ,\n]+?)\)?(?=\n|$|\\n|;|\")")


@pytest.mark.parametrize("folder", ["recexplore", "pages", "tests", "bench"])
def test_every_import_of_the_library_names_what_exists(folder: str) -> None:
    """Also inside the scripts that tests and benchmarks run in a subprocess (strings no linter reads)."""
    missing = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for found in FROM_IMPORT.finditer(path.read_text(encoding="utf-8")):
            have = _defined_names(found.group(1))
            names = [n.strip().split(" as ")[0] for n in found.group(2).replace("\n", " ").split(",") if n.strip()]
            absent = names if have is None else [n for n in names if n not in have]
            missing += [f"{path.relative_to(ROOT)}: {found.group(1)}.{n}" for n in absent]
    assert missing == []
