"""Lesson 8 in a real browser: saved tiny towers and a tiny GRU beside their peers, full against
sampled: first the one line for an N the synthetic catalogue cannot give, then the chart, the
orderings and the paper's number at N = 20. Screenshot in test-artifacts/sampled-metrics/ (git-ignored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_app import MAIN, ROOT, on_lesson_page, wait_idle, wait_text
from tests.test_app_sampled_metrics import sampled_models  # noqa: F401  (the module's registry fixture)

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts" / "sampled-metrics"


def test_the_sampled_metrics_page_sets_full_beside_sampled(
    ml_folder: Path,
    sampled_models: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    with on_lesson_page(ml_folder, sampled_models, tmp_path, "pages/sampled_metrics.py", height=2400) as (_, page):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
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
