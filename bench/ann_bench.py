"""Approximate retrieval at three catalogue sizes: recall@10 against brute force, latency, build, memory.

Usage:
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/ann_bench.py
        [--model towers-1-layer] [--sizes 0,62423,1000000] [--hnsw-m 16] [--singles 200] [--repeats 5]

Protocol (`recexplore/serving/index_sweep.py`):
  * Movie vectors: a saved two-tower model's candidate vectors (the pretrained `towers-1-layer`, on
    ML-100K's 1,682 movies; size 0 in --sizes) and the users' query vectors (943 users) as queries.
    Without RECEXPLORE_DATA_DIR, a seeded stand-in of the same sizes (`stand_in_towers`).
  * Larger catalogues (ML-25M's 62,423 movies, 1,000,000 movies) are drawn from a Gaussian mixture
    fitted to those vectors (`grown_catalogue`: 16 k-means components, each with its members' mean and
    full covariance, as likely as its share; seeded), searched with the same users' queries.
  * Brute force is keras-rs `BruteForceRetrieval` (what serving uses); its top 10 of every user is the
    exact list. Each setting: recall@10 of its top 10 against that list, averaged over the users; the
    latency of one user's query (p50/p99 over --singles users) and of a batch of 256 users (p50/p99
    over --repeats batches); build seconds; the index's bytes (Faiss's serialised size, brute force:
    its vectors).
  * Settings: IVF (nlist = sqrt(movies)) at nprobe 1, 4, 16, 64; HNSW (M = --hnsw-m, efConstruction
    40) at efSearch 16 ... 256. Results go to bench/results/ann_bench.json and ann_bench.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"

from recexplore.config.retrieval_index import IndexConfig  # noqa: E402
from recexplore.serving.index_sweep import grown_catalogue, measure, stand_in_towers, sweep, table_rows  # noqa: E402


def model_vectors(name: str) -> tuple[np.ndarray, np.ndarray, str]:
    """A saved towers model's movie and user vectors on its own data and split, or a stand-in."""
    folder = os.environ.get("RECEXPLORE_DATA_DIR")
    if not folder:
        movies, users = stand_in_towers(1682, 943)
        return movies, users, "stand-in towers vectors (no RECEXPLORE_DATA_DIR)"
    from recexplore.data.loading import load_movielens
    from recexplore.evaluation.scoring import prepare_loaded
    from recexplore.serving.recommend import Recommender
    from recexplore.store import registry

    loaded = registry.load(name, ROOT / "cached_models")
    data = load_movielens(folder, download=False)
    space, split = prepare_loaded(loaded.kind, loaded.model, loaded.meta, data, loaded.vocab)
    rec = Recommender.build(loaded.model, loaded.vocab, data, split, space)
    return rec.candidate_vectors, rec.query_vectors[1:], f"{name} on {data.source.title}"


def markdown(rows: list[dict[str, object]]) -> str:
    """The rows as a markdown table."""
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(f"{r[h]:,}" if h == "movies" else str(r[h]) for h in head) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="towers-1-layer")
    parser.add_argument("--sizes", default="0,62423,1000000", help="catalogue sizes; 0: the model's own movies")
    parser.add_argument("--hnsw-m", type=int, default=16, help="HNSW's M (32 doubles its build at 1M)")
    parser.add_argument("--singles", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    movies, users, source = model_vectors(args.model)
    configs = sweep(base=IndexConfig(hnsw_m=args.hnsw_m))
    started, points = time.perf_counter(), []
    for size in (int(s) for s in args.sizes.split(",")):
        catalogue = movies if size in (0, len(movies)) else grown_catalogue(movies, size, seed=args.seed)
        points += measure(
            catalogue, users, configs, args.singles, repeats=args.repeats, progress=lambda s: print(s, flush=True)
        )
    rows = table_rows(points)
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {
        "source": source,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "queries": len(users),
        "seconds": round(time.perf_counter() - started, 1),
        "points": [p.as_dict() for p in points],
        "table": rows,
    }
    (RESULTS / "ann_bench.json").write_text(json.dumps(record, indent=1))
    table = markdown(rows)
    (RESULTS / "ann_bench.md").write_text(f"Movie vectors: {source}; {len(users)} users' queries.\n\n{table}")
    print(table)
    print(f"{record['seconds']} s")


if __name__ == "__main__":
    main()
