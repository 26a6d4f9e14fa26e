"""Next-movie evaluation and its peers: full-ranking hit rate and NDCG of each user's next movie
(the history excluded), for a model and for popularity, item-to-item transitions and EASE."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from recexplore.data.history import histories
from recexplore.data.movielens import cache_dir
from recexplore.data.splits import leave_last_out, time_ordered
from recexplore.evaluation.accuracy import hits_and_sampled
from recexplore.evaluation.ease_report import choose_lambda, keep_in_cache
from recexplore.evaluation.list_metrics import top_k
from recexplore.evaluation.sampled import DEFAULT_SAMPLINGS, Sampling, negatives_for, sampled_report
from recexplore.models.ease import EASE_LAMBDAS, ITEMS_KEY, fit_ease, fitted_columns
from recexplore.models.popularity import popularity_scores
from recexplore.models.score_rows import ScoreRows, ZeroOne
from recexplore.models.transitions import transition_scores

CUTOFFS = (10, 100)
NDCG_K = 10
PEERS = ("popularity_", "transition_", "ease_")
LIST_NAMES = {"": "this model", "popularity_": "popularity", "transition_": "transitions", "ease_": "EASE"}


def next_item_report(
    scores: np.ndarray | ScoreRows,
    seen: ZeroOne,
    users: np.ndarray,
    targets: np.ndarray,
    prefix: str = "",
    samplings: Sequence[Sampling] = (),
) -> dict[str, float]:
    """`next_hit_rate_at_10`, `next_hit_rate_at_100` (share of users whose next movie is in their
    top k, history excluded, ties to the lower index) and `next_ndcg_at_10` (1 / log2(rank + 1)
    of the next movie when it is in the top 10, else 0; one relevant movie, so IDCG = 1), with
    `prefix` before each key; and each of `samplings`' sampled hit rate and NDCG@10 of the next
    movie (`sampled`, from the same score rows). Scores are read a batch of users at a time (`ScoreRows`)."""
    negatives = negatives_for(samplings, seen, users, targets)
    hits, sampled = hits_and_sampled(scores, users, targets, seen, CUTOFFS, negatives)
    lists = top_k(scores, users, seen, NDCG_K)
    found = lists == np.asarray(targets)[:, None]
    rank = np.argmax(found, axis=1)
    ndcg = np.where(found.any(axis=1), 1.0 / np.log2(rank + 2.0), 0.0)
    report = {f"{prefix}next_hit_rate_at_{k}": float(np.mean(hits[k])) for k in CUTOFFS}
    report[f"{prefix}next_ndcg_at_{NDCG_K}"] = float(np.mean(ndcg))
    report.update(sampled_report(negatives, sampled, prefix))
    return report


def split_arrays(space: Any, split: Any) -> dict[str, Any]:
    """A sequential split in the model's index: time-ordered training histories, the training
    matrix (what is never recommended) and each target's user row and movie."""
    ordered = time_ordered(split.train)
    users = space.user_index(ordered["user_id"])
    movies = space.movie_index(ordered["movie_id"])
    target = time_ordered(split.test)
    return {
        "histories": histories(users, movies, space.n_users),
        "seen": space.interaction_csr(split.train),  # sparse: memory grows with the ratings
        "users": space.user_index(target["user_id"]),
        "targets": space.movie_index(target["movie_id"]),
    }


def ease_lambda_for(space: Any, train_rows: Any) -> float:
    """EASE's lambda for next-movie use, chosen by next-movie hit rate@10 on a validation made
    from the training part alone (each user's last training movie, from what precedes it).

    Chosen once per training part on this machine and kept in the cache, keyed by a digest of the
    training rows, the candidate lambdas and the movies fitted: the search solves an items x items
    system per candidate (minutes at 10,000 movies), and every next-movie model trained on the same
    split has the same peers."""
    history, targets = leave_last_out(train_rows)
    matrix = space.interaction_csr(history)
    columns = fitted_columns(matrix)
    key = hashlib.blake2b(digest_size=16)
    for column in ("user_id", "movie_id", "timestamp"):
        key.update(np.ascontiguousarray(train_rows[column].to_numpy(np.int64)).tobytes())
    key.update(repr((EASE_LAMBDAS, space.n_movies, None if columns is None else len(columns))).encode())
    path = cache_dir() / "baselines" / f"next-ease-lambda-{key.hexdigest()}.json"
    try:
        cached = float(json.loads(path.read_text())["lambda"])
        if cached in EASE_LAMBDAS:  # anything else is not a lambda this search could choose
            return cached
    except (OSError, ValueError, KeyError, TypeError):
        pass
    users, movies = space.user_index(targets["user_id"]), space.movie_index(targets["movie_id"])
    fitted = matrix.shape[1] - 1 if columns is None else len(columns)  # the movies the key names
    lam = choose_lambda(matrix, users, movies, cap=fitted).lam
    keep_in_cache(path, {"lambda": lam})
    return lam


def peer_reports(
    space: Any, split: Any, arrays: dict[str, Any] | None = None, samplings: Sequence[Sampling] = DEFAULT_SAMPLINGS
) -> dict[str, float]:
    """The three peers on the split's targets: popularity, transitions and EASE on the history
    (its lambda as `ease_lambda`), full and sampled (`samplings`)."""
    arrays = arrays or split_arrays(space, split)
    seen, users, targets = arrays["seen"], arrays["users"], arrays["targets"]
    lam = ease_lambda_for(space, split.train)
    ease = fit_ease(seen, lam)
    report: dict[str, float] = {}
    for prefix, scores in (
        ("popularity_", popularity_scores(seen)),
        ("transition_", transition_scores(arrays["histories"], space.n_movies, seen)),
        ("ease_", ease.score_rows(seen)),
    ):
        report.update(next_item_report(scores, seen, users, targets, prefix, samplings))
    report["ease_lambda"] = lam
    if ease.capped:
        report[ITEMS_KEY] = ease.items  # EASE on the most-rated movies of a large catalogue
    return report


def peer_verdict(metrics: dict[str, Any]) -> str:
    """One sentence on which list is best at next-movie hit rate@10 among the model and its peers
    (a model's stored metrics), saying so when a peer wins; '' when none is known."""
    key = f"next_hit_rate_at_{CUTOFFS[0]}"
    known = [p for p in LIST_NAMES if p + key in metrics]
    if not known:
        return ""
    best = max(known, key=lambda p: float(metrics[p + key]))
    text = f"On this split {LIST_NAMES[best]} is best at next-movie hit rate@10 ({metrics[best + key]:.3f})"
    if best == "":
        return text + "."
    return text + f", ahead of this model ({metrics[key]:.3f}): a simple peer wins here."
