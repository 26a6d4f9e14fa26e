"""Screenshots of the three questions a student should answer from the app alone.

    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/walkthrough.py [--out bench/results/walkthrough]

1. "Is 0.90 RMSE good?": Home's rating table and the Train page's DLRM curve with the
   global-mean and bias-only lines.
2. "What did this model get right for user 42?": Recommend with the held-out hits marked.
3. "How do these two runs differ?": Runs with towers-1-layer and towers-3-layer.
Plus the architecture table and the Movie map (t-SNE, coloured by release year).
The app runs on the real data with the pretrained models (`cached_models/`); the shots are
written under --out (bench/results/ is not committed: they show MovieLens rows).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser_app import (  # noqa: E402
    app_env,
    chromium_page,
    open_page,
    running_app,
    wait_idle,
    wait_marker,
    wait_text,
)

MAIN = '[data-testid="stMain"]'


def _pick(page: object, key: str, option: str) -> None:
    """Choose `option` in the selectbox or multiselect with widget key `key`."""
    box = page.locator(f".st-key-{key} input").first  # type: ignore[attr-defined]
    box.click()
    box.fill(option)
    page.locator('[role="option"]').get_by_text(option, exact=True).first.click()  # type: ignore[attr-defined]
    page.keyboard.press("Escape")  # type: ignore[attr-defined]  # close a multiselect's list
    wait_idle(page)


def _shot(page: object, out: Path, name: str) -> None:
    page.wait_for_timeout(2500)  # type: ignore[attr-defined]  # tables and charts draw after the run ends
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "walkthrough")
    args = parser.parse_args()
    data = os.environ.get("RECEXPLORE_DATA_DIR")
    if not data:
        sys.exit("set RECEXPLORE_DATA_DIR to the MovieLens 100K folder")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as cache:
        env = app_env(Path(data), ROOT / "cached_models", Path(cache))
        with running_app(env, Path(cache) / "server.log") as server, chromium_page(1400, 2000) as page:
            page.goto(server.url)
            wait_marker(page, "Home", 120)
            _shot(page, args.out, "1-home-rating-baselines")
            open_page(page, "Train", 120)
            _pick(page, "train_load_model", "dlrm-default")
            page.locator(MAIN).get_by_text("Architecture: layers").last.click()
            wait_text(page, "DotInteraction")
            _shot(page, args.out, "1-train-dlrm-curve-and-architecture")
            open_page(page, "Recommend", 120)
            _pick(page, "recommend_user", "42")
            wait_text(page, "Top 10 for user 42")
            _shot(page, args.out, "2-recommend-user-42-held-out-hits")
            open_page(page, "Runs", 120)
            _pick(page, "runs_pick", "towers-3-layer")  # beside the default pick: the first two towers
            _shot(page, args.out, "3-runs-towers-1-2-3-layer")
            open_page(page, "Movie map", 120)
            page.locator(".st-key-map_projection").get_by_text("t-SNE").click()
            wait_idle(page, 120)
            _pick(page, "map_colour", "Release year")
            _shot(page, args.out, "4-movie-map-tsne-by-year")


if __name__ == "__main__":
    main()
