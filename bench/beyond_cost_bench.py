"""What the metrics beyond hit rate cost: `train towers --json` as a whole process, this tree
against an earlier commit (paired runs, in turn).

Usage:
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/beyond_cost_bench.py [--before cc0f7c9] [--runs 5]

Checks the earlier commit out into a temporary git worktree, then runs
`python -m recexplore train towers --json` in each tree in turn (before, after, before, ...),
after one unmeasured warm-up each (which also fills the shared parse and EASE caches), and
prints each run's wall seconds, the medians and the median of the pair-by-pair ratios
after/before. Goal (issue: beyond hit rate): the ratio at most 1.10.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "-m", "recexplore", "train", "towers", "--json"]


def run_once(tree: Path, env: dict[str, str]) -> tuple[float, dict]:
    """Wall seconds of one whole `train towers --json` process in `tree`, and its JSON."""
    started = time.perf_counter()
    done = subprocess.run(COMMAND, cwd=tree, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{tree}: exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}")
    return seconds, json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="cc0f7c9", help="the commit to compare against")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not os.environ.get("RECEXPLORE_DATA_DIR"):
        raise SystemExit("set RECEXPLORE_DATA_DIR to an ml-100k folder")
    with tempfile.TemporaryDirectory() as scratch:
        before = Path(scratch) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", str(before), args.before], cwd=ROOT, check=True)
        env = {**os.environ, "RECEXPLORE_CACHE_DIR": str(Path(scratch) / "cache"), "PYTHONUNBUFFERED": "1"}
        try:
            trees = {"before": before, "after": ROOT}
            for tree in trees.values():
                run_once(tree, env)  # warm-up: caches filled, nothing measured
            times: dict[str, list[float]] = {"before": [], "after": []}
            for i in range(args.runs):
                for name, tree in trees.items():
                    seconds, payload = run_once(tree, env)
                    times[name].append(seconds)
                    extra = "ndcg_at_10" in payload
                    print(
                        f"run {i + 1} {name:<6} {seconds:6.2f} s  hit@10 {payload['hit_rate_at_10']:.4f}  ndcg {extra}"
                    )
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT, check=False)
    ratios = [a / b for a, b in zip(times["after"], times["before"], strict=True)]
    for name, values in times.items():
        print(f"{name:<6} median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})")
    print(f"after/before: median ratio {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
