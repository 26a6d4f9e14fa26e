"""Next-movie evaluation and its peers: full-ranking hit rate and NDCG of each user's next movie
(the history excluded), for a model and for popularity, item-to-item transitions and EASE."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from recexplore.ease import choose_lambda, ease_scores
from recexplore.evaluation import hits_at, popularity_scores
from recexplore.ranking_metrics import top_k
from recexplore.sequences import histories, leave_last_out, time_ordered

CUTOFFS = (10, 100)
NDCG_K = 10
PEERS = ("popularity_", "transition_", "ease_")
LIST_NAMES = {"": "this model", "popularity_": "popularity", "transition_": "transitions", "ease_": "EASE"}
TRANSITION_TIE_WEIGHT = 1e-3  # popularity's share of a transition score: breaks ties, never a count


def next_item_report(
    scores: np.ndarray, seen: np.ndarray, users: np.ndarray, targets: np.ndarray, prefix: str = ""
) -> dict[str, float]:
    """`next_hit_rate_at_10`, `next_hit_rate_at_100` (share of users whose next movie is in their
    top k, history excluded, ties to the lower index) and `next_ndcg_at_10` (1 / log2(rank + 1)
    of the next movie when it is in the top 10, else 0; one relevant movie, so IDCG = 1), with
    `prefix` before each key."""
    hits = hits_at(scores, users, targets, exclude=seen, ks=CUTOFFS)
    lists = top_k(scores, users, seen, NDCG_K)
    found = lists == np.asarray(targets)[:, None]
    rank = np.argmax(found, axis=1)
    ndcg = np.where(found.any(axis=1), 1.0 / np.log2(rank + 2.0), 0.0)
    report = {f"{prefix}next_hit_rate_at_{k}": float(np.mean(hits[k])) for k in CUTOFFS}
    report[f"{prefix}next_ndcg_at_{NDCG_K}"] = float(np.mean(ndcg))
    return report


def transition_scores(seqs: list[np.ndarray], n_items: int, train_matrix: np.ndarray) -> np.ndarray:
    """(n_users, n_items) 'the movies most often watched right after the user's last movie':
    counts of b right after a over every training history, read at each user's last movie; ties
    (and users without history) fall back to popularity, at TRANSITION_TIE_WEIGHT of one count."""
    counts = np.zeros((n_items, n_items), dtype=np.float32)
    for seq in seqs:
        if len(seq) > 1:
            np.add.at(counts, (seq[:-1], seq[1:]), 1.0)
    popularity = popularity_scores(train_matrix)[0].astype(np.float32)
    tie = TRANSITION_TIE_WEIGHT * popularity / max(float(popularity.max()), 1.0)
    last = np.array([seq[-1] if len(seq) else 0 for seq in seqs], dtype=np.int64)
    scores = counts[last] + tie[None, :]
    scores[last == 0] = tie
    return scores


def split_arrays(space: Any, split: Any) -> dict[str, Any]:
    """A sequential split in the model's index: time-ordered training histories, the training
    matrix (what is never recommended) and each target's user row and movie."""
    ordered = time_ordered(split.train)
    users = space.user_index(ordered["user_id"])
    movies = space.movie_index(ordered["movie_id"])
    target = time_ordered(split.test)
    return {
        "histories": histories(users, movies, space.n_users),
        "seen": space.interaction_matrix(split.train).astype(bool),
        "users": space.user_index(target["user_id"]),
        "targets": space.movie_index(target["movie_id"]),
    }


def ease_lambda_for(space: Any, train_rows: Any) -> float:
    """EASE's lambda for next-movie use, chosen by next-movie hit rate@10 on a validation made
    from the training part alone (each user's last training movie, from what precedes it)."""
    history, targets = leave_last_out(train_rows)
    return choose_lambda(
        space.interaction_csr(history), space.user_index(targets["user_id"]), space.movie_index(targets["movie_id"])
    ).lam


def peer_reports(space: Any, split: Any, arrays: dict[str, Any] | None = None) -> dict[str, float]:
    """The three peers on the split's targets: popularity, transitions and EASE on the history
    (its lambda as `ease_lambda`)."""
    arrays = arrays or split_arrays(space, split)
    seen, users, targets = arrays["seen"], arrays["users"], arrays["targets"]
    matrix = sparse.csr_matrix(seen)  # the peers' training matrix, read a batch of rows at a time
    lam = ease_lambda_for(space, split.train)
    report: dict[str, float] = {}
    for prefix, scores in (
        ("popularity_", popularity_scores(matrix)),
        ("transition_", transition_scores(arrays["histories"], space.n_movies, matrix)),
        ("ease_", ease_scores(matrix, lam)),
    ):
        report.update(next_item_report(scores, seen, users, targets, prefix))
    report["ease_lambda"] = lam
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
