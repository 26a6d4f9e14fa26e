"""Does a list loss beat MSE at ordering held-out lists? The listwise family with each loss (the
same network, the same lists, mse the pointwise control) on five seeded folds.

Usage:
    python bench/listwise_folds.py --data ../shared/data/ml-100k --epochs 2
    python bench/listwise_folds.py --data ../shared/data/ml-100k --validation --set learning_rate=0.003

The folds are `python -m recexplore folds`' (seeded, written to a scratch folder). Each loss trains
on uN.base and is measured on uN.test's held-out lists (list NDCG@10, @5, MRR of the first 5-star
movie, calibrated RMSE); with --validation, on a seeded 10% validation slice of uN.base instead (the
tuning protocol: uN.test is never read). Prints one JSON line: per loss the mean and spread over
the folds, the peers' (bias-only, popularity) means, and a paired t-test verdict per pair on list
NDCG@10 (Holm-corrected over the pairs).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.tune import _value, inner_split  # noqa: E402
from recexplore.data.loading import load_movielens  # noqa: E402
from recexplore.data.splits import fold_splits, make_split, write_folds  # noqa: E402
from recexplore.evaluation.significance import pairwise_verdicts  # noqa: E402
from recexplore.families import family  # noqa: E402
from recexplore.models.listwise import LOSSES  # noqa: E402

KEYS = ("list_ndcg_at_10", "list_ndcg_at_5", "list_mrr", "test_rmse")
PEER_KEYS = ("bias_only_list_ndcg_at_10", "popularity_list_ndcg_at_10")


def measure(data: Any, splits: list[str], losses: list[str], overrides: dict[str, Any], args: Any) -> dict[str, Any]:
    """Every loss on every fold: {loss: [metrics per fold]}."""
    from recexplore.training.pipeline import run

    fam = family("listwise")
    out: dict[str, list[dict[str, float]]] = {loss: [] for loss in losses}
    for name in splits:
        split = make_split(data, name, seed=args.seed)
        if args.validation:
            split = inner_split(split, args.seed)
        for loss in losses:
            config = fam.make_config(loss=loss, **overrides)
            started = time.perf_counter()
            metrics = run("listwise", config, data=data, split=split, seed=args.seed, peers=False).result.metrics
            row = {k: round(float(metrics[k]), 4) for k in (*KEYS, *PEER_KEYS)}
            out[loss].append({**row, "seconds": round(time.perf_counter() - started, 1)})
            print(json.dumps({"split": split.name, "loss": loss, **out[loss][-1]}), file=sys.stderr, flush=True)
    return out


def summary(found: dict[str, list[dict[str, float]]]) -> dict[str, Any]:
    """Mean and spread per loss, the peers' means, and the paired verdicts on list NDCG@10."""
    rows = {}
    for loss, folds in found.items():
        row: dict[str, Any] = {}
        for key in (*KEYS, *PEER_KEYS):
            values = [f[key] for f in folds]
            row[f"mean_{key}"] = round(float(np.mean(values)), 4)
            if key in KEYS:
                row[f"std_{key}"] = round(float(np.std(values, ddof=1)), 4) if len(values) > 1 else None
        row["fold_list_ndcg_at_10"] = [f["list_ndcg_at_10"] for f in folds]
        row["mean_seconds"] = round(float(np.mean([f["seconds"] for f in folds])), 1)
        rows[loss] = row
    ndcg = {loss: [f["list_ndcg_at_10"] for f in folds] for loss, folds in found.items()}
    verdicts = pairwise_verdicts(ndcg, lower_is_better=False, metric="list NDCG@10")
    return {"rows": rows, "verdicts": [v["sentence"] for v in verdicts]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="a MovieLens folder (default: the located one)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--losses", default=",".join(LOSSES))
    parser.add_argument("--epochs", type=int, default=None, help="default: the preset's")
    parser.add_argument("--set", action="append", default=[], help="name=value, changed from the preset")
    parser.add_argument("--validation", action="store_true", help="measure on validation slices of uN.base")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    overrides = {k: _value(v) for k, v in (item.split("=", 1) for item in args.set)}
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    losses = [loss for loss in args.losses.split(",") if loss]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="recexplore-listwise-") as scratch:
        write_folds(load_movielens(args.data), Path(scratch), seed=args.seed)
        data = load_movielens(Path(scratch))
        splits = fold_splits(data, args.folds)
        found = measure(data, splits, losses, overrides, args)
    report = {
        "protocol": "validation slices of uN.base" if args.validation else "uN.test",
        "folds": splits,
        "set": overrides,
        **summary(found),
        "wall_seconds": round(time.perf_counter() - started),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
