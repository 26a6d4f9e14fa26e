"""Does a server that only serves (training is on Ray now) still need recexplore/keras_guard.py?

Usage:
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/keras_guard_bench.py [--runs 20] [--loads 20]

With the pretrained models loaded as the app holds them, it measures Streamlit's own after-run
cleanup (`keras.backend.clear_session()` plus a full `gc.collect()`), which Streamlit calls
after every page run and every fragment run (the Train page's job panel runs once a second):
  * its CPU and wall time per call;
  * whether models loaded before it still give the same answers after it;
  * whether loading models on one thread (the start-up warm-up, a page) while another thread
    runs the cleanup (another page's run ending) fails or gives wrong weights.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="cleanup calls to time")
    parser.add_argument("--loads", type=int, default=20, help="model loads raced against the cleanup")
    parser.add_argument("--race-seconds", type=float, default=60.0, help="time limit of the race")
    args = parser.parse_args()
    os.environ.setdefault("RECEXPLORE_MODELS_DIR", str(ROOT / "cached_models"))
    from streamlit.runtime.scriptrunner import script_runner

    from recexplore.data.loading import load_movielens
    from recexplore.evaluation.scoring import prepare_loaded
    from recexplore.serving.recommend import Recommender
    from recexplore.store import registry

    stock = script_runner._clean_problem_modules  # this process never installed the guard
    data = load_movielens(os.environ.get("RECEXPLORE_DATA_DIR"))
    towers = registry.load("towers-1-layer")
    space, split = prepare_loaded("towers", towers.model, towers.meta, data, towers.vocab)
    recommender = Recommender.build(towers.model, towers.vocab, data, split, space)
    before = recommender.recommend(1, k=10)

    cpu, wall = [], []
    for _ in range(args.runs):
        c, w = time.process_time(), time.perf_counter()
        stock()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    after = recommender.recommend(1, k=10)
    same = list(before["movie_id"]) == list(after["movie_id"])
    print(
        f"Streamlit's after-run cleanup with the pretrained models loaded ({args.runs} calls): "
        f"CPU {statistics.median(cpu) * 1000:.0f} ms median ({max(cpu) * 1000:.0f} max), "
        f"wall {statistics.median(wall) * 1000:.0f} ms median; recommendations unchanged after it: {same}",
        flush=True,
    )

    reference = [w.copy() for w in registry.load("towers-2-layer").model.get_weights()]
    stop, failures, wrong = threading.Event(), [], 0

    def cleaner() -> None:
        while not stop.is_set():
            stock()

    thread = threading.Thread(target=cleaner, daemon=True)
    thread.start()
    deadline = time.perf_counter() + args.race_seconds
    done = 0
    for _ in range(args.loads):
        if time.perf_counter() > deadline:
            break
        done += 1
        try:
            weights = registry.load("towers-2-layer").model.get_weights()
            wrong += not all(np.array_equal(a, b) for a, b in zip(weights, reference, strict=True))
        except Exception as err:  # what a page would show
            failures.append(str(err).splitlines()[0][:120])
    stop.set()
    thread.join()
    print(
        f"{done} model loads racing the cleanup ({args.race_seconds:g} s at most): {len(failures)} failed, "
        f"{wrong} with wrong weights" + (f"; first failure: {failures[0]}" if failures else "")
    )
    print(
        f"at one page or fragment run per second, the stock cleanup alone costs "
        f"{statistics.median(cpu):.2f} CPU-seconds per second per open page"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
