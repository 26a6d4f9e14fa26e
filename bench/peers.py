"""Our models beside the well-known peers, on the same seeded 5 folds, with the project's own metrics.

Usage:
    pip install -r bench/requirements.txt   # the optional peers (scikit-surprise, cornac)
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/peers.py [--seed 42] [--folds 5] [--json PATH]
    python bench/peers.py --smoke            # synthetic data, tiny settings: what CI runs

Protocol:
  * `recexplore.data.splits.write_folds` writes a seeded k-fold split (uN.base / uN.test) of the data
    into a scratch folder; every model trains on uN.base and is measured on uN.test.
  * Every tuned choice is made on a validation slice of uN.base only (EASE's and item-kNN's
    strength), never on test rows; our models use their fixed presets.
  * Metrics come from `recexplore.evaluation.accuracy`: RMSE in stars (clipped to 1-5); hit-rate@k with
    the user's training movies excluded, micro-averaged over test ratings.
  * Reported: mean ± std over the folds, the per-fold values, and the command behind each row.
A peer whose package is not installed is skipped with one line saying so.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recexplore.data.features import FeatureSpace, Vocabularies  # noqa: E402
from recexplore.data.loading import load_movielens  # noqa: E402
from recexplore.data.movielens import MovieLens  # noqa: E402
from recexplore.data.splits import Split, make_split, validation_slice, write_folds  # noqa: E402
from recexplore.evaluation.accuracy import hits_at, rmse  # noqa: E402
from recexplore.evaluation.ease_report import choose_lambda  # noqa: E402
from recexplore.models.ease import ease_scores  # noqa: E402
from recexplore.models.popularity import popularity_scores  # noqa: E402
from recexplore.models.towers import preset_settings  # noqa: E402

KNN_NEIGHBOURS = (50, 100, 200, 400)
COMMAND = "RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/peers.py"


class Skip(Exception):
    """A peer that cannot run here (its package is missing); the message is one line."""


# ---------------------------------------------------------------- retrieval (hit-rate@10/100)


def _hits(space: FeatureSpace, split: Split, scores: np.ndarray) -> dict[str, float]:
    seen = space.interaction_matrix(split.train).astype(bool)
    hits = hits_at(
        scores, space.user_index(split.test["user_id"]), space.movie_index(split.test["movie_id"]), exclude=seen
    )
    return {"hit@10": float(np.mean(hits[10])), "hit@100": float(np.mean(hits[100]))}


def popularity(space: FeatureSpace, split: Split, seed: int, smoke: bool) -> dict[str, float]:
    return _hits(space, split, popularity_scores(space.interaction_matrix(split.train)))


def ease(space: FeatureSpace, split: Split, seed: int, smoke: bool) -> dict[str, float]:
    fit_part, val = validation_slice(split.train, seed)
    choice = choose_lambda(
        space.interaction_matrix(fit_part), space.user_index(val["user_id"]), space.movie_index(val["movie_id"])
    )
    return {**_hits(space, split, ease_scores(space.interaction_matrix(split.train), choice.lam)), "lambda": choice.lam}


def _knn_scores(matrix: np.ndarray, neighbours: int) -> np.ndarray:
    """Item-kNN: cosine item-item similarity, each item keeping its `neighbours` most similar."""
    x = np.asarray(matrix, dtype=np.float32)
    norms = np.sqrt(x.sum(axis=0))
    sim = (x.T @ x) / np.maximum(np.outer(norms, norms), 1e-9)
    np.fill_diagonal(sim, 0.0)
    if neighbours < sim.shape[0]:
        cut = -np.partition(-sim, neighbours - 1, axis=0)[neighbours - 1]
        sim = np.where(sim >= cut[None, :], sim, 0.0)
    return x @ sim


def item_knn(space: FeatureSpace, split: Split, seed: int, smoke: bool) -> dict[str, float]:
    fit_part, val = validation_slice(split.train, seed)
    fit_matrix = space.interaction_matrix(fit_part)
    val_u, val_m = space.user_index(val["user_id"]), space.movie_index(val["movie_id"])
    seen = fit_matrix.astype(bool)
    score_of = {
        k: float(np.mean(hits_at(_knn_scores(fit_matrix, k), val_u, val_m, exclude=seen, ks=(10,))[10]))
        for k in KNN_NEIGHBOURS
    }
    best = max(score_of, key=score_of.get)
    return {**_hits(space, split, _knn_scores(space.interaction_matrix(split.train), best)), "neighbours": best}


def bpr(space: FeatureSpace, split: Split, seed: int, smoke: bool) -> dict[str, float]:
    try:
        import cornac
    except ImportError:
        raise Skip("cornac is not installed (pip install -r bench/requirements.txt)") from None
    triples = list(
        zip(
            split.train["user_id"].astype(str),
            split.train["movie_id"].astype(str),
            np.ones(len(split.train)),
            strict=True,
        )
    )
    dataset = cornac.data.Dataset.from_uir(triples, seed=seed)
    model = cornac.models.BPR(
        k=64, max_iter=5 if smoke else 200, learning_rate=0.01, lambda_reg=0.01, seed=seed, verbose=False
    )
    model.fit(dataset)
    scores = np.full((space.n_users, space.n_movies), -np.inf, dtype=np.float32)
    items = np.array([space.movie_index([int(i)])[0] for i in dataset.iid_map], dtype=np.int64)
    inner_items = np.array(list(dataset.iid_map.values()), dtype=np.int64)
    for raw_user, inner_user in dataset.uid_map.items():
        row = space.user_index([int(raw_user)])[0]
        scores[row, items] = model.score(inner_user)[inner_items]
    return _hits(space, split, scores)


# ---------------------------------------------------------------- ratings (RMSE)


def global_mean(space: FeatureSpace, split: Split, seed: int, smoke: bool) -> dict[str, float]:
    mean = float(split.train["user_rating"].mean())
    return {"rmse": rmse(split.test["user_rating"], np.full(len(split.test), mean))}


def _surprise(algo_of: Callable[[Any], Any], split: Split) -> dict[str, float]:
    try:
        import surprise
    except ImportError:
        raise Skip("scikit-surprise is not installed (pip install -r bench/requirements.txt)") from None
    reader = surprise.Reader(rating_scale=(1, 5))
    frame = split.train[["user_id", "movie_id", "user_rating"]]
    trainset = surprise.Dataset.load_from_df(frame, reader).build_full_trainset()
    algo = algo_of(surprise)
    algo.fit(trainset)
    predictions = [algo.predict(u, m).est for u, m in zip(split.test["user_id"], split.test["movie_id"], strict=True)]
    return {"rmse": rmse(split.test["user_rating"], np.clip(predictions, 1, 5))}


def svdpp(space: FeatureSpace, split: Split, seed: int, smoke: bool) -> dict[str, float]:
    return _surprise(
        lambda s: s.SVDpp(
            n_factors=20, n_epochs=2 if smoke else 30, lr_all=0.007, reg_all=0.05, random_state=seed, cache_ratings=True
        ),
        split,
    )


def knn_baseline(space: FeatureSpace, split: Split, seed: int, smoke: bool) -> dict[str, float]:
    options = {"name": "pearson_baseline", "user_based": False}
    return _surprise(lambda s: s.KNNBaseline(sim_options=options, verbose=False), split)


# ---------------------------------------------------------------- ours


def _ours(kind: str, preset: str | None, data: MovieLens, split: Split, seed: int, smoke: bool) -> dict[str, float]:
    from recexplore.models.dlrm import DLRMConfig
    from recexplore.models.towers import TowerConfig
    from recexplore.training.pipeline import run

    if kind == "dlrm":
        config = DLRMConfig(epochs=1, embedding_dim=4) if smoke else DLRMConfig()
    else:
        settings = preset_settings(preset or "1-layer")  # the preset as Compare and pretrain train it
        config = (
            TowerConfig(layers=settings["layers"], epochs=1, embedding_dim=4, batch_size=256)
            if smoke
            else TowerConfig(**settings)
        )
    metrics = run(kind, config, data=data, split=split, seed=seed, peers=False).result.metrics
    if kind == "dlrm":
        return {"rmse": metrics["test_rmse"]}
    return {"hit@10": metrics["hit_rate_at_10"], "hit@100": metrics["hit_rate_at_100"]}


RATING_PEERS = {
    "global mean": global_mean,
    "scikit-surprise SVD++ (20 factors, 30 epochs)": svdpp,
    "scikit-surprise KNNBaseline (item, pearson_baseline)": knn_baseline,
}
RETRIEVAL_PEERS = {
    "popularity": popularity,
    "EASE (lambda by validation)": ease,
    "item-kNN (cosine, k by validation)": item_knn,
    "cornac BPR (64 factors, 200 iterations)": bpr,
}
OURS = {
    "RecExplore DLRM (default preset)": ("dlrm", None),
    "RecExplore towers 1-layer": ("towers", "1-layer"),
    "RecExplore towers 2-layer": ("towers", "2-layer"),
    "RecExplore towers 3-layer": ("towers", "3-layer"),
}


def run(data: MovieLens, folds_dir: Path, seed: int, k: int, smoke: bool, only: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every row's per-fold metrics (or the reason it was skipped); with `only`, just the rows
    whose name contains one of those words."""
    names = write_folds(data, folds_dir, seed=seed, k=k)
    copy = load_movielens(folds_dir)
    space = FeatureSpace(Vocabularies.build(copy), copy)
    rows: dict[str, dict[str, Any]] = {}
    models: dict[str, Callable[..., dict[str, float]]] = {**RATING_PEERS, **RETRIEVAL_PEERS}
    models.update(
        {name: (lambda sp, sl, sd, sm, spec=spec: _ours(*spec, copy, sl, sd, sm)) for name, spec in OURS.items()}
    )
    for name, fit in models.items():
        if only and not any(word.lower() in name.lower() for word in only):
            continue
        per_fold, started = [], time.perf_counter()
        try:
            for fold in names:
                per_fold.append(fit(space, make_split(copy, fold), seed, smoke))
                print(f"  {name} {fold}: {per_fold[-1]}", flush=True)
        except Skip as why:
            rows[name] = {"skipped": str(why)}
            print(f"  {name}: skipped: {why}", flush=True)
            continue
        rows[name] = {"folds": per_fold, "seconds": round(time.perf_counter() - started, 1)}
    return {"seed": seed, "folds": names, "rows": rows}


def table(result: dict[str, Any], command: str) -> str:
    """One markdown table: task, model, mean ± std per metric, per-fold values, the command."""
    lines = ["| task | model | metric | mean ± std | per fold | seconds |", "|---|---|---|---|---|---|"]
    for name, row in result["rows"].items():
        if "skipped" in row:
            lines.append(f"| - | {name} | - | skipped: {row['skipped']} | - | - |")
            continue
        for metric in [m for m in ("rmse", "hit@10", "hit@100") if m in row["folds"][0]]:
            values = np.array([fold[metric] for fold in row["folds"]])
            task = "ratings" if metric == "rmse" else "retrieval"
            folds = " / ".join(f"{v:.4f}" for v in values)
            lines.append(
                f"| {task} | {name} | {metric} | {values.mean():.4f} ± {values.std():.4f} | {folds} | "
                f"{row['seconds']} |"
            )
    lines.append(f"\nCommand: `{command}` (seed {result['seed']}, folds {', '.join(result['folds'])})")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="synthetic data and tiny settings (what CI runs)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only", action="append", default=[], help="run only rows whose name contains this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="recexplore-peers-") as scratch:
        if args.smoke:
            from tests.synthetic import write_movielens

            data = load_movielens(write_movielens(Path(scratch) / "synthetic" / "ml-100k"))
            command = "python bench/peers.py --smoke"
        else:
            data = load_movielens(os.environ.get("RECEXPLORE_DATA_DIR"))
            command = COMMAND + (f" --seed {args.seed}" if args.seed != 42 else "")
            command += "".join(f" --only '{word}'" for word in args.only)
        result = run(data, Path(scratch) / "folds", args.seed, args.folds, args.smoke, tuple(args.only))
    print(table(result, command))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=float))


if __name__ == "__main__":
    main()
