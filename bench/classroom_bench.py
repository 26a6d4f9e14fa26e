"""A class trains at once: start-up (cold and warm) and N students' default DLRMs on the engine.

Usage:
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/classroom_bench.py [--students 1,2,4]
        [--kind dlrm] [--epochs N] [--json PATH]

Everything goes through the app's path (`JobManager.submit_many`, a local Ray sized by the
engine settings, one worker process per job). Reported:
  * cold start: from the submit, in a process where Ray has not started, until the job runs
    and until its first epoch ends (Ray start + worker start + Keras import + data transfer);
  * warm start: the same with Ray up and a spare worker ready (the app's steady state);
  * classroom: N students submit at the same moment; wall time until all are done, against
    N times the wall time of one job alone (below 1.0 means the jobs overlapped usefully).
Data: RECEXPLORE_DATA_DIR when set, else a synthetic folder (tests/synthetic.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _timed_job(manager: Any, workspace: str, request: Any, data: Any) -> dict[str, float]:
    """Submit one job; seconds from the submit to running, to the first epoch and to done."""
    from recexplore.engine.jobs import DONE

    clicked = time.perf_counter()
    (job,) = manager.submit_many(workspace, [request], data)
    marks: dict[str, float] = {}
    while job.status != DONE:
        if job.status in ("failed", "cancelled"):
            raise SystemExit(f"job {job.status}: {job.error}")
        now = time.perf_counter() - clicked
        if "running" not in marks and job.status == "running":
            marks["running"] = now
        if "first_epoch" not in marks and job.epoch >= 1:
            marks["first_epoch"] = now
        time.sleep(0.02)
    marks["done"] = time.perf_counter() - clicked
    marks.setdefault("running", marks["done"])
    marks.setdefault("first_epoch", marks["done"])
    marks["train_seconds"] = job.result.train_seconds
    return {k: round(v, 2) for k, v in marks.items()}


def _classroom(manager: Any, students: int, request: Any, data: Any) -> float:
    """Wall seconds until `students` jobs submitted at once (one per workspace) are all done."""
    from recexplore.engine.jobs import DONE

    manager.warm()
    started = time.perf_counter()
    jobs = [manager.submit(f"student-{students}-{i}", request, data) for i in range(students)]
    for job in jobs:
        manager.wait(job, 3600)
        if job.status != DONE:
            raise SystemExit(f"a classroom job ended {job.status}: {job.error}")
    return round(time.perf_counter() - started, 2)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run every measurement and return the figures."""
    from recexplore.data.loading import load_movielens
    from recexplore.engine.cluster import ENGINE, cluster_summary
    from recexplore.engine.jobs import JobManager
    from recexplore.models.dlrm import DLRMConfig
    from recexplore.models.towers import TowerConfig
    from recexplore.training.request import TrainRequest
    from tests.synthetic import write_movielens

    source = args.data or None
    if source is None:
        source = str(write_movielens(Path(tempfile.mkdtemp(prefix="recexplore-classroom-")) / "ml-100k"))
    data = load_movielens(source)
    config: Any = DLRMConfig() if args.kind == "dlrm" else TowerConfig()
    if args.epochs:
        config = dataclasses.replace(config, epochs=args.epochs)
    request = TrainRequest(args.kind, config, "random", 42, label=f"classroom {args.kind}")
    manager = JobManager()
    try:
        cold = _timed_job(manager, "cold", request, data)  # Ray not started yet in this process
        cold["ray_start_s"] = round(ENGINE.start_seconds or 0.0, 2)
        manager.warm()
        warm = _timed_job(manager, "warm", request, data)
        classroom = []
        single = warm["done"]
        for n in args.students:
            wall = _classroom(manager, n, request, data)
            classroom.append(
                {
                    "students": n,
                    "wall_s": wall,
                    "n_times_single_s": round(n * single, 2),
                    "ratio": round(wall / (n * single), 2),
                    "jobs_per_minute": round(60.0 * n / wall, 2),
                }
            )
        cluster = cluster_summary()
    finally:
        manager.shutdown()
    return {
        "data": source,
        "kind": args.kind,
        "epochs": config.epochs,
        "cluster": cluster,
        "job_cpus": manager.settings.job_cpus,
        "cold": cold,
        "warm": warm,
        "classroom": classroom,
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print the tables, optionally write JSON."""
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", default="1,2,4", help="comma-separated class sizes (default 1,2,4)")
    parser.add_argument("--kind", choices=["dlrm", "towers"], default="dlrm")
    parser.add_argument("--epochs", type=int, default=0, help="epochs per job (default: the config's)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    args.students = [int(n) for n in args.students.split(",")]
    args.data = os.environ.get("RECEXPLORE_DATA_DIR")
    result = run(args)
    c = result["cluster"]
    print(
        f"data: {result['data']} · {result['kind']} · {result['epochs']} epochs · Ray: {c['cpus']:g} CPUs, "
        f"{c['gpus']:g} GPUs, {c['nodes']:g} node(s) · {result['job_cpus']:g} CPU per job"
    )
    print("| start | click -> running | click -> first epoch | click -> done | fit seconds |")
    print("|---|---:|---:|---:|---:|")
    for name in ("cold", "warm"):
        r = result[name]
        extra = f" (Ray start {r['ray_start_s']:.1f} s)" if name == "cold" else ""
        print(
            f"| {name}{extra} | {r['running']:.2f} s | {r['first_epoch']:.2f} s | {r['done']:.2f} s | "
            f"{r['train_seconds']:.1f} s |"
        )
    print("| students | wall until all done | N x one job alone | ratio | jobs per minute |")
    print("|---:|---:|---:|---:|---:|")
    for row in result["classroom"]:
        print(
            f"| {row['students']} | {row['wall_s']:.1f} s | {row['n_times_single_s']:.1f} s | {row['ratio']:.2f} | "
            f"{row['jobs_per_minute']:.2f} |"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
