"""The two commands that set up what is missing and then run: `python3 -m recexplore app`
(the Streamlit app) and `python3 -m recexplore test [pytest args]` (the test suite).

If every requirement in `requirements.txt` is installed in the running interpreter, the
command runs in it. Otherwise a virtual environment, `.venv/` at the repository root, is made
with `python3 -m venv` on first use, `requirements.txt` is installed into it, and the same
command is run again with `.venv/bin/python`; later runs reuse it. A requirement counts as
installed when a distribution of its name is present and, where its version parses as plain
numbers, the version meets the requirement's specifiers; pip stays the judge inside `.venv`
(environment markers are not evaluated here, so a requirement still missing after pip's
install is left to pip and the command runs).

Standard library only, and no other recexplore module: it must run on a machine with nothing
installed, before `recexplore.cli.main` imports the heavy packages.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = "requirements.txt"
VENV = ".venv"
MIN_PYTHON = (3, 10)
SETUP_NOTE = "setting up .venv from requirements.txt (first run only)"

# What each command runs, after `python -m`; extra arguments are appended.
COMMANDS: dict[str, tuple[str, ...]] = {
    "app": ("streamlit", "run", "streamlit_app.py"),
    "test": ("pytest", "-q"),
}
# What each command needs in the checkout (the package alone, installed elsewhere, cannot run them).
NEEDS: dict[str, str] = {"app": "streamlit_app.py", "test": "tests"}
# A distribution that also satisfies a requirement (the GPU build of TensorFlow for the CPU one).
ALTERNATIVES: dict[str, tuple[str, ...]] = {"tensorflow-cpu": ("tensorflow",)}

_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_SPECIFIER = re.compile(r"\s*(~=|===|==|!=|<=|>=|<|>)\s*([^\s,;]+)\s*")
_NUMBERS = re.compile(r"(\d+(?:\.\d+)*)")


class SetupError(Exception):
    """The set-up could not be done (one line for stderr)."""


@dataclass(frozen=True)
class Requirement:
    """One line of a requirements file: the distribution's name and its version specifiers."""

    name: str
    specifiers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Plan:
    """What to do: commands to run first (in order), an optional line to print, then the command
    that replaces this process."""

    run: tuple[str, ...]
    setup: tuple[tuple[str, ...], ...] = ()
    note: str | None = None
    new_venv: bool = False


def parse_requirement(line: str) -> Requirement | None:
    """The requirement on one line of a requirements file, or None for a blank line, a comment
    or an option (`-r`, `--index-url`, ...). Extras, markers and URLs are set aside."""
    text = line.split(" #", 1)[0].split("\t#", 1)[0].strip()
    if not text or text.startswith(("#", "-")):
        return None
    match = _NAME.match(text)
    if match is None:
        return None
    rest = text[match.end() :].split(";", 1)[0].strip()
    if rest.startswith("["):  # extras: name[a,b]
        rest = rest.split("]", 1)[-1].strip()
    if rest.startswith("@"):  # a direct URL: no version to check
        return Requirement(match.group(0))
    rest = rest.strip("()")
    specifiers = []
    for part in rest.split(","):
        found = _SPECIFIER.fullmatch(part)
        if found:
            specifiers.append((found.group(1), found.group(2)))
    return Requirement(match.group(0), tuple(specifiers))


def read_requirements(path: Path, _seen: frozenset[Path] = frozenset()) -> list[Requirement]:
    """Every requirement in a requirements file, following `-r other.txt` lines."""
    path = path.resolve()
    if path in _seen:
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise SetupError(f"cannot read {path.name}: {err.strerror or err}") from None
    found: list[Requirement] = []
    for line in lines:
        words = line.split("#", 1)[0].split()
        if len(words) == 2 and words[0] in ("-r", "--requirement"):
            found += read_requirements(path.parent / words[1], _seen | {path})
            continue
        requirement = parse_requirement(line)
        if requirement is not None:
            found.append(requirement)
    return found


def _release(version: str) -> tuple[int, ...] | None:
    """The leading numbers of a version (`2.21.0rc1` -> (2, 21, 0)), None when there are none."""
    match = _NUMBERS.match(version.strip().lstrip("vV"))
    return tuple(int(n) for n in match.group(1).split(".")) if match else None


def _compare(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    width = max(len(a), len(b))
    a, b = a + (0,) * (width - len(a)), b + (0,) * (width - len(b))
    return (a > b) - (a < b)


def version_meets(version: str, specifiers: tuple[tuple[str, str], ...]) -> bool:
    """Whether an installed version meets the specifiers, comparing plain release numbers only.
    Anything this simple reading cannot judge (a wildcard, an unparsable version) counts as met."""
    have = _release(version)
    if have is None:
        return True
    for operator, wanted in specifiers:
        want = _release(wanted)
        if want is None or "*" in wanted:
            continue
        order = _compare(have, want)
        if operator == "~=":
            prefix = want[:-1] if len(want) > 1 else want
            if order < 0 or _compare(have[: len(prefix)], prefix) != 0:
                return False
            continue
        ok = {
            ">=": order >= 0,
            ">": order > 0,
            "<=": order <= 0,
            "<": order < 0,
            "==": order == 0,
            "===": order == 0,
            "!=": order != 0,
        }[operator]
        if not ok:
            return False
    return True


def _installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def missing(requirements: list[Requirement]) -> list[str]:
    """The requirements this interpreter lacks (absent, or with a version that does not meet them)."""
    lacking = []
    for requirement in requirements:
        names = (requirement.name, *ALTERNATIVES.get(requirement.name.lower(), ()))
        versions = [v for v in map(_installed_version, names) if v is not None]
        if not any(version_meets(v, requirement.specifiers) for v in versions):
            lacking.append(requirement.name)
    return lacking


def venv_python(root: Path) -> Path:
    """The interpreter of the project's `.venv`."""
    if os.name == "nt":
        return root / VENV / "Scripts" / "python.exe"
    return root / VENV / "bin" / "python"


def in_venv(root: Path, prefix: str | None = None) -> bool:
    """Whether the running interpreter is the project's `.venv`."""
    here = Path(prefix if prefix is not None else sys.prefix)
    try:
        return here.resolve() == (root / VENV).resolve()
    except OSError:
        return False


def plan(
    command: str,
    args: list[str],
    *,
    root: Path = ROOT,
    python: str | None = None,
    lacking: list[str] | None = None,
    inside_venv: bool | None = None,
) -> Plan:
    """What `python -m recexplore COMMAND ARGS` does here, decided without running anything.

    Everything present: run COMMAND in this interpreter. Something missing outside `.venv`:
    make `.venv` and install into it if it does not exist yet, then run `python -m recexplore`
    again in it (which installs what is still missing). Something missing inside `.venv`:
    install `requirements.txt` into it, then run COMMAND."""
    if command not in COMMANDS:
        raise SetupError(f"unknown command {command!r}: use one of {', '.join(COMMANDS)}")
    python = python or sys.executable
    if lacking is None:
        lacking = missing(read_requirements(root / REQUIREMENTS))
    if inside_venv is None:
        inside_venv = in_venv(root)
    here = (python, "-m", *COMMANDS[command], *args)
    requirements = str(root / REQUIREMENTS)
    pip = ("-m", "pip", "install", "--disable-pip-version-check", "-r", requirements)
    if not lacking:
        return Plan(run=here)
    if inside_venv:
        note = f"updating .venv from requirements.txt (missing: {', '.join(lacking)})"
        return Plan(run=here, setup=((python, *pip),), note=note)
    target = venv_python(root)
    again = (str(target), "-m", "recexplore", command, *args)
    if target.exists():
        return Plan(run=again)
    create = (python, "-m", "venv", str(root / VENV))
    return Plan(run=again, setup=(create, (str(target), *pip)), note=SETUP_NOTE, new_venv=True)


def _check_python() -> None:
    if sys.version_info < MIN_PYTHON:
        have = ".".join(map(str, sys.version_info[:2]))
        raise SetupError(f"RecExplore needs Python {'.'.join(map(str, MIN_PYTHON))} or newer; this is {have}")


def _set_up(steps: Plan, root: Path) -> None:
    """Run the plan's set-up steps; a failure removes a `.venv` this run created and says why."""
    made_here = steps.new_venv and not (root / VENV).exists()
    if steps.note:
        print(steps.note, flush=True)
    if steps.new_venv:
        try:
            import ensurepip  # noqa: F401
            import venv  # noqa: F401
        except ImportError:
            raise SetupError(
                "cannot make .venv: this Python has no venv/ensurepip module "
                "(on Debian or Ubuntu: apt-get install python3-venv)"
            ) from None
    for number, step in enumerate(steps.setup):
        what = "python -m venv .venv" if steps.new_venv and number == 0 else "pip install -r requirements.txt"
        try:
            code = subprocess.run(step, cwd=root).returncode
        except OSError as err:
            code, reason = None, err.strerror or str(err)
        else:
            reason = f"exit code {code}"
        if code != 0:
            if made_here:
                shutil.rmtree(root / VENV, ignore_errors=True)
            raise SetupError(f"could not set up .venv: {what} failed ({reason}); see the output above")


def _replace_process(argv: tuple[str, ...], root: Path) -> int:
    """Run argv from the repository root in place of this process (its exit code is ours)."""
    os.chdir(root)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "nt":  # no real exec there: wait for it
        return subprocess.run(argv).returncode
    try:
        os.execv(argv[0], argv)
    except OSError as err:
        raise SetupError(f"cannot run {Path(argv[0]).name}: {err.strerror or err}") from None
    return 1  # not reached


def main(argv: list[str], root: Path = ROOT, python: str | None = None) -> int:
    """`app` or `test` with their extra arguments: set up what is missing, then run (`python`:
    the interpreter that makes `.venv`, this one by default)."""
    if not argv or argv[0] not in COMMANDS:
        print(f"recexplore: expected one of {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    command, args = argv[0], argv[1:]
    try:
        _check_python()
        if not (root / NEEDS[command]).exists():
            raise SetupError(f"`{command}` runs from a checkout of the repository; {root} has no {NEEDS[command]}")
        steps = plan(command, args, root=root, python=python)
        _set_up(steps, root)
        return _replace_process(steps.run, root)
    except SetupError as err:
        print(f"recexplore {command}: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
