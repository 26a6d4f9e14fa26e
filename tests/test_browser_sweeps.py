"""The Sweeps page in a real browser: launch a tiny sweep, watch its trials, see the parallel coordinates,
train the best on the whole training part. `streamlit run` on a loopback port with synthetic MovieLens
files and an empty registry, driven by Playwright in Debian's Chromium; screenshots go to
test-artifacts/browser/ (git-ignored).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recexplore.config.metrics import label
from tests.browser_app import (
    MAIN,
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
ARTIFACTS = ROOT / "test-artifacts" / "browser"


@pytest.fixture(scope="module")
def sweeps_page(tmp_path_factory: pytest.TempPathFactory, ml_folder: Path) -> Iterator[Any]:
    """A browser page on the Sweeps page of a freshly started app (synthetic data, no models)."""
    require_browser()
    base = tmp_path_factory.mktemp("browser-sweeps")
    (base / "models").mkdir()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = app_env(ml_folder, base / "models", base / "cache")
    with running_app(env, base / "streamlit.log") as server, chromium_page() as page:
        page.goto(f"{server.url}/sweeps")  # the page's own address (the menu folds its longer sections)
        page.locator(f"{MAIN} h1").filter(has_text="Sweeps").wait_for(timeout=120_000)
        wait_text(page, "Launch the sweep", timeout=120)
        wait_idle(page)
        page.server = server  # type: ignore[attr-defined]
        yield page
        assert "Traceback" not in server.log_tail(50_000), server.log_tail()


def _wait(page: Any, locator: Any, timeout: float) -> None:
    """Wait for `locator`; on timeout fail with a screenshot, the page's text and the server's log."""
    try:
        locator.wait_for(timeout=timeout * 1000)
    except Exception as err:
        page.screenshot(path=str(ARTIFACTS / "sweeps-failure.png"), full_page=True)
        text = page.locator(MAIN).inner_text()[:2000]
        raise AssertionError(
            f"{str(err).splitlines()[0]}\n--- page ---\n{text}\n--- server log ---\n{page.server.log_tail()}"
        ) from None


def _table_csv(page: Any, table: Any) -> list[dict[str, str]]:
    """The rows of a dataframe as a person downloads them (its toolbar's 'Download as CSV')."""
    table.evaluate("element => element.scrollIntoView({block: 'center'})")  # clear of the sticky header
    table.hover()
    with page.expect_download(timeout=30_000) as info:
        # the toolbar sits above the table, where the sticky header would take a pointer click
        table.get_by_role("button", name="Download as CSV").dispatch_event("click")
    with open(info.value.path(), encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _type_number(page: Any, key: str, value: int) -> None:
    """Type `value` into the number input of widget `key` (by key: a family switch's old inputs may linger)."""
    box = page.locator(f"{MAIN} .st-key-{key} input")
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)
    assert box.input_value() == str(value)


def test_launch_watch_the_parallel_coordinates_and_train_the_best(sweeps_page: Any) -> None:
    page, main = sweeps_page, sweeps_page.locator(MAIN)
    main.get_by_text("Two-tower (retrieval)").click()
    _wait(page, main.locator(".st-key-sweeps_epochs_towers input"), 60)
    wait_idle(page)
    _type_number(page, "sweeps_epochs_towers", 1)
    _type_number(page, "sweeps_trials", 2)
    _type_number(page, "sweeps_at_once", 1)
    main.get_by_role("button", name="Launch the sweep").click()

    # watch: the sweep's line and its live table while it runs, then "done"
    line = main.get_by_text(re.compile(r"Sweep [0-9a-f]{6} · sweep of towers \(1-layer\): 2 trials · "))
    _wait(page, line, 60)
    _wait(page, main.get_by_text(re.compile(r"of 2 trials finished")).or_(main.get_by_text("· done")).first, 60)
    _wait(page, main.get_by_text(re.compile(r"Sweep [0-9a-f]{6} · .* · done")), 300)
    assert "The sweep failed" not in main.inner_text()
    page.screenshot(path=str(ARTIFACTS / "sweeps-done.png"), full_page=True)

    # look: the parallel coordinates of the trials, coloured by the validation metric
    _wait(page, main.get_by_text("Parallel coordinates"), 60)
    _wait(page, main.locator(".js-plotly-plot .parcoords").first, 60)
    chart = main.locator('[data-testid="stPlotlyChart"]').filter(has=page.locator(".parcoords")).first
    _wait(page, chart.get_by_text("learning_rate (log10)").first, 30)
    assert chart.get_by_text(f"validation {label('hit_rate_at_10')}").count() >= 1
    assert main.get_by_text(re.compile(r"^Best validation ")).count() == 1
    chart.screenshot(path=str(ARTIFACTS / "sweeps-parallel-coordinates.png"))

    # train the best on the whole training part: a job, its test metrics beside the peers
    main.get_by_role("button", name="Train the best on the whole training part").click()
    job = main.get_by_text(re.compile(r"Job [0-9a-f]{6} · .*\(best of a sweep\) · "))
    _wait(page, job, 60)
    _wait(page, main.get_by_text(re.compile(r"Job [0-9a-f]{6} · .*\(best of a sweep\) · done")), 300)
    _wait(page, main.get_by_role("heading", name="Save a finished model"), 60)
    assert "Training failed" not in main.inner_text()
    expander = main.locator('[data-testid="stExpander"]').filter(has_text="Test metrics and curves").first
    rows = _table_csv(page, expander.locator('[data-testid="stDataFrame"]').first)
    shown = {row["metric"] for row in rows}
    assert {label("hit_rate_at_10"), label("popularity_hit_rate_at_10")} <= shown  # beside the peers
    page.screenshot(path=str(ARTIFACTS / "sweeps-trained.png"), full_page=True)
    assert page_errors(page) == []
