"""Tune the next-movie presets on the validation targets only (`last-out-val`: each user's
second-to-last movie, trained on what precedes it): never on the test targets.

Usage:
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/sequential_tune.py [--epochs 8]
        [--temperatures 0.05,0.1] [--learning-rates 0.002,0.005] [--encoders sasrec,gru]

Prints, for every setting, the validation next-movie hit rate@10 after each epoch (the per-epoch
curve is measured on the split's targets, here the validation ones), and the best setting and
epoch per encoder.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    from recexplore.data.loading import load_movielens
    from recexplore.data.splits import LAST_OUT_VALIDATION, make_split
    from recexplore.families import family
    from recexplore.training.pipeline import run
    from recexplore.training.trainer import ProgressHooks

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--temperatures", default="0.05,0.1")
    parser.add_argument("--learning-rates", default="0.002,0.005")
    parser.add_argument("--encoders", default="sasrec,gru")
    args = parser.parse_args()
    data = load_movielens(None)
    split = make_split(data, LAST_OUT_VALIDATION)
    best: dict[str, tuple[float, str]] = {}
    grid = itertools.product(
        args.encoders.split(","),
        [float(t) for t in args.temperatures.split(",")],
        [float(r) for r in args.learning_rates.split(",")],
    )
    for encoder, temperature, rate in grid:
        config = family("sequential").make_config(
            encoder, epochs=args.epochs, temperature=temperature, learning_rate=rate
        )
        curve: list[float] = []
        started = time.perf_counter()
        hooks = ProgressHooks(on_epoch=lambda epoch, logs, kept=curve: kept.append(logs["next_hit_rate_at_10"]))
        run("sequential", config, data=data, split=split, hooks=hooks)
        top = max(range(len(curve)), key=curve.__getitem__)
        name = f"{encoder} temperature {temperature:g} lr {rate:g}"
        print(
            f"{name}: " + " ".join(f"{v:.4f}" for v in curve) + f"  ({time.perf_counter() - started:.0f} s)", flush=True
        )
        if curve[top] > best.get(encoder, (-1.0, ""))[0]:
            best[encoder] = (curve[top], f"{name}, {top + 1} epochs")
    for encoder, (value, name) in best.items():
        print(f"best {encoder}: {name}: validation next hit rate@10 {value:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
