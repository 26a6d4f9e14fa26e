"""Does one model serve both tasks? The balanced multi-task model (and any other retrieval weights)
beside the rating-only DLRM and the retrieval-only 1-layer towers, on the same seeded folds.

Usage:
    python -m recexplore folds --data ../shared/data/ml-100k --out /tmp/ml100k-folds   # once
    python bench/multitask_folds.py --data /tmp/ml100k-folds [--weights 0.5] [--folds 5] [--json PATH]
    python bench/multitask_folds.py --smoke   # synthetic data, one epoch: what a quick check runs

Protocol: every model trains on uN.base with its preset (the multi-task family's presets were set on
validation slices only) and is measured on uN.test with the project's metrics (RMSE in stars clipped
to 1-5; hit-rate@10 with the user's training movies excluded). The issue's questions: is the balanced
model's RMSE within 0.02 of the DLRM's, and its hit-rate@10 within 5% of the 1-layer towers'?
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

from recexplore.data.features import Vocabularies  # noqa: E402
from recexplore.data.loading import load_movielens  # noqa: E402
from recexplore.data.splits import fold_names, fold_splits, write_folds  # noqa: E402
from recexplore.families import family  # noqa: E402
from recexplore.training.pipeline import run  # noqa: E402

RMSE_BOUND, HIT_SHARE = 0.02, 0.05  # the bounds
KEYS = ("test_rmse", "hit_rate_at_10", "hit_rate_at_100", "ndcg_at_10")


def _models(weights: list[float], smoke: bool) -> list[tuple[str, str, Any]]:
    """(name, family, config) of every model the bench trains on each fold."""
    tiny = {"epochs": 1, "batch_size": 256, "embedding_dim": 8} if smoke else {}
    multitask = family("multitask")
    found = [(f"multitask {w:g}", "multitask", multitask.make_config(retrieval_weight=w, **tiny)) for w in weights]
    found.append(("DLRM", "dlrm", family("dlrm").make_config(**tiny)))
    found.append(("towers 1-layer", "towers", family("towers").make_config("1-layer", **tiny)))
    return found


def measure(folder: Path, weights: list[float], n_folds: int, seed: int, smoke: bool) -> dict[str, Any]:
    """Every model on every fold: per-fold figures, mean and spread, the verdicts."""
    data = load_movielens(folder)
    vocab = Vocabularies.build(data)
    splits = fold_splits(data, n_folds)
    rows: dict[str, dict[str, list[float]]] = {}
    seconds: dict[str, float] = {}
    for name, kind, config in _models(weights, smoke):
        for split in splits:
            started = time.perf_counter()
            metrics = run(kind, config, data=data, split=split, seed=seed, vocab=vocab, peers=False).metrics
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
            for key in KEYS:
                if key in metrics:
                    rows.setdefault(name, {}).setdefault(key, []).append(float(metrics[key]))
            print(f"{name} {split}: " + ", ".join(f"{k}={metrics[k]:.4f}" for k in KEYS if k in metrics), flush=True)
    summary = {
        name: {
            key: {"mean": float(np.mean(v)), "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0, "folds": v}
            for key, v in figures.items()
        }
        | {"seconds_per_fit": seconds[name] / len(splits)}
        for name, figures in rows.items()
    }
    return {"splits": splits, "models": summary, "verdicts": verdicts(summary, weights)}


def verdicts(summary: dict[str, Any], weights: list[float]) -> list[str]:
    """One sentence per multi-task weight on the issue's two bounds."""
    dlrm = summary["DLRM"]["test_rmse"]["mean"]
    towers = summary["towers 1-layer"]["hit_rate_at_10"]["mean"]
    lines = []
    for w in weights:
        own = summary[f"multitask {w:g}"]
        rmse_gap = own["test_rmse"]["mean"] - dlrm if "test_rmse" in own else float("nan")
        hit_share = own["hit_rate_at_10"]["mean"] / towers - 1.0 if "hit_rate_at_10" in own else float("nan")
        lines.append(
            f"retrieval weight {w:g}: RMSE {rmse_gap:+.4f} against the DLRM "
            f"({'within' if rmse_gap <= RMSE_BOUND else 'outside'} {RMSE_BOUND}), hit-rate@10 {hit_share:+.1%} "
            f"against the 1-layer towers ({'within' if hit_share >= -HIT_SHARE else 'outside'} {HIT_SHARE:.0%})"
        )
    return lines


def table(result: dict[str, Any]) -> str:
    """The Markdown table docs/benchmarks.md shows."""
    lines = ["| model | RMSE | hit-rate@10 | hit-rate@100 | NDCG@10 | s per fit |", "|---|---|---|---|---|---|"]
    for name, figures in result["models"].items():
        cells = [
            f"{figures[k]['mean']:.4f} ± {figures[k]['std']:.4f}" if k in figures else "—"
            for k in ("test_rmse", "hit_rate_at_10", "hit_rate_at_100", "ndcg_at_10")
        ]
        lines.append(f"| {name} | {' | '.join(cells)} | {figures['seconds_per_fit']:.0f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="a folder with folds u1..u5 (`python -m recexplore folds`)")
    parser.add_argument("--weights", default="0.5", help="retrieval weights, comma-separated (default 0.5)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--smoke", action="store_true", help="synthetic data, one epoch, two folds")
    args = parser.parse_args()
    weights = [float(w) for w in args.weights.split(",")]
    if args.smoke:
        from tests.synthetic import write_movielens

        scratch = Path(tempfile.mkdtemp())
        folder = scratch / "folds"
        write_folds(load_movielens(write_movielens(scratch / "ml-100k")), folder, seed=args.seed, k=2)
        args.data, args.folds = folder, 2
    if args.data is None:
        parser.error("--data is required (a folder with folds u1..u5), or --smoke")
    result = measure(args.data, weights, args.folds, args.seed, args.smoke)
    print(table(result))
    print("\n".join(result["verdicts"]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    assert fold_names(args.folds) == result["splits"]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
