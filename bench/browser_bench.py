"""Measure the app's responsiveness in a real browser (Debian Chromium driven by Playwright).

Usage (real data and the pretrained models, as a presenter would start it):
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/browser_bench.py [--rounds 3] [--screenshots DIR]

Each run starts a fresh `streamlit run streamlit_app.py` on a free loopback port with a copy of
cached_models/ and the user's parse cache, then times, from the browser's side:
  - first page interactive: process launch -> Home's last section shown and its run finished;
  - Recommend right after Home (the Keras warm-up may still be running) and on a later visit;
  - every page switch after the first visit of each page (`--rounds` passes over all pages);
  - another user: choosing a different user on Recommend -> that user's top 10 shown.
A page counts as shown when a text that only its finished content has is visible and Streamlit's
'Running' indicator is gone. Results go to stdout and bench/results/browser.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser_app import (  # noqa: E402 - the repo root must be on the path first
    PAGES,
    app_env,
    browser_available,
    choose_user,
    chromium_page,
    open_page,
    page_errors,
    running_app,
    wait_idle,
    wait_marker,
)

RESULTS = ROOT / "bench" / "results"
OTHER_USERS = [7, 42, 105, 311, 500, 650, 777, 880, 901, 943]


def start_training(page: object, url: str, jobs: int) -> None:
    """In a second browser session (another student), start `jobs` long two-tower trainings (50 epochs) on Train."""
    import re

    tab = page.context.browser.new_page()  # type: ignore[attr-defined]  (another student, another session)
    tab.goto(url.rstrip("/") + "/train")
    wait_marker(tab, "Train", timeout=120)
    main = tab.locator('[data-testid="stMain"]')
    main.get_by_text("Two-tower (retrieval)").click()
    wait_idle(tab)
    epochs = main.locator(".st-key-train_epochs_towers input[type=range]")
    epochs.focus()
    epochs.press("End")  # the slider's maximum: the jobs outlast the measurement
    wait_idle(tab)
    lines = main.locator('[data-testid="stMarkdownContainer"]')
    job_lines = lines.filter(has_text=re.compile(r"Job [0-9a-f]{6} · "))
    training = lines.filter(has_text=re.compile(r"Job [0-9a-f]{6} · .* · training"))
    deadline = time.time() + 240
    for submitted in range(1, jobs + 1):
        main.get_by_role("button", name="Train", exact=True).click()
        while job_lines.count() < submitted:  # the panel redraws every second: wait until it lists the job
            if time.time() > deadline:
                raise SystemExit(f"job {submitted} of {jobs} was not listed within 240 s")
            time.sleep(0.2)
    while training.count() < jobs:
        if time.time() > deadline:
            raise SystemExit(f"the {jobs} training jobs did not all start within 240 s")
        time.sleep(0.5)


def measure(
    data_dir: Path, rounds: int, shots: Path | None, training: int = 0, first_visit_delay: float = 0.0
) -> dict[str, object]:
    """One fresh server and browser; every figure in seconds."""
    base = Path(tempfile.mkdtemp(prefix="recexplore-bench-"))
    shutil.copytree(ROOT / "cached_models", base / "models")
    cache = Path(os.environ.get("RECEXPLORE_CACHE_DIR", Path.home() / ".cache" / "recexplore"))
    env = app_env(data_dir, base / "models", cache)
    out: dict[str, object] = {}
    try:
        with chromium_page() as page, running_app(env, base / "streamlit.log") as server:
            out["server healthy"] = time.perf_counter() - server.started
            time.sleep(first_visit_delay)  # >0: a class arriving after the teacher started the server
            visit_start = time.perf_counter()
            page.goto(server.url)
            wait_marker(page, "Home", timeout=120)
            # from the launch (the browser opened at once), or from the visit (a later one)
            out["first page interactive"] = time.perf_counter() - (visit_start if first_visit_delay else server.started)
            out["Recommend right after Home"] = open_page(page, "Recommend", timeout=120)
            visited = {"Home", "Recommend"}
            for title in PAGES:  # first visits: caches fill (not counted as switches)
                if title not in visited:
                    open_page(page, title, timeout=120)
            if training:
                start_training(page, server.url, training)
            switches: dict[str, list[float]] = {title: [] for title in PAGES}
            for _ in range(rounds):
                for title in [*PAGES, "Home"][1:]:
                    switches[title].append(open_page(page, title))
                    if page_errors(page):
                        raise SystemExit(f"{title}: a traceback reached the page: {page_errors(page)[0][:300]}")
            out["switches"] = switches
            open_page(page, "Recommend")
            out["other user"] = [choose_user(page, u) for u in OTHER_USERS]
            if shots is not None:
                take_screenshots(page, shots)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return out


def take_screenshots(page: object, folder: Path) -> None:
    """Viewport screenshots of pages that show models and aggregates (no MovieLens rows) for the README and docs/."""
    folder.mkdir(parents=True, exist_ok=True)
    for title, name in [
        ("Home", "home"),
        ("Compare towers", "compare"),
        ("Feature interactions", "interactions"),
        ("Train", "train"),
    ]:
        open_page(page, title)
        time.sleep(1.0)  # let plotly finish drawing
        page.screenshot(path=str(folder / f"{name}.png"))  # type: ignore[attr-defined]


def report(out: dict[str, object]) -> str:
    """A markdown table of the figures against the issue's targets."""
    switches: dict[str, list[float]] = out["switches"]  # type: ignore[assignment]
    every = [t for times in switches.values() for t in times]
    others: list[float] = out["other user"]  # type: ignore[assignment]
    rows = [
        ("first page interactive after `streamlit run`", f"{out['first page interactive']:.2f} s", "<= 5 s"),
        ("Recommend, navigated to right after Home", f"{out['Recommend right after Home']:.2f} s", "<= 3 s"),
        (
            "Recommend, later visits (median / max)",
            f"{statistics.median(switches['Recommend']):.2f} / {max(switches['Recommend']):.2f} s",
            "<= 3 s",
        ),
        (
            "page switch, all pages (median / p90 / max)",
            f"{statistics.median(every):.2f} / {statistics.quantiles(every, n=10, method='inclusive')[-1]:.2f} / {max(every):.2f} s",
            "<= 1 s",
        ),
        (
            "another user on Recommend (median / max)",
            f"{statistics.median(others):.2f} / {max(others):.2f} s",
            "<= 0.5 s",
        ),
    ]
    lines = ["| measure | value | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    lines += ["", "| page switch to | median | max |", "|---|---|---|"]
    lines += [f"| {t} | {statistics.median(v):.2f} s | {max(v):.2f} s |" for t, v in switches.items() if v]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over all pages for the switch times")
    parser.add_argument("--screenshots", type=Path, default=None, help="also save README screenshots here")
    parser.add_argument(
        "--first-visit-delay",
        type=float,
        default=0.0,
        metavar="S",
        help="open the browser S seconds after the server is healthy (0: at once, the worst case)",
    )
    parser.add_argument(
        "--while-training",
        type=int,
        default=0,
        metavar="N",
        help="also measure the page switches with N training jobs running (another tab starts them)",
    )
    args = parser.parse_args()
    missing = browser_available()
    if missing:
        raise SystemExit(missing)
    data = os.environ.get("RECEXPLORE_DATA_DIR")
    if not data or not Path(data).is_dir():
        raise SystemExit("set RECEXPLORE_DATA_DIR to the ml-100k folder (the pretrained models need the real data)")
    table = report(measure(Path(data), args.rounds, args.screenshots, first_visit_delay=args.first_visit_delay))
    if args.while_training:
        busy = measure(Path(data), args.rounds, None, args.while_training)
        every = [t for times in busy["switches"].values() for t in times]  # type: ignore[union-attr]
        p50, p90 = statistics.median(every), statistics.quantiles(every, n=10, method="inclusive")[-1]
        table += (
            f"\n\nWith {args.while_training} training jobs running: page switch median / p90 "
            f"{p50:.2f} / {p90:.2f} s (goal: within 1.5x of idle)"
        )
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "browser.md").write_text(f"# Browser responsiveness ({time.strftime('%Y-%m-%d %H:%M')})\n\n{table}\n")


if __name__ == "__main__":
    main()
