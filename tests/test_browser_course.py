"""The course in a real browser: the menu shows the course's sections, and a card of Home's course
map leads to its lesson page, which opens with the lesson's question. Screenshots go to
test-artifacts/course/ (git-ignored)."""

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

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts" / "course"
LESSON = course.LESSONS[1]  # Lesson 2, explicit crosses: its card opens Compare rankers


def test_home_course_map_leads_to_a_lesson_page(ml_folder: Path, tmp_path: Path) -> None:
    require_browser()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = app_env(ml_folder, tmp_path / "models", tmp_path / "cache")
    with running_app(env, tmp_path / "streamlit.log") as server, chromium_page(height=1800) as page:
        page.goto(server.url)
        wait_text(page, PAGES["Home"][1], timeout=120)
        wait_idle(page)

        # The menu: the course's sections, top to bottom, each with its pages.
        nav = page.locator('[data-testid="stSidebarNav"]')
        headers = nav.locator('[data-testid="stNavSectionHeader"]')
        assert headers.all_inner_texts() == list(course.SECTIONS)
        for files in course.SECTIONS.values():
            for file in files:
                assert nav.get_by_text(course.page(file).title, exact=True).is_visible(), file

        # The course map: a card per lesson with its question.
        cards = page.locator(f"{MAIN} [class*='st-key-lesson_card_']")
        assert cards.count() == len(course.LESSONS)
        card = page.locator(f"{MAIN} .st-key-lesson_card_{LESSON.number}")
        assert LESSON.question in card.inner_text()
        page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)

        # Follow the card's first link to its lesson page.
        first = course.page(LESSON.pages[0])
        card.locator('[data-testid="stPageLink"]').get_by_text(first.title, exact=True).click()
        page.locator(f"{MAIN} h1").filter(has_text=first.title).wait_for(timeout=60_000)
        wait_text(page, LESSON.question)
        wait_text(page, PAGES[first.title][1])  # the page ran to its end
        wait_idle(page)
        assert page.url.rstrip("/").endswith("/" + Path(first.file).stem)
        assert f"Lesson {LESSON.number} · {LESSON.title}" in page.locator(MAIN).inner_text()
        page.screenshot(path=str(ARTIFACTS / "lesson.png"), full_page=True)
        assert page_errors(page) == []
        assert "Traceback" not in server.log_tail(20000), server.log_tail()
