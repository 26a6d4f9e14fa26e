"""Lesson 7 in a real browser: Catalogue scale measures every index setting on tiny towers (the
synthetic data), draws recall against latency and reads the fastest setting in a sentence.
Screenshot in test-artifacts/catalogue-scale/ (git-ignored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_app import MAIN, ROOT, on_lesson_page, wait_idle, wait_text
from tests.test_app_catalogue_scale import registry  # noqa: F401  (the module's registry fixture)

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts" / "catalogue-scale"


def test_the_catalogue_scale_page_draws_recall_against_latency(ml_folder: Path, registry: Path, tmp_path: Path) -> None:  # noqa: F811
    with on_lesson_page(ml_folder, registry, tmp_path, "pages/approximate_retrieval.py", height=1600) as (_, page):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        wait_text(page, "Recall against speed at 80 movies")
        wait_text(page, "of brute force's top 10", timeout=180)
        wait_idle(page)
        text = page.locator(MAIN).inner_text()
        assert "At 80 movies, " in text and "faster than brute force" in text
        page.locator(f"{MAIN} .js-plotly-plot").first.wait_for(state="visible", timeout=60_000)  # drawn lazily
        assert page.locator(f"{MAIN} .js-plotly-plot").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "catalogue-scale.png"), full_page=True)
