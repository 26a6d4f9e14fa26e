"""A data set ready in one click, in a real browser: the app opens on a small synthetic ML-1M (a
release other than the shipped one) with no models, Home prepares it (the lessons' default models
trained as real jobs on the app's own Ray, saved in the browser's workspace), and then every lesson
page shows its model. Screenshots go to test-artifacts/prepare/ (git-ignored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from recexplore.app import course
from recexplore.data.synth import write_synthetic
from recexplore.families import pretrained_entries
from recexplore.store import registry
from recexplore.store.entry_format import WORKSPACES_FOLDER
from tests.browser_app import (
    MAIN,
    PAGES,
    ROOT,
    app_env,
    chromium_page,
    open_page,
    page_errors,
    require_browser,
    running_app,
    wait_idle,
    wait_text,
)

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts" / "prepare"
SIZES = {"n_ratings": 3000, "n_users": 60, "n_movies": 150}  # tiny: the thirteen models train in a few minutes
PREPARE_S = 1200  # thirteen tiny jobs, two at a time on this machine's two cores
# What each lesson page shows once it has its model: the model picked in its box, by its name on ML-1M.
MODEL_BOX = {
    "Feature interactions": ".st-key-interactions_model",
    "Recommend": ".st-key-recommend_model",
    "Movie map": ".st-key-map_model",
    "Next movie": ".st-key-next_model",
    "Beyond accuracy": ".st-key-beyond_model",
}


def test_home_prepares_a_data_set_and_every_lesson_page_shows_its_model(tmp_path: Path) -> None:
    require_browser()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    write_synthetic(tmp_path / "data" / "ml-1m", "ml-1m", **SIZES)
    env = app_env(tmp_path / "data" / "ml-1m", tmp_path / "models", tmp_path / "cache")
    with running_app(env, tmp_path / "streamlit.log") as server, chromium_page(height=1800) as page:
        page.goto(server.url)
        wait_text(page, PAGES["Home"][1], timeout=120)
        wait_idle(page)
        main = page.locator(MAIN)
        assert "No saved models yet for MovieLens 1M" in main.inner_text()

        # Before: a lesson page offers to prepare the data set instead of naming a command.
        open_page_without_marker(page, "Recommend")
        wait_text(page, "No model for this page is saved yet")
        assert page.locator(f"{MAIN} .st-key-lesson_prepare_start").is_visible()

        # Prepare from Home: progress while the jobs train, then the outcome.
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Home", exact=True).click()
        wait_text(page, "Prepare MovieLens 1M in one click")
        wait_idle(page)
        page.screenshot(path=str(ARTIFACTS / "offer.png"), full_page=True)
        page.locator(f"{MAIN} .st-key-home_prepare_start button").click()
        wait_text(page, "Preparing MovieLens 1M")
        page.screenshot(path=str(ARTIFACTS / "progress.png"), full_page=True)
        wait_text(page, "MovieLens 1M is prepared", timeout=PREPARE_S)
        wait_idle(page)
        text = main.inner_text()
        assert f"{len(pretrained_entries())} models saved in your workspace" in text, server.log_tail()
        folders = list((tmp_path / "models" / WORKSPACES_FOLDER).iterdir())  # the browser's workspace
        saved = [e for folder in folders for e in registry.list_entries(folder)]
        assert sorted(e.name for e in saved if e.ok) == sorted(f"{e}-ml-1m" for e in pretrained_entries())
        page.screenshot(path=str(ARTIFACTS / "prepared.png"), full_page=True)

        # After: every lesson page runs to its end, with its model.
        for lesson in course.LESSONS:
            for file in lesson.pages:
                title = course.page(file).title
                if title in PAGES:
                    open_page(page, title, timeout=180)
                else:  # a page the shared browser tests do not visit (Lesson 6 has a browser test of its own)
                    open_page_without_marker(page, title)
                shown = main.inner_text()
                assert "No model for this page" not in shown and "is saved for MovieLens 1M" not in shown, title
                if title in MODEL_BOX:
                    assert page.locator(f"{MAIN} {MODEL_BOX[title]} input").input_value().endswith("-ml-1m"), title
                if title == "Compare towers":  # the three depths, found under their names on ML-1M
                    assert "Not saved yet" not in shown
                page.screenshot(path=str(ARTIFACTS / f"{Path(file).stem}.png"), full_page=True)
                assert page_errors(page) == [], title
        assert "Traceback" not in server.log_tail(50000), server.log_tail()


def open_page_without_marker(page: object, title: str) -> None:
    """Switch pages through the sidebar menu and wait for the run to end (the page stops early)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()  # type: ignore[attr-defined]
    page.locator(f"{MAIN} h1").filter(has_text=title).wait_for(timeout=60_000)  # type: ignore[attr-defined]
    wait_idle(page)
