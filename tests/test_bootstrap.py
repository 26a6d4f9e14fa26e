"""The two set-up commands (`python3 -m recexplore app` / `test`): what they read, what they decide,
how they fail. No network, nothing written outside tmp_path, no real virtual environment made."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recexplore.cli import bootstrap
from recexplore.cli.bootstrap import Requirement, parse_requirement, plan, read_requirements, version_meets

ROOT = Path(__file__).resolve().parent.parent
NO_SUCH = "recexplore-no-such-distribution-3f9c"
POSIX_ONLY = pytest.mark.skipif(os.name == "nt", reason="the fake interpreters are shell scripts")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("", None),
        ("   ", None),
        ("# a comment", None),
        ("--index-url https://example.invalid/simple", None),
        ("-e .", None),
        ("numpy", Requirement("numpy")),
        ("numpy>=1.26", Requirement("numpy", ((">=", "1.26"),))),
        ("ray>=2.60,<3  # the training engine", Requirement("ray", ((">=", "2.60"), ("<", "3")))),
        ("tensorflow[and-cuda]>=2.18", Requirement("tensorflow", ((">=", "2.18"),))),
        ("scikit-learn >= 1.5 , != 1.6.0", Requirement("scikit-learn", ((">=", "1.5"), ("!=", "1.6.0")))),
        ('tomli>=2; python_version < "3.11"', Requirement("tomli", ((">=", "2"),))),
        ("Authlib (>=1.3.2)", Requirement("Authlib", ((">=", "1.3.2"),))),
        ("keras_rs~=0.4", Requirement("keras_rs", (("~=", "0.4"),))),
        ("pkg @ https://example.invalid/pkg-1.0.tar.gz", Requirement("pkg")),
    ],
)
def test_one_requirement_line(line: str, expected: Requirement | None) -> None:
    assert parse_requirement(line) == expected


def test_the_projects_requirements_are_read_by_name() -> None:
    requirements = read_requirements(ROOT / "requirements.txt")
    names = [r.name for r in requirements]
    lines = [
        line
        for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert len(names) == len(lines) == len(set(names))
    assert {"tensorflow-cpu", "keras", "streamlit", "ray", "pytest", "Authlib"} <= set(names)
    assert all(" " not in n and "#" not in n and "[" not in n for n in names)
    streamlit = next(r for r in requirements if r.name == "streamlit")
    assert (">=", "1.67") in streamlit.specifiers


def test_a_nested_requirements_file_is_followed_once(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("numpy>=1\n-r more.txt\n", encoding="utf-8")
    (tmp_path / "more.txt").write_text("# more\npandas\n-r base.txt\n", encoding="utf-8")
    assert [r.name for r in read_requirements(tmp_path / "base.txt")] == ["numpy", "pandas"]


def test_an_unreadable_requirements_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(bootstrap.SetupError, match="cannot read requirements.txt"):
        read_requirements(tmp_path / "requirements.txt")


@pytest.mark.parametrize(
    ("version", "specifiers", "met"),
    [
        ("2.21.0", ((">=", "2.18"), ("<", "2.22")), True),
        ("2.22.0", ((">=", "2.18"), ("<", "2.22")), False),
        ("2.17.1", ((">=", "2.18"),), False),
        ("2.60.0", ((">=", "2.60"), ("<", "3")), True),
        ("1.67.0", ((">=", "1.67"),), True),
        ("1.6.0", (("!=", "1.6"),), False),
        ("0.4.7", (("~=", "0.4"),), True),
        ("1.0.0", (("~=", "0.4"),), False),
        ("2.1.0+cpu", (("==", "2.1"),), True),
        ("2.3.1", (("==", "2.*"),), True),  # a wildcard: not judged here
        ("weird", ((">=", "1"),), True),  # unparsable: not judged here
    ],
)
def test_versions_by_their_release_numbers(version: str, specifiers: tuple, met: bool) -> None:
    assert version_meets(version, specifiers) is met


def test_a_distribution_that_does_not_exist_is_missing(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"pytest>=1  # here\n{NO_SUCH}>=1.0\n", encoding="utf-8")
    assert bootstrap.missing(read_requirements(requirements)) == [NO_SUCH]
    assert bootstrap.missing([Requirement("pytest", ((">=", "999"),))]) == ["pytest"]


def test_the_interpreter_running_the_suite_is_set_up() -> None:
    """What `.ci/run` relies on: after its pip install, `recexplore test` makes no `.venv`."""
    assert bootstrap.missing(read_requirements(ROOT / "requirements.txt")) == []


def test_with_everything_present_the_command_runs_in_this_interpreter(tmp_path: Path) -> None:
    steps = plan("test", ["-x", "tests/test_data.py"], root=tmp_path, lacking=[], inside_venv=False)
    assert steps.run == (sys.executable, "-m", "pytest", "-q", "-x", "tests/test_data.py")
    assert steps.setup == () and steps.note is None
    app = plan("app", ["--server.port", "8600"], root=tmp_path, lacking=[], inside_venv=False)
    assert app.run == (sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", "8600")
    assert not (tmp_path / ".venv").exists()


def test_the_first_run_makes_the_venv_installs_and_runs_again_in_it(tmp_path: Path) -> None:
    steps = plan("test", ["-k", "x"], root=tmp_path, python="/usr/bin/python3", lacking=[NO_SUCH], inside_venv=False)
    venv_python = str(bootstrap.venv_python(tmp_path))
    requirements = str(tmp_path / "requirements.txt")
    assert steps.note == "setting up .venv from requirements.txt (first run only)" and steps.new_venv
    assert steps.setup[0] == ("/usr/bin/python3", "-m", "venv", str(tmp_path / ".venv"))
    assert steps.setup[1][:4] == (venv_python, "-m", "pip", "install") and steps.setup[1][-2:] == ("-r", requirements)
    assert steps.run == (venv_python, "-m", "recexplore", "test", "-k", "x")
    assert not (tmp_path / ".venv").exists()  # deciding makes nothing


def test_a_later_run_reuses_the_venv(tmp_path: Path) -> None:
    venv_python = bootstrap.venv_python(tmp_path)
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("", encoding="utf-8")
    steps = plan("app", [], root=tmp_path, python="/usr/bin/python3", lacking=[NO_SUCH], inside_venv=False)
    assert steps.setup == () and steps.note is None
    assert steps.run == (str(venv_python), "-m", "recexplore", "app")


def test_inside_the_venv_what_is_missing_is_installed_then_the_command_runs(tmp_path: Path) -> None:
    python = str(bootstrap.venv_python(tmp_path))
    steps = plan("test", [], root=tmp_path, python=python, lacking=["ray"], inside_venv=True)
    assert steps.setup == (
        (python, "-m", "pip", "install", "--disable-pip-version-check", "-r", str(tmp_path / "requirements.txt")),
    )
    assert steps.run == (python, "-m", "pytest", "-q") and "ray" in (steps.note or "")
    assert bootstrap.in_venv(tmp_path, prefix=str(tmp_path / ".venv"))
    assert not bootstrap.in_venv(tmp_path, prefix=sys.prefix)


def _checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    (root / "tests").mkdir(parents=True)
    (root / "streamlit_app.py").write_text("", encoding="utf-8")
    (root / "requirements.txt").write_text(f"{NO_SUCH}>=1\n", encoding="utf-8")
    return root


def _script(path: Path, body: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(0o755)
    return str(path)


@POSIX_ONLY
def test_a_failed_venv_is_one_line_and_leaves_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _checkout(tmp_path)
    python = _script(tmp_path / "bin" / "python3", 'mkdir -p "$3/bin"; exit 3\n')  # `python -m venv DIR`
    assert bootstrap.main(["test"], root=root, python=python) == 1
    out = capsys.readouterr()
    assert out.out.strip() == "setting up .venv from requirements.txt (first run only)"
    assert out.err.strip() == (
        "recexplore test: could not set up .venv: python -m venv .venv failed (exit code 3); see the output above"
    )
    assert not (root / ".venv").exists()


@POSIX_ONLY
def test_a_failed_install_is_one_line_and_leaves_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _checkout(tmp_path)
    pip_fails = 'echo "ERROR: no network" >&2; exit 1\n'
    # `python -m venv DIR` writes DIR/bin/python, an interpreter whose pip fails.
    make = f'mkdir -p "$3/bin"; printf \'#!/bin/sh\\n{pip_fails}\' > "$3/bin/python"; chmod +x "$3/bin/python"\n'
    python = _script(tmp_path / "bin" / "python3", make)
    assert bootstrap.main(["app", "--server.port", "1"], root=root, python=python) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (
        "recexplore app: could not set up .venv: pip install -r requirements.txt failed (exit code 1); "
        "see the output above"
    )
    assert "Traceback" not in "\n".join(err)
    assert not (root / ".venv").exists()


def test_an_existing_venv_folder_is_never_removed(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    (root / ".venv").mkdir()
    (root / ".venv" / "mine.txt").write_text("keep", encoding="utf-8")
    assert bootstrap.main(["test"], root=root, python=str(tmp_path / "no-such-python")) == 1
    assert (root / ".venv" / "mine.txt").read_text(encoding="utf-8") == "keep"


def test_bad_commands_and_a_missing_checkout_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bootstrap.main(["serve"], root=tmp_path) == 2
    assert bootstrap.main(["app"], root=tmp_path) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == "recexplore: expected one of app, test"
    assert err[1].startswith("recexplore app: `app` runs from a checkout of the repository;")
    assert err[1].endswith("has no streamlit_app.py")


def test_the_set_up_needs_nothing_but_the_standard_library() -> None:
    tree = ast.parse(Path(bootstrap.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported - {"__future__"} <= set(sys.stdlib_module_names)
    # Importing it (and the packages above it) pulls in nothing heavy, so it runs on a bare machine.
    code = (
        "import sys; before = set(sys.modules); import recexplore.cli.bootstrap; "
        "print(sorted({m.split('.')[0] for m in set(sys.modules) - before} - set(sys.stdlib_module_names) - {'recexplore'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_the_test_command_runs_pytest_and_passes_its_exit_code_on() -> None:
    base = [sys.executable, "-m", "recexplore", "test", "--noconftest", "-p", "no:cacheprovider"]
    listed = subprocess.run(
        [*base, "--co", "tests/test_bootstrap.py"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, listed.stdout[-2000:] + listed.stderr[-2000:]
    assert "tests/test_bootstrap.py::test_one_requirement_line" in listed.stdout
    none = subprocess.run(
        [*base, "tests/test_bootstrap.py", "-k", "no_such_test_3f9c"], cwd=ROOT, capture_output=True, timeout=120
    )
    assert none.returncode == 5  # pytest's "no tests ran", unchanged
