"""The README and docs/ name only files and modules that exist, and link only to pages that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PATH = re.compile(r"(?<![\w/.-])((?:recexplore|pages|tests|bench)/[\w/.-]*\w)")
DOTTED = re.compile(r"(?<![\w./-])(recexplore(?:\.\w+)+)")
LINK = re.compile(r"\]\(((?!https?:|#)[^)#\s]+)(?:#[^)]*)?\)")
README_LINES = 250
OUTPUTS = ("bench/results/",)  # written by the benchmarks, git-ignored: named, never committed


def _exists_as_module(dotted: str) -> bool:
    """`recexplore.a.b` (or an attribute `recexplore.a.b.name`) names a module or package there is."""
    parts = dotted.split(".")
    for end in range(len(parts), 1, -1):
        base = ROOT.joinpath(*parts[:end])
        if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
            return True
    return False


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_named_files_modules_and_links_exist(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    missing = [p for p in PATH.findall(text) if not p.startswith(OUTPUTS) and "*" not in p and not (ROOT / p).exists()]
    missing += [d for d in DOTTED.findall(text) if not _exists_as_module(d)]
    missing += [link for link in LINK.findall(text) if not (page.parent / link).exists()]
    assert missing == []


def test_the_readme_is_a_front_door() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= README_LINES
