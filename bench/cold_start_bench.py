"""Cold start: how well the new-user fold-in does from 5 ratings, against popularity and the learned user.

Usage:
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/cold_start_bench.py
        [--models towers-1-layer,towers-2-layer,towers-3-layer] [--users 300] [--repeats 5] [--json PATH]

Protocol, for each saved two-tower model, on the split it was trained on:
  * Users are drawn at random (seeded, one draw per repeat) among those with at least 10
    training and 1 test rating, and split in two halves: tuning users and evaluation users.
  * Each drawn user "rates" 5 of their own training ratings: one of their low ones (1-2
    stars) when they have any, the other 4 at random. That is all the fold-in sees.
  * Tuning (training part only): on the tuning users the targets are their other training
    ratings; the fold-in's prior strength (`l2`) is chosen from a small grid by hit-rate@10
    there. The product default (`cold_start.FOLD_IN_L2`) is printed beside the choice.
  * Evaluation: on the evaluation users the targets are their test ratings, and every
    method excludes the user's training movies (the registry's hit-rate protocol).
    hit-rate@10 is micro-averaged over test ratings, as everywhere in the app.
  * Methods: popularity (training counts), the user's learned query vector (an upper
    reference: it saw all their training ratings), the old star-weighted mean of candidate
    vectors, and the fold-in at the default `l2`.
  * Dislikes: for evaluation users whose 5 include a low rating, the 20 nearest
    neighbours (cosine of candidate vectors, the model's own geometry) of that movie are
    counted in the top 10 with all 5 ratings and with the low one left out.
Reported: mean and std over the repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recexplore import registry  # noqa: E402
from recexplore.data.loading import load_movielens  # noqa: E402
from recexplore.evaluation.scoring import split_of  # noqa: E402
from recexplore.serving.cold_start import FOLD_IN_L2, fit_query  # noqa: E402
from recexplore.serving.recommend import Recommender  # noqa: E402

GIVEN = 5
NEIGHBOURS = 20
K = 10
L2_GRID = (0.1, 0.3, 1.0, 3.0)


def weighted_mean_query(cand: np.ndarray, rows: np.ndarray, stars: np.ndarray) -> np.ndarray:
    """The fold-in this replaced: stars-centred-on-3 weighted mean of candidate vectors."""
    weights = stars - 3.0
    if not np.any(weights):
        weights = np.ones_like(weights)
    return (weights[:, None] * cand[rows]).sum(axis=0) / np.abs(weights).sum()


def top_k(scores: np.ndarray, exclude: np.ndarray, k: int = K) -> np.ndarray:
    """Candidate rows of the k best scores, `exclude` rows removed."""
    row = scores.astype(np.float64).copy()
    row[exclude] = -np.inf
    return np.argsort(-row, kind="stable")[:k]


def _draw(rng: np.random.Generator, rows: np.ndarray, stars: np.ndarray) -> np.ndarray:
    """Positions of the 5 given ratings: one low one when there is one, the rest at random."""
    low = np.flatnonzero(stars <= 2)
    first = [int(rng.choice(low))] if len(low) else []
    rest = rng.permutation(np.setdiff1d(np.arange(len(rows)), first))[: GIVEN - len(first)]
    return np.array([*first, *rest], dtype=np.int64)


def _user_rows(rec: Recommender, frame: Any) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per user index: candidate rows and stars of the frame's ratings."""
    users = rec.space.user_index(frame["user_id"])
    rows = rec.space.movie_index(frame["movie_id"]) - 1
    stars = frame["user_rating"].to_numpy(np.float64)
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    order = np.argsort(users, kind="stable")
    bounds = np.searchsorted(users[order], np.arange(rec.space.n_users + 1))
    for u in range(rec.space.n_users):
        pick = order[bounds[u] : bounds[u + 1]]
        if len(pick):
            out[u] = (rows[pick], stars[pick])
    return out


def run_model(name: str, data: Any, n_users: int, repeats: int) -> dict[str, Any]:
    """Every figure of the protocol for one saved model, per repeat."""
    loaded = registry.load(name)
    split = split_of(loaded.meta, data)
    rec = Recommender.build(loaded.model, loaded.vocab, data, split)
    train, test = _user_rows(rec, split.train), _user_rows(rec, split.test)
    cand, tau = rec.candidate_vectors, rec.model.temperature
    unit = cand / np.maximum(np.linalg.norm(cand, axis=1, keepdims=True), 1e-12)
    popularity = np.bincount(np.concatenate([r for r, _ in train.values()]), minlength=len(cand)).astype(float)
    eligible = np.array([u for u in train if len(train[u][0]) >= 2 * GIVEN and u in test])
    per_repeat: list[dict[str, float]] = []
    for repeat in range(repeats):
        rng = np.random.default_rng(1000 + repeat)
        drawn = rng.permutation(eligible)[: 2 * n_users]
        tune_users, eval_users = drawn[:n_users], drawn[n_users:]
        given = {int(u): _draw(rng, *train[u]) for u in drawn}

        def fold(u: int, l2: float, drop: int | None = None, given: dict = given) -> np.ndarray:
            keep = given[u] if drop is None else np.delete(given[u], drop)
            rows, stars = train[u][0][keep], train[u][1][keep]
            return cand @ fit_query(cand, tau, rows, stars, rec.prior, l2=l2).query

        # Tuning on the training part only: targets are the tuning users' other training ratings.
        tune_scores = {}
        for l2 in L2_GRID:
            hits = total = 0
            for u in tune_users:
                rows = train[u][0]
                targets = np.delete(rows, given[u])
                top = top_k(fold(int(u), l2), rows[given[u]])
                hits += np.isin(targets, top).sum()
                total += len(targets)
            tune_scores[l2] = hits / total
        chosen = max(tune_scores, key=tune_scores.get)

        counts = {m: 0 for m in ("popularity", "learned", "weighted_mean", "fold_in", "fold_in_tuned")}
        total = 0
        near = {"fold_in_with": 0, "fold_in_without": 0, "weighted_mean_with": 0, "weighted_mean_without": 0}
        with_dislike = 0
        for u in eval_users:
            u = int(u)
            rows, stars = train[u]
            seen, targets = rows, test[u][0]
            g = given[u]
            scores = {
                "popularity": popularity,
                "learned": cand @ rec.query_vectors[u],
                "weighted_mean": cand @ weighted_mean_query(cand, rows[g], stars[g]),
                "fold_in": fold(u, FOLD_IN_L2),
                "fold_in_tuned": fold(u, chosen),
            }
            for method, s in scores.items():
                counts[method] += np.isin(targets, top_k(s, seen)).sum()
            total += len(targets)
            if stars[g[0]] <= 2:  # the first given rating is the low one
                with_dislike += 1
                low = rows[g[0]]
                neighbours = np.argsort(-(unit @ unit[low]))[1 : NEIGHBOURS + 1]
                without_mean = cand @ weighted_mean_query(cand, rows[g[1:]], stars[g[1:]])
                for label, with_s, without_s in (
                    ("fold_in", scores["fold_in"], fold(u, FOLD_IN_L2, drop=0)),
                    ("weighted_mean", scores["weighted_mean"], without_mean),
                ):
                    near[f"{label}_with"] += np.isin(top_k(with_s, rows[g]), neighbours).sum()
                    near[f"{label}_without"] += np.isin(top_k(without_s, rows[g[1:]]), neighbours).sum()
        result = {f"hit_rate_at_10_{m}": c / total for m, c in counts.items()}
        result.update({f"neighbours_in_top10_{k}": v / max(with_dislike, 1) for k, v in near.items()})
        result["users_with_a_dislike"] = with_dislike
        result["tuned_l2"] = chosen
        result.update({f"tune_hit_rate_at_10_l2_{k}": v for k, v in tune_scores.items()})
        per_repeat.append(result)
        print(f"  {name} repeat {repeat}: " + ", ".join(f"{k}={v:.4f}" for k, v in result.items()), flush=True)
    keys = per_repeat[0].keys()
    summary = {
        k: {"mean": float(np.mean([r[k] for r in per_repeat])), "std": float(np.std([r[k] for r in per_repeat]))}
        for k in keys
    }
    return {
        "model": name,
        "split": split.describe(),
        "default_l2": FOLD_IN_L2,
        "summary": summary,
        "repeats": per_repeat,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="towers-1-layer,towers-2-layer,towers-3-layer")
    parser.add_argument("--users", type=int, default=300, help="tuning users and evaluation users per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data = load_movielens(os.environ.get("RECEXPLORE_DATA_DIR"), download=False)
    results = [run_model(name, data, args.users, args.repeats) for name in args.models.split(",")]
    print(
        "\nmodel | fold-in hit@10 | x popularity | popularity | learned user | old weighted mean | "
        "disliked's neighbours in top 10: with / without (old mean: with / without) | tuned l2"
    )
    for r in results:
        s = {k: v["mean"] for k, v in r["summary"].items()}
        sd = {k: v["std"] for k, v in r["summary"].items()}
        print(
            f"{r['model']} | {s['hit_rate_at_10_fold_in']:.4f} ± {sd['hit_rate_at_10_fold_in']:.4f} | "
            f"{s['hit_rate_at_10_fold_in'] / s['hit_rate_at_10_popularity']:.2f}x | "
            f"{s['hit_rate_at_10_popularity']:.4f} | {s['hit_rate_at_10_learned']:.4f} | "
            f"{s['hit_rate_at_10_weighted_mean']:.4f} | "
            f"{s['neighbours_in_top10_fold_in_with']:.2f} / {s['neighbours_in_top10_fold_in_without']:.2f} "
            f"({s['neighbours_in_top10_weighted_mean_with']:.2f} / {s['neighbours_in_top10_weighted_mean_without']:.2f})"
            f" | {[rep['tuned_l2'] for rep in r['repeats']]}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
