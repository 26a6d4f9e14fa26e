"""Resident memory over 10 trainings in a row in one server process (target: growth <= 5%).

Usage:
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/memory_bench.py [--kind alternate] [--epochs 1]
        [--runs 10] [--retention app|forget|sessions] [--no-page-thread] [--json PATH]

What it simulates, and why:
  * Trainings go through the app's own path: the process-wide `JobManager` that
    `recexplore.app.training_jobs.job_manager()` builds, jobs submitted the way pages/train.py submits them (a
    `TrainRequest` with the app's default `DLRMConfig()` / `TowerConfig()`, only the epochs
    changed); each trains in a Ray worker process, so this process holds summaries only.
    `--kind alternate` (default) alternates DLRM and two-tower, as a user trying both would.
  * Finished jobs are retained the way the app retains them. No page ever calls
    `JobManager.forget`: a workspace keeps its finished jobs (summaries; models in Ray)
    for as long as the process lives, so the realistic case, `--retention app` (default), is one
    session clicking Train ten times and never forgetting anything; whatever bound the queue
    itself applies is what keeps memory flat. `--retention forget` has the session forget each
    job once it finished (isolates leaks in Keras/TensorFlow from retention);
    `--retention sessions` submits each training from a new session (ten tabs, none forgets).
  * Pages use other Keras models concurrently: unless `--no-page-thread`, a thread prepares the
    pretrained `towers-1-layer` recommender (and `dlrm-default` when present) through
    `recexplore.app.model_cache` exactly as the start-up warm-up does, then keeps serving recommendations and
    DLRM predictions from them while the trainings run, and checks they stay correct. On
    synthetic data a tiny `towers-1-layer` is trained and saved to a temporary registry first.

RSS (psutil) is read after each training finished and after `gc.collect()`; the growth is
RSS after training N vs after training 1. Expect about +-30 MiB between repeated runs (the C
allocator's state; training 1 also precedes the first two-tower training's one-time warm-up). Exit status 1 when it exceeds `--max-growth` (15%),
2 when the page thread failed. Data: RECEXPLORE_DATA_DIR when set, else a synthetic folder
(tests/synthetic.py).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OWNER = "memory-bench-session"


def rss_mb() -> float:
    """Resident set size of this process in MiB, after a full garbage collection."""
    gc.collect()
    return psutil.Process().memory_info().rss / 2**20


class PageThread(threading.Thread):
    """Stands in for page threads: uses pretrained models cached via st.cache_resource while jobs run."""

    def __init__(self) -> None:
        super().__init__(name="memory-bench-page", daemon=True)
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.calls = 0
        self.error: str | None = None

    def run(self) -> None:
        import numpy as np

        from recexplore.app import model_cache, model_choice
        from recexplore.evaluation.scoring import predict_ratings

        try:
            rec = model_cache.recommender("towers-1-layer")
            names = {e.name for e in model_choice.list_models()}
            dlrm = model_cache.ready_model("dlrm-default") if "dlrm-default" in names else None
            users = list(rec.space.vocab.user_ids)[:50]
            expected = {u: rec.recommend(u, 10)["movie_id"].tolist() for u in users[:5]}
            if dlrm is not None:
                rows = dlrm.split.test.head(256)
                stars = predict_ratings(dlrm.model, dlrm.space.dlrm_features(rows))
        except Exception as err:
            self.error = f"page thread could not prepare its models: {type(err).__name__}: {err}"
            self.ready.set()
            return
        self.ready.set()
        rng = np.random.default_rng(0)
        try:
            while not self.stop.is_set():
                user = int(rng.choice(users))
                top = rec.recommend(user, 10)["movie_id"].tolist()
                if user in expected and top != expected[user]:
                    raise AssertionError(f"recommendations for user {user} changed while training ran")
                if dlrm is not None:
                    again = predict_ratings(dlrm.model, dlrm.space.dlrm_features(rows))
                    if not np.allclose(again, stars, atol=1e-5):
                        raise AssertionError("DLRM predictions changed while training ran")
                self.calls += 1
                self.stop.wait(0.2)
        except Exception as err:
            self.error = f"page thread failed: {type(err).__name__}: {err}"


def setup_data(tmp: Path, page_thread: bool) -> str:
    """Point the process at real data, or at a synthetic folder with a tiny pretrained model."""
    real = os.environ.get("RECEXPLORE_DATA_DIR")
    if real:
        return f"real ({real})"
    from tests.synthetic import write_movielens

    folder = write_movielens(tmp / "ml-100k")
    os.environ["RECEXPLORE_DATA_DIR"] = str(folder)
    os.environ["RECEXPLORE_CACHE_DIR"] = str(tmp / "cache")
    os.environ["RECEXPLORE_MODELS_DIR"] = str(tmp / "models")
    if page_thread:
        from recexplore.data.loading import load_movielens
        from recexplore.data.splits import make_split
        from recexplore.models.towers import TowerConfig
        from recexplore.store import registry
        from recexplore.training.pipeline import run

        data = load_movielens(folder)
        config = TowerConfig(layers=(8,), embedding_dim=4, batch_size=128, epochs=1)
        registry.save(run("towers", config, data=data, split=make_split(data), peers=False).result, "towers-1-layer")
    return f"synthetic ({folder})"


def kinds_for(kind: str, runs: int) -> list[str]:
    """The model kind of each training."""
    if kind == "alternate":
        return ["dlrm" if i % 2 == 0 else "towers" for i in range(runs)]
    return [kind] * runs


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Run the trainings and collect the figures (`tmp`: room for synthetic data and models)."""
    source = setup_data(tmp, not args.no_page_thread)
    # Outside `streamlit run` the cached functions warn once per call about the missing runtime.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)

    from recexplore.app import loaded_data, training_jobs
    from recexplore.app.train_forms import job_label
    from recexplore.engine.jobs import DONE, FINISHED
    from recexplore.models.dlrm import DLRMConfig
    from recexplore.models.towers import TowerConfig
    from recexplore.training.request import TrainRequest

    data = loaded_data.load_data()
    queue = training_jobs.job_manager()
    page = None
    if not args.no_page_thread:
        page = PageThread()
        page.start()
        page.ready.wait(300)
        if page.error:
            print(page.error, file=sys.stderr)
    baseline = rss_mb()
    rows: list[dict[str, Any]] = []
    for i, kind in enumerate(kinds_for(args.kind, args.runs), start=1):
        config: Any = DLRMConfig(epochs=args.epochs) if kind == "dlrm" else TowerConfig(epochs=args.epochs)
        owner = f"{OWNER}-{i}" if args.retention == "sessions" else OWNER
        request = TrainRequest(kind, config, "random", 42, label=job_label(kind, config))
        started = time.perf_counter()
        job = queue.submit(owner, request, data)
        if not queue.wait(job, args.timeout):
            raise SystemExit(f"training {i} did not finish within {args.timeout} s")
        seconds = time.perf_counter() - started
        if job.status != DONE:
            raise SystemExit(f"training {i} ended {job.status}: {job.error}")
        if args.retention == "forget":
            queue.forget(job)
        del job, request, config
        rss = rss_mb()
        alive = 0  # models stay in the worker and Ray's object store; none lives in this process
        kept = sum(
            len([j for j in queue.jobs_for(o) if j.status in FINISHED])
            for o in {OWNER, *(f"{OWNER}-{n}" for n in range(1, i + 1))}
        )
        rows.append(
            {
                "training": i,
                "kind": kind,
                "seconds": round(seconds, 2),
                "rss_mb": round(rss, 1),
                "kept_jobs": kept,
                "trained_models_alive": alive,
            }
        )
        print(
            f"{i:>3} {kind:<7} {seconds:7.1f} s  RSS {rss:8.1f} MiB  kept jobs {kept:>2}  "
            f"trained models alive {alive:>2}",
            flush=True,
        )
    page_calls, page_error = None, None
    if page is not None:
        page.stop.set()
        page.join(10)
        page_calls, page_error = page.calls, page.error
    first, last = rows[0]["rss_mb"], rows[-1]["rss_mb"]
    return {
        "data": source,
        "kind": args.kind,
        "epochs": args.epochs,
        "runs": args.runs,
        "retention": args.retention,
        "page_thread": page is not None,
        "page_thread_calls": page_calls,
        "page_thread_error": page_error,
        "rss_before_mb": round(baseline, 1),
        "rss_first_mb": first,
        "rss_last_mb": last,
        "growth_pct": round(100.0 * (last - first) / first, 2),
        "max_growth_pct": args.max_growth,
        "trainings": rows,
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print the table, write JSON, return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=["dlrm", "towers", "alternate"], default="alternate")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--retention", choices=["app", "forget", "sessions"], default="app")
    parser.add_argument("--no-page-thread", action="store_true", help="no concurrent pretrained-model thread")
    parser.add_argument("--max-growth", type=float, default=5.0, help="allowed growth in percent (default 5)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per training")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.runs < 2 or args.epochs < 1:
        parser.error("--runs must be at least 2 and --epochs at least 1")

    tmp = Path(tempfile.mkdtemp(prefix="recexplore-membench-"))
    try:
        result = run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(f"data: {result['data']} · kind {args.kind} · {args.epochs} epoch(s) · retention {args.retention}")
    print("| training | kind | seconds | RSS MiB | kept finished jobs | trained models alive |")
    print("|---:|---|---:|---:|---:|---:|")
    for row in result["trainings"]:
        print(
            f"| {row['training']} | {row['kind']} | {row['seconds']:.1f} | {row['rss_mb']:.1f} | "
            f"{row['kept_jobs']} | {row['trained_models_alive']} |"
        )
    print(
        f"RSS before training: {result['rss_before_mb']:.1f} MiB; after training 1: {result['rss_first_mb']:.1f} "
        f"MiB; after training {args.runs}: {result['rss_last_mb']:.1f} MiB; growth {result['growth_pct']:+.1f}% "
        f"(limit {args.max_growth:.0f}%)"
    )
    if result["page_thread"]:
        print(
            f"page thread: {result['page_thread_calls']} calls, "
            f"{'error: ' + result['page_thread_error'] if result['page_thread_error'] else 'no errors'}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if result["page_thread_error"]:
        return 2
    return 1 if result["growth_pct"] > args.max_growth else 0


if __name__ == "__main__":
    sys.exit(main())
