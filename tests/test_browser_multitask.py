"""Lesson 6 in a real browser: the trade-off from saved multi-task models (three weights, a tiny DLRM
and tiny 1-layer towers on the synthetic data), drawn and read in a sentence. Screenshot in
test-artifacts/multitask/ (git-ignored)."""

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
from tests.test_multitask_page import saved  # noqa: F401  (the module's registry fixture)

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts" / "multitask"
PAGE = course.page("pages/multitask.py")


def test_the_trade_off_page_draws_the_saved_weights(ml_folder: Path, saved: Path, tmp_path: Path) -> None:  # noqa: F811
    require_browser()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = app_env(ml_folder, saved, tmp_path / "cache")
    with running_app(env, tmp_path / "streamlit.log") as server, chromium_page(height=1600) as page:
        page.goto(server.url)
        wait_text(page, PAGES["Home"][1], timeout=120)
        page.locator('[data-testid="stSidebarNav"]').get_by_text(PAGE.title, exact=True).click()
        page.locator(f"{MAIN} h1").filter(has_text=PAGE.title).wait_for(timeout=60_000)
        wait_text(page, "Can one model both retrieve and rate?")
        wait_text(page, "one model does both", timeout=120)
        wait_idle(page)
        text = page.locator(MAIN).inner_text()
        assert "At retrieval weight 0.5" in text and "against the DLRM" in text
        page.locator(f"{MAIN} .js-plotly-plot").first.wait_for(state="visible", timeout=60_000)  # drawn lazily
        assert page.locator(f"{MAIN} .js-plotly-plot").count() == 1
        page.screenshot(path=str(ARTIFACTS / "trade-off.png"), full_page=True)
        assert page_errors(page) == []
        assert "Traceback" not in server.log_tail(20000), server.log_tail()
