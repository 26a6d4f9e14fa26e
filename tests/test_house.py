"""House rules that hold for the whole tree: the Streamlit boundary, one formatter, no stray timing."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP_SIDE = ("recexplore/app/", "pages/", "streamlit_app.py")


def _python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_app_side_imports_streamlit() -> None:
    library = [p for p in _python_files("recexplore") if not p.relative_to(ROOT).as_posix().startswith(APP_SIDE)]
    assert library, "the library was not found"
    offenders = [p.relative_to(ROOT).as_posix() for p in library if "streamlit" in _imports(p)]
    assert offenders == []


def test_serving_does_not_import_training() -> None:
    for module in (
        "recexplore/serving/recommend.py",
        "recexplore/evaluation/scoring.py",
        "recexplore/app/model_cache.py",
    ):
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
        names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert "recexplore.training.trainer" not in names, module


def test_no_formatter_opt_outs_and_the_tree_is_formatted() -> None:
    files = [*_python_files("recexplore", "pages", "tests", "bench"), ROOT / "streamlit_app.py"]
    assert not [p.name for p in files if "fmt: " + "skip" in p.read_text(encoding="utf-8")]
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    check = subprocess.run([ruff, "format", "--check", "."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout[-2000:]


def test_no_wall_clock_assertion_in_tests() -> None:
    """Timing belongs in bench/: no test compares a measured duration against a bound."""
    timed = ("perf_counter", "monotonic", "time")
    offenders = []
    for path in _python_files("tests"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        clocks = {
            t.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.BinOp)
            and any(isinstance(c, ast.Call) and getattr(c.func, "attr", "") in timed for c in ast.walk(node.value))
            for t in node.targets
            if isinstance(t, ast.Name)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare):
                used = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
                if used & clocks:
                    offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
