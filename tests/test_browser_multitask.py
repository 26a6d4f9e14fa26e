"""Lesson 6 in a real browser: the trade-off from saved multi-task models (three weights, a tiny DLRM
and tiny 1-layer towers on the synthetic data), drawn and read in a sentence. Screenshot in
test-artifacts/multitask/ (git-ignored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_app import MAIN, ROOT, on_lesson_page, wait_idle, wait_text
from tests.test_multitask_page import saved  # noqa: F401  (the module's registry fixture)

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts" / "multitask"


def test_the_trade_off_page_draws_the_saved_weights(ml_folder: Path, saved: Path, tmp_path: Path) -> None:  # noqa: F811
    with on_lesson_page(ml_folder, saved, tmp_path, "pages/multitask.py") as (_, page):
        wait_text(page, "one model does both", timeout=120)
        wait_idle(page)
        text = page.locator(MAIN).inner_text()
        assert "At retrieval weight 0.5" in text and "against the DLRM" in text
        page.locator(f"{MAIN} .js-plotly-plot").first.wait_for(state="visible", timeout=60_000)  # drawn lazily
        assert page.locator(f"{MAIN} .js-plotly-plot").count() == 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "trade-off.png"), full_page=True)
