"""`compare-multitask`: the multi-task family across retrieval weights, beside the rating-only DLRM
and the retrieval-only 1-layer towers, trained as concurrent jobs on Ray."""

from __future__ import annotations

import argparse
import dataclasses
import time
from typing import Any

from recexplore.cli.compare_commands import _train_on_engine
from recexplore.cli.inputs import config_for, load_data
from recexplore.cli.output import emit
from recexplore.config.metrics import label
from recexplore.families import family

REFERENCES = (("dlrm", None), ("towers", "1-layer"))  # (family, preset) of the two reference points


def cmd_compare_multitask(args: argparse.Namespace) -> int:
    """Train the multi-task family at every `--weights` and the two references on one split, all at
    once where there are cores, and print the trade-off: RMSE against hit-rate@10, and what the
    balanced weight gives up on each side."""
    from recexplore.evaluation.multitask import trade_off
    from recexplore.training.request import TrainRequest

    start = time.perf_counter()
    data = load_data(args)
    multitask = family("multitask")
    requests = [
        TrainRequest(
            "multitask",
            dataclasses.replace(config_for(multitask, args, ratings=len(data.ratings)), retrieval_weight=w),
            args.split,
            args.seed,
            label=f"multitask {w:g}",
        )
        for w in args.weights
    ]
    for kind, preset in REFERENCES:
        fam = family(kind)
        config = config_for(fam, args, preset, len(data.ratings))
        requests.append(TrainRequest(kind, config, args.split, args.seed, label=kind, preset=preset))
    jobs, _ = _train_on_engine(requests, data)
    results = [j.result for j in jobs]
    points = [(w, r.metrics) for w, r in zip(args.weights, results, strict=False)]
    view = trade_off(points, results[-2].metrics, results[-1].metrics)
    payload: dict[str, Any] = {
        **view,
        "split": jobs[0].result.meta["split"],
        "device": jobs[0].result.device,
        "wall_seconds": round(time.perf_counter() - start, 3),
    }
    lines = [
        f"weight {p['weight']:g}: RMSE {p['test_rmse']:.4f}, hit-rate@10 {p['hit_rate_at_10']:.4f}"
        for p in view["points"]
    ]
    lines += [
        f"{name}: " + ", ".join(f"{label(key)} {value:.4f}" for key, value in ref.items())
        for name, ref in view["references"].items()
    ]
    emit(payload, args.json, [*lines, view["sentence"]])
    return 0
