"""Next-movie models on the time-ordered leave-last-out split, 5 seeds: both presets, their four
peers (popularity, transitions, EASE on the history, the 1-layer two-tower preset), mean and spread.

Usage:
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/sequential_bench.py [--seeds 1,2,3,4,5]

The split is the same for every seed (time-ordered); a seed changes the models' initialisation
and batch order. Popularity, transitions and EASE have no seed (one value). The two-tower preset
trains on the same training part and is scored on the same targets (its hit rate over one
target per user is the next-movie hit rate). Prints a Markdown table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KEYS = ("next_hit_rate_at_10", "next_hit_rate_at_100", "next_ndcg_at_10")
TOWER_KEYS = dict(zip(KEYS, ("hit_rate_at_10", "hit_rate_at_100", "ndcg_at_10"), strict=True))


def main() -> int:
    from recexplore.data.loading import load_movielens
    from recexplore.data.splits import LAST_OUT, make_split
    from recexplore.families import family
    from recexplore.training.pipeline import run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3,4,5")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    data = load_movielens(None)
    split = make_split(data, LAST_OUT)
    rows: dict[str, list[dict[str, float]]] = {"sasrec": [], "gru": [], "two-tower 1-layer": []}
    peers: dict[str, float] = {}
    for seed in seeds:
        for preset in ("sasrec", "gru"):
            started = time.perf_counter()
            result = run(
                "sequential", family("sequential").make_config(preset), data=data, split=split, seed=seed
            ).result
            rows[preset].append({**{k: result.metrics[k] for k in KEYS}, "seconds": time.perf_counter() - started})
            peers = {k: v for k, v in result.metrics.items() if k.startswith(("popularity_", "transition_", "ease_"))}
            print(f"seed {seed} {preset}: " + " ".join(f"{k} {result.metrics[k]:.4f}" for k in KEYS), flush=True)
        towers = run(
            "towers", family("towers").make_config("1-layer"), data=data, split=split, seed=seed, peers=False
        ).result
        rows["two-tower 1-layer"].append({k: towers.metrics[v] for k, v in TOWER_KEYS.items()})
        print(f"seed {seed} two-tower: {towers.metrics['hit_rate_at_10']:.4f}", flush=True)
    print("| model | next HR@10 | next HR@100 | next NDCG@10 |")
    print("|---|---|---|---|")
    summary: dict[str, dict[str, list[float]]] = {}
    for name, runs in rows.items():
        values = {k: [r[k] for r in runs] for k in KEYS}
        summary[name] = values
        cells = [f"{np.mean(v):.4f} ± {np.std(v, ddof=1):.4f}" for v in values.values()]
        print(f"| {name} ({len(runs)} seeds) | " + " | ".join(cells) + " |")
    for prefix, name in (
        ("ease_", "EASE on the history"),
        ("transition_", "transitions"),
        ("popularity_", "popularity"),
    ):
        print(f"| {name} | " + " | ".join(f"{peers[prefix + k]:.4f}" for k in KEYS) + " |")
    print(json.dumps({"runs": summary, "peers": peers, "seeds": seeds}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
