"""Lesson 2's list question in a real browser: Compare rankers opens with the saved DLRM and listwise
ranker (tiny ones on the synthetic data) on their split's held-out lists, the table and the sentence,
before anything is trained. Screenshot in test-artifacts/listwise/ (git-ignored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_app import MAIN, ROOT, on_lesson_page, wait_idle, wait_text
from tests.test_saved_rankers import saved  # noqa: F401  (the module's registry fixture)

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts" / "listwise"


def test_the_saved_rankers_on_held_out_lists(ml_folder: Path, saved: Path, tmp_path: Path) -> None:  # noqa: F811
    with on_lesson_page(ml_folder, saved, tmp_path, "pages/compare_rankers.py") as (_, page):
        wait_text(page, "Does training on the order of a list beat predicting each star?")
        wait_text(page, "orders the held-out lists best", timeout=180)
        wait_idle(page)
        page.locator(f'{MAIN} [data-testid="stDataFrame"]').first.wait_for(state="visible", timeout=60_000)
        text = page.locator(MAIN).inner_text()
        assert "The saved rankers" in text and "each on the split it was trained on" in text
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "saved-rankers.png"), full_page=True)
