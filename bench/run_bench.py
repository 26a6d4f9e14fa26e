"""Benchmark RecExplore against the issue's targets and print one table.

Usage (real data through the project's data setting):
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/run_bench.py [--skip-compare]

Each CLI figure comes from a fresh `python -m recexplore ...` process (imports, data,
training and evaluation included), timed from outside; peak memory is that process's
maximum resident set size. The recommend latency is measured in-process on a loaded
pretrained model. Results also go to bench/results/latest.md and latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def run_cli(args: list[str], env: dict[str, str]) -> tuple[dict, float, float]:
    """Run `python -m recexplore ARGS --json`; return (last-line JSON, wall s, peak RSS MB)."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter(); r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "w = time.perf_counter() - t\n"
        "sys.stderr.write(r.stderr)\n"
        "print(r.stdout.strip().splitlines()[-1] if r.stdout.strip() else '{}')\n"
        "print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, r.returncode)\n"
    )
    cmd = [sys.executable, "-c", wrapper, sys.executable, "-m", "recexplore", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    lines = out.stdout.strip().splitlines()
    if len(lines) < 2:
        raise SystemExit(f"benchmark command failed: {' '.join(args)}\n{out.stderr[-2000:]}")
    wall, peak, code = lines[-1].split()
    if int(code) != 0:
        raise SystemExit(f"benchmark command exited {code}: {' '.join(args)}\n{out.stderr[-2000:]}")
    return json.loads(lines[-2]), float(wall), float(peak)


def recommend_latency(env: dict[str, str], model: str, users: int = 300) -> dict[str, float]:
    """p50/p99 in-process latency of Recommender.recommend for one user (model loaded once)."""
    code = (
        "import json, time, numpy as np\n"
        "from recexplore.store import registry\n"
        "from recexplore.data import load_movielens\n"
        "from recexplore.serving.recommend import Recommender\n"
        "from recexplore.evaluation.scoring import prepare_loaded\n"
        f"loaded = registry.load({model!r})\n"
        "data = load_movielens()\n"
        "space, split = prepare_loaded(loaded.kind, loaded.model, loaded.meta, data, loaded.vocab)\n"
        "rec = Recommender.build(loaded.model, loaded.vocab, data, split, space)\n"
        "ids = list(loaded.vocab.user_ids)\n"
        "for u in ids[:20]: rec.recommend(u, 10)\n"
        "times = []\n"
        f"for u in (ids * 2)[:{users}]:\n"
        "    t = time.perf_counter(); rec.recommend(u, 10); times.append((time.perf_counter() - t) * 1000)\n"
        "print(json.dumps({'p50_ms': float(np.percentile(times, 50)), 'p99_ms': float(np.percentile(times, 99)), 'n': len(times)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"latency benchmark failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def warm_load_seconds(env: dict[str, str]) -> float:
    """Seconds for a warm (cached) load_movielens in a fresh process."""
    code = (
        "import time\nfrom recexplore.data import load_movielens\nload_movielens()\n"
        "t = time.perf_counter(); load_movielens(); print(time.perf_counter() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    """Run every benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-compare", action="store_true", help="skip the compare-towers run")
    parser.add_argument("--model", default="towers-1-layer", help="pretrained model for the latency figure")
    args = parser.parse_args()
    env = dict(os.environ)
    if not env.get("RECEXPLORE_DATA_DIR"):
        raise SystemExit("set RECEXPLORE_DATA_DIR to the ml-100k folder (e.g. ../shared/data/ml-100k)")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    rows: list[tuple[str, str, str, str, str]] = []  # metric, value, target, pass, command
    backend = env.get("KERAS_BACKEND", "tensorflow")

    def add(metric: str, value: float, target: str, ok: bool, command: str, fmt: str = "{:.3f}") -> None:
        rows.append((metric, fmt.format(value), target, "yes" if ok else "NO", command))

    warm = warm_load_seconds(env)
    add("warm data load (s)", warm, "< 1", warm < 1.0, "load_movielens() twice, second timed")

    cmd = ["train", "dlrm", "--json"]
    dlrm, wall, peak = run_cli(cmd, env)
    shown = "python -m recexplore " + " ".join(cmd)
    add("DLRM test RMSE", dlrm["test_rmse"], "<= 0.90", dlrm["test_rmse"] <= 0.90, shown, "{:.4f}")
    add("DLRM test MAE", dlrm["test_mae"], "-", True, shown, "{:.4f}")
    add("DLRM process wall (s)", wall, "<= 10", wall <= 10, shown, "{:.1f}")
    add("DLRM fit (s)", dlrm["train_seconds"], "-", True, shown, "{:.1f}")
    add("DLRM peak RSS (MB)", peak, "<= 2048", peak <= 2048, shown, "{:.0f}")

    if not args.skip_compare:
        cmd = ["compare-towers", "--json"]
        comp, wall, peak = run_cli(cmd, env)
        shown = "python -m recexplore " + " ".join(cmd)
        pop = comp["popularity"]
        best = max(comp["presets"], key=lambda r: r["hit_rate_at_100"])
        for r in comp["presets"]:
            ratio100 = r["hit_rate_at_100"] / pop["popularity_hit_rate_at_100"]
            ratio10 = r["hit_rate_at_10"] / pop["popularity_hit_rate_at_10"]
            add(
                f"towers {r['preset']} hit-rate@100",
                r["hit_rate_at_100"],
                ">= 0.55, >= 1.4x pop",
                r["hit_rate_at_100"] >= 0.55 and ratio100 >= 1.4,
                shown,
            )
            add(f"towers {r['preset']} hit-rate@10", r["hit_rate_at_10"], ">= 1.4x pop", ratio10 >= 1.4, shown)
            add(
                f"towers {r['preset']} seed top-100 acc (5-star)",
                r["seed_top100_accuracy"],
                "> 0.41",
                r["seed_top100_accuracy"] > 0.41,
                shown,
            )
            add(f"towers {r['preset']} seed top-100 acc (all)", r["seed_top100_accuracy_all"], "-", True, shown)
            add(f"towers {r['preset']} fit (s)", r["train_seconds"], "-", True, shown, "{:.1f}")
        add("best preset hit-rate@100", best["hit_rate_at_100"], ">= 0.62", best["hit_rate_at_100"] >= 0.62, shown)
        best10 = max(r["hit_rate_at_10"] for r in comp["presets"])
        add("best preset hit-rate@10", best10, ">= 0.17", best10 >= 0.17, shown)
        for key in (
            "popularity_hit_rate_at_10",
            "popularity_hit_rate_at_100",
            "popularity_seed_top100_accuracy",
            "popularity_seed_top100_accuracy_all",
        ):
            add(key.replace("_", " "), pop[key], "-", True, shown)
        add("compare-towers process wall (s)", wall, "<= 40", wall <= 40, shown, "{:.1f}")
        add("compare-towers peak RSS (MB)", peak, "<= 2048", peak <= 2048, shown, "{:.0f}")

    latency = recommend_latency(env, args.model)
    add("recommend p50 (ms)", latency["p50_ms"], "-", True, f"bench/run_bench.py in-process, {args.model}", "{:.2f}")
    add(
        "recommend p99 (ms)",
        latency["p99_ms"],
        "<= 20",
        latency["p99_ms"] <= 20,
        f"bench/run_bench.py in-process, {args.model}",
        "{:.2f}",
    )
    cmd = ["recommend", "--user", "1", "--json", "--model", args.model]
    _, wall, peak = run_cli(cmd, env)
    add("recommend process wall (s)", wall, "-", True, "python -m recexplore " + " ".join(cmd), "{:.1f}")
    add("recommend peak RSS (MB)", peak, "<= 2048", peak <= 2048, "python -m recexplore " + " ".join(cmd), "{:.0f}")

    header = f"Backend: {backend}; device: {dlrm.get('device', '?')}; {time.strftime('%Y-%m-%d %H:%M')}\n\n"
    table = "| metric | value | target | met | command |\n|---|---|---|---|---|\n"
    table += "\n".join(f"| {m} | {v} | {t} | {p} | `{c}` |" for m, v, t, p, c in rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.md").write_text(header + table + "\n", encoding="utf-8")
    (RESULTS / "latest.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(header + table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
