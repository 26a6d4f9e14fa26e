"""Drive the real app in a real browser: `streamlit run` on a loopback port plus Debian's Chromium.

Shared by the browser test (tests/test_browser.py) and the responsiveness benchmark
(bench/browser_bench.py). Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("RECEXPLORE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--metrics-recording-only",
]
# URL path of each page (st.Page infers it from the file name) and a text that only that page
# shows, and only once its work is done (it comes after the page's slow parts).
PAGES = {
    "Home": ("", "Where to start"),
    "Data": ("data", "Title tokens"),
    "Train": ("train", "Each training runs as a job"),
    "Feature interactions": ("interactions", "One rating, taken apart"),
    "Compare towers": ("compare", "towers are best at hit-rate"),
    "Beyond accuracy": ("beyond", "Head: the 20% most-rated movies"),
    "Planted crosses": ("planted_crosses", "What the cross layer learned"),
    "Compare rankers": ("compare_rankers", "Press 'Train all"),
    "Recommend": ("recommend", "Top 10 for user"),
    "Next movie": ("next_movie", "there is nothing to check"),
    "Movie map": ("movie_map", "Nearest 10 to"),
    "Sweeps": ("sweeps", "Look at a sweep"),
    "Runs": ("runs", "Download the histories"),
    "Teacher's view": ("class_queue", "It opens with the operator token"),
}

# True once the current script run has finished (Streamlit's 'Running' status widget is gone).
IDLE_JS = """() => {
    const w = document.querySelector('[data-testid="stStatusWidget"]');
    return !w || !w.innerText.includes('Running');
}"""
MAIN = '[data-testid="stMain"]'
USER_BOX = f"{MAIN} .st-key-recommend_user input"


def browser_available() -> str | None:
    """None when Playwright and Chromium are both installed, else the reason they are not."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -r requirements.txt)"
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    return None


def require_browser(what: str = "browser test") -> None:
    """Skip the calling test where Playwright or Chromium is missing; in CI, fail it instead."""
    missing = browser_available()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{what} cannot run in CI: {missing}")
        pytest.skip(missing)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AppServer:
    """A `streamlit run streamlit_app.py` child process on 127.0.0.1."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(self.port),
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ]
        self._log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_healthy(self, timeout: float = 60.0) -> float:
        """Block until the server answers its health check; seconds since launch."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as reply:
                    if reply.status == 200:
                        return time.perf_counter() - self.started
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"streamlit did not start within {timeout:.0f} s: {self.log_tail()}")

    def log_tail(self, chars: int = 2000) -> str:
        """The end of the server's log, for failure messages."""
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        """Terminate the server (kill it if it does not stop within 10 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def app_env(data_dir: Path, models_dir: Path, cache_dir: Path) -> dict[str, str]:
    """The server's environment: the given data, registry and parse cache, no telemetry."""
    # The registry's signing key is kept: the server must trust the models its caller saved.
    kept = ("RECEXPLORE_REGISTRY_KEY", "RECEXPLORE_REGISTRY_KEY_FILE")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECEXPLORE_") or k in kept}
    env.update(
        RECEXPLORE_DATA_DIR=str(data_dir),
        RECEXPLORE_MODELS_DIR=str(models_dir),
        RECEXPLORE_CACHE_DIR=str(cache_dir),
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def running_app(env: dict[str, str], log_path: Path) -> Iterator[AppServer]:
    """Start the app server, yield it once healthy, always stop it."""
    server = AppServer(env, log_path)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


def chromium_executable() -> str | None:
    """Path of Debian's Chromium ($RECEXPLORE_CHROMIUM, else /usr/bin/chromium, else `chromium` on PATH)."""
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


@contextmanager
def chromium_page(width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """A Playwright page in headless Debian Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
            # Without the File System Access API a table's "Download as CSV" becomes a plain
            # download Playwright can catch, instead of a native save dialog.
            page.add_init_script("delete window.showSaveFilePicker")
            yield page
        finally:
            browser.close()


def wait_idle(page: Any, timeout: float = 60.0) -> None:
    """Wait until the current script run has finished (Streamlit's 'Running' widget is gone)."""
    page.wait_for_function(IDLE_JS, timeout=timeout * 1000)


def wait_text(page: Any, text: str, timeout: float = 60.0) -> None:
    """Wait until `text` is visible in the main area."""
    page.locator(MAIN).get_by_text(text, exact=False).first.wait_for(state="visible", timeout=timeout * 1000)


def wait_marker(page: Any, title: str, timeout: float = 60.0) -> None:
    """Wait until page `title` shows its marker element and its script run has ended."""
    wait_text(page, PAGES[title][1], timeout)
    wait_idle(page, timeout)


def open_page(page: Any, title: str, timeout: float = 60.0) -> float:
    """Switch pages through the sidebar menu; seconds until the page's marker shows and its run ends."""
    started = time.perf_counter()
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    wait_marker(page, title, timeout)
    return time.perf_counter() - started


@contextmanager
def on_lesson_page(
    data_dir: Path, models_dir: Path, tmp_path: Path, file: str, height: int = 1600
) -> Iterator[tuple[AppServer, Any]]:
    """The app on `data_dir` and `models_dir`, and a browser on lesson page `file`: opened from Home
    through the menu, its title and its lesson's question shown. When the block ends without error:
    no exception box on the page and no traceback in the server's log."""
    from recexplore.app import course

    require_browser()
    target = course.page(file)
    env = app_env(data_dir, models_dir, tmp_path / "cache")
    with running_app(env, tmp_path / "streamlit.log") as server, chromium_page(height=height) as page:
        page.goto(server.url)
        wait_text(page, PAGES["Home"][1], timeout=120)
        page.locator('[data-testid="stSidebarNav"]').get_by_text(target.title, exact=True).click()
        page.locator(f"{MAIN} h1").filter(has_text=target.title).wait_for(timeout=60_000)
        wait_text(page, course.lesson_of(file).question)
        yield server, page
        assert page_errors(page) == []
        assert "Traceback" not in server.log_tail(20000), server.log_tail()


def page_errors(page: Any) -> list[str]:
    """Texts of any exception boxes Streamlit shows (a traceback reaching the page)."""
    boxes = page.locator('[data-testid="stException"]')
    return [boxes.nth(i).inner_text() for i in range(boxes.count())]


def choose_user(page: Any, user_id: int, timeout: float = 60.0) -> float:
    """Pick `user_id` in Recommend's searchable user box; seconds from the click until their top 10 shows."""
    box = page.locator(USER_BOX)
    box.click()
    box.fill(str(user_id))
    option = page.get_by_role("option", name=str(user_id), exact=True)
    option.wait_for(timeout=timeout * 1000)
    started = time.perf_counter()
    option.click()
    wait_text(page, f"Top 10 for user {user_id}", timeout)
    wait_idle(page, timeout)
    return time.perf_counter() - started


# Async twins of the helpers above, for many pages driven concurrently from one event loop
# (Playwright's sync API cannot share one browser between threads).


async def wait_idle_async(page: Any, timeout: float = 60.0) -> None:
    """`wait_idle` for a playwright.async_api page."""
    await page.wait_for_function(IDLE_JS, timeout=timeout * 1000)


async def wait_text_async(page: Any, text: str, timeout: float = 60.0) -> None:
    """`wait_text` for a playwright.async_api page."""
    await page.locator(MAIN).get_by_text(text, exact=False).first.wait_for(state="visible", timeout=timeout * 1000)


async def choose_user_async(page: Any, user_id: int, timeout: float = 60.0, retype_after: float = 3.0) -> float:
    """`choose_user` for a playwright.async_api page (same steps, same clock), except that the id is
    typed again whenever its option has not shown `retype_after` seconds later. (With Streamlit 1.67,
    filling "127" into the box while user 1 is selected leaves "27"; a second fill gives "127".)"""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    box = page.locator(USER_BOX)
    option = page.get_by_role("option", name=str(user_id), exact=True)
    deadline = time.monotonic() + timeout
    await box.click(timeout=timeout * 1000)
    while True:
        await box.fill(str(user_id), timeout=max(deadline - time.monotonic(), 0.001) * 1000)
        try:
            await option.wait_for(timeout=max(min(retype_after, deadline - time.monotonic()), 0.001) * 1000)
            break
        except PlaywrightTimeout:
            if time.monotonic() >= deadline:
                raise
    started = time.perf_counter()
    await option.click(timeout=timeout * 1000)
    await wait_text_async(page, f"Top 10 for user {user_id}", timeout)
    await wait_idle_async(page, timeout)
    return time.perf_counter() - started


async def open_page_async(page: Any, title: str, timeout: float = 60.0) -> float:
    """`open_page` for a playwright.async_api page."""
    started = time.perf_counter()
    await page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click(timeout=timeout * 1000)
    await wait_text_async(page, PAGES[title][1], timeout)
    await wait_idle_async(page, timeout)
    return time.perf_counter() - started
