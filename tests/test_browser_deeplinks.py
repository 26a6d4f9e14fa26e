"""A shared link as a fresh server's first request: the page opens inside the app (titled menu,
sidebar, warm-up), not in Streamlit's legacy file-name mode. One fresh server per page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_app import PAGES, app_env, chromium_page, require_browser, running_app, wait_marker

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("title", ["Recommend", "Train"])
def test_a_deep_link_on_a_fresh_server_shows_the_page_inside_the_app(
    title: str, ml_folder: Path, tmp_path: Path
) -> None:
    require_browser()
    env = app_env(ml_folder, tmp_path / "models", tmp_path / "cache")
    with chromium_page() as page, running_app(env, tmp_path / "streamlit.log") as server:
        page.goto(f"{server.url}/{PAGES[title][0]}")  # the very first request this server gets
        page.locator('[data-testid="stMain"] h1').filter(has_text=title).wait_for(timeout=90_000)
        nav = page.locator('[data-testid="stSidebarNav"]')
        nav.get_by_text("Feature interactions", exact=True).wait_for(timeout=30_000)  # the app's titled menu
        assert "streamlit app" not in nav.inner_text()  # not the legacy menu of file names
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("Keras backend").wait_for(timeout=90_000)  # the entrypoint's sidebar and warm-up ran
        if title == "Train":
            wait_marker(page, title, timeout=60)
            assert "ws=" not in page.url and "resume=" not in page.url  # the workspace stays in the cookie
            assert any(c["name"] == "recexplore_workspace" and c["httpOnly"] for c in page.context.cookies())
        assert page.locator('[data-testid="stException"]').count() == 0
