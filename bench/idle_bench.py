"""What idle pages cost the server: N browser sessions sit on one page with nothing running.

Usage:
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/idle_bench.py [--sessions 10] [--page train]
        [--seconds 20]

Starts a fresh `streamlit run` on loopback, opens `--sessions` Chromium sessions (each its own
browser context, so its own Streamlit session and workspace) on the page, waits until every one
has finished drawing, then for `--seconds` reads the server process's CPU time and polls its
health check every 0.5 s. Reports server CPU-seconds per second per session (goal: <= 0.02)
and the health check's p50 / p95 latency. Data: RECEXPLORE_DATA_DIR, else a synthetic folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser_app import (  # noqa: E402 - the repo root must be on the path first
    CHROMIUM_ARGS,
    PAGES,
    app_env,
    browser_available,
    chromium_executable,
    running_app,
    wait_marker,
)
from tests.synthetic import write_movielens  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--page", default="Train", choices=list(PAGES))
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    missing = browser_available()
    if missing:
        raise SystemExit(missing)
    from playwright.sync_api import sync_playwright

    base = Path(tempfile.mkdtemp(prefix="recexplore-idle-"))
    data = os.environ.get("RECEXPLORE_DATA_DIR") or str(write_movielens(base / "ml-100k"))
    shutil.copytree(ROOT / "cached_models", base / "models")
    env = app_env(Path(data), base / "models", base / "cache")
    path = PAGES[args.page][0]
    try:
        with sync_playwright() as playwright, running_app(env, base / "streamlit.log") as server:
            browser = playwright.chromium.launch(
                executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS
            )
            pages = []
            for _ in range(args.sessions):
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                page.goto(f"{server.url}/{path}")
                wait_marker(page, args.page, timeout=300)
                pages.append(page)
            time.sleep(3.0)  # let every session settle
            proc = psutil.Process(server.process.pid)
            before, started = proc.cpu_times(), time.perf_counter()
            health: list[float] = []
            while time.perf_counter() - started < args.seconds:
                t = time.perf_counter()
                with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=30) as reply:
                    reply.read()
                health.append(time.perf_counter() - t)
                time.sleep(0.5)
            after, elapsed = proc.cpu_times(), time.perf_counter() - started
            browser.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    cpu = (after.user + after.system - before.user - before.system) / elapsed
    p95 = statistics.quantiles(health, n=20, method="inclusive")[-1]
    print(
        f"{args.sessions} idle {args.page} sessions for {elapsed:.0f} s: server {cpu:.3f} CPU-s/s in all, "
        f"{cpu / args.sessions:.4f} per session (goal <= 0.02); health check p50 / p95 "
        f"{statistics.median(health) * 1000:.0f} / {p95 * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
