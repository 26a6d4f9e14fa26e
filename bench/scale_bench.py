"""How RecExplore's costs grow with the data: each step's seconds and peak memory at 0.1M to 25M
synthetic ratings (MovieLens-25M layout), and the fitted growth exponent of each step.

Usage:
    python bench/scale_bench.py [--sizes 0.1,1,10,25] [--steps load,split,dlrm_epoch,towers] [--work DIR]
                                [--limit-s 2400] [--json OUT]

Each size is a folder written by `python -m recexplore synth --layout ml-25m` with the real
ML-25M's shape: 154 ratings per user on average (users = ratings / 154) and its 62,423-movie
catalogue at every size, so the catalogue-bound steps (full-ranking evaluation, recommend) are
measured at the catalogue size the Recommend page must serve. Every step runs in a fresh child
process; its peak RSS is the child's (os.wait4). A step that does not fit (one line: a
ResourceError or DataError) or runs past --limit-s is recorded as where the machine stops.

Steps:
    load        `python -m recexplore data --dataset ml-25m --data DIR --json`, cold (no parse
                cache): parse, checks, cache write and the random split.
    split       the seeded random 80/20 split of the loaded frames (warm parse cache).
    dlrm_epoch  `training.train('dlrm', epochs=1)`: one epoch and its test RMSE.
    towers      `training.train('towers', epochs=1)` (one epoch, per-epoch hit rates, full-ranking
                evaluation), then the evaluation again on its own (`evaluate`), then the Recommend
                page's index (`recommend_build`) and 300 single-user queries (`recommend_p99_ms`).
    sequential  (not in the default steps) `training.train('sequential', epochs=1)` on the
                leave-last-out split: one epoch of the default next-movie model (SASRec), its
                full-ranking next-movie evaluation and its three peers' (popularity, transitions,
                EASE on the most-rated movies, lambda chosen on validation).

Goals (issue: beyond MovieLens 100K): every exponent <= 1.1; `data --json` peak RSS at 25M < 8 GB;
recommend p99 < 100 ms at 62K movies.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RATINGS_PER_USER = 154  # ML-25M: 25,000,095 ratings / 162,541 users
MOVIES = 62_423  # ML-25M's catalogue
DATASET = "ml-25m"
STEPS = ("load", "split", "dlrm_epoch", "towers")
QUERIES = 300


# ---------------------------------------------------------------- children (one step each)


def child(step: str, folder: Path) -> dict[str, Any]:
    """Run one step in this process and return its figures (seconds, and what else it measures)."""
    from recexplore.data.loading import load_movielens
    from recexplore.data.splits import make_split

    if step == "load":  # the CLI command itself, in this process (so its peak RSS is this child's)
        import contextlib
        import io

        from recexplore.cli.main import main as cli

        captured = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(captured):
            code = cli(["data", "--dataset", DATASET, "--data", str(folder), "--json"])
        if code != 0:
            return {"stopped": f"data --json exited {code}"}
        payload = json.loads(captured.getvalue().strip().splitlines()[-1])
        return {"seconds": time.perf_counter() - started, "data_peak_rss_mb": payload["peak_rss_mb"]}
    data = load_movielens(folder, dataset=DATASET)
    if step == "split":
        started = time.perf_counter()
        make_split(data)
        return {"seconds": time.perf_counter() - started}
    if step == "sequential":
        from recexplore.data.splits import LAST_OUT

        return _train_step(step, data, make_split(data, LAST_OUT))
    return _train_step(step, data, make_split(data))


def _train_step(step: str, data: Any, split: Any) -> dict[str, Any]:
    from recexplore.config.memory import ResourceError
    from recexplore.data.features import Vocabularies
    from recexplore.families import family
    from recexplore.training.pipeline import run

    kind = {"dlrm_epoch": "dlrm", "towers": "towers", "sequential": "sequential"}[step]
    vocab = Vocabularies.build(data)
    config = family(kind).make_config(None, epochs=1)
    started = time.perf_counter()
    try:  # the pipeline refuses, before anything is allocated, what this machine cannot hold
        result = run(kind, config, data=data, split=split, vocab=vocab, peers=False).result
    except ResourceError as err:
        return {"stopped": str(err)}
    out: dict[str, Any] = {"seconds": time.perf_counter() - started}
    if kind == "dlrm":
        return {**out, "test_rmse": result.metrics["test_rmse"]}
    if kind == "sequential":
        return {**out, **{k: result.metrics[k] for k in result.metrics if k.endswith("next_hit_rate_at_10")}}
    out["hit_rate_at_10"] = result.metrics["hit_rate_at_10"]
    return {**out, **_serving(result.model, vocab, data, split)}


def _serving(model: Any, vocab: Any, data: Any, split: Any) -> dict[str, Any]:
    """The evaluation on its own, the Recommend page's index and its single-user query latency."""
    import numpy as np

    from recexplore.data.features import FeatureSpace
    from recexplore.evaluation.scoring import towers_evaluation
    from recexplore.serving.recommend import Recommender

    space = FeatureSpace(vocab, data)
    started = time.perf_counter()
    towers_evaluation(model, space, split)
    evaluate = time.perf_counter() - started
    started = time.perf_counter()
    rec = Recommender.build(model, vocab, data, split, space)
    build = time.perf_counter() - started
    users = np.random.default_rng(0).choice(data.users["user_id"].to_numpy(), size=QUERIES)
    rec.recommend(int(users[0]), 10)  # the first call traces the index
    latencies = []
    for user in users:
        started = time.perf_counter()
        rec.recommend(int(user), 10)
        latencies.append((time.perf_counter() - started) * 1000)
    return {
        "evaluate_seconds": evaluate,
        "recommend_build_seconds": build,
        "recommend_p50_ms": float(np.percentile(latencies, 50)),
        "recommend_p99_ms": float(np.percentile(latencies, 99)),
        "candidates": rec.n_candidates,
    }


# ---------------------------------------------------------------- parent


def run_child(args: list[str], env: dict[str, str], limit_s: float) -> dict[str, Any]:
    """One child process: its last JSON line, its wall seconds and its peak RSS (os.wait4's)."""
    import tempfile
    import threading

    killed = threading.Event()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=err, text=True)

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(limit_s, kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        result: dict[str, Any] = {"wall_seconds": time.perf_counter() - started, "peak_rss_mb": usage.ru_maxrss / 1024}
        if killed.is_set():
            return {**result, "stopped": f"over the {limit_s:.0f} s limit"}
        out.seek(0)
        err.seek(0)
        lines, errors = out.read().strip().splitlines(), err.read().strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {**result, "stopped": (errors or [f"exit {proc.returncode}"])[-1][:300]}
    return {**result, **json.loads(lines[-1])}


def exponent(sizes: list[float], seconds: list[float]) -> float | None:
    """The least-squares slope of log(seconds) on log(ratings): 1.0 is linear growth."""
    points = [(math.log(n), math.log(s)) for n, s in zip(sizes, seconds, strict=True) if s and s > 0]
    if len(points) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else None


ROWS = (  # (row, step, the key of its seconds)
    ("load (data --json, cold)", "load", "seconds"),
    ("split", "split", "seconds"),
    ("DLRM, 1 epoch", "dlrm_epoch", "seconds"),
    ("towers, 1 epoch + evaluation", "towers", "seconds"),
    ("full-ranking evaluation", "towers", "evaluate_seconds"),
    ("recommend index build", "towers", "recommend_build_seconds"),
    ("next movie (SASRec), 1 epoch + evaluation with its 3 peers", "sequential", "seconds"),
)


FIT_FROM = 1.0  # millions of ratings: below, fixed costs (Keras tracing, the EASE teacher) dominate


def table(results: dict[float, dict[str, dict[str, Any]]], fit_from: float = FIT_FROM) -> list[str]:
    """The README table: each row's seconds and peak RSS per size, and its growth exponent fitted
    on the sizes from `fit_from` million ratings up."""
    sizes = sorted(results)
    head = "| step | " + " | ".join(f"{s:g}M ratings" for s in sizes) + f" | exponent ({fit_from:g}M+) |"
    lines = [head, "|" + "---|" * (len(sizes) + 2)]
    for name, step, key in ROWS:
        cells, xs, ys = [], [], []
        for size in sizes:
            found = results[size].get(step, {})
            if key in found:
                cells.append(f"{found[key]:.1f} s, {found.get('peak_rss_mb', 0):,.0f} MB")
                if size >= fit_from:
                    xs.append(size * 1e6)
                    ys.append(found[key])
            else:
                cells.append(f"stops: {found['stopped'][:80]}" if "stopped" in found else "not run")
        slope = exponent(xs, ys)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {'—' if slope is None else f'{slope:.2f}'} |")
    for size in sizes:
        towers = results[size].get("towers", {})
        if "recommend_p99_ms" in towers:
            lines.append(
                f"\nRecommend at {size:g}M ratings ({towers['candidates']:,} candidate movies): "
                f"p50 {towers['recommend_p50_ms']:.1f} ms, p99 {towers['recommend_p99_ms']:.1f} ms "
                f"over {QUERIES} users."
            )
        load = results[size].get("load", {})
        if "data_peak_rss_mb" in load:
            lines.append(f"`data --json` at {size:g}M ratings: peak RSS {load['data_peak_rss_mb']:,.0f} MB.")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.1,1,10,25", help="millions of ratings, comma-separated")
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument(
        "--steps-at",
        action="append",
        default=[],
        metavar="SIZE:STEPS",
        help="other steps at one size, e.g. 25:load,split (repeatable)",
    )
    parser.add_argument("--work", default="/tmp/recexplore-scale", help="where the synthetic folders go")
    parser.add_argument("--limit-s", type=float, default=2400.0, help="a step running longer stops there")
    parser.add_argument("--json", metavar="OUT", help="also write every figure to this JSON file")
    parser.add_argument("--table-from", metavar="JSON", help="print the table of an earlier run's --json file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, Path(args.data))), flush=True)
        return 0
    if args.table_from:
        saved = json.loads(Path(args.table_from).read_text())
        print("\n".join(table({float(k): v for k, v in saved.items()})))
        return 0
    work = Path(args.work)
    results: dict[float, dict[str, dict[str, Any]]] = {}
    steps_at = {float(k): v for k, v in (item.split(":", 1) for item in args.steps_at)}
    for size in (float(s) for s in args.sizes.split(",")):
        n = int(size * 1e6)
        folder = work / f"synth-{size:g}M"
        if not (folder / "ratings.csv").is_file():
            synth = [sys.executable, "-m", "recexplore", "synth", "--layout", DATASET, "--ratings", str(n)]
            synth += ["--users", str(max(n // RATINGS_PER_USER, 1)), "--movies", str(MOVIES), "--out", str(folder)]
            subprocess.run(synth, check=True, capture_output=True)
        env = {**os.environ, "RECEXPLORE_CACHE_DIR": str(work / f"cache-{size:g}M"), "PYTHONUNBUFFERED": "1"}
        results[size] = {}
        for step in steps_at.get(size, args.steps).split(","):
            if step == "load":  # cold: no parsed frames
                for stale in (work / f"cache-{size:g}M" / "parsed").glob("*.npz"):
                    stale.unlink()
            if step == "sequential":  # the first next-movie model on this split: the peer's lambda searched
                for stale in (work / f"cache-{size:g}M" / "baselines").glob("next-ease-lambda-*.json"):
                    stale.unlink()
            command = [sys.executable, __file__, "--child", step, "--data", str(folder)]
            results[size][step] = found = run_child(command, env, args.limit_s)
            print(f"{size:g}M {step}: {json.dumps(found)}", flush=True)
            if args.json:  # after every step: a long run cut short keeps what it measured
                Path(args.json).write_text(json.dumps({str(k): v for k, v in results.items()}, indent=1))
    print("\n".join(table(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
