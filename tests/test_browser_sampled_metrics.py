"""Lesson 8 in a real browser: saved tiny towers and a tiny GRU beside their peers, full against
sampled: first the one line for an N the synthetic catalogue cannot give, then the chart, the
orderings and the paper's number at N = 20. Screenshot in test-artifacts/sampled-metrics/ (git-ignored)."""

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
from tests.test_app_sampled_metrics import sampled_models  # noqa: F401  (the module's registry fixture)

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts" / "sampled-metrics"
PAGE = course.page("pages/sampled_metrics.py")


def test_the_sampled_metrics_page_sets_full_beside_sampled(
    ml_folder: Path,
    sampled_models: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    require_browser()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = app_env(ml_folder, sampled_models, tmp_path / "cache")
    with running_app(env, tmp_path / "streamlit.log") as server, chromium_page(height=2400) as page:
        page.goto(server.url)
        wait_text(page, PAGES["Home"][1], timeout=120)
        page.locator('[data-testid="stSidebarNav"]').get_by_text(PAGE.title, exact=True).click()
        page.locator(f"{MAIN} h1").filter(has_text=PAGE.title).wait_for(timeout=60_000)
        wait_text(page, course.lesson_of(PAGE.file).question)
        wait_text(page, "choose N from 1 to", timeout=120)  # the papers' 100 on an 80-movie catalogue: one line
        box = page.locator(MAIN).get_by_label("Sampled movies per test case (N)")
        box.fill("20")
        box.press("Enter")
        wait_text(page, "Kendall's tau", timeout=180)
        wait_idle(page)
        text = page.locator(MAIN).inner_text()
        assert "choose N from 1 to" not in text
        assert "Ranked by Hit-rate@10" in text and "Ranked by Next-movie hit rate@10" in text
        assert "A sampled HR@10 of 0.82" in text and "Popularity (random split, seed 42)" in text
        page.locator(f"{MAIN} .js-plotly-plot").first.wait_for(state="visible", timeout=60_000)  # drawn lazily
        assert page.locator(f"{MAIN} .js-plotly-plot").count() == 2
        page.screenshot(path=str(ARTIFACTS / "sampled-metrics.png"), full_page=True)
        assert page_errors(page) == []
        assert "Traceback" not in server.log_tail(20000), server.log_tail()
