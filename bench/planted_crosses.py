"""Planted crosses: the keras-rs cross network against the DNN control on a generated table whose
target depends on known feature pairs (the Planted crosses page's run, with its defaults).

Usage:
    python bench/planted_crosses.py [--seeds 0,1,2] [--pairs 0-1,2-3] [--strength 1] [--noise 0.1]
        [--rows 20000] [--json PATH]

Per seed (the table, the first-order weights, the noise, the split and the initial weights all follow
it): each contender's test RMSE on the held-out fifth and its parameters, the noise floor (the true
target's test RMSE), and whether the cross layer's strongest pairs (as many as planted) are the
planted ones. Prints a markdown table: mean test RMSE over the seeds, and its range.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recexplore.data.planted import PlantedCrosses  # noqa: E402
from recexplore.serving.planted_crosses import top_pairs  # noqa: E402
from recexplore.training.planted_crosses import run_planted  # noqa: E402


def _pairs(text: str) -> tuple[tuple[int, int], ...]:
    """'0-1,2-3' -> ((0, 1), (2, 3))."""
    return tuple((int(a), int(b)) for a, b in (p.split("-") for p in text.split(",")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--pairs", default="0-1,2-3")
    parser.add_argument("--strength", type=float, default=PlantedCrosses().strength)
    parser.add_argument("--noise", type=float, default=PlantedCrosses().noise)
    parser.add_argument("--rows", type=int, default=PlantedCrosses().rows)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    runs = []
    for seed in (int(s) for s in args.seeds.split(",")):
        spec = PlantedCrosses(_pairs(args.pairs), strength=args.strength, noise=args.noise, rows=args.rows, seed=seed)
        result = run_planted(spec)
        runs.append(
            {
                "seed": seed,
                "floor": result.floor,
                "found": sorted(top_pairs(result)) == list(spec.pairs),
                "seconds": result.seconds,
                "models": [
                    {"name": m.name, "kind": m.kind, "params": m.params, "rmse": m.rmse} for m in result.measured
                ],
            }
        )
        print(f"seed {seed}: floor {result.floor:.4f}, planted pairs found: {runs[-1]['found']}", file=sys.stderr)
    print("| model | parameters | test RMSE (mean) | range over seeds |")
    print("|---|---:|---:|---|")
    for k, first in enumerate(runs[0]["models"]):
        values = np.array([r["models"][k]["rmse"] for r in runs])
        print(
            f"| {first['name']} | {first['params']:,} | {values.mean():.4f} | {values.min():.4f}-{values.max():.4f} |"
        )
    floors = np.array([r["floor"] for r in runs])
    print(f"| noise floor (the true target) | | {floors.mean():.4f} | {floors.min():.4f}-{floors.max():.4f} |")
    print(f"\nplanted pairs strongest in {sum(r['found'] for r in runs)} of {len(runs)} runs")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
