"""The comparison commands: `compare-towers` and `compare-rankers`, their presets trained as jobs on Ray."""

from __future__ import annotations

import argparse
import dataclasses
import time
from typing import Any

from recexplore.cli.inputs import config_for, load_data
from recexplore.cli.output import EngineJobError, UsageError, emit, tower_fold_lines, tower_lines
from recexplore.families import RETRIEVAL, task_presets


def _train_on_engine(requests: list[Any], data: Any, side_work: Any = None) -> tuple[list[Any], Any]:
    """Train `requests` as concurrent jobs on the training engine (a local Ray, or the cluster in
    RECEXPLORE_RAY_ADDRESS); `side_work()` runs while they train. Returns (jobs, its result)."""
    from recexplore.config.memory import ResourceError
    from recexplore.engine.jobs import DONE, JobManager
    from recexplore.engine.settings import EngineSettings

    settings = EngineSettings.from_env()  # the operator's run: the per-workspace job limit does not apply
    manager = JobManager(dataclasses.replace(settings, max_active_jobs=max(settings.max_active_jobs, len(requests))))
    try:
        jobs = manager.submit_many("cli", requests, data)
    except ResourceError as err:
        raise UsageError(f"{err.args[0]}; use a smaller --batch-size or --embedding-dim") from None
    try:
        extra = side_work() if side_work is not None else None
        for job in jobs:
            manager.wait(job, float("inf"))
    finally:
        manager.shutdown()
    failed = [j for j in jobs if j.status != DONE or j.result is None]
    if failed:
        request = failed[0].request
        raise EngineJobError(f"the {request.label} job on {request.split} {failed[0].status}: {failed[0].error}")
    return jobs, extra


def cmd_compare_towers(args: argparse.Namespace) -> int:
    """Train the retrieval presets (the 1/2/3-layer towers) on one split, or on each of `--folds`
    official folds, as concurrent jobs on the training engine, and compare them with popularity and
    EASE on every metric, by user group, and with paired tests (over users, or over folds)."""
    from recexplore.data.splits import fold_splits, make_split
    from recexplore.evaluation.ease_report import cached_report_with_users
    from recexplore.evaluation.tower_comparison import compare, split_baseline
    from recexplore.training.request import TrainRequest

    start = time.perf_counter()
    data = load_data(args)
    splits = fold_splits(data, args.folds) if args.folds else [args.split]
    presets = task_presets(RETRIEVAL)
    order = [p for _, p in presets]
    submit = sorted(presets, key=lambda fp: fp[0].queue_order.index(fp[1]))
    requests = [
        TrainRequest(f.name, config_for(f, args, p, len(data.ratings)), split, args.seed, label=p, preset=p)
        for split in splits
        for f, p in submit
    ]

    def baselines() -> dict[str, Any]:  # EASE on each split, fitted while the towers train
        return {s: cached_report_with_users(data, make_split(data, s, seed=args.seed), args.seed) for s in splits}

    jobs, ease = _train_on_engine(requests, data, baselines)
    jobs.sort(key=lambda j: (splits.index(j.request.split), order.index(j.request.preset)))  # shallowest first
    comparison = compare(
        [(j.request.preset, j.request.split, j.result) for j in jobs],
        {s: found[0] for s, found in ease.items()},
        {s: found[1] for s, found in ease.items()},
        splits,
    )
    layers = {j.request.preset: list(j.result.config.layers) for j in jobs}
    if len(splits) == 1:
        rows = [
            {
                "preset": j.request.preset,
                "layers": layers[j.request.preset],
                **split_baseline(j.result.metrics, "popularity_")[0],
                "params": j.result.params,
                "train_seconds": round(j.result.train_seconds, 3),
            }
            for j in jobs
        ]
        popularity = split_baseline(jobs[0].result.metrics, "popularity_")[1]
        payload: dict[str, Any] = {"presets": rows, "popularity": popularity, "ease": ease[splits[0]][0]}
        lines = tower_lines(rows, popularity, ease[splits[0]][0])
    else:
        rows = [{"preset": r["model"], "layers": layers[r["model"]], **r} for r in comparison["rows"]]
        payload = {"presets": rows, "popularity": comparison["popularity"], "ease": comparison["ease"]}
        lines = tower_fold_lines(comparison)
    payload.update(
        splits=splits,
        slices=comparison["slices"],
        significance=comparison["significance"],
        best=comparison["best"],
        summary=comparison["summary"],
        device=jobs[-1].result.device,
        wall_seconds=round(time.perf_counter() - start, 3),
        split=jobs[-1].result.meta["split"],
    )
    best_tests = [t["sentence"] for t in comparison["significance"] if comparison["best"] in (t["a"], t["b"])]
    emit(payload, args.json, [*lines, comparison["summary"], *best_tests])
    return 0


def cmd_compare_rankers(args: argparse.Namespace) -> int:
    """Train every rating preset of the `--losses` (mse: DLRM, DCN full and low rank, the DNN control;
    a list loss: the listwise ranker with it) on the same split, or on each of `--folds` official
    folds, as concurrent jobs, and say which differences are real (RMSE, and list NDCG@10)."""
    from recexplore.data.splits import fold_splits
    from recexplore.evaluation.ranker_comparison import compare_rows, rankers
    from recexplore.training.request import TrainRequest

    start = time.perf_counter()
    try:
        presets = rankers(args.losses)
    except ValueError as err:
        raise UsageError(f"--losses: {err}") from None
    data = load_data(args)
    splits = fold_splits(data, args.folds) if args.folds else [args.split]
    requests = [
        TrainRequest(f.name, config_for(f, args, p, len(data.ratings)), split, args.seed, label=p, preset=p)
        for split in splits
        for f, p in presets
    ]
    jobs, _ = _train_on_engine(requests, data)
    payload = compare_rows([(j.request.preset, j.request.kind, j.request.split, j.result) for j in jobs], splits)
    payload.update(wall_seconds=round(time.perf_counter() - start, 3), device=jobs[0].result.device)
    emit(payload, args.json, payload["lines"])
    return 0
