"""Tune on validation slices of the training parts only: never a test row.

Usage:
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/tune.py dlrm --set l2=0.08 --set epochs=8
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/tune.py towers --set layers=32 --folds u1,u2,u3

Protocol (the same as `bench/peers.py`'s folds): `write_folds` writes the seeded 5-fold split;
for each chosen fold, a seeded 10% validation slice is cut out of uN.base, the model trains on
the rest of uN.base and is measured on that slice. uN.test is never read. Prints the default's
and the changed config's mean RMSE or hit-rate@10/@100 over the folds, per fold and overall.
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

from recexplore.config.settings import parse_layers  # noqa: E402
from recexplore.data.loading import load_movielens  # noqa: E402
from recexplore.data.splits import Split, make_split, validation_slice, write_folds  # noqa: E402
from recexplore.families import family, family_names  # noqa: E402


def _value(text: str) -> Any:
    """'0.1' -> 0.1, 'true' -> True, other text as is (layer lists go through parse_layers)."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def inner_split(split: Split, seed: int) -> Split:
    """The fold's training part cut into fit rows and a validation slice (the 'test' here)."""
    fit_rows, val_rows = validation_slice(split.train, seed + 100)
    return Split(f"{split.name}-val", seed, fit_rows, val_rows)


def measure(kind: str, overrides: dict[str, Any], folds: list[str], seed: int, data: Any) -> list[dict[str, float]]:
    """Per-fold validation metrics of the kind's default config with `overrides`."""
    from recexplore.training.pipeline import run

    config = family(kind).config.from_dict({**family(kind).make_config().to_dict(), **overrides})
    out = []
    for fold in folds:
        started = time.perf_counter()
        inner = inner_split(make_split(data, fold), seed)
        metrics = run(kind, config, data=data, split=inner, seed=seed, peers=False).result.metrics
        keys = [k for k in ("test_rmse", "hit_rate_at_10", "hit_rate_at_100") if k in metrics]  # a task's own
        out.append({**{k: round(float(metrics[k]), 4) for k in keys}, "seconds": round(time.perf_counter() - started)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=family_names())
    parser.add_argument("--set", action="append", default=[], help="name=value, changed from the default")
    parser.add_argument("--folds", default="u1,u2,u3")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    overrides = dict(item.split("=", 1) for item in args.set)
    overrides = {k: parse_layers(v, k, True) if "layers" in k else _value(v) for k, v in overrides.items()}
    with tempfile.TemporaryDirectory(prefix="recexplore-tune-") as scratch:
        data = load_movielens()
        write_folds(data, Path(scratch), seed=args.seed)
        data = load_movielens(Path(scratch))
        rows = measure(args.kind, overrides, args.folds.split(","), args.seed, data)
    means = {k: round(float(np.mean([r[k] for r in rows])), 4) for k in rows[0] if k != "seconds"}
    print(json.dumps({"kind": args.kind, "set": overrides, "mean": means, "folds": rows}, default=str))


if __name__ == "__main__":
    main()
