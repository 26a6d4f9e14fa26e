"""The app in a real browser: `streamlit run` on a free loopback port, driven by Playwright in Debian's Chromium.

One server and one browser page for the module; the tests run in file order and build on each
other (train, save, then use the saved model), like a person working through the app.
With RECEXPLORE_DATA_DIR set (CI) the server uses the real data and a copy of cached_models/;
otherwise synthetic MovieLens files and an empty registry. Screenshots of every page go to
test-artifacts/browser/ (git-ignored).
"""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recexplore.store.workspaces import COOKIE_NAME
from tests.browser_app import (
    MAIN,
    PAGES,
    ROOT,
    app_env,
    choose_user,
    chromium_page,
    page_errors,
    require_browser,
    running_app,
    wait_idle,
    wait_text,
)
from tests.conftest import REAL_DATA_DIR

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts" / "browser"
TRAINED = "browser-towers"


@pytest.fixture(scope="module")
def app_page(tmp_path_factory: pytest.TempPathFactory, ml_folder: Path) -> Iterator[Any]:
    """A browser page on a freshly started app server."""
    require_browser()
    base = tmp_path_factory.mktemp("browser")
    real = bool(REAL_DATA_DIR and Path(REAL_DATA_DIR).is_dir())
    data_dir = Path(REAL_DATA_DIR) if real else ml_folder
    models = base / "models"
    if real:
        shutil.copytree(ROOT / "cached_models", models)
    else:
        models.mkdir()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = app_env(data_dir, models, base / "cache")
    with running_app(env, base / "streamlit.log") as server, chromium_page() as page:
        page.goto(server.url)
        wait_text(page, PAGES["Home"][1], timeout=120)
        wait_idle(page)
        page.real_data = real  # type: ignore[attr-defined]
        page.data_dir = data_dir  # type: ignore[attr-defined]
        page.server = server  # type: ignore[attr-defined]
        yield page
        assert "Traceback" not in server.log_tail(20000), server.log_tail()


def _go(page: Any, title: str) -> None:
    """Open a page from the sidebar and wait for its heading and the end of its run."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    page.locator('[data-testid="stMain"] h1').filter(has_text=title if title != "Home" else "RecExplore").wait_for(
        timeout=60_000
    )
    wait_idle(page)


def _wait(page: Any, locator: Any, timeout: float = 30.0) -> None:
    """Wait for `locator`; on timeout fail with a screenshot, the page's text and the server log."""
    try:
        locator.wait_for(timeout=timeout * 1000)
    except Exception as err:
        _shot(page, "failure")
        raise AssertionError(
            f"{str(err).splitlines()[0]}\n--- page ---\n{_main_text(page)[:1500]}\n"
            f"--- server log ---\n{page.server.log_tail()}"
        ) from None


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _table_csv(page: Any, table: Any) -> list[dict[str, str]]:
    """The rows of a dataframe as a person downloads them (its toolbar's 'Download as CSV')."""
    table.hover()
    with page.expect_download(timeout=30_000) as info:
        table.get_by_role("button", name="Download as CSV").click()
    with open(info.value.path(), encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _main_text(page: Any) -> str:
    return str(page.locator('[data-testid="stMain"]').inner_text())


def test_home_shows_the_data_and_models(app_page: Any) -> None:
    main = app_page.locator('[data-testid="stMain"]')
    ratings = main.locator('[data-testid="stMetric"]').filter(has_text="Ratings")
    expected = "100,000" if app_page.real_data else "1,800"
    _wait(app_page, ratings.get_by_text(expected), 30)
    text = _main_text(app_page)
    assert "Users" in text and "Movies" in text
    sidebar = app_page.locator('[data-testid="stSidebar"]')
    _wait(app_page, sidebar.get_by_text("Keras backend"), 60)  # the device panel after the warm-up
    assert re.search(r"CPU \(\d+ cores\)|GPU", sidebar.inner_text())
    assert page_errors(app_page) == []
    _shot(app_page, "home")


def test_train_one_epoch_watch_progress_and_save(app_page: Any) -> None:
    _go(app_page, "Train")
    main = app_page.locator('[data-testid="stMain"]')
    main.get_by_text("Two-tower (retrieval)").click()
    wait_idle(app_page)
    epochs = main.locator(".st-key-train_epochs_towers input[type=range]")
    epochs.focus()
    epochs.press("Home")  # the slider's minimum: 1 epoch
    wait_idle(app_page)
    assert epochs.input_value() == "1"
    main.get_by_role("button", name="Train", exact=True).click()
    # The live panel: a progress bar while training, then "done" and the save form.
    _wait(app_page, main.get_by_text("Your training jobs"), 30)
    job_line = main.get_by_text(re.compile(r"Job [0-9a-f]{6} · two-tower .* 1 epochs · "))
    _wait(app_page, job_line, 30)
    _wait(app_page, main.locator('[data-testid="stProgress"]').or_(main.get_by_text("· done")).first, 60)
    _wait(app_page, main.get_by_role("heading", name="Save a finished model"), 240)
    assert job_line.inner_text().endswith("· done")
    assert "Training failed" not in _main_text(app_page)
    _shot(app_page, "train-done")
    name_box = main.get_by_label("Name (letters, digits, '-' or '_')")
    name_box.fill(TRAINED)
    name_box.press("Enter")
    wait_idle(app_page)
    main.get_by_role("button", name="Save", exact=True).click()
    _wait(app_page, main.get_by_text(f"Saved as '{TRAINED}'"), 30)
    assert page_errors(app_page) == []


def test_a_bad_model_name_is_refused_in_one_line(app_page: Any) -> None:
    main = app_page.locator('[data-testid="stMain"]')
    name_box = main.get_by_label("Name (letters, digits, '-' or '_')")
    name_box.fill("../escape")
    name_box.press("Enter")
    wait_idle(app_page)
    main.get_by_role("button", name="Save", exact=True).click()
    alert = main.locator('[data-testid="stAlertContentError"]').first
    _wait(app_page, alert, 30)
    assert "\n" not in alert.inner_text().strip()
    assert page_errors(app_page) == []


def _check_recommendations(rows: list[dict[str, str]], data_dir: Path, user_id: int) -> None:
    """Ten ranked movies, best first, none of them rated by the user in the model's training part;
    those rated in its held-out part marked as hits with their stars."""
    from recexplore.data.loading import load_movielens
    from recexplore.data.splits import make_split

    assert [int(r["rank"]) for r in rows] == list(range(1, 11))
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    split = make_split(load_movielens(data_dir, download=False))  # every model here: the seeded random split
    train, test = (part.loc[part["user_id"] == user_id] for part in (split.train, split.test))
    assert len(train) and not set(train["movie_id"].astype(int)) & {int(r["movie_id"]) for r in rows}
    held = {int(m): int(s) for m, s in zip(test["movie_id"], test["user_rating"], strict=True)}
    assert [r["held out"] for r in rows] == [
        "★" * held[int(r["movie_id"])] + " hit" if int(r["movie_id"]) in held else "" for r in rows
    ]
    assert all(r["movie_title"] and r["because you rated"] for r in rows)


def test_recommend_for_a_user_then_another(app_page: Any) -> None:
    _go(app_page, "Recommend")
    main = app_page.locator('[data-testid="stMain"]')
    if not app_page.real_data:  # the trained model is the only one; it is picked by default
        assert main.locator(".st-key-recommend_model input").input_value() == TRAINED
    _wait(app_page, main.get_by_text("Top 10 for user 1"), 60)
    table = main.locator(".st-key-recommend_table, [data-testid='stDataFrame']").first
    _wait(app_page, table, 30)
    first = _table_csv(app_page, table)
    _check_recommendations(first, app_page.data_dir, 1)
    _shot(app_page, "recommend")

    choose_user(app_page, 7)
    second = _table_csv(app_page, main.locator("[data-testid='stDataFrame']").first)
    _check_recommendations(second, app_page.data_dir, 7)
    assert [r["movie_id"] for r in second] != [r["movie_id"] for r in first]
    assert "Age " in _main_text(app_page)
    assert page_errors(app_page) == []


def test_two_lists_side_by_side_for_the_same_user(app_page: Any) -> None:
    """Recommend (user 7 chosen): the popularity baseline's list beside the model's, with the
    overlap, the rank-biased overlap and each list's popularity percentile."""
    main = app_page.locator(MAIN)
    box = main.locator(".st-key-recommend_other input")
    _wait(app_page, box, 30)
    box.click()
    box.fill("popularity")  # the box filters its options as one types
    option = app_page.get_by_role("option", name=re.compile("^popularity"))
    _wait(app_page, option, 30)
    option.click()
    _wait(app_page, main.get_by_text("Popularity percentile: popularity"), 60)
    wait_idle(app_page)
    metrics = main.locator('[data-testid="stMetric"]')
    values = {
        metrics.nth(i).locator("label").inner_text(): metrics.nth(i)
        .locator('[data-testid="stMetricValue"]')
        .inner_text()
        for i in range(metrics.count())
    }
    assert 0 <= float(values["Shared movies (Jaccard)"]) <= 1 and 0 <= float(values["Rank-biased overlap"]) <= 1
    assert float(values["Popularity percentile: popularity"]) > 90  # the most-rated movies, by construction
    tables = main.locator("[data-testid='stDataFrame']")
    popular = _table_csv(app_page, tables.nth(tables.count() - 1))
    assert [int(r["rank"]) for r in popular] == list(range(1, 11)) and all(r["movie_title"] for r in popular)
    _shot(app_page, "recommend-side-by-side")
    assert page_errors(app_page) == []


def test_a_copied_address_opens_the_page_never_the_workspace(app_page: Any) -> None:
    """A second browser profile (its own cookies) opens the first one's address bar on Recommend
    (through its 'Link to this page'), Train and Runs: it gets the page with its chosen user and
    model, and none of the first one's jobs or saved models; the first one's reload keeps them."""
    owner = app_page
    main = owner.locator(MAIN)
    owner.locator('[data-testid="stSidebar"]').get_by_role("button", name="Link to this page").click()
    code = owner.locator('[data-testid="stPopoverBody"] code').first
    _wait(owner, code, 30)
    link = code.inner_text().strip()
    owner.keyboard.press("Escape")
    assert link == owner.url and "user=7" in link and "model=" in link, (link, owner.url)
    assert not re.search(r"[A-Za-z0-9_-]{22,}", link.split("?", 1)[1]), link  # no token in any address
    stranger = owner.context.browser.new_page(viewport={"width": 1400, "height": 1000})  # a new profile
    try:
        stranger.goto(link)
        stranger_main = stranger.locator(MAIN)
        _wait(owner, stranger_main.get_by_text("Top 10 for user 7"), 90)  # the page and its choices came along
        _go(owner, "Train")
        job_done = re.compile(r"Job [0-9a-f]{6} · two-tower .* 1 epochs · done")
        _wait(owner, main.get_by_text(job_done), 60)
        stranger.goto(owner.url)
        _wait(owner, stranger_main.get_by_text("No training jobs in this workspace yet."), 90)
        wait_idle(stranger)
        assert stranger_main.get_by_text(job_done).count() == 0 and TRAINED not in stranger_main.inner_text()
        _shot(stranger, "train-copied-address")
        owner.reload()  # the owner's reload keeps the job and the unsaved-model form
        _wait(owner, main.get_by_text(job_done), 60)
        _wait(owner, main.get_by_role("heading", name="Save a finished model"), 30)

        _go(owner, "Runs")
        _wait(owner, main.get_by_text(TRAINED).first, 60)  # the owner's saved model is picked
        stranger.goto(owner.url)
        wait_text(stranger, "Runs", 90)
        wait_idle(stranger)
        assert TRAINED not in stranger_main.inner_text()
        owner.reload()
        _wait(owner, main.get_by_text(TRAINED).first, 60)
        assert page_errors(owner) == [] and page_errors(stranger) == []
        tokens = [c["value"] for tab in (owner, stranger) for c in tab.context.cookies() if c["name"] == COOKIE_NAME]
        assert len(set(tokens)) == 2  # two browsers, two workspaces
        log = owner.server.log_tail(10**7)
        assert not any(t in log for t in tokens)  # no token in the server's log
    finally:
        stranger.close()


def test_beyond_accuracy_view_and_its_groups_chart(app_page: Any) -> None:
    _go(app_page, "Beyond accuracy")
    main = app_page.locator(MAIN)
    _wait(app_page, main.get_by_text(PAGES["Beyond accuracy"][1]), 120)
    wait_idle(app_page)
    plots = main.locator(".js-plotly-plot")
    _wait(app_page, plots.nth(2), 30)  # plotly draws each chart when it arrives: wait for the third
    assert plots.count() == 3  # accuracy against bias, the long tail, the groups
    _wait(app_page, plots.nth(0).locator("text").filter(has_text="popularity").first, 30)  # a baseline's marker
    assert plots.nth(2).locator("g.trace.bars").count() == 2  # the model's bars beside popularity's
    assert plots.nth(2).locator("g.xtick").filter(has_text="activity < 30").count() == 1
    text = _main_text(app_page)
    assert "ranks best (NDCG@10" in text and "gains most over popularity for" in text
    _shot(app_page, "beyond-accuracy")
    assert page_errors(app_page) == []


def test_next_movie_on_the_pretrained_entry(app_page: Any) -> None:
    """Next movie opens on the pretrained sequential-default: the peers table and its verdict, the
    user's timeline, the next-movie list, the attention over the history and the order ablation."""
    if not app_page.real_data:
        pytest.skip("the pretrained sequential-default needs the real data (RECEXPLORE_DATA_DIR)")
    _go(app_page, "Next movie")
    main = app_page.locator(MAIN)
    _wait(app_page, main.get_by_text(PAGES["Next movie"][1]), 120)
    wait_idle(app_page)
    plots = main.locator(".js-plotly-plot")
    _wait(app_page, plots.nth(1), 30)  # the timeline and the attention bars
    text = _main_text(app_page)
    assert "User 1's timeline" in text and "Top 10 next movies for user 1" in text
    assert "best at next-movie hit rate@10" in text and "Shuffle this user's history" in text
    peers = _table_csv(app_page, main.locator("[data-testid='stDataFrame']").first)
    assert [r["list"] for r in peers] == ["this model", "popularity", "transitions", "EASE"]
    _shot(app_page, "next-movie")
    assert page_errors(app_page) == []


@pytest.mark.parametrize("title", [t for t in PAGES if t not in ("Home", "Train", "Recommend")])
def test_every_other_page_renders(app_page: Any, title: str) -> None:
    _go(app_page, title)
    if app_page.real_data:  # pretrained models: every page shows its full content
        wait_text(app_page, PAGES[title][1])
    assert page_errors(app_page) == []
    _shot(app_page, PAGES[title][0] or "home")


def test_the_cross_matrix_view_of_the_pretrained_dcn(app_page: Any) -> None:
    """Feature interactions opens on the pretrained DLRM with the pretrained DCN beside it: both
    heatmaps, the DCN's strongest pairs and the agreement sentence."""
    if not app_page.real_data:
        pytest.skip("the pretrained dcn-default needs the real data (RECEXPLORE_DATA_DIR)")
    _go(app_page, "Feature interactions")
    main = app_page.locator(MAIN)
    _wait(app_page, main.get_by_text("Strongest pairs (cross weights)"), 90)
    _wait(app_page, main.get_by_text("Do they agree?"), 30)
    _wait(app_page, main.locator(".js-plotly-plot").nth(2), 30)  # two heatmaps and the prediction's parts
    assert "first cross layer" in _main_text(app_page) or main.locator("text.gtitle").count() >= 2
    assert page_errors(app_page) == []
    _shot(app_page, "interactions-cross-matrix")


def test_planted_crosses_outline_the_pairs_the_cross_layer_found(app_page: Any) -> None:
    """Lesson 2's opening needs no MovieLens: the cross networks and the DNN control train on the
    generated table, and the cross layer's strongest pairs are the planted x1 x x2 and x3 x x4."""
    _go(app_page, "Planted crosses")
    main = app_page.locator(MAIN)
    _wait(app_page, main.get_by_text("What the cross layer learned"), 180)
    _wait(app_page, main.locator(".js-plotly-plot").nth(1), 30)  # RMSE against parameters, the matrix
    text = _main_text(app_page)
    assert "Planted: x1 x x2 and x3 x x4." in text and "are the planted ones" in text
    assert page_errors(app_page) == []
    _shot(app_page, "planted-crosses")
