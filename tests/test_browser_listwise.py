"""Lesson 2's list question in a real browser: Compare rankers opens with the saved DLRM and listwise
ranker (tiny ones on the synthetic data) on their split's held-out lists, the table and the sentence,
before anything is trained. Screenshot in test-artifacts/listwise/ (git-ignored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from recexplore.app import course
from tests.browser_app import (
    MAIN,
    PAGES,
    ROOT,
    app_env,
    chromium_page,
    page_errors,
    require_browser,
    running_app,
    wait_idle,
    wait_text,
)
from tests.test_saved_rankers import saved  # noqa: F401  (the module's registry fixture)

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts" / "listwise"
PAGE = course.page("pages/compare_rankers.py")


def test_the_saved_rankers_on_held_out_lists(ml_folder: Path, saved: Path, tmp_path: Path) -> None:  # noqa: F811
    require_browser()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = app_env(ml_folder, saved, tmp_path / "cache")
    with running_app(env, tmp_path / "streamlit.log") as server, chromium_page(height=1600) as page:
        page.goto(server.url)
        wait_text(page, PAGES["Home"][1], timeout=120)
        page.locator('[data-testid="stSidebarNav"]').get_by_text(PAGE.title, exact=True).click()
        page.locator(f"{MAIN} h1").filter(has_text=PAGE.title).wait_for(timeout=60_000)
        wait_text(page, "Does training on the order of a list beat predicting each star?")
        wait_text(page, "orders the held-out lists best", timeout=180)
        wait_idle(page)
        table = page.locator(f'{MAIN} [data-testid="stDataFrame"]').first
        table.wait_for(state="visible", timeout=60_000)
        text = page.locator(MAIN).inner_text()
        assert "The saved rankers" in text and "each on the split it was trained on" in text
        page.screenshot(path=str(ARTIFACTS / "saved-rankers.png"), full_page=True)
        assert page_errors(page) == []
        assert "Traceback" not in server.log_tail(20000), server.log_tail()
